"""Pictures of the forward network and of the reversed network of the backward pass.

One layout (positions in centimetres, labels as LaTeX and as Unicode) feeds two
emitters: TikZ for LaTeX and inline SVG for HTML and Markdown.

* **forward**: inputs on the left, one column per layer, every edge labelled with its
  weight, every neuron with its activation a and its bias below it;
* **backward**: the lecture's reversed network. Its inputs ∂C/∂a^{(L)}_j sit at the
  output side (right); edges carry the *same* weights from right to left; each neuron is
  an amplifier (a triangle pointing left) that multiplies by σ′(z), and puts out
  δ = ∂C/∂z. The last column collects ∂C/∂x. A softmax output layer is not an
  amplifier but its full Jacobian, drawn as boxes that every input feeds.

A layer wider than :data:`MAX_UNITS` makes the drawing *compact*: each layer shows its
first units, a vertical ellipsis and its last unit, and edges carry no labels.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..network import Network
from ..printing import unicode_name

MAX_UNITS = 6
SHOWN = 4          # units drawn per layer in a compact drawing (plus the last one)
ROW = 2.0          # vertical distance between units (cm)
MAX_WIDTH = 15.5   # widest drawing before TikZ scales it down (cm)


@dataclass(frozen=True)
class Node:
    """``kind``: input, neuron, amplifier, jacobian, source, sink or dots."""

    key: str
    x: float
    y: float
    kind: str
    label: str          # LaTeX inside (or beside) the node
    above: str = ""     # LaTeX above the node
    below: str = ""     # LaTeX below the node


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""     # LaTeX on the edge


@dataclass(frozen=True)
class Diagram:
    name: str           # forward or backward
    nodes: tuple
    edges: tuple
    headers: tuple      # (x, LaTeX) column titles
    compact: bool
    width: float
    height: float


def _shown(n: int) -> list:
    """Unit numbers drawn for a layer of n units; None stands for the ellipsis."""
    if n <= MAX_UNITS:
        return list(range(1, n + 1))
    return list(range(1, SHOWN + 1)) + [None, n]


def _column_step(columns: int) -> float:
    return min(3.4, max(2.2, MAX_WIDTH / max(columns - 1, 1)))


def _ys(count: int) -> list:
    return [((count - 1) / 2 - i) * ROW for i in range(count)]


def _act_latex(act) -> str:
    return act.latex if act.name != "identity" else r"\operatorname{id}"


def forward(net: Network) -> Diagram:
    compact = max(net.sizes) > MAX_UNITS
    step = _column_step(net.L + 1)
    nodes, edges, headers, keys = [], [], [], {}
    for l, n in enumerate(net.sizes):
        shown = _shown(n)
        x = l * step
        headers.append((x, r"\text{input}" if l == 0 else _act_latex(net.activations[l - 1])))
        for j, y in zip(shown, _ys(len(shown))):
            if j is None:
                nodes.append(Node(f"f{l}dots", x, y, "dots", r"\vdots"))
                continue
            key = f"f{l}n{j}"
            keys[l, j] = key
            if l == 0:
                nodes.append(Node(key, x, y, "input", net.x(j).name))
            else:
                nodes.append(Node(key, x, y, "neuron", net.a(l, j).name,
                                  below="+" + net.b(l, j).name if not compact else ""))
    for l in range(1, net.L + 1):
        for j in _shown(net.sizes[l]):
            for k in _shown(net.sizes[l - 1]):
                if j is None or k is None:
                    continue
                label = "" if compact else net.w(l, j, k).name
                edges.append(Edge(keys[l - 1, k], keys[l, j], label))
    return _diagram("forward", nodes, edges, headers, compact)


def backward(net: Network) -> Diagram:
    compact = max(net.sizes) > MAX_UNITS
    step = _column_step(net.L + 2)
    nodes, edges, headers, keys = [], [], [], {}
    L = net.L
    out_act = net.activations[-1]
    for l in range(0, L + 2):
        x = l * step
        n = net.sizes[min(l, L)]
        shown = _shown(n)
        if l == 0:
            headers.append((x, r"\partial C / \partial x"))
        elif l == L + 1:
            headers.append((x, r"\partial C / \partial a%s" % _mark(net, L)))
        elif l == L and not out_act.elementwise:
            headers.append((x, r"\text{Jacobian of } %s" % _act_latex(out_act)))
        else:
            headers.append((x, r"\times %s'" % _act_latex(net.activations[l - 1])))
        for j, y in zip(shown, _ys(len(shown))):
            if j is None:
                nodes.append(Node(f"b{l}dots", x, y, "dots", r"\vdots"))
                continue
            key = f"b{l}n{j}"
            keys[l, j] = key
            if l == 0:
                nodes.append(Node(key, x, y, "sink", _partial(net.x(j).name)))
            elif l == L + 1:
                nodes.append(Node(key, x, y, "source", _partial(net.a(L, j).name)))
            else:
                act = net.activations[l - 1]
                kind = "amplifier" if act.elementwise else "jacobian"
                z = net.z(l, j).name
                above = r"%s'\left(%s\right)" % (_act_latex(act), z) if not compact else ""
                nodes.append(Node(key, x, y, kind, "", above=above,
                                  below=net.delta(l, j).name if not compact else ""))
    for j in _shown(net.sizes[L]):
        if j is None:
            continue
        if out_act.elementwise:
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
                label = "" if compact else net.w(l, j, k).name
                edges.append(Edge(keys[l, j], keys[l - 1, k], label))
    return _diagram("backward", nodes, edges, headers, compact)


def _mark(net: Network, l) -> str:
    return "^{[%s]}" % l if net.notation.style == "bracket" else "^{(%s)}" % l


def _partial(name: str) -> str:
    return r"\partial C / \partial %s" % name


def _diagram(name, nodes, edges, headers, compact) -> Diagram:
    xs = [n.x for n in nodes]
    ys = [n.y for n in nodes]
    return Diagram(name, tuple(nodes), tuple(edges), tuple(headers), compact,
                   max(xs) - min(xs), max(ys) - min(ys))


# --- TikZ --------------------------------------------------------------------------------

_TIKZ_STYLE = {
    "input": "circle, draw, fill=black!5, minimum size=9mm, inner sep=1pt",
    "neuron": "circle, draw, fill=blue!8, minimum size=9mm, inner sep=1pt",
    "amplifier": "isosceles triangle, shape border rotate=180, draw, fill=orange!15, "
                 "minimum size=7mm, inner sep=1pt",
    "jacobian": "rectangle, draw, fill=orange!15, minimum size=7mm",
    "source": "rectangle, draw, fill=black!5, inner sep=2pt",
    "sink": "rectangle, draw, fill=black!5, inner sep=2pt",
    "dots": "inner sep=0pt",
}


#: Where a weight sits along its edge, from the edge's source: near the inputs in the
#: forward network, near the receiving amplifier in the reversed one (clear of the
#: σ′(z) and δ labels of the node the edge leaves).
_LABEL_POS = {"forward": 0.3, "backward": 0.72}


def tikz(d: Diagram) -> str:
    """A ``tikzpicture`` (scaled to the line width when wider than the page)."""
    out = [r"\begin{tikzpicture}[>=latex, every label/.style={font=\scriptsize}]"]
    top = max(n.y for n in d.nodes) + ROW * 0.75
    for x, title in d.headers:
        out.append(r"  \node[font=\small] at (%s,%s) {$%s$};" % (_cm(x), _cm(top), title))
    for n in d.nodes:
        options = [_TIKZ_STYLE[n.kind]]
        if n.above:
            options.append("label={above:$%s$}" % n.above)
        if n.below:
            options.append("label={below:$%s$}" % n.below)
        label = "$%s$" % n.label if n.label else ""
        font = r"\small" if n.kind in ("source", "sink") else r"\footnotesize"
        out.append(r"  \node[%s, font=%s] (%s) at (%s,%s) {%s};"
                   % (", ".join(options), font, n.key, _cm(n.x), _cm(n.y), label))
    arrow = "->"
    for e in d.edges:
        color = "black!55" if not e.label else "black!70"
        label = ""
        if e.label:
            label = (r" node[pos=%s, sloped, above=-1pt," % _LABEL_POS[d.name] + r" font=\scriptsize, fill=white, "
                     r"inner sep=0.5pt] {$%s$}" % e.label)
        out.append(r"  \draw[%s, %s] (%s) --%s (%s);" % (arrow, color, e.source, label, e.target))
    out.append(r"\end{tikzpicture}")
    body = "\n".join(out)
    if d.width > MAX_WIDTH:
        body = "\\resizebox{\\linewidth}{!}{%\n" + body + "%\n}"
    return body


def _cm(v: float) -> str:
    text = "%.2f" % v
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- SVG ---------------------------------------------------------------------------------

PX = 48  # pixels per centimetre


def svg(d: Diagram, title: str) -> str:
    """Inline SVG (no blank line inside, so Markdown keeps it as one HTML block)."""
    xs = [n.x for n in d.nodes]
    ys = [n.y for n in d.nodes]
    left, right = min(xs) - 1.6, max(xs) + 1.6
    top, bottom = max(ys) + ROW * 1.05, min(ys) - 0.9
    w, h = (right - left) * PX, (top - bottom) * PX
    px = lambda x: (x - left) * PX      # noqa: E731 - coordinate transforms
    py = lambda y: (top - y) * PX       # noqa: E731
    marker = f"arrow-{d.name}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="network {d.name}" role="img" '
           f'viewBox="0 0 {_n(w)} {_n(h)}" width="{_n(w)}" height="{_n(h)}" '
           f'font-family="serif" font-size="13">',
           f"<title>{html.escape(title)}</title>",
           f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
           f"</marker></defs>"]
    for x, header in d.headers:
        out.append(f'<text x="{_n(px(x))}" y="{_n(py(max(ys) + ROW * 0.75))}" text-anchor="middle" '
                   f'font-style="italic">{_esc(header)}</text>')
    pos = {n.key: n for n in d.nodes}
    for e in d.edges:
        a, b = pos[e.source], pos[e.target]
        x1, y1, x2, y2 = px(a.x), py(a.y), px(b.x), py(b.y)
        dx, dy = x2 - x1, y2 - y1
        length = (dx * dx + dy * dy) ** 0.5
        r1, r2 = _radius(a), _radius(b)
        sx, sy = x1 + dx * r1 / length, y1 + dy * r1 / length
        ex, ey = x2 - dx * r2 / length, y2 - dy * r2 / length
        out.append(f'<line x1="{_n(sx)}" y1="{_n(sy)}" x2="{_n(ex)}" y2="{_n(ey)}" stroke="#666" '
                   f'stroke-width="1" marker-end="url(#{marker})"/>')
        if e.label:
            lx, ly = x1 + dx * _LABEL_POS[d.name], y1 + dy * _LABEL_POS[d.name]
            angle = _angle(dx, dy)
            out.append(f'<text x="{_n(lx)}" y="{_n(ly - 3)}" text-anchor="middle" font-size="11" '
                       f'transform="rotate({_n(angle)} {_n(lx)} {_n(ly)})" stroke="white" '
                       f'stroke-width="3" paint-order="stroke">{_esc(e.label)}</text>')
    for n in d.nodes:
        x, y = px(n.x), py(n.y)
        out.append(_shape(n, x, y))
        if n.label:
            size = "15" if n.kind == "dots" else "13"
            out.append(f'<text x="{_n(x)}" y="{_n(y + 4.5)}" text-anchor="middle" font-size="{size}">'
                       f"{_esc(n.label)}</text>")
        if n.above:
            out.append(f'<text x="{_n(x)}" y="{_n(y - 22)}" text-anchor="middle" font-size="11">'
                       f"{_esc(n.above)}</text>")
        if n.below:
            out.append(f'<text x="{_n(x)}" y="{_n(y + 33)}" text-anchor="middle" font-size="11">'
                       f"{_esc(n.below)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def _radius(n: Node) -> float:
    return {"input": 22, "neuron": 22, "amplifier": 16, "jacobian": 16, "source": 30,
            "sink": 30, "dots": 10}[n.kind]


def _shape(n: Node, x: float, y: float) -> str:
    if n.kind in ("input", "neuron"):
        fill = "#eef" if n.kind == "neuron" else "#f4f4f4"
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="21" fill="{fill}" stroke="#333"/>'
    if n.kind == "amplifier":
        points = f"{_n(x - 16)},{_n(y)} {_n(x + 14)},{_n(y - 15)} {_n(x + 14)},{_n(y + 15)}"
        return f'<polygon points="{points}" fill="#fde8cf" stroke="#333"/>'
    if n.kind == "jacobian":
        return (f'<rect x="{_n(x - 15)}" y="{_n(y - 15)}" width="30" height="30" fill="#fde8cf" '
                f'stroke="#333"/>')
    if n.kind in ("source", "sink"):
        return (f'<rect x="{_n(x - 30)}" y="{_n(y - 14)}" width="60" height="28" fill="#f4f4f4" '
                f'stroke="#333"/>')
    return ""


def _angle(dx: float, dy: float) -> float:
    import math
    angle = math.degrees(math.atan2(dy, dx))
    if angle > 90:
        angle -= 180
    elif angle < -90:
        angle += 180
    return angle


def _esc(tex: str) -> str:
    return html.escape(svg_text(tex))


def svg_text(tex: str) -> str:
    """A diagram label in Unicode: ``\\frac{\\partial C}{\\partial x_{1}}`` → ``∂C/∂x₁``."""
    for old, new in ((r"\text{input}", "input"), (r"\vdots", "⋮"), (r"\times ", "×"),
                     (r"\text{Jacobian of } ", "Jacobian of "), (r"\partial C / \partial ", "∂C/∂"),
                     (r"\left(", "("), (r"\right)", ")"), (r"\operatorname{id}", "id"),
                     (r"\operatorname{ReLU}", "ReLU"), (r"\operatorname{softmax}", "softmax"),
                     (r"\tanh", "tanh")):
        tex = tex.replace(old, new)
    tex = tex.replace("'", "′")
    return unicode_name(tex)


def _n(v: float) -> str:
    text = "%.1f" % v
    return "0" if text == "-0.0" else text.rstrip("0").rstrip(".") if "." in text else text


__all__ = ["Diagram", "Edge", "MAX_UNITS", "Node", "backward", "forward", "svg", "svg_text", "tikz"]
