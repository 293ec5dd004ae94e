"""The one place where notations live: how every symbol of a network is written.

Names are LaTeX strings and are used verbatim everywhere: as SymPy symbol names, in
documents, and as JSON keys. Three notations are built in:

* ``layered`` (default): ``x_{k}``, ``y_{j}``, ``w^{(l)}_{jk}``, ``b^{(l)}_{j}``,
  ``z^{(l)}_{j}``, ``a^{(l)}_{j}``, ``\\delta^{(l)}_{j}``;
* ``bracket``: the same with ``^{[l]}``;
* ``lecture``: neurons numbered through the whole network (z_1 … z_n), weights
  w_1 … w_m in row-major layer order, outputs y_j and targets ŷ_j, and ∂C/∂z_n
  written out as a fraction.

Where an index reaches 10, the two indices of a weight are separated by a comma
(``w^{(1)}_{1,10}``). A spec may name weights, biases and neurons itself; those names
take precedence.
"""

from __future__ import annotations

import re

from .accents import FONTS, MARKS
from ..errors import SpecError
from .greek import LETTERS

NOTATIONS = ("layered", "bracket", "lecture")

_GREEK = [command[1:] for command in LETTERS]
#: Commands that are one symbol (Greek letters, ℓ, ′).
SYMBOLS = frozenset(_GREEK + ["ell", "prime"])
#: Commands that take one argument: accents and math fonts.
ACCENTS = frozenset(command[1:] for command in [*MARKS, *FONTS])
#: The LaTeX commands a name may use: Greek letters and accents, nothing that acts.
COMMANDS = SYMBOLS | ACCENTS
#: The whole alphabet of a name: ASCII letters and digits, these marks, and ``\\`` before a command.
PUNCTUATION = "_^{}()[],'."
MAX_NAME = 64
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_ALLOWED = _LETTERS | _DIGITS | frozenset(PUNCTUATION) | {"\\"}
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_HINT = "(letters, digits, _ ^ { } ( ) [ ] , ' and LaTeX commands; no spaces)"


class _Unreadable(Exception):
    """Why a name cannot be typeset (raised inside :class:`_Reader`)."""


def _show(name) -> str:
    """A name quoted for a one-line message: as written when it is short printable
    ASCII, else as a (shortened) Python literal."""
    if isinstance(name, str) and len(name) <= MAX_NAME and all(" " <= ch <= "~" for ch in name):
        return f"'{name}'"
    text = repr(name)
    return text if len(text) <= 40 else text[:37] + "..."


def check_name(name, where: str) -> str:
    """A user-given symbol name, checked against a whitelist: at most 64 characters of
    ASCII letters, digits, ``_ ^ { } ( ) [ ] , ' .`` and the commands in
    :data:`COMMANDS`, never ``^^`` (TeX's character-code escape, which would let any
    byte through), and typesettable in both LaTeX and MathML: every ``^``, ``_`` and
    accent has its argument, a symbol has at most one superscript (primes included)
    and one subscript, braces balance and no group is empty."""
    def bad(reason: str):
        raise SpecError(f"{where}: {_show(name)} is not a valid symbol name {_HINT}: {reason}")

    if not isinstance(name, str):
        bad(f"expected text, got {type(name).__name__}")
    if not name:
        bad("it is empty")
    if len(name) > MAX_NAME:
        bad(f"longer than {MAX_NAME} characters")
    if "^^" in name:
        bad("^^ is TeX's character-code escape")
    unknown = sorted(set(_COMMAND.findall(name)) - COMMANDS)
    if unknown or re.search(r"\\(?![A-Za-z])", name):
        what = "\\" + unknown[0] if unknown else "a backslash not followed by a letter"
        raise SpecError(f"{where}: {_show(name)} uses {what}; a name may use only Greek letters and "
                        + ", ".join("\\" + c for c in sorted(COMMANDS - set(_GREEK))))
    for ch in name:
        if ch not in _ALLOWED:
            if ch == " ":
                bad("it has a space")
            if " " < ch <= "~":
                bad(f"{ch!r} is not allowed")
            kind = f"the non-ASCII character {ch!r}" if ch.isprintable() else "a non-printing character"
            bad(f"{kind} (U+{ord(ch):04X}) is not allowed")
    if name[0] not in _LETTERS and name[0] != "\\":
        bad("it must start with a letter or a command")
    depth = 0
    for ch in name:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        raise SpecError(f"{where}: {_show(name)} has unbalanced braces")
    try:
        _Reader(name).read()
    except _Unreadable as exc:
        reason = str(exc)
    else:
        return name
    bad(reason)


