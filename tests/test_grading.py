"""Grading a class: students, points and kept columns; scores with partial credit and a
configurable score for undecided answers; a feedback sentence per row; per-student
totals; Gradescope's results.json checked against its documented fields; outputs that
name an input or each other refused; the HTML report in Chromium at 1200 px."""

import csv
import html
import io
import json
import re
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest

from symbackprop.answers import feedback, gradebook
from symbackprop.answers.grade import Graded, Row, fraction, parse_rows
from symbackprop.notation.numerals import points

from conftest import EXAMPLES, ROOT

LECTURE = EXAMPLES / "lecture.toml"

CLASS = [
    ["id", "Student", "wrt", "answer", "points", "section", "comment"],
    ["q1", "alice", "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1", "2", "A", "first try"],
    ["q2", "alice", "w^{(3)}_{11}", r"a^{(2)}_1 \sigma'(z^{(3)}_1)(y_1 - a^{(3)}_1)", "1", "A", ""],
    ["q1", "bob", "w^{(3)}_{11}", r"a^{(2)}_1 (a^{(3)}_1 - y_1)", "2", "B", "=1+1"],
    ["q2", "bob", "w^{(2)}_{11}", r"a^{(1)}_1 \sigma'(z) w^{(3)}_{11} \frac{\partial C}{\partial z'}", "1", "B", ""],
    ["q3", "bob", "b^{(2)}_{1}", r"\delta^{(2)}_1 + {", "", "B", ""],
    ["q1", "carol", "x_1", r"\ln(x_1 - 5) + w^{(1)}_{11}", "1.5", "A", ""],
]


def _write(tmp_path, rows, name="class.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _files(directory):
    return sorted(p.name for p in Path(directory).iterdir())


@pytest.fixture
def graded_class(run_cli, tmp_path):
    answers = _write(tmp_path, CLASS)
    report, totals = tmp_path / "report.csv", tmp_path / "totals.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", report, "--totals", totals)
    assert (code, err) == (0, "")
    assert out == (f"graded 6 answers: 1 equivalent, 3 not equivalent, 1 undecided, 1 error; "
                   f"report written to {report}\ntotals of 3 students written to {totals}\n")
    return tmp_path, list(csv.DictReader(report.open(encoding="utf-8"))), totals


def test_class_report_cells(graded_class):
    _, rows, _ = graded_class
    got = [(r["id"], r["student"], r["verdict"], r["diagnosis"], r["score"], r["max"]) for r in rows]
    assert got == [("q1", "alice", "equivalent", "", "2", "2"),
                   ("q2", "alice", "not_equivalent", "sign_error", "0", "1"),
                   ("q1", "bob", "not_equivalent", "missing_sigma_prime", "0", "2"),
                   ("q2", "bob", "not_equivalent", "missing_term", "0", "1"),
                   ("q3", "bob", "error", "", "0", "1"),
                   ("q1", "carol", "undecided", "", "0.75", "1.5")]
    assert [r["feedback"] for r in rows] == [
        feedback.RIGHT, feedback.SENTENCES["sign_error"], feedback.SENTENCES["missing_sigma_prime"],
        feedback.SENTENCES["missing_term"],
        "Your answer could not be read (column 18: unbalanced '{': it is never closed); "
        "check how it is written.",
        feedback.UNDECIDED]
    # the answer as typed and as read, the kept columns (a formula cell defused)
    assert rows[1]["answer"] == CLASS[2][3]
    assert rows[1]["answer_latex"] == r"\sigma'\left(z^{(3)}_{1}\right) a^{(2)}_{1} \left(y_{1} - a^{(3)}_{1}\right)"
    assert [(r["section"], r["comment"]) for r in rows] == [
        ("A", "first try"), ("A", ""), ("B", "'=1+1"), ("B", ""), ("B", ""), ("A", "")]
    header = list(rows[0])
    assert header[:10] == ["id", "wrt", "resolved", "verdict", "diagnosis", "explanation", "score",
                           "max", "feedback", "student"]
    assert header[-2:] == ["section", "comment"]


