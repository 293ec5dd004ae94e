"""``symbackprop check`` and ``symbackprop grade``, run in-process: exit codes, JSON
fields, error lines, report files."""

import csv
import io
import json
import sys
import time

import pytest

from symbackprop.answers import grade as grading

from conftest import EXAMPLES

LECTURE = EXAMPLES / "lecture.toml"
SHARED = EXAMPLES / "shared_bias.toml"


# --- check -------------------------------------------------------------------------------------

def test_check_equivalent_exits_0(run_cli):
    code, out, err = run_cli("check", SHARED, "--wrt", "w_5", "--answer", "(o1 - t1)*o1*(1 - o1)*h1")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "w_5: equivalent (proved symbolically, and equal at 25 points)"
    assert lines[1] == "  answer:   h₁·o₁·(1 - o₁)·(o₁ - t₁)"
    assert lines[2].startswith("  expected: ∂C/∂w₅ = h₁·δ")


def test_check_json_of_a_right_answer(run_cli):
    code, out, err = run_cli("check", SHARED, "--wrt", "w_5", "--answer", r"h_1 \delta_{o_1}", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == {"wrt": "w_5", "verdict": "equivalent", "answer": r"h_1 \delta_{o_1}",
                    "expected": r"\frac{\partial C}{\partial w_5} = h_1 \delta_{o_1}",
                    "counterexample": None, "diagnosis": None, "explanation": None, "reason": None,
                    "symbolic": True, "points": 25, "entries": None, "wrong_entries": []}


def test_check_json_of_a_wrong_answer(run_cli):
    code, out, err = run_cli("check", SHARED, "--wrt", "w_5", "--json",
                             "--answer", r"(t_1 - o_1) o_1 (1 - o_1) h_1")
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["verdict"] == "not_equivalent"
    assert data["diagnosis"] == "sign_error"
    assert "sign error" in data["explanation"]
    c = data["counterexample"]
    assert c["where"] == "the spec's point"
    assert c["point"] == {"i_1": 0.05, "i_2": 0.1, "t_1": 0.01, "t_2": 0.99, "w_1": 0.15, "w_2": 0.2,
                          "b_1": 0.35, "w_3": 0.25, "w_4": 0.3, "w_5": 0.4, "w_6": 0.45, "b_2": 0.6,
                          "w_7": 0.5, "w_8": 0.55}
    # the worked example's own figure for ∂C/∂w5
    assert c["expected"] == pytest.approx(0.082167041, abs=1e-9)
    assert c["answer"] == pytest.approx(-0.082167041, abs=1e-9)


def test_check_text_of_a_wrong_answer(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", "w^{(3)}_{11}", "--answer", r"a^{(2)}_1 (a^{(3)}_1 - y_1)")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "w^{(3)}_{11}: not equivalent"
    assert lines[3].startswith("  at the spec's point (w^{(1)}_{11} = 1, w^{(1)}_{12} = -2,")
    assert lines[4] == "    answer = 0.5333993874, expected = 0.1259599105"
    assert lines[5].startswith("  likely mistake (missing_sigma_prime): missing σ′ factors")


def test_check_answer_file(run_cli, tmp_path):
    path = tmp_path / "answer.tex"
    path.write_text("a^{(1)}_1 \\sigma'(z)\n  \\left(w^{(3)}_{11} \\delta' + w^{(3)}_{21} \\delta''\\right)\n",
                    encoding="utf-8")
    code, out, err = run_cli("check", LECTURE, "--wrt", "w^{(2)}_{11}", "--answer-file", path, "--json")
    assert code == 0 and json.loads(out)["verdict"] == "equivalent"


def test_check_answer_file_errors_give_line_and_column(run_cli, tmp_path):
    path = tmp_path / "answer.tex"
    path.write_text("a^{(1)}_1\n  \\delta^{(2)}_1 #\n", encoding="utf-8")
    code, out, err = run_cli("check", LECTURE, "--wrt", "w^{(2)}_{11}", "--answer-file", path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"error: {path}: line 2, column 18: unexpected character '#'",
                                r"    \delta^{(2)}_1 #", "                   ^"]


def test_check_missing_answer_file(run_cli, tmp_path):
    code, out, err = run_cli("check", LECTURE, "--wrt", "x_1", "--answer-file", tmp_path / "none.tex")
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path / 'none.tex'}: no such file\n"


@pytest.mark.parametrize("answer, first_line, column", [
    pytest.param("a^{(1)}_1 {\\delta^{(2)}_1", "error: answer, column 11: unbalanced '{': it is never closed",
                 11, id="unbalanced"),
    pytest.param("\\input{/etc/passwd}", "error: answer, column 1: unknown command \\input", 1, id="input"),
    pytest.param("", "error: answer, column 1: the answer is empty", 1, id="empty"),
    pytest.param("x_1 \\otimes x_2", "error: answer, column 5: \\otimes is not supported: write an "
                 "outer product as a column times a row, as in \\delta^{(2)} (a^{(1)})^T", 5,
                 id="unsupported"),
])
def test_check_bad_answers_exit_2_with_a_caret(run_cli, answer, first_line, column):
    code, out, err = run_cli("check", LECTURE, "--wrt", "w^{(2)}_{11}", "--answer", answer)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == first_line
    assert lines[1] == "  " + answer
    assert lines[2] == " " * (1 + column) + "^"


def test_check_hostile_answers_exit_2_fast_and_run_nothing(run_cli, tmp_path):
    sentinel = tmp_path / "hacked"
    modules = set(sys.modules)
    for answer in (f"__import__('os').system('touch {sentinel}')", "\\input{/etc/passwd}",
                   "(" * 10_000 + ")" * 10_000, "x" * 100_000, "{" * 3000):
        start = time.perf_counter()
        code, out, err = run_cli("check", LECTURE, "--wrt", "w^{(2)}_{11}", "--answer", answer)
        assert time.perf_counter() - start < 1.0
        assert (code, out) == (2, "")
        assert err.startswith("error: answer, column ")
    assert not sentinel.exists()
    assert set(sys.modules) - modules == set()


def test_check_unknown_wrt(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", "w_9", "--answer", "x_1")
    assert (code, out) == (2, "")
    assert err == ("error: wrt: unknown name 'w_9'; this network has 34 names, e.g. x_{1}, x_{2}, y_{1} "
                   "(and \\delta for ∂C/∂z)\n")
    assert len(err.splitlines()) == 1


def test_check_undecided_exits_1(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", "x_1", "--answer", "e^{1000} x_1", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "undecided"
    assert "only 0 of 25 points" in data["reason"]


def test_check_bad_spec(run_cli, tmp_path):
    code, out, err = run_cli("check", tmp_path / "none.toml", "--wrt", "x_1", "--answer", "x_1")
    assert code == 2 and err.startswith("error: ") and "no such file" in err


# --- grade -------------------------------------------------------------------------------------

def _write(tmp_path, rows, name="answers.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_grade_the_example_answers_to_csv(run_cli, tmp_path):
    report = tmp_path / "report.csv"
    code, out, err = run_cli("grade", LECTURE, EXAMPLES / "lecture_answers.csv", "-o", report)
    assert (code, err) == (0, "")
    assert out == ("graded 11 answers: 5 equivalent, 4 not equivalent, 0 undecided, 2 errors; "
                   f"report written to {report}\n")
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    got = {r["id"]: (r["verdict"], r["diagnosis"]) for r in rows}
    assert got == {"alice": ("equivalent", ""), "bob": ("not_equivalent", "sign_error"),
                   "carol": ("equivalent", ""), "dan": ("not_equivalent", "missing_sigma_prime"),
                   "erin": ("equivalent", ""), "frank": ("not_equivalent", "missing_term"),
                   "grace": ("not_equivalent", "transposed_index"), "heidi": ("equivalent", ""),
                   "ivan": ("error", ""), "judy": ("equivalent", ""), "mallory": ("error", "")}
    ivan = next(r for r in rows if r["id"] == "ivan")
    assert ivan["error"] == "line 10: answer, column 18: unbalanced '{': it is never closed"
    bob = next(r for r in rows if r["id"] == "bob")
    assert float(bob["counterexample_answer"]) == pytest.approx(-float(bob["counterexample_expected"]))
    assert bob["counterexample_point"].startswith("w^{(1)}_{11}=1; w^{(1)}_{12}=-2;")


def test_grade_json_report(run_cli, tmp_path):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["1", "w_5", r"h_1 \delta_{o_1}"],
                                ["2", "w_5", r"(o_1 - t_1) h_1"], ["3", "w_99", "h_1"],
                                ["4", "b_2", r"\delta_{o_1}"]])
    report = tmp_path / "report.json"
    code, out, err = run_cli("grade", SHARED, answers, "-o", report)
    assert code == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["title"] == "A worked example with shared biases"
    assert data["summary"] == {"equivalent": 1, "not_equivalent": 2, "undecided": 0, "error": 1, "total": 4}
    rows = data["rows"]
    assert [r["verdict"] for r in rows] == ["equivalent", "not_equivalent", "error", "not_equivalent"]
    assert rows[1]["diagnosis"] == "missing_sigma_prime"
    assert rows[2]["error"].startswith("line 4: wrt: unknown name 'w_99'")
    assert rows[3]["diagnosis"] == "missing_use"
    assert rows[0]["expected"] == r"\frac{\partial C}{\partial w_5} = h_1 \delta_{o_1}"


def test_grade_html_report_shows_mathml(run_cli, tmp_path):
    report = tmp_path / "report.html"
    code, out, err = run_cli("grade", LECTURE, EXAMPLES / "lecture_answers.csv", "-o", report)
    assert code == 0
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<tr class="') == 11
    assert page.count("<math") >= 2 * 9          # answer and expected for every graded row
    assert "<b>sign_error</b>" in page
    assert "__import__(&#x27;os&#x27;)" in page   # the hostile answer is shown escaped
    assert "<script" not in page


def test_grade_to_stdout_is_csv(run_cli, tmp_path):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["a", "x_1", r"w^{(1)}_{11}\delta^{(1)}_1"]])
    code, out, err = run_cli("grade", LECTURE, answers)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["verdict"], r["diagnosis"]) for r in rows] == [("a", "not_equivalent", "missing_term")]


