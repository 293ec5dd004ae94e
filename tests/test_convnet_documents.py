"""The convolutional story (documents/stories/convolutional.py) and its grids: what the
document says, in every format, the compact forms against the graph's sums, the LaTeX in
pdflatex and lualatex without overfull lines, and the summary of maps above 8×8."""

import json
import re
from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.documents.pictures import grids

from conftest import require_tool
from test_render_tools import compile_tex

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def cnn():
    return sb.load(EXAMPLES / "cnn.toml").backward()


@pytest.fixture(scope="module")
def documents(cnn):
    """Every format; the three-way check runs in the text one (it takes most of the time)."""
    return {fmt: sb.render(cnn, fmt, check=fmt == "text") for fmt in ("text", "latex", "markdown", "html", "json")}


def test_text_tells_the_layers_and_compact_forms(documents):
    text = documents["text"]
    for line in ("Layer 1: conv", "Layer 2: maxpool", "Layer 3: dense", "The compact forms",
                 "The other 7 entries slide the same window over the map",
                 "Computed from the compact forms at the given point, the 34 values agree with the\n"
                 "graph's sums to within 0."):
        assert line in text
    assert "z⁽¹⁾₁,₁,₁ = K⁽¹⁾₁,₁,₁,₁·x₁,₁,₁ + K⁽¹⁾₁,₁,₁,₂·x₁,₁,₂" in text   # the sum as written, then the bias


def test_latex_has_the_flipped_kernel_and_the_correlation(documents):
    tex = documents["latex"]
    assert r"\sum_{o} \sum_{p,q} K^{(1)}_{o,c,4-p,4-q} \, \tilde{\delta}^{(1)}_{o,u+p-3,v+q-3}" in tex
    assert r"\sum_{i,j} x_{c,i+p-1,j+q-1} \, \delta^{(1)}_{o,i,j}" in tex
    assert tex.count(r"\begin{tikzpicture}") == 4      # two lines of panels in each of the two figures


def test_max_pool_adjoints_are_written_as_the_first_argmax_indicator(documents):
    """The routing of a max pool as a lecture writes it, 𝟏[a = max(window)], with the value."""
    window = r"a^{(1)}_{1,1,1}, a^{(1)}_{1,1,2}, a^{(1)}_{1,2,1}, a^{(1)}_{1,2,2}"
    assert (r"\frac{\partial C}{\partial a^{(1)}_{1,1,2}} &= \mathbf{1}\left[a^{(1)}_{1,1,2} = \max\left("
            + window + r"\right)\right] \frac{\partial C}{\partial a^{(2)}_{1,1,1}} = 0 \\") in documents["latex"]
    assert ("  ∂C/∂a⁽¹⁾₁,₂,₂ = 𝟏[a⁽¹⁾₁,₂,₂ = max(a⁽¹⁾₁,₁,₁, a⁽¹⁾₁,₁,₂, a⁽¹⁾₁,₂,₁, a⁽¹⁾₁,₂,₂)]·∂C/∂a⁽²⁾₁,₁,₁ = 0.228803\n"
            in documents["text"])
    for fmt in ("latex", "markdown", "text"):
        assert "step" not in documents[fmt].replace("one step", "")
    assert documents["markdown"].count(r"\mathbf{1}\left[") == 8
    assert documents["html"].count("<mn>&#x1D7CF;</mn>") == 8 and 'mathvariant="bold"' not in documents["html"]


def test_every_format_has_the_sections(documents):
    for fmt in ("markdown", "html"):
        assert "The compact forms" in documents[fmt] and "The network and its maps" in documents[fmt]
        assert documents[fmt].count("<svg") == 2
    data = json.loads(documents["json"])
    assert data["title"] == "A small CNN: convolution, ReLU, max pooling, softmax"


def test_grids_show_the_values_and_the_window(cnn):
    values = cnn.evaluate()
    picture = grids.forward(cnn.graph, grids_numbers(cnn.graph, values))
    first = picture.panels[0]
    assert first.title_text == "x, channel 1" and first.window == (0, 0, 3, 3)
    assert first.values[0] == (0.1, 0.5, -0.3, 0.8)
    svg = picture.svg("maps")
    assert svg.count('stroke="#c00"') == 2          # the conv window on x, the pool window on a(1)
    assert ">-0.45<" in svg