class _Reader:
    """The grammar of a name, as TeX and latex2mathml both accept it::

        sequence := item+
        item     := nucleus scripts
        nucleus  := letter | digit | ( ) [ ] , . | \\symbol | \\accent argument | {sequence}
        scripts  := any order of: at most one superscript (' … ' [^arg] or ^arg)
                    and at most one subscript (_arg)
        argument := digit | \\symbol | {sequence}        (arg: also a letter)
    """

    def __init__(self, name: str):
        self.s = name
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def command(self) -> str:
        """The command at the cursor (known to be \\ and letters), and step past it."""
        cmd = _COMMAND.match(self.s, self.i).group(1)
        self.i += 1 + len(cmd)
        return cmd

    def read(self) -> None:
        self.sequence()

    def sequence(self) -> None:
        start = self.i
        while self.peek() not in ("", "}"):
            self.nucleus()
            self.scripts()
        if self.i == start:
            raise _Unreadable(f"an empty {{}} at position {start}")

    def group(self) -> None:
        self.i += 1               # the {; braces are known to balance
        self.sequence()
        self.i += 1               # the }

    def nucleus(self) -> None:
        ch = self.peek()
        if ch == "{":
            self.group()
        elif ch == "\\":
            at = self.i + 1
            cmd = self.command()
            if cmd in ACCENTS:
                self.argument(f"\\{cmd} at position {at}", letters=False)
        elif ch in "^_'":
            raise _Unreadable(f"{ch!r} at position {self.i + 1} has no symbol before it")
        else:
            self.i += 1           # a letter, digit or ( ) [ ] , .

    def argument(self, what: str, *, letters: bool) -> None:
        ch = self.peek()
        if ch == "{":
            self.group()
        elif ch in _DIGITS or (letters and ch in _LETTERS):
            self.i += 1
        elif ch == "\\" and _COMMAND.match(self.s, self.i).group(1) in SYMBOLS:
            self.command()
        else:
            needs = "a letter, a digit" if letters else "a digit"
            raise _Unreadable(f"{what} needs {needs}, a Greek letter or a {{group}} after it")

    def scripts(self) -> None:
        sup = sub = False
        while self.peek() in ("^", "_", "'"):
            ch, at = self.peek(), self.i + 1
            if ch == "_":
                if sub:
                    raise _Unreadable(f"a second subscript at position {at} (TeX's double subscript)")
                self.i += 1
                self.argument(f"'_' at position {at}", letters=True)
                sub = True
                continue
            if sup:
                raise _Unreadable(f"a second superscript at position {at} (TeX's double superscript; "
                                  "primes count as one)")
            sup = True
            while self.peek() == "'":
                self.i += 1
            if self.peek() == "^":     # x'^2: the primes and the power are one superscript
                at = self.i + 1
                self.i += 1
                self.argument(f"'^' at position {at}", letters=True)


def indices(*ks: int) -> str:
    """``11`` for (1, 1); ``1,10`` once an index reaches 10."""
    sep = "," if any(k >= 10 for k in ks) else ""
    return sep.join(str(k) for k in ks)


def partial(of: str, wrt: str) -> str:
    return r"\frac{\partial %s}{\partial %s}" % (of, wrt)


def _name_list(names, where: str, n: int) -> list:
    """A list of n user-given names, each through :func:`check_name` (``where[i]``, 1-based)."""
    if isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple)):
        raise SpecError(f"{where}: expected a list of {n} names, got {_show(names)}")
    if len(names) != n:
        raise SpecError(f"{where}: expected {n} names, got {len(names)}")
    return [check_name(v, f"{where}[{i}]") for i, v in enumerate(names, start=1)]


