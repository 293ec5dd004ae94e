"""Reading a number written as text into an exact Fraction, safely.

``Fraction("1e-99999999")`` builds a hundred-million-digit integer before anything can
check it; here the exponent is bounded first. Text is only ever read as a number, never
evaluated.
"""

from __future__ import annotations

import re
from fractions import Fraction

MAX_LENGTH = 100
MAX_EXPONENT = 300

_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)\s*$")


def parse_fraction(text: str) -> Fraction | None:
    """``"1/3"``, ``"0.25"``, ``"2e-3"`` as a Fraction; None when the text is not such a
    number, is longer than MAX_LENGTH, or has a power of ten above MAX_EXPONENT."""
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    exponent = _EXPONENT.search(text)
    if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
