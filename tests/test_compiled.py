"""d.compile(): the derivation as array code, equal to d.evaluate() to 1e-9 of the size of its terms."""

import itertools
import math
import random
from pathlib import Path

import pytest
import sympy

np = pytest.importorskip("numpy")

import symbackprop as sb  # noqa: E402
from symbackprop.ops import activations, costs  # noqa: E402

EXAMPLES = sorted(p for p in (Path(__file__).parent.parent / "examples").glob("*.toml"))
REL = 1e-9


def close(a, b, rel=REL):
    a, b = float(a), float(b)
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def assert_matches(out, values):
    assert close(out.cost, values.cost), (out.cost, float(values.cost))
    expected = values.gradients
    assert list(out.gradients) == list(expected)
    for name, g in expected.items():
        assert close(out.gradients[name], g), (name, out.gradients[name], float(g))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_matches_evaluate(path):
    net = sb.load(path)
    d = net.backward()
    if path.stem == "wide":      # no values in the spec: the compiled code says which are missing
        with pytest.raises(sb.PointError, match=r"^no value for x_\{1\}, x_\{2\}, x_\{3\}, y_\{1\}, y_\{2\}, "
                                                r"w\^\{\(1\)\}_\{11\}, w\^\{\(1\)\}_\{12\}, w\^\{\(1\)\}_\{13\} "
                                                r"and 47 more; give them in the spec or in the point$"):
            d.compile()()
        return
    out = d.compile()()
    assert_matches(out, d.evaluate())
    assert out.size == (len(net.points) if net.points else 1)


def _activation_cases():
    custom = [activations.Activation.custom("swish", lambda t: t * sympy.tanh(t)),
              activations.Activation.custom("cubic", lambda t: t ** 3 / 3 + t)]
    return sorted(activations.REGISTRY) + [{"name": "leaky_relu", "alpha": 0.2}] + custom


def _cost_cases():
    l4 = costs.Cost.custom("l4", lambda a, y: sum((ai - yi) ** 4 for ai, yi in zip(a, y)))
    return sorted(costs.REGISTRY) + [l4]


def _label(v):
    return v if isinstance(v, str) else getattr(v, "name", None) or v["name"] + "_alpha"


@pytest.mark.parametrize("act,cost", list(itertools.product(_activation_cases(), _cost_cases())),
                         ids=lambda v: _label(v))
def test_every_activation_and_cost(act, cost):
    """Every registered (and a custom) activation at the output and in a hidden layer,
    with every cost: the compiled numbers are evaluate()'s."""
    hidden = act if not (isinstance(act, str) and act == "softmax") else "sigmoid"
    try:
        net = sb.Network([3, 3, 2], activation=[hidden, act], cost=cost)
    except sb.SpecError as exc:
        assert "takes the logarithm" in str(exc)
        return
    rng = random.Random(7)
    values = {s: rng.uniform(-1, 1) for s in net.parameters}
    values.update({s: rng.uniform(-2, 2) for s in net.inputs})
    values.update({s: rng.uniform(0.05, 0.95) for s in net.targets})
    net.values = values
    d = net.backward()
    try:
        expected = d.evaluate()
    except sb.PointError:           # ln of a negative output of the cubic activation
        with pytest.raises(sb.PointError, match="not finite"):
            d.compile()()
        return
    assert_matches(d.compile()(), expected)


def test_saturated_sigmoid_and_softmax_keep_their_digits():
    """Binary cross-entropy at |z| = 40 and cross-entropy with a logit gap of 40: the
    stable forms give evaluate()'s numbers, not ln 0."""
    for act, cost in (("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy"), ("sigmoid", "mse")):
        net = sb.Network([1, 2], activation=act, cost=cost)
        net.values = {"x_{1}": 1, "w^{(1)}_{11}": 40, "b^{(1)}_{1}": 0, "w^{(1)}_{21}": -40,
                      "b^{(1)}_{2}": 0, "y_{1}": 0, "y_{2}": 1}
        d = net.backward()
        out = d.compile()()
        assert np.isfinite(out.cost) and out.cost > 0
        assert_matches(out, d.evaluate())


def test_a_batch_is_the_sum_of_its_examples():
    net = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index("lecture")])
    d = net.backward()
    fn = d.compile()
    xs = np.array([1.0, 0.5, -0.25, 2.0])
    ys = np.array([0.0, 1.0, 0.5, 0.25])
    out = fn({"x_{1}": xs, "y_2": ys, "w^{(1)}_{11}": 0.5})
    singles = [d.evaluate({"x_{1}": float(a), "y_{2}": float(b), "w^{(1)}_{11}": 0.5}) for a, b in zip(xs, ys)]
    assert out.size == 4
    assert close(out.cost, sum(float(v.cost) for v in singles))
    for name in out.gradients:
        assert close(out.gradients[name], sum(float(v.gradients[name]) for v in singles)), name


