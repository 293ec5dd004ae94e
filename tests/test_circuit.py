"""The pictures of any graph: the forward and the reversed graph (documents/circuit.py).

Geometry first: on every graph example and on a random graph of 40 nodes, no two boxes
(nodes and wire labels) overlap and no wire passes through a box that is not its own.
Then what the pictures say, and that they are the same bytes in every process."""

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import symbackprop as sb
from symbackprop.documents.pictures import circuit
from symbackprop.documents.numbers import evaluated

ROOT = Path(__file__).resolve().parent.parent
GRAPH_EXAMPLES = ["circuit", "sigmoid_neuron", "residual", "rnn", "minibatch"]
EPS = 1e-6


def pictures_of(derivation):
    values, _ = evaluated(derivation, None)
    return circuit.pictures(derivation, values if hasattr(values, "numbers") else None)


def overlap(a, b) -> bool:
    return a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS


def segment_hits_box(p, q, box) -> bool:
    """Whether the segment p–q passes through the inside of box (Liang–Barsky clipping)."""
    x0, y0, x1, y1 = box[0] + EPS, box[1] + EPS, box[2] - EPS, box[3] - EPS
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for d, lo, hi, v in ((dx, x0, x1, p[0]), (dy, y0, y1, p[1])):
        if abs(d) < 1e-12:
            if v <= lo or v >= hi:
                return False
            continue
        a, b = (lo - v) / d, (hi - v) / d
        if a > b:
            a, b = b, a
        t0, t1 = max(t0, a), min(t1, b)
        if t0 >= t1:
            return False
    return True


def problems(picture) -> list:
    out = []
    for it in picture.items:          # everything inside the picture
        if it.box[0] < -EPS or it.box[1] < -EPS or it.box[2] > picture.width + EPS or it.box[3] > picture.height + EPS:
            out.append(("outside", it.key))
    for w in picture.wires:
        if any(x < -EPS or y < -EPS or x > picture.width + EPS or y > picture.height + EPS for x, y in w.points):
            out.append(("outside", w.source, w.target))
    boxes = [it for it in picture.items]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if overlap(a.box, b.box):
                out.append(("overlap", a.key, b.key))
    for w in picture.wires:
        own = {w.source, w.target}
        own_labels = {it.key for it in picture.labels if _edge_key(it.key) == _wire_index(picture, w)}
        for p, q in zip(w.points, w.points[1:]):
            for it in boxes:
                if it.key in own or it.key in own_labels:
                    continue
                if segment_hits_box(p, q, it.box):
                    out.append(("crossing", w.source, w.target, it.key))
    return out


def _edge_key(label_key: str) -> int:
    return int(label_key[1:].split("c")[0]) - 1


def _wire_index(picture, wire) -> int:
    return picture.wires.index(wire)


def random_graph(nodes: int, seed: int) -> sb.Graph:
    rng = random.Random(seed)
    values = {}
    g = sb.Graph(title="A random graph of %d nodes" % nodes)
    pool = []
    for i in range(1, 9):
        pool.append(g.input("x_{%d}" % i))
        values["x_{%d}" % i] = rng.choice([-2, -1, 1, 2, 3])
    for i in range(1, nodes - 9 + 1):       # 8 inputs, these and f
        k = rng.choice([1, 2, 2, 3])
        parents = rng.sample(pool[-12:], min(k, len(pool[-12:])))
        expr = sympy.Add(*parents) if rng.random() < 0.5 else sympy.Mul(*parents[:2])
        if len(parents) == 1:
            expr = parents[0] * 2
        pool.append(g.define("v_{%d}" % i, expr))
    unused = [s for s in pool if s not in g.inputs and not g.nodes[s].consumers]
    g.define("f", sympy.Add(*unused[-3:]))
    g.output(g.symbol("f"))
    g.values = values
    return g


@pytest.mark.parametrize("name", GRAPH_EXAMPLES)
def test_no_overlap_and_no_wire_through_a_box(name):
    d = sb.load(ROOT / "examples" / f"{name}.toml").backward()
    for picture in pictures_of(d):
        assert not picture.summary
        assert problems(picture) == [], name
        # every wire starts and ends on the side of its nodes' boxes
        boxes = {it.key: it for it in picture.boxes}
        for w in picture.wires:
            (x0, y0), (x1, y1) = w.points[0], w.points[-1]
            a, b = boxes[w.source], boxes[w.target]
            assert min(abs(x0 - a.box[0]), abs(x0 - a.box[2])) < EPS and a.box[1] <= y0 <= a.box[3]
            assert min(abs(x1 - b.box[0]), abs(x1 - b.box[2])) < EPS and b.box[1] <= y1 <= b.box[3]


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11])
def test_a_random_graph_of_40_nodes_draws_cleanly(seed):
    g = random_graph(40, seed=seed)
    assert len(g.nodes) == 40 and 36 <= circuit.drawn_nodes(g) <= 40     # unused inputs are not drawn
    forward, reversed_ = pictures_of(g.backward())
    assert not forward.summary and len(forward.boxes) == circuit.drawn_nodes(g)
    for picture in (forward, reversed_):
        assert problems(picture) == []


