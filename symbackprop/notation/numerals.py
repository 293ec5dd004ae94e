"""How numbers are written: one formatter per purpose.

* :func:`short`: a value in a line of text (the ``eval`` and ``demo`` tables, a
  message, a ``repr``, a counterexample's point), to :data:`DIGITS` significant digits;
  a document writes the same digits with its own exponent and fractions
  (:func:`documents.numbers.number`);
* :func:`rough`: an error or a size estimate in a report, to 3 significant digits;
* :func:`significant`: a value to a given number of significant digits, which the
  others are (and the answer checker's values shown until they differ);
* :func:`literal`: a number in Python source, read back as the same float;
* :func:`length`: a length or coordinate in a picture (SVG, TikZ), to fixed decimals;
* :func:`points`: a grade's points (a score, a maximum), exact fractions, to at most 4 decimals.

A number the user typed is shown as written, never reformatted: the answer reader keeps
its text (``written_decimals``) and the printers' ``decimals`` setting prints it.
"""

from __future__ import annotations

from fractions import Fraction

#: Significant digits of a value in a document or a line of text.
DIGITS = 6
#: Significant digits of an error or estimate in a report.
ROUGH_DIGITS = 3
#: Most decimals of a grade's points.
POINT_DECIMALS = 4


def significant(value, digits: int) -> str:
    """``value`` (any real number) to ``digits`` significant digits: ``0.333333``, ``1e-05``;
    never ``-0``."""
    return f"{float(value) + 0.0:.{digits}g}"      # + 0.0 turns -0.0 into 0.0


def short(value) -> str:
    """A value in a line of text, to :data:`DIGITS` significant digits."""
    return significant(value, DIGITS)


def rough(value) -> str:
    """An error or a size estimate, to :data:`ROUGH_DIGITS` significant digits."""
    return significant(value, ROUGH_DIGITS)


def literal(value) -> str:
    """A number as a Python float literal (``repr``: reads back as the same float)."""
    return repr(float(value))


def length(value: float, decimals: int) -> str:
    """A length in a picture: ``decimals`` fixed decimals, trailing zeros dropped, never
    ``-0`` (``1.50`` → ``1.5``, ``-0.001`` → ``0``)."""
    text = "%.*f" % (decimals, value)
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def points(value) -> str:
    """Points (a score, a maximum) as text: an integer as is, else at most
    :data:`POINT_DECIMALS` decimals (2/3 → 0.6667)."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    unit = 10 ** POINT_DECIMALS
    rounded = round(value, POINT_DECIMALS)
    whole, rest = divmod(abs(rounded.numerator) * unit // rounded.denominator, unit)
    sign = "-" if rounded < 0 else ""
    digits = f"{rest:0{POINT_DECIMALS}d}".rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


__all__ = ["DIGITS", "POINT_DECIMALS", "ROUGH_DIGITS", "length", "literal", "points", "rough", "short",
           "significant"]
