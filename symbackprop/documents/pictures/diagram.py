"""Pictures of the forward network and of the reversed network of the backward pass.

One layout (positions in centimetres, every label placed as a box) feeds two emitters:
TikZ for LaTeX and inline SVG for HTML and Markdown, so the two pictures agree.

* **forward**: inputs on the left, one column per layer, every neuron with its
  activation a and its bias below it; edges carry their weights where that stays
  readable (see below);
* **backward**: the lecture's reversed network. Its inputs ∂C/∂a_j sit at the output
  side (right); edges carry the *same* weights from right to left; each neuron is an
  amplifier (a triangle pointing left) that multiplies by σ′(z), and puts out
  δ = ∂C/∂z. The last column collects ∂C/∂x. A softmax output layer is not an
  amplifier but its Jacobian ∂a/∂z: box j sums Σᵢ ∂aᵢ/∂z_j · ∂C/∂aᵢ, fed by every input.

Labels never overlap each other or a node. The weights of a layer pair are written on
its edges when the pair is small (its narrower side at most :data:`LABEL_GROUPS`
units, its wider side at most :data:`LABEL_FAN`): the labels of the edges that meet at
one unit of the narrower side stand in one vertical column, one column per unit, so
that crossing edges carry their labels at different places. A wider pair is drawn
without labels and the document lists its weights in a table. A layer wider than
:data:`MAX_UNITS` makes the drawing *compact*: each layer shows its first
:data:`SHOWN` units, a vertical ellipsis and its last unit.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from ...notation.accents import MARKS
from ...builders.network import Network
from ...notation.numerals import length
from ...notation.printing import unicode_name
from ...notation.scripts import SCRIPTS

MAX_UNITS = 5      # a layer wider than this is drawn compact
SHOWN = 2          # units drawn per layer in a compact drawing (plus the ellipsis and the last)
LABEL_GROUPS = 4   # a pair's narrower side at most this wide: weights on the edges
LABEL_FAN = 6      # ... and its wider side at most this wide
ROW = 2.0          # vertical distance between units (cm)
MAX_WIDTH = 16.0   # widest drawing before TikZ scales it down to the line (cm)
PAD = 0.25         # clearance between a label and a node or another label (cm)

#: Font sizes: SVG pixels and the TikZ size that matches them at 100 %.
FONTS = {"header": (16, r"\small"), "node": (16, r"\small"), "side": (14, r"\footnotesize"),
         "edge": (14, r"\footnotesize"), "dots": (18, r"\normalsize")}
PX = 48  # SVG pixels per centimetre
MIN_LABELLED_STEP = 3.2  # cm between two columns whose edges carry labels


@dataclass(frozen=True)
class Node:
    """``kind``: input, neuron, amplifier, jacobian, source, sink or dots."""

    key: str
    x: float
    y: float
    kind: str
    label: str          # LaTeX inside the node
    above: str = ""     # LaTeX above the node
    below: str = ""     # LaTeX below the node


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""     # LaTeX on the edge


@dataclass(frozen=True)
class Label:
    """A placed piece of text: centre (x, y) in cm, ``size`` a key of :data:`FONTS`,
    ``w`` × ``h`` its estimated box in cm; an ``edge`` label is drawn on a white ground."""

    x: float
    y: float
    tex: str
    size: str
    w: float
    h: float

    def box(self) -> tuple:
        return (self.x - self.w / 2, self.y - self.h / 2, self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class Diagram:
    name: str           # forward or backward
    nodes: tuple
    edges: tuple
    headers: tuple      # (x, LaTeX) column titles
    compact: bool
    width: float
    height: float
    labels: tuple = ()       # every placed label (headers, node texts, edge weights)
    unlabelled: tuple = ()   # layers l whose edges (from layer l − 1) carry no weights

    def svg(self, title: str) -> str:
        return svg(self, title)

    def latex_figure(self, caption: str) -> str:
        """The picture, centred, and its caption (LaTeX prose) below it."""
        return "\n".join([r"\begin{center}", tikz(self), r"\end{center}",
                          r"\begin{center}\begin{minipage}{0.9\linewidth}\small " + caption
                          + r"\end{minipage}\end{center}"])


# --- text sizes ---------------------------------------------------------------------------

_SCRIPT = SCRIPTS | set(MARKS.values())      # and an accent's mark, the hat of ŷ
_NARROW = set("ijlrtf()[]′',.:;/ |!")
_WIDE = set("mwMW∂=+−×⋮")


def text_width(text: str) -> float:
    """Estimated width of Unicode text in em of a serif font (DejaVu Serif, the widest
    of the usual defaults; measured in Chromium: scripts 0.32 em, m 0.78 em)."""
    total = 0.0
    for ch in text:
        if ch in _SCRIPT:
            total += 0.34
        elif ch in _NARROW:
            total += 0.42
        elif ch in _WIDE:
            total += 0.84
        else:
            total += 0.68
    return total


def _em(size: str) -> float:
    return FONTS[size][0] / PX


def label(x: float, y: float, tex: str, size: str) -> Label:
    em = _em(size)
    stacked = "^" in tex and "_" in tex      # TeX stacks a superscript over a subscript
    return Label(x, y, tex, size, text_width(svg_text(tex)) * em + 0.06, (1.6 if stacked else 1.2) * em)


# --- layout -------------------------------------------------------------------------------

def _shown(n: int) -> list:
    """Unit numbers drawn for a layer of n units; None stands for the ellipsis."""
    if n <= MAX_UNITS:
        return list(range(1, n + 1))
    return list(range(1, SHOWN + 1)) + [None, n]


def _ys(count: int) -> list:
    return [((count - 1) / 2 - i) * ROW for i in range(count)]


def _act_latex(act) -> str:
    return act.latex if act.name != "identity" else r"\operatorname{id}"


def _forward_header(act) -> str:
    """One style for every layer: what the layer computes."""
    if act.is_identity:
        return "a = z"
    return r"a = %s(z)" % act.latex


def _backward_header(act) -> str:
    if not act.elementwise:
        return r"\times \partial a / \partial z"
    if act.is_identity:
        return r"\times 1"
    return r"\times %s'(z)" % act.latex


def _half_width(node: Node) -> float:
    """Half the width of a node's shape (cm)."""
    if node.kind in ("input", "neuron"):
        return 0.45
    if node.kind in ("amplifier", "jacobian"):
        return 0.33
    if node.kind in ("source", "sink"):
        return label(0, 0, node.label, "node").w / 2 + 0.1
    return 0.2


