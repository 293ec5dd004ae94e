"""The derivation document of any graph (documents/story.py): the lecture's order, the
pictures, a recurrent net by time step with BPTT, a mini-batch's per-example gradients,
and Jupyter's display of a graph."""

import re
from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.documents import jupyter
from symbackprop.documents.pictures import circuit

ROOT = Path(__file__).resolve().parent.parent


def doc(name, fmt="text"):
    return sb.render(sb.load(ROOT / "examples" / f"{name}.toml").backward(), fmt)


def headings(text):
    lines = text.splitlines()
    return [lines[i] for i in range(len(lines) - 1) if lines[i + 1] and set(lines[i + 1]) <= {"-", "·"}
            and len(lines[i + 1]) == len(lines[i])]


def test_the_circuit_follows_the_lecture():
    text = doc("circuit")
    assert headings(text) == ["The graph", "The forward pass", "The chain rule", "The backward pass",
                              "The gradients", "Three-way check"]
    assert "Inputs: x, y, z; the output, whose gradient is taken, is f." in text
    assert "  q = x + y = 3\n  f = q·z = -12\n" in text
    assert "  ∂f/∂f = 1\n  ∂f/∂q = z = -4\n" in text
    assert "  ∂f/∂x = ∂f/∂q = -4\n  ∂f/∂y = ∂f/∂q = -4\n  ∂f/∂z = q = 3\n" in text
    # the forward picture after the graph's leaves, the reversed one after the backward pass
    first, second = [m.start() for m in re.finditer(r"\[diagram", text)]
    assert text.index("The graph") < first < text.index("The forward pass")
    assert text.index("∂f/∂q = z = -4") < second < text.index("The gradients")
    assert "Each wire carries the value of the node it leaves, at the given point." in text
    assert "with the gradient it carries, ∂u/∂s · ∂f/∂u, at the given point" in text.replace("\n", " ")


@pytest.mark.parametrize("name", ["circuit", "sigmoid_neuron", "residual", "rnn"])
def test_every_format_draws_the_two_pictures(name):
    latex, html, markdown = doc(name, "latex"), doc(name, "html"), doc(name, "markdown")
    assert latex.count(r"\begin{tikzpicture}") == 2
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="graph forward"') == 1
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="graph reversed"') == 1
    assert markdown.count("<svg ") == 2
    assert "\n\n" not in markdown[markdown.index("<svg "):markdown.index("</svg>")]


def test_the_split_is_for_a_parameter_and_sums_over_its_consumers():
    text = doc("residual")
    assert "For the parameter w₁, used by one node:\n\n  ∂C/∂w₁ = ∂z₁/∂w₁ · ∂C/∂z₁\n" in text
    rnn = doc("rnn")
    assert ("For the parameter U₁₁, used by 3 nodes:\n\n  ∂C/∂U₁₁ = ∂z⁽¹⁾₁/∂U₁₁ · ∂C/∂z⁽¹⁾₁ + "
            "∂z⁽²⁾₁/∂U₁₁ · ∂C/∂z⁽²⁾₁ + ∂z⁽³⁾₁/∂U₁₁ · ∂C/∂z⁽³⁾₁\n") in rnn


def test_a_recurrent_net_is_told_step_by_step():
    text = doc("rnn")
    names = headings(text)
    forward = names[names.index("The forward pass") + 1:names.index("The chain rule")]
    backward = names[names.index("The backward pass") + 1:names.index("The gradients")]
    assert forward == ["Step 1", "Step 2", "Step 3"]
    assert backward == ["Step 3", "Step 2", "Step 1"]
    assert "  ∂C/∂hₖ⁽ᵗ⁾ = Σⱼ Vⱼₖ ∂C/∂qⱼ⁽ᵗ⁾ + Σⱼ Wⱼₖ ∂C/∂zⱼ⁽ᵗ⁺¹⁾\n" in text
    assert "  ∂C/∂zⱼ⁽ᵗ⁾ = tanh′(zⱼ⁽ᵗ⁾) · ∂C/∂hⱼ⁽ᵗ⁾\n" in text
    assert "At the last step, t = 3, there is no step t + 1 and the second sum is 0." in text
    # step 2's hidden state collects a term from its own output and two from step 3
    assert "  ∂C/∂h⁽²⁾₁ = V₁₁·∂C/∂q⁽²⁾₁ + W₁₁·∂C/∂z⁽³⁾₁ + W₂₁·∂C/∂z⁽³⁾₂ = 0.278977\n" in text
    assert "Fan-out: h⁽²⁾₁ feeds 3 consumers (q⁽²⁾₁, z⁽³⁾₁, z⁽³⁾₂)" in text
    # BPTT: the sums over steps (W from step 2: h⁽⁰⁾ = 0) and each step's term
    assert "  ∂C/∂Wⱼₖ = Σₜ hₖ⁽ᵗ⁻¹⁾ ∂C/∂zⱼ⁽ᵗ⁾\n" in text
    tex = doc("rnn", "latex")
    assert r"\sum_{t=2}^{3} h^{(t-1)}_{k} \, \frac{\partial C}{\partial z^{(t)}_{j}}" in tex
    assert r"\sum_{t=1}^{3} x^{(t)}_{k} \, \frac{\partial C}{\partial z^{(t)}_{j}}" in tex
    table = text[text.index("Each step's term at the given point"):text.index("Three-way check")]
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[4:] if line.strip()}
    assert rows["W₁₁"] == ["-", "0.0636491", "-0.309604", "-0.245954"]
    assert rows["c₁"] == ["0.430549", "0.632963", "-0.583591", "0.479921"]
    values = sb.load(ROOT / "examples" / "rnn.toml").backward().evaluate()
    for name, cells in rows.items():
        terms = [float(c) for c in cells[:-1] if c != "-"]
        assert abs(sum(terms) - float(values.gradients[_latex_name(name)])) < 1e-5, name


