"""Answers as graders write them (issue 18, section 3), on a 3-3-2 tanh / softmax net
with cross-entropy: LaTeX scientific notation, ≈ and siunitx numbers, Unicode Σ, plain
text with ``delta`` spelled out, index arithmetic in sums, and the names these answers
and their reports use."""

import json
from functools import lru_cache

import pytest

from symbackprop.answers import AnswerReadError, check_answer
from symbackprop.answers.compare import half_unit
from symbackprop.answers.gradebook import asked
from symbackprop.reading.lexer import _UNICODE, COMMANDS, prepare, tokenize
from symbackprop.reading.names import GREEK, indexed
from symbackprop.notation.greek import LETTERS, readings
from symbackprop.notation.naming import SYMBOLS, check_name
from symbackprop.notation.printing import _WORDS, latex as print_latex, text as print_text
from symbackprop.builders.spec import from_dict

from conftest import EXAMPLES

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
    (r"x_1 \num", r"answer, column 5: \num takes a number in braces, as in \num{0.2928}"),
    (r"\num{-", r"answer, column 1: \num takes a number in braces, as in \num{0.2928}"),
    (r"\approx \approx 1", r"answer, column 9: \approx stands before a number, or between a formula and its value"),
    ("(x_1 ≈ 1)", r"answer, column 6: expected ')' to close the '(' at column 1, found '\approx'"),
])
def test_number_forms_refused_say_why(answer, message):
    with pytest.raises(AnswerReadError) as info:
        check_answer(net(), "w^{(1)}_{11}", answer)
    assert str(info.value) == message


# --- Greek letters: one table, every letter round trip -------------------------------------------

@pytest.mark.parametrize("command, letter", list(LETTERS.items()))
def test_every_greek_letter_a_spec_accepts_reads_and_prints(command, letter):
    name = command + "_1"
    assert check_name(name, "inputs[1]") == name
    graph = from_dict({"inputs": [name, "y"], "define": [f"f = 3 {command}_1 y"], "output": "f",
                       "point": {name: 2, "y": 5}})
    sym = next(s for s in graph.nodes if s.name == name)
    assert (print_latex(sym), print_text(sym)) == (name, letter + "₁")
    f = next(node for node in graph.nodes.values() if node.expr is not None)
    assert f.expr.free_symbols == {sym, next(s for s in graph.nodes if s.name == "y")}
    assert (print_latex(3 * sym), print_text(3 * sym)) == (f"3 {name}", f"3·{letter}₁")
    for answer in (f"3 {command}_1", f"3{letter}₁", f"3 {command}_{{1}}"):
        v = check_answer(graph, "y", answer)
        assert (v.verdict, v.answer, v.answer_text) == ("equivalent", f"3 {name}", f"3·{letter}₁"), answer
    assert check_answer(graph, name, "3y").verdict == "equivalent"


def test_the_greek_tables_are_one():
    assert SYMBOLS - {"ell", "prime"} == {c[1:] for c in LETTERS}
    assert GREEK == set(LETTERS)
    assert {letter: _UNICODE[letter] for letter in LETTERS.values()} == COMMANDS
    assert len(COMMANDS) == len(LETTERS)     # every letter prints as itself
    assert all(_WORDS[command] == letter for command, letter in LETTERS.items())


def test_the_other_form_of_a_letter_and_a_spelled_out_letter_read_as_the_spec_name():
    graph = from_dict({"inputs": [r"\epsilon", r"\varphi", "y"],
                       "define": [r"f = \varepsilon \phi y"], "output": "f",
                       "point": {r"\epsilon": 2, r"\varphi": 3, "y": 5}})
    assert check_answer(graph, "y", "ε φ").verdict == "equivalent"
    assert check_answer(graph, "y", "epsilon varphi").verdict == "equivalent"
    assert readings("delta") == ["delta", r"\delta"]
    assert readings(r"\epsilon") == [r"\epsilon", r"\varepsilon"]
    assert readings("varepsilon") == ["varepsilon", r"\varepsilon", r"\epsilon"]
    assert readings("x") == ["x"]


@pytest.mark.parametrize("text, kinds", [
    ("Σⱼ w_j", [("CMD", r"\sum"), ("_", "_")]), ("Σ_{j=1}^{3} w_j", [("CMD", r"\sum"), ("_", "_")]),
    ("Σ₁", [("CMD", r"\Sigma"), ("_", "_")]), ("Σ x", [("CMD", r"\Sigma"), ("WORD", "x")]),
])
def test_unicode_sigma_is_a_sum_under_a_letter_else_the_letter(text, kinds):
    prepared, _ = prepare(text)
    assert [(t.kind, t.text) for t in tokenize(prepared)[:2]] == kinds