def test_grade_bad_rows_do_not_stop_the_batch(run_cli, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("id,wrt,answer\n1,x_1,w^{(1)}_{11}\\delta^{(1)}_1 + w^{(1)}_{21}\\delta^{(1)}_2\n"
                       "2,x_1,\\max(0, x_1), extra\n3,,x_1\n4,x_1,\n"
                       "5,x_2,w^{(1)}_{12}\\delta^{(1)}_1 + w^{(1)}_{22}\\delta^{(1)}_2\n", encoding="utf-8")
    report = tmp_path / "report.json"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", report)
    assert code == 0
    rows = json.loads(report.read_text(encoding="utf-8"))["rows"]
    assert [r["verdict"] for r in rows] == ["equivalent", "error", "error", "error", "equivalent"]
    assert rows[1]["error"] == "line 3: 5 fields where the header has 3; quote an answer that contains commas"
    assert rows[2]["error"] == "line 4: the wrt field is empty"
    assert rows[3]["error"] == "line 5: answer, column 1: the answer is empty"


@pytest.mark.parametrize("content, message", [
    pytest.param("", "empty file", id="empty"),
    pytest.param("name,answer\nx,y\n", "expected the columns id,wrt,answer; missing id, wrt", id="columns"),
])
def test_grade_bad_files_exit_2(run_cli, tmp_path, content, message):
    answers = tmp_path / "answers.csv"
    answers.write_text(content, encoding="utf-8")
    code, out, err = run_cli("grade", LECTURE, answers)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {answers}: ") and message in err


def test_grade_unknown_report_format_writes_nothing(run_cli, tmp_path):
    report = tmp_path / "report.pdf"
    code, out, err = run_cli("grade", LECTURE, EXAMPLES / "lecture_answers.csv", "-o", report)
    assert (code, out) == (2, "")
    assert err == (f"error: {report}: unknown report format; use a file name ending in .csv, "
                   ".json or .html\n")
    assert not report.exists()


def test_grade_missing_answers_file(run_cli, tmp_path):
    code, out, err = run_cli("grade", LECTURE, tmp_path / "none.csv")
    assert code == 2 and err == f"error: {tmp_path / 'none.csv'}: no such file\n"


def test_progress_bar_only_on_a_terminal(run_cli, tmp_path, monkeypatch):
    answers = _write(tmp_path, [["id", "wrt", "answer"], ["1", "x_1", "x_1"], ["2", "x_1", "x_2"]])
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "r.csv")
    assert err == ""

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    from symbackprop.cli import main
    assert main(["grade", str(LECTURE), str(answers), "-o", str(tmp_path / "r.csv")]) == 0
    shown = terminal.getvalue()
    assert shown.endswith("] 2/2\n")
    assert "\r[" + "#" * 15 + "·" * 15 + "] 1/2" in shown


def test_progress_bar_draws_in_place():
    stream = io.StringIO()
    bar = grading.ProgressBar(stream, width=4)
    for done in range(1, 5):
        bar(done, 4)
    assert stream.getvalue() == "\r[#···] 1/4\r[##··] 2/4\r[###·] 3/4\r[####] 4/4\n"
