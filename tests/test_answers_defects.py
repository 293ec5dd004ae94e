"""Regressions for reviewer-found defects of the answer checker: cross-entropy targets
without softmax, σ′ of a written-out z in a network with mixed activations, and the
diagnoses that used to come back null (σ′ dropped from a whole layer, the gradient of
another parameter, the diagonal-only softmax Jacobian)."""

import json

import pytest
import symbackprop as sb
from symbackprop.ops.activations import ActivationFunction, ActivationPrime
from symbackprop.answers import check_answer, read_answer
from symbackprop.answers.reference import reference

from conftest import EXAMPLES

LECTURE = EXAMPLES / "lecture.toml"
WIDE = EXAMPLES / "wide.toml"
SOFTMAX = EXAMPLES / "softmax.toml"

SIGMOID_CE = {
    "inputs": 2, "cost": "cross_entropy",
    "layers": [{"units": 2, "activation": "sigmoid", "W": [[1, -2], [-1, 1]], "b": [1, 0]}],
    "point": {"x": [1, -1], "y": [0, 1]},
}


@pytest.fixture(scope="module")
def lecture():
    return sb.load(LECTURE)


@pytest.fixture(scope="module")
def softmax():
    return sb.load(SOFTMAX)


# --- 1. cross-entropy targets are a distribution only under a softmax output ---------------

