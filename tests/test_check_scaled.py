"""The check above its per-parameter size (issue 12, item 4), evaluate's fixed argument order
(item 3) and the cached MathML (item 5), on small networks with the threshold lowered."""

import json
from fractions import Fraction
from pathlib import Path

import pytest
from latex2mathml.converter import convert

import symbackprop as sb
from symbackprop.numeric import check as check_module, values as numeric
from symbackprop.documents.formats import html
from symbackprop.errors import PointError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCALED = {"fd_all": 10, "fd_sample": 4}   # the lecture's 20 gradients count as large


def lecture():
    return sb.load(EXAMPLES / "lecture.toml").backward()


def _perturb(monkeypatch, names, delta):
    """The recursion's ∂C/∂name shifted by ``delta`` for each name (a wrong gradient)."""
    real = numeric.evaluate

    def wrong(derivation, point=None, **kw):
        v = real(derivation, point, **kw)
        for f in derivation.gradients:
            if f.of.name in names:
                v.numbers[f.symbol] = v.numbers[f.symbol] + delta
        return v
    monkeypatch.setattr(check_module.numeric, "evaluate", wrong)


# --- the routes of a large check -------------------------------------------------------------

def test_a_large_check_covers_every_gradient_at_float64_and_says_which_route_did_what():
    report = lecture().check(symbolic_limit=0, **SCALED)
    assert report.passed
    assert report.routes == {"symbolic": 0, "finite_differences": 4, "float64_finite_differences": 20,
                             "directional": 3}
    assert report.as_dict()["routes"] == {"recursion": 20, "symbolic": 0, "finite_differences": 4,
                                          "float64_finite_differences": 20, "directional": 3}
    sampled = [r for r in report.rows if r.finite_difference is not None]
    assert [r.name for r in sampled] == ["w^{(1)}_{12}", "b^{(2)}_{1}", "w^{(3)}_{11}", "w^{(3)}_{12}"]
    assert all(r.note is None for r in sampled)
    float_only = [r for r in report.rows if r.finite_difference is None]
    assert len(float_only) == 16 and {r.note for r in float_only} == {check_module.FLOAT_ONLY}
    for r in report.rows:   # float64 differences agree to about 10⁻⁹ relative, not to 10⁻¹⁶
        assert r.float_difference == pytest.approx(float(r.recursion), rel=1e-7)
        assert r.float_difference != float(r.recursion)
    # the maxima are the 50-digit references' (the sampled rows)
    assert report.max_rel_error == max(r.rel_error for r in sampled) < 1e-14
    assert [d.index for d in report.directions] == [1, 2, 3]
    assert all(d.ok and d.rel_error < 1e-13 for d in report.directions)
    assert report.coverage == (
        "recursion: all 20; symbolic: 0; 50-digit finite differences: a seeded sample of 4 (seed 0); "
        "float64 finite differences: 20 (rtol 1e-06); directional check at 50 digits along 3 seeded "
        "random directions (seed 0): passed, max rel error %.3g"
        % max(d.rel_error for d in report.directions))
    assert report.summary().splitlines()[2] == "routes: " + report.coverage


def test_a_small_check_keeps_its_three_routes():
    report = lecture().check()
    assert report.passed and report.directions == []
    assert report.routes == {"symbolic": 20, "finite_differences": 20, "float64_finite_differences": 0,
                             "directional": 0}
    assert report.coverage == "recursion: all 20; symbolic: 20; 50-digit finite differences: 20"
    assert all(r.float_difference is None and r.note is None for r in report.rows)
    assert report.as_dict()["directional"] == []


def test_the_directional_check_is_the_gradient_along_v():
    """(C(θ + hv) − C(θ − hv))/2h at 50 digits against Σ ∂C/∂p·vₚ, vₚ = ±max(1, |p|)."""
    d = lecture()
    report = d.check(**SCALED)
    values = d.evaluate()
    grads = {d.network.symbol(n): g for n, g in values.gradients.items()}
    grads.update({s: values.numbers[d.gradient(s).symbol] for s in d.network.inputs})
    again = check_module.directional(d, numeric.resolve_point(d.network), grads, 3, 0)
    assert [(x.derivative, x.predicted) for x in again] == [(x.derivative, x.predicted) for x in report.directions]
    first = report.directions[0]
    assert float(first.derivative) == pytest.approx(float(first.predicted), rel=1e-13)
    assert first.scale > abs(float(first.predicted))
    # another seed is another direction
    other = check_module.directional(d, numeric.resolve_point(d.network), grads, 1, 7)[0]
    assert other.predicted != first.predicted and other.ok


def test_a_wrong_sampled_gradient_fails_the_directional_and_the_sampled_checks(monkeypatch):
    _perturb(monkeypatch, {"b^{(2)}_{1}"}, 1e-5)
    report = lecture().check(symbolic_limit=0, **SCALED)
    assert not report.passed
    assert [r.name for r in report.failures] == ["b^{(2)}_{1}"]
    row = report.failures[0]
    assert row.finite_difference is not None and row.note is None
    assert row.abs_error == pytest.approx(1e-5, rel=1e-6)
    assert [d.ok for d in report.directions] == [False, False, False]
    assert all(d.abs_error == pytest.approx(1e-5, rel=1e-6) for d in report.directions)
    assert "directional check at 50 digits along 3 seeded random directions (seed 0): FAILED" in report.coverage
    assert report.as_dict()["passed"] is False
    assert [x["passed"] for x in report.as_dict()["directional"]] == [False, False, False]


