"""Pictures of any graph: the forward graph and the reversed graph of the backward pass.

CS231n draws a circuit with each value above its wire and each gradient below it;
here both pictures are derived from the graph and drawn on one layout, so that a node
sits in the same place in both:

* **forward**: leaves (inputs, targets, parameters) and defined nodes labelled with
  their names, wires from each node to its consumers; with values, each wire carries
  the value of the node it leaves;
* **reversed**: the same wires, now pointing right to left; next to each consumer u
  its wire from s carries the local partial ∂u/∂s (the factor u sends back) and, with
  values, the gradient that flows along it, (∂u/∂s)·(∂C/∂u). A node that fans out
  receives one wire per consumer and sums them.

The layout is the layered (Sugiyama) method. Each node gets a rank, its depth (the
longest path from a leaf); a leaf sits one rank before its first consumer. The grid has
two columns per rank: node columns, and between them label columns, so that every
wire's label is an item of the layout like a node (as Graphviz places edge labels) and
no label can overlap a node or another label. A wire longer than one rank passes
through a dummy item in every column it crosses. Within a column the items are ordered
by barycentre sweeps (the order with the fewest crossings is kept) and placed as close
to their neighbours' mean height as their order allows. A wire runs level through the
columns of its items and turns only in the gaps between columns, where no item is, so
no wire passes through a node.

A graph of more than :data:`READABLE` nodes is drawn as a summary: one box per rank.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import sympy

from ...notation.numerals import length, significant
from ...notation.printing import latex, text, unicode_name
from ...notation.scripts import READ_SUBSCRIPT, READ_SUPERSCRIPT, SCRIPTS
from .diagram import svg_text

#: Most nodes drawn one by one; a larger graph is drawn as a summary, one box per rank.
READABLE = 40
#: Widest picture (cm) before TikZ scales it to the line width.
MAX_WIDTH = 17.0
#: Significant digits of the values on the wires.
DIGITS = 3
#: A picture narrower than this (cm) is drawn larger in LaTeX, up to 1.4 times.
SMALL_WIDTH = 9.0
#: Wider than this (cm), a picture is turned a quarter turn onto the page's length.
TURN_WIDTH = 24.0
#: A turned picture's longest length and greatest height (cm) on an A4 page with 2 cm
#: margins, its caption below it.
TURNED_LENGTH = 23.0
TURNED_HEIGHT = 13.0
#: A local partial longer than this (in characters) is written ∂u/∂s instead.
LONGEST_PARTIAL = 14

CHAR = 0.19        # width (cm) of a character of a label
SMALL_CHAR = 0.13  # of a subscript or superscript character
NODE_H = 0.72      # height of a node box (cm)
LINE_H = 0.36      # height of one line of a wire label
DUMMY_H = 0.18     # vertical room a wire takes where it passes through a column
SEP = 0.22         # vertical gap between two items of a column
SWEEPS = 12        # barycentre sweeps (each one down and one up)
PX = 44            # SVG pixels per centimetre
SCROLL_PX = 900    # an SVG wider than this (pixels) scrolls sideways in its page

_SMALL = SCRIPTS | {"′"}


def text_width(label: str) -> float:
    """Estimated width (cm) of a label written in Unicode."""
    return sum(SMALL_CHAR if ch in _SMALL else CHAR * (0.55 if ch == " " else 1) for ch in label)


# --- the pieces of a picture ------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One box of the layout: a node (kind leaf, node, output or summary), a wire's
    label (``label``) or a point a long wire passes through (``dummy``). ``x``, ``y``
    is its centre (cm, y downwards); ``lines`` are (LaTeX, Unicode) pairs."""

    key: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    lines: tuple = ()

    @property
    def box(self) -> tuple:
        return (self.x - self.w / 2, self.y - self.h / 2, self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class Wire:
    """A wire from ``source`` to ``target`` (node keys) along ``points``; the arrow
    ends at the last point."""

    source: str
    target: str
    points: tuple


@dataclass(frozen=True)
class Circuit:
    """A drawn graph: ``name`` is forward or reversed; ``summary`` when the graph is too
    large to draw node by node."""

    name: str
    items: tuple
    wires: tuple
    width: float
    height: float
    summary: bool = False
    nodes: int = 0

    @property
    def boxes(self) -> tuple:
        return tuple(i for i in self.items if i.kind in ("leaf", "node", "output", "summary"))

    @property
    def labels(self) -> tuple:
        return tuple(i for i in self.items if i.kind == "label")

    def tikz(self) -> str:
        return tikz(self)

    def svg(self, title: str) -> str:
        return svg(self, title)

    def latex_figure(self, caption: str) -> str:
        """The picture and its caption (LaTeX prose) for a LaTeX document; one wider
        than :data:`TURN_WIDTH` is a page of its own, turned a quarter turn, so that
        the text goes on filling the page before it."""
        if self.width <= TURN_WIDTH:
            return "\n".join([r"\begin{center}", tikz(self), r"\end{center}",
                              r"\begin{center}\begin{minipage}{0.9\linewidth}\small " + caption
                              + r"\end{minipage}\end{center}"])
        scale = min(TURNED_LENGTH / self.width, TURNED_HEIGHT / max(self.height, 0.1))
        return "\n".join([r"\begin{figure}[p]", r"\centering",
                          r"\rotatebox{90}{\begin{minipage}{%scm}\centering" % _cm(self.width * scale),
                          r"\resizebox{%scm}{!}{%%" % _cm(self.width * scale), tikz(self, fit=False) + "%", "}",
                          r"\par\medskip\small " + caption, r"\end{minipage}}", r"\end{figure}"])


# --- the layout -------------------------------------------------------------------------


@dataclass
class _Slot:
    key: str
    kind: str
    w: float
    h: float
    lines: tuple = ()
    y: float = 0.0


class _Shape:
    """What is drawn of a graph: its nodes (all but the weights and biases that only sit
    on affine wires), its wires and the rank of every drawn node.

    A builder's affine node z = Σ w·a + b carries each weight w on the wire from its a
    and its bias inside, as the layered pictures do; its weights and bias get no wires
    of their own."""

    def __init__(self, graph):
        self.graph = graph
        self.position = {s: i for i, s in enumerate(graph.nodes)}
        edges = []
        self.bias = {}
        for sym, node in graph.nodes.items():
            if node.expr is None:
                continue
            if node.op == "affine" and node.terms:
                edges += [(a, sym, w) for w, a in node.terms]
                self.bias[sym] = node.bias
                continue
            parents = sorted(node.expr.free_symbols, key=self.position.__getitem__)
            edges += [(p, sym, None) for p in parents]
        self.edges = edges
        wired = {s for e in edges for s in e[:2]}
        self.nodes = [s for s, n in graph.nodes.items() if n.expr is not None or s in wired]
        depth = {}
        for sym in self.nodes:
            node = graph.nodes[sym]
            if node.expr is not None:
                ins = [depth[p] for p, c, _ in edges if c == sym and graph.nodes[p].expr is not None]
                depth[sym] = 1 + max(ins, default=0)
        consumers: dict = {}
        for p, c, _ in edges:
            consumers.setdefault(p, []).append(c)
        for sym in self.nodes:
            if graph.nodes[sym].expr is None:
                firsts = [depth[c] for c in consumers.get(sym, [])]
                depth[sym] = min(firsts) - 1 if firsts else 0
        self.rank = depth
        self.keys = {s: "n%d" % (self.position[s] + 1) for s in self.nodes}


def _node_slot(shape, sym) -> _Slot:
    graph = shape.graph
    node = graph.nodes[sym]
    lines = [(sym.name, svg_text(sym.name))]
    bias = shape.bias.get(sym)
    if bias is not None:
        lines.append(("+" + bias.name, "+" + svg_text(bias.name)))
    kind = "output" if sym == graph.cost_symbol else ("leaf" if node.expr is None else "node")
    w = max(0.8, max(text_width(t) for _, t in lines) + 0.36)
    return _Slot(shape.keys[sym], kind, w, NODE_H + LINE_H * (len(lines) - 1), tuple(lines))


def _label_slot(key, lines) -> _Slot:
    w = max(text_width(t) for _, t in lines) + 0.16
    return _Slot(key, "label", max(w, 0.5), LINE_H * len(lines) + 0.06, tuple(lines))


def _crossings(columns, links) -> int:
    pos = {s.key: i for col in columns for i, s in enumerate(col)}
    count = 0
    by_gap: dict = {}
    for a, b, c in links:
        by_gap.setdefault(c, []).append((pos[a], pos[b]))
    for pairs in by_gap.values():
        pairs.sort()
        for i in range(len(pairs)):
            for j in range(i + 1, len(pairs)):
                if pairs[i][0] != pairs[j][0] and pairs[i][1] > pairs[j][1]:
                    count += 1
    return count


def _order(columns, links) -> list:
    """Barycentre sweeps; the order with the fewest crossings (the first of equals)."""
    left: dict = {}
    right: dict = {}
    for a, b, c in links:
        right.setdefault(a, []).append(b)
        left.setdefault(b, []).append(a)
    best = [list(col) for col in columns]
    best_count = _crossings(best, links)
    current = [list(col) for col in columns]
    for _ in range(SWEEPS):
        for direction in (1, -1):
            pos = {s.key: i for col in current for i, s in enumerate(col)}
            indices = range(1, len(current)) if direction == 1 else range(len(current) - 2, -1, -1)
            near = left if direction == 1 else right
            for c in indices:
                col = current[c]

                def centre(i_s):
                    i, s = i_s
                    others = near.get(s.key, [])
                    return (sum(pos[o] for o in others) / len(others) if others else i, i)
                col[:] = [s for _, s in sorted(enumerate(col), key=centre)]
                for i, s in enumerate(col):
                    pos[s.key] = i
            count = _crossings(current, links)
            if count < best_count:
                best, best_count = [list(col) for col in current], count
    return best


def _place(column, desired) -> None:
    """y for each item of a column, in order, each at least SEP below the one before,
    as close to its desired height as that allows (least squares: pool adjacent
    violators on the heights less their running offsets)."""
    offsets, run = [], 0.0
    for i, s in enumerate(column):
        if i:
            run += column[i - 1].h / 2 + SEP + s.h / 2
        offsets.append(run)
    blocks = []   # [sum, count]
    for d, off in zip(desired, offsets):
        blocks.append([d - off, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, n = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += n
    values = []
    for total, n in blocks:
        values += [total / n] * n
    for s, v, off in zip(column, values, offsets):
        s.y = v + off


def _coordinates(columns, links) -> None:
    for col in columns:
        _place(col, [0.0] * len(col))
        if col:
            mid = (col[0].y + col[-1].y) / 2
            for s in col:
                s.y -= mid
    near: dict = {}
    for a, b, c in links:
        near.setdefault(a, []).append(b)
        near.setdefault(b, []).append(a)
    by_key = {s.key: s for col in columns for s in col}
    for _ in range(8):
        for cols in (columns, columns[::-1]):
            for col in cols:
                desired = []
                for s in col:
                    others = near.get(s.key, [])
                    desired.append(sum(by_key[o].y for o in others) / len(others) if others else s.y)
                _place(col, desired)


def _layout(shape, labels: dict) -> tuple:
    """Items and wires; ``labels`` maps an edge's index to the lines that size its label."""
    columns, links, chains = _columns(shape, labels)
    columns = _order(columns, links)
    _coordinates(columns, links)
    by_key = {s.key: s for col in columns for s in col}
    _straighten(columns, chains, by_key)
    xs, widths = _xs(columns, links, by_key)
    items = {}
    for c, col in enumerate(columns):
        for s in col:
            items[s.key] = Item(s.key, s.kind, xs[c], s.y, s.w, s.h, s.lines)
    band = _bands(columns)
    wires = [Wire(chain[0], chain[-1], tuple(_dedupe(_through(_wire_points(start, chain, items, xs, widths), band))))
             for start, chain in chains]
    return items, wires


def _columns(shape, labels: dict) -> tuple:
    """(columns, links, chains): the slots of each column (a node column per rank, a label
    column between), the links (u, v, column of u) and each edge's chain of slot keys,
    with the column it starts in."""
    rank = shape.rank
    top = max(rank.values(), default=0)
    columns: list = [[] for _ in range(2 * top + 1)]
    graph = shape.graph
    for sym in sorted(shape.nodes, key=lambda s: (graph.nodes[s].expr is not None, shape.position[s])):
        columns[2 * rank[sym]].append(_node_slot(shape, sym))
    links, chains = [], []
    for e, (parent, consumer, _) in enumerate(shape.edges):
        a, b = 2 * rank[parent], 2 * rank[consumer]
        chain = [shape.keys[parent]]
        for c in range(a + 1, b):
            key = "e%dc%d" % (e + 1, c)
            if c == b - 1 and e in labels:
                slot = _label_slot(key, labels[e])
            else:
                slot = _Slot(key, "dummy", 0.0, DUMMY_H)
            columns[c].append(slot)
            chain.append(key)
        chain.append(shape.keys[consumer])
        for c, (u, v) in enumerate(zip(chain, chain[1:]), start=a):
            links.append((u, v, c))
        chains.append((a, chain))
    return columns, links, chains


def _xs(columns, links, by_key) -> tuple:
    """(x of each column's middle, width of each column): each column as wide as its
    widest item, gaps growing with the steepest wire in them."""
    widths = [max((s.w for s in col), default=0.0) for col in columns]
    gaps = []
    for c in range(len(columns) - 1):
        rise = max((abs(by_key[u].y - by_key[v].y) for u, v, g in links if g == c), default=0.0)
        gaps.append(min(1.6, max(0.7, 0.25 * rise)))
    xs, x = [], 0.0
    for c, w in enumerate(widths):
        if c:
            x += widths[c - 1] / 2 + gaps[c - 1] + w / 2
        xs.append(x)
    return xs, widths


def _bands(columns) -> dict:
    """A dummy's free strip: from the bottom of the item above to the top of the one below."""
    band = {}
    for col in columns:
        for i, s in enumerate(col):
            if s.kind == "dummy":
                lo = col[i - 1].y + col[i - 1].h / 2 + 0.04 if i else float("-inf")
                hi = col[i + 1].y - col[i + 1].h / 2 - 0.04 if i + 1 < len(col) else float("inf")
                band[s.key] = (min(lo, s.y), max(hi, s.y))
    return band


def _wire_points(start: int, chain, items, xs, widths) -> list:
    """A wire's points through the columns of its chain; a dummy's height is left open
    (None) for :func:`_through` to choose within its band."""
    points = []
    for c, key in enumerate(chain, start=start):
        it = items[key]
        left, right = xs[c] - widths[c] / 2, xs[c] + widths[c] / 2
        if it.kind == "dummy":
            points += [(left, None, key), (right, None, key)]
            continue
        y = _wire_y(it)
        if key == chain[0]:
            points += [(it.x + it.w / 2, y), (right, y)]
        elif key == chain[-1]:
            points += [(left, y), (it.x - it.w / 2, y)]
        else:
            points += [(left, y), (right, y)]
    return points


def _wire_y(it) -> float:
    """Where a wire meets an item: a node's middle, the bottom of a label (it sits on the wire)."""
    return it.y + it.h / 2 - 0.02 if it.kind == "label" else it.y


def _straighten(columns, chains, by_key) -> None:
    """Dummies of a long wire moved onto the straight line between the items at its
    ends, as far as the items above and below them in their column allow."""
    index = {s.key: (c, i) for c, col in enumerate(columns) for i, s in enumerate(col)}
    for _ in range(2):
        for start, chain in chains:
            anchors = [(start + k, key) for k, key in enumerate(chain) if by_key[key].kind != "dummy"]
            for (ca, a), (cb, b) in zip(anchors, anchors[1:]):
                ya, yb = _wire_y(by_key[a]), _wire_y(by_key[b])
                for c in range(ca + 1, cb):
                    s = by_key[chain[c - start]]
                    col, i = columns[c], index[s.key][1]
                    want = ya + (yb - ya) * (c - ca) / (cb - ca)
                    lo = col[i - 1].y + col[i - 1].h / 2 + SEP + s.h / 2 if i else float("-inf")
                    hi = col[i + 1].y - col[i + 1].h / 2 - SEP - s.h / 2 if i + 1 < len(col) else float("inf")
                    if lo <= hi:
                        s.y = min(max(want, lo), hi)


def _through(points, band) -> list:
    """A wire's points with its way through each dummy's column filled in: on the straight
    line between the points around it, kept inside the dummy's free strip."""
    out = list(points)
    known = [i for i, p in enumerate(out) if len(p) == 2]
    for i, p in enumerate(out):
        if len(p) == 2:
            continue
        before = max(k for k in known if k < i)
        after = min(k for k in known if k > i)
        (x0, y0), (x1, y1) = out[before], out[after]
        y = y0 + (y1 - y0) * (p[0] - x0) / (x1 - x0) if x1 != x0 else y0
        lo, hi = band[p[2]]
        out[i] = (p[0], min(max(y, lo), hi))
    return out


def _dedupe(points) -> list:
    out = []
    for p in points:
        if not out or abs(out[-1][0] - p[0]) > 1e-9 or abs(out[-1][1] - p[1]) > 1e-9:
            out.append(p)
    return out


def _finish(name, items, wires, summary=False, nodes=0) -> Circuit:
    xs = [v for it in items for v in (it.box[0], it.box[2])] + [x for w in wires for x, _ in w.points]
    ys = [v for it in items for v in (it.box[1], it.box[3])] + [y for w in wires for _, y in w.points]
    dx, dy = -min(xs), -min(ys)      # the picture starts at (0, 0)
    moved = tuple(Item(it.key, it.kind, it.x + dx, it.y + dy, it.w, it.h, it.lines) for it in items)
    wires = tuple(Wire(w.source, w.target, tuple((x + dx, y + dy) for x, y in w.points)) for w in wires)
    return Circuit(name, moved, wires, max(xs) - min(xs), max(ys) - min(ys), summary, nodes)


# --- what the wires say -----------------------------------------------------------------


def _number(v):
    """A value on a wire: as the documents print it when short, else to DIGITS
    significant digits (a picture has no room for six)."""
    from ..numbers import number
    n = number(v)
    if len(n.text) <= DIGITS + 2:
        return n
    return number(float(significant(v, DIGITS)))


def _evaluate(expr, values):
    """An expression at the point, or None where it has no finite value."""
    if values is None:
        return None
    try:
        numbers = {s: sympy.Float(float(values.numbers[s]), 30) for s in expr.free_symbols}
        v = float(sympy.N(expr.xreplace(numbers), 30))
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None
    return v if v == v and abs(v) != float("inf") else None


def _adjoint_value(derivation, values, sym):
    graph = derivation.graph
    if values is None:
        return None
    if sym == graph.cost_symbol:
        return 1.0
    if graph.named_adjoint(sym):
        v = values.numbers.get(graph.adjoint_symbol(sym))
        return None if v is None else float(v)
    in_place = derivation.written_in_place.get(sym)
    return None if in_place is None else _evaluate(in_place, values)


def _partial_label(graph, consumer, parent) -> tuple:
    """∂consumer/∂parent and the label of the factor it is: ×z, ×σ′(u)."""
    from ...core.graph import diff, local_partial
    node = graph.nodes[consumer]
    expr = local_partial(graph, node, parent)
    if expr == 0 and parent in node.expr.free_symbols:   # a cost's target: its table has the outputs only
        expr = diff(node.expr, parent)
    tex, txt = latex(expr), text(expr)
    if len(txt) > LONGEST_PARTIAL:
        tex = r"\partial %s / \partial %s" % (consumer.name, parent.name)
        txt = "∂%s/∂%s" % (unicode_name(consumer.name), unicode_name(parent.name))
    if expr.is_Add and not tex.startswith(r"\partial"):       # ×(a − y), not × − a + y
        tex, txt = r"\left(%s\right)" % tex, "(%s)" % txt
    return expr, (r"\times " + tex, "×" + txt)


def drawn_nodes(graph) -> int:
    """How many nodes a picture of the graph draws (weights on affine wires are not nodes)."""
    return len(_Shape(graph).nodes)


def edge_labels(derivation, shape, values) -> tuple:
    """(forward, backward): for each wire's index, the lines of its label in the forward
    picture (its weight, the value it carries) and in the reversed one (the local partial,
    the gradient it carries)."""
    graph = derivation.graph
    numbers = values.numbers if values is not None else {}
    forward_labels, backward_labels = {}, {}
    for e, (parent, consumer, weight) in enumerate(shape.edges):
        lines = []
        if weight is not None:
            lines.append((weight.name, svg_text(weight.name)))
        v = numbers.get(parent)
        if v is not None:
            n = _number(v)
            lines.append((n.latex, n.text))
        if lines:
            forward_labels[e] = lines
        expr, line = _partial_label(graph, consumer, parent)
        lines = [line]
        upstream = _adjoint_value(derivation, values, consumer)
        local = _evaluate(expr, values)
        if upstream is not None and local is not None:
            n = _number(local * upstream)
            lines.append((n.latex, n.text))
        backward_labels[e] = lines
    return forward_labels, backward_labels


def pictures(derivation, values=None) -> tuple:
    """The forward and the reversed picture of a derivation's graph, with the values at
    the point when ``values`` (a :class:`~symbackprop.numeric.values.Values`) is given."""
    graph = derivation.graph
    shape = _Shape(graph)
    if len(shape.nodes) > READABLE:
        return summary(shape, "forward"), summary(shape, "reversed")
    forward_labels, backward_labels = edge_labels(derivation, shape, values)
    sizes = {}
    for e in backward_labels:
        both = forward_labels.get(e, []) + backward_labels[e]
        widest = max(both, key=lambda line: text_width(line[1]))
        sizes[e] = [widest] * max(len(forward_labels.get(e, [])), len(backward_labels[e]))
    items, wires = _layout(shape, sizes)
    out = []
    for name, labels in (("forward", forward_labels), ("reversed", backward_labels)):
        drawn = []
        for it in items.values():
            if it.kind == "dummy":
                continue
            if it.kind == "label":
                lines = labels.get(int(it.key[1:].split("c")[0]) - 1)
                if not lines:
                    continue
                it = Item(it.key, "label", it.x, it.y, it.w, it.h, tuple(lines))
            drawn.append(it)
        ws = wires if name == "forward" else [Wire(w.target, w.source, w.points[::-1]) for w in wires]
        out.append(_finish(name, drawn, ws, nodes=len(shape.nodes)))
    return tuple(out)


def summary(shape, name: str) -> Circuit:
    """A graph too large to draw node by node: one box per rank, with how many nodes it
    holds and the first of their names."""
    rank = shape.rank
    by_rank: dict = {}
    for sym in shape.nodes:
        by_rank.setdefault(rank[sym], []).append(sym)
    items, wires, x = [], [], 0.0
    previous = None
    for r in sorted(by_rank):
        syms = by_rank[r]
        names = [s.name for s in syms[:3]]
        first = ", ".join(names) + (r", \dots" if len(syms) > 3 else "")
        first_text = ", ".join(svg_text(n) for n in names) + (", …" if len(syms) > 3 else "")
        count = "%d node%s" % (len(syms), "" if len(syms) == 1 else "s")
        lines = ((r"\text{%s}" % count, count), (first, first_text))
        w = max(text_width(t) for _, t in lines) + 0.4
        if previous is not None:
            x += previous.w / 2 + 0.6 + w / 2
        item = Item("r%d" % r, "summary", x, 0.0, w, 2 * LINE_H + 0.3, lines)
        if previous is not None:
            a, b = (previous, item) if name == "forward" else (item, previous)
            pa = (a.x + a.w / 2, 0.0) if name == "forward" else (a.x - a.w / 2, 0.0)
            pb = (b.x - b.w / 2, 0.0) if name == "forward" else (b.x + b.w / 2, 0.0)
            wires.append(Wire(a.key, b.key, (pa, pb)))
        items.append(item)
        previous = item
    return _finish(name, items, wires, summary=True, nodes=len(shape.nodes))


# --- TikZ -------------------------------------------------------------------------------

_TIKZ = {
    "leaf": "draw, fill=black!5",
    "node": "draw, rounded corners=2pt, fill=blue!8",
    "output": "draw, double, rounded corners=2pt, fill=blue!15",
    "summary": "draw, rounded corners=2pt, fill=blue!8, align=center",
    "cell": "draw, dashed, rounded corners=4pt, fill=black!3",
}


def _cm(v: float) -> str:
    return length(v, 2)


def tikz(c: Circuit, fit: bool = True) -> str:
    """A ``tikzpicture``; with ``fit``, one wider than :data:`MAX_WIDTH` is scaled to the
    line width (turned a quarter turn beyond :data:`TURN_WIDTH`) and one narrower than
    :data:`SMALL_WIDTH` is drawn larger."""
    out = [r"\begin{tikzpicture}[>=latex]"]
    for w in c.wires:
        path = " -- ".join("(%s,%s)" % (_cm(x), _cm(-y)) for x, y in w.points)
        out.append(r"  \draw[->, black!60, rounded corners=2pt] %s;" % path)
    for it in c.items:
        if it.kind == "label":
            body = r"\shortstack{%s}" % r" \\ ".join("$%s$" % tex for tex, _ in it.lines) \
                if len(it.lines) > 1 else "$%s$" % it.lines[0][0]
            out.append(r"  \node[font=\small, inner sep=0pt, anchor=south] at (%s,%s) {%s};"
                       % (_cm(it.x), _cm(-(it.y + it.h / 2 - 0.04)), body))
            continue
        if not it.lines:            # a frame around other items (a recurrent cell)
            body = ""
        elif it.kind == "summary":
            body = r"\shortstack{%s}" % r" \\ ".join("$%s$" % tex for tex, _ in it.lines)
        elif len(it.lines) > 1:     # a name and its bias
            body = r"\shortstack{$%s$ \\ {\footnotesize $%s$}}" % (it.lines[0][0], it.lines[1][0])
        else:
            body = "$%s$" % it.lines[0][0]
        out.append(r"  \node[%s, inner sep=1pt, minimum width=%scm, minimum height=%scm] at (%s,%s) {%s};"
                   % (_TIKZ[it.kind], _cm(it.w), _cm(it.h), _cm(it.x), _cm(-it.y), body))
    out.append(r"\end{tikzpicture}")
    body = "\n".join(out)
    if not fit:
        return body
    if c.width > TURN_WIDTH:
        return "\\rotatebox{90}{\\resizebox{0.85\\textheight}{!}{%\n" + body + "%\n}}"
    if c.width > MAX_WIDTH:
        return "\\resizebox{\\linewidth}{!}{%\n" + body + "%\n}"
    if c.width < SMALL_WIDTH:
        return "\\scalebox{%s}{%%\n" % _cm(min(1.4, SMALL_WIDTH / max(c.width, 1.0))) + body + "%\n}"
    return body


# --- SVG --------------------------------------------------------------------------------

_FILL = {"leaf": "#f2f2f2", "node": "#e8ecfb", "output": "#d6defa", "summary": "#e8ecfb", "cell": "#f7f7f7"}


def _n(v: float) -> str:
    return length(v, 1)


def _minus(txt: str) -> str:
    return txt.replace("-", "\u2212")


# a script set smaller on a raised or lowered line, its minus sign a true one, as _minus does
_SUPER = {raised: _minus(ch) for raised, ch in READ_SUPERSCRIPT.items()}
_SUB = {lowered: _minus(ch) for lowered, ch in READ_SUBSCRIPT.items()}


def _levels(txt: str) -> list:
    """(character, level) pairs: 1 raised, -1 lowered, 0 on the line. A Unicode script
    character is its plain character raised or lowered; a script Unicode has no glyph for,
    which the text falls back to as ``w_z`` or ``w_(zh)`` (``^`` likewise), is lowered too."""
    out, i = [], 0
    while i < len(txt):
        ch = txt[i]
        if ch in "_^" and i + 1 < len(txt) and i > 0:
            level = -1 if ch == "_" else 1
            if txt[i + 1] == "(" and ")" in txt[i + 2:]:
                close = txt.index(")", i + 2)
                out += [(c, level) for c in txt[i + 2:close]]
                i = close + 1
            else:
                out.append((txt[i + 1], level))
                i += 2
            continue
        out.append((_SUPER[ch], 1) if ch in _SUPER else (_SUB[ch], -1) if ch in _SUB else (ch, 0))
        i += 1
    return out


def _tspans(txt: str, size: float) -> str:
    """Text with its superscripts and subscripts set as raised and lowered smaller text
    (few serif fonts have the Unicode script glyphs, and most letters have none), escaped
    for SVG."""
    out, level = [], 0      # level: 0 on the line, 1 raised, -1 lowered
    shift = {1: -0.38 * size, 0: 0.0, -1: 0.25 * size}
    pairs = _levels(txt)
    i = 0
    while i < len(pairs):
        new = pairs[i][1]
        j = i
        while j < len(pairs) and pairs[j][1] == new:
            j += 1
        run = "".join(c for c, _ in pairs[i:j])
        dy = shift[new] - shift[level]
        attrs = ' dy="%s"' % _n(dy) if abs(dy) > 1e-9 else ""
        if new:
            attrs += ' font-size="%s"' % _n(size * 0.72)
        out.append("<tspan%s>%s</tspan>" % (attrs, html.escape(run)) if attrs else html.escape(run))
        level, i = new, j
    if level:
        out.append('<tspan dy="%s"></tspan>' % _n(-shift[level]))
    return "".join(out)


def svg(c: Circuit, title: str) -> str:
    """Inline SVG (no blank line inside, so that Markdown keeps it as one HTML block)."""
    pad = 0.2
    w, h = (c.width + 2 * pad) * PX, (c.height + 2 * pad) * PX
    px = lambda v: (v + pad) * PX   # noqa: E731 - a coordinate transform
    zoom = min(1.4, SMALL_WIDTH / max(c.width, 1.0)) if c.width < SMALL_WIDTH else 1.0   # as in LaTeX
    marker = "arrow-%s" % c.name
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="graph %s" role="img" viewBox="0 0 %s %s" '
           'width="%s" height="%s" font-family="serif" font-size="13">' % (c.name, _n(w), _n(h), _n(w * zoom), _n(h * zoom)),
           "<title>%s</title>" % html.escape(title),
           '<defs><marker id="%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>' % marker]
    for wire in c.wires:
        points = " ".join("%s,%s" % (_n(px(x)), _n(px(y))) for x, y in wire.points)
        out.append('<polyline points="%s" fill="none" stroke="#777" stroke-width="1" '
                   'stroke-linejoin="round" marker-end="url(#%s)"/>' % (points, marker))
    for it in c.items:
        x0, y0, x1, y1 = (px(v) for v in it.box)
        if it.kind == "label":
            base = y1 - 0.07 * PX
            for i, (_, txt) in enumerate(reversed(it.lines)):
                out.append('<text x="%s" y="%s" text-anchor="middle" font-size="11">%s</text>'
                           % (_n(px(it.x)), _n(base - i * LINE_H * PX), _tspans(_minus(txt), 11)))
            continue
        rx = ' rx="4"' if it.kind != "leaf" else ""
        out.append('<rect x="%s" y="%s" width="%s" height="%s"%s fill="%s" stroke="#333"%s/>'
                   % (_n(x0), _n(y0), _n(x1 - x0), _n(y1 - y0), rx, _FILL[it.kind],
                      ' stroke-width="2"' if it.kind == "output" else
                      ' stroke-dasharray="5,3"' if it.kind == "cell" else ""))
        lines = it.lines
        first = px(it.y) - (len(lines) - 1) * LINE_H * PX / 2 + 4.5
        for i, (_, txt) in enumerate(lines):
            out.append('<text x="%s" y="%s" text-anchor="middle"%s>%s</text>'
                       % (_n(px(it.x)), _n(first + i * LINE_H * PX),
                          "" if it.kind == "summary" else ' font-style="italic"', _tspans(_minus(txt), 13)))
    out.append("</svg>")
    if w > SCROLL_PX:    # wider than a page: scrolled, not shrunk until unreadable
        out[0] = out[0].replace('role="img"', 'role="img" style="max-width: none"')
        out = ['<div style="overflow-x: auto">'] + out + ["</div>"]
    return "\n".join(out)


__all__ = ["Circuit", "Item", "LONGEST_PARTIAL", "READABLE", "Wire", "pictures", "summary", "svg", "tikz"]
