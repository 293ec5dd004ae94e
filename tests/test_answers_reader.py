"""The reader: names in every notation, functions, errors with positions, limits, hostile
input and fuzzing."""

import sys
import time
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symbackprop as sb
from symbackprop.ops.activations import ActivationPrime
from symbackprop.answers import AnswerReadError, read_answer
from symbackprop.reading.lexer import MAX_LENGTH, tokenize

from conftest import EXAMPLES

SOURCE = Path(sb.__file__).parent / "answers"


@pytest.fixture(scope="module")
def lecture_net():
    return sb.load(EXAMPLES / "lecture.toml")


@pytest.fixture(scope="module")
def shared_net():
    return sb.load(EXAMPLES / "shared_bias.toml")


def read(net, text, wrt="w^{(2)}_{11}"):
    return read_answer(net, wrt, text)[2]


def S(name):
    return sympy.Symbol(name)


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, name", [
    pytest.param("w^{(2)}_{12}", "w^{(2)}_{12}", id="layered"),
    pytest.param("w^{[2]}_{12}", "w^{(2)}_{12}", id="bracket"),
    pytest.param("w_{12}^{(2)}", "w^{(2)}_{12}", id="subscript-first"),
    pytest.param("w^2_{12}", "w^{(2)}_{12}", id="bare-layer"),
    pytest.param("w^{(2)}_{1,2}", "w^{(2)}_{12}", id="comma"),
    pytest.param("w^{(2)}_{1 2}", "w^{(2)}_{12}", id="space"),
    pytest.param("w^(2)_12", "w^{(2)}_{12}", id="plain-text"),
    pytest.param(r"\mathrm{w}^{(2)}_{12}", "w^{(2)}_{12}", id="mathrm"),
    pytest.param("x_1", "x_{1}", id="input"),
    pytest.param("x1", "x_{1}", id="input-plain"),
    pytest.param("y_{2}", "y_{2}", id="target"),
    pytest.param("z", "z^{(2)}_{1}", id="bare-z"),
    pytest.param("z'", "z^{(3)}_{1}", id="z-prime"),
    pytest.param("z''", "z^{(3)}_{2}", id="z-double-prime"),
    pytest.param(r"z^{\prime\prime}", "z^{(3)}_{2}", id="z-prime-commands"),
    pytest.param("z″", "z^{(3)}_{2}", id="z-unicode-double-prime"),
    pytest.param("a", "a^{(2)}_{1}", id="bare-a"),
    pytest.param(r"\delta", r"\delta^{(2)}_{1}", id="bare-delta"),
    pytest.param(r"\delta''", r"\delta^{(3)}_{2}", id="delta-double-prime"),
    pytest.param(r"\delta^{(3)}_2", r"\delta^{(3)}_{2}", id="delta"),
    pytest.param("δ^3_2", r"\delta^{(3)}_{2}", id="delta-unicode"),
    pytest.param(r"\frac{\partial C}{\partial z^{(1)}_2}", r"\delta^{(1)}_{2}", id="dC-dz"),
    pytest.param(r"\partial C / \partial z''", r"\delta^{(3)}_{2}", id="dC-dz-inline"),
    pytest.param(r"\frac{\partial C}{\partial w^{(1)}_{21}}", r"\frac{\partial C}{\partial w^{(1)}_{21}}",
                 id="dC-dw"),
    pytest.param(r"\frac{\partial C}{\partial a^{(1)}_{2}}", r"\frac{\partial C}{\partial a^{(1)}_{2}}",
                 id="dC-da"),
    pytest.param(r"net^{(2)}_1", "z^{(2)}_{1}", id="net"),
    pytest.param(r"\text{out}^{(1)}_2", "a^{(1)}_{2}", id="out"),
])
def test_names_in_the_lecture_network(lecture_net, text, name):
    assert read(lecture_net, text) == S(name)


@pytest.mark.parametrize("text, name", [
    pytest.param("h_1", "h_1", id="neuron"),
    pytest.param("h1", "h_1", id="neuron-plain"),
    pytest.param("h_{1}", "h_1", id="neuron-braced"),
    pytest.param("w5", "w_5", id="weight-plain"),
    pytest.param("w_{5}", "w_5", id="weight-braced"),
    pytest.param("net_{h1}", "z_{h_1}", id="net"),
    pytest.param("z_{h_1}", "z_{h_1}", id="z"),
    pytest.param("out_{o_2}", "o_2", id="out"),
    pytest.param(r"\delta_{o1}", r"\delta_{o_1}", id="delta"),
    pytest.param("b_1", "b_1", id="shared-bias"),
    pytest.param("t1", "t_1", id="target"),
    pytest.param("z", "z_{o_1}", id="bare-z"),
])
def test_names_in_the_worked_example(shared_net, text, name):
    assert read(shared_net, text, wrt="w_5") == S(name)


