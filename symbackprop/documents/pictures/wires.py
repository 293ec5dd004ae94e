"""The circuit as CS231n draws it for a lecture: each wire with the value it carries above
it and the gradient it carries back below it, each number appearing at its step.

The layout is the circuit's (:mod:`.circuit`), with each wire's label sized for both
numbers; the wire runs through the middle of its label instead of under it. What appears
when is given per node: a wire's value appears with the node it leaves (the forward
pass), its gradient with the adjoint of the node it enters (the backward pass). In
TikZ a step is a Beamer overlay (``\\node<3->``); in SVG a ``data-at`` attribute that
the slides' script reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import circuit
from .circuit import LINE_H, Wire, _cm, _layout, _minus, _n, _Shape, _tspans, edge_labels

#: Colours of the two numbers (TikZ, SVG): the value forward, the gradient backward.
FORWARD = ("green!45!black", "#1d7a1d")
BACKWARD = ("red!70!black", "#b3261e")


@dataclass(frozen=True)
class Number:
    """One line of a wire's label: ``above`` (a value) or below (a gradient), its
    ``row`` counted from the wire outwards, shown from step ``at`` (None: never)."""

    x: float
    y: float
    lines: tuple
    above: bool
    at: int | None


@dataclass(frozen=True)
class Wired:
    """The picture: the circuit without labels, and the numbers placed on its wires."""

    plain: circuit.Circuit
    numbers: tuple

    def tikz(self) -> str:
        body = circuit.tikz(self.plain, fit=False).rsplit("\n", 1)[0]
        out = [body]
        for n in self.numbers:
            if n.at is None:
                continue
            colour, anchor = (FORWARD[0], "south") if n.above else (BACKWARD[0], "north")
            for i, (tex, _) in enumerate(n.lines if not n.above else n.lines[::-1]):
                y = n.y - i * LINE_H if n.above else n.y + i * LINE_H
                out.append(r"  \node<%d->[font=\small, inner sep=0pt, anchor=%s, text=%s] at (%s,%s) {$%s$};"
                           % (n.at, anchor, colour, _cm(n.x), _cm(-y), tex))
        out.append(r"\end{tikzpicture}")
        return "\n".join(out)

    def svg(self, title: str) -> str:
        svg = circuit.svg(self.plain, title)
        head, tail = svg.rsplit("</svg>", 1)
        pad = 0.2
        px = lambda v: (v + pad) * circuit.PX   # noqa: E731 - as circuit.svg places things
        texts = []
        for n in self.numbers:
            if n.at is None:
                continue
            colour = FORWARD[1] if n.above else BACKWARD[1]
            for i, (_, txt) in enumerate(n.lines if not n.above else n.lines[::-1]):
                base = n.y - i * LINE_H - 0.07 if n.above else n.y + (i + 1) * LINE_H - 0.07
                texts.append('<text x="%s" y="%s" text-anchor="middle" font-size="11" fill="%s" data-at="%d">%s</text>'
                             % (_n(px(n.x)), _n(px(base)), colour, n.at, _tspans(_minus(txt), 11)))
        return head + "\n".join(texts) + "\n</svg>" + tail


def wired(derivation, values, forward: dict, backward: dict):
    """The picture of a derivation's graph, or None when the graph is drawn as a summary
    (more than :data:`circuit.READABLE` nodes). ``forward`` and ``backward`` give each
    node's step (a node missing: its numbers are not shown)."""
    shape = _Shape(derivation.graph)
    if len(shape.nodes) > circuit.READABLE:
        return None
    above, below = edge_labels(derivation, shape, values)
    sizes = {}
    for e in below:
        both = above.get(e, []) + below[e]
        widest = max(both, key=lambda line: circuit.text_width(line[1]))
        sizes[e] = [widest] * (len(above.get(e, [])) + len(below[e]))
    items, wires = _layout(shape, sizes)
    split = {}
    drawn = []
    for it in items.values():
        if it.kind == "label":
            e = int(it.key[1:].split("c")[0]) - 1
            split[it.key] = (e, -it.h / 2 + 0.03 + LINE_H * len(above.get(e, [])))
            drawn.append(it)
        elif it.kind != "dummy":
            drawn.append(it)
    wires = [_through_middle(w, items, split) for w in wires]
    plain = circuit._finish("forward", drawn, wires, nodes=len(shape.nodes))
    where = {it.key: it for it in plain.items if it.kind == "label"}
    numbers = []
    for key, (e, offset) in split.items():
        parent, consumer, _weight = shape.edges[e]
        it = where[key]
        y = it.y + offset
        if above.get(e):
            numbers.append(Number(it.x, y - 0.04, tuple(above[e]), True, forward.get(parent)))
        numbers.append(Number(it.x, y + 0.04, tuple(below[e]), False, backward.get(consumer)))
    plain = circuit.Circuit("forward", tuple(i for i in plain.items if i.kind != "label"), plain.wires,
                            plain.width, plain.height, nodes=plain.nodes)
    return Wired(plain, tuple(numbers))


def _through_middle(wire: Wire, items: dict, split: dict) -> Wire:
    """The wire moved, inside its label's column, from under the label to between its
    value and its gradient."""
    points = list(wire.points)
    for key, (_, offset) in split.items():
        it = items[key]
        y = it.y + offset
        low = it.y + it.h / 2 - 0.02           # where the layout ran the wire: under the label
        for i in range(len(points) - 1):
            (x0, y0), (x1, y1) = points[i], points[i + 1]
            if x0 <= it.x <= x1 and abs(y0 - low) < 1e-9 and abs(y1 - low) < 1e-9:
                points[i], points[i + 1] = (x0, y), (x1, y)
    return Wire(wire.source, wire.target, tuple(points))


__all__ = ["Wired", "wired"]
