"""The checks on a built variant (see :mod:`.variants`): the three-way check, the key
judged right, and every known mistake judged otherwise than the right answer."""

from __future__ import annotations

from fractions import Fraction

import sympy

from ..answers.compare import compare_number, spec_point
from ..answers.diagnose import mistakes, other_gradients
from ..answers.reference import reference
from ..answers.verdict import resolve_wrt
from .variants import key_number


def target_of(net, question):
    ref = reference(net)
    return ref, ref.target(resolve_wrt(ref, question.wrt))


def right_value(net, question) -> float:
    """∂C/∂(wrt) at the variant's own values."""
    ref, target = target_of(net, question)
    return target.values[spec_point(ref)]


def judged(ref, target, number: str, tolerance) -> str:
    """The verdict a number answer written as ``number`` gets (the grader's own rule)."""
    return compare_number(ref, target, sympy.Rational(Fraction(number)), number, tolerance).verdict


def problem(net, exercise) -> str | None:
    """What fails on this variant (the first found), or None."""
    for q in exercise.questions:
        ref, target = target_of(net, q)
        at = spec_point(ref)
        if at is None:
            return "its values put an activation's input at a kink"
        key = key_number(target.values[at])
        if judged(ref, target, key, q.tolerance) != "equivalent":
            return f"{q.id}: the key {key} is not judged right"
        if q.kind != "number":
            continue        # a formula's mistakes differ at the compared points (diagnose)
        for m in mistakes(ref, target) + other_gradients(ref, target, False):
            value = m.values[at]
            if value is not None and judged(ref, target, key_number(value), q.tolerance) == "equivalent":
                return f"{q.id}: the mistake {m.code} gives {key_number(value)}, judged right"
    if not net.backward().check().passed:       # the slowest check, last
        return "the three-way check fails at its values"
    return None
