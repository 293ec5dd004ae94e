"""A student's sheet and key, in LaTeX and HTML, and the class files of all of them.

The **sheet** is the network drawn with the student's numbers (a layered net's forward
diagram with each weight and bias as a number; any other graph's circuit with the values
on its wires), a table of every leaf's value, the questions with room to answer, and the
variant code. The **key** is each question's answer (the formula, and the number to
:data:`variants.KEY_DIGITS` digits), then the worked derivation with the numbers
substituted (``derive --numbers``). The sheet's blocks are a :class:`documents.model.Document`
walked by the LaTeX and HTML formats, so both say the same thing; user text (the
student id, titles) goes through the formats' escaping.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

from ..core.graph import part
from ..documents.formats import html as html_format
from ..documents.formats import latex as latex_format
from ..documents.model import Document, Figure, Heading, Math, Paragraph, Table, partial
from ..notation.printing import unicode_name
from . import specfile
from .variants import KEY_DIGITS, key_number

#: Room left for each answer on a printed sheet.
ROOM = {"formula": "3cm", "number": "1.2cm"}
#: Columns of (name, value) pairs in a sheet's table of numbers.
PAIRS = 4
DELTA = Math(r"\delta", "δ")


def number_tex(value) -> str:
    """A value as a label: ``-1.5``, ``1/3`` as a fraction, a float to 6 digits."""
    if isinstance(value, float):
        return f"{value:.6g}"
    written = specfile.number(value).strip('"')
    if "/" in written:
        p, q = written.split("/")
        return rf"\tfrac{{{p}}}{{{q}}}" if not p.startswith("-") else rf"-\tfrac{{{p[1:]}}}{{{q}}}"
    return written


class _Numbered:
    """A layered network whose weights and biases are named by their numbers: what the
    forward diagram draws on the edges and below the neurons."""

    def __init__(self, net, values):
        self._net = net
        self._values = values

    def __getattr__(self, name):
        return getattr(self._net, name)

    def w(self, l, j, k):
        return SimpleNamespace(name=number_tex(self._values[self._net.w(l, j, k)]))

    def b(self, l, j):
        return SimpleNamespace(name=number_tex(self._values[self._net.b(l, j)]))


class _LayeredPicture:
    @staticmethod
    def figure(net, values) -> Figure:
        from ..documents.pictures import diagram
        drawn = _signed(diagram.forward(_Numbered(net, values)))
        return Figure(drawn, ("Your network: weights on the edges, each bias below its neuron.",))


def _signed(drawn):
    """A bias written below its neuron as +−2 reads −2."""
    from dataclasses import replace
    fix = (lambda tex: "-" + tex[2:] if tex.startswith("+-") else tex)
    return replace(drawn, nodes=tuple(replace(n, below=fix(n.below)) for n in drawn.nodes),
                   labels=tuple(replace(lab, tex=fix(lab.tex)) for lab in drawn.labels))


class _GraphPicture:
    @staticmethod
    def figure(net, values) -> Figure:
        from ..documents.pictures.circuit import pictures
        d = net.backward()
        forward = pictures(d, d.evaluate())[0]
        return Figure(forward, ("Your graph: each wire carries the value at your numbers.",))


#: The graph's kind → how its sheet draws it.
PICTURES = {"graph": _GraphPicture, "layered": _LayeredPicture}


def question_text(q, net) -> tuple:
    """A question as prose parts."""
    from .checks import target_of
    asked = partial(net.cost_symbol.name, target_of(net, q)[1].node.name)
    head = f"Question {q.id[1:]} ({_points(q.points)}). "
    if q.kind == "formula":
        if q.closed:
            return (head, "Derive ", asked, (" in closed form: in the inputs, targets, parameters and "
                    "activations, with no "), DELTA, " or other adjoint.")
        return (head, "Derive ", asked, (", one step of the chain rule at a time (you may name the "
                "adjoints "), DELTA, " of the nodes after it).")
    digits = f" at your numbers, to {KEY_DIGITS} significant digits"
    if q.tolerance is None:
        return (head, "Compute the value of ", asked, digits + ".")
    if q.tolerance.abs is not None:
        return (head, "Compute the value of ", asked, digits + " (within ", Math(rf"\pm {q.tolerance.abs:g}",
                f"±{q.tolerance.abs:g}"), ").")
    return (head, "Compute the value of ", asked, digits + f" (within {q.tolerance.rel * 100:g} percent).")


def _points(points) -> str:
    shown = str(points.numerator) if points.denominator == 1 else f"{float(points):g}"
    return f"{shown} point" + ("" if points == 1 else "s")


def drawn(net) -> Figure:
    """The network drawn with its own numbers, as its sheet draws it."""
    return part(PICTURES, net).figure(net, net.values)


def leaf_values(net, values) -> list:
    """(name, value) of every leaf that has a value, in the network's order, as Math."""
    return [(Math(sym.name, unicode_name(sym.name)), Math(number_tex(values[sym]), str(values[sym])))
            for sym, node in net.nodes.items() if node.is_leaf and sym in values]