def test_feedback_never_gives_the_expected_formula(graded_class):
    _, rows, _ = graded_class
    for r in rows:
        if r["expected"]:
            formula = r["expected"].split(" = ", 1)[1]
            assert formula not in r["feedback"]
            assert "a^{(2)}" not in r["feedback"] and "δ" not in r["feedback"]


def test_totals_one_row_per_student(graded_class):
    _, _, totals = graded_class
    assert totals.read_text(encoding="utf-8") == "student,score,max\nalice,2,3\nbob,0,4\ncarol,0.75,1.5\n"


def test_without_a_student_column_the_id_is_the_student(run_cli, tmp_path):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["ann", "x_1", "x_1"], ["ben", "b^{(3)}_{1}", r"\delta^{(3)}_1"],
                                ["ann", "b^{(3)}_{2}", r"\delta^{(3)}_2"]])
    totals = tmp_path / "t.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "--totals", totals)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["student"], r["score"], r["max"]) for r in rows] == [("", "0", "1"), ("", "1", "1"), ("", "1", "1")]
    assert totals.read_text(encoding="utf-8") == "student,score,max\nann,1,2\nben,1,1\n"


def test_a_question_answered_again_counts_once_the_last_answer(run_cli, tmp_path):
    """A resubmission: alice answers q1 wrong, then right; only the last row counts, in
    the report's score and max, in the totals and in the summary line's points."""
    answers = _write(tmp_path, [["id", "student", "wrt", "answer", "points"],
                                ["q1", "alice", "w^{(3)}_{11}", r"a^{(2)}_1 (a^{(3)}_1 - y_1)", "2"],
                                ["q2", "alice", "b^{(3)}_{1}", r"\delta^{(3)}_1", "1"],
                                ["q1", "alice", "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1", "2"],
                                ["q1", "bob", "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1", "2"]])
    totals, report = tmp_path / "t.csv", tmp_path / "r.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", report, "--totals", totals)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["id"], r["student"], r["verdict"], r["score"], r["max"]) for r in rows] == [
        ("q1", "alice", "not_equivalent", "0", "0"), ("q2", "alice", "equivalent", "1", "1"),
        ("q1", "alice", "equivalent", "2", "2"), ("q1", "bob", "equivalent", "2", "2")]
    assert rows[0]["feedback"].startswith("Not counted: line 4 answers this question again, and the last "
                                          "answer counts. ")
    assert not rows[2]["feedback"].startswith("Not counted")
    assert [r["replaced_by"] for r in rows] == ["4", "", "", ""]
    assert totals.read_text(encoding="utf-8") == "student,score,max\nalice,3,3\nbob,2,2\n"
    assert out.splitlines()[1] == ("1 answer is not counted: a later row answers the same question (the same "
                                   "student and id), and the last answer counts.")
    code, csv_out, err = run_cli("grade", LECTURE, answers)      # the report on stdout: the note on stderr
    assert (code, err) == (0, "1 answer is not counted: a later row answers the same question (the same "
                              "student and id), and the last answer counts.\n")
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [r["replaced_by"] for r in data["rows"]] == [4, None, None, None]
    assert (data["scores"]["right"], data["scores"]["answers"], data["scores"]["replaced"]) == (3, 3, 1)


def test_without_students_the_same_id_and_wrt_is_one_question(run_cli, tmp_path):
    """With the id as the student, a question is its wrt: ann's two answers to b^{(3)}_1
    (written two ways, resolved to one name) count once; her x_1 answer counts."""
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["ann", "b^{(3)}_{1}", r"\delta^{(3)}_1"],
                                ["ann", "x_1", "x_1"], ["ann", "b^{(3)}_1", r"\delta^{(3)}_2"]])
    totals = tmp_path / "t.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "--totals", totals)
    assert (code, err) == (0, "1 answer is not counted: a later row answers the same question (the same "
                              "id and wrt), and the last answer counts.\n")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["verdict"], r["score"], r["max"]) for r in rows] == [
        ("equivalent", "0", "0"), ("not_equivalent", "0", "1"), ("not_equivalent", "0", "1")]
    assert totals.read_text(encoding="utf-8") == "student,score,max\nann,0,2\n"


