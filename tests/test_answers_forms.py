"""Answers as students write them: every form the reader takes, right and wrong.

Each case names a network, the node the answer is for, the answer, and the outcome:
``"equivalent"``, ``"undecided"``, or the diagnosis code of a wrong answer (``WRONG``: wrong
with no named mistake). Networks: the lecture's 2-2-2-2 sigmoid net, the worked example
with shared biases, a softmax output with cross-entropy, a tanh net, a ReLU net, nets with
custom activations (swish, xtanh), and the circuit graph f = (x + y) z.
"""

import json
from functools import lru_cache

import pytest
import sympy

import symbackprop as sb
from symbackprop.ops import activations
from symbackprop.ops.activations import Activation
from symbackprop.answers import AnswerReadError, check_answer
from symbackprop.answers.compare import half_unit
from symbackprop.reading.lexer import prepare

from conftest import EXAMPLES, network as shared_network

OK = "equivalent"
UNDECIDED = "undecided"
WRONG = "wrong"


@lru_cache(maxsize=None)
def network(key):
    """conftest's networks, and two with custom activations of this file's own."""
    if key == "swish":
        return sb.Network([2, 2, 1], activation=[_SWISH, "identity"])
    if key == "xtanh":
        return sb.Network([2, 2, 1], activation=[_XTANH, "identity"])
    return shared_network(key)


# a Python-defined swish that is not SiLU: t·tanh(t)
_SWISH = Activation.custom("swish", lambda t: t * sympy.tanh(t))
_XTANH = Activation.custom("xtanh", lambda t: t * sympy.tanh(t))


def case(net, wrt, answer, outcome, id):
    return pytest.param(net, wrt, answer, outcome, id=id)


