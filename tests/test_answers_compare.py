"""Equivalence, its points and its proofs; diagnosis caching; CSV rows; the benchmark."""

import importlib.util
import re
import time

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symbackprop as sb
from symbackprop.answers import check_answer, read_answer
from symbackprop.answers.diagnose import mistakes
from symbackprop.answers.grade import parse_rows
from symbackprop.answers.reference import RANDOM_POINTS, Reference, reference
from symbackprop.errors import AnswerError, SymbackpropError

from conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def net():
    return sb.load(EXAMPLES / "lecture.toml")


def test_python_api_returns_a_verdict(net):
    v = sb.check_answer(net, "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1")
    assert v.equivalent and v.verdict == "equivalent" and v.symbolic is True
    assert v.as_dict()["expected"] == r"\frac{\partial C}{\partial w^{(3)}_{11}} = a^{(2)}_{1} \delta^{(3)}_{1}"
    assert v.points == RANDOM_POINTS + 1


def test_wrt_may_be_a_symbol_or_an_adjoint(net):
    by_symbol = check_answer(net, net.w(3, 1, 1), r"a^{(2)}_1 \delta^{(3)}_1")
    by_adjoint = check_answer(net, r"\frac{\partial C}{\partial w^{(3)}_{11}}", r"a^{(2)}_1 \delta^{(3)}_1")
    assert by_symbol.wrt == by_adjoint.wrt == "w^{(3)}_{11}"
    assert by_symbol.equivalent and by_adjoint.equivalent


def test_wrt_must_name_a_node(net):
    with pytest.raises(AnswerError, match=re.escape("wrt: 'x_1 + x_2' is not one name")):
        check_answer(net, "x_1 + x_2", "x_1")
    with pytest.raises(AnswerError, match="has no derivative to check"):
        check_answer(net, "C", "x_1")


def test_numeric_equality_when_sympy_cannot_prove_it(net):
    v = check_answer(net, "w^{(3)}_{11}",
                     r"a^{(2)}_1 \frac{e^{-z}}{(1 + e^{-z})^2} (a^{(3)}_1 - y_1)")
    assert v.verdict == "equivalent"
    assert v.symbolic is False            # the normal form does not know σ′ = e^{-z}/(1+e^{-z})²


def test_round_off_never_makes_a_right_answer_wrong(net):
    # equal as a formula, but in floats the large terms cancel and leave an error of ~1e-5
    v = check_answer(net, "w^{(3)}_{11}",
                     r"(a^{(2)}_1 + 10^{12}) \delta^{(3)}_1 - 10^{12} \delta^{(3)}_1")
    assert v.verdict == "equivalent"


def test_a_tiny_difference_is_found(net):
    v = check_answer(net, "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1 + 10^{-6} x_1")
    assert v.verdict == "not_equivalent"
    c = v.counterexample
    assert c["answer"] - c["expected"] == pytest.approx(1e-6, rel=1e-6)


def test_counterexample_prefers_the_spec_point_and_is_reproducible(net):
    v = check_answer(net, "w^{(3)}_{11}", r"a^{(2)}_1 (a^{(3)}_1 - y_1)")
    c = v.counterexample
    assert c["where"] == "the spec's point"
    at_point = net.backward().evaluate(c["point"])
    assert float(at_point.gradient("w^{(3)}_{11}")) == pytest.approx(c["expected"], rel=1e-12)
    a2, a3 = float(at_point.a(2, 1)), float(at_point.a(3, 1))
    assert c["answer"] == pytest.approx(a2 * (a3 - 0), rel=1e-12)


def test_counterexample_at_a_random_point_when_the_spec_point_agrees(net):
    # a^{(1)}_1 (x_1 + x_2) vanishes at the spec's point x = (1, -1), and so does this error
    v = check_answer(net, "x_1", r"w^{(1)}_{11}\delta^{(1)}_1 + w^{(1)}_{21}\delta^{(1)}_2 + (x_1 + x_2)")
    assert v.verdict == "not_equivalent"
    c = v.counterexample
    assert c["where"].startswith("random point")
    assert c["answer"] - c["expected"] == pytest.approx(c["point"]["x_{1}"] + c["point"]["x_{2}"])


def test_points_are_seeded_and_avoid_relu_kinks():
    spec = {"inputs": 2, "cost": "mse",
            "layers": [{"units": 2, "activation": "relu", "W": [[1, 1], [1, -1]], "b": [0, 0]},
                       {"units": 1, "activation": "identity"}],
            "point": {"x": [1, 1], "y": [0]}}
    net = sb.load({**spec, "layers": [spec["layers"][0], {**spec["layers"][1], "W": [[1, 1]], "b": [0]}]})
    first, second = Reference(net), Reference(net)
    labels = [p.label for p in first.points]
    assert "the spec's point" not in labels            # z^{(1)}_2 = 1 - 1 = 0 there: a kink
    assert len(labels) == RANDOM_POINTS
    assert [p.leaves for p in first.points] == [p.leaves for p in second.points]
    for p in first.points:
        assert abs(p.values[net.z(1, 1)]) >= 1e-3 and abs(p.values[net.z(1, 2)]) >= 1e-3
    v = check_answer(net, "w^{(1)}_{21}", r"x_1 \operatorname{step}(z^{(1)}_2) w^{(2)}_{12} (a^{(2)}_1 - y_1)")
    assert v.equivalent


