"""Grading a class's answers to an assignment, each row against that student's own variant.

The answers CSV has ``student``, ``id`` (the question: ``q1`` …) and ``answer`` (``wrt``
optional: the question's is used). Each row is graded as ``grade`` grades a row
(:mod:`answers.grade`), on the student's variant spec, worth the question's points and
with its tolerance and form. A wrong number that is the right value of another student's
variant says so in its feedback (it was copied, or worked with another's numbers). A
student the manifest does not list stops the run (one error naming the row); a row with
an unknown question id, a ``wrt`` that is not its question's, or a formula where the
question asks for a number, is a row of verdict ``error``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..errors import SymbackpropError
from ..notation.quoting import quote
from .manifest import Manifest

#: The columns an assignment's answers file must have.
REQUIRED = ("student", "id", "answer")


def grade_class(directory, rows, *, policy_for, undecided, progress=None, where="answers") -> tuple:
    """(the graded rows, the assignment's title); ``policy_for(net)``: the run's policy on
    one variant (the spec's [grading] with the command line's options)."""
    from ..answers.grade import Graded, last_answers_count
    manifest = Manifest(directory)
    for row in rows:
        if row.student not in manifest.students and not row.problem:
            raise SymbackpropError(f"{where}: line {row.line}: student {quote(row.student or '')} is not in "
                                   f"{manifest.where}")
    policies = {}
    out = []
    for done, row in enumerate(rows, start=1):
        if row.student in manifest.students:
            if row.student not in policies:
                policies[row.student] = policy_for(manifest.net(row.student))
            graded = grade_answer(manifest, row, undecided=undecided, policy=policies[row.student])
        else:
            graded = Graded(row, error=row.problem)
        out.append(graded)
        if progress is not None:
            progress(done, len(rows))
    return last_answers_count(out), manifest.title


def grade_answer(manifest, row, *, undecided=None, policy=None):
    """One row of a student the manifest lists, graded on that student's variant with its
    question's points, tolerance and form (``policy``: the variant's spec's by default;
    ``undecided``: the fraction an undecided answer scores). The one route by which both
    ``grade DIR`` and the answer page (:mod:`symbackprop.serve.work`) grade a class."""
    from ..answers.grade import UNDECIDED_SCORE, grade_row
    net = manifest.net(row.student)
    row = _with_question(manifest, row, net)
    graded = grade_row(net, row, undecided=UNDECIDED_SCORE if undecided is None else undecided, policy=policy)
    graded = _number_asked(manifest, graded)
    _note_other_variant(manifest, graded)
    return graded


def _with_question(manifest, row, net):
    """The row with its question's wrt, points, tolerance and form (its own cells win for
    tolerance and form), or a problem when the id or the wrt does not fit."""
    from ..answers.grade import _resolved
    from ..answers.policy import tolerance_cell
    if row.problem:
        return row
    question = manifest.questions.get(row.id)
    if question is None:
        ids = ", ".join(manifest.questions)
        return replace(row, problem=f"line {row.line}: no question {quote(row.id)} in the assignment "
                                    f"(its ids: {ids})")
    wrt = question["wrt"]
    if row.wrt.strip() and _resolved(net, row.wrt) != _resolved(net, wrt):
        return replace(row, problem=f"line {row.line}: wrt {quote(row.wrt)} is not question "
                                    f"{row.id}'s ({quote(wrt)})")
    tolerance = row.tolerance
    if tolerance is None and "tolerance" in question:
        tolerance = tolerance_cell(str(question["tolerance"]), f"{manifest.where}: {row.id}.tolerance")
    return replace(row, wrt=row.wrt if row.wrt.strip() else wrt, points=_points(question["points"]),
                   tolerance=tolerance, closed=row.closed or question.get("form") == "closed")


def _number_asked(manifest, graded):
    """A formula given where the question asks for a number: a row of verdict ``error``."""
    from ..answers.grade import Graded
    question = manifest.questions.get(graded.row.id, {})
    expression = graded.verdict.expression if graded.verdict is not None else None
    if question.get("kind") == "number" and expression is not None and expression.free_symbols:
        return Graded(graded.row, error=f"line {graded.row.line}: question {graded.row.id} asks for a number "
                                        "at your values, not a formula", resolved=graded.resolved,
                      feedback=f"Question {graded.row.id} asks for a number: work out the value with the "
                               "numbers on your sheet.")
    return graded


def _points(value):
    from fractions import Fraction
    return Fraction(str(value))


def _note_other_variant(manifest, graded) -> None:
    """A wrong number answer that another student's variant makes right: said in the feedback."""
    verdict = graded.verdict
    if verdict is None or verdict.verdict != "not_equivalent" or verdict.expression is None:
        return
    if verdict.expression.free_symbols or not verdict.expression.is_number:
        return
    from ..answers.compare import compare_number
    from ..answers.reference import reference
    from ..answers.verdict import resolve_wrt
    literal = graded.row.answer.strip()
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", literal):
        literal = None
    tolerance = graded.row.tolerance
    for other in manifest.students:
        if other == graded.row.student:
            continue
        ref = reference(manifest.net(other))
        target = ref.target(resolve_wrt(ref, graded.row.wrt))
        if compare_number(ref, target, verdict.expression, literal, tolerance).verdict == "equivalent":
            graded.feedback = (f"{graded.feedback} This is the value of another student's variant, "
                               "not of yours: work with the numbers on your own sheet.").strip()
            return
