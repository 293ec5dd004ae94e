"""Regressions for small defects of the answer checker: scientific notation in answers,
duplicate header columns in the answers CSV, spreadsheet formula injection in the CSV
report, the student's ``wrt`` reported as written, the answer file's name in read
errors, and messages that quote at most ~60 characters of the user's text."""

import csv
import io
import json

import pytest
import sympy

import symbackprop as sb
from symbackprop.answers import AnswerReadError, check_answer, read_answer
from symbackprop.answers.grade import Graded, Row, parse_rows
from symbackprop.reading.lexer import MAX_QUOTED, clip, quote, tokenize
from symbackprop.answers.report import defuse, to_csv
from symbackprop.errors import AnswerError

from conftest import EXAMPLES

LECTURE = EXAMPLES / "lecture.toml"
WRT = "w^{(3)}_{11}"


@pytest.fixture(scope="module")
def net():
    return sb.load(LECTURE)


def _answer(net, text):
    return read_answer(net, WRT, text)[2]


# --- 1. scientific notation -----------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("2e-3", sympy.Rational(1, 500)),
    ("2E-3", sympy.Rational(1, 500)),
    ("1.5e2", sympy.Integer(150)),
    ("2e+3", sympy.Integer(2000)),
    ("2.5e-1", sympy.Rational(1, 4)),
    (".5e1", sympy.Integer(5)),
    ("0e0", sympy.Integer(0)),
])
def test_scientific_notation_is_an_exact_number(net, text, value):
    got = _answer(net, text)
    assert got == value and got.is_Rational
    assert [(t.kind, t.text) for t in tokenize(text)] == [("NUM", text), ("END", "")]


def test_scientific_notation_inside_an_answer(net):
    a, x = sympy.Symbol("a^{(2)}_{1}"), sympy.Symbol("x_{1}")
    assert _answer(net, "2e3 x_1") == 2000 * x
    assert _answer(net, "1e-2 a^{(2)}_1") == a / 100


@pytest.mark.parametrize("text, value", [
    ("2e", 2 * sympy.E),
    ("2 e^{-3}", 2 * sympy.exp(-3)),
    ("2e^{-3}", 2 * sympy.exp(-3)),
    ("2 e-3", 2 * sympy.E - 3),
    ("2e-x_1", 2 * sympy.E - sympy.Symbol("x_{1}")),
    ("e", sympy.E),
])
def test_e_without_digits_after_it_is_still_eulers_e(net, text, value):
    assert _answer(net, text) == value


def test_scientific_notation_with_a_huge_power_of_ten_is_a_positioned_error(net):
    with pytest.raises(AnswerReadError) as info:
        _answer(net, "x_1 + 1e301")
    assert str(info.value) == ("answer, column 8: the power of ten in '1e301' is too large "
                               "(at most 300)")
    with pytest.raises(AnswerReadError) as info:
        _answer(net, "1e" + "9" * 5000)
    assert str(info.value).startswith("answer, column 2: the power of ten in '1e999")
    assert len(str(info.value)) < 150
    with pytest.raises(AnswerReadError) as info:
        _answer(net, "1e-999 x_1")
    assert str(info.value) == "answer, column 2: the power of ten in '1e-999' is too small (at least -300)"
    assert _answer(net, "1e-0001 x_1") == _answer(net, "0.1 x_1")      # leading zeros of a power
    with pytest.raises(AnswerReadError) as info:
        _answer(net, "2E+301")
    assert str(info.value) == "answer, column 2: the power of ten in '2E+301' is too large (at most 300)"


def test_scientific_notation_as_a_bare_frac_argument_needs_braces(net):
    with pytest.raises(AnswerReadError) as info:
        _answer(net, r"\frac1e3{2}")
    assert str(info.value) == (r"answer, column 6: write a number in scientific notation in "
                               r"braces, as in \frac{1e3}{…}")
    assert _answer(net, r"\frac{2e-3}{2}") == sympy.Rational(1, 1000)


