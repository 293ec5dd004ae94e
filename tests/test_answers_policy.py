"""The grader's policy: tolerances for number answers, closed forms, credit for a named
mistake, feedback levels, the teacher's own mistakes ([[mistakes]]) and the spec's
[grading] table; and the note on answers that rely on Σ y = 1 (softmax + cross-entropy)."""

import csv
import io
from fractions import Fraction

import pytest

import symbackprop as sb
from symbackprop.answers import Policy, Tolerance, feedback
from symbackprop.answers.grade import Graded, Row, grade, parse_rows
from symbackprop.answers.verdict import Verdict

from conftest import EXAMPLES

LECTURE = EXAMPLES / "lecture.toml"
SOFTMAX = EXAMPLES / "softmax.toml"
W311 = "w^{(3)}_{11}"          # ∂C/∂w⁽³⁾₁₁ = 0.1259599105… at the spec's point
RIGHT_W311 = r"a^{(2)}_1 \sigma'(z^{(3)}_1)(a^{(3)}_1 - y_1)"

MISTAKES = '''
[grading]
credit = { sign_error = 0.5 }

[[mistakes]]
name = "input_left_out"
wrt = "w^{(3)}_{11}"
answer = "\\\\delta^{(3)}_1"
feedback = "A weight multiplies an input: where is it in your answer?"
credit = 0.25
'''