def _latex_name(unicode_name: str) -> str:
    base, sub = unicode_name[0], unicode_name[1:]
    return "%s_{%s}" % (base, sub.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")))


def test_a_mini_batch_shows_each_example_and_the_sum():
    d = sb.load(ROOT / "examples" / "minibatch.toml").backward()
    text = sb.render(d, "text")
    table = text[text.index("Each example's cost and gradients, and their sums:"):text.index("Three-way check")]
    lines = [line.split() for line in table.splitlines()[1:] if line.strip()]
    assert lines[0] == ["example", "1", "example", "2", "example", "3", "sum"]
    assert set(lines[1]) == {"-" * len(lines[1][0]), "-" * 11} or all(set(c) == {"-"} for c in lines[1])
    body = {cells[0]: [float(c) for c in cells[1:]] for cells in lines[2:]}
    assert body["∂C/∂b⁽²⁾₁"] == [0.138499, -0.0444002, 0.0469923, 0.141091]
    assert len(body) == 1 + len(d.evaluate().gradients)
    for name, (a, b, c, total) in body.items():
        assert abs(a + b + c - total) < 2e-6, name


def test_without_values_the_document_stays_symbolic():
    g = sb.Graph(title="f = (x + y) z")
    x, y, z = g.input("x"), g.input("y"), g.input("z")
    q = g.define("q", x + y)
    g.output(g.define("f", q * z))
    text = sb.render(g.backward(), "text")
    assert "at the given point" not in text and "Three-way check" not in text
    assert "  ∂f/∂q = z\n" in text
    html = sb.render(g.backward(), "html")
    assert html.count("<svg") == 2 and "×z" in html


def test_a_large_graph_says_it_is_drawn_as_a_summary():
    g = sb.Graph(title="A chain")
    prev = g.input("x")
    for i in range(1, circuit.READABLE + 5):
        prev = g.define("v_{%d}" % i, 2 * prev)
    g.output(prev)
    text = sb.render(g.backward(), "text")
    assert ("The graph has %d nodes, more than the %d a picture shows readably, so it is drawn as a summary"
            % (circuit.READABLE + 5, circuit.READABLE)) in text.replace("\n", " ")


def test_jupyter_shows_a_graph_as_math_and_its_picture():
    g = sb.load(ROOT / "examples" / "circuit.toml")
    assert g._repr_latex_() == r"$\begin{aligned} q &= x + y \\ f &= q z \end{aligned}$"
    html = g._repr_html_()
    assert html.startswith("<div>Graph(3 inputs, 0 parameters, 2 defined nodes, output f)</div>\n<math")
    assert html.count("<svg") == 1 and 'class="graph forward"' in html and ">−2</text>" in html
    assert "<mi>&amp;</mi>" not in html and "<mi>&</mi>" not in html
    assert g._repr_svg_().startswith('<svg xmlns="http://www.w3.org/2000/svg" class="graph forward"')
    both = jupyter.derivation_html(g.backward())
    assert both.count("<svg") == 2 and 'class="graph reversed"' in both
    rnn = sb.load(ROOT / "examples" / "rnn.toml")
    assert rnn._repr_html_().count("<svg") == 1


def test_layered_networks_keep_their_lecture_document():
    text = doc("lecture")
    assert "Case 1: the output layer" in text and "Vector form" in text
    assert 'class="graph' not in doc("lecture", "html")
