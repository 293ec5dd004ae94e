"""Hand-derived answers, right and wrong, in every notation: the verdict and the mistake.

Each case names a network, the node the answer is for, the answer, and either
``"equivalent"`` or the diagnosis code the checker must give (``None``: wrong, with no
named mistake). Networks: the lecture's 2-2-2-2 sigmoid network (examples/lecture.toml),
the worked example with shared biases (examples/shared_bias.toml), and small networks in
the lecture, bracket, tanh, ReLU and softmax (cross-entropy) settings.
"""


import pytest

from symbackprop.answers import check_answer

from conftest import network

OK = "equivalent"


def case(net, wrt, answer, outcome, id):
    return pytest.param(net, wrt, answer, outcome, id=id)


CASES = [
    # --- the lecture network, layered notation: right answers -------------------------------
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1", OK, "lecture-one-step"),
    case("lecture", "w^{(3)}_{11}", r"a^{[2]}_1 \delta^{[3]}_1", OK, "lecture-bracket-layers"),
    case("lecture", "w^{(3)}_{11}", r"a_1^{(2)} \delta_1^{(3)}", OK, "lecture-subscript-first"),
    case("lecture", "w^{(3)}_{11}", r"a^2_1 \delta^3_1", OK, "lecture-bare-layer-numbers"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \sigma'(z^{(3)}_1)(a^{(3)}_1 - y_1)", OK, "lecture-case-1"),
    case("lecture", "w^{(3)}_{11}",
         r"a^{(2)}_1 \sigma(z^{(3)}_1)\left(1-\sigma(z^{(3)}_1)\right)(a^{(3)}_1 - y_1)", OK,
         "lecture-sigma-closed-form"),
    case("lecture", "w^{(3)}_{11}",
         r"\frac{\partial z^{(3)}_1}{\partial w^{(3)}_{11}} \frac{\partial C}{\partial z^{(3)}_1}", OK,
         "lecture-chain-rule-fractions"),
    case("lecture", "w^{(3)}_{11}", "(a^(3)_1 - y_1)*a^(3)_1*(1 - a^(3)_1)*a^(2)_1", OK,
         "lecture-plain-text"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \sigma'(z) (a - y_1)", OK, "lecture-bare-z-and-a"),
    case("lecture", "w^{(3)}_{11}", r"-a^{(2)}_1 \delta^{(3)}_1 \cdot (-1)", OK, "lecture-double-negation"),
    case("lecture", "w^{(3)}_{11}",
         r"a^{(2)}_1 \cdot a^{(3)}_1 \cdot (1 - a^{(3)}_1) \cdot (a^{(3)}_1 - y_1)", OK, "lecture-cdot"),
    case("lecture", "w^{(3)}_{11}",
         r"\frac{a^{(2)}_1 (a^{(3)}_1 - y_1)}{1 + e^{-z^{(3)}_1}} \left(1 - \frac{1}{1+\exp(-z^{(3)}_1)}\right)",
         OK, "lecture-exponential-form"),
    case("lecture", "w^{(3)}_{11}", r"2 \cdot \frac{1}{2} a^{(2)}_1 \delta^{(3)}_1", OK, "lecture-half-times-two"),
    case("lecture", "w^{(3)}_{11}", r"\frac12 \cdot 2 (a^{(3)}_1 - y_1) \sigma'(z^{(3)}_1) a^{(2)}_1", OK,
         "lecture-frac12"),
    case("lecture", "w^{(3)}_{11}",
         r"\left(a^{(3)}_{1}-y_{1}\right)\sigma^{\prime}\left(z^{(3)}_{1}\right)a^{(2)}_{1}", OK,
         "lecture-sigma-prime-superscript"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \times \delta^{(3)}_1", OK, "lecture-times"),
    case("lecture", "w^{(3)}_{11}", r"$a^{(2)}_1 \delta^{(3)}_1$", OK, "lecture-dollars"),
    case("lecture", "w^{(3)}_{11}", "a^{(2)}_1 · σ′(z^{(3)}_1) · (a^{(3)}_1 − y_1)", OK, "lecture-unicode"),
    case("lecture", "w^{(3)}_{11}", r"\frac{\partial C}{\partial w^{(3)}_{11}} = a^{(2)}_1 \delta^{(3)}_1", OK,
         "lecture-equation"),
    case("lecture", "w^{(3)}_{11}",
         r"\sigma(b^{(2)}_1 + w^{(2)}_{11} a^{(1)}_1 + w^{(2)}_{12} a^{(1)}_2) \delta^{(3)}_1", OK,
         "lecture-activation-written-out"),
    case("lecture", "w_{11}^{[3]}", r"a^{(2)}_1 \delta^{(3)}_1", OK, "lecture-wrt-other-notation"),
    case("lecture", "b^{(3)}_1", r"\delta^{(3)}_1", OK, "lecture-bias"),
    case("lecture", "b^{(2)}_2", r"\sigma'(z^{(2)}_2)(w^{(3)}_{12}\delta^{(3)}_1 + w^{(3)}_{22}\delta^{(3)}_2)",
         OK, "lecture-bias-case-2"),
    case("lecture", "w^{(2)}_{11}",
         r"a^{(1)}_1 \sigma'(z) \left[ w^{(3)}_{11} \frac{\partial C}{\partial z'} + w^{(3)}_{21} \frac{\partial C}{\partial z''} \right]",
         OK, "lecture-primes"),
    case("lecture", "w^{(2)}_{11}",
         r"a^{(1)}_1 \sigma^{\prime}(z) ( w^{(3)}_{11} \frac{\partial C}{\partial z^{\prime}} + w^{(3)}_{21} \frac{\partial C}{\partial z^{\prime\prime}})",
         OK, "lecture-prime-commands"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z)(w^{(3)}_{11} \delta' + w^{(3)}_{21} \delta'')", OK,
         "lecture-delta-primes"),
    case("lecture", "w^{(1)}_{12}", r"x_2 \delta^{(1)}_1", OK, "lecture-first-layer"),
    case("lecture", "w^{(1)}_{12}",
         r"x_2 \sigma'(z^{(1)}_1) (w^{(2)}_{11} \delta^{(2)}_1 + w^{(2)}_{21} \delta^{(2)}_2)", OK,
         "lecture-first-layer-case-2"),
    case("lecture", "w^{(1)}_{12}",
         r"x_2 a^{(1)}_1(1 - a^{(1)}_1)\Big(w^{(2)}_{11} a^{(2)}_1(1-a^{(2)}_1)\big(w^{(3)}_{11}\delta^{(3)}_1 + w^{(3)}_{21}\delta^{(3)}_2\big)"
         r" + w^{(2)}_{21} a^{(2)}_2(1-a^{(2)}_2)\big(w^{(3)}_{12}\delta^{(3)}_1 + w^{(3)}_{22}\delta^{(3)}_2\big)\Big)",
         OK, "lecture-first-layer-unrolled"),
    case("lecture", "x_1", r"w^{(1)}_{11}\delta^{(1)}_1 + w^{(1)}_{21}\delta^{(1)}_2", OK, "lecture-input"),
    case("lecture", "z^{(2)}_1", r"\sigma'(z^{(2)}_1)(w^{(3)}_{11} \delta^{(3)}_1 + w^{(3)}_{21}\delta^{(3)}_2)",
         OK, "lecture-wrt-z"),
    case("lecture", r"\delta^{(2)}_1", r"\sigma'(z)(w^{(3)}_{11} \delta' + w^{(3)}_{21}\delta'')", OK,
         "lecture-wrt-delta"),
    case("lecture", "a^{(2)}_1", r"w^{(3)}_{11} \delta^{(3)}_1 + w^{(3)}_{21}\delta^{(3)}_2", OK, "lecture-wrt-a"),
    case("lecture", "a^{(3)}_1", r"a^{(3)}_1 - y_1", OK, "lecture-wrt-output"),
    case("lecture", "y_1", r"y_1 - a^{(3)}_1", OK, "lecture-wrt-target"),
    # --- the lecture network: wrong answers ---------------------------------------------------
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \sigma'(z^{(3)}_1)(y_1 - a^{(3)}_1)", "sign_error",
         "lecture-sign"),
    case("lecture", "w^{(3)}_{11}", r"2 a^{(2)}_1 \sigma'(z^{(3)}_1)(a^{(3)}_1 - y_1)", "factor_two",
         "lecture-factor-two"),
    case("lecture", "w^{(3)}_{11}", r"\frac{1}{2} a^{(2)}_1 \delta^{(3)}_1", "factor_two", "lecture-factor-half"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 (a^{(3)}_1 - y_1)", "missing_sigma_prime",
         "lecture-missing-sigma-prime"),
    case("lecture", "w^{(1)}_{11}", r"x_1 (w^{(2)}_{11} \delta^{(2)}_1 + w^{(2)}_{21} \delta^{(2)}_2)",
         "missing_sigma_prime", "lecture-missing-sigma-prime-hidden"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 (1 - (a^{(3)}_1)^2)(a^{(3)}_1 - y_1)",
         "wrong_activation_derivative", "lecture-tanh-formula"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 (1-\tanh^2(z^{(3)}_1))(a^{(3)}_1 - y_1)",
         "wrong_activation_derivative", "lecture-tanh-derivative"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 \sigma(z^{(3)}_1)(a^{(3)}_1 - y_1)",
         "wrong_activation_derivative", "lecture-function-for-derivative"),
    case("lecture", "w^{(3)}_{12}", r"a^{(2)}_1 \delta^{(3)}_1", "wrong_input", "lecture-wrong-input"),
    case("lecture", "w^{(2)}_{21}", r"a^{(2)}_2 \delta^{(2)}_2", "wrong_input", "lecture-own-output"),
    case("lecture", "w^{(1)}_{11}", r"\delta^{(1)}_1", "wrong_input", "lecture-input-missing"),
    case("lecture", "w^{(2)}_{12}", r"a^{(1)}_1 \delta^{(2)}_2", "transposed_index", "lecture-transposed"),
    case("lecture", "z^{(2)}_1", r"\sigma'(z^{(2)}_1)(w^{(3)}_{11}\delta^{(3)}_1 + w^{(3)}_{12}\delta^{(3)}_2)",
         "transposed_index", "lecture-transposed-sum"),
    case("lecture", "z^{(2)}_1", r"\sigma'(z^{(2)}_1) w^{(3)}_{11}\delta^{(3)}_1", "missing_term",
         "lecture-missing-term"),
    case("lecture", "x_1", r"w^{(1)}_{11}\delta^{(1)}_1", "missing_term", "lecture-input-missing-term"),
    case("lecture", "w^{(2)}_{11}", r"a^{(1)}_1 \delta^{(3)}_1", "wrong_layer", "lecture-wrong-delta-layer"),
    case("lecture", "w^{(2)}_{12}", r"a^{(2)}_2 \delta^{(2)}_1", "wrong_layer", "lecture-wrong-input-layer"),
    case("lecture", "w^{(2)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1", "wrong_layer", "lecture-other-layer-weight"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 (y_1 - a^{(3)}_1)", "missing_sigma_prime+sign_error",
         "lecture-two-mistakes"),
    case("lecture", "w^{(3)}_{11}", r"3 a^{(2)}_1 \delta^{(3)}_1", "constant_factor", "lecture-constant"),
    case("lecture", "w^{(3)}_{11}", r"a^{(2)}_1 + \delta^{(3)}_1", None, "lecture-no-diagnosis"),
    case("lecture", "w^{(1)}_{11}",
         r"x_1 \sigma'(z^{(1)}_1)(w^{(2)}_{11} \delta^{(2)}_1 - w^{(2)}_{21} \delta^{(2)}_2)", None,
         "lecture-wrong-sign-inside"),
    # --- the worked example with shared biases -----------------------------------------------
    case("shared", "w_5", "(o1 - t1)*o1*(1 - o1)*h1", OK, "shared-plain-text"),
    case("shared", "w_5", r"(o_1 - t_1) o_1 (1 - o_1) h_1", OK, "shared-latex"),
    case("shared", "w_5", r"h_1 \delta_{o_1}", OK, "shared-one-step"),
    case("shared", "w_5",
         r"\frac{\partial C}{\partial o_1}\frac{\partial o_1}{\partial net_{o1}}\frac{\partial net_{o1}}{\partial w_5}",
         OK, "shared-net-out-chain"),
    case("shared", "w_5", r"(out_{o1} - t_1) out_{o1} (1 - out_{o1}) out_{h1}", OK, "shared-out-names"),
    case("shared", "w_5", r"-(t_1 - o_1) o_1 (1 - o_1) h_1", OK, "shared-negated-difference"),
    case("shared", "w_5", r"h_1 \sigma'(z) (a - t_1)", OK, "shared-bare-names"),
    case("shared", "w_{5}", r"h_1\sigma'(net_{o_1})(o_1-t_1)", OK, "shared-net-argument"),
    case("shared", "b_2", r"\delta_{o_1} + \delta_{o_2}", OK, "shared-bias-both-uses"),
    case("shared", "b_2", r"(o_1 - t_1) o_1 (1-o_1) + (o_2 - t_2) o_2 (1 - o_2)", OK, "shared-bias-closed"),
    case("shared", "b_1", r"\delta_{h_1} + \delta_{h_2}", OK, "shared-hidden-bias"),
    case("shared", "w_1", r"i_1 h_1(1-h_1)(w_5 \delta_{o1} + w_7 \delta_{o2})", OK, "shared-hidden-weight"),
    case("shared", "w_1", r"i_1 \sigma'(z) (w_5 \delta' + w_7 \delta'')", OK, "shared-hidden-primes"),
    case("shared", "w_1",
         r"i_1 \sigma'(z)\left(w_5 \frac{\partial C}{\partial z'} + w_7 \frac{\partial C}{\partial z''}\right)", OK,
         "shared-hidden-fractions"),
    case("shared", "w_1", "i1*h1*(1-h1)*(w5*(o1-t1)*o1*(1-o1) + w7*(o2-t2)*o2*(1-o2))", OK,
         "shared-hidden-plain-text"),
    case("shared", "w_6", r"h_2 \delta_{o_1}", OK, "shared-w6"),
    case("shared", "i_1", r"w_1 \delta_{h_1} + w_3 \delta_{h_2}", OK, "shared-wrt-input"),
    case("shared", "h_1", r"w_5 \delta_{o_1} + w_7 \delta_{o_2}", OK, "shared-wrt-activation"),
    case("shared", "z_{h_1}", r"h_1 (1 - h_1)(w_5 \delta_{o_1} + w_7 \delta_{o_2})", OK, "shared-wrt-z"),
    case("shared", "t_1", r"t_1 - o_1", OK, "shared-wrt-target"),
    case("shared", "w_5", r"(t_1 - o_1) o_1 (1 - o_1) h_1", "sign_error", "shared-sign"),
    case("shared", "w_5", r"2 (o_1 - t_1) o_1 (1 - o_1) h_1", "factor_two", "shared-factor-two"),
    case("shared", "w_5", r"(o_1 - t_1) h_1", "missing_sigma_prime", "shared-missing-sigma-prime"),
    case("shared", "w_5", r"(o_1 - t_1) o_1 (1 - o_1) h_2", "wrong_input", "shared-wrong-input"),
    case("shared", "w_5", r"(o_1 - t_1)(1 - o_1^2) h_1", "wrong_activation_derivative", "shared-tanh-formula"),
    case("shared", "b_2", r"\delta_{o_1}", "missing_use", "shared-bias-missing-use"),
    case("shared", "b_1", r"\delta_{h_2}", "missing_use", "shared-hidden-bias-missing-use"),
    case("shared", "w_1", r"i_1 h_1(1-h_1) w_5 \delta_{o1}", "missing_term", "shared-missing-term"),
    case("shared", "w_1", r"i_1 h_1(1-h_1)(w_5 \delta_{o1} + w_6 \delta_{o2})", "transposed_index",
         "shared-transposed-sum"),
    case("shared", "w_2", r"i_1 \delta_{h_2}", "transposed_index", "shared-transposed-weight"),
    case("shared", "w_1", r"i_1 \delta_{o_1}", "wrong_layer", "shared-wrong-delta-layer"),
    case("shared", "w_1", r"h_1 \delta_{o_1}", "wrong_layer", "shared-other-layer-weight"),
    case("shared", "w_5", r"i_1 \delta_{o_1}", "wrong_layer", "shared-wrong-input-layer"),
    case("shared", "w_1", r"i_1 (w_5 \delta_{o1} + w_7 \delta_{o2})", "missing_sigma_prime",
         "shared-hidden-missing-sigma-prime"),
    case("shared", "w_1", r"i_1 h_1(1-h_1)(w_5 \delta_{o1} - w_7 \delta_{o2})", "sign_error",
         "shared-sign-one-output"),
    # --- other notations and activations ---------------------------------------------------------
    case("numbered", "w_5", r"a_1 \frac{\partial C}{\partial z_3}", OK, "numbered-one-step"),
    case("numbered", "w_5", r"a_1 \sigma'(z_3)(y_1 - \hat{y}_1)", OK, "numbered-case-1"),
    case("numbered", "w_5", "a_1 σ'(z_3)(y_1 − ŷ_1)", OK, "numbered-unicode-hat"),
    case("numbered", "w_1", r"x_1 \sigma'(z_1)(w_5 \frac{\partial C}{\partial z_3} + w_7 \frac{\partial C}{\partial z_4})",
         OK, "numbered-case-2"),
    case("numbered", "w_1", r"x_1 \sigma'(z)(w_5 \frac{\partial C}{\partial z'} + w_7 \frac{\partial C}{\partial z''})",
         OK, "numbered-primes"),
    case("numbered", "w_5", r"a_1 \sigma'(z_3)(\hat{y}_1 - y_1)", "sign_error", "numbered-sign"),
    case("bracket", "w^{[2]}_{11}", r"a^{[1]}_1 \delta^{[2]}_1", OK, "bracket-own-notation"),
    case("bracket", "w^{[2]}_{11}", r"a^{(1)}_1 \delta^{(2)}_1", OK, "bracket-parenthesised-layers"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 (1 - (a^{(2)}_1)^2)(a^{(2)}_1 - y_1)", OK, "tanh-closed"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 (1 - \tanh^2 z^{(2)}_1)(a^{(2)}_1 - y_1)", OK, "tanh-function"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z^{(2)}_1)(a^{(2)}_1 - y_1)", OK, "tanh-generic-sigma"),
    case("tanh", "w^{(2)}_{11}", r"a^{(1)}_1 a^{(2)}_1(1 - a^{(2)}_1)(a^{(2)}_1 - y_1)",
         "wrong_activation_derivative", "tanh-sigmoid-formula"),
    case("relu", "w^{(1)}_{11}", r"x_1 \operatorname{step}(z^{(1)}_1) w^{(2)}_{11} (a^{(2)}_1 - y_1)", OK,
         "relu-step"),
    case("relu", "w^{(1)}_{11}", r"x_1 \sigma'(z^{(1)}_1) w^{(2)}_{11} \delta^{(2)}_1", OK, "relu-generic-sigma"),
    case("relu", "w^{(2)}_{11}", r"\max(0, z^{(1)}_1) (a^{(2)}_1 - y_1)", OK, "relu-max"),
    case("relu", "w^{(2)}_{11}", r"\mathrm{ReLU}(z^{(1)}_1) (z^{(2)}_1 - y_1)", OK, "relu-function"),
    case("relu", "w^{(1)}_{11}", r"x_1 w^{(2)}_{11} (a^{(2)}_1 - y_1)", "missing_sigma_prime",
         "relu-missing-step"),
    case("softmax", "w^{(1)}_{11}", r"x_1 (a^{(1)}_1 - y_1)", OK, "softmax-a-minus-y"),
    case("softmax", "b^{(1)}_{2}", r"a^{(1)}_2 - y_2", OK, "softmax-bias"),
    case("softmax", "w^{(1)}_{11}", r"x_1 (y_1 - a^{(1)}_1)", "sign_error", "softmax-sign"),
    case("softmax", "w^{(1)}_{11}", r"a^{(1)}_1 - y_1", "wrong_input", "softmax-input-missing"),
]


@pytest.mark.parametrize("net, wrt, answer, outcome", CASES)
def test_answer(net, wrt, answer, outcome):
    verdict = check_answer(network(net), wrt, answer)
    if outcome == OK:
        assert verdict.verdict == "equivalent", verdict.describe()
        assert verdict.counterexample is None
        assert verdict.diagnosis is None
    else:
        assert verdict.verdict == "not_equivalent", verdict.describe()
        assert verdict.diagnosis == outcome, verdict.describe()
        c = verdict.counterexample
        assert c is not None and abs(c["answer"] - c["expected"]) > 1e-9


def test_table_is_large_enough():
    assert len(CASES) >= 60
    assert {c.values[3] for c in CASES} >= {
        OK, "sign_error", "factor_two", "missing_sigma_prime", "wrong_activation_derivative",
        "wrong_input", "transposed_index", "missing_term", "wrong_layer"}
