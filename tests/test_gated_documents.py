"""The gated cells' derivation document and the unrolled pictures: the numbers the story
prints against the evaluated net, the picture's layout (one column per step, nothing
overlapping), and the documents in the real TeX engines."""

from __future__ import annotations

from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.documents.model import Table
from symbackprop.documents.pictures import unrolled
from symbackprop.documents.stories import build

from conftest import require_tool
from test_render_tools import compile_tex

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lstm():
    net = sb.load(ROOT / "examples" / "lstm.toml")
    return net, net.backward()


@pytest.fixture(scope="module")
def gru():
    net = sb.load(ROOT / "examples" / "gru.toml")
    return net, net.backward()


def _table(doc, first):
    return next(b for b in doc.blocks if isinstance(b, Table) and b.header[0] == first)


def test_lstm_story_tells_the_cell_path(lstm):
    net, d = lstm
    text = sb.render(d, "text")
    assert "  ∂C/∂cⱼ⁽ᵗ⁾ = oⱼ⁽ᵗ⁾ tanh′(cⱼ⁽ᵗ⁾) ∂C/∂hⱼ⁽ᵗ⁾ + fⱼ⁽ᵗ⁺¹⁾ ∂C/∂cⱼ⁽ᵗ⁺¹⁾\n" in text
    assert "  ∂C/∂c⁽²⁾₁ = f⁽³⁾₁·∂C/∂c⁽³⁾₁ + tanh′(c⁽²⁾₁)·o⁽²⁾₁·∂C/∂h⁽²⁾₁ = " in text
    assert "  ∂C/∂W⁽ᶠ⁾ⱼₖ = Σₜ hₖ⁽ᵗ⁻¹⁾ ∂C/∂s⁽ᵗ⁾_(f,j)\n" in text
    assert text.index("Step 3\n······\n\n  ∂C/∂q⁽³⁾₁") < text.index("Step 1\n······\n\n  ∂C/∂q⁽¹⁾₁")


def test_the_products_of_gates_are_the_nets_own(lstm, gru):
    """The table beside the Elman-style product: the forget (update) gates' products from
    the last step back, against the evaluated gates."""
    for net, d in (lstm, gru):
        gate, _ = net.carrier
        values = d.evaluate()
        rows = _table(build(d), "back to step t").rows
        T = net.steps
        assert [r[0] for r in rows] == [str(t) for t in range(T - 1, 0, -1)]
        for row in rows:
            back_to = int(row[0])
            for j in (1, 2):
                product = 1.0
                for t in range(back_to + 1, T + 1):
                    product *= float(values[net.gate(gate, t, j).name])
                assert float(row[j].text) == pytest.approx(product, rel=1e-5)


def test_step_terms_sum_to_the_gradient(gru):
    net, d = gru
    values = d.evaluate()
    rows = {r[0].text: r for r in _table(build(d), "parameter").rows}
    row = rows["W⁽ʰ⁾₁₂"]
    terms = [float(c.text) for c in row[1:-1] if getattr(c, "text", "-") != "-"]
    assert len(terms) == 2          # no W term at step 1 (h⁽⁰⁾ = 0)
    assert sum(terms) == pytest.approx(float(values.gradients["W^{(h)}_{12}"]), rel=1e-5)


def _disjoint(items):
    """Pairs of drawn boxes (and labels) that meet; a cell frame holds its gates."""
    found = []
    drawn = [it for it in items if it.kind != "cell"]
    for i, a in enumerate(drawn):
        for b in drawn[i + 1:]:
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a.box, b.box
            if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
                found.append((a.key, b.key))
    return found


@pytest.mark.parametrize("spec", [
    {"recurrent": {"inputs": 2, "hidden": 2, "outputs": 1, "steps": 4}},
    {"recurrent": {"inputs": 2, "hidden": 3, "outputs": 2, "steps": 6}},
    {"recurrent": {"inputs": 1, "hidden": 3, "outputs": 1, "steps": 6, "cell": "lstm", "truncate": 2}},
    {"recurrent": {"inputs": 1, "hidden": 2, "outputs": 1, "steps": 5, "cell": "gru", "h0": [0.1, 0.2]}},
], ids=["elman-4", "elman-6x3", "lstm-6-truncated", "gru-h0"])
def test_unrolled_picture_one_column_per_step(spec):
    net = sb.load(spec)
    forward, backward = unrolled.pictures(net.backward())
    assert not forward.summary
    costs = sorted((it for it in forward.items if it.key.startswith("C^{(")), key=lambda it: it.x)
    assert [it.key for it in costs] == ["C^{(%d)}" % t for t in range(1, net.steps + 1)]
    assert len({round(it.y, 6) for it in costs}) == 1
    assert _disjoint(forward.items) == [] and _disjoint(backward.items) == []
    labels = [line[1] for it in forward.items if it.kind == "label" for line in it.lines]
    if net.gates:
        gate = net.carrier[0]
        assert sum(label.startswith("⊙ " + gate) for label in labels) == net.steps - (0 if "h0" in spec["recurrent"] else 1)
    else:
        assert labels.count("W") == net.steps - 1 and "U" in labels and "V" in labels
    if net.truncate:
        assert labels.count("held") == len(net.state_letters) * ((net.steps - 1) // net.truncate)
    assert _disjoint([forward.items[0], forward.items[0]]) != []   # the measure finds an overlap


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_gated_documents_compile(engine, tmp_path, lstm, gru):
    require_tool(engine)
    for name, (_, d) in (("lstm", lstm), ("gru", gru)):
        log = compile_tex(engine, sb.render(d, "latex"), tmp_path, name)
        assert "Overfull" not in log


def test_every_format_writes_the_gated_story(gru):
    import json
    net, d = gru
    for fmt in ("markdown", "html"):
        out = sb.render(d, fmt)
        assert "Why the gradient survives" in out and "W^{(z,r,h)}" not in out.split("<svg")[0], fmt
    assert sb.render(d, "html").count("<svg") == 2
    data = json.loads(sb.render(d, "json"))
    assert data["graph"]["kind"] == "gru"
    formulas = {f["symbol"]: f for f in data["formulas"]}
    expected = float(d.evaluate().gradients["U^{(r)}_{21}"])
    assert formulas[r"\frac{\partial C}{\partial U^{(r)}_{21}}"]["value"] == pytest.approx(expected, rel=1e-12)


def test_truncated_story_says_what_is_cut():
    net = sb.load({"title": "cut", "recurrent": {"inputs": 1, "hidden": 1, "outputs": 1, "steps": 5,
                                                 "truncate": 2, "W": [[0.5]], "U": [[1.0]], "V": [[0.7]],
                                                 "b": [0.1], "c": [0.0]},
                   "point": {"x": [[1], [0.5], [-1], [0.2], [0.3]], "y": [[0.5], [0.2], [0.1], [0], [0.3]]}})
    text = sb.render(net.backward(), "text")
    assert ("Truncated backpropagation through time (truncate = 2): after steps 2, 4 the state is carried "
            "into the next step as a held copy (h̄⁽ᵗ⁾)") in " ".join(text.split())
    assert "  ∂C/∂h⁽²⁾₁ = V₁₁·∂C/∂q⁽²⁾₁ = " in text      # nothing from step 3
    assert "  ∂C/∂h⁽³⁾₁ = V₁₁·∂C/∂q⁽³⁾₁ + W₁₁·∂C/∂z⁽⁴⁾₁ = " in text