def _custom_names(custom, sizes) -> dict:
    """A network's own names (``{layer: {"weights": rows, "biases": …, "neurons": …}}``),
    every one checked: Python builders reach here without the spec reader."""
    if not isinstance(custom, dict):
        raise SpecError(f"names: expected a dict from layer number to that layer's names, got {_show(custom)}")
    out = {}
    L = len(sizes) - 1
    for l, own in custom.items():
        if isinstance(l, bool) or not isinstance(l, int) or not 1 <= l <= L:
            raise SpecError(f"names: {_show(l)} is not a layer number (1 … {L})")
        if not isinstance(own, dict):
            raise SpecError(f"names[{l}]: expected a dict with weights, biases or neurons, got {_show(own)}")
        own = dict(own)
        where = f"names[{l}]"
        if own.get("weights"):
            rows = own["weights"]
            if isinstance(rows, (str, bytes)) or not isinstance(rows, (list, tuple)) or len(rows) != sizes[l]:
                raise SpecError(f"{where}.weights: expected {sizes[l]} rows (one per unit) of {sizes[l - 1]} names")
            own["weights"] = [_name_list(row, f"{where}.weights[{j}]", sizes[l - 1])
                              for j, row in enumerate(rows, start=1)]
        for key in ("biases", "neurons"):
            if own.get(key):
                own[key] = _name_list(own[key], f"{where}.{key}", sizes[l])
        out[l] = own
    return out


class Notation:
    """Names for one network. ``sizes`` includes the input layer; ``custom[l]`` holds a
    layer's own names: ``weights`` (rows × columns), ``biases``, ``neurons``."""

    def __init__(self, style: str, sizes, *, inputs=None, targets=None, custom=None):
        if style not in NOTATIONS:
            raise SpecError(f"unknown notation {style!r}; expected one of: {', '.join(NOTATIONS)}")
        self.style = style
        self.sizes = tuple(sizes)
        self.L = len(self.sizes) - 1
        self._inputs = _name_list(inputs, "inputs", self.sizes[0]) if inputs else None
        self._targets = _name_list(targets, "targets", self.sizes[-1]) if targets else None
        self._custom = _custom_names(custom or {}, self.sizes)
        self._first = [0, 0]
        for n in self.sizes[1:]:
            self._first.append(self._first[-1] + n)
        self._first_weight = [0, 0]
        for l in range(1, self.L + 1):
            self._first_weight.append(self._first_weight[-1] + self.sizes[l] * self.sizes[l - 1])

    def _layer(self, l: int) -> str:
        return "^{[%d]}" % l if self.style == "bracket" else "^{(%d)}" % l

    def _own(self, l: int, key: str):
        return self._custom.get(l, {}).get(key)

    def x(self, k: int) -> str:
        if self._inputs:
            return self._inputs[k - 1]
        return "x_{%d}" % k

    def y(self, j: int) -> str:
        if self._targets:
            return self._targets[j - 1]
        if self.style == "lecture":
            return r"\hat{y}_{%d}" % j
        return "y_{%d}" % j

    def w(self, l: int, j: int, k: int) -> str:
        own = self._own(l, "weights")
        if own:
            return own[j - 1][k - 1]
        if self.style == "lecture":
            return "w_{%d}" % (self._first_weight[l] + (j - 1) * self.sizes[l - 1] + k)
        return "w%s_{%s}" % (self._layer(l), indices(j, k))

    def b(self, l: int, j: int) -> str:
        own = self._own(l, "biases")
        if own:
            return own[j - 1]
        if self.style == "lecture":
            return "b_{%d}" % (self._first[l] + j)
        return "b%s_{%d}" % (self._layer(l), j)

    def a(self, l: int, j: int) -> str:
        if l == 0:
            return self.x(j)
        own = self._own(l, "neurons")
        if own:
            return own[j - 1]
        if self.style == "lecture":
            return "y_{%d}" % j if l == self.L else "a_{%d}" % (self._first[l] + j)
        return "a%s_{%d}" % (self._layer(l), j)

    def z(self, l: int, j: int) -> str:
        own = self._own(l, "neurons")
        if own:
            return "z_{%s}" % own[j - 1]
        if self.style == "lecture":
            return "z_{%d}" % (self._first[l] + j)
        return "z%s_{%d}" % (self._layer(l), j)

    def delta(self, l: int, j: int) -> str:
        own = self._own(l, "neurons")
        if own:
            return r"\delta_{%s}" % own[j - 1]
        if self.style == "lecture":
            return partial("C", self.z(l, j))
        return r"\delta%s_{%d}" % (self._layer(l), j)

    @staticmethod
    def gradient(name: str) -> str:
        """The name of ∂C/∂(name)."""
        return partial("C", name)