def test_a_wrong_gradient_outside_the_sample_fails_at_float64_and_along_v(monkeypatch):
    _perturb(monkeypatch, {"b^{(1)}_{1}"}, 1e-5)
    report = lecture().check(symbolic_limit=0, **SCALED)
    assert not report.passed
    assert [r.name for r in report.failures] == ["b^{(1)}_{1}"]
    row = report.failures[0]
    assert row.finite_difference is None and row.note == check_module.FLOAT_ONLY
    assert row.abs_error == pytest.approx(1e-5, rel=1e-3)
    assert not any(d.ok for d in report.directions)


def test_a_gradient_off_by_a_part_in_a_thousand_fails_every_route(monkeypatch):
    real = numeric.evaluate

    def wrong(derivation, point=None, **kw):
        v = real(derivation, point, **kw)
        for f in derivation.gradients:
            v.numbers[f.symbol] = v.numbers[f.symbol] * 1.001
        return v
    monkeypatch.setattr(check_module.numeric, "evaluate", wrong)
    report = lecture().check(symbolic_limit=0, **SCALED)
    assert len(report.failures) == 18      # every parameter; the inputs' gradients are right
    assert not any(d.ok for d in report.directions)


def test_a_large_mini_batch_checks_each_example_along_its_directions():
    d = sb.load(EXAMPLES / "minibatch.toml").backward()
    report = d.check(fd_all=5, fd_sample=3)
    assert report.passed
    assert len(report.directions) == 3 * len(d.network.points)
    assert all(r.float_difference is not None for r in report.rows)


# --- the command line ------------------------------------------------------------------------

def test_eval_json_and_text_say_which_route_covered_what(run_cli):
    code, out, _ = run_cli("eval", EXAMPLES / "lecture.toml", "--json")
    check = json.loads(out)["check"]
    assert code == 0 and check["routes"] == {"recursion": 20, "symbolic": 20, "finite_differences": 20,
                                             "float64_finite_differences": 0, "directional": 0}
    assert check["directional"] == []
    code, out, _ = run_cli("eval", EXAMPLES / "lecture.toml")
    assert "\nroutes: recursion: all 20; symbolic: 20; 50-digit finite differences: 20\n" in out + "\n"


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_derive_no_check_leaves_the_check_out(run_cli, fmt):
    code, with_check, _ = run_cli("derive", EXAMPLES / "lecture.toml", "--format", fmt)
    code2, without, _ = run_cli("derive", EXAMPLES / "lecture.toml", "--format", fmt, "--no-check")
    assert code == code2 == 0
    if fmt == "json":
        a, b = json.loads(with_check), json.loads(without)
        assert a["check"]["passed"] is True and b["check"] is None
        assert a["formulas"] == b["formulas"]      # the same numbers
    else:
        assert "Three-way check" in with_check and "Three-way check" not in without
        assert "0.0027669" in without              # the numbers stay
        assert len(without) < len(with_check)


def test_derive_no_check_of_a_mini_batch(run_cli):
    code, out, _ = run_cli("derive", EXAMPLES / "minibatch.toml", "--format", "json", "--no-check")
    data = json.loads(out)
    assert code == 0 and data["check"] is None and len(data["examples"]) == 3
    code, text, _ = run_cli("derive", EXAMPLES / "minibatch.toml", "--format", "text", "--no-check")
    assert code == 0 and "The mini-batch" in text and "Three-way check" not in text


# --- evaluate: one program, its argument order fixed ------------------------------------------

def test_evaluate_compiles_once_and_converts_only_the_point():
    d = lecture()
    first = d.evaluate()
    cache = numeric._programs(d)      # numeric keeps its compiled programs by derivation
    prog = cache[("float", None)]
    moved = d.evaluate({"x_{1}": 0.5})
    assert cache[("float", None)] is prog and cache["arguments"] is cache["arguments"]
    # the same numbers as a network whose spec has that value
    net = sb.load(EXAMPLES / "lecture.toml")
    net.values = {**{s.name: v for s, v in net.values.items()}, "x_{1}": 0.5}
    assert net.backward().evaluate().gradients == moved.gradients
    assert d.evaluate().gradients == first.gradients     # the point did not stick
    assert isinstance(moved.numbers, numeric.Numbers) and len(moved.numbers) == len(dict(moved.numbers))
    assert moved.numbers[d.network.symbol("x_{1}")] == 0.5