def test_lecture_notation_names():
    net = sb.Network([2, 2, 2], notation="lecture")
    assert read(net, r"\hat{y}_1", wrt="w_5") == S(r"\hat{y}_{1}")
    assert read(net, r"\hat y_1", wrt="w_5") == S(r"\hat{y}_{1}")
    assert read(net, r"\hat{y_1}", wrt="w_5") == S(r"\hat{y}_{1}")
    assert read(net, "ŷ_1", wrt="w_5") == S(r"\hat{y}_{1}")
    assert read(net, "y_1", wrt="w_5") == S("y_{1}")           # the output in this notation
    assert read(net, r"\delta_3", wrt="w_5") == S(r"\frac{\partial C}{\partial z_{3}}")
    assert read(net, r"\frac{\partial C}{\partial z'}", wrt="w_1") == S(r"\frac{\partial C}{\partial z_{3}}")


def test_a_bare_number_after_a_subscript_is_a_power(lecture_net):
    assert read(lecture_net, "x_1^2") == S("x_{1}") ** 2
    assert read(lecture_net, "a^{(1)}_1^2") == S("a^{(1)}_{1}") ** 2
    assert read(lecture_net, "(a^{(3)}_1 - y_1)^2") == (S("a^{(3)}_{1}") - S("y_{1}")) ** 2


# --- functions and operators ---------------------------------------------------------------

def test_functions(lecture_net):
    z = S("z^{(2)}_{1}")
    sigma = lecture_net.activations[0]
    assert read(lecture_net, r"\sigma(z)") == sigma.func(z)
    prime = read(lecture_net, r"\sigma'(z)")
    assert isinstance(prime, ActivationPrime) and prime.args == (z,)
    assert read(lecture_net, r"\sigma^{\prime}\left(z\right)") == prime
    assert read(lecture_net, "sigma'(z)") == prime
    assert read(lecture_net, r"\exp(z)") == sympy.exp(z)
    assert read(lecture_net, r"e^{-z}") == sympy.exp(-z)
    assert read(lecture_net, r"\ln z") == sympy.log(z)
    assert read(lecture_net, r"\log(z)") == sympy.log(z)
    assert read(lecture_net, r"\sqrt{z}") == sympy.sqrt(z)
    assert read(lecture_net, r"\tanh^2(z)") == sb.activations.get("tanh").func(z) ** 2
    assert read(lecture_net, r"\max(0, z)") == sympy.Max(0, z)


def test_operators_and_implicit_products(lecture_net):
    x1, x2 = S("x_{1}"), S("x_{2}")
    assert read(lecture_net, r"x_1 x_2") == x1 * x2
    assert read(lecture_net, r"2x_1") == 2 * x1
    assert read(lecture_net, r"x_1 \cdot x_2 \times 3") == 3 * x1 * x2
    assert read(lecture_net, r"\frac{x_1}{x_2}") == x1 / x2
    assert read(lecture_net, r"\frac12 x_1") == x1 / 2
    assert read(lecture_net, r"x_1/x_2*3") == 3 * x1 / x2
    assert read(lecture_net, r"x_1 - -x_2") == x1 + x2
    assert read(lecture_net, r"\left[x_1 + x_2\right]^{2}") == (x1 + x2) ** 2
    assert read(lecture_net, r"x_1**2") == x1 ** 2
    assert read(lecture_net, r"0.25 x_1") == sympy.Rational(1, 4) * x1
    assert read(lecture_net, r"\frac{\partial C}{\partial x_1} = 3x_1", wrt="x_2") == 3 * x1