def test_the_checker_sees_an_overlap_and_a_crossing():
    """The geometric checks above can fail: a box moved onto another, a wire across one."""
    d = sb.load(ROOT / "examples" / "circuit.toml").backward()
    forward, _ = pictures_of(d)
    a, b = forward.boxes[0], forward.boxes[1]
    moved = circuit.Item(a.key, a.kind, b.x, b.y, a.w, a.h, a.lines)
    broken = circuit.Circuit("forward", (moved,) + forward.items[1:], forward.wires, forward.width, forward.height)
    assert ("overlap", a.key, b.key) in problems(broken) or ("overlap", b.key, a.key) in problems(broken)
    far = [it for it in forward.boxes if it.key not in (forward.wires[0].source, forward.wires[0].target)][0]
    w = forward.wires[0]
    across = circuit.Wire(w.source, w.target, ((far.box[0] - 1, far.y), (far.box[2] + 1, far.y)))
    broken = circuit.Circuit("forward", forward.items, (across,) + forward.wires[1:], forward.width, forward.height)
    assert any(p[0] == "crossing" and p[3] == far.key for p in problems(broken))


def test_circuit_labels_values_and_gradients():
    """f = (x + y) z at x = −2, y = 5, z = −4: CS231n's numbers. Forward wires carry
    −2, 5, −4 and q = 3; the reversed wires ×1 with −4 to x and y, ×z with −4 to q,
    ×q with 3 to z."""
    d = sb.load(ROOT / "examples" / "circuit.toml").backward()
    forward, reversed_ = pictures_of(d)
    names = {it.key: it.lines[0][1] for it in forward.boxes}
    assert sorted(names.values()) == ["f", "q", "x", "y", "z"]

    def labels(picture):
        out = {}
        for it in picture.labels:
            w = picture.wires[_edge_key(it.key)]
            out[names[w.source], names[w.target]] = tuple(t for _, t in it.lines)
        return out
    assert labels(forward) == {("x", "q"): ("-2",), ("y", "q"): ("5",), ("q", "f"): ("3",), ("z", "f"): ("-4",)}
    assert labels(reversed_) == {("q", "x"): ("×1", "-4"), ("q", "y"): ("×1", "-4"),
                                 ("f", "q"): ("×z", "-4"), ("f", "z"): ("×q", "3")}
    # the reversed wires point right to left: from the consumer to its parent
    boxes = {it.key: it for it in reversed_.boxes}
    assert all(boxes[w.source].x > boxes[w.target].x for w in reversed_.wires)
    assert all(boxes[w.source].x < boxes[w.target].x for w in forward.wires)
    kinds = {names[it.key]: it.kind for it in forward.boxes}
    assert kinds == {"x": "leaf", "y": "leaf", "z": "leaf", "q": "node", "f": "output"}


def test_without_values_the_forward_wires_are_bare_and_the_reversed_carry_partials():
    g = sb.Graph(title="f = (x + y) z")
    x, y, z = g.input("x"), g.input("y"), g.input("z")
    q = g.define("q", x + y)
    g.output(g.define("f", q * z))
    forward, reversed_ = circuit.pictures(g.backward())
    assert forward.labels == ()
    assert sorted(t for it in reversed_.labels for _, t in it.lines) == ["×1", "×1", "×q", "×z"]