def _half_height(node: Node) -> float:
    if node.kind in ("input", "neuron"):
        return 0.45
    if node.kind in ("amplifier", "jacobian"):
        return 0.32
    if node.kind in ("source", "sink"):
        return 0.3
    return 0.25


def _clearance(column: list) -> float:
    """How far from a column's centre line edge labels must stay (cm)."""
    out = 0.2
    for n in column:
        out = max(out, _half_width(n))
        for tex in (n.above, n.below):
            if tex:
                out = max(out, label(0, 0, tex, "side").w / 2)
    return out + PAD


def _groups(pair) -> tuple:
    """For a pair of columns (left units, right units): which side groups the labels."""
    left, right = pair
    return "left" if len(left) <= len(right) else "right"


def _layout(name: str, columns: list, edges: list, labelled: set, headers: list,
            compact: bool, unlabelled: tuple) -> Diagram:
    """Place the columns left to right and every label.

    ``columns`` is a list of lists of nodes with x = 0 (their y set); ``edges`` join
    keys; ``labelled`` holds the column indices c whose edges to column c − 1 carry
    labels; ``headers`` one LaTeX title per column."""
    where = {n.key: c for c, col in enumerate(columns) for n in col}
    xs = [0.0]
    placements = {}
    for c in range(1, len(columns)):
        left, right = columns[c - 1], columns[c]
        clear_l, clear_r = _clearance(left), _clearance(right)
        pair_edges = [e for e in edges if {where[e.source], where[e.target]} == {c - 1, c}]
        if c in labelled and any(e.label for e in pair_edges):
            step, placed = _label_pair(left, right, pair_edges, clear_l, clear_r)
            placements[c] = placed
        else:
            unit_edges = len(left) == len(right) and len(pair_edges) == len(left)
            step = clear_l + clear_r + (0.9 if unit_edges else 1.7)
        xs.append(xs[-1] + step)
    nodes, labels = [], []
    for c, col in enumerate(columns):
        for n in col:
            nodes.append(Node(n.key, xs[c], n.y, n.kind, n.label, n.above, n.below))
    top = max(n.y for n in nodes)
    for c, title in enumerate(headers):
        labels.append(label(xs[c], top + ROW * 0.75, title, "header"))
    for n in nodes:
        if n.label:
            labels.append(label(n.x, n.y, n.label, "dots" if n.kind == "dots" else "node"))
        for tex, sign in ((n.above, 1), (n.below, -1)):
            if tex:
                h = label(0, 0, tex, "side").h
                labels.append(label(n.x, n.y + sign * (_half_height(n) + 0.04 + h / 2), tex, "side"))
    for c, placed in placements.items():
        for (dx_from, side, t_y, tex) in placed:
            x = xs[c - 1] + dx_from if side == "left" else xs[c] - dx_from
            labels.append(label(x, t_y, tex, "edge"))
    edges = tuple(edges)
    xs_all = [n.x for n in nodes]
    ys_all = [n.y for n in nodes]
    return Diagram(name, tuple(nodes), edges, tuple((xs[c], h) for c, h in enumerate(headers)), compact,
                   max(xs_all) - min(xs_all), max(ys_all) - min(ys_all), tuple(labels), unlabelled)


