"""Equivalence of an answer with the derived formula: numerically always, symbolically
where SymPy can.

The answer is evaluated at every point of the :class:`~reference.Reference` (the spec's
point and seeded random points, away from ReLU kinks). Values agree when
``|answer − expected| ≤ ATOL + RTOL·max(|answer|, |expected|)``. A disagreement in floats
is confirmed in mpmath at 40 digits before it counts, so round-off can never make a
right answer wrong; a confirmed disagreement is a counterexample, and a counterexample is
a proof of inequality. Agreement at every usable point (at least :data:`MIN_POINTS`)
makes the answer equivalent; the symbolic proof (:mod:`symbolic`) is attempted too and
reported, and decides when too few points are usable. Otherwise the verdict is
undecided, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath

from ..notation.numerals import significant
from .evaluate import Undefined, evaluate
from .symbolic import prove_equal

RTOL = 1e-8
ATOL = 1e-11
#: Fewest usable points for a numeric verdict of equivalence.
MIN_POINTS = 8
#: Digits of the confirmation of a counterexample.
CONFIRM_DPS = 40


def close(a, e, rtol=RTOL, atol=ATOL) -> bool:
    return abs(a - e) <= atol + rtol * max(abs(a), abs(e))


@dataclass
class Comparison:
    """``verdict`` is equivalent, not_equivalent or undecided; ``values`` holds the
    answer's value at every point (None where it is undefined there)."""

    verdict: str
    values: list
    points: int
    counterexample: dict | None = None
    reason: str | None = None
    symbolic: bool | None = None


def values_at_points(reference, expr) -> list:
    out = []
    for point in reference.points:
        try:
            out.append(evaluate(expr, point.values))
        except Undefined:
            out.append(None)
    return out


def counterexample(reference, target, index, answer_value) -> dict:
    point = reference.points[index]
    return {"point": {s.name: float(v) for s, v in point.leaves.items()},
            "where": point.label,
            "answer": float(answer_value), "expected": float(target.values[index])}


def _confirmed(reference, target, answer, index) -> bool:
    """Whether a float disagreement at point ``index`` holds at 40 digits."""
    with mpmath.workdps(CONFIRM_DPS):
        exact = reference.exact_values(index, CONFIRM_DPS)
        try:
            a = evaluate(answer, exact, "mp")
        except Undefined:
            return True
        e = exact[target.symbol]
        return not close(a, e, rtol=mpmath.mpf(10) ** -25, atol=mpmath.mpf(10) ** -30)


def compare(reference, target, answer, *, symbolic: bool = True) -> Comparison:
    """Compare ``answer`` (a SymPy expression in network symbols) with ``target``."""
    values = values_at_points(reference, answer)
    usable = [i for i, v in enumerate(values) if v is not None]
    for i in usable:
        if not close(values[i], target.values[i]) and _confirmed(reference, target, answer, i):
            return Comparison("not_equivalent", values, len(usable),
                              counterexample(reference, target, i, values[i]))
    proved = prove_equal(reference, answer, target) if symbolic or len(usable) < MIN_POINTS else None
    if len(usable) >= MIN_POINTS:
        return Comparison("equivalent", values, len(usable), symbolic=proved)
    if proved:
        return Comparison("equivalent", values, len(usable), symbolic=True)
    total = len(values)
    reason = (f"the answer can be evaluated at only {len(usable)} of {total} points "
              f"(it is undefined or at a kink elsewhere), and SymPy could not prove it equal")
    return Comparison("undecided", values, len(usable), reason=reason, symbolic=proved)


#: A number written with more digits than this relative precision is compared to it:
#: the reference is a float64 value, whose last digits depend on the order of its sums.
WRITTEN_FLOOR = 1e-13


def apart(answer: float, expected: float, digits: int) -> tuple[str, str]:
    """Two numbers shown with ``digits`` significant digits, or more (up to 17) until
    they read differently when they differ."""
    for n in range(digits, 18):
        a, e = significant(answer, n), significant(expected, n)
        if a != e or answer == expected:
            return a, e
    return a, e


def shown(c: dict, digits: int) -> tuple[str, str]:
    """A counterexample's answer and expected value as text: a number answer as the
    student wrote it, the expected value to as many digits as that number claims (so
    that ``0.12596000000000000000`` is seen to differ from 0.1259599105376537)."""
    written = c.get("written")
    if written is None:
        return apart(c["answer"], c["expected"], digits)
    expected, tolerance = c["expected"], c["tolerance"]
    scale = abs(expected) or abs(c["answer"]) or 1.0
    n = digits if tolerance <= 0 else int(math.ceil(-math.log10(tolerance / scale))) + 1
    return written, significant(expected, min(max(n, digits), 17))


def half_unit(literal: str):
    """Half a unit in the last place of a decimal as written (``0.12596`` → 5·10⁻⁶,
    ``1.26e-1``, ``126e-3`` and ``1.26 \\times 10^{-1}`` → 5·10⁻³), as a Fraction; None
    for a whole number, which is exact."""
    from fractions import Fraction
    mantissa, _, times_ten = literal.lstrip("+-").partition(" ")   # 1.26 \times 10^{-1}
    mantissa, _, power = mantissa.lower().partition("e")
    if times_ten:
        power = times_ten.partition("^")[2].strip("{}")
    if "." not in mantissa and int(power or 0) >= 0:
        return None
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return Fraction(1, 2) * Fraction(10) ** (int(power or 0) - decimals)


def spec_point(reference):
    """The index of the spec's own point among the reference's points, or None."""
    for i, point in enumerate(reference.points):
        if point.label == "the spec's point":
            return i
    return None


def compare_number(reference, target, value, literal: str | None, tolerance=None) -> Comparison:
    """A number answer: compared with the value at the spec's point, to the precision
    written (``0.12596`` for 0.1259599…, within half a unit of its last digit, but never
    closer than :data:`WRITTEN_FLOOR` relative: ``0.12595991053765374000`` is the float
    0.1259599105376537 copied out and padded, not a claim float64 can check), or
    exactly (within :func:`close`) for a whole number or a fraction; or within the
    teacher's ``tolerance`` (a :class:`policy.Tolerance`) when one is set. A spec without a
    point of its own (or with its point at a kink) compares it everywhere, as a formula."""
    index = spec_point(reference)
    if index is None:       # no point of its own: the number must hold everywhere
        return compare(reference, target, value, symbolic=False)
    try:
        answer = evaluate(value, reference.points[index].values)
    except Undefined as exc:
        return Comparison("undecided", [], 0, reason=f"the number cannot be evaluated: {exc}")
    ok, width = _within(answer, target.values[index], literal, tolerance)
    values = [None] * len(reference.points)
    values[index] = answer
    if ok:
        return Comparison("equivalent", values, 1)
    found = counterexample(reference, target, index, answer)
    if literal is not None and width is not None and value.is_Number:
        found.update(written=literal, tolerance=width)
    return Comparison("not_equivalent", values, 1, found)


def _within(answer: float, expected: float, literal: str | None, tolerance) -> tuple:
    """(whether a number answer holds, the absolute width it was judged with or None):
    the teacher's tolerance, else half a unit of the last digit written, else exactly."""
    if tolerance is not None:
        return tolerance.allows(answer, expected), tolerance.width(expected)
    width = half_unit(literal) if literal is not None else None
    if width is None:
        return close(answer, expected), None
    width = max(float(width), WRITTEN_FLOOR * max(abs(answer), abs(expected)))
    return abs(answer - expected) <= width * (1 + 1e-9) + 1e-300, width
