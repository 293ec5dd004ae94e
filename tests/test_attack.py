"""Hostile and careless input to the newer commands: each test pins a defect that was
found and fixed (the exact error line, or the exact bytes written)."""

import csv
from pathlib import Path

from symbackprop.answers import report as report_module

ROOT = Path(__file__).resolve().parent.parent
LECTURE = ROOT / "examples" / "lecture.toml"
RIGHT = ("w^{(3)}_{11}", r"a^{(2)}_1 \delta^{(3)}_1")


def _answers(tmp_path, rows, header=("id", "wrt", "answer", "student")):
    path = tmp_path / "answers.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_carriage_return_in_a_cell_stays_inside_its_csv_row(run_cli, tmp_path):
    """A bare CR in an answers cell was written unquoted, so every CSV reader split the
    report's row (and the totals' row) in two."""
    answers = _answers(tmp_path, [("r1", *RIGHT, "ann\rlee"), ("r2", "\r=x", "=a", "bo")])
    report, totals = tmp_path / "report.csv", tmp_path / "totals.csv"
    code, _, err = run_cli("grade", LECTURE, answers, "-o", report, "--totals", totals)
    assert code == 0 and err == ""
    rows = list(csv.reader(report.open(newline="", encoding="utf-8")))
    assert [len(r) for r in rows] == [len(report_module.CSV_COLUMNS)] * 3 == [22, 22, 22]
    assert rows[1][9] == "ann\rlee"
    assert rows[2][:2] == ["r2", "'\r=x"]
    assert totals.read_bytes() == b'student,score,max\n"ann\rlee",1,1\nbo,0,1\n'


def test_a_sum_with_a_bound_beyond_a_machine_integer_is_an_error_line(run_cli):
    """len(range(1, 10**20 + 1)) raised OverflowError: a traceback instead of the limit."""
    for command in (r"\sum", r"\prod"):
        code, out, err = run_cli("check", LECTURE, "--wrt", RIGHT[0],
                                 "--answer", command + "_{k=1}^{99999999999999999999} 1")
        assert code == 2 and out == ""
        assert err.splitlines()[0] == f"error: answer, column 1: {command} over more than 10000 values"


def test_a_sum_whose_lower_bound_is_not_whole_says_what_it_must_be(run_cli):
    code, _, err = run_cli("check", LECTURE, "--wrt", RIGHT[0], "--answer", r"\sum_{k=-5}^{2} x_k")
    assert code == 2
    assert err.splitlines()[0] == (r"error: answer, column 9: \sum: the lower bound must be a whole "
                                   r"number, as in \sum_{k=1}")


def test_a_chain_of_matrix_products_is_refused_before_its_entries_explode(run_cli):
    """Each factor of (W^T)(W^T)… doubles the entries' size: 20 factors ran for minutes."""
    code, out, err = run_cli("check", LECTURE, "--wrt", "W^{(3)}", "--answer", r"(W^{(3)})^T" * 40)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == ("error: answer, column 441: the product's entries grow too large "
                                   "to compare (more than 750000 terms and factors); write it with "
                                   "fewer matrix factors")


def test_a_kept_column_named_like_a_formula_is_defused_in_the_report_header(run_cli, tmp_path):
    """The cells were defused but the header, which repeats the answers file's own column
    names, was written as it came: a spreadsheet ran '=HYPERLINK(…)'."""
    answers = _answers(tmp_path, [("r1", *RIGHT, "ann", "x")],
                       header=("id", "wrt", "answer", "student", '=HYPERLINK("http://e.test")'))
    report = tmp_path / "report.csv"
    code, _, err = run_cli("grade", LECTURE, answers, "-o", report)
    assert code == 0 and err == ""
    header = report.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(',"\'=HYPERLINK(""http://e.test"")"')


GRAPH_AT_LARGE_VALUES = """title = "f = (x + y) z"
inputs = ["x", "y", "z"]
define = ["q = x + y", "f = q z"]
output = "f"

[point]
x = 1e308
y = 1e308
z = -4
"""

LAYER_AT_LARGE_VALUES = """title = "one identity neuron"
inputs = 1
cost = "mse"

[[layers]]
units = 1
activation = "identity"
W = [[1e308]]
b = [0]

[point]
x = [10]
y = [0]
"""