def _spec(tmp_path, extra, base=LECTURE, name="spec.toml"):
    path = tmp_path / name
    path.write_text(base.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _graded(run_cli, tmp_path, spec, rows, *options):
    answers = tmp_path / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    code, out, err = run_cli("grade", spec, answers, *options)
    assert (code, err) == (0, "")
    return [(r["verdict"], r["diagnosis"], r["score"], r["feedback"]) for r in csv.DictReader(io.StringIO(out))]


# --- tolerance ------------------------------------------------------------------------------

@pytest.mark.parametrize("options, code", [
    ((), 1),                               # 0.125: three decimals claim ±0.0005; off by 0.00096
    (("--rel-tol", "0.007"), 1),           # ±0.00088
    (("--rel-tol", "0.008"), 0),           # ±0.00101
    (("--abs-tol", "0.0009"), 1),
    (("--abs-tol", "0.001"), 0),
    (("--abs-tol", "0.0009", "--rel-tol", "0.008"), 0),   # the larger of the two
])
def test_check_number_tolerance(run_cli, options, code):
    assert run_cli("check", LECTURE, "--wrt", W311, "--answer", "0.125", *options)[0] == code


def test_a_tolerance_is_for_numbers_only(lecture):
    v = sb.check_answer(lecture, W311, r"1.001 a^{(2)}_1 \delta^{(3)}_1",
                        policy=Policy(tolerance=Tolerance(rel=0.1)))
    assert (v.verdict, v.diagnosis) == ("not_equivalent", "constant_factor")


@pytest.mark.parametrize("option, value", [("--rel-tol", "-1"), ("--abs-tol", "nan"),
                                           ("--rel-tol", "1e999"), ("--abs-tol", "1_0")])
def test_bad_tolerance_exits_2(run_cli, option, value):
    code, out, err = run_cli("check", LECTURE, "--wrt", W311, "--answer", "0.125", f"{option}={value}")
    assert (code, out, err) == (2, "", f"error: {option}: expected a number ≥ 0, got '{value}'\n")


def test_tolerance_column_absolute_or_percent_overrides_the_command(run_cli, tmp_path):
    rows = [["id", "wrt", "answer", "tolerance"],
            ["1", W311, "0.125", "1%"],
            ["2", W311, "0.125", "0.0005"],
            ["3", W311, "0.125", ""],
            ["4", W311, "0.125", " 0.001 "]]
    got = _graded(run_cli, tmp_path, LECTURE, rows)
    assert [g[:3] for g in got] == [("equivalent", "", "1"), ("not_equivalent", "", "0"),
                                    ("not_equivalent", "", "0"), ("equivalent", "", "1")]
    got = _graded(run_cli, tmp_path, LECTURE, rows, "--abs-tol", "0.01")
    assert [g[0] for g in got] == ["equivalent", "not_equivalent", "equivalent", "equivalent"]


@pytest.mark.parametrize("cell", ["abc", "-1", "1%%", "%", "inf", "nan%"])
def test_bad_tolerance_cell_names_the_row_and_writes_nothing(run_cli, tmp_path, cell):
    answers = tmp_path / "answers.csv"
    answers.write_text(f"id,wrt,answer,tolerance\n1,{W311},0.125,\n2,{W311},0.125,{cell}\n",
                       encoding="utf-8")
    report = tmp_path / "report.csv"
    code, out, err = run_cli("grade", LECTURE, answers, "-o", report)
    assert (code, out) == (2, "")
    assert err == (f"error: {answers}: line 3: tolerance: expected a number ≥ 0 (absolute) or a "
                   f"percentage such as 1% (relative), got '{cell}'\n")
    assert not report.exists()


# --- closed forms ----------------------------------------------------------------------------

def test_check_closed_refuses_an_adjoint(run_cli):
    code, out, err = run_cli("check", LECTURE, "--wrt", "b^{(1)}_2", "--answer", r"\delta^{(1)}_2",
                             "--closed")
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == (
        "  likely mistake (not_expanded): the answer names δ⁽¹⁾₂ (∂C/∂z⁽¹⁾₂), where the question "
        "asks for a closed form with no adjoint (it equals the derivative asked for)")
    assert run_cli("check", LECTURE, "--wrt", "b^{(1)}_2", "--answer", r"\delta^{(1)}_2")[0] == 0


def test_closed_accepts_an_expansion_and_judges_the_last_side(lecture):
    closed = Policy(closed=True)
    assert sb.check_answer(lecture, W311, RIGHT_W311, policy=closed).verdict == "equivalent"
    chain = r"a^{(2)}_1 \delta^{(3)}_1 = " + RIGHT_W311
    assert sb.check_answer(lecture, W311, chain, policy=closed).verdict == "equivalent"
    v = sb.check_answer(lecture, W311, r"-a^{(2)}_1 \frac{\partial C}{\partial a^{(3)}_1}", policy=closed)
    assert (v.verdict, v.diagnosis, v.unexpanded) == ("not_equivalent", "not_expanded", ("∂C/∂a⁽³⁾₁",))
    assert v.explanation == ("the answer names ∂C/∂a⁽³⁾₁, where the question asks for a closed form "
                             "with no adjoint (nor is it equal to the derivative asked for)")


def test_form_column_and_a_whole_layer(run_cli, tmp_path):
    rows = [["id", "wrt", "answer", "form"],
            ["1", "b^{(1)}_{2}", r"\delta^{(1)}_2", "closed"],
            ["2", "b^{(1)}_{2}", r"\delta^{(1)}_2", ""],
            ["3", "W^{(2)}", r"\delta^{(2)} (a^{(1)})^T", "Closed"]]
    got = _graded(run_cli, tmp_path, LECTURE, rows)
    assert got == [
        ("not_equivalent", "not_expanded", "0",
         "Write the answer out in full: it uses δ⁽¹⁾₂, which this question asks you to expand "
         "into inputs, targets, parameters and activations."),
        ("equivalent", "", "1", feedback.RIGHT),
        ("not_equivalent", "not_expanded", "0",
         "Write the answer out in full: it uses δ⁽²⁾₁, δ⁽²⁾₂, which this question asks you to "
         "expand into inputs, targets, parameters and activations.")]


def test_bad_form_cell_exits_2(run_cli, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text(f"id,wrt,answer,form\n1,{W311},0.125,expanded\n", encoding="utf-8")
    assert run_cli("grade", LECTURE, answers) == (
        2, "", f"error: {answers}: line 2: form: expected closed or an empty cell, got 'expanded'\n")


# --- credit and feedback levels --------------------------------------------------------------

CREDITED = [["id", "wrt", "answer", "points"],
            ["1", W311, r"-a^{(2)}_1 \delta^{(3)}_1", "2"],                 # sign_error
            ["2", W311, r"2 a^{(2)}_1 \delta^{(3)}_1", "1"],                # factor_two
            ["3", W311, r"a^{(2)}_1 (y_1 - a^{(3)}_1)", "1"],               # missing_sigma_prime+sign_error
            ["4", W311, RIGHT_W311, "1"]]


def test_credit_per_named_mistake(run_cli, tmp_path):
    got = _graded(run_cli, tmp_path, LECTURE, CREDITED, "--credit",
                  "sign_error=0.5, factor_two=1/4,missing_sigma_prime=0.5")
    assert [g[:3] for g in got] == [("not_equivalent", "sign_error", "1"),
                                    ("not_equivalent", "factor_two", "0.25"),
                                    ("not_equivalent", "missing_sigma_prime+sign_error", "0.25"),
                                    ("equivalent", "", "1")]
    got = _graded(run_cli, tmp_path, LECTURE, CREDITED, "--credit", "sign_error=0.5")
    assert [g[2] for g in got] == ["1", "0", "0", "1"]    # the pair: ½ × 0


@pytest.mark.parametrize("value, message", [
    ("sign_eror=0.5", "--credit: unknown mistake 'sign_eror'; did you mean sign_error?"),
    ("sign_error=1.5", "--credit sign_error: expected a number from 0 to 1, got '1.5'"),
    ("sign_error", "--credit: expected name=fraction, e.g. sign_error=0.5, got 'sign_error'"),
    ("sign_error=0.5,", "--credit: expected name=fraction, e.g. sign_error=0.5, got ''"),
])
def test_bad_credit_exits_2(run_cli, tmp_path, value, message):
    answers = tmp_path / "answers.csv"
    answers.write_text(f"id,wrt,answer\n1,{W311},0.125\n", encoding="utf-8")
    assert run_cli("grade", LECTURE, answers, "--credit", value) == (2, "", f"error: {message}\n")


def test_feedback_levels(run_cli, tmp_path):
    quiet = _graded(run_cli, tmp_path, LECTURE, CREDITED, "--feedback", "verdict")
    assert [g[3] for g in quiet] == ["Not correct."] * 3 + [feedback.RIGHT]
    named = _graded(run_cli, tmp_path, LECTURE, CREDITED, "--feedback", "diagnosis")
    assert [g[3] for g in named][:2] == [feedback.SENTENCES["sign_error"], feedback.SENTENCES["factor_two"]]


def test_diagnosis_level_leaves_out_where_the_wrong_entries_are():
    verdict = Verdict(wrt="W^{(2)}", verdict="not_equivalent", answer="", expected="",
                      entries=(3, 4), wrong_entries=["w^{(2)}_{12}"])
    graded = Graded(Row(2, "q", "W^{(2)}", "x"), verdict=verdict)
    assert feedback.feedback_for(graded) == "3 of 4 entries are right; look again at w^{(2)}_{12}."
    assert feedback.feedback_for(graded, "diagnosis") == "3 of 4 entries are right."
    assert feedback.feedback_for(graded, "verdict") == "Not correct."


# --- the teacher's own mistakes and the spec's [grading] -------------------------------------

def test_teachers_mistake_in_check_and_grade(run_cli, tmp_path):
    spec = _spec(tmp_path, MISTAKES)
    code, out, _ = run_cli("check", spec, "--wrt", W311, "--answer", r"\delta^{(3)}_1")
    assert code == 1
    assert out.splitlines()[-1] == ("  likely mistake (input_left_out): A weight multiplies an "
                                    "input: where is it in your answer?")
    rows = [["id", "wrt", "answer"],
            ["1", W311, r"\delta^{(3)}_1"],
            ["2", W311, r"-a^{(2)}_1 \delta^{(3)}_1"],
            ["3", "w^{(3)}_{12}", r"\delta^{(3)}_1"]]         # another question: not this mistake
    got = _graded(run_cli, tmp_path, spec, rows)
    assert got[:2] == [("not_equivalent", "input_left_out", "0.25",
                        "A weight multiplies an input: where is it in your answer?"),
                       ("not_equivalent", "sign_error", "0.5", feedback.SENTENCES["sign_error"])]
    assert got[2][1] != "input_left_out"
    got = _graded(run_cli, tmp_path, spec, rows, "--credit", "input_left_out=1/3,sign_error=0")
    assert [g[2] for g in got[:2]] == ["0.3333", "0"]


@pytest.mark.parametrize("extra, message", [
    ('\n[[mistakes]]\nname = "m"\nwrt = "w^{(3)}_{11}"\nanswer = "\\\\delta^{(3)}_1 +"\nfeedback = "f"\n',
     "mistakes[1].answer: column 17: the answer ends where an expression was expected"),
    ('\n[[mistakes]]\nname = "m"\nwrt = "w^{(3)}_{11}"\nanswer = "a^{(2)}_1 \\\\delta^{(3)}_1"\nfeedback = "f"\n',
     "mistakes[1].answer: equals the right answer ∂C/∂w⁽³⁾₁₁; a mistake must differ from it"),
    ('\n[[mistakes]]\nname = "m"\nwrt = "w_9"\nanswer = "1"\nfeedback = "f"\n',
     "mistakes[1].wrt: unknown name 'w_9'"),
    ('\n[[mistakes]]\nname = "sign_error"\nwrt = "w_1"\nanswer = "1"\nfeedback = "f"\n',
     "mistakes[1].name: sign_error is a mistake the checker names itself; choose another name"),
    ('\n[[mistakes]]\nname = "m"\nwrt = "w_1"\nanswer = "1"\n',
     "mistakes[1].feedback: missing"),
    ('\n[[mistakes]]\nname = "m"\nwrt = "w_1"\nanswer = "1"\nfeedback = "f"\ncredit = 2\n',
     "mistakes[1].credit: expected a number from 0 to 1, got 2"),
    ('\n[[mistakes]]\nname = "m"\nwrt = "w_1"\nanswer = "1"\nfeedback = "f"\nhint = "h"\n',
     "mistakes[1].hint: unknown field; expected one of: name, wrt, answer, feedback, credit"),
    ('\n[grading]\ncredit = { sign_eror = 0.5 }\n',
     "grading.credit: unknown mistake 'sign_eror'; did you mean sign_error?"),
    ('\n[grading]\nfeedback = "none"\n',
     "grading.feedback: expected one of full, diagnosis, verdict, got 'none'"),
    ('\n[grading]\nrel_tol = -0.1\n', "grading.rel_tol: expected a number ≥ 0, got -0.1"),
    ('\n[grading]\nclosed = "yes"\n', "grading.closed: expected true or false, got 'yes'"),
])
def test_bad_grading_in_the_spec_exits_2(run_cli, tmp_path, extra, message):
    spec = _spec(tmp_path, extra)
    code, out, err = run_cli("check", spec, "--wrt", W311, "--answer", "0.125")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {spec}: {message}")


@pytest.mark.parametrize("command", [["eval"], ["derive", "--format", "text"]])
def test_bad_grading_stops_every_command_that_reads_the_spec(run_cli, tmp_path, command):
    spec = _spec(tmp_path, '\n[grading]\nfeedback = "none"\n')
    code, out, err = run_cli(command[0], spec, *command[1:])
    assert (code, out) == (2, "")
    assert err == (f"error: {spec}: grading.feedback: expected one of full, diagnosis, verdict, "
                   "got 'none'\n")


def test_the_spec_reader_keeps_the_grading_table_as_read(tmp_path):
    """The input stage reads no policy: it keeps [grading] and [[mistakes]] as plain data,
    and the loader (symbackprop.load) has answers.policy read them."""
    from symbackprop.builders import spec as reader
    path = _spec(tmp_path, '\n[grading]\nfeedback = "none"\n')
    net = reader.load(path)
    assert net.sections.tables == {"grading": {"feedback": "none"}}
    assert net.sections.where == str(path)
    assert not hasattr(net, "policy")
    with pytest.raises(sb.SymbackpropError, match="grading.feedback: expected one of"):
        sb.load(path)


def test_grading_table_sets_the_defaults_and_the_command_line_wins(run_cli, tmp_path):
    spec = _spec(tmp_path, '\n[grading]\nabs_tol = 0.001\nclosed = true\nfeedback = "verdict"\n')
    net = sb.load(spec)
    assert net.policy == Policy(tolerance=Tolerance(abs=0.001), closed=True, feedback="verdict")
    assert run_cli("check", spec, "--wrt", W311, "--answer", "0.125")[0] == 0
    assert run_cli("check", spec, "--wrt", W311, "--answer", "0.125", "--abs-tol", "0.0009")[0] == 1
    v = sb.check_answer(net, "b^{(1)}_2", r"\delta^{(1)}_2")
    assert v.diagnosis == "not_expanded"
    rows = [["id", "wrt", "answer"], ["1", W311, r"-a^{(2)}_1 \delta^{(3)}_1"]]
    assert _graded(run_cli, tmp_path, spec, rows)[0][3] == "Not correct."


def test_policy_credit_of_a_pair_is_the_product():
    policy = Policy(credit=(("sign_error", Fraction(1, 2)), ("factor_two", Fraction(1, 3))))
    assert policy.credit_for("factor_two+sign_error") == Fraction(1, 6)
    assert policy.credit_for("missing_term") == 0
    assert policy.credit_for(None) == 0


def test_rows_keep_their_tolerance_and_form():
    rows = parse_rows("id,wrt,answer,tolerance,form\n1,w_1,1,2.5%,closed\n2,w_1,1,,\n")
    assert [(r.tolerance, r.closed, r.extra) for r in rows] == [
        (Tolerance(rel=0.025), True, ()), (None, False, ())]


# --- softmax with cross-entropy: a − y needs Σ y = 1 ---------------------------------------

SUM_ONE = ("equal where the targets sum to 1, as one-hot targets do (every point compared here "
           "has Σ y = 1), not for any targets: the answer relies on Σ y = 1, as a − y for softmax "
           "with cross-entropy does; the spec's targets sum to 1")


def test_a_minus_y_is_equivalent_with_a_note():
    net = sb.load(SOFTMAX)
    v = sb.check_answer(net, "z^{(2)}_1", "a^{(2)}_1 - y_1")
    assert (v.verdict, v.diagnosis, v.explanation) == ("equivalent", None, SUM_ONE)
    assert v.describe()[-1] == "  note: " + SUM_ONE
    w = sb.check_answer(net, "w^{(2)}_{11}", "a^{(1)}_1 (a^{(2)}_1 - y_1)")
    assert (w.verdict, w.explanation) == ("equivalent", SUM_ONE)
    general = sb.check_answer(net, "z^{(2)}_1", "a^{(2)}_1 (y_1 + y_2 + y_3) - y_1")
    assert (general.verdict, general.explanation) == ("equivalent", None)


def test_a_minus_y_when_the_spec_targets_do_not_sum_to_one(tmp_path):
    spec = tmp_path / "softmax.toml"
    spec.write_text(SOFTMAX.read_text(encoding="utf-8").replace("y = [0, 0, 1]", "y = [0.2, 0.3, 0.8]"),
                    encoding="utf-8")
    v = sb.check_answer(sb.load(spec), "z^{(2)}_1", "a^{(2)}_1 - y_1")
    assert (v.verdict, v.diagnosis) == ("not_equivalent", "assumes_sum_one")
    assert v.explanation == ("the answer holds only when the targets sum to 1 (softmax with "
                             "cross-entropy gives a − y only then), and the spec's targets sum to 1.3")


def test_unknown_mistake_names_are_listed_by_the_grade_module():
    with pytest.raises(sb.SymbackpropError, match="did you mean factor_two"):
        Policy().with_options(credit=(("factor_tow", Fraction(1)),))
    assert grade(sb.load(LECTURE), []) == []


def test_every_option_of_check_and_grade_is_in_the_readme():
    from symbackprop.cli import build_parser
    from conftest import ROOT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [o for name in ("check", "grade") for a in sub.choices[name]._actions
               for o in a.option_strings if o.startswith("--") and o not in ("--help", "--output")
               and o not in readme]
    assert missing == []


def test_the_report_summary_gives_a_teachers_mistake_its_own_sentence(tmp_path):
    import json
    from symbackprop.answers.report import to_json
    net = sb.load(_spec(tmp_path, MISTAKES))
    rows = parse_rows(f"id,wrt,answer\n1,{W311},\\delta^{{(3)}}_1\n")
    summary = json.loads(to_json(grade(net, rows)))["scores"]["common_mistakes"]
    assert summary == [{"diagnosis": "input_left_out", "count": 1,
                        "feedback": "A weight multiplies an input: where is it in your answer?"}]
