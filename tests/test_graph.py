"""Any graph: circuits, residual blocks, recurrent nets (BPTT) and mini-batches, each
compared with published values or with a route that shares no code with the sweep."""

import json
import math

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

import symbackprop as sb
from symbackprop.errors import SpecError

from conftest import EXAMPLES


def _circuit():
    g = sb.Graph(title="f = (x + y) z")
    x, y, z = g.input("x"), g.input("y"), g.input("z")
    q = g.define("q", x + y)
    g.output(g.define("f", q * z))
    return g


# --- published circuit values (CS231n, "Backpropagation, Intuitions") -------------------------

def test_the_add_multiply_circuit_gives_the_published_gradients():
    g = _circuit()
    d = g.backward()
    v = d.evaluate({"x": -2, "y": 5, "z": -4})
    assert v.exact and v["q"] == 3 and v["f"] == -12
    assert v.gradients == {"x": -4, "y": -4, "z": 3}
    assert v.adjoints == {"f": 1, "q": -4}
    # one step each, in the consumers' adjoints
    q_bar = sympy.Symbol(r"\frac{\partial f}{\partial q}")
    assert d.adjoint("q").expr == sympy.Symbol("z") and d.adjoint("q").case == 1
    assert d.gradient("x").expr == q_bar and d.gradient("y").expr == q_bar
    assert d.gradient("z").expr == sympy.Symbol("q")
    assert str(d.gradient("x")) == "∂f/∂x = ∂f/∂q"


def test_the_sigmoid_neuron_circuit_gives_the_published_values():
    d = sb.load(EXAMPLES / "sigmoid_neuron.toml").backward()
    v = d.evaluate()
    s = 1 / (1 + math.exp(-1.0))            # z = 2·(−1) − 3·(−2) − 3 = 1
    assert v["z"] == 1 and v["f"] == pytest.approx(s, rel=1e-15)
    assert round(v["f"], 2) == 0.73 and round(v.gradients["x_0"], 2) == 0.39
    expected = {"w_0": -s * (1 - s), "w_1": -2 * s * (1 - s), "w_2": s * (1 - s),
                "x_0": 2 * s * (1 - s), "x_1": -3 * s * (1 - s)}
    assert list(v.gradients) == list(expected)
    for name, value in expected.items():
        assert v.gradients[name] == pytest.approx(value, rel=1e-14), name
    assert str(d.adjoint("z")) == "∂f/∂z = σ′(z)"
    assert d.check().passed


def test_registry_activations_are_callable():
    z = sympy.Symbol("z")
    assert sb.sigmoid(z) == sb.activations.get("sigmoid").func(z)
    assert sb.tanh(z).diff(z) == 1 - sb.tanh(z) ** 2
    assert sb.identity(z) == z


# --- a residual block: the input feeds two consumers ------------------------------------------

def test_the_residual_block_sums_the_skip_and_the_path():
    g = sb.load(EXAMPLES / "residual.toml")
    d = g.backward()
    r_bar = sympy.Symbol(r"\frac{\partial C}{\partial r}")
    z1_bar = sympy.Symbol(r"\frac{\partial C}{\partial z_1}")
    assert d.gradient("x").expr == sympy.Symbol("w_1") * z1_bar + r_bar
    v = d.evaluate()
    # by hand: z1 = 0.5, h = 0.5, z2 = −0.3, r = 0.2, a = σ(0.2), C = ½(a − 1)²
    a = 1 / (1 + math.exp(-0.2))
    dr = (a - 1) * a * (1 - a)
    assert v["C"] == pytest.approx(0.5 * (a - 1) ** 2, rel=1e-15)
    assert v.gradients["x"] == pytest.approx(1.5 * (-0.8) * dr + dr, rel=1e-14)
    assert v.gradients["w_2"] == pytest.approx(0.5 * dr, rel=1e-14)
    assert d.check().passed


# --- BPTT: a recurrent net against a forward pass written here, and finite differences --------

def _rnn_cost(p, xs, ys, hidden=2):
    """½ Σ_t (o_t − y_t)² of an Elman net, written out by hand (tanh, identity output)."""
    h = [mpmath.mpf(0)] * hidden
    total = mpmath.mpf(0)
    for x, y in zip(xs, ys):
        h = [mpmath.tanh(sum(p[f"W_{{{j}{k}}}"] * h[k - 1] for k in range(1, hidden + 1))
                         + p[f"U_{{{j}1}}"] * x + p[f"b_{{{j}}}"]) for j in range(1, hidden + 1)]
        o = sum(p[f"V_{{1{k}}}"] * h[k - 1] for k in range(1, hidden + 1)) + p["c_{1}"]
        total += (o - y) ** 2 / 2
    return total