def test_cross_entropy_without_softmax_is_not_fooled_by_sum_of_targets(tmp_path, run_cli):
    spec = tmp_path / "ce.json"
    spec.write_text(json.dumps(SIGMOID_CE), encoding="utf-8")
    code, out, err = run_cli("check", spec, "--wrt", "b^{(1)}_{1}",
                             "--answer", "-(1 - y_2)(1 - a^{(1)}_1)", "--json")
    data = json.loads(out)
    assert (code, err) == (1, "")
    assert data["verdict"] == "not_equivalent"
    assert data["counterexample"] is not None
    assert data["counterexample"]["where"].startswith("random point")
    # the true gradient is still recognised
    code, out, _ = run_cli("check", spec, "--wrt", "b^{(1)}_{1}",
                           "--answer", "-y_1 (1 - a^{(1)}_1)", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "equivalent"


def test_cross_entropy_targets_are_free_without_softmax_and_a_distribution_with_it(softmax):
    net = sb.load(dict(SIGMOID_CE))
    ref = reference(net)
    sums = [sum(p.leaves[y] for y in net.targets) for p in ref.points[1:]]
    assert any(abs(s - 1) > 1e-6 for s in sums)
    ref = reference(softmax)
    assert all(sum(p.leaves[y] for y in softmax.targets) == 1 for p in ref.points[1:])


def test_softmax_cross_entropy_a_minus_y_still_equivalent(softmax):
    v = check_answer(softmax, "w^{(2)}_{11}", r"a^{(1)}_1 (a^{(2)}_1 - y_1)")
    assert v.verdict == "equivalent", v.describe()


# --- 2. σ′ of a written-out z takes that neuron's activation ---------------------------------

WIDE_BACKWARD = r"(w^{(2)}_{11}(a^{(2)}_1-y_1)+w^{(2)}_{21}(a^{(2)}_2-y_2))"


@pytest.mark.parametrize("argument", [
    r"z^{(1)}_1",
    r"w^{(1)}_{11} x_1 + w^{(1)}_{12} x_2 + w^{(1)}_{13} x_3 + b^{(1)}_1",
    r"b^{(1)}_1 + x_3 w^{(1)}_{13} + x_1 w^{(1)}_{11} + w^{(1)}_{12} x_2",
])
def test_sigma_prime_of_a_written_out_z_in_a_mixed_network(argument):
    net = sb.load(WIDE)
    v = check_answer(net, "w^{(1)}_{11}", r"2 x_1 \sigma'(%s)%s" % (argument, WIDE_BACKWARD))
    assert v.verdict == "equivalent", v.describe()
    assert v.diagnosis is None


def test_sigma_of_a_written_out_z_reads_as_the_layers_activation():
    net = sb.load(WIDE)
    _, _, expr = read_answer(net, "w^{(2)}_{11}",
                             r"\sigma(w^{(1)}_{11} x_1 + w^{(1)}_{12} x_2 + w^{(1)}_{13} x_3 + b^{(1)}_1)"
                             r"(a^{(2)}_1 - y_1) 2")
    functions = {f.activation.name for f in expr.atoms(ActivationFunction)}
    assert functions == {"relu"}


def test_sigma_fallback_in_a_mixed_network_is_the_neuron_the_answer_is_about():
    net = sb.Network([2, 2, 1], activation=["tanh", "sigmoid"])
    # not a neuron's z: the wrt feeds z^{(1)}_1, a tanh neuron
    _, _, expr = read_answer(net, "w^{(1)}_{11}", r"\sigma'(2 x_1)")
    assert {p.activation.name for p in expr.atoms(ActivationPrime)} == {"tanh"}
    _, _, expr = read_answer(net, "w^{(2)}_{11}", r"\sigma'(2 x_1)")
    assert {p.activation.name for p in expr.atoms(ActivationPrime)} == {"sigmoid"}


# --- 3. diagnoses ----------------------------------------------------------------------------

def test_missing_sigma_prime_in_the_output_layer(lecture):
    v = check_answer(lecture, "w^{(2)}_{11}",
                     r"a^{(1)}_1 \sigma'(z)(w^{(3)}_{11}(a^{(3)}_1-y_1)+w^{(3)}_{21}(a^{(3)}_2-y_2))")
    assert v.verdict == "not_equivalent"
    assert v.diagnosis == "missing_sigma_prime"
    assert "output layer" in v.explanation


def test_missing_sigma_prime_in_the_output_layer_of_a_deeper_weight(lecture):
    # δ^{(2)} written with σ′ but built on output δ's without σ′
    v = check_answer(lecture, "w^{(1)}_{11}",
                     r"x_1 \sigma'(z^{(1)}_1)(w^{(2)}_{11} \sigma'(z^{(2)}_1)(w^{(3)}_{11}(a^{(3)}_1-y_1)"
                     r"+w^{(3)}_{21}(a^{(3)}_2-y_2)) + w^{(2)}_{21} \sigma'(z^{(2)}_2)(w^{(3)}_{12}"
                     r"(a^{(3)}_1-y_1)+w^{(3)}_{22}(a^{(3)}_2-y_2)))")
    assert v.verdict == "not_equivalent"
    assert v.diagnosis == "missing_sigma_prime"
    assert "output layer" in v.explanation


def test_gradient_of_another_parameter(lecture):
    v = check_answer(lecture, "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_2")
    assert v.verdict == "not_equivalent"
    assert v.diagnosis == "wrong_parameter"
    assert "∂C/∂w⁽³⁾₂₁" in v.explanation


def test_gradient_of_another_parameter_with_the_sign_wrong(lecture):
    v = check_answer(lecture, "w^{(3)}_{11}", r"-a^{(2)}_2 \delta^{(3)}_2")
    assert v.diagnosis == "wrong_parameter+sign_error"
    assert "∂C/∂w⁽³⁾₂₂" in v.explanation


def test_gradient_of_another_node(lecture):
    v = check_answer(lecture, "z^{(3)}_{1}", r"\delta^{(3)}_2")
    assert v.diagnosis == "wrong_node"
    assert "∂C/∂z⁽³⁾₂" in v.explanation


def test_more_specific_codes_still_win(lecture):
    # a transposed weight index is also another parameter's gradient: the older name wins
    v = check_answer(lecture, "w^{(3)}_{12}", r"a^{(2)}_1 \delta^{(3)}_2")
    assert v.diagnosis == "transposed_index"


@pytest.mark.parametrize("wrt, answer", [
    ("w^{(2)}_{11}", r"a^{(1)}_1 a^{(2)}_1 (1 - a^{(2)}_1) \left(-\frac{y_1}{a^{(2)}_1}\right)"),
    ("b^{(2)}_{2}", r"-y_2 (1 - a^{(2)}_2)"),
    ("z^{(2)}_{2}", r"a^{(2)}_2 (1 - a^{(2)}_2) \frac{\partial C}{\partial a^{(2)}_2}"),
    ("w^{(1)}_{11}", r"x_1 (1-(a^{(1)}_1)^2) (w^{(2)}_{11} (-y_1)(1-a^{(2)}_1) "
                     r"+ w^{(2)}_{21} (-y_2)(1-a^{(2)}_2) + w^{(2)}_{31} (-y_3)(1-a^{(2)}_3))"),
])
def test_softmax_diagonal_only(softmax, wrt, answer):
    v = check_answer(softmax, wrt, answer)
    assert v.verdict == "not_equivalent", v.describe()
    assert v.diagnosis == "softmax_diagonal_only", v.describe()
    assert "softmax" in v.explanation


def test_check_json_names_the_new_diagnoses(run_cli):
    code, out, _ = run_cli("check", LECTURE, "--wrt", "w^{(3)}_{11}",
                           "--answer", r"a^{(2)}_1 \delta^{(3)}_2", "--json")
    data = json.loads(out)
    assert code == 1
    assert (data["verdict"], data["diagnosis"]) == ("not_equivalent", "wrong_parameter")
