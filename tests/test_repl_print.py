"""What print() shows at the REPL: a derivation's text document, a graph's definitions
(as written; a layered z as w·a + b), one order in every output, counts in their number."""

import sympy

import symbackprop as sb
from tests.conftest import EXAMPLES


def test_print_of_a_derivation_is_its_text_document(capsys):
    d = sb.load(EXAMPLES / "circuit.toml").backward()
    print(d)
    assert capsys.readouterr().out == sb.render(d, "text") + "\n"


def test_print_of_a_graph_is_its_definitions(capsys):
    print(sb.load(EXAMPLES / "sigmoid_neuron.toml"))
    print(sb.Network([2, 1]))
    assert capsys.readouterr().out == (
        "z = w₀·x₀ + w₁·x₁ + w₂\nf = σ(z)\n"
        "z⁽¹⁾₁ = w⁽¹⁾₁₁·x₁ + w⁽¹⁾₁₂·x₂ + b⁽¹⁾₁\na⁽¹⁾₁ = σ(z⁽¹⁾₁)\nC = 1/2·(a⁽¹⁾₁ - y₁)²\n")


def test_a_layered_z_has_one_order_in_every_output():
    d = sb.Network([12, 1]).backward()
    f = d.forward(1, 1)
    assert str(f).startswith("z⁽¹⁾₁ = w⁽¹⁾₁₁·x₁ + w⁽¹⁾₁₂·x₂ + w⁽¹⁾₁₃·x₃")
    assert str(f).endswith("w⁽¹⁾₁,₁₂·x₁₂ + b⁽¹⁾₁")
    assert f.latex().startswith(r"z^{(1)}_{1} = w^{(1)}_{11} x_{1} + w^{(1)}_{12} x_{2} + ")


def test_indices_sort_as_numbers():
    from symbackprop.notation.printing import latex, text
    ys = sympy.Add(*sympy.symbols("y_{10} y_{2} y_{1} y_{11}"))
    assert latex(ys) == "y_{1} + y_{2} + y_{10} + y_{11}"
    assert text(ys) == "y₁ + y₂ + y₁₀ + y₁₁"


def test_counts_take_their_nouns_number():
    g = sb.Graph()
    x = g.input("x")
    g.output(g.define("f", x ** 2))
    assert repr(g) == "Graph(1 input, 0 parameters, 1 defined node, output f)"
    assert repr(g.backward()).endswith(": 3 formulas>")