def test_bptt_gradients_agree_with_finite_differences_of_a_hand_written_rnn():
    rnn = sb.load(EXAMPLES / "rnn.toml")
    d = rnn.backward()
    v = d.evaluate()
    xs, ys = [1.0, 0.5, -1.0], [0.5, 0.2, 0.1]
    params = {p.name: mpmath.mpf(float(rnn.values[p])) for p in rnn.parameters}
    with mpmath.workdps(40):
        assert float(_rnn_cost(params, xs, ys)) == pytest.approx(float(v.cost), rel=1e-14)
        h = mpmath.mpf("1e-15")
        for name in params:
            up, down = dict(params), dict(params)
            up[name] += h
            down[name] -= h
            fd = (_rnn_cost(up, xs, ys) - _rnn_cost(down, xs, ys)) / (2 * h)
            assert v.gradients[name] == pytest.approx(float(fd), rel=1e-9, abs=1e-15), name
    # a shared recurrent weight collects one term per step that uses it (steps 2 and 3)
    assert len(d.gradient("W_{11}").uses) == 2 and len(d.gradient("U_{11}").uses) == 3
    # the recurrence: ∂C/∂h⁽¹⁾ in terms of step 1's output and step 2's pre-activations
    assert str(d.adjoint("h^{(1)}_{1}")) == "∂C/∂h⁽¹⁾₁ = V₁₁·∂C/∂q⁽¹⁾₁ + W₁₁·∂C/∂z⁽²⁾₁ + W₂₁·∂C/∂z⁽²⁾₂"
    assert d.check().passed


def test_recurrent_builder_matches_the_spec_and_rejects_bad_sizes():
    rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3, activation="tanh",
                       output_activation="identity", cost="mse")
    assert [s.name for s in rnn.parameters] == ["W_{11}", "W_{12}", "W_{21}", "W_{22}", "U_{11}", "U_{21}",
                                                "b_{1}", "b_{2}", "V_{11}", "V_{12}", "c_{1}"]
    assert rnn.cost == sympy.Add(*[sympy.Symbol("C^{(%d)}" % t) for t in (1, 2, 3)])
    with pytest.raises(SpecError, match="^steps must be a positive integer, got 0$"):
        sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=0)


def test_recurrent_initial_state_adds_the_step_one_w_term():
    rnn = sb.Recurrent(inputs=1, hidden=1, outputs=1, steps=2, h0=[0.5])
    d = rnn.backward()
    assert str(d.node("z^{(1)}_{1}")) == "z⁽¹⁾₁ = W₁₁·h⁽⁰⁾₁ + U₁₁·x⁽¹⁾₁ + b₁"   # as written: W h + U x + b
    assert len(d.gradient("W_{11}").uses) == 2


# --- mini-batch: L = Σₙ Cⁿ ------------------------------------------------------------------

def test_minibatch_gradients_are_the_sum_of_the_examples():
    net = sb.load(EXAMPLES / "minibatch.toml")
    d = net.backward()
    batch = d.evaluate()
    singles = [d.evaluate(point) for point in net.points]
    assert len(batch.examples) == 3
    assert batch.cost == pytest.approx(sum(v.cost for v in singles), rel=1e-15)
    for name, total in batch.gradients.items():
        assert total == pytest.approx(sum(v.gradients[name] for v in singles), rel=1e-14, abs=1e-18)
    # the first example is Matt Mazur's network with one output: C = 0.274811083…
    assert singles[0].cost == pytest.approx(0.274811083176155, rel=1e-12)
    report = d.check()
    assert report.passed and report.rows[0].recursion == pytest.approx(batch.gradients["w^{(1)}_{11}"])


