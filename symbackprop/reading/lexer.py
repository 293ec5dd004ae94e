"""Tokens of a hand-written answer: the first stage of the reader.

An answer is short LaTeX (``a^{(1)}_1 \\delta^{(2)}_1``) or plain text
(``(o1 - t1)*o1*(1 - o1)*h1``). The tokenizer knows the few characters and commands
that such answers use and nothing else: any other character is an error at its
position, and commands are only *named* here (the parser decides which it knows).

Numbers are decimal (``2``, ``0.5``, ``.5``) or in scientific notation (``2e-3``,
``1.5E+2``): e or E directly after the digits, then a digit or a sign and a digit.
Otherwise e stays a name, Euler's e: ``2e``, ``2 e^{-3}``, ``2e^{-3}``, ``2e-x``.

Limits are checked before anything else, so that a 100 kB answer fails at once; messages
quote at most :data:`MAX_QUOTED` characters of the answer (:func:`quote`).

Why hand-written: every generic route from text to SymPy (``sympify``, ``parse_expr``,
``parse_latex``) either evaluates Python or misreads the notation (``w^{(2)}_{12}`` as a
power). Here text only ever becomes tokens, and tokens only ever become SymPy objects
built by the parser.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..notation import quoting as _quoting
from ..notation.accents import READ_MARKS
from ..errors import AnswerError
from ..notation.greek import COMMANDS
from ..notation.scripts import READ_SUBSCRIPT, READ_SUPERSCRIPT

#: Longest answer read, in characters.
MAX_LENGTH = 10_000
#: Longest number literal, in digits.
MAX_DIGITS = 30
#: Largest power of ten in scientific notation (``2e-3``, ``1.5E+2``).
MAX_POWER_OF_TEN = 300
#: Most characters of the user's own text that a message quotes.
MAX_QUOTED = _quoting.MAX_QUOTED


def clip(text: str, limit: int = MAX_QUOTED) -> str:
    """The user's ``text`` for a one-line message (:func:`symbackprop.notation.quoting.clip`):
    at most ``limit`` characters (then ``…``), whitespace as a space, other unprintable
    characters escaped."""
    return _quoting.clip(text, limit, spaces=True)


def quote(text: str, limit: int = MAX_QUOTED) -> str:
    """:func:`clip` in quotes, LaTeX backslashes shown once (``'\\frac{'``, not
    ``repr``'s doubled ``'\\\\frac{'``)."""
    return _quoting.quote(text, limit, spaces=True)


class AnswerReadError(AnswerError):
    """An answer cannot be read: the message says what, ``position`` (0-based offset into
    ``text``) says where. :meth:`caret` draws the line and a caret under the position.

    ``source`` names where the answer came from: None (the default) gives
    ``answer, line 2, column 19: …``; a file name gives ``FILE: line 2, column 19: …``.
    It may be set after the error is raised (:func:`verdict.check_answer` does, from its
    ``source`` argument); the message follows it."""

    def __init__(self, message: str, position: int, text: str, source: str | None = None):
        self.reason = message
        self.position = max(0, min(position, len(text)))
        self.text = text
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        if self.source is None:
            return f"answer, {self.where()}: {self.reason}"
        return f"{self.source}: {self.where()}: {self.reason}"

    def where(self) -> str:
        line, column = self.line_column()
        if "\n" in self.text:
            return f"line {line}, column {column}"
        return f"column {column}"

    def line_column(self) -> tuple[int, int]:
        before = self.text[: self.position]
        line = before.count("\n") + 1
        column = self.position - (before.rfind("\n") + 1) + 1
        return line, column

    def caret(self, width: int = 72) -> list[str]:
        """Two lines: the answer's line around the position, and a caret under it."""
        start = self.text.rfind("\n", 0, self.position) + 1
        end = self.text.find("\n", self.position)
        line = self.text[start: end if end >= 0 else len(self.text)]
        column = self.position - start
        left = max(0, column - width // 2)
        shown = line[left: left + width]
        prefix = "…" if left > 0 else ""
        suffix = "…" if left + width < len(line) else ""
        shown = "".join(ch if ch.isprintable() else " " for ch in shown)
        return ["  " + prefix + shown + suffix, "  " + " " * (len(prefix) + column - left) + "^"]


class AnswerUndecided(AnswerReadError):
    """An answer that reads in more than one way (an unbounded ∑ whose names do not agree
    on a range): its verdict is ``undecided`` with this reason, never a guess."""


class AnswerShapeError(AnswerReadError):
    """Vectors and matrices that do not fit (a 2×3 matrix times a 2-vector): the answer
    is read, and wrong (``wrong_shape``), rather than unreadable."""


@dataclass(frozen=True)
class Token:
    """``kind`` is NUM, WORD, CMD (``text`` with its backslash), or the character itself
    for operators and brackets (``+ - * / ^ _ ( ) [ ] { } ' , =``), ``**`` for the power
    of plain text, and END."""

    kind: str
    text: str
    position: int

    def show(self) -> str:
        if self.kind == "END":
            return "the end of the answer"
        return quote(self.text)


# Characters that stand for a command: the Unicode an answer pasted from notes may use.
_UNICODE = {
    "∂": r"\partial", "·": r"\cdot", "⋅": r"\cdot",
    "×": r"\times", "∗": "*", "−": "-", "–": "-", "′": "'", "″": "''", "‴": "'''",
    "∑": r"\sum", "∏": r"\prod", "⊙": r"\odot", "∘": r"\circ", "⊤": r"\top",
    "∇": r"\nabla", "≥": r"\geq", "≤": r"\leq", "≈": r"\approx",
} | COMMANDS      # and every Greek letter (Σ: see tokenize)
_SINGLE = set("+-*/^_()[]{}',=<>&")

# Unicode super- and subscripts (the tool's own text output: a⁽²⁾₁, δₕ₁): a run of them
# is read as ^{…} or _{…}.
_SUPERSCRIPTS = READ_SUPERSCRIPT
_SUBSCRIPTS = READ_SUBSCRIPT
# What may end an answer and means nothing: spacing, and then the full stop or comma of
# a sentence (``… \,.``).
_TRAILING = (r"\,", r"\;", r"\:", r"\!", r"\quad", r"\qquad", "\\ ", "~")


def _accented(chars: list, ch: str, at: int) -> bool:
    """Whether ``ch`` is an accent on an ASCII letter: ŷ whole, or the combining mark after
    the y before it. Then ``chars`` ends with the accent as a command, ``\\hat{y}``."""
    if ch in READ_MARKS:
        if not (chars and _is_letter(chars[-1][0])):
            return False
        (letter, where), mark = chars.pop(), ch
    else:
        parts = unicodedata.normalize("NFD", ch)
        if not (len(parts) == 2 and _is_letter(parts[0]) and parts[1] in READ_MARKS):
            return False
        (letter, mark), where = parts, at
    chars.extend([(c, where) for c in READ_MARKS[mark] + "{" + letter] + [("}", at)])
    return True


def _is_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def prepare(text: str) -> tuple[str, list[int]]:
    """``text`` as the tokenizer reads it, and for every character of the result the
    offset in ``text`` it came from (plus one entry for the end).

    ``%`` comments are dropped, an outer ``\\[ … \\]``, ``\\( … \\)`` or ``$$ … $$`` is
    unwrapped, one full stop or comma at the end (after any ``\\,`` spacing) is dropped,
    runs of Unicode super- and subscripts become ``^{…}`` and ``_{…}``, and a letter with
    an accent (ŷ, written whole or as y and a combining mark) ``\\hat{y}``. Nothing else
    changes, so that every error position maps back to what was typed."""
    if not isinstance(text, str):
        raise AnswerReadError(f"expected text, got {type(text).__name__}", 0, "")
    if len(text) > MAX_LENGTH:
        raise AnswerReadError(f"the answer is {len(text)} characters long; the limit is "
                              f"{MAX_LENGTH}", MAX_LENGTH, text)
    chars = _characters(text)
    start, end = _unwrapped("".join(c for c, _ in chars))
    kept = chars[start:end]
    if not kept:
        raise AnswerReadError("the answer is empty", 0, text)
    return "".join(c for c, _ in kept), [k for _, k in kept] + [len(text)]


def _characters(text: str) -> list[tuple[str, int]]:
    """(character, offset in ``text``) without ``%`` comments, with every run of Unicode
    super- or subscripts as ``^{…}`` or ``_{…}``."""
    chars: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and not (i > 0 and text[i - 1] == "\\"):
            while i < n and text[i] != "\n":
                i += 1
            continue
        for table, mark in ((_SUPERSCRIPTS, "^"), (_SUBSCRIPTS, "_")):
            if ch in table:
                j = i
                while j < n and text[j] in table:
                    j += 1
                chars += [(mark, i), ("{", i)] + [(table[text[k]], k) for k in range(i, j)]
                chars.append(("}", j - 1))
                i = j
                break
        else:
            if not _accented(chars, ch, i):
                chars.append((ch, i))
            i += 1
    return chars


def _unwrapped(body: str) -> tuple[int, int]:
    """(start, end) of ``body`` without spaces and ``$`` around it, an outer ``\\[ … \\]``
    or ``\\( … \\)``, and spacing or one full stop or comma at its end."""
    start, end = 0, len(body)

    def strip():
        nonlocal start, end
        while start < end and (body[start].isspace() or body[start] == "$"):
            start += 1
        while end > start and (body[end - 1].isspace() or body[end - 1] == "$"):
            end -= 1

    strip()
    for left, right in ((r"\[", r"\]"), (r"\(", r"\)")):
        if body.startswith(left, start) and body.endswith(right, start, end) \
                and end - start >= len(left) + len(right):
            start, end = start + len(left), end - len(right)
            strip()
            break
    stopped = False
    while end > start:
        strip()
        mark = next((m for m in _TRAILING if body.endswith(m, start, end)), None)
        if mark is not None:
            end -= len(mark)
        elif not stopped and body[end - 1] in ".," and end - start > 1 \
                and body[end - 2] != "\\":
            end -= 1
            stopped = True
        else:
            break
    return start, end


_DIGITS = set("0123456789")   # not str.isdigit, which accepts ² and other digits
# Spacing and sizing commands carry no meaning in an answer.
_IGNORED = {r"\,", r"\;", r"\:", r"\!", "\\ ", r"\quad", r"\qquad", r"\displaystyle",
            r"\textstyle", r"\left", r"\right", r"\big", r"\Big", r"\bigg", r"\Bigg",
            r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\biggl", r"\biggr", r"\Biggl",
            r"\Biggr", r"\middle", r"\limits", r"\nolimits"}


def tokenize(text: str, limit: int = MAX_LENGTH) -> list[Token]:
    """The tokens of ``text``; raises :class:`AnswerReadError` at the first problem.
    ``limit``: the longest text read (a prepared text may be longer than what was typed)."""
    if not isinstance(text, str):
        raise AnswerReadError(f"expected text, got {type(text).__name__}", 0, "")
    if len(text) > limit:
        raise AnswerReadError(f"the answer is {len(text)} characters long; the limit is "
                              f"{MAX_LENGTH}", MAX_LENGTH, text)
    if not text.strip() or not text.replace("$", "").strip():
        raise AnswerReadError("the answer is empty", 0, text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in "$~":
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = _number_end(text, i)
            tokens.append(Token("NUM", text[i:j], i))
            i = j
        elif ch.isascii() and ch.isalpha():
            j = i
            while j < n and text[j].isascii() and text[j].isalnum():
                j += 1
            tokens.append(Token("WORD", text[i:j], i))
            i = j
        elif ch == "\\":
            command, j = _command(text, i)
            if command not in _IGNORED:
                tokens.append(Token("CMD", command, i))
            i = j
        elif ch == "*" and text.startswith("**", i):
            tokens.append(Token("**", "**", i))
            i += 2
        elif ch in _SINGLE:
            tokens.append(Token(ch, ch, i))
            i += 1
        elif ch == "Σ":
            tokens.append(Token("CMD", r"\sum" if _sums(text, i + 1) else r"\Sigma", i))
            i += 1
        elif ch in _UNICODE:
            for part in _unicode_tokens(_UNICODE[ch]):
                tokens.append(Token(part[0], part[1], i))
            i += 1
        elif ch == "ŷ":
            tokens += [Token("CMD", r"\hat", i), Token("WORD", "y", i)]
            i += 1
        else:
            shown = quote(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            raise AnswerReadError(f"unexpected character {shown}", i, text)
    tokens.append(Token("END", "", n))
    return tokens


def _number_end(text: str, i: int) -> int:
    """Where the number starting at ``i`` ends (digits, a decimal part, an exponent)."""
    j, n = i, len(text)
    while j < n and text[j] in _DIGITS:
        j += 1
    if j < n and text[j] == "." and j + 1 < n and text[j + 1] in _DIGITS:
        j += 1
        while j < n and text[j] in _DIGITS:
            j += 1
    if j - i > MAX_DIGITS:
        raise AnswerReadError(f"a number of more than {MAX_DIGITS} digits", i, text)
    return _scientific(text, i, j)


def _command(text: str, i: int) -> tuple[str, int]:
    """(the command starting with the backslash at ``i``, where it ends): letters, or one
    other character; ``\\left.`` and ``\\right.`` end after their invisible fence."""
    j, n = i + 1, len(text)
    while j < n and text[j].isascii() and text[j].isalpha():
        j += 1
    if j == i + 1:
        if j >= n:
            raise AnswerReadError("a backslash at the end of the answer", i, text)
        j += 1
    command = text[i:j]
    if command in (r"\left", r"\right", r"\middle") and j < n and text[j] == ".":
        j += 1
    return command, j


def _sums(text: str, j: int) -> bool:
    """Whether a Σ before ``text[j]`` is a sum: its subscript is a letter, as in Σⱼ (the
    tool's own text), Σ_j or Σ_{j=1}; Σ₁ is the name \\Sigma_1."""
    if not text.startswith("_", j):
        return False
    j += 1 + text.startswith("{", j + 1)
    return j < len(text) and text[j].isascii() and text[j].isalpha()


def _scientific(text: str, start: int, j: int) -> int:
    """The end of the number ``text[start:j]`` with its power of ten, if one follows:
    ``e``/``E`` directly after the digits, then a digit or a sign and a digit (``2e-3``,
    ``1.5E+2``). Anything else (``2e``, ``2e^{-3}``, ``2 e-3``, ``2e-x``) leaves e as a
    name (Euler's e). A power of ten above :data:`MAX_POWER_OF_TEN` is an error."""
    n = len(text)
    if j >= n or text[j] not in "eE":
        return j
    k = j + 1
    if k < n and text[k] in "+-":
        k += 1
    if k >= n or text[k] not in _DIGITS:
        return j
    digits = k
    while k < n and text[k] in _DIGITS:
        k += 1
    power = text[digits:k].lstrip("0")       # 1e-0001 is 0.1
    if len(power) > len(str(MAX_POWER_OF_TEN)) or int(power or "0") > MAX_POWER_OF_TEN:
        if text[digits - 1] == "-":
            raise AnswerReadError(f"the power of ten in {quote(text[start:k])} is too small "
                                  f"(at least -{MAX_POWER_OF_TEN})", j, text)
        raise AnswerReadError(f"the power of ten in {quote(text[start:k])} is too large "
                              f"(at most {MAX_POWER_OF_TEN})", j, text)
    return k


def _unicode_tokens(replacement: str):
    if replacement.startswith("\\"):
        return [("CMD", replacement)]
    return [(ch, ch) for ch in replacement]