def values_table(net, values) -> Table:
    """Every leaf's value, :data:`PAIRS` (name, value) pairs a row."""
    cells = leaf_values(net, values)
    cells += [("", "")] * (-len(cells) % PAIRS)
    rows = tuple(tuple(c for pair in cells[i:i + PAIRS] for c in pair) for i in range(0, len(cells), PAIRS))
    return Table(("name", "value") * PAIRS, rows, "lr" * PAIRS)


def sheet(assignment, student: str) -> Document:
    """The sheet's blocks (the questions last: the formats add the room to answer)."""
    net = assignment.nets[student]
    variant = assignment.variants[student]
    blocks = [Paragraph((f"Student: {student}. Variant code: {variant.code}. ",
                         f"Network: {net.title or assignment.template.title or 'the network'}.",)),
              drawn(net),
              Paragraph(("Your numbers:",)), values_table(net, net.values),
              Heading("Questions")]
    return Document(assignment.title, tuple(blocks))


def sheet_latex_body(assignment, student: str) -> str:
    doc = sheet(assignment, student)
    net = assignment.nets[student]
    out = [rf"\section*{{{latex_format.escape(doc.title)}}}", latex_format.body(doc)]
    for q in assignment.exercise.questions:
        out.append(latex_format.inline(question_text(q, net)) + "\n\n"
                   + rf"\vspace{{{ROOM[q.kind]}}}" + "\n")
    return "\n".join(out).replace(r"\section{Questions}", r"\subsection*{Questions}")


def sheet_html(assignment, student: str) -> str:
    doc = sheet(assignment, student)
    net = assignment.nets[student]
    parts = [html_format.body(doc)]
    for q in assignment.exercise.questions:
        parts.append("<p>" + html_format.inline(question_text(q, net)) + "</p>\n"
                     + f'<div class="room" style="height:{ROOM[q.kind]}"></div>')
    return page(doc.title, "\n".join(parts))


def page(title: str, body: str) -> str:
    style = html_format.STYLE + "\n.room { border: 1px solid #999; margin: 0.3em 0 1.2em; }"
    shown = html.escape(title)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{shown}</title>\n<style>\n{style}\n</style>\n</head>\n<body>\n"
            f"<h1>{shown}</h1>\n{body}</body>\n</html>\n")


def latex_document(body: str) -> str:
    return latex_format.PREAMBLE + "\n\\begin{document}\n" + body + "\\end{document}\n"


# --- keys --------------------------------------------------------------------------------

def answers(assignment, student: str) -> Document:
    """Each question's answer: the derived formula (in closed form where the question asks
    for one) = its value at the student's numbers, broken into lines as the documents are."""
    from ..documents import breaking
    from ..documents.model import Equations, Row
    from ..notation.printing import text
    from .checks import right_value, target_of
    net = assignment.nets[student]
    d = net.backward()
    blocks = [Paragraph((f"Student: {student}. Variant code: {assignment.variants[student].code}.",))]
    for q in assignment.exercise.questions:
        _, target = target_of(net, q)
        expr = d.gradient(target.node.name).closed if q.closed else target.expr
        value = key_number(right_value(net, q))
        lhs = partial(net.cost_symbol.name, target.node.name)
        pieces = [breaking.tokens(expr), [breaking.atom(value)]]
        row = Row(lhs, tuple(breaking.lines(breaking.equals(pieces), breaking.budget(lhs.latex))),
                  f"{text(expr)} = {value}")
        blocks += [Paragraph((f"Question {q.id[1:]} ({q.kind}, {_points(q.points)}):",)), Equations((row,))]
    return Document(f"Key: {assignment.title}", tuple(blocks))


def key_latex_body(assignment, student: str) -> str:
    from ..documents import render
    doc = answers(assignment, student)
    derivation = render(assignment.nets[student].backward(), "latex", numbers=True, fragment=True)
    derivation = derivation.split("\n", 3)[3] if derivation.startswith("%") else derivation
    return (rf"\section*{{{latex_format.escape(doc.title)}}}" + "\n" + latex_format.body(doc)
            + "\n" + derivation)


def key_html(assignment, student: str) -> str:
    from ..documents import render
    doc = answers(assignment, student)
    derivation = render(assignment.nets[student].backward(), "html", numbers=True, fragment=True)
    return page(doc.title, html_format.body(doc) + derivation)