@pytest.mark.parametrize("stem", ["rnn", "residual", "circuit"])
def test_a_batch_on_other_graphs(stem):
    net = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index(stem)])
    d = net.backward()
    leaf = net.inputs[0]
    xs = [0.25, -1.5, 3.0]
    out = d.compile()({leaf.name: np.array(xs)})
    singles = [d.evaluate({leaf: x}) for x in xs]
    assert close(out.cost, sum(float(v.cost) for v in singles))
    for name in out.gradients:
        assert close(out.gradients[name], sum(float(v.gradients[name]) for v in singles)), name


def test_the_spec_values_are_the_default_and_symbols_are_keys():
    net = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index("shared_bias")])
    d = net.backward()
    fn = d.compile()
    assert fn().cost == fn({}).cost
    w5 = net.symbol("w_5")
    out = fn({w5: 0.1, "i_1": 0.2})
    assert_matches(out, d.evaluate({"w_5": 0.1, "i_1": 0.2}))
    assert out.gradients[w5] == out.gradients["w_5"]
    # b_1 is one parameter shared by both hidden neurons: its gradient sums both uses
    assert list(out.gradients).count("b_1") == 1
    assert fn() is not out and close(fn().cost, d.evaluate().cost)


def test_a_mini_batch_spec_runs_its_examples_and_a_point_replaces_them():
    net = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index("minibatch")])
    d = net.backward()
    fn = d.compile()
    batch = fn()
    assert batch.size == 3
    assert_matches(batch, d.evaluate())
    single = fn({"x_{1}": 0.05, "x_{2}": 0.1, "y_{1}": 0.01})
    assert single.size == 1
    assert_matches(single, d.evaluate({"x_{1}": 0.05, "x_{2}": 0.1, "y_{1}": 0.01}))


def test_an_empty_point_means_the_spec_values_on_a_mini_batch_spec():
    """{} overrides nothing: the spec's three examples, as with no argument (was: "no value
    for x_{1}"); evaluate, check and step read {} the same way."""
    d = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index("minibatch")]).backward()
    empty, none = d.compile()({}), d.compile()()
    assert empty.size == none.size == 3
    assert empty.cost == none.cost and dict(empty.gradients) == dict(none.gradients)
    batch = d.evaluate()
    assert d.evaluate({}).gradients == batch.gradients and d.evaluate({}).cost == batch.cost
    assert float(batch.gradients["w^{(1)}_{11}"]) == -0.005987500000947008
    assert empty.gradients["w^{(1)}_{11}"] == pytest.approx(-0.005987500000947008, rel=1e-14)
    assert_matches(empty, batch)
    assert d.check({}).as_dict() == d.check().as_dict()
    assert d.step(0.5, point={}).after == d.step(0.5).after


def test_a_cancelling_batch_total_is_within_1e_9_of_its_terms():
    """∂L/∂b⁽²⁾ = Σₙ (aⁿ − yⁿ) with targets of both signs: terms of about ±25 that add up
    to about 2. Each example's term is rounded in float64, so the total keeps their
    absolute error: within 10⁻⁹·Σₙ|∂Cⁿ/∂p| of the 50-digit reference (README)."""
    import mpmath
    from symbackprop.numeric import values as numeric
    spec = {"inputs": 1, "cost": "mse",
            "layers": [{"units": 2, "activation": "sigmoid", "W": [[0.5], [-0.3]], "b": [0.1, 0.2]},
                       {"units": 1, "activation": "identity", "W": [[2, -1]], "b": [0]}],
            "points": [{"x": [0.7], "y": [25.3]}, {"x": [-1.9], "y": [-24.1]}, {"x": [0.3], "y": [-0.9]}]}
    d = sb.load(spec).backward()
    net = d.network
    out = d.compile()()
    prog = numeric.program(d, "mp")
    with mpmath.workdps(50):
        per_example = [prog({s: numeric.to_system(v, "mp") for s, v in numeric.resolve_point(net, p).items()})
                       for p in net.points]
        for name, got in out.gradients.items():
            terms = [r[d.gradient(net.symbol(name)).symbol] for r in per_example]
            reference, size = mpmath.fsum(terms), mpmath.fsum(abs(t) for t in terms)
            assert abs(got - reference) <= 1e-9 * size, name
            assert abs(float(d.evaluate().gradients[name]) - got) <= 1e-9 * size, name
        b2 = [r[d.gradient(net.symbol("b^{(2)}_{1}")).symbol] for r in per_example]
        assert mpmath.fsum(abs(t) for t in b2) >= 20 * abs(mpmath.fsum(b2))   # the terms cancel


