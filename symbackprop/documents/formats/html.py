"""HTML: one self-contained file, math as MathML (latex2mathml), diagrams as inline SVG.

No script, no web font, no link: the page renders offline in any browser with MathML
Core (Chromium 109+, Firefox, Safari). Displays are ``align*`` so that latex2mathml
lays their lines out as a table.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re

from latex2mathml.converter import convert

from ...errors import RenderError
from ..pictures import diagram
from ..model import (Document, Equations, Figure, Heading, Math, Paragraph, Table, aligned, cell_parts,
                    inline_parts, walk)

STYLE = """body { font-family: Georgia, "Times New Roman", serif; max-width: 58em; margin: 2em auto;
  padding: 0 1em; line-height: 1.5; color: #111; }
h1 { font-size: 1.7em; } h2 { font-size: 1.35em; margin-top: 1.6em; } h3 { font-size: 1.1em; }
math[display="block"] { margin: 0.8em 0; max-width: 100%; }
math[display="block"] mtd { padding: 0.15em 0; }
mtd[columnalign="left"] { text-align: left; } mtd[columnalign="right"] { text-align: right; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ccc; }
th { border-bottom: 2px solid #333; text-align: left; }
td.r { text-align: right; } td.c { text-align: center; }
figure { margin: 1em 0; text-align: center; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #333; max-width: 45em; margin: 0.3em auto; }"""


#: Operator names that TeX sets apart by a thin space (``y \ln a``); latex2mathml writes
#: them as plain identifiers, which MathML sets flush against the factor before them.
_OPERATORS = re.compile(r"(?<!<mo>&#x02061;</mo>)<mi>(ln|log|exp|tanh|sin|cos)</mi>")


def math(tex: str, display: bool = False) -> str:
    """MathML of a TeX fragment (:func:`_math`) with a bold digit one (``\\mathbf{1}``,
    the indicator 𝟏[…]) written as its own character: MathML Core browsers ignore
    ``mathvariant="bold"`` and would print a plain 1."""
    return _math(tex, display).replace(_BOLD_ONE, "<mn>&#x1D7CF;</mn>")


_BOLD_ONE = '<mn mathvariant="bold">1</mn>'


def _math(tex: str, display: bool = False) -> str:
    """MathML of a TeX fragment, as latex2mathml converts it, byte for byte.

    A document has thousands of fragments that differ only in their numbers
    (``w^{(1)}_{13,20}``, ``0.0108175``): each number latex2mathml reads as one number
    token is replaced by a placeholder, the resulting template is converted once
    (:func:`_template`), and the numbers are put back into its ``<mn>`` elements."""
    pieces, numbers, last = [], [], 0
    for m in _TOKENS.finditer(tex) if _TOKENS is not None else ():
        if m.group("number") is not None:
            pieces.append(tex[last:m.start()])
            pieces.append(str(_PLACEHOLDER + len(numbers)))
            numbers.append(m.group("number"))
            last = m.end()
    if not numbers:
        return _convert(tex, display)
    pieces.append(tex[last:])
    parts = _template("".join(pieces), display, len(numbers))
    if parts is None:
        return _convert(tex, display)
    texts, order = parts
    out = [texts[0]]
    for i, text in zip(order, texts[1:]):
        out.append(numbers[i])
        out.append(text)
    return "".join(out)


try:  # the tokens latex2mathml reads (its own pattern: a number is what it calls one)
    from latex2mathml.tokenizer import PATTERN as _TOKENS
    if "number" not in _TOKENS.groupindex:
        _TOKENS = None
except ImportError:  # pragma: no cover - another latex2mathml: convert every fragment
    _TOKENS = None
#: Placeholders are numbers of seven digits from this one on: no number of a template
#: has seven digits (numbers are replaced, and a digit after ^ or _ is one digit).
_PLACEHOLDER = 1_000_000
_MN = re.compile(r"(<mn[^>]*>)(1\d{6})(</mn>)")


@functools.lru_cache(maxsize=4096)
def _template(template: str, display: bool, count: int):
    """The MathML of a template cut at its placeholders: (texts, order), the number
    ``order[k]`` going between ``texts[k]`` and ``texts[k + 1]``; None when a
    placeholder is not exactly one ``<mn>`` of its own (then the fragment is converted
    as it is)."""
    mathml = _convert(template, display)
    texts, order, last = [], [], 0
    for m in _MN.finditer(mathml):
        texts.append(mathml[last:m.start(2)])
        order.append(int(m.group(2)) - _PLACEHOLDER)
        last = m.end(2)
    texts.append(mathml[last:])
    if sorted(order) != list(range(count)):
        return None
    return texts, order


@functools.lru_cache(maxsize=65536)
def _convert(tex: str, display: bool) -> str:
    try:
        out = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own types for unsupported input
        raise RenderError(f"cannot convert to MathML: {tex[:60]!r}: {exc}") from None
    return spaced(out)


def spaced(mathml: str) -> str:
    """latex2mathml's MathML with a thin space on each side of ln, log, exp, tanh …
    (it writes them as bare identifiers: "y₁ln(a)")."""
    return _OPERATORS.sub(r'<mspace width="0.1667em"></mspace><mi>\1</mi><mspace width="0.1667em"></mspace>',
                          mathml)


def inline(parts) -> str:
    return inline_parts(parts, math, lambda text: html.escape(text, quote=False))


def equations(block: Equations) -> str:
    if not block.rows:
        return ""
    return _align([aligned(dataclasses.replace(block, rows=(row,)), r" \\ ") for row in block.rows])


_TABLE = re.compile(r"(.*?<mtable[^>]*>)(.*)(</mtable>.*)", re.S)


def _align(rows: list) -> str:
    """The MathML of ``\\begin{align*}`` with these rows (``lhs &= …`` each): each row
    converted on its own (rows that differ only in their numbers share one conversion,
    see :func:`math`) and its table rows put into one table. latex2mathml writes a row
    the same alone or among others; where the tables around them differ, the whole is
    converted at once."""
    heads, bodies, tails = set(), [], set()
    for row in rows:
        m = _TABLE.fullmatch(math(r"\begin{align*}" + row + r"\end{align*}", display=True))
        if m is None:
            break
        heads.add(m.group(1))
        bodies.append(m.group(2))
        tails.add(m.group(3))
    if len(bodies) == len(rows) and len(heads) == 1 and len(tails) == 1:
        return heads.pop() + "".join(bodies) + tails.pop()
    return math(r"\begin{align*}" + r" \\ ".join(rows) + r"\end{align*}", display=True)


def table(block: Table) -> str:
    out = ["<table>", "<thead><tr>" + "".join("<th>%s</th>" % inline(cell_parts(c))
                                              for c in block.header) + "</tr></thead>", "<tbody>"]
    for row in block.rows:
        cells = "".join('<td class="%s">%s</td>' % (a, inline(cell_parts(c)))
                        for a, c in zip(block.align, row))
        out.append("<tr>" + cells + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def figure(block: Figure) -> str:
    title = "".join(p.text if isinstance(p, Math) else p for p in block.caption)
    picture = block.diagram.svg(title)
    return ("<figure>\n" + picture + "\n<figcaption>"
            + inline(block.caption) + "</figcaption>\n</figure>")


def heading(block: Heading) -> str:
    level = block.level + 1
    return "<h%d>%s</h%d>" % (level, html.escape(block.title), level)


def body(doc: Document) -> str:
    return walk(doc, {Heading: heading, Paragraph: lambda block: "<p>" + inline(block.parts) + "</p>",
                      Equations: equations, Table: table, Figure: figure}, separator="\n")


def network_html(net) -> str:
    """A network for Jupyter: what it is, its cost as MathML, and its forward diagram."""
    from ...notation.printing import latex
    return ("<div>" + html.escape(net.describe()) + "<br>" + math("C = " + latex(net.cost))
            + "</div>\n" + diagram.svg(diagram.forward(net), net.title or "the network"))


#: What this format declares (see :data:`symbackprop.documents.FORMATS`).
EXTENSIONS = (".html", ".htm")
FRAGMENT = True
READS = "document"


def render(doc: Document, *, fragment: bool = False) -> str:
    if fragment:
        return body(doc)
    title = html.escape(doc.title)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n" + body(doc) + "</body>\n</html>\n")


__all__ = ["body", "math", "network_html", "render"]