def test_evaluate_follows_new_spec_values_and_exactness():
    g = sb.Graph()
    x, w = g.input("x"), g.parameter("w")
    g.output(g.define("f", w * x * x))
    g.values = {"x": "1/3", "w": 2}
    d = g.backward()
    v = d.evaluate()
    assert v.exact and v.cost == Fraction(2, 9)
    assert not d.evaluate({"x": 0.5}).exact and d.evaluate({"x": 0.5}).cost == 0.5
    g.values = {"x": 3, "w": "1/2"}
    assert d.evaluate().cost == Fraction(9, 2)
    with pytest.raises(PointError, match="^point: 'f' is not an input, target or parameter$"):
        d.evaluate({"f": 1})


# --- MathML: cached, byte-identical ---------------------------------------------------------

@pytest.mark.parametrize("tex", [
    "w^{(1)}_{13,20}", "0.0108175", "x^23", "10^{-15}", r"1.5 \times 10^{7}", r"\frac12 + 3",
    "2 em + 3", ".5 + 1.", r"x_{1} \to z^{(1)}_{1}", "a_{1000000}", r"\delta^{(2)}_{1} = 0.25",
    r"\begin{align*}a &= 1 \\ b &= 22.5\end{align*}"])
def test_mathml_of_a_fragment_is_latex2mathml_s(tex):
    for display in (False, True):
        assert html.math(tex, display) == html.spaced(convert(tex, display="block" if display else "inline"))


@pytest.mark.parametrize("spec", ["lecture.toml", "softmax.toml", "rnn.toml", "wide.toml"])
def test_html_is_what_one_conversion_per_display_writes(spec, monkeypatch):
    d = sb.load(EXAMPLES / spec).backward()
    fast = sb.render(d, "html", closed=True)
    monkeypatch.setattr(html, "math", lambda tex, display=False:
                        html.spaced(convert(tex, display="block" if display else "inline")))
    monkeypatch.setattr(html, "equations", lambda block: "" if not block.rows else html.math(
        r"\begin{align*}" + html.aligned(block, r" \\ ") + r"\end{align*}", display=True))
    assert sb.render(d, "html", closed=True) == fast


@pytest.mark.parametrize("spec", ["lecture.toml", "shared_bias.toml", "softmax.toml", "wide.toml"])
def test_float64_differences_of_a_layered_net_run_on_its_compiled_layers(spec):
    # the float64 route (compiled layers, a shared parameter changed in every entry that
    # holds it) against the 50-digit differences of the Program route, every input and
    # parameter
    d = sb.load(EXAMPLES / spec).backward()
    net = d.graph
    values = {s: v for s, v in net.values.items()}
    if len(values) < len(net.inputs) + len(net.targets) + len(net.parameters):
        values = {s: 0.25 * ((i % 5) - 2) + 0.1 for i, s in
                  enumerate(list(net.inputs) + list(net.targets) + list(net.parameters))}
    wrt = list(net.parameters) + list(net.inputs)
    fast = numeric.finite_differences(d, values, wrt, system="float")
    exact = numeric.finite_differences(d, values, wrt)
    assert set(fast) == set(wrt)
    for s in wrt:
        assert abs(fast[s] - float(exact[s])) <= 1e-7 * max(1.0, abs(float(exact[s]))), s


# --- the cones behind the finite differences ---------------------------------------------------

def _wide(cost, act):
    import random
    net = sb.Network([3, 4, 6], activation=["tanh", act], cost=cost)
    rng = random.Random(5)
    net.values = {s: rng.uniform(-1, 1) for s in net.parameters + net.inputs}
    net.values.update({s: rng.uniform(0.1, 0.9) for s in net.targets})
    return net.backward()


@pytest.mark.parametrize("spec", ["lecture", "rnn", "residual", "circuit", "mse", "bce", "softmax"])
def test_a_cone_recomputation_is_the_whole_forward_pass(spec):
    """Every leaf moved by 10⁻³: the cost from its cone (affine nodes and long sums updated
    by their changed terms) is the cost of the whole 50-digit forward pass, to 10⁻⁴⁰."""
    import mpmath
    from symbackprop.numeric.cones import Cones
    wide = {"mse": ("mse", "sigmoid"), "bce": ("binary_cross_entropy", "sigmoid"),
            "softmax": ("cross_entropy", "softmax")}
    d = _wide(*wide[spec]) if spec in wide else sb.load(EXAMPLES / f"{spec}.toml").backward()
    net = d.network
    values = numeric.resolve_point(net)
    cones = Cones(d, "mp")
    if spec in ("mse", "bce"):
        assert list(cones.sums) == [cones.output], "the cost is a long sum updated term by term"
    prog = numeric.program(d, "mp", upto=net.cost_symbol)
    at = prog.index[net.cost_symbol]
    with mpmath.workdps(50):
        forward = numeric.forward_mp(d, values, 50)
        base = cones.values(forward)
        for leaf in net.leaves:
            i = cones.ids.get(leaf)
            if i is None:
                continue
            moved = base[i] + mpmath.mpf("1e-3")
            args = [moved if s == leaf else forward[s] for s in prog.leaves]
            whole = prog.run(args)[at]
            assert abs(cones.output_at(base, i, moved) - whole) <= mpmath.mpf("1e-40") * max(1, abs(whole)), leaf
