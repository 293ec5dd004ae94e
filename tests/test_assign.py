"""Assignments: variants per student, the folder `assign` writes, and its checks."""

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import EXAMPLES

import symbackprop as sb
from symbackprop.assignments import exercise, variants
from symbackprop.assignments.assignment import Assignment
from symbackprop.assignments.checks import judged, right_value, target_of

HOMEWORK = EXAMPLES / "homework.toml"
ROSTER = "student,name\nada,Ada Lovelace\ngrace,Grace Hopper\n"


@pytest.fixture(scope="module")
def template():
    return sb.load(HOMEWORK)


@pytest.fixture(scope="module")
def small():
    return Assignment(HOMEWORK, ["ada", "grace"])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """`assign` run twice on the same roster, into folders of different names: in this
    process, and in another one with another hash seed."""
    import os
    import subprocess
    import sys

    from symbackprop.cli import main
    root = tmp_path_factory.mktemp("assign")
    (root / "roster.csv").write_text(ROSTER)
    argv = ["assign", str(HOMEWORK), "--roster", str(root / "roster.csv"), "-o"]
    assert main(argv + [str(root / "first")]) == 0
    env = {**os.environ, "PYTHONHASHSEED": "12345",
           "PYTHONPATH": os.pathsep.join([str(Path(sb.__file__).parent.parent), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-m", "symbackprop", *argv, str(root / "second folder")], env=env,
                   check=True, capture_output=True, timeout=300)
    return root


def _tree(path):
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_two_runs_are_byte_identical_whatever_the_folder_is_called(folder):
    first, second = _tree(folder / "first"), _tree(folder / "second folder")
    assert first == second
    assert {"manifest.json", "students/ada.toml", "students/grace.toml"} <= set(first)


def test_the_manifest_has_the_fixed_shape(folder):
    manifest = json.loads((folder / "first" / "manifest.json").read_text())
    assert manifest["title"] == "Homework 3: backpropagation"
    assert manifest["questions"][0] == {"id": "q1", "wrt": "w^{(2)}_{11}", "kind": "formula", "points": 2}
    assert manifest["questions"][3] == {"id": "q4", "wrt": "b^{(1)}_{2}", "kind": "number", "points": 1,
                                        "tolerance": 0.0005}
    assert list(manifest["students"]) == ["ada", "grace"]
    ada = manifest["students"]["ada"]
    assert ada["spec"] == "students/ada.toml" and ada["roster"] == {"name": "Ada Lovelace"}
    assert ada["code"] == variants.code_of(2026, "ada")


def test_each_variant_is_a_spec_eval_takes_with_the_students_numbers(folder, small, run_cli):
    manifest = json.loads((folder / "first" / "manifest.json").read_text())
    specs = {}
    for student, entry in manifest["students"].items():
        path = folder / "first" / entry["spec"]
        code, out, err = run_cli("eval", path, "--json")
        assert (code, err) == (0, "")
        specs[student] = json.loads(out)
        assert "exercise" not in path.read_text()
        net = sb.load(path)
        drawn = small.variants[student].drawn
        for sym, value in drawn.items():
            assert net.values[net.symbol(sym.name)] == value       # exactly the drawn grid value
    assert specs["ada"]["gradients"] != specs["grace"]["gradients"]


def test_adding_a_student_changes_no_one_elses_variant(small):
    large = Assignment(HOMEWORK, ["zoe", "ada", "grace"])
    for student in ("ada", "grace"):
        assert small.variants[student].values == large.variants[student].values
    assert small.files()["students/ada.toml"] == large.files()["students/ada.toml"]


def test_a_code_regenerates_its_variant(small):
    again = small.variant_of_code(small.variants["ada"].code)
    assert again.values == small.variants["ada"].values


def test_two_hundred_variants_keep_the_constraints(template):
    """The cheap constraints on 200 students (the checks on the built variant are tested
    below on a few: they run the three-way check)."""
    ex = template.exercise
    grids = dict(variants.varied(template, ex))
    d = template.backward()
    seen = set()
    for n in range(200):
        v = variants.draw(template, ex, f"student {n}")
        seen.add(tuple(sorted((s.name, x) for s, x in v.drawn.items())))
        assert set(v.drawn) == set(grids)
        assert all(grids[s].holds(x) for s, x in v.drawn.items())
        numbers = d.evaluate(v.values)
        for l in (1, 2):
            for j in range(1, template.sizes[l] + 1):
                assert abs(numbers.z(l, j)) <= 4
        for q in ex.questions:
            assert abs(numbers.gradients[q.wrt]) >= 1e-4
    assert len(seen) >= 198            # at most a handful of repeats


def test_relu_variants_keep_off_the_kink():
    data = {"inputs": 2, "cost": "mse", "layers": [{"units": 2, "activation": "relu"},
                                                   {"units": 1, "activation": "identity"}],
            "point": {"y": [1]},
            "exercise": {"seed": 3, "questions": [{"wrt": "w^{(1)}_{12}", "kind": "number"}],
                         "vary": {"parameters": {"min": -1, "max": 1, "step": 0.5},
                                  "inputs": {"min": -1, "max": 1, "step": 0.5}}}}
    net = sb.load(data)
    d = net.backward()
    for n in range(100):
        v = variants.draw(net, net.exercise, f"s{n}")
        numbers = d.evaluate(v.values)
        assert all(abs(numbers.z(1, j)) >= variants.KINK_MARGIN for j in (1, 2))
        assert abs(numbers.gradients["w^{(1)}_{12}"]) >= 1e-4


def test_an_empty_folder_is_filled(small, tmp_path):
    (tmp_path / "out").mkdir()
    small.write(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "canvas-qti.zip", "keys", "keys.tex", "manifest.json", "moodle.xml", "sheets", "sheets.tex", "students"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]       # no temporary folder left


def test_every_known_mistake_is_told_apart_from_the_key(small):
    a = small
    from symbackprop.answers.compare import spec_point
    from symbackprop.answers.diagnose import mistakes
    for net in a.nets.values():
        assert net.backward().check().passed
        for q in [q for q in a.exercise.questions if q.kind == "number"]:
            ref, target = target_of(net, q)
            key = variants.key_number(right_value(net, q))
            assert judged(ref, target, key, q.tolerance) == "equivalent"
            for m in mistakes(ref, target):
                wrong = variants.key_number(m.values[spec_point(ref)])
                assert judged(ref, target, wrong, q.tolerance) == "not_equivalent"


def test_the_check_redraws_a_variant_whose_mistake_looks_right(template, monkeypatch):
    """A tolerance so wide that every mistake passes: no variant can be kept."""
    monkeypatch.setattr(variants, "MAX_TRIES", 5)
    data = dict(template.exercise.spec)
    data["exercise"] = {"seed": 1, "questions": [{"wrt": "w^{(1)}_{11}", "kind": "number", "tolerance": 100}],
                        "vary": {"parameters": {"min": -2, "max": 2, "step": 0.5},
                                 "inputs": {"min": -1, "max": 1, "step": 0.5}}}
    with pytest.raises(sb.SpecError, match=r"^spec: exercise: no variant for student 'ada' passed the "
                                           r"checks in 5 draws \(the last: q1: the mistake "):
        Assignment(data, ["ada"])


def test_grid_values():
    grid = exercise.Grid(Fraction(-1), Fraction(1), Fraction(1, 2))
    assert grid.values == tuple(Fraction(n, 2) for n in range(-2, 3))
    assert grid.holds(0.5) and not grid.holds(0.25) and not grid.holds(1.5)


@pytest.mark.parametrize("roster, message", [
    ("name\nada\n", "roster.csv: line 1: expected one column named student (found name)"),
    ("student\nada\nada\n", "roster.csv: line 3: student 'ada' is already on line 2; give each student one row"),
    ("student\n", "roster.csv: no students; expected a row per student under the header"),
    ("student,name\nada\n", "roster.csv: line 2: 1 fields where the header has 2"),
    ("student,name\n,Ada\n", "roster.csv: line 2: the student cell is empty"),
], ids=["no-student-column", "twice", "empty", "short-row", "empty-cell"])
def test_bad_rosters_are_one_error_line(tmp_path, run_cli, roster, message):
    (tmp_path / "roster.csv").write_text(roster)
    code, out, err = run_cli("assign", HOMEWORK, "--roster", tmp_path / "roster.csv", "-o", tmp_path / "out")
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path / 'roster.csv'}: {message.split(': ', 1)[1]}\n"
    assert not (tmp_path / "out").exists()


_QUESTION = '{ wrt = "w^{(2)}_{11}", kind = "number" }'


@pytest.mark.parametrize("section, message", [
    ("", "no [exercise] section: a template for assign needs one (questions, and the grids to vary)"),
    ("[exercise]\nseed = 1\n", "exercise.questions: expected a list of at least one question"),
    ('[exercise]\nquestions = [{ wrt = "w", kind = "essay" }]\n',
     "exercise.questions[1].kind: expected formula or number, got 'essay'"),
    ('[exercise]\nquestions = [{ wrt = "v_9" }]\n[exercise.vary]\nparameters = { min = -1, max = 1, step = 0.5 }\n'
     + 'inputs = { min = -1, max = 1, step = 0.5 }\n', "exercise.questions[1].wrt: unknown name 'v_9'"),
    (f"[exercise]\nquestions = [{_QUESTION}]\n[exercise.vary]\nparameters = {{ min = 1, max = -1, step = 1 }}\n",
     "exercise.vary.parameters: max (-1) is below min (1)"),
    (f"[exercise]\nquestions = [{_QUESTION}]\n[exercise.vary]\nweights = {{ min = 1, max = 2, step = 1 }}\n",
     "exercise.vary.weights: unknown field; expected one of: parameters, inputs, targets"),
    (f"[exercise]\nquestions = [{_QUESTION}]\n", "x_{1} has no value and no grid varies it; give it a value or add its group to [exercise.vary]"),
], ids=["none", "no-questions", "kind", "wrt", "grid", "group", "no-value"])
def test_bad_templates_are_one_error_line(tmp_path, run_cli, section, message):
    text = HOMEWORK.read_text().split("[exercise]")[0] + section
    text = re.sub(r"^(W|b|x) = .*\n", "", text, flags=re.MULTILINE)      # the template without its sample values
    (tmp_path / "t.toml").write_text(text)
    (tmp_path / "roster.csv").write_text(ROSTER)
    code, out, err = run_cli("assign", tmp_path / "t.toml", "--roster", tmp_path / "roster.csv", "-o", tmp_path / "out")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {tmp_path / 't.toml'}: {message}") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_empty_is_refused(tmp_path, run_cli):
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("keep")
    code, _, err = run_cli("assign", HOMEWORK, "--roster", tmp_path / "roster.csv", "-o", tmp_path / "out")
    assert (code, err) == (2, f"error: {tmp_path / 'out'}: exists and is not an empty folder; give a new folder\n")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old.txt"]


def test_grading_a_class_against_each_students_own_variant(folder, small, run_cli, tmp_path):
    import csv
    q = {x.id: x for x in small.exercise.questions}
    key = {(s, i): variants.key_number(right_value(net, q[i])) for s, net in small.nets.items() for i in q}
    assert key[("ada", "q3")] != key[("grace", "q3")]
    rows = [("ada", "q1", r"a^{(1)}_1 \delta^{(2)}_1", ""),
            ("ada", "q3", key[("ada", "q3")], ""),
            ("grace", "q3", key[("ada", "q3")], ""),                     # copied from ada
            ("grace", "q4", key[("grace", "q4")], "b^{(1)}_2"),
            ("grace", "q2", r"x_1 \delta^{(1)}_1", ""),                   # closed form asked
            ("grace", "q1", "1", "w^{(1)}_{11}"),                         # not q1's wrt
            ("ada", "q7", "1", ""),
            ("ada", "q4", r"\delta^{(1)}_2", "")]                         # a formula for a number
    answers = tmp_path / "answers.csv"
    with open(answers, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["student", "id", "answer", "wrt"])
        out.writerows(rows)
    code, _, err = run_cli("grade", folder / "first", answers, "-o", tmp_path / "report.csv",
                           "--totals", tmp_path / "totals.csv")
    assert (code, err) == (0, "")
    with open(tmp_path / "report.csv", newline="") as handle:
        report = list(csv.DictReader(handle))
    cells = [(r["student"], r["id"], r["wrt"], r["verdict"], r["score"], r["max"]) for r in report]
    assert cells == [("ada", "q1", "w^{(2)}_{11}", "equivalent", "2", "2"),
                     ("ada", "q3", "w^{(1)}_{11}", "equivalent", "1", "1"),
                     ("grace", "q3", "w^{(1)}_{11}", "not_equivalent", "0", "1"),
                     ("grace", "q4", "b^{(1)}_2", "equivalent", "1", "1"),
                     ("grace", "q2", "w^{(1)}_{11}", "not_equivalent", "0", "2"),
                     ("grace", "q1", "w^{(1)}_{11}", "error", "0", "1"),
                     ("ada", "q7", "", "error", "0", "1"),
                     ("ada", "q4", "b^{(1)}_{2}", "error", "0", "1")]
    assert report[2]["feedback"].endswith("This is the value of another student's variant, not of yours: "
                                          "work with the numbers on your own sheet.")
    assert "another student" not in report[1]["feedback"]
    assert report[4]["diagnosis"] == "not_expanded"
    assert report[5]["error"] == "line 7: wrt 'w^{(1)}_{11}' is not question q1's ('w^{(2)}_{11}')"
    assert report[6]["error"] == "line 8: no question 'q7' in the assignment (its ids: q1, q2, q3, q4)"
    assert report[7]["error"] == "line 9: question q4 asks for a number at your values, not a formula"
    assert (tmp_path / "totals.csv").read_text().splitlines() == ["student,score,max", "ada,3,5", "grace,1,5"]


def test_a_student_missing_from_the_manifest_is_one_error_naming_the_row(folder, run_cli, tmp_path):
    (tmp_path / "a.csv").write_text("student,id,answer\nada,q1,1\nzed,q1,1\n")
    code, out, err = run_cli("grade", folder / "first", tmp_path / "a.csv")
    assert (code, out) == (2, "")
    assert err == (f"error: {tmp_path / 'a.csv'}: line 3: student 'zed' is not in "
                   f"{folder / 'first' / 'manifest.json'}\n")


def test_the_python_api_and_its_docstring_examples(monkeypatch):
    import doctest
    import importlib

    from conftest import ROOT
    monkeypatch.chdir(ROOT)
    assert sb.assign is importlib.import_module("symbackprop.assignments.assignment").assign
    assert "assign" in sb.__all__ and "Assignment" in sb.__all__
    module = importlib.import_module("symbackprop.assignments.assignment")
    result = doctest.testmod(module, extraglobs={"sb": sb}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0


def test_one_students_submission_for_gradescope(folder, small, run_cli, tmp_path):
    q = {x.id: x for x in small.exercise.questions}
    key = variants.key_number(right_value(small.nets["grace"], q["q3"]))
    (tmp_path / "grace.csv").write_text(f"student,id,answer\ngrace,q3,{key}\ngrace,q4,0\n")
    code, out, err = run_cli("grade", folder / "first", tmp_path / "grace.csv", "-o", tmp_path / "r.json",
                             "--gradescope", tmp_path / "results.json")
    assert (code, err) == (0, "")
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 1
    assert [(t["name"], t["score"], t["max_score"]) for t in results["tests"]] == [
        ("q3: ∂C/∂w⁽¹⁾₁₁", 1, 1), ("q4: ∂C/∂b⁽¹⁾₂", 0, 1)]
    assert out.startswith("graded 2 answers: 1 equivalent, 1 not equivalent")


def test_a_recurrent_template_varies_its_matrices_and_its_steps():
    try:
        import tomllib
    except ModuleNotFoundError:         # Python 3.10
        import tomli as tomllib
    from symbackprop.assignments import specfile
    data = tomllib.loads((EXAMPLES / "rnn.toml").read_text())
    data["recurrent"]["steps"] = 2                                # two steps: a faster check
    data["point"] = {"x": data["point"]["x"][:2], "y": data["point"]["y"][:2]}
    data["exercise"] = {"seed": 5, "questions": [{"wrt": "W_{11}", "kind": "number"}],
                        "vary": {"parameters": {"min": -1, "max": 1, "step": 0.5},
                                 "inputs": {"min": -1, "max": 1, "step": 0.5}}}
    a = Assignment(data, ["ada"])
    variant = a.variants["ada"]
    written = sb.load(tomllib.loads(specfile.toml(a.variant_spec(variant))))
    assert written.values == {**a.template.values, **variant.drawn} == a.nets["ada"].values
    assert len(variant.drawn) == 4 + 2 + 2 + 2 + 1 + 2          # W, U, V, b, c and x over 2 steps
    assert written.values[written.y(2, 1)] == 0.2                 # the template's targets kept


def test_a_mini_batch_is_not_a_template():
    data = {"inputs": 1, "layers": [{"units": 1, "activation": "sigmoid", "W": [[1]], "b": [0]}],
            "points": [{"x": [1], "y": [0]}, {"x": [0], "y": [1]}],
            "exercise": {"questions": [{"wrt": "w^{(1)}_{11}"}]}}
    with pytest.raises(sb.SpecError, match=r"^spec: exercise: a template has one example \(\[point\]\), "
                                           r"not a mini-batch \(\[\[points\]\]\)$"):
        sb.load(data)