def test_new_values_give_new_points():
    """The spec's point is one of the reference's points: values set on the network after
    a first check are the ones a number answer is compared with."""
    net = sb.load(EXAMPLES / "shared_bias.toml")
    w5 = net.symbol("w_5")
    before = float(net.backward().evaluate().gradient(w5))
    assert check_answer(net, "w_5", f"{before:.6f}").verdict == "equivalent"
    first = reference(net)
    net.values = {**{s.name: v for s, v in net.values.items()}, "i_1": 0.5, "i_2": -0.3}
    after = float(net.backward().evaluate().gradient(w5))
    assert f"{after:.6f}" == "0.081790" and f"{before:.6f}" == "0.082167"
    assert check_answer(net, "w_5", f"{after:.6f}").verdict == "equivalent"
    assert check_answer(net, "w_5", f"{before:.6f}").verdict == "not_equivalent"
    assert reference(net) is not first and reference(net) is reference(net)


def test_mistakes_are_computed_once_per_question(net):
    ref = reference(net)
    target = ref.target(net.w(2, 1, 1))
    check_answer(net, "w^{(2)}_{11}", r"a^{(1)}_2 \delta^{(2)}_1")
    first = mistakes(ref, target)
    check_answer(net, "w^{(2)}_{11}", r"a^{(1)}_1 \delta^{(3)}_1")
    assert mistakes(ref, target) is first
    codes = {m.code for m in first}
    assert {"sign_error", "factor_two", "missing_sigma_prime", "wrong_activation_derivative",
            "wrong_input", "transposed_index", "missing_term", "wrong_layer"} <= codes
    # no mistaken formula coincides with the right one
    assert all(m.values != target.values for m in first)


def test_answers_as_read(net):
    _, target, expr = read_answer(net, "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z)(w^{(3)}_{11}\delta' + w^{(3)}_{21}\delta'')")
    d = sympy.Symbol
    assert expr.free_symbols == {d("a^{(1)}_{1}"), d("z^{(2)}_{1}"), d("w^{(3)}_{11}"), d("w^{(3)}_{21}"),
                                 d(r"\delta^{(3)}_{1}"), d(r"\delta^{(3)}_{2}")}
    v = check_answer(net, "w^{(2)}_{11}", r"\frac{1}{1 + e^{-z}}")
    assert v.answer == r"\frac{1}{1 + e^{- z^{(2)}_{1}}}"


# --- CSV rows ------------------------------------------------------------------------------------

def test_rows_with_bom_quotes_blank_lines_and_other_column_orders():
    rows = parse_rows('\ufeffanswer,Id,WRT,comment\n"\\max(0, x_1)",7,x_1,late\n\n,8,x_2,\n', "a.csv")
    assert [(r.line, r.id, r.wrt, r.answer, r.problem) for r in rows] == [
        (2, "7", "x_1", r"\max(0, x_1)", None), (4, "8", "x_2", "", None)]


def test_a_header_without_the_columns_is_an_error():
    with pytest.raises(SymbackpropError, match=r"a.csv: line 1: expected the columns id,wrt,answer; missing answer"):
        parse_rows("id,wrt\n1,x_1\n", "a.csv")


# --- fuzzing the whole check --------------------------------------------------------------------

PIECES = ["x_1", "a^{(1)}_1", "w^{(3)}_{21}", r"\delta'", "z", r"\sigma'(z)", r"\sigma(", "(", ")",
          "+", "-", "/", "^", "{", "}", "2", "0", r"\frac{1}{", "e^{", r"\ln", r"\max(0,", ",", " ",
          "10^{12}", "1-", r"\operatorname{step}(", r"\tanh("]


@settings(max_examples=150, deadline=2000)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25))
def test_fuzz_check_gives_a_verdict_or_a_project_error(net, pieces):
    text = "".join(pieces)
    try:
        v = check_answer(net, "w^{(2)}_{11}", text)
    except SymbackpropError:
        return
    assert v.verdict in ("equivalent", "not_equivalent", "undecided")
    if v.verdict == "not_equivalent":
        assert v.counterexample is not None
    if v.verdict == "undecided":
        assert v.reason


# --- the benchmark -----------------------------------------------------------------------------------

def test_benchmark_script_runs(capsys):
    spec = importlib.util.spec_from_file_location("grade_benchmark", ROOT / "benchmarks" / "grade.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start = time.perf_counter()
    assert module.main(["--n", "120", "--format", "json"]) == 0
    assert time.perf_counter() - start < 30
    out = capsys.readouterr().out
    assert "graded 120 answers in " in out and "ms per answer" in out
