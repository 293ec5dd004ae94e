"""Route (b) in forward mode: sympy.diff of each node's definition, tangents carried forward."""

from pathlib import Path

import pytest
import sympy

import symbackprop as sb
from symbackprop.core import graph as core_graph
from symbackprop.numeric import check as check_module
from symbackprop.numeric import values as numeric
from symbackprop.numeric.tangents import FORWARD_MODE, forward_gradients, local_partials
from symbackprop.ops.costs import real_diff

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _both_routes(name):
    d = sb.load(EXAMPLES / f"{name}.toml").backward()
    net = d.graph
    values = numeric.resolve_point(net)
    recursion = numeric.evaluate(d)
    exact = recursion.exact
    numbers = recursion.numbers if exact else numeric.forward_mp(d, values, 50)
    system = "exact" if exact else "mp"
    wrt = [f.of for f in d.formulas if f.kind in ("w", "b", "p", "x")]
    closed = check_module.symbolic_gradients(d, values, numbers, wrt, system)
    return d, wrt, closed, forward_gradients(net, values, numbers, wrt, system)


@pytest.mark.parametrize("name", ["circuit", "residual", "lecture", "softmax", "rnn", "shared_bias"])
def test_forward_mode_equals_the_closed_form(name):
    _, wrt, closed, forward = _both_routes(name)
    assert list(forward) == wrt
    for p in wrt:
        assert forward[p] == pytest.approx(closed[p], rel=1e-12, abs=1e-300), p.name
    if name == "circuit":   # an exact point: exact numbers, equal
        assert forward == closed == {p: v for p, v in zip(wrt, (-4, -4, 3))}


def test_the_local_partials_are_sympys_own_derivatives():
    net = sb.load(EXAMPLES / "lstm.toml")
    edges = local_partials(net, net.parameters, "exact")
    nodes = net.nodes
    for s, q, d in edges:
        assert d == real_diff(nodes[s].expr, q) != 0
    # an activation's partial is its closed form (fdiff), never the rule table's σ′ symbol
    assert not any(d.atoms(sb.ops.activations.ActivationPrime) for _, _, d in edges)
    sigmoid = [(s, q, d) for s, q, d in edges if nodes[s].op == "activation"
               and nodes[s].activation.name == "sigmoid"]
    s, q, d = sigmoid[0]
    sig = nodes[s].expr
    assert sympy.simplify(d - sig * (1 - sig)) == 0


@pytest.mark.parametrize("name, count, closed", [("lstm", 38, 1), ("gru", 30, 1)])
def test_gated_cells_have_every_gradient_by_a_symbolic_route(name, count, closed):
    report = sb.load(EXAMPLES / f"{name}.toml").backward().check()
    assert report.passed
    assert report.routes["symbolic"] == count
    assert report.routes["symbolic_forward_mode"] == count - closed
    assert report.symbolic_note == (f"all {count} gradients: {closed} by the closed-form cost, "
                                    f"{count - closed} by {FORWARD_MODE}")
    assert f"symbolic: {count} ({closed} closed form, {count - closed} {FORWARD_MODE})" in report.coverage
    assert [r.symbolic_route for r in report.rows].count("closed form") == closed
    assert [r.symbolic_route for r in report.rows].count("forward mode") == count - closed
    for row in report.rows:
        assert row.symbolic is not None
        assert row.symbolic == pytest.approx(float(row.recursion), rel=1e-12, abs=1e-17), row.name


def test_attention_is_checked_in_forward_mode_and_says_so():
    report = sb.load(EXAMPLES / "attention.toml").backward().check()
    assert report.passed and report.symbolic_note == f"all 18 gradients ({FORWARD_MODE})"
    assert report.as_dict()["routes"]["symbolic_forward_mode"] == 18
    assert "symbolic: 18 (sympy.diff node by node, forward mode);" in report.coverage


def test_closed_form_examples_keep_their_report():
    report = sb.load(EXAMPLES / "lecture.toml").backward().check()
    assert report.symbolic_note == "all 20 gradients"
    assert "symbolic_forward_mode" not in report.routes
    assert {r.symbolic_route for r in report.rows} == {"closed form"}
    assert report.coverage == "recursion: all 20; symbolic: 20; 50-digit finite differences: 20"


def _broken(monkeypatch, op, factor):
    rule = core_graph.RULES[op]
    monkeypatch.setitem(core_graph.RULES, op, lambda g, c, n: rule(g, c, n) * factor)


@pytest.mark.parametrize("name, op", [("lstm", "product"), ("lstm", "activation"), ("attention", "softmax")])
def test_a_broken_rule_fails_the_symbolic_route(monkeypatch, name, op):
    right = sb.load(EXAMPLES / f"{name}.toml").backward()
    numbers = right.evaluate().numbers
    truth = {f.of.name: float(numbers[f.symbol]) for f in right.formulas if f.kind in ("w", "b", "p", "x")}
    _broken(monkeypatch, op, 1 + sympy.Rational(1, 10**6))
    d = sb.load(EXAMPLES / f"{name}.toml").backward()
    report = d.check()
    assert report.passed is False
    wrong = [r for r in report.failures if abs(float(r.recursion) - r.symbolic) > 1e-9 * abs(r.symbolic)]
    assert wrong
    forward = set(check_module.choose_routes(d.graph, [f.of for f in d.formulas if f.kind in ("w", "b", "p", "x")],
                                             d.graph.symbolic_limit or check_module.SYMBOLIC_LIMIT,
                                             12, 0)[1])
    assert any(d.graph.symbol(r.name) in forward for r in wrong)
    # forward mode is untouched by the rule table: it still gives the true gradients
    for r in report.rows:
        assert r.symbolic == pytest.approx(truth[r.name], rel=1e-12, abs=1e-17), r.name


def test_symbolic_limit_zero_turns_route_b_off():
    report = sb.load(EXAMPLES / "lstm.toml").backward().check(symbolic_limit=0)
    assert report.routes["symbolic"] == 0 and all(r.symbolic is None for r in report.rows)


def test_a_local_partial_without_numeric_code_is_reported_not_covered(monkeypatch):
    from symbackprop.errors import SymbackpropError
    from symbackprop.numeric import tangents

    def refuse(*args, **kwargs):
        raise SymbackpropError("cannot compile the formulas to mp code")
    monkeypatch.setattr(tangents, "Program", refuse)
    report = sb.load(EXAMPLES / "gru.toml").backward().check()
    assert report.passed and report.routes["symbolic"] == 1 and "symbolic_forward_mode" not in report.routes
    assert report.symbolic_note == "1 of 30 gradients; 29 not covered: a local partial has no numeric code"