def test_an_unreadable_answer_is_replaced_by_its_wrt_as_resolved(run_cli, tmp_path):
    """ann writes b^{(3)}_1 twice, the first answer unreadable: it is the same question as
    b^{(3)}_{1}, so it is replaced whichever way the wrt is written."""
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["ann", "b^{(3)}_1", r"\delta^{(3"],
                                ["ann", "b^{(3)}_{1}", r"\delta^{(3)}_1"], ["ben", "b^{(3)}_{1}", r"\delta^{(3)}_1"],
                                ["ben", "b^{(3)}_1", r"\delta^{(3"]])
    totals = tmp_path / "t.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "--totals", totals)
    assert code == 0 and err.startswith("2 answers are not counted: ")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["verdict"], r["score"], r["max"], r["replaced_by"]) for r in rows] == [
        ("error", "0", "0", "3"), ("equivalent", "1", "1", ""), ("equivalent", "0", "0", "5"), ("error", "0", "1", "")]
    assert totals.read_text(encoding="utf-8") == "student,score,max\nann,1,1\nben,0,1\n"


def test_gradescope_marks_a_replaced_answer_worth_nothing(run_cli, tmp_path):
    answers = _write(tmp_path, [["id", "student", "wrt", "answer"],
                                ["q1", "alice", "w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1"],
                                ["q1", "alice", "w^{(3)}_{11}", r"a^{(2)}_1 (a^{(3)}_1 - y_1)"]])
    results = tmp_path / "results.json"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "r.csv", "--gradescope", results)
    assert (code, err) == (0, "")
    data = json.loads(results.read_text(encoding="utf-8"))
    _valid_gradescope(data)
    assert data["score"] == 0
    assert data["output"] == ("0 of 1 answers right; 0 of 1 points. 1 answer is not counted: a later row "
                              "answers the same question (the same student and id), and the last answer counts.")
    assert [(t["name"], t["number"], t["score"], t["max_score"], t["status"]) for t in data["tests"]] == [
        ("q1: ∂C/∂w⁽³⁾₁₁", "1", 0, 1, "failed")]


def test_totals_refuse_a_blank_student_cell(run_cli, tmp_path):
    """In a file with a student column a blank cell would file the score under the row's
    id (a Moodle ID number, say): refused before anything is written."""
    answers = _write(tmp_path, [["id", "student", "wrt", "answer"], ["1", "ann", "x_1", "x_1"],
                                ["2", "", "x_1", "x_1"]])
    totals, report = tmp_path / "t.csv", tmp_path / "r.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", report, "--totals", totals)
    assert (code, out) == (2, "")
    assert err == ("error: --totals: line 3 has no student, so its score would be filed under its id; "
                   "fill in the student\n")
    assert not totals.exists() and not report.exists()


def test_common_mistakes_count_only_counted_answers():
    from symbackprop.answers.grade import common_mistakes, last_answers_count
    rows = [Row(2, "q1", "x_1", "a", student="ann"), Row(3, "q1", "x_1", "b", student="ann"),
            Row(4, "q1", "x_1", "c", student="bob")]
    wrong = SimpleNamespace(diagnosis="sign_error", verdict="not_equivalent", wrt="x_{1}")
    results = last_answers_count([Graded(r, verdict=wrong) for r in rows])
    assert [r.replaced_by for r in results] == [3, None, None]
    assert common_mistakes(results) == [("sign_error", 2)]


@pytest.mark.parametrize("value, score", [("0", "0"), ("1", "1.5"), ("0.25", "0.375"), ("1/3", "0.5")])
def test_undecided_score_is_configurable(run_cli, tmp_path, value, score):
    answers = _write(tmp_path, [CLASS[0], CLASS[6]])
    code, out, err = run_cli("grade", LECTURE, answers, "--undecided-score", value)
    assert (code, err) == (0, "")
    assert [r["score"] for r in csv.DictReader(io.StringIO(out))] == [score]