def _label_pair(left, right, pair_edges, clear_l, clear_r):
    """The step between two columns and the place of every edge label: the labels of
    the edges at unit g of the narrower side stand in column g, at distance d_g from it;
    the labels of one column are ``t·ROW`` apart (t = d_g / step), enough for their height."""
    side = _groups((left, right))
    group_nodes = left if side == "left" else right
    clear_g, clear_o = (clear_l, clear_r) if side == "left" else (clear_r, clear_l)
    texts = [e.label for e in pair_edges if e.label]
    W = max(label(0, 0, t, "edge").w for t in texts)
    H = label(0, 0, texts[0], "edge").h
    m = len(group_nodes)
    need = (H + PAD / 2) / ROW           # the smallest t that keeps one column's labels apart
    rest = (m - 1) * (W + PAD) + W / 2 + clear_o
    step = max(MIN_LABELLED_STEP, clear_g + m * W + (m - 1) * PAD + clear_o, rest / (1 - need) + 0.01)
    first = max(clear_g + W / 2, need * step)
    if first + rest > step:
        step = first + rest
    last = step - clear_o - W / 2        # the columns spread evenly from first to last
    gap = (last - first) / (m - 1) if m > 1 else 0.0
    ys = {n.key: n.y for n in left + right}
    placed = []
    for g, gnode in enumerate(group_nodes):
        d = first + g * gap
        t = d / step
        for e in pair_edges:
            if not e.label or gnode.key not in (e.source, e.target):
                continue
            other = e.target if e.source == gnode.key else e.source
            y = gnode.y + t * (ys[other] - gnode.y)
            placed.append((d, side, y, e.label))
    return step, placed


def _column(nodes: list) -> list:
    return nodes


def forward(net: Network) -> Diagram:
    compact = max(net.sizes) > MAX_UNITS
    columns, edges, headers, keys = [], [], [], {}
    for l, n in enumerate(net.sizes):
        shown = _shown(n)
        headers.append(r"\text{input}" if l == 0 else _forward_header(net.activations[l - 1]))
        col = []
        for j, y in zip(shown, _ys(len(shown))):
            if j is None:
                col.append(Node(f"f{l}dots", 0, y, "dots", r"\vdots"))
                continue
            key = f"f{l}n{j}"
            keys[l, j] = key
            if l == 0:
                col.append(Node(key, 0, y, "input", net.x(j).name))
            else:
                col.append(Node(key, 0, y, "neuron", net.a(l, j).name,
                                below="+" + net.b(l, j).name if not compact else ""))
        columns.append(col)
    labelled = {l for l in range(1, net.L + 1) if _labels_fit(net, l, compact)}
    for l in range(1, net.L + 1):
        for j in _shown(net.sizes[l]):
            for k in _shown(net.sizes[l - 1]):
                if j is None or k is None:
                    continue
                label_ = net.w(l, j, k).name if l in labelled else ""
                edges.append(Edge(keys[l - 1, k], keys[l, j], label_))
    unlabelled = tuple(l for l in range(1, net.L + 1) if l not in labelled)
    return _layout("forward", columns, edges, labelled, headers, compact, unlabelled)


def _labels_fit(net: Network, l: int, compact: bool) -> bool:
    """Whether the weights from layer l − 1 to layer l are written on the edges."""
    a, b = net.sizes[l - 1], net.sizes[l]
    return not compact and min(a, b) <= LABEL_GROUPS and max(a, b) <= LABEL_FAN


