"""Jupyter's rich display of a graph and of its derivation: the formulas as math and the
pictures of :mod:`.pictures.circuit` (:mod:`.pictures.unrolled` for a recurrent net; the forward graph; with the derivation also the reversed one).

With values for every leaf the pictures carry them; a graph without values is drawn
bare. Nothing here runs the three-way check: a display should be quick.
"""

from __future__ import annotations

import html

from ..core.graph import part
from ..errors import SymbackpropError
from ..notation.printing import affine, latex, text, unicode_name
from ..notation.written import written_latex, written_text
from .formats.html import math
from .pictures import circuit, unrolled

#: The pictures of each kind of graph: a recurrent net (and a gated one) unrolled in time.
PICTURES = {"graph": circuit.pictures, "recurrent": unrolled.pictures}


def _pictures(derivation) -> tuple:
    return part(PICTURES, derivation.graph)(derivation, _values(derivation))


def _values(derivation):
    """The values at the graph's own point, or None (no values, or a mini-batch)."""
    if derivation.graph.points:
        return None
    try:
        values = derivation.evaluate()
    except (SymbackpropError, ArithmeticError, ValueError):
        return None
    return values if hasattr(values, "numbers") else None


def definitions_latex(graph, environment: str = "aligned") -> str:
    """Every definition of a graph, one a line: ``\\begin{aligned} q &= x + y \\\\ … \\end{aligned}``
    (MathML from latex2mathml needs ``align*``), as its author wrote it."""
    rows = [r"%s &= %s" % (latex(s), _written(graph.nodes[s], written_latex, latex)) for s in graph.defined]
    return r"\begin{%s} %s \end{%s}" % (environment, r" \\ ".join(rows), environment)


def definitions_text(graph) -> str:
    """Every definition of a graph, one a line (``print(g)``), as its author wrote it.

        >>> print(sb.load("examples/circuit.toml"))
        q = x + y
        f = q·z
    """
    return "\n".join("%s = %s" % (unicode_name(s.name), _written(graph.nodes[s], written_text, text))
                     for s in graph.defined)


def _written(node, written, printed) -> str:
    """A node's formula as written (when the author wrote it; z = Σ w·a + b in the
    order of its edges), else as printed."""
    if node.written is not None:
        return written(*node.written)
    if node.op == "affine" and node.bias is not None:
        return affine(node.terms, node.bias, tex=printed is latex)
    return printed(node.expr)


def graph_html(graph) -> str:
    """What the graph is, its definitions as MathML and its forward picture."""
    title = graph.title or "the graph"
    parts = ["<div>" + html.escape(graph.describe()) + "</div>"]
    if graph.defined:
        parts.append(math(definitions_latex(graph, "align*"), display=True))
    if graph.cost_symbol is not None:
        d = graph.backward()
        forward, _ = _pictures(d)
        parts.append(forward.svg(title))
    return "\n".join(parts)


def graph_svg(graph):
    """The forward picture alone (for front ends that show SVG but not HTML)."""
    if graph.cost_symbol is None:
        return None
    d = graph.backward()
    return _pictures(d)[0].svg(graph.title or "the graph")


def derivation_html(derivation) -> str:
    """The adjoints and gradients as MathML between the forward and the reversed picture."""
    graph = derivation.graph
    title = graph.title or "the graph"
    forward, reversed_ = _pictures(derivation)
    rows = [f.latex().replace(" = ", " &= ", 1) for f in derivation.formulas if f.kind not in ("z", "a", "C", "node")]
    body = math(r"\begin{align*} %s \end{align*}" % r" \\ ".join(rows), display=True) if rows else ""
    return "\n".join(p for p in ("<div>" + html.escape(repr(derivation)) + "</div>", forward.svg(title),
                                 body, reversed_.svg(title)) if p)


__all__ = ["definitions_latex", "derivation_html", "graph_html", "graph_svg"]