def test_eval_json_of_a_batch_lists_the_examples(run_cli):
    code, out, err = run_cli("eval", EXAMPLES / "minibatch.toml", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["cost", "gradients", "check", "examples"]
    assert len(data["examples"]) == 3 and list(data["examples"][0]) == ["cost", "layers", "gradients"]
    assert data["cost"] == pytest.approx(sum(e["cost"] for e in data["examples"]), rel=1e-15)


def test_eval_json_of_a_graph_has_nodes_adjoints_and_gradients(run_cli):
    code, out, err = run_cli("eval", EXAMPLES / "circuit.toml", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["cost", "nodes", "gradients", "adjoints", "check"]
    assert data["cost"] == -12.0 and data["nodes"] == {"q": 3.0, "f": -12.0}
    assert data["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert data["adjoints"] == {"f": 1.0, "q": -4.0}
    assert data["check"]["passed"] is True


def test_check_takes_an_answer_about_a_graph(run_cli):
    code, out, err = run_cli("check", EXAMPLES / "circuit.toml", "--wrt", "x",
                             "--answer", r"\frac{\partial f}{\partial q}")
    assert (code, err) == (0, "") and out.startswith("x: equivalent")
    code, out, _ = run_cli("check", EXAMPLES / "rnn.toml", "--wrt", "W_{11}", "--json",
                           "--answer", r"h^{(1)}_1 \frac{\partial C}{\partial z^{(2)}_1}")
    assert code == 1 and json.loads(out)["verdict"] == "not_equivalent"
    code, out, _ = run_cli("check", EXAMPLES / "sigmoid_neuron.toml", "--wrt", "w_0", "--json",
                           "--answer=-x_0 \\sigma(z)(1 - \\sigma(z))")
    assert code == 1 and json.loads(out)["diagnosis"] == "sign_error"


def test_grade_on_a_graph_scores_each_row(run_cli, tmp_path):
    answers = tmp_path / "a.csv"
    answers.write_text("id,wrt,answer\ns1,x,z\ns2,z,x+y\ns3,y,-z\ns4,q,2z\n")
    code, out, err = run_cli("grade", EXAMPLES / "circuit.toml", answers)
    assert (code, err) == (0, "")
    rows = [line.split(",")[:6] for line in out.splitlines()[1:]]
    assert rows == [["s1", "x", "x", "equivalent", "", ""], ["s2", "z", "z", "equivalent", "", ""],
                    ["s3", "y", "y", "not_equivalent", "sign_error", "the right formula with its sign flipped"],
                    ["s4", "q", "q", "not_equivalent", "factor_two", "twice the right formula"]]


# --- unused leaves and definitions are allowed -------------------------------------------------

def test_a_leaf_or_node_the_output_does_not_use_has_gradient_zero():
    g = sb.Graph()
    x, u = g.input("x"), g.parameter("u")
    g.define("s", u * x)                      # not used by f
    f = g.define("f", x ** 2)
    g.output(f)
    d = g.backward()
    assert d.adjoint("s").expr == 0 and d.gradient("u").expr == 0
    v = d.evaluate({"x": 3, "u": 2})
    assert v.gradients == {"u": 0, "x": 6}
    assert d.check({"x": 3, "u": 2}).passed


# --- bad define entries: one error line naming the entry, exit code 2 -------------------------

BAD = [
    pytest.param(['q = x + w'], "define[1]: column 9: unknown name 'w'; declared so far: x, y", id="unknown"),
    pytest.param(['q = x + r', 'r = y'], "define[1]: uses 'r' before it is defined (in define[2]); "
                 "each definition may use only earlier names", id="before-defined"),
    pytest.param(['q = x', 'q = y'], "define[2]: 'q' is defined twice (first in define[1])", id="twice"),
    pytest.param(['q = q + x'], "define[1]: 'q' uses itself: a definition cannot depend on itself (a cycle)",
                 id="self-cycle"),
    pytest.param(['q = r + x', 'r = q y'], "define[1]: a cycle: q → r → q; each definition may use only "
                 "earlier names", id="cycle"),
    pytest.param(['q = x + (y'], "define[1]: column 9: unbalanced '(': it is never closed", id="unreadable"),
    pytest.param(['q = x', 'c = 2'], "output: the output c depends on none of the declared leaves",
                 id="no-leaf"),
    pytest.param(['q x + y'], "define[1]: expected \"name = formula\" (no '=' found)", id="no-equals"),
    pytest.param(['x = y'], "define[1]: the name 'x' is used for both an input and a node", id="leaf-redefined"),
    pytest.param(['q = __import__("os")'], "define[1]: column 16: unexpected character '\"'", id="python"),
]


@pytest.mark.parametrize("define, message", BAD)
def test_bad_define_entries_are_one_error_line(run_cli, tmp_path, define, message):
    spec = tmp_path / "g.json"
    output = define[-1].split("=")[0].strip() if "=" in define[-1] else "q"
    spec.write_text(json.dumps({"inputs": ["x", "y"], "define": define, "output": output}))
    code, out, err = run_cli("eval", spec)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {spec}: {message}"), err
    assert err.count("\n") == 1


def test_2000_definitions_load_reading_each_declared_name_once(monkeypatch):
    import symbackprop.reading.formula as formula
    from symbackprop.reading.names import name_key
    keys = []
    monkeypatch.setattr(formula, "name_key", lambda name: keys.append(name) or name_key(name))
    define = ["v_{1} = x"] + [f"v_{{{n}}} = v_{{{n - 1}}} + w x" for n in range(2, 2001)]
    g = sb.load({"inputs": ["x"], "parameters": ["w"], "define": define, "point": {"x": 0.5, "w": 3}})
    assert len(keys) == 2 + 2000 and len(set(keys)) == len(keys)
    # f = x + 1999 w x
    assert g.backward().evaluate().gradients == {"w": 999.5, "x": 5998.0}


def test_an_output_that_is_not_defined_is_refused():
    with pytest.raises(SpecError, match=r"^spec: output: 'nope' is not one of the defined nodes$"):
        sb.load({"inputs": ["x"], "define": ["f = x"], "output": "nope"})


def test_python_builders_refuse_what_the_spec_refuses():
    g = sb.Graph()
    x = g.input("x")
    with pytest.raises(SpecError, match="not defined before it"):
        g.define("f", x * sympy.Symbol("w"))
    with pytest.raises(SpecError, match="is not a valid symbol name"):
        g.input("x^^5cinput")
    g.output(g.define("f", 2 * x))
    with pytest.raises(SpecError, match="define every node before calling output"):
        g.define("late", x)


# --- properties: random graphs against sympy.diff of their closed form ---------------------------

OPS = ("add", "mul", "sigmoid", "tanh", "square")


@st.composite
def random_graphs(draw):
    n_leaves = draw(st.integers(2, 4))
    leaves = [sympy.Symbol(f"p_{i}") for i in range(1, n_leaves + 1)]
    g = sb.Graph()
    nodes = [g.parameter(s.name) for s in leaves]
    exprs = {s: s for s in nodes}
    for i in range(1, draw(st.integers(2, 7)) + 1):
        op = draw(st.sampled_from(OPS))
        a = draw(st.sampled_from(nodes))          # earlier nodes: fan-out and sharing happen
        b = draw(st.sampled_from(nodes))
        expr = {"add": a + b, "mul": a * b, "sigmoid": sb.sigmoid(a), "tanh": sb.tanh(a),
                "square": a ** 2}[op]
        sym = g.define(f"n_{i}", expr)
        exprs[sym] = expr.xreplace(exprs)
        nodes.append(sym)
    out = g.define("f", sympy.Add(*nodes[n_leaves:]))
    exprs[out] = sympy.Add(*nodes[n_leaves:]).xreplace(exprs)
    g.output(out)
    point = {s.name: draw(st.floats(-1.5, 1.5)) for s in leaves}
    return g, leaves, exprs[out], point


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_random_graphs_agree_with_sympy_diff_of_the_closed_form(case):
    g, leaves, closed, point = case
    values = g.backward().evaluate(point)
    at = {s: sympy.Float(point[s.name], 30) for s in leaves}
    for s in leaves:
        expected = float(sympy.diff(closed, s).evalf(30, subs=at))
        assert values.gradients[s.name] == pytest.approx(expected, rel=1e-9, abs=1e-12), s.name


@pytest.mark.parametrize("name", ["circuit.toml", "residual.toml", "rnn.toml", "sigmoid_neuron.toml",
                                  "minibatch.toml"])
def test_every_graph_example_derives_in_every_format(name):
    d = sb.load(EXAMPLES / name).backward()
    for fmt in ("latex", "markdown", "html", "json", "text"):
        first = sb.render(d, fmt)
        assert first == sb.render(sb.load(EXAMPLES / name).backward(), fmt), fmt
    text = sb.render(d, "text")
    if name != "minibatch.toml":
        assert "The backward pass" in text and "Three-way check" in text
    else:
        assert "The mini-batch" in text and "Three-way check" in text


def test_answers_on_a_graph_with_a_restricted_domain_are_checked(run_cli, tmp_path):
    spec = tmp_path / "ln.json"
    spec.write_text(json.dumps({"inputs": ["x", "y"], "define": [r"f = \ln(x) + \sqrt{y}"],
                                "point": {"x": 1, "y": 4}}))
    code, out, err = run_cli("check", spec, "--wrt", "x", "--answer", "1/x")
    assert (code, err) == (0, "") and out.startswith("x: equivalent")
    code, out, err = run_cli("check", spec, "--wrt", "y", "--answer", r"\frac{1}{2\sqrt{y}}")
    assert (code, err) == (0, "") and out.startswith("y: equivalent")


def test_a_node_named_c_in_a_graph_is_that_node_in_answers(run_cli, tmp_path):
    spec = tmp_path / "c.json"
    spec.write_text(json.dumps({"inputs": ["x", "y"], "define": ["C = x + y", "f = C x"]}))
    code, out, err = run_cli("check", spec, "--wrt", "x", "--answer", r"\frac{\partial f}{\partial C} + C")
    assert (code, err) == (0, "") and out.startswith("x: equivalent")


def test_notation_applies_to_layered_specs_only(run_cli):
    code, out, err = run_cli("derive", EXAMPLES / "residual.toml", "--notation", "lecture")
    assert (code, out) == (2, "")
    assert err == ("error: --notation lecture applies to layered networks only; a graph or recurrent "
                   "spec writes its own names\n")


@pytest.mark.parametrize("x, message", [
    ([1, 2], "point.x[1]: expected a list of 1 (one per input), got 1"),
    ([[1]], "point.x: expected 2 rows (one per step), got 1"),
    ([[1, 2], [3, 4]], "point.x[1]: expected 1 entries (one per input), got 2"),
])
def test_recurrent_point_shapes_are_named_by_step_and_input(x, message):
    spec = {"cost": "mse", "recurrent": {"inputs": 1, "hidden": 1, "outputs": 1, "steps": 2}, "point": {"x": x}}
    with pytest.raises(SpecError) as info:
        sb.load(spec)
    assert str(info.value) == "spec: " + message


# --- scale: deep and wide networks evaluate, or are refused at once ------------------------

def test_a_60_layer_chain_evaluates_and_checks(run_cli, tmp_path):
    spec = tmp_path / "chain.json"
    spec.write_text(json.dumps({"inputs": 1, "layers": [{"units": 1, "W": [[1.1]], "b": [0.1]}] * 60,
                                "point": {"x": [0.5], "y": [0.3]}}))
    code, out, err = run_cli("eval", spec, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["check"]["passed"] is True
    # the closed form stops where sympy.diff would recurse too deep; forward mode goes on
    assert data["check"]["symbolic"] == ("all 121 gradients: 38 by the closed-form cost, "
                                         "83 by sympy.diff node by node, forward mode")
    # a hand-written chain rule: C = ½(a₆₀ − y)², a_l = σ(1.1 a_{l−1} + 0.1)
    a = [0.5]
    for _ in range(60):
        a.append(1 / (1 + math.exp(-(1.1 * a[-1] + 0.1))))
    g = a[-1] - 0.3
    for l in range(60, 0, -1):
        g *= a[l] * (1 - a[l])
        if l > 1:
            g *= 1.1
    assert data["gradients"]["b^{(1)}_{1}"] == pytest.approx(g, rel=1e-12)


def test_a_wide_layer_compiles_without_recursion_and_checks_by_cones():
    net = sb.Network([1, 3000, 1])
    net.values = {s: (0.001 * (i % 7) - 0.003) for i, s in enumerate(net.leaves)}
    d = net.backward()
    v = d.evaluate()
    w2 = {j: float(net.values[net.w(2, 1, j)]) for j in range(1, 3001)}
    delta2 = v.delta(2, 1)
    assert v.gradients["w^{(2)}_{1,17}"] == pytest.approx(v.a(1, 17) * delta2, rel=1e-14)
    fd = sb.numeric.values.finite_differences(d, sb.numeric.values.resolve_point(net), [net.w(1, 17, 1), net.b(2, 1)])
    assert float(fd[net.b(2, 1)]) == pytest.approx(delta2, rel=1e-12)
    assert float(fd[net.w(1, 17, 1)]) == pytest.approx(
        float(net.values[net.x(1)]) * v.delta(1, 17), rel=1e-9, abs=1e-18)
    assert w2[17] * v.a(1, 17) * (1 - v.a(1, 17)) * delta2 == pytest.approx(v.delta(1, 17), rel=1e-12)


def test_too_many_layers_are_refused_at_once():
    with pytest.raises(SpecError, match="^the network has 1,001 layers, above the limit of 1,000$"):
        sb.Network([1] * 1002)


def test_a_network_above_the_weight_limit_is_refused_at_once(run_cli, tmp_path):
    with pytest.raises(SpecError, match="^the network has 250,000 weights, above the limit of 20,000$"):
        sb.Network([500, 500])
    spec = tmp_path / "big.json"
    spec.write_text(json.dumps({"inputs": 500, "layers": [{"units": 500}]}))
    assert run_cli("eval", spec) == (2, "", f"error: {spec}: the network has 250,000 weights, "
                                            "above the limit of 5,000\n")


def test_finite_differences_are_sampled_beyond_their_limit(monkeypatch):
    from symbackprop.numeric import check as check_module
    monkeypatch.setattr(check_module, "FD_ALL", 10)
    monkeypatch.setattr(check_module, "FD_SAMPLE", 4)
    report = sb.load(EXAMPLES / "lecture.toml").backward().check(symbolic_limit=0)
    assert report.passed
    assert sum(r.finite_difference is not None for r in report.rows) == 4
    assert report.symbolic_note.endswith("; finite differences: a seeded sample of 4 of 20 gradients at "
                                         "50 digits (seed 0), every gradient at float64, and 3 seeded "
                                         "random directions at 50 digits")
    # a row without a high-precision reference is checked at float64, says so and stays
    # out of the largest errors
    float_only = [r for r in report.rows if r.finite_difference is None and r.symbolic is None]
    assert len(float_only) == 16 and {r.note for r in float_only} == {check_module.FLOAT_ONLY}
    assert all(r.float_difference is not None for r in report.rows)


def test_a_batch_row_is_a_kink_only_when_an_example_is_at_a_kink(monkeypatch):
    """Notes of other kinds (a sampled-out gradient) must not pass a batch row as a kink."""
    from symbackprop.numeric import check as check_module
    monkeypatch.setattr(check_module, "FD_ALL", 5)
    monkeypatch.setattr(check_module, "FD_SAMPLE", 3)
    report = sb.load(EXAMPLES / "minibatch.toml").backward().check(symbolic_limit=0)
    assert not any(r.note == check_module.KINK_NOTE for r in report.rows)
    assert {r.note for r in report.rows} <= {None, check_module.FLOAT_ONLY}


def test_an_unused_relu_at_its_kink_does_not_mark_the_leaves():
    g = sb.Graph()
    x, y = g.input("x"), g.input("y")
    g.define("u", sb.relu(x - y))             # at its kink, but the output does not use it
    g.output(g.define("f", x * y))
    report = g.backward().check({"x": 2, "y": 2})
    assert report.kinks == [] and all(r.finite_difference is not None for r in report.rows)


def test_abs_is_refused_in_a_definition():
    g = sb.Graph()
    x = g.input("x")
    with pytest.raises(SpecError, match="the function Abs is not one the project can print, differentiate"):
        g.define("f", sympy.Abs(x))


def test_a_one_step_recurrent_net_passes_its_gradient_through_c_equals_c1():
    """C = C⁽¹⁾ is a one-term sum: its local partial is 1, not the sum of no terms."""
    rnn = sb.Recurrent(1, 1, 1, 1, "tanh", "identity", "mse")
    rnn.values = {s: 0.5 for s in rnn.leaves}
    v = rnn.backward().evaluate()
    h = math.tanh(0.5 * 0.5 + 0.5)
    assert v.gradients["V_{11}"] == pytest.approx(h * (0.5 * h + 0.5 - 0.5), rel=1e-14)


@pytest.mark.parametrize("out, cost, extra", [
    ("softmax", "cross_entropy", {"V_{11}": 400, "V_{21}": -400}),
    ("sigmoid", "binary_cross_entropy", {"V_{11}": 400, "y^{(1)}_{1}": 0, "y^{(2)}_{1}": 1}),
])
def test_a_saturated_recurrent_output_keeps_its_digits(out, cost, extra):
    outputs = 2 if out == "softmax" else 1
    rnn = sb.Recurrent(1, 1, outputs, 2, "tanh", out, cost)
    rnn.values = {**{s: 0.3 for s in rnn.leaves}, **extra}
    report = rnn.backward().check()
    assert report.passed and report.max_rel_error < 1e-12


def test_eval_json_of_a_recurrent_net_has_an_adjoint_for_every_node(run_cli):
    code, out, err = run_cli("eval", EXAMPLES / "rnn.toml", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data["adjoints"]) == list(data["nodes"]) and len(data["nodes"]) == 22
    adj = data["adjoints"]
    assert adj["C"] == 1.0 and adj["C^{(2)}"] == 1.0
    # identity outputs: ∂C/∂o = ∂C/∂q = o − y at each step (written in place, evaluated here)
    for t in (1, 2, 3):
        o, y = data["nodes"][f"o^{{({t})}}_{{1}}"], [0.5, 0.2, 0.1][t - 1]
        assert adj[f"o^{{({t})}}_{{1}}"] == pytest.approx(o - y, rel=1e-14)
        assert adj[f"q^{{({t})}}_{{1}}"] == pytest.approx(o - y, rel=1e-14)


def test_check_on_a_minibatch_says_it_compares_one_example(run_cli):
    code, out, err = run_cli("check", EXAMPLES / "minibatch.toml", "--wrt", "b^{(2)}_1", "--answer", r"\delta^{(2)}_1")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == ("  (a mini-batch of 3 examples: the answer is compared as one example's "
                                    "gradient ∂Cⁿ/∂·; the batch's is its sum over the examples)")


@pytest.mark.parametrize("op", [sympy.Max, sympy.Min], ids=["max", "min"])
def test_a_tie_of_max_and_min_splits_the_adjoint_in_halves(op):
    """f = max(x, y) (or min) at x = y: ∂f/∂x = ∂f/∂y = ½ (H(0) = ½, README Conventions),
    in the recursion, the compiled code, the exported module and the check's references;
    off the tie the whole adjoint goes to the larger (smaller) one."""
    g = sb.Graph(title="f = max(x, y)")
    x, y = g.input("x"), g.input("y")
    g.output(g.define("f", op(x, y)))
    d = g.backward()
    tie = {"x": 2, "y": 2}
    assert d.evaluate(tie).gradients == {"x": 0.5, "y": 0.5}
    assert dict(d.compile()(tie).gradients) == {"x": 0.5, "y": 0.5}
    namespace = {}
    exec(compile(sb.codegen.source(d, "numpy"), "<exported>", "exec"), namespace)
    assert namespace["evaluate"](tie)["gradients"] == {"x": 0.5, "y": 0.5}
    report = d.check(tie)
    assert report.passed and [r.symbolic for r in report.rows] == [0.5, 0.5]
    assert all(abs(r.finite_difference - 0.5) < 1e-30 for r in report.rows)
    chosen = {"x": 1.0, "y": 0.0} if op is sympy.Max else {"x": 0.0, "y": 1.0}
    assert d.evaluate({"x": 3, "y": 2}).gradients == chosen


def test_nodes_and_formulas_carry_no_layer_the_builder_keeps_it():
    """Only a builder with layers knows them: Node and Formula have no layer field; the
    layered net's ``layer_of`` gives each node's layer (0: the inputs), which its names
    also say (w^{(2)}_{12} is in layer 2); a free graph and a recurrent net have none."""
    import dataclasses
    import re
    from symbackprop.core.derivation import Formula
    from symbackprop.core.graph import Node
    assert "layer" not in {f.name for f in dataclasses.fields(Node)}
    assert "layer" not in {f.name for f in dataclasses.fields(Formula)}
    net = sb.load(EXAMPLES / "lecture.toml")
    for sym, node in net.nodes.items():
        written = re.search(r"\^\{\((\d+)\)\}", sym.name)
        expected = int(written.group(1)) if written else (0 if node.kind == "x" else None)
        assert net.layer_of.get(sym) == expected, sym
    assert net.layer_of[net.x(1)] == 0 and net.cost_symbol not in net.layer_of
    graph = sb.load(EXAMPLES / "circuit.toml")
    rnn = sb.Recurrent(1, 1, 1, 2)
    assert dict(graph.layer_of) == {} == dict(rnn.layer_of)
    conv = sb.ConvNet((1, 3, 3), [sb.Conv(1, kernel=2), sb.Dense(1, "identity")])
    assert conv.layer_of[conv.z(1, 1, 1, 1)] == 1 and conv.layer_of[conv.w(2, 1, 1)] == 2
