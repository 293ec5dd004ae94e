"""Numbers as documents print them: six significant digits, fractions where exact.

Every number goes through :func:`number`, so that the same value prints the same way in
every format, and never as ``-0`` or with a platform-dependent ``repr``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from ..errors import PointError
from ..notation.numerals import DIGITS, short
from ..numeric.values import resolve_point
from ..notation.scripts import superscript
from .model import Math


def number(value) -> Math:
    """A value (Fraction, float, int, mpmath or SymPy number) as LaTeX and text."""
    if isinstance(value, (sympy.Rational,)):
        value = Fraction(int(value.p), int(value.q))
    if isinstance(value, Fraction):
        if value.denominator == 1:
            s = str(value.numerator)
            return Math(_group(s), s)
        if len(str(value.numerator)) + len(str(value.denominator)) <= 8:
            sign = "-" if value < 0 else ""
            p, q = abs(value.numerator), value.denominator
            return Math(_group(r"%s\tfrac{%d}{%d}" % (sign, p, q)), "%s%d/%d" % (sign, p, q))
    v = float(value)
    if v == 0:
        return Math("0", "0")
    if not math.isfinite(v):
        return Math(r"\text{%s}" % v, str(v))
    s = short(v)
    if "e" in s:
        mantissa, exponent = s.split("e")
        power = int(exponent)
        return Math(_group(r"%s \times 10^{%d}" % (mantissa, power)),
                    "%s×10%s" % (mantissa, superscript(power)))
    return Math(_group(s), s)


def _group(tex: str) -> str:
    """A negative number braced, so that its minus sign is unary after ``=``."""
    return "{%s}" % tex if tex.startswith("-") else tex


def bound(error: float) -> Math:
    """A tiny error as the power of ten above it (``< 10^{-15}``), stable across platforms."""
    if error == 0:
        return Math("0", "0")
    if not math.isfinite(error):
        return Math(r"\infty", "∞")
    power = math.ceil(math.log10(error))
    return Math(r"< 10^{%d}" % power, "< 10%s" % superscript(power))


__all__ = ["DIGITS", "bound", "number"]


def evaluated(derivation, point=None, check: bool = True):
    """(values, check report) for a document, or (None, None) when the spec lacks values:
    then the document stays symbolic. A point with every value that cannot be evaluated
    is an error, not a document that silently lacks its numbers. Without ``check`` the
    report is None (the numbers only)."""
    try:
        resolve_point(derivation.network, point)
    except PointError:
        return None, None
    if not check:
        return derivation.evaluate(point), None
    report = derivation.check(point)
    return report.values, report
