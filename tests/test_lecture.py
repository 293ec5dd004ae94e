"""The lecture's reference numbers (the slide's forward-pass table) and its derivation, exactly."""

import math
from fractions import Fraction

import pytest
import sympy

import symbackprop as sb

# The lecture's forward-pass table, to the two decimals the slide shows.
TABLE = [
    ([4, -2], [0.98, 0.12]),
    ([1.84, -2.08], [0.86, 0.11]),
    ([0.48, 1.58], [0.62, 0.83]),
]


def test_forward_pass_reproduces_the_lecture_table(lecture):
    values = lecture.backward().evaluate()
    for l, (zs, acts) in enumerate(TABLE, start=1):
        assert [round(values.z(l, j), 2) for j in (1, 2)] == zs
        assert [round(values.a(l, j), 2) for j in (1, 2)] == acts


def test_first_layer_pre_activations_are_exact(lecture):
    values = lecture.backward().evaluate()
    assert values.z(1, 1) == 4 and values.z(1, 2) == -2


@pytest.mark.parametrize("layer, expected", [(1, {1, -1}), (2, {0.98, 0.12}), (3, {0.86, 0.11})],
                         ids=["layer1-inputs", "layer2", "layer3"])
def test_dz_dw_is_the_activation_on_the_edge(lecture, layer, expected):
    d = lecture.backward()
    values = d.evaluate()
    seen = set()
    for j in (1, 2):
        for k in (1, 2):
            (factor, delta), = d.dC_dw(layer, j, k).uses
            assert factor == lecture.a(layer - 1, k)
            assert delta == lecture.delta(layer, j)
            seen.add(round(float(values[factor]), 2))
    assert seen == expected


def _reference_gradients(W, B, x, y):
    """An independent, plain-Python backprop for sigmoid + ½ squared error."""
    sig = lambda t: 1 / (1 + math.exp(-t))
    acts, zs = [x], []
    for Wl, bl in zip(W, B):
        z = [sum(w * a for w, a in zip(row, acts[-1])) + b for row, b in zip(Wl, bl)]
        zs.append(z)
        acts.append([sig(t) for t in z])
    delta = [(a - t) * a * (1 - a) for a, t in zip(acts[-1], y)]
    grads = {}
    for l in range(len(W), 0, -1):
        for j, dj in enumerate(delta):
            grads[(l, j + 1)] = dj
            for k, a in enumerate(acts[l - 1]):
                grads[(l, j + 1, k + 1)] = a * dj
        if l > 1:
            delta = [sum(W[l - 1][j][k] * delta[j] for j in range(len(delta))) * acts[l - 1][k] * (1 - acts[l - 1][k])
                     for k in range(len(acts[l - 1]))]
    return grads


def test_gradients_match_an_independent_implementation(lecture):
    W = [[[1, -2], [-1, 1]], [[2, -1], [-2, -1]], [[3, -1], [-1, 4]]]
    B = [[1, 0], [0, 0], [-2, 2]]
    reference = _reference_gradients(W, B, [1, -1], [0, 1])
    d = lecture.backward()
    values = d.evaluate()
    for key, expected in reference.items():
        got = values.gradient(lecture.w(*key) if len(key) == 3 else lecture.b(*key))
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert values.gradients["w^{(3)}_{11}"] == pytest.approx(0.12595991053765374, rel=1e-12)


def test_cases_are_tagged_from_the_output_layer_backwards(lecture):
    deltas = lecture.backward().select("delta")
    assert [(lecture.layer_of[f.of], f.index[0], f.case) for f in deltas] == [
        (3, 1, 1), (3, 2, 1), (2, 1, 2), (2, 2, 2), (1, 1, 2), (1, 2, 2)]


def test_one_step_formulas_as_latex(lecture):
    d = lecture.backward()
    assert d.dC_dz(3, 1).latex() == r"\delta^{(3)}_{1} = \sigma'\left(z^{(3)}_{1}\right) \left(a^{(3)}_{1} - y_{1}\right)"
    assert d.dC_dz(1, 1).latex() == (r"\delta^{(1)}_{1} = \sigma'\left(z^{(1)}_{1}\right) "
                                     r"\left(w^{(2)}_{11} \delta^{(2)}_{1} + w^{(2)}_{21} \delta^{(2)}_{2}\right)")
    assert d.dC_dw(2, 1, 1).latex() == r"\frac{\partial C}{\partial w^{(2)}_{11}} = a^{(1)}_{1} \delta^{(2)}_{1}"
    assert d.dC_db(2, 2).latex() == r"\frac{\partial C}{\partial b^{(2)}_{2}} = \delta^{(2)}_{2}"
    assert d.forward(2, 1).latex() == r"z^{(2)}_{1} = w^{(2)}_{11} a^{(1)}_{1} + w^{(2)}_{12} a^{(1)}_{2} + b^{(2)}_{1}"   # w·a + b, as documents write it
    assert d.dC_dx(1).latex() == (r"\frac{\partial C}{\partial x_{1}} = "
                                  r"w^{(1)}_{11} \delta^{(1)}_{1} + w^{(1)}_{21} \delta^{(1)}_{2}")