def test_compile_is_cached():
    net = sb.Network([16, 16, 16, 16])
    d = net.backward()
    assert d.compile() is d.compile()


BAD = [
    ({"q_7": 1.0}, "unknown name 'q_7'; "),
    ({"x_{1}": np.zeros((2, 2))}, r"point value of x_\{1\}: expected a number or a 1-D array along the batch "
                                  r"axis, got an array of shape \(2, 2\)$"),
    ({"w^{(1)}_{11}": [1.0, 2.0]}, r"point value of w\^\{\(1\)\}_\{11\}: a parameter takes one number \(it is "
                                   r"shared by every example\), not an array$"),
    ({"x_{1}": [1, 2], "x_{2}": [1, 2, 3]}, r"^point: x_\{2\} has 3 examples but x_\{1\} has 2$"),
    ({"x_{1}": "abc"}, r"^point value of x_\{1\}: expected a number, got 'abc'$"),
    ({"x_{1}": float("nan")}, r"^point value of x_\{1\}: expected a finite number, got nan$"),
    ({"x_{1}": []}, r"got an array of shape \(0,\)$"),
    ({"C": 1.0}, r"^point: 'C' is not an input, target or parameter$"),
    ({"x_{1}": [1.0, float("inf")]}, r"^point: the arrays along the batch axis must hold finite numbers$"),
    ({"x_{1}": [1.0, "a"]}, r"^point value of x_\{1\}: expected numbers, got list with other entries$"),
    (["x_{1}"], r"^point: expected a dict of values by name, got list$"),
]


@pytest.mark.parametrize("point,message", BAD, ids=range(len(BAD)))
def test_bad_points_are_one_line_errors(point, message):
    d = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index("lecture")]).backward()
    with pytest.raises(sb.PointError, match=message) as info:
        d.compile()(point)
    assert "\n" not in str(info.value)


def test_a_masked_array_is_refused_unless_nothing_is_masked():
    net = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index("lecture")])
    fn = net.backward().compile()
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(sb.PointError, match=r"^point value of x_\{1\}: a masked array; its masked entries "
                                            r"would be computed too: drop them \(array\[~array.mask\]\) or fill them$"):
        fn({"x_{1}": masked})
    whole = fn({"x_{1}": np.ma.masked_array([1.0, 3.0], mask=[False, False])})
    assert close(whole.cost, fn({"x_{1}": np.array([1.0, 3.0])}).cost)


def test_bad_batch_on_a_graph():
    d = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index("circuit")]).backward()
    with pytest.raises(sb.PointError, match=r"^point value of x: expected finite numbers$"):
        d.compile()({"x": np.array([1.0, np.nan])})


def test_unknown_and_missing_backends():
    d = sb.Network([2, 1]).backward()
    with pytest.raises(sb.SpecError, match=r"^unknown backend 'tf'; expected one of: numpy, torch, jax$"):
        d.compile("tf")
    for backend, package in (("torch", "torch"), ("jax", "jax")):
        try:
            __import__(package)
        except ImportError:
            with pytest.raises(sb.SymbackpropError, match=rf"^the {backend} backend needs the package "
                                                          rf"{package}, which is not installed \(pip install {package}\)$"):
                d.compile(backend)


WITH_VALUES = [p for p in EXAMPLES if p.stem != "wide"]


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("path", WITH_VALUES, ids=lambda p: p.stem)
def test_torch_and_jax_backends_match_evaluate_where_installed(backend, path):
    pytest.importorskip(backend)
    net = sb.load(path)
    d = net.backward()
    out = d.compile(backend)()
    assert isinstance(out.cost, float) and all(isinstance(g, float) for g in out.gradients.values())
    assert_matches(out, d.evaluate())
    assert out.size == (len(net.points) if net.points else 1)


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("stem", ["lecture", "rnn", "circuit"])
def test_torch_and_jax_batches_are_sums_of_their_examples(backend, stem):
    pytest.importorskip(backend)
    net = sb.load(EXAMPLES[[p.stem for p in EXAMPLES].index(stem)])
    d = net.backward()
    leaf = net.inputs[0]
    xs = [0.25, -1.5, 3.0, 0.5]
    out = d.compile(backend)({leaf.name: np.array(xs)})
    singles = [d.evaluate({leaf: x}) for x in xs]
    assert out.size == 4
    assert close(out.cost, sum(float(v.cost) for v in singles))
    for name in out.gradients:
        assert close(out.gradients[name], sum(float(v.gradients[name]) for v in singles)), name


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_torch_and_jax_keep_saturated_digits(backend):
    """The stable forms hold in every backend: σ(40) and a softmax of large inputs keep
    the gradient's digits (the same net as the NumPy test above)."""
    pytest.importorskip(backend)
    for act, cost in (("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy"), ("sigmoid", "mse")):
        net = sb.Network([1, 2], activation=act, cost=cost)
        net.values = {"x_{1}": 1, "w^{(1)}_{11}": 40, "b^{(1)}_{1}": 0, "w^{(1)}_{21}": -40,
                      "b^{(1)}_{2}": 0, "y_{1}": 0, "y_{2}": 1}
        d = net.backward()
        out = d.compile(backend)()
        assert math.isfinite(out.cost) and out.cost > 0
        assert_matches(out, d.evaluate())


