"""The user's text inside messages: every echoed piece is one line, control characters escaped.

A name, a key, a path, an answer or a CSV field may hold a newline (which would forge a
second ``error:`` line), an escape sequence (which a terminal would act on), a bidi
override (which reorders what is shown) or a lone surrogate (which cannot be encoded).
Every message that quotes such text goes through :func:`clip` or :func:`quote`, and the
command line passes its whole ``error:`` line through :func:`one_line` as well.

Titles are the one free text a document prints; :func:`check_title` refuses the
characters that would break a document or disguise it.
"""

from __future__ import annotations

import difflib
import unicodedata

#: Most characters of the user's own text that a message quotes.
MAX_QUOTED = 60
#: Longest title, in characters.
MAX_TITLE = 200
#: How many close matches an "unknown name" message offers.
MATCHES_SHOWN = 3


def _escaped(ch: str) -> str:
    """``\\n``, ``\\x1b``, ``\\u202e``, ``\\ud800``: the character as a Python escape."""
    code = ord(ch)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
    if named:
        return named
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clip(text, limit: int | None = MAX_QUOTED, *, spaces: bool = False) -> str:
    """``text`` for a one-line message: at most ``limit`` characters (then ``…``; None:
    no limit), every character that is not printable escaped (``\\n``, ``\\x1b``,
    ``\\u2028``, ``\\u202e``, ``\\ud800``). With ``spaces``, whitespace (a line break in
    an answer) is shown as a space instead."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(ch if ch.isprintable() else " " if spaces and ch.isspace() else _escaped(ch)
                   for ch in text)


def quote(text, limit: int | None = MAX_QUOTED, *, spaces: bool = False) -> str:
    """:func:`clip` in quotes, LaTeX backslashes shown once (``'\\frac{'``, not
    ``repr``'s doubled ``'\\\\frac{'``); double quotes when the text has a ``'``."""
    shown = clip(text, limit, spaces=spaces)
    mark = '"' if "'" in shown and '"' not in shown else "'"
    return mark + shown + mark


def one_line(message: str) -> str:
    """A whole message made one line: every unprintable character escaped (idempotent:
    an escape is printable)."""
    return clip(message, None)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes: "1 point", "3 points", "1,200 errors"."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def _forbidden(ch: str) -> str | None:
    """What makes ``ch`` unfit for a title, or None."""
    code = ord(ch)
    category = unicodedata.category(ch)
    if category == "Cs":
        return "a lone surrogate"
    if category == "Cc":
        return "a control character"
    if code in (0x2028, 0x2029):
        return "a line or paragraph separator"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return "a bidirectional override"
    return None


def check_title(title, where: str = "title", error=None):
    """``title`` (None or one line of text, at most :data:`MAX_TITLE` characters, no
    C0 or C1 control characters, no U+2028/U+2029, no bidirectional overrides or
    isolates U+202A–U+202E, U+2066–U+2069, no lone surrogates), else ``error``."""
    if error is None:
        from ..errors import SpecError as error
    if title is None:
        return None
    expected = f"expected one line of text (at most {MAX_TITLE} characters, no control characters)"
    if not isinstance(title, str):
        raise error(f"{where}: {expected}, got {type(title).__name__}")
    if not title.strip():
        raise error(f"{where}: {expected}, got an empty title")
    if len(title) > MAX_TITLE:
        raise error(f"{where}: {expected}, got {len(title):,} characters")
    for i, ch in enumerate(title, start=1):
        what = _forbidden(ch)
        if what:
            raise error(f"{where}: {expected}; character {i} is {what} (U+{ord(ch):04X})")
    return title


def close_matches(name: str, names, key=None) -> list[str]:
    """At most :data:`MATCHES_SHOWN` of ``names`` close to ``name`` (difflib), best first;
    ``key`` maps a name to the form compared (braces dropped, say)."""
    key = key or (lambda s: s)
    if len(name) > 2 * MAX_QUOTED:  # no name is that long; and difflib is quadratic
        return []
    keyed = {}
    for n in names:
        keyed.setdefault(key(n), n)
    found = difflib.get_close_matches(key(name), list(keyed), n=MATCHES_SHOWN, cutoff=0.6)
    return [keyed[k] for k in found]


def _listed(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def suggest(name: str, names, what: str = "network", key=None) -> str:
    """The tail of an "unknown name" message: ``did you mean w_{1}, w_{2} or w_{3}?``
    (close matches), else ``this network has 14 names, e.g. x_{1}, x_{2}, y_{1}``; never
    more than :data:`MATCHES_SHOWN` names, however large the network."""
    names = list(names)
    close = close_matches(name, names, key)
    if close:
        return f"did you mean {_listed(close)}?"
    if not names:
        return f"this {what} has no names yet"
    shown = ", ".join(names[:MATCHES_SHOWN])
    count = f"{len(names):,} names" if len(names) != 1 else "1 name"
    return f"this {what} has {count}, e.g. {shown}" if len(names) > MATCHES_SHOWN else f"this {what} has {count}: {shown}"