def test_check_reads_2e_minus_3_as_a_number(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", WRT, "--answer", "2e-3", "--json")
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["answer"] == "2e-3"      # a number is shown as written
    assert data["counterexample"]["answer"] == 0.002
    code, out, err = run_cli("check", LECTURE, "--wrt", WRT, "--answer", "1.5e2", "--json")
    assert (code, err) == (1, "")
    assert json.loads(out)["answer"] == "1.5e2"


# --- 2. duplicate header columns --------------------------------------------------------------

@pytest.mark.parametrize("header, column, times", [
    ("id,wrt,answer,answer", "answer", 2),
    ("ID,wrt, id ,answer", "id", 2),
    ("wrt,id,WRT,answer,wrt", "wrt", 3),
])
def test_grade_refuses_a_duplicate_column(run_cli, tmp_path, header, column, times):
    answers = tmp_path / "answers.csv"
    answers.write_text(header + "\n" + ",".join(["x_1"] * (header.count(",") + 1)) + "\n",
                       encoding="utf-8")
    code, out, err = run_cli("grade", LECTURE, answers)
    assert (code, out) == (2, "")
    assert err == (f"error: {answers}: line 1: the column {column} appears {times} times in "
                   "the header; keep one\n")


def test_other_duplicate_columns_are_ignored():
    rows = parse_rows("id,wrt,answer,note,note\n1,x_1,x_2,a,b\n", "a.csv")
    assert [(r.id, r.wrt, r.answer, r.problem) for r in rows] == [("1", "x_1", "x_2", None)]


# --- 3. formula injection in the CSV report ---------------------------------------------------

@pytest.mark.parametrize("cell, shown", [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+1", "'+1"), ("-a", "'-a"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a-b", "a-b"), (" =1", " =1"), ("", ""), ("'=1", "'=1"),
])
def test_defuse(cell, shown):
    assert defuse(cell) == shown


def _grade(run_cli, tmp_path, rows, report_name):
    answers = tmp_path / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "wrt", "answer"]] + rows)
    report = tmp_path / report_name
    code, out, err = run_cli("grade", LECTURE, answers, "-o", report)
    assert (code, err) == (0, "")
    return report.read_text(encoding="utf-8")


HOSTILE = [
    ['=HYPERLINK("http://evil","x")', "x_1", r"w^{(1)}_{11}\delta^{(1)}_1 + w^{(1)}_{21}\delta^{(1)}_2"],
    ["@bob", "x_1", r"-w^{(1)}_{11}\delta^{(1)}_1"],
    ["+carol", "=1+1", "x_1"],
    ["dan", "x_1", "\t+x_1"],
]


def test_csv_report_defuses_formula_cells(run_cli, tmp_path):
    rows = list(csv.DictReader(io.StringIO(_grade(run_cli, tmp_path, HOSTILE, "r.csv"))))
    assert [(r["id"], r["wrt"], r["answer"]) for r in rows] == [
        ('\'=HYPERLINK("http://evil","x")', "x_1",
         r"w^{(1)}_{11}\delta^{(1)}_1 + w^{(1)}_{21}\delta^{(1)}_2"),
        ("'@bob", "x_1", r"'-w^{(1)}_{11}\delta^{(1)}_1"),
        ("'+carol", "'=1+1", "x_1"),
        ("dan", "x_1", "'\t+x_1"),
    ]
    assert [r["verdict"] for r in rows] == ["equivalent", "not_equivalent", "error", "not_equivalent"]


def test_json_and_html_reports_keep_the_text_as_is(run_cli, tmp_path):
    data = json.loads(_grade(run_cli, tmp_path, HOSTILE, "r.json"))
    assert [(r["id"], r["wrt"], r["answer"]) for r in data["rows"]] == [tuple(r) for r in HOSTILE]
    page = _grade(run_cli, tmp_path, HOSTILE, "r.html")
    assert "<td>=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)</td>" in page
    assert "<td>@bob</td>" in page and "<td>+carol</td>" in page and "'@bob" not in page


# --- 4. wrt as written ----------------------------------------------------------------------

def test_reports_give_wrt_as_written_and_the_resolved_name(run_cli, tmp_path):
    rows = [["1", "x_1", "x_1"], ["2", "w^(3)_11", r"a^{(2)}_1 \delta^{(3)}_1"],
            ["3", " x_2 ", "x_1"], ["4", "w_99", "x_1"]]
    table = list(csv.DictReader(io.StringIO(_grade(run_cli, tmp_path, rows, "r.csv"))))
    assert [(r["id"], r["wrt"], r["resolved"], r["verdict"]) for r in table] == [
        ("1", "x_1", "x_{1}", "not_equivalent"), ("2", "w^(3)_11", "w^{(3)}_{11}", "equivalent"),
        ("3", " x_2 ", "x_{2}", "not_equivalent"), ("4", "w_99", "", "error")]
    data = json.loads(_grade(run_cli, tmp_path, rows, "r.json"))
    assert [(r["wrt"], r["resolved"]) for r in data["rows"]] == [
        ("x_1", "x_{1}"), ("w^(3)_11", "w^{(3)}_{11}"), (" x_2 ", "x_{2}"), ("w_99", None)]
    page = _grade(run_cli, tmp_path, rows, "r.html")
    assert '<td>x_1<br><span class="small">x_{1}</span></td>' in page
    assert "<td>w_99</td>" in page


