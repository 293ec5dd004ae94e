"""The activation and cost registries: usual closed forms, conventions, custom entries."""

import random

import pytest
import sympy

import symbackprop as sb
from symbackprop import activations
from symbackprop.printing import latex

z = sympy.Symbol("z")


@pytest.mark.parametrize("name, expected", [
    pytest.param("sigmoid", r"\left(1 - \sigma\left(z\right)\right) \sigma\left(z\right)", id="sigmoid"),
    pytest.param("tanh", r"1 - \tanh^{2}\left(z\right)", id="tanh"),
    pytest.param("relu", r"\operatorname{step}\left(z\right)", id="relu"),
    pytest.param("identity", "1", id="identity"),
    pytest.param("softplus", r"\sigma\left(z\right)", id="softplus"),
    pytest.param("silu", r"\left(1 + z \left(1 - \sigma\left(z\right)\right)\right) \sigma\left(z\right)", id="silu"),
])
def test_derivatives_print_in_their_usual_closed_form(name, expected):
    assert latex(activations.get(name).prime_closed(z)) == expected


def test_amplifier_prints_as_a_prime():
    assert latex(activations.get("tanh").prime(z)) == r"\tanh'\left(z\right)"
    assert latex(activations.get("relu").func(z)) == r"\operatorname{ReLU}\left(z\right)"


@pytest.mark.parametrize("name, at_zero", [("relu", 0), ({"name": "leaky_relu", "alpha": 0.2}, 0.2)],
                         ids=["relu", "leaky_relu"])
def test_kink_convention_is_the_left_derivative(name, at_zero):
    act = activations.get(name)
    assert float(act.prime_closed(sympy.Integer(0))) == pytest.approx(at_zero)
    assert act.numeric["float"][1](0.0) == pytest.approx(at_zero)
    assert float(act.prime_closed(sympy.Integer(1))) == 1


def test_stable_numeric_forms_do_not_overflow():
    sig, _ = activations.get("sigmoid").numeric["float"]
    softplus, _ = activations.get("softplus").numeric["float"]
    assert sig(-1000.0) == 0.0 and sig(1000.0) == 1.0
    assert softplus(1000.0) == 1000.0 and softplus(-1000.0) == 0.0
    assert activations._softmax_float(1, 1000.0, 1000.0) == 0.5


def test_custom_activation_and_cost_from_python():
    swish = sb.Activation.custom("swish", lambda t: t * sympy.tanh(t))
    quartic = sb.Cost.custom("quartic", lambda a, y: sum((ai - yi) ** 4 for ai, yi in zip(a, y)))
    net = sb.Network([2, 3, 1], activation=[swish, "tanh"], cost=quartic)
    d = net.backward()
    assert d.dC_dz(1, 1).latex() == (r"\delta^{(1)}_{1} = \operatorname{swish}'\left(z^{(1)}_{1}\right) "
                                     r"w^{(2)}_{11} \delta^{(2)}_{1}")
    assert d.dC_dz(2, 1).latex() == (r"\delta^{(2)}_{1} = 4 \tanh'\left(z^{(2)}_{1}\right) "
                                     r"\left(a^{(2)}_{1} - y_{1}\right)^{3}")
    rng = random.Random(0)
    point = {s: rng.uniform(-1, 1) for s in net.parameters + net.inputs + net.targets}
    report = d.check(point)
    assert report.passed and report.symbolic_note == "all 15 gradients"


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(sb.SpecError, match="unknown activation 'gelu'; expected one of: identity, leaky_relu, "
                       "relu, sigmoid, silu, softmax, softplus, tanh"):
        sb.Network([1, 1], activation="gelu")
    with pytest.raises(sb.SpecError, match="unknown cost 'hinge'; expected one of: binary_cross_entropy, "
                       "cross_entropy, mse, sse"):
        sb.Network([1, 1], cost="hinge")
    with pytest.raises(sb.SpecError, match=r"expected 2 activations \(one per layer 1 … 2\), got 3"):
        sb.Network([1, 1, 1], activation=["relu"] * 3)


def test_negative_powers_print_as_fractions():
    x = sympy.Symbol("x_{1}")
    assert latex(1 / (x + 1)) == r"\frac{1}{x_{1} + 1}"
    assert latex(x ** -64) == r"\frac{1}{x_{1}^{64}}"
    assert latex(-sympy.Symbol(r"\delta_{1}") * x) == r"- x_{1} \delta_{1}"


def test_text_writes_quotients():
    from symbackprop.printing import text
    a, y = sympy.Symbol("a^{(2)}_{1}"), sympy.Symbol("y_{1}")
    assert text(-y / a) == "-y₁/a⁽²⁾₁"
    assert text(1 / a) == "1/a⁽²⁾₁"
    assert text((1 - y) / (1 - a)) == "(1 - y₁)/(1 - a⁽²⁾₁)"
    assert text(2 * y / (a * y - 1)) == "2·y₁/(-1 + a⁽²⁾₁·y₁)"


@pytest.mark.parametrize("names", [("my act", "my-act"), ("twice", "twice")], ids=["same-identifier", "same-name"])
def test_two_custom_activations_never_share_compiled_code(names):
    """Compiled code finds a function by its class name: two custom activations whose
    names give one identifier (or one name defined twice) stay two functions."""
    half_square = sb.Activation.custom(names[0], lambda t: t ** 2 / 2 + t)
    third_cube = sb.Activation.custom(names[1], lambda t: t ** 3 / 3 + t)
    assert half_square.func.__name__ != third_cube.func.__name__
    g = sb.Graph(title="two custom activations")
    x, w = g.input("x"), g.parameter("w")
    f = g.define("f", g.define("u", half_square.func(w * x)) + g.define("v", third_cube.func(w * x)))
    g.output(f)
    d = g.backward()
    point = {"x": 0.5, "w": 1.5}
    t = 0.75            # w·x: ∂f/∂w = x·((t + 1) + (t² + 1))
    assert d.evaluate(point).gradients["w"] == pytest.approx(0.5 * ((t + 1) + (t ** 2 + 1)), rel=1e-15)
    assert d.compile()(point).gradients["w"] == pytest.approx(1.65625, rel=1e-15)
