"""What a worker process does: read an answer back as math (the preview), and check it
as ``grade`` does: on a single spec by :func:`symbackprop.answers.grade.grade_row`, on an
assignment folder by :func:`symbackprop.assignments.grading.grade_answer` (the question's
points, tolerance and form, a formula where a number is asked, another student's number
named), so the page and the batch grader give the same verdict, score and feedback.

Each job is a plain tuple and each result a plain dict, so that they cross the pipe to
the server; networks are loaded once per worker and kept.
"""

from __future__ import annotations

import os
from fractions import Fraction
from functools import lru_cache

from latex2mathml.converter import convert

from ..errors import SymbackpropError
from ..notation.numerals import points as shown_points


@lru_cache(maxsize=8)
def assignment(folder: str):
    """An assignment folder's manifest, its variants loaded by :func:`network`."""
    from ..assignments.manifest import Manifest
    return Manifest(folder, load=lambda path: network(str(path)))


@lru_cache(maxsize=64)
def network(spec: str):
    """The network of a spec, loaded once per worker, its policy's mistakes read."""
    from ..answers.policy import policy_of
    from ..answers.reference import reference
    from ..answers.verdict import prepare
    from ..loading import load
    net = load(spec)
    prepare(net, policy_of(net))
    reference(net)      # the derived formulas' values at the points: built before the first check
    return net


def warm(source: str) -> None:
    """A spec's network, or every variant of an assignment folder, loaded before the first
    check (a wrong number is compared with every other student's variant)."""
    if not os.path.isdir(source):
        network(source)
        return
    manifest = assignment(source)
    for student in manifest.students:
        manifest.net(student)


def mathml(tex: str) -> str:
    """MathML of the answer as read (display style), as the HTML documents write it."""
    try:
        return convert(tex, display="block")
    except Exception:  # latex2mathml raises assorted exceptions on what it cannot read
        return ""


def preview(spec: str, wrt: str, answer: str) -> dict:
    """``{"ok": true, "mathml", "latex"}``: each side of the answer as read; or ``{"ok":
    false, "error": the one line with its column, "column": 1-based}``. Nothing is
    compared: a preview never tells whether the answer is right."""
    from ..answers.reference import reference
    from ..answers.verdict import Layer, _vocabulary, resolve_wrt
    from ..notation.printing import latex
    from ..reading.lexer import AnswerReadError
    from ..reading.reader import read, written_decimals
    if not answer.strip():
        return {"ok": False, "error": "the answer is empty", "column": 1}
    try:
        ref = reference(network(spec))
        node = resolve_wrt(ref, wrt)
        vocabulary = _vocabulary(ref, "layers" if isinstance(node, Layer) else node)
        parts, _ = read(vocabulary, answer)
    except AnswerReadError as exc:
        return {"ok": False, "error": str(exc), "column": exc.line_column()[1],
                "line": exc.line_column()[0]}
    except SymbackpropError as exc:
        return {"ok": False, "error": str(exc), "column": None}
    decimals = written_decimals(answer)
    tex = " = ".join(latex(p, decimals=decimals) for p in parts)
    return {"ok": True, "latex": tex, "mathml": mathml(tex)}


def check(source: str, student: str, qid: str, wrt: str, answer: str, points: str, kind: str) -> dict:
    """One answer graded as ``grade SOURCE`` grades its row (``source``: a spec, or an
    assignment folder): verdict, score, feedback; for a wrong formula the point where it
    differs and its value there (never the expected value, which for a number question
    would be the answer)."""
    from ..answers.feedback import UNGRADED
    from ..answers.grade import Row, grade_row
    from ..assignments.grading import grade_answer
    row = Row(1, qid, wrt, answer, student=student, points=Fraction(points))
    try:
        if os.path.isdir(source):       # as `grade DIR` tells a folder from a spec
            graded = grade_answer(assignment(source), row)
        else:
            graded = grade_row(network(source), row)
    except SymbackpropError as exc:      # a variant that cannot be read: the teacher's to fix
        return {"verdict": "error", "feedback": UNGRADED, "error": str(exc),
                "score": "0", "max": shown_points(Fraction(points))}
    out = {"verdict": graded.outcome, "feedback": graded.feedback,
           "score": shown_points(graded.score), "max": shown_points(graded.worth)}
    v = graded.verdict
    if v is None:
        out["error"] = _without_line(graded.error or "")
        return out
    out["diagnosis"] = v.diagnosis
    out["reason"] = v.reason
    out["mathml"] = mathml(v.answer) if v.answer else ""
    c = v.counterexample
    if v.verdict == "not_equivalent" and c and kind != "number":
        from ..notation.numerals import short
        from ..notation.printing import unicode_name
        value = _number(c.get("answer"))
        out["counterexample"] = {
            "point": {k: float(x) for k, x in c["point"].items()}, "answer": value,
            "text": ", ".join(f"{unicode_name(k)} = {short(x)}" for k, x in c["point"].items()),
            "answer_text": None if value is None else short(value)}
    return out


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _without_line(error: str) -> str:
    """A grading error without the answers file's ``line 1:`` prefix."""
    return error.removeprefix("line 1: ")


#: The jobs a worker runs, by name.
JOBS = {"preview": preview, "check": check}


def run(job: tuple) -> dict:
    """One job: (name, arguments …) → its result; an error a user caused is its message."""
    name, *args = job
    try:
        return JOBS[name](*args)
    except SymbackpropError as exc:
        return {"verdict": "error", "ok": False, "error": str(exc)}
