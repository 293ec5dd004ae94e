"""The activation and cost registries: usual closed forms, conventions, custom entries."""

import random

import pytest
import sympy

import symbackprop as sb
from symbackprop.ops import activations
from symbackprop.notation.printing import latex

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
    from symbackprop.notation.printing import text
    a, y = sympy.Symbol("a^{(2)}_{1}"), sympy.Symbol("y_{1}")
    assert text(-y / a) == "-y₁/a⁽²⁾₁"
    assert text(1 / a) == "1/a⁽²⁾₁"
    assert text((1 - y) / (1 - a)) == "(1 - y₁)/(1 - a⁽²⁾₁)"
    assert text(2 * y / (a * y - 1)) == "2·y₁/(a⁽²⁾₁·y₁ - 1)"


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


@pytest.fixture
def registries(monkeypatch):
    """The registries as they are, restored after the test (entries it registers go)."""
    from symbackprop.ops import costs
    for module, name in ((activations, "REGISTRY"), (activations, "READER_NAMES"), (activations, "OPTIONS"),
                         (costs, "REGISTRY"), (costs, "WORDS")):
        monkeypatch.setattr(module, name, dict(getattr(module, name)))


def _module_values(d, lang="numpy"):
    from symbackprop.codegen import source
    namespace = {"__name__": "exported"}
    exec(compile(source(d, lang), "<exported>", "exec"), namespace)
    return namespace["evaluate"]()


def test_one_register_call_gives_words_answers_numbers_and_exported_code(registries):
    """softsign(t) = t/(1 + |t|), registered once: its words in documents, its name in
    answers, its float code in evaluate() and its Code in the exported module."""
    activations.register("softsign", lambda: activations.Activation(
        "softsign", r"\operatorname{softsign}", lambda t: t / (1 + abs(t)), lambda f, t: 1 / (1 + abs(t)) ** 2,
        dict.fromkeys(("float", "mp"), (lambda t: t / (1 + abs(t)), lambda t: 1 / (1 + abs(t)) ** 2)),
        words="soft sign", nonzero_prime=True,
        code=activations.Code("return z / (1.0 + {xp}.abs(z))", "return 1.0 / (1.0 + {xp}.abs(z)) ** 2",
                              "softsign(z) = z/(1 + |z|)", "softsign′(z) = 1/(1 + |z|)²")))
    net = sb.Network([1, 1, 1], activation=["softsign", "identity"], values={
        "w^{(1)}_{11}": 2, "b^{(1)}_{1}": 0, "w^{(2)}_{11}": 3, "b^{(2)}_{1}": 0, "x_{1}": 1, "y_{1}": 0})
    d = net.backward()
    assert "Layer 1 (soft sign)" in sb.render(d, "text")
    # a = 2/3, C = ½(3a)² = 2, ∂C/∂w⁽¹⁾₁₁ = 3a·3·softsign′(2)·x = 6·1/9 = 2/3
    assert float(d.evaluate().gradients["w^{(1)}_{11}"]) == pytest.approx(2 / 3, rel=1e-12)
    out = _module_values(d)
    assert out["cost"] == pytest.approx(2.0, rel=1e-12)
    assert out["gradients"]["w^{(1)}_{11}"] == pytest.approx(2 / 3, rel=1e-12)
    from symbackprop.codegen import source
    assert 'def softsign_prime(z):\n    """softsign′(z) = 1/(1 + |z|)²"""\n    return 1.0 / (1.0 + np.abs(z)) ** 2' \
        in source(d)
    verdict = sb.check_answer(net, "w^{(1)}_{11}", r"x_1 \operatorname{softsign}'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)")
    assert verdict.verdict == "equivalent"


def test_a_registered_cost_brings_its_output_code_and_falls_back_to_its_elementwise_form(registries):
    """C = ¼Σ(a − y)⁴ with code for elementwise outputs only: a sigmoid output uses it
    through σ′(z); the exported module's numbers are evaluate()'s."""
    from symbackprop.ops import costs
    costs.register(costs.Cost("quartic", lambda a, y: sympy.Add(*[(ai - yi) ** 4 for ai, yi in zip(a, y)]) / 4,
                              r"C = \frac{1}{4} \sum_j (a_j - y_j)^4", words="quartic error",
                              code={"elementwise": costs.OutputCode("({a} - y) ** 4", "0.25 * ",
                                                                    grad="({a} - y) ** 3")}))
    net = sb.Network([1, 1], activation="sigmoid", cost="quartic", values={
        "w^{(1)}_{11}": 0, "b^{(1)}_{1}": 0, "x_{1}": 1, "y_{1}": 1})
    d = net.backward()
    from symbackprop.codegen import source
    text = source(d)
    assert "    C = 0.25 * np.sum((a1 - y) ** 4)\n" in text
    assert "    delta1 = (a1 - y) ** 3 * sigmoid_prime(z1)\n" in text
    # a = ½: C = ¼·(½)⁴ = 1/64, ∂C/∂b = (a − y)³·σ′(0) = −⅛·¼ = −1/32
    out = _module_values(d)
    assert out["cost"] == pytest.approx(1 / 64, rel=1e-12)
    assert out["gradients"]["b^{(1)}_{1}"] == pytest.approx(-1 / 32, rel=1e-12)
    assert "quartic error" in sb.render(d, "text")