@pytest.mark.parametrize("out_act,cost", [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
                                          ("softmax", "binary_cross_entropy"), ("sigmoid", "mse"),
                                          ("softplus", "cross_entropy")])
def test_recurrent_nets_with_every_output_form(out_act, cost):
    rnn = sb.Recurrent(2, 3, 2, 3, activation="silu", output_activation=out_act, cost=cost)
    rng = random.Random(3)
    rnn.values = {s: rng.uniform(0.1, 0.9) if rnn.nodes[s].kind == "y" else rng.uniform(-1, 1) for s in rnn.leaves}
    d = rnn.backward()
    assert_matches(d.compile()(), d.evaluate())
    xs = np.array([0.5, -1.0])
    out = d.compile()({"x^{(2)}_{1}": xs})
    singles = [d.evaluate({"x^{(2)}_{1}": float(x)}) for x in xs]
    assert close(out.cost, sum(float(v.cost) for v in singles))


def _misc_graph():
    g = sb.Graph("exp, ln, sqrt, Max, Min, a custom and a leaky activation")
    x, y, w = g.input("x"), g.input("y"), g.parameter("w")
    swish = activations.Activation.custom("swish", lambda t: t * sympy.tanh(t))
    leaky = activations.get({"name": "leaky_relu", "alpha": 0.2})
    u = g.define("u", sympy.exp(w * x) + sympy.log(y ** 2 + 1) + sympy.sqrt(x ** 2 + 1))
    m = g.define("m", sympy.Max(u, x) + sympy.Min(u, 2 * y))
    s = g.define("s", swish(m))
    lk = g.define("l", leaky(s - 3))
    g.output(g.define("f", lk ** 2 / 2 + 1 / (1 + s ** 2)))
    g.values = {"x": 0.3, "y": -0.7, "w": 1.1}
    return g


def test_a_graph_of_elementary_functions_and_custom_activations():
    d = _misc_graph().backward()
    assert_matches(d.compile()(), d.evaluate())
    xs = [0.3, -2.0, 1.5]
    out = d.compile()({"x": np.array(xs)})
    singles = [d.evaluate({"x": x}) for x in xs]
    assert close(out.cost, sum(float(v.cost) for v in singles))
    for name in ("w", "x", "y"):
        assert close(out.gradients[name], sum(float(v.gradients[name]) for v in singles))
    # the exported module of the same graph gives the same numbers
    from symbackprop.codegen import source
    namespace = {}
    exec(compile(source(d), "<module>", "exec"), namespace)
    exported = namespace["evaluate"]()
    assert close(exported["cost"], d.evaluate().cost)
    assert exported["gradients"].keys() == {"w", "x", "y"}


@pytest.mark.parametrize("stem", ["lecture", "circuit"])
def test_new_values_are_the_compiled_codes_defaults(stem):
    """net.values = … after compile(): the names not given take the new values, as in evaluate()."""
    net = sb.load(Path(__file__).parent.parent / "examples" / f"{stem}.toml")
    d = net.backward()
    fn = d.compile()
    before = fn().cost
    leaf = next(s for s in net.leaves if s in net.values)
    net.values = {**net.values, leaf: float(net.values[leaf]) + 0.5}
    expected = d.evaluate()
    assert not close(before, float(expected.cost))
    out = fn()
    assert close(out.cost, float(expected.cost))
    for name, g in expected.gradients.items():
        assert close(out.gradients[name], float(g)), name


def test_gradients_answer_in_and_get_as_a_dict_does():
    """`key in out.gradients` and `.get` are False and None for a name without a gradient,
    while out.gradients[key] names the reason; their values are evaluate()'s."""
    net = sb.load(Path(__file__).parent.parent / "examples" / "lecture.toml")
    d = net.backward()
    grads = d.compile()().gradients
    expected = d.evaluate().gradients
    name = next(iter(expected))
    assert name in grads and net.symbol(name) in grads
    assert grads.get(name) == pytest.approx(float(expected[name]), rel=1e-12)
    for key in ("nope", "x_{1}", 3, ["a"]):
        assert key not in grads and grads.get(key, "none") == "none"
    with pytest.raises(sb.PointError, match=r"^'x_\{1\}' is not a parameter of this network$"):
        grads["x_{1}"]
