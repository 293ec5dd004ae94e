"""The representative view of a wide network: neurons 1, 2, a general j and the last of a
layer wider than six units, long sums shortened, every gradient still checked; ``full``
writes everything, and a network of narrow layers is not affected."""

import random
import re
import subprocess

import pytest
import sympy

import symbackprop as sb
from symbackprop.documents import writer
from symbackprop.documents.stories import build
from symbackprop.documents.stories.layered import LayeredStory
from symbackprop.notation.elision import elide
from symbackprop.notation.printing import latex, text
from tests.conftest import EXAMPLES, require_tool


def wide_spec(width: int, seed: int = 1) -> dict:
    """A sigmoid net of four layers of ``width`` units, with seeded values."""
    rng = random.Random(seed)
    layers = [{"units": width, "activation": "sigmoid",
               "W": [[round(rng.uniform(-1, 1), 2) for _ in range(width)] for _ in range(width)],
               "b": [round(rng.uniform(-1, 1), 2) for _ in range(width)]} for _ in range(3)]
    return {"inputs": width, "cost": "mse", "layers": layers,
            "point": {"x": [round(rng.uniform(-1, 1), 2) for _ in range(width)],
                      "y": [round(rng.uniform(0, 1), 2) for _ in range(width)]}}


@pytest.fixture(scope="module")
def wide32():
    """The [32]*4 network's derivation and its LaTeX, HTML and text documents, told once
    (about 10 s on one core, most of it the three-way check of its 3200 gradients)."""
    d = sb.load(wide_spec(32)).backward()
    doc = build(d)
    return d, *(writer(fmt).render(doc, fragment=False) for fmt in ("latex", "html", "text"))


@pytest.fixture(scope="module")
def wide8():
    return sb.load(wide_spec(8)).backward()


def test_a_long_sum_shows_its_first_two_terms_and_its_last_in_index_order():
    net = sb.Network([12, 1])
    z = net.nodes[net.z(1, 1)].expr
    story = LayeredStory(net.backward())
    assert latex(story.shown(z)) == r"w^{(1)}_{11} x_{1} + w^{(1)}_{12} x_{2} + \cdots + b^{(1)}_{1}"
    assert text(story.shown(-z)) == "- w⁽¹⁾₁₁·x₁ - w⁽¹⁾₁₂·x₂ + ⋯ - b⁽¹⁾₁"
    x12 = sympy.Add(*[net.w(1, 1, k) * net.x(k) for k in (12, 10, 2, 1, 11, 3, 4)])
    assert text(story.shown(x12)) == "w⁽¹⁾₁₁·x₁ + w⁽¹⁾₁₂·x₂ + ⋯ + w⁽¹⁾₁,₁₂·x₁₂"
    short = sympy.Add(*sympy.symbols("p q r"))
    assert elide(short, story.term_order) is short


def test_the_32_wide_html_stays_small_and_lists_the_representative_neurons(wide32):
    _, _, html, text_doc = wide32
    assert len(html.encode()) < 1_000_000
    assert "δ⁽²⁾ⱼ = σ′(z⁽²⁾ⱼ)·(w⁽³⁾₁ⱼ·δ⁽³⁾₁ + w⁽³⁾₂ⱼ·δ⁽³⁾₂ + ⋯ + w⁽³⁾₃₂,ⱼ·δ⁽³⁾₃₂)" in text_doc
    assert "z⁽¹⁾₃₂ = w⁽¹⁾₃₂,₁·x₁ + w⁽¹⁾₃₂,₂·x₂ + ⋯ + w⁽¹⁾₃₂,₃₂·x₃₂ + b⁽¹⁾₃₂ = " in text_doc
    assert "z⁽¹⁾₃ =" not in text_doc and "∂C/∂w⁽¹⁾₃₁" not in text_doc


def test_every_gradient_of_the_32_wide_net_is_still_checked(wide32):
    text_doc = " ".join(wide32[3].split())
    assert "Result: passed, 3200 gradients," in text_doc        # 3 · (32 · 32 + 32) + 32 inputs
    assert "The table lists the gradients of the neurons shown; all 3200 gradients checked." in text_doc
    assert ("Representative neurons: layers 0, 1, 2 and 3 have more than 6 units, so this document "
            "shows neurons 1, 2, a general neuron j and the last of each wide layer") in text_doc
    assert text_doc.count("∂C/∂w⁽²⁾") == 2 * 3 * 3       # j, k in 1, 2, 32: the summary and the check


def test_the_32_wide_pdf_has_at_most_12_pages(wide32, tmp_path):
    require_tool("pdflatex")
    require_tool("pdfinfo")
    (tmp_path / "wide.tex").write_text(wide32[1], encoding="utf-8")
    for _ in range(2):      # longtable settles its column widths on the second run
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "wide.tex"],
                       cwd=tmp_path, capture_output=True, timeout=120, check=True)
    info = subprocess.run(["pdfinfo", "wide.pdf"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 6 <= pages <= 12
    assert "Overfull" not in (tmp_path / "wide.log").read_text(encoding="latin-1")


def test_full_writes_every_neuron(wide8):
    full = sb.render(wide8, "text", full=True)
    assert "⋯" not in full and "Representative" not in full
    assert all("z⁽²⁾%s = " % c in full for c in "₁₂₃₄₅₆₇₈")
    assert "∂C/∂w⁽³⁾₈₈ = a⁽²⁾₈·δ⁽³⁾₈" in full


def test_json_stays_complete(wide8):
    import json
    doc = json.loads(sb.render(wide8, "json"))
    assert len([f for f in doc["formulas"] if f["kind"] == "w"]) == 3 * 64


@pytest.mark.parametrize("example", ["lecture", "softmax", "minibatch", "shared_bias", "rnn"])
def test_a_network_of_narrow_layers_is_the_same_with_or_without_full(example):
    d = sb.load(EXAMPLES / f"{example}.toml").backward()
    assert sb.render(d, "latex") == sb.render(d, "latex", full=True)
    assert sb.render(d, "text", check=False) == sb.render(d, "text", check=False, full=True)


def test_the_cli_writes_everything_with_full(run_cli, tmp_path, wide8):
    import json
    spec = tmp_path / "wide.json"
    spec.write_text(json.dumps(wide_spec(8)))
    code, short, _ = run_cli("derive", spec, "--format", "text", "--no-check")
    assert code == 0 and "z⁽¹⁾ⱼ = w⁽¹⁾ⱼ₁·x₁ + w⁽¹⁾ⱼ₂·x₂ + ⋯ + w⁽¹⁾ⱼ₈·x₈ + b⁽¹⁾ⱼ" in short
    code, full, _ = run_cli("derive", spec, "--format", "text", "--no-check", "--full")
    assert code == 0 and full == sb.render(wide8, "text", full=True, check=False)
