"""Property tests: for random architectures, activations, costs and values, the three
routes agree, and closed forms equal ``sympy.diff`` of the closed-form cost."""

import random

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symbackprop as sb
from symbackprop.numeric.check import cost_from

ELEMENTWISE = ["sigmoid", "tanh", "relu", {"name": "leaky_relu", "alpha": 0.1}, "identity",
               "softplus", "silu"]
# cost → output activations it accepts (a log needs positive outputs)
OUTPUTS = {
    "mse": ELEMENTWISE + ["softmax"],
    "sse": ELEMENTWISE,
    "cross_entropy": ["softmax", "sigmoid"],
    "binary_cross_entropy": ["sigmoid"],
}


@st.composite
def networks(draw, max_layers=4, max_width=4):
    depth = draw(st.integers(1, max_layers))
    sizes = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    cost = draw(st.sampled_from(sorted(OUTPUTS)))
    hidden = [draw(st.sampled_from(ELEMENTWISE)) for _ in range(depth - 1)]
    output = draw(st.sampled_from(OUTPUTS[cost]))
    seed = draw(st.integers(0, 2**32 - 1))
    net = sb.Network(sizes, hidden + [output], cost)
    rng = random.Random(seed)
    values = {}
    for sym in net.parameters + net.inputs:
        values[sym] = rng.uniform(-1.5, 1.5)
    for sym in net.targets:
        values[sym] = rng.uniform(0.05, 0.95) if cost != "sse" else rng.uniform(-2, 2)
    return net, values


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_three_routes_agree(case):
    net, values = case
    report = net.backward().check(values, sample=4)
    failures = [(r.name, r.recursion, r.symbolic, r.finite_difference) for r in report.rows if not r.ok]
    assert report.passed, (net.describe(), failures)
    assert len(report.rows) == len(net.parameters) + len(net.inputs)
    assert any(r.symbolic is not None for r in report.rows)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(max_layers=2, max_width=2))
def test_closed_form_equals_sympy_diff(case):
    net, _ = case
    d = net.backward()
    cost = cost_from(net, 1)
    for p in net.parameters:
        assert sympy.cancel(d.gradient(p).closed - sympy.diff(cost, p)) == 0, p


@pytest.mark.parametrize("activation", ELEMENTWISE, ids=lambda a: a if isinstance(a, str) else a["name"])
def test_activation_derivative_matches_sympy(activation):
    act = sb.activations.get(activation)
    t = sympy.Symbol("t")
    template = act.template(t)
    for value in (-1.3, -0.2, 0.4, 2.0):
        expected = float(sympy.diff(template, t).subs(t, value)) if act.name not in ("relu", "leaky_relu") \
            else (1.0 if value > 0 else float(act.options.get("alpha", 0)))
        closed = act.prime_closed(sympy.Float(value))
        assert float(closed.evalf()) == pytest.approx(expected, rel=1e-12)
        f, fp = act.numeric["float"]
        assert fp(value) == pytest.approx(expected, rel=1e-12)
        assert f(value) == pytest.approx(float(template.subs(t, value)), rel=1e-12)