def test_one_step_partials(lecture_net):
    assert read(lecture_net, r"\frac{\partial z^{(2)}_1}{\partial w^{(2)}_{11}}") == S("a^{(1)}_{1}")
    prime = read(lecture_net, r"\frac{\partial a^{(2)}_1}{\partial z^{(2)}_1}")
    assert isinstance(prime, ActivationPrime)


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, column, words", [
    pytest.param("", 1, "empty", id="empty"),
    pytest.param("   ", 1, "empty", id="blank"),
    pytest.param("x_1 + {x_2", 7, "unbalanced '{'", id="unclosed-brace"),
    pytest.param("x_1 + x_2}", 10, "unbalanced '}'", id="unopened-brace"),
    pytest.param("(x_1 + x_2", 1, "unbalanced '('", id="unclosed-paren"),
    pytest.param("x_1)", 4, "unbalanced ')'", id="unopened-paren"),
    pytest.param(r"x_1 \foo x_2", 5, r"unknown command \foo", id="unknown-command"),
    pytest.param(r"\input{/etc/passwd}", 1, r"unknown command \input", id="input"),
    pytest.param("q_1 x_1", 1, "unknown name 'q_1'", id="unknown-name"),
    pytest.param("x_1 +", 6, "ends where an expression", id="trailing-operator"),
    pytest.param("x_1 # 2", 5, "unexpected character '#'", id="bad-character"),
    pytest.param(r"\sum_j w_j", 8, "unknown name 'w_j'", id="sum-of-unknown-names"),
    pytest.param(r"\frac{1}{0}", 1, "division by zero", id="division-by-zero"),
    pytest.param("z'''", 1, "feeds only 2", id="too-many-primes"),
    pytest.param(r"\delta^{(2)}_1", 1, "itself", id="circular"),
    pytest.param("2^{2^{2^{2^{2^{2}}}}}", 5, "too large", id="power-tower"),
    pytest.param(r"\sigma''(z)", 1, "second derivatives", id="second-derivative"),
    pytest.param(r"\partial C", 1, "∂ must be written as a derivative", id="lone-partial"),
])
def test_errors_say_where(lecture_net, text, column, words):
    with pytest.raises(AnswerReadError) as info:
        read(lecture_net, text, wrt="z^{(2)}_1")
    error = info.value
    assert error.line_column() == (1, column), str(error)
    assert words in str(error)
    assert str(error).startswith(f"answer, column {column}: ")
    line, caret = error.caret()
    assert caret.index("^") - 2 == column - 1 and line[2:] == text


def test_unknown_name_lists_the_names(shared_net):
    with pytest.raises(AnswerReadError) as info:
        read(shared_net, "o_3", wrt="w_5")
    assert str(info.value) == "answer, column 1: unknown name 'o_3'; did you mean w_3, o_2 or o_1?"
    with pytest.raises(AnswerReadError) as info:
        read(shared_net, "q", wrt="w_5")
    assert str(info.value) == ("answer, column 1: unknown name 'q'; this network has 22 names, e.g. i_1, i_2, "
                               "t_1 (and \\delta for ∂C/∂z)")


def test_errors_on_a_later_line_give_line_and_column(lecture_net):
    with pytest.raises(AnswerReadError) as info:
        read(lecture_net, "x_1 +\n  x_2 #")
    assert info.value.where() == "line 2, column 7"
    assert info.value.caret() == ["    x_2 #", "        ^"]


@pytest.mark.parametrize("text, words", [
    pytest.param("x" * 100_000, "the limit is 10000", id="100-kB"),
    pytest.param("(" * 10_000 + "x_1" + ")" * 10_000, "the limit", id="10000-levels"),
    pytest.param("(" * 3_000 + "x_1" + ")" * 3_000, "nested too deeply", id="3000-levels"),
    pytest.param("-" * 5_000 + "x_1", "nested too deeply", id="5000-signs"),
    pytest.param("{" * 4_000 + "x_1" + "}" * 3_999, "nested too deeply", id="4000-braces"),
    pytest.param("x_1^{" * 1_600 + "x_1" + "}" * 1_600, "nested too deeply", id="1600-exponents"),
    pytest.param(r"\sqrt{" * 1_000 + "x_1" + "}" * 1_000, "nested too deeply", id="1000-roots"),
    pytest.param(r"\frac{" * 1_000 + "1}{2}" * 1_000, "the limit", id="1000-fractions"),
    pytest.param("{{{2^{64}}^{64}}^{64}}^{64}", "too large", id="huge-number"),
    pytest.param("9" * 31, "digits", id="long-number"),
])
def test_limits_fail_fast(lecture_net, text, words):
    start = time.perf_counter()
    with pytest.raises(AnswerReadError) as info:
        read(lecture_net, text)
    assert time.perf_counter() - start < 1.0
    assert words in str(info.value)


def test_a_long_but_legal_answer_is_read(lecture_net):
    text = "+".join(["x_1"] * 2000)
    assert len(text) <= MAX_LENGTH
    assert read(lecture_net, text) == 2000 * S("x_{1}")