def test_an_exported_module_at_values_too_large_for_floats_prints_an_error_not_bad_json(tmp_path):
    """`python FILE.py` printed "cost": -Infinity, which no JSON reader accepts, where
    `eval --json` gives an error line."""
    import subprocess
    import sys
    from symbackprop.cli import main
    for name, text in (("graph", GRAPH_AT_LARGE_VALUES), ("layered", LAYER_AT_LARGE_VALUES)):
        spec, module = tmp_path / f"{name}.toml", tmp_path / f"{name}.py"
        spec.write_text(text, encoding="utf-8")
        assert main(["code", str(spec), "-o", str(module)]) == 0
        done = subprocess.run([sys.executable, "-I", str(module)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
        assert (done.returncode, done.stdout) == (1, ""), name
        # (NumPy may warn first of inf·0 on the way; the last line is the module's own)
        assert done.stderr.splitlines()[-1] == ("error: a value is not finite (the values are too "
                                                "large for floating point)")


def test_a_number_in_scientific_notation_without_a_point_is_compared_to_its_digits(run_cli):
    """12596e-5 is 0.12596 written another way, but it was compared exactly (as if it were
    a whole number) and judged wrong where 1.2596e-1 and 0.12596 are right."""
    for written in ("12596e-5", "1.2596e-1", "0.12596"):
        code, out, err = run_cli("check", LECTURE, "--wrt", RIGHT[0], "--answer", written)
        assert (code, err) == (0, ""), written
        assert out.splitlines()[0] == "w^{(3)}_{11}: equivalent (equal at 1 point)"
    code, out, _ = run_cli("check", LECTURE, "--wrt", RIGHT[0], "--answer", "12597e-5")
    assert code == 1 and out.splitlines()[0] == "w^{(3)}_{11}: not equivalent"


def test_grade_writes_no_totals_when_the_report_cannot_be_written(run_cli, tmp_path):
    """The totals and results.json were written first, then the report failed: exit 2
    with two files on disk."""
    answers = _answers(tmp_path, [("r1", *RIGHT, "ann")])
    totals, scope = tmp_path / "totals.csv", tmp_path / "results.json"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "missing" / "report.csv",
                             "--totals", totals, "--gradescope", scope)
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path}/missing/report.csv: cannot write: No such file or directory\n"
    assert not totals.exists() and not scope.exists()
    code, _, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "report.csv", "--totals", tmp_path)
    assert err == f"error: --totals {tmp_path}: expected a file name ending in .csv\n"
    code, _, err = run_cli("grade", LECTURE, answers, "--totals", totals, "--gradescope",
                           tmp_path / "no" / "results.json")
    assert code == 2 and not totals.exists()
    assert err == f"error: {tmp_path}/no/results.json: cannot write: No such file or directory\n"


def test_totals_refuse_a_row_with_neither_student_nor_id(run_cli, tmp_path):
    """Such a row became a totals row with an empty student cell, which no grade book can
    match to a student."""
    answers = _answers(tmp_path, [("r1", *RIGHT, "ann"), ("", *RIGHT, "")])
    totals = tmp_path / "totals.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", tmp_path / "report.csv", "--totals", totals)
    assert (code, out) == (2, "")
    assert err == ("error: --totals: line 3 has neither a student nor an id, so a grade book cannot "
                   "match its score; fill in one of them\n")
    assert not totals.exists() and not (tmp_path / "report.csv").exists()


def test_a_compiled_layered_net_takes_a_batch_of_one_example():
    """fn({"x_{1}": [0.5]}) raised NumPy's 'setting an array element with a sequence'; a
    batch of one now gives the numbers of the plain number, and its entries are checked."""
    import pytest
    import symbackprop as sb
    from symbackprop.errors import PointError
    fn = sb.load(LECTURE).backward().compile()
    one, plain = fn({"x_{1}": [0.5]}), fn({"x_{1}": 0.5})
    assert one.cost == plain.cost == pytest.approx(0.20152079844535775, rel=1e-12)
    assert one.gradients["w^{(1)}_{11}"] == plain.gradients["w^{(1)}_{11}"]
    with pytest.raises(PointError) as info:
        fn({"x_{1}": [float("nan")]})
    assert str(info.value) == "point: the arrays along the batch axis must hold finite numbers"


def test_a_compiled_net_refuses_arrays_of_booleans_and_complex_numbers():
    """True alone was refused but an array of booleans was read as 1s and 0s, and a complex
    array warned and then failed inside NumPy with a traceback."""
    import numpy as np
    import pytest
    import symbackprop as sb
    from symbackprop.errors import PointError
    fn = sb.load(LECTURE).backward().compile()
    for value in (np.array([True, False]), np.array([1 + 0j, 2 + 0j])):
        with pytest.raises(PointError) as info:
            fn({"x_{1}": value})
        assert str(info.value) == "point value of x_{1}: expected numbers, got ndarray with other entries"


def test_a_number_answer_that_cannot_be_a_float_says_why_in_plain_words(run_cli):
    """The reason quoted Python: 'math range error', 'integer division result too large for
    a float', 'cannot evaluate ImaginaryUnit'."""
    import json
    for answer, why in ((r"e^{1000}", "too large for floating point"),
                        ("1e300 1e300", "too large for floating point"),
                        (r"\ln(-1)", "not a real number")):
        code, out, _ = run_cli("check", LECTURE, "--wrt", RIGHT[0], "--answer", answer, "--json")
        data = json.loads(out)
        assert (code, data["verdict"]) == (1, "undecided"), answer
        assert data["reason"] == "the number cannot be evaluated: " + why
