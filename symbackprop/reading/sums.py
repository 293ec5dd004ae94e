"""Sums and products in an answer: ``\\sum_k …``, ``\\sum_{k=1}^{n} …``, ``\\prod``.

The summand is the rest of the term (``\\sum_k w_{k1} δ_k + b`` sums w·δ only) and is read
once per value of the index, with the index replaced in every script it appears in, with
its arithmetic (``w^{(3)}_{k1}`` is w⁽³⁾₁₁, then w⁽³⁾₂₁; ``h^{(t-1)}_1`` for t = 3 is h⁽²⁾₁;
:func:`names.indexed`). Without an upper bound (or with a named one, ``n``) the index runs from the lower bound as far as every name that uses it exists: the
range is probed by reading the summand for k = 1, 2, … and counting the names found and
missing. Names that disagree (``\\sum_k x_k w_{k1}`` with three x's and two w's) make
the answer :class:`~lexer.AnswerUndecided`, never a guess. Every read counts towards
:data:`MAX_WORK`, so that nested sums cannot make the reader work for long.
"""

from __future__ import annotations

import sympy

from .lexer import AnswerUndecided
from . import matrices

#: Largest index value an unbounded \\sum may range to.
MAX_INDEX = 10_000
#: Most tokens read while expanding sums and products (a sum reads its summand once per term).
MAX_WORK = 200_000
_BIG = {r"\sum": "sum", r"\prod": "product"}


class Sums:
    """The part of :class:`reader.Reader` that reads sums and products."""

    def big(self, command: str):
        """\\sum_k …, \\sum_{k=1}^{n} …, \\prod: the summand is the rest of the term."""
        tok = self.peek
        self.i += 1
        what = _BIG[command]
        if self.peek.kind != "_":
            raise self.error(f"{command} needs its index below it, as in {command}_k or "
                             f"{command}_{{k=1}}^{{n}}", tok.position)
        self.i += 1
        index, low = self._index(command)
        high = None
        if self.peek.kind == "^":
            self.i += 1
            high = self._bound(command)
        if index in self.bindings:
            raise self.error(f"the index {index} is already the index of an outer sum",
                             tok.position)
        start = self.i
        if not self._starts_atom(self.peek) and self.peek.kind not in ("+", "-"):
            raise self.error(f"expected the {'summand' if what == 'sum' else 'factor'} of {command}")
        if high is None:
            values = self._range(index, low, start, tok)
        else:
            if high < low:
                raise self.error(f"{command}: the upper bound {high} is below the lower bound {low}",
                                 tok.position)
            values = range(low, high + 1)
        if high is not None and high - low >= MAX_INDEX or len(values) > MAX_INDEX:
            raise self.error(f"{command} over more than {MAX_INDEX} values", tok.position)
        parts = []
        for v in values:
            self.i = start
            self.bindings[index] = v
            parts.append(self.finished(self.summand(), tok.position))
        self.bindings.pop(index, None)
        if any(matrices.is_matrix(p) for p in parts):
            raise self.error(f"{command} of vectors or matrices: write the entries", tok.position)
        return sympy.Add(*parts) if what == "sum" else sympy.Mul(*parts)

    def summand(self):
        begin = self.i
        value = self.product()
        self.work += self.i - begin + 1
        if self.work > MAX_WORK:
            raise self.error(f"the sums expand to more than {MAX_WORK} tokens")
        return value

    def _index(self, command):
        t = self.tokens
        braced = t[self.i].kind == "{"
        j = self.i + 1 if braced else self.i
        if t[j].kind != "WORD" or len(t[j].text) != 1:
            raise self.error(f"{command}: the index is one letter, as in {command}_k or "
                             f"{command}_{{k=1}}^{{n}}", t[j].position)
        index, low = t[j].text, 1
        j += 1
        if braced and t[j].kind == "=":
            if t[j + 1].kind != "NUM" or not t[j + 1].text.isdigit():
                raise self.error(f"{command}: the lower bound must be a whole number, as in "
                                 f"{command}_{{k=1}}", t[j + 1].position)
            low = int(t[j + 1].text)
            j += 2
        if braced:
            if t[j].kind != "}":
                raise self.error(f"{command}: only an index and its lower bound may stand below it, "
                                 f"as in {command}_{{k=1}}", t[j].position)
            j += 1
        self.i = j
        return index, low

    def _bound(self, command):
        """The upper bound: a number, or a name (n, N, n_l …) meaning 'as far as the
        names go' (None)."""
        t = self.tokens
        if t[self.i].kind == "NUM" and t[self.i].text.isdigit():
            self.i += 1
            return int(t[self.i - 1].text)
        if t[self.i].kind == "{":
            depth, j = 1, self.i + 1
            while depth and t[j].kind != "END":
                depth += {"{": 1, "}": -1}.get(t[j].kind, 0)
                j += 1
            inner = t[self.i + 1:j - 1]
            self.i = j
            if len(inner) == 1 and inner[0].kind == "NUM" and inner[0].text.isdigit():
                return int(inner[0].text)
            return None
        if t[self.i].kind == "WORD":
            self.i += 1
            return None
        raise self.error(f"{command}: expected the upper bound after ^")

    def _range(self, index, low, start, tok):
        """The values of an unbounded index: as far as every indexed name exists."""
        values = []
        v = low
        while v <= MAX_INDEX:
            self.probing[index] = [0, 0]
            self.bindings[index] = v
            self.i = start
            try:
                self.summand()
            finally:
                found, missing = self.probing.pop(index)
            if found == 0 and missing == 0:
                raise self.error(f"the index {index} of the sum appears in no name after it",
                                 tok.position)
            if missing:
                if found and values:
                    raise AnswerUndecided(
                        f"the range of {index} is ambiguous: with {index} = {v} some of its names "
                        f"exist and others do not; give the bounds, as in "
                        f"\\sum_{{{index}={low}}}^{{{v - 1}}}", tok.position, self.text)
                break
            values.append(v)
            v += 1
        if not values:
            self.bindings[index] = low
            self.i = start
            self.summand()          # raises the unknown name
            raise self.error(f"no value of {index} names what follows", tok.position)
        self.bindings.pop(index, None)
        return values