# --- hostile input ------------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('touch {sentinel}')",
    "exec(\"open('{sentinel}', 'w')\")",
    "eval('1+1')",
    r"\input{{{sentinel}}}",
    r"\include{{/etc/passwd}}",
    r"\write18{{touch {sentinel}}}",
    r"\immediate\write18{{touch {sentinel}}}",
    "lambda: open('{sentinel}', 'w')",
    "().__class__.__base__.__subclasses__()",
    "import os",
    "x_1; import os",
    "$(touch {sentinel})",
    "`touch {sentinel}`",
    "open('{sentinel}', 'w').write('x')",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_input_executes_nothing(lecture_net, tmp_path, template):
    sentinel = tmp_path / "sentinel"
    text = template.format(sentinel=sentinel)
    modules = set(sys.modules)
    start = time.perf_counter()
    with pytest.raises(AnswerReadError):
        read(lecture_net, text)
    assert time.perf_counter() - start < 1.0
    assert not sentinel.exists()
    assert set(sys.modules) - modules == set()


def test_no_text_reaches_an_evaluator():
    """The answers package never hands text to eval, exec, sympify, parse_expr or parse_latex."""
    for path in SOURCE.glob("*.py"):
        code = path.read_text(encoding="utf-8")
        for word in ("eval(", "exec(", "sympify(", "parse_expr(", "parse_latex(", "__import__(",
                     "compile(", "open("):
            assert word not in code.replace("evaluate(", "").replace("re.compile(", ""), (path.name, word)


# --- fuzzing --------------------------------------------------------------------------------------

PIECES = ["x_1", "x_2", "y_1", "a^{(1)}_1", "w^{(2)}_{12}", r"\delta^{(2)}_1", "z", "z'", "a''",
          r"\sigma", r"\sigma'", r"\frac", r"\partial", "C", r"\tanh", r"\exp", "e", "^", "_", "{", "}",
          "(", ")", "[", "]", r"\left(", r"\right)", "+", "-", "*", "/", r"\cdot", "=", "'", ",",
          "2", "0", "1.5", " ", r"\hat", r"\sqrt", r"\ln", r"\max", r"\foo", "#", "ReLU", "h1",
          r"\prime", "$", r"\\", "**"]
VALID = [r"a^{(1)}_1 \sigma'(z)(w^{(3)}_{11} \delta' + w^{(3)}_{21} \delta'')",
         r"\frac{\partial z^{(2)}_1}{\partial w^{(2)}_{11}} \frac{\partial C}{\partial z^{(2)}_1}",
         r"\left(a^{(3)}_1 - y_1\right) \frac{1}{1 + e^{-z}} x_1^2",
         "(a^(3)_1 - y_1)*a^(3)_1*(1 - a^(3)_1)*a^(2)_1"]


def _outcome(net, text):
    try:
        value = read(net, text)
    except AnswerReadError as exc:
        assert 0 <= exc.position <= len(text)
        assert exc.caret()[1].strip() == "^"
        return None
    assert isinstance(value, sympy.Expr)
    return value


@settings(max_examples=300, deadline=1000)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_fuzz_token_soup(lecture_net, pieces):
    _outcome(lecture_net, "".join(pieces))


@settings(max_examples=200, deadline=1000)
@given(st.text(max_size=60))
def test_fuzz_any_text(lecture_net, text):
    _outcome(lecture_net, text)


@settings(max_examples=300, deadline=1000)
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3),
                                                   st.sampled_from(PIECES)), max_size=4))
def test_fuzz_mutated_answers(lecture_net, text, edits):
    for at, cut, piece in edits:
        at = at % (len(text) + 1)
        text = text[:at] + piece + text[at + cut:]
    _outcome(lecture_net, text)


def test_tokens_keep_their_positions():
    tokens = tokenize(r"a^{(1)}_1 \cdot σ′")
    assert [(t.kind, t.text, t.position) for t in tokens] == [
        ("WORD", "a", 0), ("^", "^", 1), ("{", "{", 2), ("(", "(", 3), ("NUM", "1", 4),
        (")", ")", 5), ("}", "}", 6), ("_", "_", 7), ("NUM", "1", 8), ("CMD", r"\cdot", 10),
        ("CMD", r"\sigma", 16), ("'", "'", 17), ("END", "", 18)]


def test_a_comma_written_index_never_meets_another_weight():
    """w_{1,51} does not exist in a 50-50-1 net; it must not be read as w_{15,1}."""
    from symbackprop.answers import check_answer
    from symbackprop.errors import AnswerError
    net = sb.Network([50, 50, 1])
    with pytest.raises(AnswerError, match=r"^wrt: unknown name 'w\^\{\(1\)\}_\{1,51\}'; did you mean "):
        check_answer(net, "w^{(1)}_{1,51}", r"x_1 \delta^{(1)}_1")
    assert check_answer(net, "w^{(1)}_{1,1}", r"x_1 \delta^{(1)}_1").wrt == "w^{(1)}_{11}"