def backward(net: Network) -> Diagram:
    """The reversed network: ∂C/∂a enters at the right, each neuron an amplifier σ′(z)
    (a Jacobian for a softmax layer), the inputs' ∂C/∂x leave at the left."""
    compact = max(net.sizes) > MAX_UNITS
    columns, headers, keys = [], [], {}
    L = net.L
    for l in range(0, L + 2):
        shown = _shown(net.sizes[min(l, L)])
        headers.append(_reversed_header(net, l))
        col = []
        for j, y in zip(shown, _ys(len(shown))):
            if j is None:
                col.append(Node(f"b{l}dots", 0, y, "dots", r"\vdots"))
                continue
            keys[l, j] = f"b{l}n{j}"
            col.append(_reversed_node(net, l, j, keys[l, j], y, compact))
        columns.append(col)
    labelled = {l for l in range(1, L + 1) if _labels_fit(net, l, compact)}
    edges = _reversed_edges(net, keys, labelled)
    unlabelled = tuple(l for l in range(1, L + 1) if l not in labelled)
    return _layout("backward", columns, edges, labelled, headers, compact, unlabelled)


def _reversed_header(net: Network, l: int) -> str:
    """The title of column ``l`` of the reversed network (L + 1: the cost's side)."""
    if l == 0:
        return r"\partial C / \partial x" if _default_names(net, "inputs") else r"\text{inputs}"
    if l == net.L + 1:
        return (r"\partial C / \partial a%s" % _mark(net, net.L) if _default_names(net, "outputs")
                else r"\text{from the cost}")
    return _backward_header(net.activations[l - 1])


def _reversed_node(net: Network, l: int, j: int, key: str, y: float, compact: bool) -> Node:
    """Unit ``j`` of column ``l``: a sink ∂C/∂x, a source ∂C/∂a, or an amplifier (Jacobian)."""
    if l == 0:
        return Node(key, 0, y, "sink", _partial(net.x(j).name))
    if l == net.L + 1:
        return Node(key, 0, y, "source", _partial(net.a(net.L, j).name))
    act = net.activations[l - 1]
    z = net.z(l, j).name
    if act.elementwise:
        kind = "amplifier"
        above = r"%s'(%s)" % (_act_latex(act), z)
    else:
        kind = "jacobian"
        above = r"\sum_i \partial a_i / \partial %s" % z
    return Node(key, 0, y, kind, "", above=above if not compact else "",
                below=net.delta(l, j).name if not compact else "")


def _reversed_edges(net: Network, keys: dict, labelled: set) -> list:
    """From the cost's side into the output layer (every output into every unit of a
    softmax layer), then right to left over the weights, labelled in ``labelled`` layers."""
    L = net.L
    edges = []
    for j in _shown(net.sizes[L]):
        if j is None:
            continue
        if net.activations[-1].elementwise:
            edges.append(Edge(keys[L + 1, j], keys[L, j]))
        else:
            for i in _shown(net.sizes[L]):
                if i is not None:
                    edges.append(Edge(keys[L + 1, i], keys[L, j]))
    for l in range(L, 0, -1):
        for j in _shown(net.sizes[l]):
            for k in _shown(net.sizes[l - 1]):
                if j is None or k is None:
                    continue
                label_ = net.w(l, j, k).name if l in labelled else ""
                edges.append(Edge(keys[l, j], keys[l - 1, k], label_))
    return edges


def _default_names(net: Network, which: str) -> bool:
    """Whether the inputs (or outputs) carry the notation's default names x_k (a_j)."""
    n = net.notation
    if which == "inputs":
        return not n._inputs
    return n.style != "lecture" and not n._own(net.L, "neurons")


def _mark(net: Network, l) -> str:
    return "^{[%s]}" % l if net.notation.style == "bracket" else "^{(%s)}" % l


def _partial(name: str) -> str:
    return r"\partial C / \partial %s" % name


def boxes(d: Diagram) -> list:
    """(box, what) for every label and every node shape: the things that must not overlap."""
    out = [(lab.box(), "label:" + lab.tex) for lab in (d.labels or ())]
    for n in d.nodes:
        if n.kind == "dots":
            continue
        w, h = _half_width(n), _half_height(n)
        out.append(((n.x - w, n.y - h, n.x + w, n.y + h), "node:" + n.key))
    return out


def overlaps(d: Diagram) -> list:
    """Pairs of boxes that intersect, except a node and the text inside it."""
    items = boxes(d)
    inside = {(n.x, n.y) for n in d.nodes}
    found = []
    for i, (a, what_a) in enumerate(items):
        for b, what_b in items[i + 1:]:
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                kinds = {what_a.split(":")[0], what_b.split(":")[0]}
                if kinds == {"label", "node"}:
                    lab = a if what_a.startswith("label") else b
                    if ((lab[0] + lab[2]) / 2, (lab[1] + lab[3]) / 2) in inside:
                        continue          # the node's own text
                found.append((what_a, what_b))
    return found