# --- sums and names as graders write them --------------------------------------------------------

X2 = r"w^{(1)}_{12} \delta^{(1)}_{1} + w^{(1)}_{22} \delta^{(1)}_{2} + w^{(1)}_{32} \delta^{(1)}_{3}"


@pytest.mark.parametrize("wrt, answer, shown", [
    ("x_2", r"Σ_j w^{(1)}_{j2} \delta^{(1)}_j", X2),
    ("x_2", "Σⱼ w⁽¹⁾_{j2} δ⁽¹⁾ⱼ", X2),
    ("w^{(2)}_{11}", "a_1^(1) * delta_1^(2)", r"a^{(1)}_{1} \delta^{(2)}_{1}"),
    ("w^{(2)}_{11}", "a1^(1)*delta1^(2)", r"a^{(1)}_{1} \delta^{(2)}_{1}"),
])
def test_sums_and_names_as_graders_write_them(wrt, answer, shown):
    v = check_answer(net(), wrt, answer)
    assert (v.verdict, v.answer) == ("equivalent", shown)


def test_a_sum_with_its_weight_indices_swapped_is_transposed_index():
    v = check_answer(net(), "x_2", r"\sum_j w^{(1)}_{2j} \delta^{(1)}_j")
    assert (v.verdict, v.diagnosis) == ("not_equivalent", "transposed_index")
    assert v.explanation == ("transposed weight index in the sum of ∂C/∂x₂: w_kj where w_jk "
                             "belongs (the reversed network runs over Wᵀ)")


# --- names of questions in Gradescope's results.json ----------------------------------------------