@pytest.mark.parametrize("value", ["1.5", "-0.1", "half", "nan", "١"])
def test_undecided_score_out_of_range_is_refused(run_cli, tmp_path, value):
    answers = _write(tmp_path, CLASS)
    code, out, err = run_cli("grade", LECTURE, answers, "--undecided-score", value)
    assert (code, out) == (2, "")
    assert err.startswith("error: argument --undecided-score: expected a number from 0 to 1, got ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("cell", ["two", "-1", "1e7", "inf", "1/0", "1_000"])
def test_bad_points_stop_the_batch(run_cli, tmp_path, cell):
    answers = _write(tmp_path, [["id", "wrt", "answer", "points"], ["a", "x_1", "x_1", "1"],
                                ["b", "x_1", "x_1", cell]])
    report = tmp_path / "r.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", report)
    assert (code, out) == (2, "")
    assert err == (f"error: {answers}: line 3: points: expected a number from 0 to 1000000, "
                   f"got '{cell}'\n")
    assert not report.exists()


def test_duplicate_student_column_is_refused(run_cli, tmp_path):
    answers = _write(tmp_path, [["id", "student", "wrt", "answer", "Student"], ["a", "x", "x_1", "x_1", "y"]])
    code, out, err = run_cli("grade", LECTURE, answers)
    assert code == 2 and err == (f"error: {answers}: line 1: the column student appears 2 times in "
                                 "the header; keep one\n")


def test_kept_columns_that_collide_with_report_columns():
    rows = parse_rows("id,wrt,answer,score,Score,feedback\n1,x_1,x_1,9,8,ok\n")
    from symbackprop.answers.report import _kept
    assert _kept(rows[0].extra) == [("score (answers file)", "9"), ("Score (answers file)", "8"),
                                    ("feedback (answers file)", "ok")]


# --- partial credit, feedback sentences, numbers --------------------------------------------

def _graded(verdict="not_equivalent", diagnosis=None, entries=None, wrong=(), points=1):
    v = SimpleNamespace(verdict=verdict, diagnosis=diagnosis, entries=entries, wrong_entries=list(wrong))
    g = Graded(Row(2, "q", "W^{(2)}", "x", points=Fraction(points)), verdict=v)
    g.fraction = fraction(g)
    g.feedback = feedback.feedback_for(g)
    return g


def test_partial_credit_is_the_fraction_of_entries_right():
    g = _graded(entries=(3, 4), wrong=["w^{(2)}_{12}"], points=2)
    assert (g.fraction, g.score, points(g.score)) == (Fraction(3, 4), Fraction(3, 2), "1.5")
    assert g.feedback == "3 of 4 entries are right; look again at w^{(2)}_{12}."
    g = _graded(entries=(1, 6), wrong=["a", "b", "c", "d", "e"], diagnosis="missing_transpose")
    assert points(g.score) == "0.1667" and g.feedback == feedback.SENTENCES["missing_transpose"]
    assert _graded(entries=(2, 2), verdict="equivalent").fraction == 1
    assert _graded(entries=None).fraction == 0