def test_one_step_formulas_as_text(lecture):
    d = lecture.backward()
    assert str(d.dC_dz(2, 2)) == "δ⁽²⁾₂ = σ′(z⁽²⁾₂)·(w⁽³⁾₁₂·δ⁽³⁾₁ + w⁽³⁾₂₂·δ⁽³⁾₂)"
    assert str(d.dC_dw(3, 2, 1)) == "∂C/∂w⁽³⁾₂₁ = a⁽²⁾₁·δ⁽³⁾₂"


def test_formula_fields(lecture):
    d = lecture.backward()
    f = d.dC_dw(2, 1, 1)
    assert f.symbol == sympy.Symbol(r"\frac{\partial C}{\partial w^{(2)}_{11}}")
    assert f.expr == lecture.a(1, 1) * lecture.delta(2, 1)
    assert f.case is None and f.kind == "w" and lecture.layer_of[f.of] == 2 and f.index == (1, 1)
    assert d.dC_dz(1, 2).case == 2


def test_sigmoid_prime_closed_form(lecture):
    d = lecture.backward()
    z = lecture.z(3, 1)
    sigma = lecture.activations[2].func
    closed = d.closed(lecture.delta(3, 1))
    a_closed = d.closed(lecture.a(3, 1))
    assert sympy.expand(closed - a_closed * (1 - a_closed) * (a_closed - lecture.y(1))) == 0
    assert sympy.latex(sigma(z)) == r"\sigma\left(z^{(3)}_{1}\right)"


def test_the_check_passes_with_every_route(lecture):
    report = lecture.backward().check()
    assert report.passed
    assert len(report.rows) == 20
    assert report.symbolic_note == "all 20 gradients"
    assert all(r.symbolic is not None and r.finite_difference is not None for r in report.rows)
    assert report.max_abs_error < 1e-15


def test_exact_values_stay_exact():
    net = sb.Network([2, 2, 1], activation=["relu", "identity"], cost="mse",
                     values={"w^{(1)}_{11}": 1, "w^{(1)}_{12}": Fraction(1, 3), "w^{(1)}_{21}": -2,
                             "w^{(1)}_{22}": 1, "b^{(1)}_{1}": 0, "b^{(1)}_{2}": "1/2",
                             "w^{(2)}_{11}": 3, "w^{(2)}_{12}": -1, "b^{(2)}_{1}": 0,
                             "x_{1}": 1, "x_{2}": 3, "y_{1}": 1})
    d = net.backward()
    values = d.evaluate()
    assert values.exact
    # z1 = (1 + 1, -2 + 3 + 1/2) = (2, 3/2); out = 3*2 - 3/2 = 9/2; C = ½ (7/2)² = 49/8
    assert values.z(1, 1) == 2 and values.z(1, 2) == Fraction(3, 2)
    assert values.cost == Fraction(49, 8)
    assert values.gradients["w^{(2)}_{11}"] == Fraction(7)        # (9/2 - 1) * 2
    assert values.gradients["w^{(1)}_{12}"] == Fraction(63, 2)     # 7/2 * 3 * 1 * x2
    report = d.check()
    assert report.passed and report.exact
    assert all(isinstance(r.symbolic, Fraction) for r in report.rows)


def test_dC_da_is_the_input_of_the_reversed_network(lecture):
    d = lecture.backward()
    assert d.dC_da(3, 2).expr == lecture.a(3, 2) - lecture.y(2)
    assert d.dC_da(2, 1).expr == lecture.w(3, 1, 1) * lecture.delta(3, 1) + lecture.w(3, 2, 1) * lecture.delta(3, 2)
    sse = sb.Network([1, 1], activation="identity", cost="sse").backward()
    assert str(sse.dC_dz(1, 1)) == "δ⁽¹⁾₁ = 2·(a⁽¹⁾₁ - y₁)"


def test_dC_da_of_the_input_layer_points_to_dC_dx(lecture):
    with pytest.raises(sb.SpecError, match=r"∂C/∂a is defined for layers 1 … 3, not layer 0; for an input use dC_dx"):
        lecture.backward().dC_da(0, 1)
