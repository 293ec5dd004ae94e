"""Answers as graders write them (issue 18, section 3), on a 3-3-2 tanh / softmax net
with cross-entropy: LaTeX scientific notation, ≈ and siunitx numbers, Unicode Σ, plain
text with ``delta`` spelled out, index arithmetic in sums, and the names these answers
and their reports use."""

from functools import lru_cache

import pytest

from symbackprop.answers import AnswerReadError, check_answer
from symbackprop.answers.compare import half_unit
from symbackprop.spec import from_dict

SPEC = {
    "title": "3-3-2 tanh / softmax", "inputs": 3, "cost": "cross_entropy",
    "layers": [
        {"units": 3, "activation": "tanh", "W": [[0.5, -0.25, 0.125], [-0.5, 0.75, 0.25],
                                                 [0.25, 0.5, -0.75]], "b": [0, 0.1, -0.1]},
        {"units": 2, "activation": "softmax", "W": [[1, -1, 0.5], [0.5, 0.5, -1]], "b": [0, 0]},
    ],
    "point": {"x": [1, 2, -1], "y": [0, 1]},
}
#: ∂C/∂w⁽¹⁾₁₁ at the spec's point
W111 = 0.28704912643945385


@lru_cache(maxsize=None)
def net():
    return from_dict(SPEC)


def test_the_reference_value():
    v = check_answer(net(), "w^{(1)}_{11}", "0")
    assert v.counterexample["expected"] == pytest.approx(W111, abs=1e-15)


# --- numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, shown", [
    (r"2.87 \times 10^{-1}", r"2.87 \times 10^{-1}"),
    (r"28.70 \cdot 10^{-2}", r"28.70 \cdot 10^{-2}"),
    ("2.870 × 10⁻¹", r"2.870 \times 10^{-1}"),
    (r"2.8705 \times 10^-1", r"2.8705 \times 10^{-1}"),
    (r"\approx 0.2870", "0.2870"),
    ("≈ 0.2870", "0.2870"),
    (r"\num{0.2870}", "0.2870"),
    (r"\approx \num{2.87e-1}", "2.87e-1"),
])
def test_a_number_as_graders_write_it_is_read_to_its_digits(answer, shown):
    v = check_answer(net(), "w^{(1)}_{11}", answer)
    assert (v.verdict, v.answer, v.answer_text) == ("equivalent", shown, shown)


def test_latex_scientific_notation_claims_the_digits_written():
    wrong = check_answer(net(), "w^{(1)}_{11}", r"2.871 \times 10^{-1}")
    assert wrong.verdict == "not_equivalent"
    assert wrong.describe()[-1] == r"    answer = 2.871 \times 10^{-1}, expected = 0.2870491264"
    assert check_answer(net(), "w^{(1)}_{11}", "2.871e-1").verdict == "not_equivalent"
    # a whole power of ten times a number that is part of a formula is exact, not rounded
    assert check_answer(net(), "w^{(1)}_{11}", r"2.87 \times 10^{-1} x_1").answer == r"\frac{287 x_{1}}{1000}"


@pytest.mark.parametrize("literal, half", [
    (r"2.93 \times 10^{-1}", "1/2000"), (r"29.28 \cdot 10^{-2}", "1/20000"),
    (r"-3 \times 10^{2}", None), (r"3 \times 10^{-2}", "1/200"), ("2.93e-1", "1/2000"),
])
def test_half_unit_of_latex_scientific_notation(literal, half):
    from fractions import Fraction
    assert half_unit(literal) == (None if half is None else Fraction(half))


def test_approx_separates_a_formula_from_its_value():
    v = check_answer(net(), "w^{(1)}_{11}", r"x_1 \delta^{(1)}_1 \approx 0.2870")
    assert (v.verdict, v.answer) == ("equivalent", r"x_{1} \delta^{(1)}_{1} = 0.2870")
    assert check_answer(net(), "w^{(1)}_{11}", r"x_1 \delta^{(1)}_1 ≈ 0.2871").verdict == "not_equivalent"


@pytest.mark.parametrize("answer, message", [
    (r"\approx x_1 \delta^{(1)}_1", r"answer, column 1: \approx introduces a number, as in \approx 0.2928"),
    (r"\num{x_1}", r"answer, column 1: \num takes a number in braces, as in \num{0.2928}"),
    (r"\num 0.5", r"answer, column 1: \num takes a number in braces, as in \num{0.2928}"),
])
def test_number_forms_refused_say_why(answer, message):
    with pytest.raises(AnswerReadError) as info:
        check_answer(net(), "w^{(1)}_{11}", answer)
    assert str(info.value) == message