# --- TikZ --------------------------------------------------------------------------------

_TIKZ_STYLE = {
    "input": "circle, draw, fill=black!5, minimum size=9mm, inner sep=1pt",
    "neuron": "circle, draw, fill=blue!8, minimum size=9mm, inner sep=1pt",
    "amplifier": "isosceles triangle, shape border rotate=180, draw, fill=orange!15, "
                 "minimum width=6.2mm, minimum height=6.6mm, isosceles triangle stretches, inner sep=0pt",
    "jacobian": "rectangle, draw, fill=orange!15, minimum size=6.4mm",
    "source": "rectangle, draw, fill=black!5, inner sep=2pt, minimum height=6mm",
    "sink": "rectangle, draw, fill=black!5, inner sep=2pt, minimum height=6mm",
    "dots": "inner sep=0pt",
}


def tikz(d: Diagram) -> str:
    """A ``tikzpicture`` (scaled to the line width when wider than the page)."""
    labels = d.labels or _fallback_labels(d)
    out = [r"\begin{tikzpicture}[>=latex]"]
    for n in d.nodes:
        text = "$%s$" % n.label if n.label else ""
        font = FONTS["dots" if n.kind == "dots" else "node"][1]
        out.append(r"  \node[%s, font=%s] (%s) at (%s,%s) {%s};"
                   % (_TIKZ_STYLE[n.kind], font, n.key, _cm(n.x), _cm(n.y), text))
    for e in d.edges:
        out.append(r"  \draw[->, black!60] (%s) -- (%s);" % (e.source, e.target))
    inside = {(n.x, n.y) for n in d.nodes}
    for lab in labels:
        if (lab.x, lab.y) in inside and lab.size in ("node", "dots"):
            continue              # drawn inside its node
        ground = ", fill=white, inner sep=0.6pt" if lab.size == "edge" else ", inner sep=0pt"
        out.append(r"  \node[font=%s%s] at (%s,%s) {$%s$};"
                   % (FONTS[lab.size][1], ground, _cm(lab.x), _cm(lab.y), lab.tex))
    out.append(r"\end{tikzpicture}")
    body = "\n".join(out)
    if _extent(d, labels)[2] - _extent(d, labels)[0] > MAX_WIDTH:
        body = "\\resizebox{\\linewidth}{!}{%\n" + body + "%\n}"
    return body


def _extent(d: Diagram, labels) -> tuple:
    items = [b for b, _ in boxes(d)] + [lab.box() for lab in labels]
    return (min(b[0] for b in items), min(b[1] for b in items), max(b[2] for b in items),
            max(b[3] for b in items))


def _fallback_labels(d: Diagram) -> tuple:
    """Labels of a Diagram built without placed labels: headers and node texts only."""
    out = []
    top = max(n.y for n in d.nodes) if d.nodes else 0
    for x, title in d.headers:
        out.append(label(x, top + ROW * 0.75, title, "header"))
    for n in d.nodes:
        if n.label:
            out.append(label(n.x, n.y, n.label, "dots" if n.kind == "dots" else "node"))
        for tex, sign in ((n.above, 1), (n.below, -1)):
            if tex:
                h = label(0, 0, tex, "side").h
                out.append(label(n.x, n.y + sign * (_half_height(n) + 0.04 + h / 2), tex, "side"))
    return tuple(out)


def _cm(v: float) -> str:
    return length(v, 2)


# --- SVG ---------------------------------------------------------------------------------