def test_every_diagnosis_code_has_a_sentence():
    source = (ROOT / "symbackprop" / "answers" / "diagnose.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'(?:add|Mistake|Diagnosis)\(\s*"([a-z_]+)"', source))
    codes |= set(re.findall(r'\(-?[\d.]+, "([a-z_]+)", "', source))
    codes |= set(re.findall(r'"([a-z]+(?:_[a-z]+)+)",\s*f?"', source))
    codes |= {"wrong_lhs", "missing_transpose", "outer_product_order", "wrong_parameter", "wrong_node"}
    assert len(codes) >= 19
    assert codes <= set(feedback.SENTENCES), codes - set(feedback.SENTENCES)
    assert len(set(feedback.SENTENCES.values())) == len(feedback.SENTENCES)
    for text in feedback.SENTENCES.values():
        assert text.endswith(".") and text.count(". ") == 0


def test_combined_and_unknown_diagnoses():
    assert feedback.sentence("missing_term+sign_error") == (
        "A term of a sum is missing: a neuron's output feeds every neuron of the next layer, and "
        "each of them contributes one term, and a sign is flipped as well.")
    assert feedback.sentence("wrong_parameter+factor_two").endswith(
        "which weight or bias the question asks about, and a factor of 2 is off as well.")
    assert feedback.sentence("something_new") == feedback.GENERIC
    assert _graded().feedback == feedback.GENERIC


@pytest.mark.parametrize("value, shown", [(Fraction(2, 3), "0.6667"), (Fraction(1), "1"), (Fraction(3, 2), "1.5"),
                                          (Fraction(1, 100000), "0"), (Fraction(99999, 100000), "1"),
                                          (Fraction(25, 2), "12.5"), (Fraction(0), "0")])
def test_numbers(value, shown):
    assert points(value) == shown


# --- Gradescope ------------------------------------------------------------------------------

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "simple_format", "html", "md", "ansi"}


def _valid_gradescope(data):
    """The autograder specification's results.json: documented fields and their types."""
    assert isinstance(data, dict) and set(data) <= set(gradescope_top())
    assert "score" in data or all("score" in t for t in data.get("tests", []))
    for key in ("score", "execution_time"):
        if key in data:
            assert isinstance(data[key], (int, float)) and not isinstance(data[key], bool)
    for key in ("output",):
        if key in data:
            assert isinstance(data[key], str)
    for key in ("visibility", "stdout_visibility"):
        if key in data:
            assert data[key] in VISIBILITY
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data:
            assert data[key] in FORMATS
    for t in data.get("tests", []):
        assert set(t) <= set(gradescope_test())
        for key in ("score", "max_score"):
            if key in t:
                assert isinstance(t[key], (int, float)) and not isinstance(t[key], bool)
        for key in ("name", "number", "output"):
            if key in t:
                assert isinstance(t[key], str)
        if "status" in t:
            assert t["status"] in {"passed", "failed"}
        if "visibility" in t:
            assert t["visibility"] in VISIBILITY
        if "tags" in t:
            assert all(isinstance(tag, str) for tag in t["tags"])


def gradescope_top():
    return ("score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard")


def gradescope_test():
    return ("score", "max_score", "status", "name", "name_format", "number", "output",
            "output_format", "tags", "visibility", "extra_data")


def test_gradescope_results_json(run_cli, tmp_path):
    answers = _write(tmp_path, [CLASS[0]] + [r for r in CLASS[1:] if r[1] in ("alice",)]
                     + [["q3", "alice", "b^{(2)}_{1}", r"\delta^{(2)}_1 + {", "", "A", ""]])
    results = tmp_path / "results.json"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "r.json", "--gradescope", results)
    assert (code, err) == (0, "")
    assert out.endswith(f"Gradescope results written to {results}\n")
    data = json.loads(results.read_text(encoding="utf-8"))
    _valid_gradescope(data)
    assert (gradebook.GRADESCOPE_FIELDS, gradebook.GRADESCOPE_TEST_FIELDS) == (gradescope_top(), gradescope_test())
    assert data["score"] == 2 and data["output"] == "1 of 3 answers right; 2 of 4 points."
    assert [(t["name"], t["number"], t["score"], t["max_score"], t["status"]) for t in data["tests"]] == [
        ("q1: ∂C/∂w⁽³⁾₁₁", "1", 2, 2, "passed"), ("q2: ∂C/∂w⁽³⁾₁₁", "2", 0, 1, "failed"),
        ("q3: ∂C/∂b⁽²⁾₁", "3", 0, 1, "failed")]
    assert data["tests"][1]["output"] == (feedback.SENTENCES["sign_error"] + "\nYour answer, as read: "
                                          "σ′(z⁽³⁾₁)·a⁽²⁾₁·(y₁ - a⁽³⁾₁)")
    assert all(t["visibility"] == "visible" for t in data["tests"])