def grids_numbers(net, values):
    from symbackprop.documents.stories.maps import MapNumbers
    return MapNumbers(net, values.numbers)


def test_batchnorm_three_paths_sum_to_the_graph(tmp_path):
    d = sb.load(EXAMPLES / "batchnorm.toml").backward()
    text = sb.render(d, "text", check=False)
    m = re.search(r"for (\S+):\s+the\s+three\s+paths\s+give\s+(\S+),\s+(\S+)\s+and\s+(\S+),\s+together\s+(\S+)\.",
                  text)
    assert m is not None
    direct, var, mean, total = (float(v) for v in m.groups()[1:])
    assert m.group(1) == "x⁽¹⁾₁,₁,₁"
    assert direct + var + mean == pytest.approx(total, abs=2e-3)
    assert float(d.evaluate().coupled_examples[0]["gradients"]["x_{1,1,1}"]) == pytest.approx(total, abs=1e-2)
    assert "Layer 1: batchnorm" in text
    assert re.search(r"the\s+18\s+values\s+agree\s+with\s+the\s+graph's\s+sums", text)


def test_documents_sum_an_inputs_copies():
    """The text document writes ∂L/∂x as the sum of its copies, with eval's value; the JSON
    document lists each example's own input gradients under x_{c,i,j}."""
    d = sb.load(EXAMPLES / "batchnorm.toml").backward()
    values = d.evaluate()
    text = sb.render(d, "text", check=False)
    m = re.search(r"∂L/∂x₁,₃,₂ = ∂L/∂x⁽¹⁾₁,₃,₂ \+ ∂L/∂x⁽²⁾₁,₃,₂ = (\S+)\n", text)
    assert m is not None and float(m.group(1)) == pytest.approx(float(values.gradients["x_{1,3,2}"]), abs=1e-6)
    data = json.loads(sb.render(d, "json", check=False))
    assert [e["gradients"]["x_{1,3,2}"] for e in data["examples"]] == pytest.approx(
        [float(e["gradients"]["x_{1,3,2}"]) for e in values.coupled_examples], abs=1e-15)
    assert sum(e["gradients"]["x_{1,3,2}"] for e in data["examples"]) == pytest.approx(
        float(values.gradients["x_{1,3,2}"]), abs=1e-15)


def test_large_maps_are_summarized():
    net = sb.ConvNet((1, 9, 9), [sb.Conv(5, kernel=1), sb.Pool(3), sb.Dense(1, "identity")])
    net.values = {s: 0.1 for s in net.leaves}
    values = net.backward().evaluate()
    picture = grids.forward(net, grids_numbers(net, values))
    assert picture.panels[0].values is None and picture.panels[0].shape == (9, 9)
    titles = [p.title_text for p in picture.panels]
    assert "a(1), channel 4 (1 more channels)" in titles
    assert "summarized" in grids.forward_caption(net)[-1]


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_latex_compiles_without_overfull_lines(engine, documents, tmp_path):
    require_tool(engine)
    log = compile_tex(engine, documents["latex"], tmp_path, "cnn")
    overfull = [float(w) for w in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]
    assert [w for w in overfull if w > 20] == []


@pytest.mark.parametrize("tex, text", [
    (r"\frac{1}{m} \sum_{k} x_{k}", "1/m Σ[k] x_k"),
    (r"\frac{a - \mu}{\sqrt{\sigma^{2} + \varepsilon}}", "(a - μ)/(√(σ² + ε))"),
    (r"\sum_{c=1}^{2} K^{(1)}_{o,c,p} \, x_{c,i+p-1}", "Σ[c=1..2] K^(1)_o,c,p x_c,i+p-1"),
])
def test_the_story_formulas_read_as_text(tex, text):
    from symbackprop.documents.stories.maps import plain
    assert plain(tex) == text