def test_gradescope_names_a_delta_question_by_the_delta(run_cli, tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    answers = tmp_path / "answers.csv"
    answers.write_text("id,wrt,answer\n"
                       "1,\\delta^{(2)},a^{(2)} - y\n"
                       "2,\\delta^{(1)}_2,\\sigma'(z^{(1)}_2) \\sum_j w^{(2)}_{j2} \\delta^{(2)}_j\n"
                       "3,W^{(2)},\\delta^{(2)} (a^{(1)})^T\n"
                       "4,\\delta^{(1)},(\n", encoding="utf-8")
    results = tmp_path / "results.json"
    code, _, err = run_cli("grade", spec, answers, "-o", tmp_path / "r.csv", "--gradescope", results)
    assert (code, err) == (0, "")
    tests = json.loads(results.read_text(encoding="utf-8"))["tests"]
    assert [(t["name"], t["status"]) for t in tests] == [
        ("1: δ⁽²⁾", "passed"), ("2: ∂C/∂z⁽¹⁾₂", "passed"), ("3: ∂C/∂W⁽²⁾", "passed"),
        ("4: δ⁽¹⁾", "failed")]


def test_asked_names_what_a_question_asks_for():
    assert [asked(w) for w in (r"\delta^{(1)}", r"\delta^{[2]}", "z^{(1)}_{2}", r"\delta_{1}", "W^{(2)}")] == [
        "δ⁽¹⁾", "δ^[2]", "∂C/∂z⁽¹⁾₂", "∂C/∂δ₁", "∂C/∂W⁽²⁾"]


@pytest.mark.parametrize("wrt, reason", [
    ("b^{(3)}_{1", "cannot read 'b^{(3)}_{1': unbalanced '{': it is never closed"),
    ("b^{(3)}_1}", "cannot read 'b^{(3)}_1}': unbalanced '}': nothing opens it"),
])
def test_a_wrt_with_unbalanced_braces_is_one_error_line(run_cli, wrt, reason):
    code, out, err = run_cli("check", EXAMPLES / "lecture.toml", "--wrt", wrt, "--answer", r"\delta^{(3)}_1")
    assert (code, out) == (2, "")
    assert err == f"error: wrt: {reason}; did you mean b^{{(3)}}_{{1}}, z^{{(3)}}_{{1}} or b^{{(3)}}_{{2}}?\n"


# --- index arithmetic in sums --------------------------------------------------------------------

@lru_cache(maxsize=None)
def rnn4():
    """examples/rnn.toml unrolled over 4 steps."""
    import tomllib
    data = tomllib.loads((EXAMPLES / "rnn.toml").read_text(encoding="utf-8"))
    data["recurrent"]["steps"] = 4
    data["point"] = {"x": [[1.0], [0.5], [-1.0], [0.25]], "y": [[0.5], [0.2], [0.1], [0.3]]}
    return from_dict(data)


RNN_W11 = (r"h^{(1)}_{1} \frac{\partial C}{\partial z^{(2)}_{1}} + h^{(2)}_{1} \frac{\partial C}"
           r"{\partial z^{(3)}_{1}} + h^{(3)}_{1} \frac{\partial C}{\partial z^{(4)}_{1}}")


@pytest.mark.parametrize("answer", [
    r"\sum_{t=2}^{4} h^{(t-1)}_1 \frac{\partial C}{\partial z^{(t)}_1}",
    r"\sum_{t=1}^{3} h^{(t)}_1 \frac{\partial C}{\partial z^{(t+1)}_1}",
    r"\sum_{t=2}^{4} h^{(t − 1)}_{1} \frac{\partial C}{\partial z^{(t)}_{1}}",
    "Σ_{t=2}^{4} h^(t-1)_1 * dC/dz^(t)_1",
])
def test_index_arithmetic_in_a_sum_over_time(answer):
    v = check_answer(rnn4(), "W_{11}", answer)
    assert (v.verdict, v.answer) == ("equivalent", RNN_W11)


@pytest.mark.parametrize("answer, verdict", [
    (r"\sum_{k=0}^{2} w^{(1)}_{k+1,2} \delta^{(1)}_{k+1}", "equivalent"),
    (r"\sum_{k=2}^{4} w^{(1)}_{k-1,2} \delta^{(1)}_{k-1}", "equivalent"),
    (r"\sum_{j=1}^{3} w^{(1)}_{j, 2} \delta^{(1)}_{j}", "equivalent"),
    (r"\sum_{k} w^{(1)}_{k+1,2} \delta^{(1)}_{k+1}", "not_equivalent"),     # k from 1: two terms
])
def test_index_arithmetic_in_subscripts(answer, verdict):
    v = check_answer(net(), "x_2", answer)
    assert v.verdict == verdict
    if verdict == "equivalent":
        assert v.answer == X2
    else:
        assert v.answer == r"w^{(1)}_{22} \delta^{(1)}_{2} + w^{(1)}_{32} \delta^{(1)}_{3}"


@pytest.mark.parametrize("raw, bindings, out", [
    ("(t-1)", {"t": 3}, ("(2)", ("t",))), ("k+1,2", {"k": 1}, ("2,2", ("k",))),
    ("kj", {"k": 1, "j": 2}, ("12", ("k", "j"))), ("n-k", {"k": 1}, ("n-1", ("k",))),
    (r"\alpha k", {"a": 1, "k": 2}, (r"\alpha 2", ("k",))), ("h1", {}, ("h1", ())),
    ("k−2+j", {"k": 5, "j": 1}, ("4", ("k", "j"))),
])
def test_indexed_computes_in_integers_without_eval(raw, bindings, out):
    assert indexed(raw, bindings) == out


# --- a formula's decimals are shown as typed -----------------------------------------------------

@pytest.mark.parametrize("answer, shown, shown_text", [
    (r"0.5 x_1 \delta^{(1)}_1", r"0.5 x_{1} \delta^{(1)}_{1}", "0.5·x₁·δ⁽¹⁾₁"),
    (r"x_1 \delta^{(1)}_1 - 0.25", r"x_{1} \delta^{(1)}_{1} - 0.25", "x₁·δ⁽¹⁾₁ - 0.25"),
    (r"2.5e-1 (x_1 - x_2) \delta^{(1)}_1", r"2.5e-1 \left(x_{1} - x_{2}\right) \delta^{(1)}_{1}",
     "2.5e-1·(x₁ - x₂)·δ⁽¹⁾₁"),
    (r"\frac{1}{2} x_1 \delta^{(1)}_1", r"\frac{x_{1} \delta^{(1)}_{1}}{2}", "1/2·x₁·δ⁽¹⁾₁"),
])
def test_a_decimal_in_a_formula_is_shown_as_typed(answer, shown, shown_text):
    v = check_answer(net(), "w^{(1)}_{11}", answer)
    assert (v.verdict, v.answer, v.answer_text) == ("not_equivalent", shown, shown_text)


def test_decimals_that_cancel_leave_no_trace():
    v = check_answer(net(), "w^{(1)}_{11}", r"0.5 \cdot 2 x_1 \delta^{(1)}_1")
    assert (v.verdict, v.answer) == ("equivalent", r"x_{1} \delta^{(1)}_{1}")
