"""Reading a number written as text into an exact Fraction, safely.

Only ASCII decimal numbers are read: ``"1/3"``, ``"-0.25"``, ``".5"``, ``"2e-3"``,
``"1e308"``. Python's ``Fraction`` also accepts other scripts' digits (``"１"``,
``"١/٣"``) and underscores (``"1_000"``); those are not numbers in a spec. And
``Fraction("1e-99999999")`` builds a hundred-million-digit integer before anything can
check it; here the exponent is bounded first. Text is only ever read as a number, never
evaluated.
"""

from __future__ import annotations

import re
from fractions import Fraction

MAX_LENGTH = 100
#: Largest power of ten read (``1e308``, the largest a float holds, and room for
#: ``0.001e310`` or a tiny ``1e-400``).
MAX_EXPONENT = 400

#: A number as text, ASCII only: a fraction p/q, or a decimal with an optional exponent.
NUMBER = re.compile(r"[+-]?(?:[0-9]+/[0-9]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?)",
                    re.ASCII)
_SPACE = " \t\r\n\f\v"


def parse_fraction(text: str) -> Fraction | None:
    """``"1/3"``, ``"0.25"``, ``"2e-3"`` as a Fraction; None when the text is not such a
    number (ASCII digits only, no underscores), is longer than MAX_LENGTH, or has a
    power of ten above MAX_EXPONENT."""
    text = text.strip(_SPACE)
    if not text or len(text) > MAX_LENGTH:
        return None
    match = NUMBER.fullmatch(text)
    if match is None:
        return None
    if match.group(1) is not None and abs(int(match.group(1))) > MAX_EXPONENT:
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def exponent_too_large(text: str) -> int | None:
    """The power of ten of a number written as text whose exponent is beyond
    MAX_EXPONENT (``"1e5000"`` → 5000), else None."""
    text = text.strip(_SPACE)
    match = NUMBER.fullmatch(text) if len(text) <= MAX_LENGTH else None
    if match is None or match.group(1) is None or abs(int(match.group(1))) <= MAX_EXPONENT:
        return None
    return int(match.group(1))