def svg(d: Diagram, title: str) -> str:
    """Inline SVG (no blank line inside, so Markdown keeps it as one HTML block)."""
    labels = d.labels or _fallback_labels(d)
    x0, y0, x1, y1 = _extent(d, labels)
    left, right, top, bottom = x0 - 0.3, x1 + 0.3, y1 + 0.3, y0 - 0.3
    w, h = (right - left) * PX, (top - bottom) * PX
    px = lambda x: (x - left) * PX      # noqa: E731 - coordinate transforms
    py = lambda y: (top - y) * PX       # noqa: E731
    marker = f"arrow-{d.name}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="network {d.name}" role="img" '
           f'viewBox="0 0 {_n(w)} {_n(h)}" width="{_n(w)}" height="{_n(h)}" '
           f'font-family="serif" font-size="{FONTS["node"][0]}">',
           f"<title>{html.escape(title)}</title>",
           f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
           f"</marker></defs>"]
    pos = {n.key: n for n in d.nodes}
    for e in d.edges:
        a, b = pos[e.source], pos[e.target]
        x1_, y1_, x2_, y2_ = px(a.x), py(a.y), px(b.x), py(b.y)
        dx, dy = x2_ - x1_, y2_ - y1_
        length = math.hypot(dx, dy)
        r1, r2 = _radius(a, dx, dy), _radius(b, dx, dy)
        sx, sy = x1_ + dx * r1 / length, y1_ + dy * r1 / length
        ex, ey = x2_ - dx * r2 / length, y2_ - dy * r2 / length
        out.append(f'<line x1="{_n(sx)}" y1="{_n(sy)}" x2="{_n(ex)}" y2="{_n(ey)}" stroke="#777" '
                   f'stroke-width="1" marker-end="url(#{marker})"/>')
    for n in d.nodes:
        out.append(_shape(n, px(n.x), py(n.y)))
    for lab in labels:
        size = FONTS[lab.size][0]
        # the baseline sits about 0.35 em below the centre of the text's box
        y = py(lab.y) + 0.35 * size
        extra = ' stroke="white" stroke-width="4" paint-order="stroke"' if lab.size == "edge" else ""
        style = ' font-style="italic"' if lab.size == "header" else ""
        out.append(f'<text x="{_n(px(lab.x))}" y="{_n(y)}" text-anchor="middle" font-size="{size}"'
                   f'{style}{extra}>{_esc(lab.tex)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _radius(n: Node, dx: float, dy: float) -> float:
    """Distance (px) from a node's centre to its border along the direction (dx, dy)."""
    if n.kind in ("input", "neuron"):
        return 0.45 * PX
    w, h = _half_width(n) * PX, _half_height(n) * PX
    if n.kind == "dots":
        return 10
    ax, ay = abs(dx) or 1e-9, abs(dy) or 1e-9
    return min(w / ax, h / ay) * math.hypot(ax, ay)


def _shape(n: Node, x: float, y: float) -> str:
    w, h = _half_width(n) * PX, _half_height(n) * PX
    if n.kind in ("input", "neuron"):
        fill = "#eef" if n.kind == "neuron" else "#f4f4f4"
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(0.45 * PX)}" fill="{fill}" stroke="#333"/>'
    if n.kind == "amplifier":
        points = f"{_n(x - w)},{_n(y)} {_n(x + w)},{_n(y - h)} {_n(x + w)},{_n(y + h)}"
        return f'<polygon points="{points}" fill="#fde8cf" stroke="#333"/>'
    if n.kind in ("jacobian", "source", "sink"):
        fill = "#fde8cf" if n.kind == "jacobian" else "#f4f4f4"
        return (f'<rect x="{_n(x - w)}" y="{_n(y - h)}" width="{_n(2 * w)}" height="{_n(2 * h)}" '
                f'fill="{fill}" stroke="#333"/>')
    return ""


def _esc(tex: str) -> str:
    return html.escape(svg_text(tex))


def svg_text(tex: str) -> str:
    """A diagram label in Unicode: ``\\partial C / \\partial x_{1}`` → ``∂C/∂x₁``."""
    for old, new in ((r"\text{input}", "input"), (r"\text{inputs}", "inputs"),
                     (r"\text{from the cost}", "from the cost"), (r"\vdots", "⋮"), (r"\times ", "× "),
                     (r"\sum_i ", "Σᵢ "), (r"\partial C / \partial ", "∂C/∂"),
                     (r"\partial a / \partial z", "∂a/∂z"), (r"\partial a_i / \partial ", "∂aᵢ/∂"),
                     (r"\left(", "("), (r"\right)", ")"), (r"\operatorname{id}", "id"),
                     (r"\operatorname{ReLU}", "ReLU"), (r"\operatorname{softmax}", "softmax"),
                     (r"\tanh", "tanh")):
        tex = tex.replace(old, new)
    tex = tex.replace("'", "′")
    return unicode_name(tex)


def _n(v: float) -> str:
    return length(v, 1)


__all__ = ["Diagram", "Edge", "Label", "MAX_UNITS", "Node", "backward", "boxes", "forward", "overlaps",
           "svg", "svg_text", "text_width", "tikz"]