def test_csv_report_header():
    row = Row(2, "a", "x_1", "x_1", problem="line 2: bad")
    header = to_csv([Graded(row, error=row.problem)]).splitlines()[0]
    assert header.startswith("id,wrt,resolved,verdict,diagnosis,")


# --- 5. the answer file's name in read errors -----------------------------------------------

def test_read_error_names_its_source(net):
    answer = "a^{(1)}_1\n  \\delta^{(2)}_1 #"
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, "w^{(2)}_{11}", answer)
    assert str(info.value) == "answer, line 2, column 18: unexpected character '#'"
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, "w^{(2)}_{11}", answer, source="sol/answer.tex")
    error = info.value
    assert str(error) == "sol/answer.tex: line 2, column 18: unexpected character '#'"
    assert (error.source, error.reason, error.position) == ("sol/answer.tex", "unexpected character '#'", 27)
    assert error.caret() == [r"    \delta^{(2)}_1 #", "                   ^"]
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, "w^{(2)}_{11}", "x_1 +", source="one.tex")
    assert str(info.value) == "one.tex: column 6: the answer ends where an expression was expected"


def test_read_error_source_can_be_set_after_raising():
    error = AnswerReadError("unexpected character '%'", 3, "ab %")
    assert str(error) == "answer, column 4: unexpected character '%'"
    error.source = "f.tex"
    assert str(error) == "f.tex: column 4: unexpected character '%'"
    assert AnswerReadError("x", 0, "a", source="g.tex").source == "g.tex"


def test_errors_that_are_not_about_the_answer_keep_their_message(net):
    with pytest.raises(AnswerError) as info:
        check_answer(net, "w_9", "x_1", source="f.tex")
    assert str(info.value).startswith("wrt: unknown name 'w_9'; ")


# --- 6. quoting the user's text -------------------------------------------------------------

def test_quote_and_clip():
    assert quote(r"\frac{") == r"'\frac{'"
    assert quote("σ'(z)") == "\"σ'(z)\""
    assert quote("a\nb\x00") == r"'a b\x00'"
    assert quote("x" * 100) == "'" + "x" * (MAX_QUOTED - 1) + "…'"
    assert len(quote("x" * 100_000)) == MAX_QUOTED + 2
    assert clip(r"\foo" + "a" * 100) == r"\foo" + "a" * (MAX_QUOTED - 5) + "…"


def test_huge_wrt_is_not_echoed_whole(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", "x" * 100_000, "--answer", "x_1")
    assert (code, out) == (2, "")
    assert err.startswith("error: wrt: cannot read '" + "x" * (MAX_QUOTED - 1) + "…': the answer "
                          "is 100000 characters long; the limit is 10000; this network has 34 names, e.g. "
                          "x_{1}, x_{2}, y_{1}\n")
    assert len(err.splitlines()) == 1 and len(err) < 1000


def test_long_unknown_wrt_name_is_clipped(net):
    with pytest.raises(AnswerError) as info:
        check_answer(net, "q" * 5000, "x_1")
    assert str(info.value).startswith("wrt: unknown name '" + "q" * (MAX_QUOTED - 1) + "…'; ")
    with pytest.raises(AnswerError) as info:
        check_answer(net, "x_1 " * 1000, "x_1")
    assert str(info.value).startswith("wrt: '" + "x_1 " * 14 + "x_1…' is not one name; ")


def test_latex_is_quoted_without_doubled_backslashes(net):
    with pytest.raises(AnswerError) as info:
        check_answer(net, r"\frac{", "x_1")
    assert str(info.value).startswith(r"wrt: cannot read '\frac{': unbalanced '{': it is never "
                                      "closed; this network has 34 names, e.g. x_{1}, x_{2}, y_{1}")
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, WRT, r"\hat{q}_1 + x_1")
    assert str(info.value).startswith(r"answer, column 1: unknown name '\hat{q}_1'; ")


def test_long_unknown_name_in_an_answer_is_clipped(net):
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, WRT, "x_1 + " + "q" * 5000)
    message = str(info.value)
    assert message.startswith("answer, column 7: unknown name '" + "q" * (MAX_QUOTED - 1) + "…'; ")
    assert "q" * MAX_QUOTED not in message
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, WRT, "x_1 \\" + "a" * 5000)
    assert str(info.value) == "answer, column 5: unknown command \\" + "a" * (MAX_QUOTED - 2) + "…"


def test_defuse_leaves_negative_numbers_alone():
    from symbackprop.answers.report import defuse
    assert [defuse(c) for c in ("-0.5", "-a_1", "=1", "2")] == ["-0.5", "'-a_1", "'=1", "2"]
