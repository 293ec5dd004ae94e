"""Accents and math fonts: one table for the names a spec may use, the printer that writes
them in Unicode and the answer reader that reads them back.

:data:`MARKS` maps each accent command to the Unicode combining mark set after its
letter (``\\hat{y}`` is ``ŷ``, y and U+0302); a font command (``\\mathbf{x}``) prints as its
argument. :data:`READ_MARKS` reads a mark back as the first command that writes it
(``\\hat``, not ``\\widehat``).
"""

from __future__ import annotations

#: Accent command → the combining mark Unicode sets after its letter.
MARKS = {
    r"\hat": "\u0302", r"\widehat": "\u0302", r"\tilde": "\u0303", r"\widetilde": "\u0303",
    r"\bar": "\u0304", r"\overline": "\u0305", r"\breve": "\u0306", r"\dot": "\u0307",
    r"\ddot": "\u0308", r"\check": "\u030c", r"\vec": "\u20d7",
}
#: Math font commands: the letter keeps its shape in Unicode text.
FONTS = (r"\mathrm", r"\mathbf", r"\mathit", r"\mathsf", r"\mathcal", r"\mathbb", r"\boldsymbol")
#: Combining mark → the accent command it reads as.
READ_MARKS: dict = {}
for _command, _mark in MARKS.items():
    READ_MARKS.setdefault(_mark, _command)

__all__ = ["FONTS", "MARKS", "READ_MARKS"]