def test_gradescope_refuses_several_students(run_cli, tmp_path):
    answers = _write(tmp_path, CLASS)
    before = _files(tmp_path)
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "r.csv", "--gradescope",
                             tmp_path / "results.json", "--totals", tmp_path / "t.csv")
    assert (code, out) == (2, "")
    assert err == ("error: --gradescope: writes one submission's results.json, but the answers file "
                   "has answers of 3 students (alice, bob, carol); grade each submission on its own\n")
    assert _files(tmp_path) == before


# --- outputs that would replace an input or each other -------------------------------------

@pytest.mark.parametrize("option", ["-o", "--totals", "--gradescope"])
def test_an_output_naming_an_input_is_refused(run_cli, tmp_path, option):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["1", "x_1", "x_1"]], name="a.csv")
    spec = tmp_path / "s.toml"
    spec.write_bytes(LECTURE.read_bytes())
    before = {p: p.read_bytes() for p in (answers, spec)}
    for path, what in ((answers, "answers file"), (spec, "spec")):
        code, out, err = run_cli("grade", spec, answers, option, path)
        assert (code, out, err) == (2, "", f"error: {option} {path}: is the {what} this command reads; "
                                           "write the output to another file\n")
    assert {p: p.read_bytes() for p in (answers, spec)} == before
    assert _files(tmp_path) == ["a.csv", "s.toml"]


@pytest.mark.parametrize("first, second, shown", [
    ("-o", "--totals", "-o"), ("-o", "--gradescope", "-o"), ("--totals", "--gradescope", "--totals")])
def test_outputs_naming_each_other_are_refused(run_cli, tmp_path, first, second, shown):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["1", "x_1", "x_1"]], name="a.csv")
    out_file = tmp_path / "same.csv"
    code, out, err = run_cli("grade", LECTURE, answers, first, out_file, second, out_file)
    assert (code, out) == (2, "")
    assert err == (f"error: {second} {out_file}: is also the {shown} file; give each output a file "
                   "of its own\n")
    assert _files(tmp_path) == ["a.csv"]


def test_outputs_naming_each_other_through_a_link_are_refused(run_cli, tmp_path):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["1", "x_1", "x_1"]], name="a.csv")
    target = tmp_path / "t.csv"
    target.write_text("old\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(target)
    code, out, err = run_cli("grade", LECTURE, answers, "-o", target, "--totals", tmp_path / "link.csv")
    assert code == 2 and err.startswith(f"error: --totals {tmp_path / 'link.csv'}: is also the -o file")
    assert target.read_text(encoding="utf-8") == "old\n"


@pytest.mark.parametrize("option, name, ext", [("--totals", "t.json", ".csv"), ("--gradescope", "r.csv", ".json")])
def test_output_extensions(run_cli, tmp_path, option, name, ext):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["1", "x_1", "x_1"]], name="a.csv")
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "r.html", option, tmp_path / name)
    assert (code, out) == (2, "")
    assert err == f"error: {option} {tmp_path / name}: expected a file name ending in {ext}\n"
    assert _files(tmp_path) == ["a.csv"]


def test_empty_output_paths(run_cli, tmp_path):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["1", "x_1", "x_1"]], name="a.csv")
    code, out, err = run_cli("grade", LECTURE, answers, "--totals", "")
    assert (code, err) == (2, "error: --totals: the path is empty\n")


def test_outputs_are_byte_identical_across_runs(run_cli, tmp_path):
    answers = _write(tmp_path, [CLASS[0]] + CLASS[1:3])
    made = []
    for n in (1, 2):
        paths = [tmp_path / f"r{n}.html", tmp_path / f"t{n}.csv", tmp_path / f"g{n}.json"]
        code, _, _ = run_cli("grade", LECTURE, answers, "-o", paths[0], "--totals", paths[1],
                             "--gradescope", paths[2])
        assert code == 0
        made.append([p.read_bytes() for p in paths])
    assert made[0] == made[1]


