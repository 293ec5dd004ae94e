"""Reading a spec's ``define`` formulas with the project's own formula reader.

The reader is the one that reads hand-derived answers (:mod:`answers.reader`: LaTeX or
plain text, a recursive descent that builds SymPy objects from tokens; nothing reaches
``eval``, ``sympify`` or ``parse_expr``). Here it reads against the names a spec has
declared so far: its inputs, targets, parameters and earlier definitions, multi-letter
names (``num``, ``den``) included; σ is the logistic sigmoid.
"""

from __future__ import annotations

from itertools import product

import sympy

from ..ops import activations
from ..notation.greek import readings
from .lexer import AnswerReadError, quote
from .names import Vocabulary, name_key


class Declared:
    """The reader's vocabulary: {written name: symbol} of what is declared so far. A spec
    declares its names one by one (:meth:`add`), so that reading N definitions reads each
    name once, not N times."""

    def __init__(self, symbols=()):
        self._keys: dict = {}
        self._loose: dict = {}
        self.symbols: list = []
        for sym in symbols:
            self.add(sym)

    def add(self, sym: sympy.Symbol) -> None:
        self.symbols.append(sym)
        key = name_key(sym.name)
        if key is None:
            return
        self._keys.setdefault(key, sym)
        self._loose.setdefault((key[0], key[1], _loose(key[2])), set()).add(sym)

    def _lookup(self, base, layer, sub):
        sym = self._keys.get((base, layer, sub))
        if sym is not None:
            return sym
        found = self._loose.get((base, layer, _loose(sub)), set())
        return next(iter(found)) if len(found) == 1 else None

    def resolve(self, written, text):
        for base, (layer, power) in product(readings(written.base), Vocabulary._layer_choices(written)):
            sym = self._lookup(base, layer, written.sub)
            if sym is not None:
                if written.primes:
                    raise AnswerReadError(f"a prime on the name {quote(written.shown(text))} means "
                                          "nothing in a definition", written.position, text)
                return sym, power
        shown = ", ".join(s.name for s in self.symbols[:12]) + (" …" if len(self.symbols) > 12 else "")
        raise AnswerReadError(f"unknown name {quote(written.shown(text))}; declared so far: {shown or 'nothing'}",
                              written.position, text)

    def partial(self, of, wrt, position, text):
        raise AnswerReadError("a definition is a formula of earlier nodes, not a derivative",
                              position, text)

    def activation_for(self, argument):
        return activations.get("sigmoid")


def _loose(sub):
    return None if sub is None else sub.replace(",", "")


def read_formula(text: str, symbols) -> sympy.Expr:
    """One formula (no ``=``) as a SymPy expression of ``symbols`` (a list, or a
    :class:`Declared` kept up to date by its caller); errors are
    :class:`~symbackprop.reading.lexer.AnswerReadError` with a position."""
    from .reader import read
    sides, _ = read(symbols if isinstance(symbols, Declared) else Declared(symbols), text)
    if len(sides) != 1:
        raise AnswerReadError("a definition has one '=': name = formula", 0, text)
    return sides[0]


def read_as_written(text: str, symbols) -> tuple | None:
    """A formula as its author wrote it, for display (:mod:`..notation.written`): (the
    unevaluated expression, {product: its factors in order}, {value: decimal as typed}),
    or None when it cannot be read that way."""
    from .reader import read, written_decimals
    factors: dict = {}
    try:
        sides, _ = read(symbols if isinstance(symbols, Declared) else Declared(symbols), text, factors=factors)
        decimals = written_decimals(text)
    except (AnswerReadError, ArithmeticError, TypeError, ValueError):
        return None
    return (sides[0], factors, decimals) if len(sides) == 1 else None


__all__ = ["Declared", "read_as_written", "read_formula"]