BACK = r"(a^{(3)}_1 - y_1)"
CASES = [
    # --- sums: with bounds, without (the index runs as far as the names go), products ---------
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z^{(2)}_1) \sum_k w^{(3)}_{k1} \delta^{(3)}_k", OK,
         "sum-unbounded"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z^{(2)}_1) \sum_{k=1}^{2} w^{(3)}_{k1} \delta^{(3)}_k",
         OK, "sum-bounded"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z^{(2)}_1) \sum_{k=1}^{n} w^{(3)}_{k1} \delta^{(3)}_k",
         OK, "sum-named-upper-bound"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z^{(2)}_1) \sum\limits_{k} w^{(3)}_{k1} \delta^{(3)}_k",
         OK, "sum-limits"),
    case("lecture", "w^{(2)}_{11}", "a⁽¹⁾₁ σ′(z⁽²⁾₁) ∑_k w⁽³⁾_{k1} δ⁽³⁾_k", OK, "sum-unicode"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z^{(2)}_1) \sum_k w^{(3)}_{1k} \delta^{(3)}_k",
         "transposed_index", "sum-transposed-index"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z^{(2)}_1) \sum_{k=1}^{1} w^{(3)}_{k1} \delta^{(3)}_k",
         "missing_term", "sum-bound-too-small"),
    case("lecture", "x_1", r"\sum_j w^{(1)}_{j1} \delta^{(1)}_j", OK, "sum-input"),
    case("lecture", "a^{(1)}_1", r"\sum_k w^{(2)}_{k1} \delta^{(2)}_k", OK, "sum-issue-example"),
    case("lecture", "a^{(1)}_1", r"\sum_k w^{(2)}_{1k} \delta^{(2)}_k", WRONG, "sum-issue-transposed"),
    case("lecture", "a^{(1)}_1", r"\sum_j \frac{\partial C}{\partial z^{(2)}_j} w^{(2)}_{j1}", OK,
         "sum-of-partials"),
    case("wide", "w^{(1)}_{11}", r"\sum_k x_k w^{(2)}_{k1}", UNDECIDED, "sum-ambiguous-range"),
    case("lecture", "w^{(3)}_{11}", r"\prod_{k=1}^{1} a^{(2)}_k \delta^{(3)}_1", OK, "product-bounded"),
    case("lecture", "w^{(3)}_{11}", r"\prod_{k} a^{(2)}_1 \delta^{(3)}_k", WRONG, "product-wrong"),
    case("softmax", "z^{(1)}_1", r"\frac{e^{z_1}}{\sum_k e^{z_k}} - y_1", OK, "softmax-sum-exp"),
    case("softmax", "z^{(1)}_1", r"\frac{e^{z_1}}{\sum_k e^{z_k}} - y_2", WRONG, "softmax-sum-exp-wrong"),
    case("shared", "w_1", r"i_1 \sigma'(z_{h_1}) \sum_{k=1}^{2} w_{k} \delta_{o_k}", WRONG, "shared-sum-wrong"),
    # --- d-notation ----------------------------------------------------------------------------
    case("lecture", "w^{(3)}_{11}", r"\frac{dC}{dz^{(3)}_1} a^{(2)}_1", OK, "d-frac"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 dC/dz^{(3)}_1", OK, "d-slash"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \frac{\mathrm{d} C}{\mathrm{d} z^{(3)}_1}", OK, "d-mathrm"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \frac{d C}{d z^{(3)}_2}", "wrong_parameter", "d-frac-wrong"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z) (w^{(3)}_{11} dC/dz' + w^{(3)}_{21} dC/dz'')", OK,
         "d-lecture-primes"),
    case("lecture", "w^{(3)}_{11}", r"\frac{\partial E}{\partial z^{(3)}_1} a^{(2)}_1", OK, "cost-named-E"),
    case("softmax", "w^{(1)}_{11}", r"x_1 \frac{\partial L}{\partial z^{(1)}_1}", OK, "cost-named-L"),
    case("circuit", "x", r"\frac{df}{dq}", OK, "d-graph"),
    case("circuit", "x", r"\frac{df}{dz}", WRONG, "d-graph-wrong"),
    # --- the tool's own Unicode text ----------------------------------------------------------
    case("lecture", "w^{(3)}_{11}", "a⁽²⁾₁·σ′(z⁽³⁾₁)·(a⁽³⁾₁ - y₁)", OK, "unicode-output"),
    case("lecture", "w^{(3)}_{11}", "a⁽²⁾₁·σ′(z⁽³⁾₁)·(a⁽³⁾₁ − y₂)", WRONG, "unicode-output-wrong"),
    case("shared", "w_5", "h₁·σ′(zₒ₁)·(o₁ - t₁)", OK, "unicode-letter-subscripts"),
    case("shared", "w_5", "h₁·δₒ₁", OK, "unicode-delta"),
    case("shared", "w_5", "h₂·δₒ₁", "wrong_input", "unicode-delta-wrong"),
    case("tanh", "w^{(2)}_{11}", "a⁽¹⁾₁·tanh′(z⁽²⁾₁)·(a⁽²⁾₁ - y₁)", OK, "unicode-tanh"),
    # --- wrappers, comments, marks ------------------------------------------------------------
    case("lecture", "w^{(3)}_{11}", r"\[ a^{(2)}_1 \delta^{(3)}_1 \,. \]", OK, "display-math-full-stop"),
    case("lecture", "w^{(3)}_{11}", r"\( a^{(2)}_1 \delta^{(3)}_1 \)", OK, "inline-math"),
    case("lecture", "w^{(3)}_{11}", "a^{(2)}_1 \\delta^{(3)}_1 % the one-step rule\n", OK, "comment"),
    case("lecture", "w^{(3)}_{11}", "% Case 1\na^{(2)}_1 \\delta^{(3)}_1,", OK, "comment-first-and-comma"),
    case("lecture", "w^{(3)}_{11}", "a^{(2)}_1 \\delta^{(3)}_2 \\,.", "wrong_parameter", "full-stop-wrong"),
    case("lecture", "w^{(3)}_{11}", rf"a^{{(2)}}_1 \dot\sigma(z^{{(3)}}_1){BACK}", OK, "dot-sigma"),
    case("lecture", "w^{(3)}_{11}", rf"a^{{(2)}}_1 \dot{{\sigma}}(z^{{(3)}}_1){BACK}", OK, "dot-braced"),
    case("lecture", "w^{(3)}_{11}", rf"a^{{(2)}}_1 \sigma^\prime(z^{{(3)}}_1){BACK}", OK, "prime-superscript"),
    case("lecture", "w^{(3)}_{11}", rf"a^{{(2)}}_1 \sigma\prime(z^{{(3)}}_1){BACK}", OK, "prime-command"),
    case("lecture", "w^{(3)}_{11}", rf"a^{{(2)}}_1 σ′(z^{{(3)}}_1){BACK}", OK, "prime-unicode"),
    case("lecture", "w^{(3)}_{11}", rf"a^{{(2)}}_1 \sigma(z^{{(3)}}_1){BACK}", "wrong_activation_derivative",
         "dot-missing"),
    # --- tanh: sech², 1 − tanh² ---------------------------------------------------------------
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 \operatorname{sech}^2(z^{(2)}_1)(a^{(2)}_1 - y_1)", OK, "sech2"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 \mathrm{sech}^2(z^{(2)}_1)(a^{(2)}_1 - y_1)", OK, "sech2-mathrm"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 \frac{1}{\cosh^2(z^{(2)}_1)}(a^{(2)}_1 - y_1)", OK, "cosh"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 \operatorname{sech}(z^{(2)}_1)(a^{(2)}_1 - y_1)", WRONG,
         "sech-not-squared"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 (1 - \tanh^2(z^{(2)}_1))(a^{(2)}_1 - y_1)", OK, "one-minus-tanh2"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 \dot\tanh(z^{(2)}_1)(a^{(2)}_1 - y_1)", OK, "dot-tanh"),
    # --- ReLU: H(z), the indicator ------------------------------------------------------------
    case("relu", "w^{(1)}_{11}", r"x_1 H(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK, "heaviside-H"),
    case("relu", "w^{(1)}_{11}", r"x_1 \mathbb{1}[z^{(1)}_1 > 0] w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK,
         "indicator"),
    case("relu", "w^{(1)}_{11}", r"x_1 \mathbb{1}_{z^{(1)}_1 > 0} w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK,
         "indicator-subscript"),
    case("relu", "w^{(1)}_{11}", r"x_1 \mathbf{1}[z^{(1)}_1 \geq 0] w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK,
         "indicator-geq"),
    case("relu", "w^{(1)}_{11}", r"x_1 \mathbb{1}[z^{(1)}_1 < 0] w^{(2)}_{11} (a^{(2)}_1 - y_1)", WRONG,
         "indicator-wrong-side"),
    case("relu", "w^{(1)}_{11}", r"x_1 H(z^{(1)}_2) w^{(2)}_{11} (a^{(2)}_1 - y_1)", WRONG, "heaviside-wrong"),
    case("residual", "w_1", r"x \mathbb{1}[z_1 > 0] w_2 \sigma'(r) (a - y)", OK, "graph-indicator"),
    case("residual", "w_1", r"x H(z_1) w_2 a (1 - a) (a - y) \,.", OK, "graph-heaviside-full-stop"),
    case("residual", "w_1", "x·H(z₁)·w₂·σ′(r)·(a - y)", OK, "graph-unicode"),
    case("residual", "w_1", r"x \mathbb{1}[z_1 > 0] w_2 \sigma'(r)", WRONG, "graph-indicator-wrong"),
    case("residual", "x", r"\frac{dC}{dr} (1 + w_2 H(z_1) w_1)", OK, "graph-d-notation-skip"),
    case("residual", "x", r"\frac{dC}{dr} w_2 H(z_1) w_1", WRONG, "graph-skip-left-out"),
    # --- activations by the registry's names and the network's own ---------------------------
    case("swish", "w^{(1)}_{11}", r"x_1 swish'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK, "custom-swish"),
    case("swish", "w^{(1)}_{11}", r"x_1 \operatorname{swish}'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK,
         "custom-swish-operatorname"),
    case("swish", "w^{(1)}_{11}", r"x_1 SiLU'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)",
         "wrong_activation_derivative", "custom-swish-is-not-silu"),
    case("silu", "w^{(1)}_{11}", r"x_1 swish'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK,
         "builtin-swish-is-silu"),
    case("xtanh", "w^{(1)}_{11}", r"x_1 xtanh'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK, "custom-xtanh"),
    case("xtanh", "w^{(1)}_{11}", r"x_1 xtanh(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", WRONG,
         "custom-xtanh-no-prime"),
    case("xtanh", "w^{(1)}_{11}", r"x_1 \sigma'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK,
         "sigma-means-the-layer"),
    case("lecture", "w^{(3)}_{11}", rf"a^{{(2)}}_1 \operatorname{{logistic}}'(z^{{(3)}}_1){BACK}", OK,
         "registry-logistic"),
    # --- numbers: to the precision written, shown as written ----------------------------------
    case("lecture", "w^{(3)}_{11}", "0.12596", OK, "number-rounded"),
    case("lecture", "w^{(3)}_{11}", "0.126", OK, "number-three-digits"),
    case("lecture", "w^{(3)}_{11}", "1.2596e-1", OK, "number-scientific"),
    case("lecture", "w^{(3)}_{11}", "0.1270", WRONG, "number-wrong"),
    case("lecture", "w^{(3)}_{11}", "0.12597", WRONG, "number-last-digit-wrong"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1 = 0.12596", OK, "chain-formula-number"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1 = 0.1270", WRONG, "chain-number-wrong"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_2 \delta^{(3)}_1 = 0.12596", "wrong_input", "chain-formula-wrong"),
    case("lecture", "w^{(3)}_{11}",
         r"\frac{\partial C}{\partial w^{(3)}_{11}} = a^{(2)}_1 \delta^{(3)}_1 = 0.12596", OK, "chain-three"),
    case("circuit", "x", "-4", OK, "graph-number"),
    case("circuit", "x", "-4.0", OK, "graph-number-decimal"),
    case("circuit", "x", "-3.9", WRONG, "graph-number-wrong"),
    case("circuit", "x", "z = -4", OK, "graph-chain"),
    case("circuit", "x", "q", "wrong_local_partial", "graph-wrong-node"),
    # --- the left-hand side must name the derivative asked for --------------------------------
    case("lecture", "w^{(3)}_{11}", r"\frac{\partial C}{\partial w^{(3)}_{11}} = a^{(2)}_1 \delta^{(3)}_1", OK,
         "lhs-right"),
    case("lecture", "w^{(3)}_{11}", r"\frac{\partial C}{\partial w^{(2)}_{11}} = a^{(2)}_1 \delta^{(3)}_1",
         "wrong_lhs", "lhs-other-weight"),
    case("lecture", "w^{(3)}_{11}", r"\frac{dC}{dw^{(3)}_{12}} = a^{(2)}_1 \delta^{(3)}_1", "wrong_lhs",
         "lhs-d-notation"),
    case("lecture", "b^{(3)}_1", r"\delta^{(3)}_1 = \sigma'(z^{(3)}_1)(a^{(3)}_1 - y_1)", OK,
         "lhs-same-quantity"),
    case("circuit", "x", r"\frac{\partial f}{\partial y} = z", OK, "lhs-graph-same-value"),
    case("circuit", "x", r"\frac{\partial f}{\partial z} = z", "wrong_lhs", "lhs-graph-other"),
]


@pytest.mark.parametrize("net, wrt, answer, outcome", CASES)
def test_forms(net, wrt, answer, outcome):
    v = check_answer(network(net), wrt, answer)
    if outcome in (OK, UNDECIDED):
        assert v.verdict == outcome, (v.verdict, v.diagnosis, v.answer, v.reason)
    else:
        assert v.verdict == "not_equivalent", (v.verdict, v.answer)
        if outcome != WRONG:
            assert v.diagnosis == outcome, (v.diagnosis, v.explanation, v.answer)
    assert v.entries is None and v.wrong_entries == []


# --- exact outputs ------------------------------------------------------------------------------

def test_a_rounded_number_is_shown_as_written():
    v = check_answer(network("lecture"), "w^{(3)}_{11}", "0.12596")
    assert (v.verdict, v.answer, v.answer_text, v.points) == ("equivalent", "0.12596", "0.12596", 1)
    wrong = check_answer(network("lecture"), "w^{(3)}_{11}", "0.1270")
    assert wrong.answer == "0.1270"
    c = wrong.counterexample
    assert c["where"] == "the spec's point"
    assert c["answer"] == 0.127
    assert abs(c["expected"] - 0.12595992) < 1e-7


def test_digits_past_float64_are_not_judged_and_a_near_miss_shows_its_digits():
    """The float 0.1259599105376537 copied with a 17th digit or padded with zeros is the
    number the tool printed (compared to 1e-13 relative, not to 10⁻²²); a number wrong
    in its 11th digit is shown with enough digits to see where."""
    net = network("lecture")
    for written in ("0.12595991053765374", "0.1259599105376537400000", "0.1259599105376538"):
        assert check_answer(net, "w^{(3)}_{11}", written).verdict == "equivalent", written
    wrong = check_answer(net, "w^{(3)}_{11}", "0.12595991053")     # 0.1259599105376… rounds to …054
    assert wrong.verdict == "not_equivalent"
    assert wrong.describe()[-1] == "    answer = 0.12595991053, expected = 0.125959910538"
    padded = check_answer(net, "w^{(3)}_{11}", "0.12596000000000000000")   # claims 20 decimals
    assert padded.verdict == "not_equivalent"
    assert padded.describe()[-1] == "    answer = 0.12596000000000000000, expected = 0.12595991053765"
    assert (padded.counterexample["written"], padded.counterexample["tolerance"]) == (
        "0.12596000000000000000", pytest.approx(1.2596e-14))
    assert check_answer(net, "w^{(3)}_{11}", "0.1270").describe()[-1] == (
        "    answer = 0.1270, expected = 0.1259599105")
    assert check_answer(net, "w^{(3)}_{11}", "0.1259599105377").verdict == "equivalent"


def test_a_chain_must_hold_in_every_side():
    v = check_answer(network("lecture"), "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1 = 0.1270")
    assert v.verdict == "not_equivalent"
    assert v.reason == "the side 0.1270 does not hold"
    assert v.answer == r"a^{(2)}_{1} \delta^{(3)}_{1} = 0.1270"


def test_wrong_lhs_names_both_derivatives():
    v = check_answer(network("lecture"), "w^{(3)}_{11}",
                     r"\frac{\partial C}{\partial w^{(2)}_{11}} = a^{(2)}_1 \delta^{(3)}_1")
    assert (v.verdict, v.diagnosis) == ("not_equivalent", "wrong_lhs")
    assert v.explanation == "the left-hand side is ∂C/∂w⁽²⁾₁₁, but the question asks for ∂C/∂w⁽³⁾₁₁"


def test_an_ambiguous_sum_is_undecided_with_the_reason():
    v = check_answer(network("wide"), "w^{(1)}_{11}", r"\sum_k x_k w^{(2)}_{k1}")
    assert v.verdict == "undecided"
    assert v.reason == ("the range of k is ambiguous: with k = 3 some of its names exist and others "
                        r"do not; give the bounds, as in \sum_{k=1}^{2}")
    assert v.as_dict()["verdict"] == "undecided"


def test_a_number_without_the_spec_point_must_hold_everywhere():
    net = sb.Network([2, 2, 1])
    v = check_answer(net, "w^{(2)}_{11}", "0.5")
    assert (v.verdict, v.counterexample["where"]) == ("not_equivalent", "random point 1")
    constant = sb.Graph()
    x = constant.input("x")
    constant.output(constant.define("f", 3 * x))
    assert check_answer(constant, "x", "3").verdict == "equivalent"
    assert check_answer(constant, "x", "3.0").verdict == "equivalent"


@pytest.mark.parametrize("literal, half", [("0.12596", "1/200000"), ("0.1270", "1/20000"),
                                           ("1.5e2", "5"), ("-2.5E-3", "1/20000"), ("3", None)])
def test_half_unit_of_the_precision_written(literal, half):
    from fractions import Fraction
    assert half_unit(literal) == (None if half is None else Fraction(half))


@pytest.mark.parametrize("text, kept", [
    (r"\[ x \,. \]", "x"), ("x % note\ny", "x \ny"), (r"x \% y", r"x \% y"), ("x.", "x"),
    ("a⁽²⁾₁", "a^{(2)}_{1}"), ("δₕ₁", "δ_{h1}"), ("Wᵀ", "W^{T}"), (r"x\,,", "x"), ("0.5", "0.5"),
])
def test_prepare(text, kept):
    out, origin = prepare(text)
    assert out == kept
    assert len(origin) == len(out) + 1 and origin[-1] == len(text)


def test_errors_point_at_what_was_typed():
    with pytest.raises(AnswerReadError) as info:
        check_answer(network("lecture"), "w^{(3)}_{11}", "a⁽²⁾₁·q₁")
    assert str(info.value) == "answer, column 7: unknown name 'q_{1}'; did you mean y_{1} or x_{1}?"
    assert info.value.caret() == ["  a⁽²⁾₁·q₁", "        ^"]
    with pytest.raises(AnswerReadError) as info:
        check_answer(network("lecture"), "w^{(3)}_{11}", "% comment\n\\[ a^{(2)}_1 # \\]")
    assert (str(info.value), info.value.caret()) == (
        "answer, line 2, column 14: unexpected character '#'", [r"  \[ a^{(2)}_1 # \]", "               ^"])


@pytest.mark.parametrize("answer, message", [
    (r"\sum w^{(3)}_{k1}", r"answer, column 1: \sum needs its index below it, as in \sum_k or \sum_{k=1}^{n}"),
    (r"\sum_{kk} w_k", r"answer, column 7: \sum: the index is one letter, as in \sum_k or \sum_{k=1}^{n}"),
    (r"\sum_k a^{(2)}_1", "answer, column 1: the index k of the sum appears in no name after it"),
    (r"\sum_k \sum_k a^{(2)}_k", "answer, column 8: the index k is already the index of an outer sum"),
    (r"\sum_{k=3}^{2} a^{(2)}_k", r"answer, column 1: \sum: the upper bound 2 is below the lower bound 3"),
    (r"\sum_{k=1}^{3} a^{(2)}_k", "answer, column 16: unknown name 'a^{(2)}_k'"),
    (r"\mathbb{1}[z^{(3)}_1] a^{(2)}_1", "answer, column 21: expected > or < in the condition, found ']'"),
    (r"\dot a^{(2)}_1", r"answer, column 1: \dot marks the derivative of a function, as in \dot\sigma(z)"),
])
def test_refused_forms_say_why(answer, message):
    with pytest.raises(AnswerReadError) as info:
        check_answer(network("lecture"), "w^{(3)}_{11}", answer)
    assert str(info.value).startswith(message), str(info.value)


def test_sum_work_is_limited():
    net = network("lecture")
    answer = "".join(rf"\sum_{{{k}=1}}^{{9999}} " for k in "ijk") + "a^{(2)}_1"
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, "w^{(3)}_{11}", answer)
    assert "the sums expand to more than 200000 tokens" in str(info.value)


def test_a_cost_brings_its_names():
    from symbackprop.ops import costs
    assert costs.get("mse").names == ("C", "E", "L", "J")
    assert costs.get("cross_entropy").names == ("C", "L", "J")
    with pytest.raises(AnswerReadError) as info:    # E is not a name of cross-entropy
        check_answer(network("softmax"), "w^{(1)}_{11}", r"x_1 \frac{\partial E}{\partial z^{(1)}_1}")
    assert info.value.reason.startswith("unknown name 'E'")


def test_registry_names_come_with_the_activation():
    assert activations.READER_NAMES["logistic"] == "sigmoid"
    assert activations.READER_NAMES["swish"] == "silu"
    assert activations.reader_names(activations.get("tanh")) == ("tanh", r"\tanh")
    assert activations.reader_names(_SWISH) == ("swish",)
    try:
        activations.register("cube", lambda: Activation.custom("cube", lambda t: t ** 3),
                             names=("cubic",))
        net = sb.Network([1, 1, 1], activation=["cube", "identity"])
        v = check_answer(net, "w^{(1)}_{11}", r"x_1 \operatorname{cubic}'(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)")
        assert v.verdict == "equivalent"
    finally:
        activations.REGISTRY.pop("cube", None)
        activations.READER_NAMES.pop("cube", None)
        activations.READER_NAMES.pop("cubic", None)


def test_check_notation_reads_layered_names_on_a_lecture_spec(run_cli, tmp_path):
    spec = tmp_path / "lecture.toml"
    spec.write_text((EXAMPLES / "lecture.toml").read_text(encoding="utf-8").replace(
        'cost = "mse"', 'cost = "mse"\nnotation = "lecture"'), encoding="utf-8")
    answer = r"a^{(2)}_1 \delta^{(3)}_1"
    code, out, err = run_cli("check", spec, "--wrt", "w^{(3)}_{11}", "--answer", answer)
    assert code == 2 and err.startswith("error: wrt: unknown name 'w^{(3)}_{11}'")
    code, out, err = run_cli("check", spec, "--notation", "layered", "--wrt", "w^{(3)}_{11}",
                             "--answer", answer, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["verdict"] == "equivalent"
    code, out, err = run_cli("check", EXAMPLES / "circuit.toml", "--notation", "layered", "--wrt", "x",
                             "--answer", "z")
    assert (code, out) == (2, "")
    assert err.startswith("error: --notation layered applies to layered networks only")


def test_spec_define_formulas_read_the_new_forms():
    from symbackprop.reading.formula import read_formula
    x, y = sympy.symbols("x y")
    assert read_formula(r"\sum_{k=1}^{2} x", [x, y]) == 2 * x
    assert read_formula("x·y % a product", [x, y]) == x * y
    with pytest.raises(AnswerReadError) as info:
        read_formula(r"\frac{dx}{dy}", [x, y])
    assert info.value.reason == "a definition is a formula of earlier nodes, not a derivative"


def test_layer_answers_are_limited_in_size():
    net = sb.Network([60, 60, 2])
    with pytest.raises(sb.SymbackpropError) as info:
        check_answer(net, "W^{(1)}", "x")
    assert str(info.value) == ("wrt: 'W^{(1)}' has 3600 entries; vector and matrix answers are read "
                               "up to 2500")