# --- the HTML report -------------------------------------------------------------------------

def test_html_report_summary_and_typed_answers(run_cli, tmp_path):
    answers = _write(tmp_path, CLASS)
    report = tmp_path / "r.html"
    code, _, _ = run_cli("grade", LECTURE, answers, "-o", report)
    page = report.read_text(encoding="utf-8")
    assert "<p><b>1 of 6 right</b>; 2.75 of 8.5 points.</p>" in page
    assert "<h2>Most common mistakes</h2>" in page
    assert ("<li><b>missing_sigma_prime</b> (1): "
            + html.escape(feedback.SENTENCES["missing_sigma_prime"])) in page
    assert "<tr><td>carol</td><td>0.75</td><td>1.5</td></tr>" in page
    assert r"<code>a^{(2)}_1 (a^{(3)}_1 - y_1)</code>" in page     # what the student typed
    assert page.count('<tr class="') == 6
    assert '<td class="verdict">undecided<br><span class="score">0.75 / 1.5</span></td>' in page


def test_html_report_fits_1200_px_in_chromium(run_cli, tmp_path):
    from test_render_tools import CHROMIUM, CHROMIUM_ARGS
    from conftest import require_tool
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    long_answer = " + ".join(r"w^{(3)}_{11}\delta^{(3)}_1\sigma'(z^{(2)}_1)a^{(1)}_1" for _ in range(12))
    rows = CLASS + [["q9" * 40, "dave" * 30, "w^{(2)}_{11}", long_answer, "1", "C", "x" * 300],
                    ["q10", "erin", "w^{(2)}_{11}", "a" * 400, "1", "C", ""]]
    answers = _write(tmp_path, rows)
    report = tmp_path / "r.html"
    code, _, _ = run_cli("grade", LECTURE, answers, "-o", report)
    assert code == 0
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            problems = []
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.goto(report.as_uri())
            width, client = page.evaluate("[document.documentElement.scrollWidth, "
                                          "document.documentElement.clientWidth]")
            assert width <= client == 1200
            # no cell's content runs out of its cell
            spill = page.eval_on_selector_all(
                "table.answers td", "tds => tds.filter(td => td.scrollWidth > td.clientWidth + 1).length")
            assert spill == 0
            maths = page.eval_on_selector_all(
                "math", "els => els.map(e => e.getBoundingClientRect().width)")
            assert len(maths) >= 12 and all(w > 0 for w in maths)
            assert problems == []
        finally:
            browser.close()


def test_json_report_rows_and_scores(run_cli, tmp_path):
    answers = _write(tmp_path, CLASS)
    report = tmp_path / "r.json"
    code, _, _ = run_cli("grade", LECTURE, answers, "-o", report)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"] == {"equivalent": 1, "not_equivalent": 3, "undecided": 1, "error": 1, "total": 6}
    assert data["scores"] == {
        "score": 2.75, "max": 8.5, "right": 1, "answers": 6, "replaced": 0,
        "common_mistakes": [{"diagnosis": c, "count": 1, "feedback": feedback.SENTENCES[c]}
                            for c in ("missing_sigma_prime", "missing_term", "sign_error")]}
    assert data["students"] == [{"student": "alice", "score": 2.0, "max": 3.0},
                                {"student": "bob", "score": 0.0, "max": 4.0},
                                {"student": "carol", "score": 0.75, "max": 1.5}]
    first = data["rows"][0]
    assert (first["student"], first["score"], first["max"], first["points"]) == ("alice", 2.0, 2.0, 25)
    assert first["columns"] == {"section": "A", "comment": "first try"}
    assert data["rows"][2]["columns"] == {"section": "B", "comment": "=1+1"}     # JSON keeps it as is
    assert [r["feedback"] for r in data["rows"]][1] == feedback.SENTENCES["sign_error"]