def test_a_recurrent_net_carries_its_weights_on_the_wires():
    d = sb.load(ROOT / "examples" / "rnn.toml").backward()
    forward, reversed_ = pictures_of(d)
    names = [it.lines[0][1] for it in forward.boxes]
    assert "W₁₁" not in names and "b₁" not in names          # weights sit on wires
    assert circuit.drawn_nodes(d.graph) == len(forward.boxes) == 28
    z = [it for it in forward.boxes if it.lines[0][1] == "z⁽²⁾₁"][0]
    assert [t for _, t in z.lines] == ["z⁽²⁾₁", "+b₁"]
    texts = {tuple(t for _, t in it.lines) for it in forward.labels}
    assert ("W₁₁", "0.8") in texts          # h⁽¹⁾₁ = 0.800499 on the wire to z⁽²⁾₁
    back = {tuple(t for _, t in it.lines) for it in reversed_.labels}
    assert ("×W₁₁", "0.0398") in back       # W₁₁ · ∂C/∂z⁽²⁾₁ = 0.5 · 0.0795118
    # in SVG, h⁽¹⁾₁ is set with a raised (1) and a lowered 1 (few fonts have those glyphs)
    assert ('h<tspan dy="-4.9" font-size="9.4">(1)</tspan><tspan dy="8.2" font-size="9.4">1</tspan>'
            '<tspan dy="-3.2"></tspan>') in forward.svg("rnn")
    # a target's wire: ∂C⁽¹⁾/∂y⁽¹⁾₁ = y − o = 0.5 − 0.930549, times ∂C/∂C⁽¹⁾ = 1
    assert ("×(y⁽¹⁾₁ - o⁽¹⁾₁)", "-0.431") in back and ("×(o⁽¹⁾₁ - y⁽¹⁾₁)", "0.431") in back


def test_beyond_the_readable_size_a_summary_is_drawn():
    g = random_graph(60, seed=3)
    forward, reversed_ = circuit.pictures(g.backward())
    assert forward.summary and reversed_.summary
    assert forward.nodes == circuit.drawn_nodes(g) > circuit.READABLE
    assert sum(int(it.lines[0][1].split()[0]) for it in forward.boxes) == forward.nodes
    assert problems(forward) == [] and problems(reversed_) == []
    tex = sb.render(g.backward(), "latex")
    assert "more than the %d a picture shows readably" % circuit.READABLE in tex


def test_tikz_and_svg_write_every_box():
    d = sb.load(ROOT / "examples" / "residual.toml").backward()
    forward, reversed_ = pictures_of(d)
    tikz, svg = forward.tikz(), reversed_.svg("residual")
    assert tikz.count(r"\node[draw") == len(forward.boxes) == 12
    assert tikz.count(r"\draw[->") == len(forward.wires)
    assert svg.count("<rect") == len(reversed_.boxes)
    assert svg.count("<polyline") == len(reversed_.wires)
    assert "\n\n" not in svg
    # wider than a page (19 cm, 856 px and more), the picture scrolls instead of shrinking
    assert reversed_.width * circuit.PX > circuit.SCROLL_PX
    assert svg.startswith('<div style="overflow-x: auto">\n<svg') and svg.endswith("</svg>\n</div>")
    assert 'style="max-width: none"' in svg
    small = pictures_of(sb.load(ROOT / "examples" / "circuit.toml").backward())[0].svg("circuit")
    assert small.startswith("<svg") and small.endswith("</svg>") and "max-width" not in small
    # a small picture is drawn larger, as in LaTeX: 1.4 times its viewBox
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)" width="([\d.]+)"', small)
    assert abs(float(view.group(3)) / float(view.group(1)) - 1.4) < 0.01
    assert "×σ′(r)" in svg and "−0.111" in svg        # ∂a/∂r and ∂C/∂r = −0.111424


def test_byte_identical_across_processes(tmp_path):
    code = ("import sys, symbackprop as sb\n"
            "for n in ('rnn', 'circuit', 'residual'):\n"
            "    d = sb.load('examples/%s.toml' % n).backward()\n"
            "    sys.stdout.write(sb.render(d, 'latex') + sb.render(d, 'html') + sb.render(d, 'markdown'))\n")
    outs = []
    for seed in ("1", "2"):
        env = {"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
        outs.append(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                   check=True).stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 100_000


def test_a_wide_picture_is_a_turned_page_and_a_small_one_is_drawn_larger():
    rnn, _ = pictures_of(sb.load(ROOT / "examples" / "rnn.toml").backward())
    assert rnn.width > circuit.TURN_WIDTH
    tex = rnn.latex_figure("The caption.")
    assert tex.startswith("\\begin{figure}[p]\n\\centering\n\\rotatebox{90}{\\begin{minipage}{")
    assert "\\par\\medskip\\small The caption." in tex and tex.endswith("\\end{figure}")
    small, _ = pictures_of(sb.load(ROOT / "examples" / "circuit.toml").backward())
    assert small.width < circuit.SMALL_WIDTH
    assert small.tikz().startswith("\\scalebox{1.4}{%\n\\begin{tikzpicture}")
    assert small.latex_figure("c").startswith("\\begin{center}\n\\scalebox{1.4}")
