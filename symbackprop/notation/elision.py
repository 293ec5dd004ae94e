"""Long sums shortened for the representative view of a wide network: a sum of more than
:data:`KEEP` terms is written with its first two terms, ``⋯`` and its last
(``w₁₁ a₁ + w₁₂ a₂ + ⋯ + w₁,₃₂ a₃₂``), the terms in the order of their indices. :class:`Elided` only prints: the derivation keeps every term."""

from __future__ import annotations

import sympy
from sympy.printing.precedence import PRECEDENCE

#: A sum with more terms than this is shortened.
KEEP = 6

class Elided(sympy.Expr):
    """The terms shown of a longer sum (first, second, last), printed with ``⋯`` before
    the last; ``count`` (a SymPy Integer, the last argument) is how many terms the sum has."""

    precedence = PRECEDENCE["Add"]
    is_commutative = True

    @property
    def shown(self) -> tuple:
        return self.args[:-1]

    @property
    def count(self) -> int:
        return int(self.args[-1])


def elide(expr, key, keep: int = KEEP):
    """``expr`` with every sum of more than ``keep`` terms shortened to an :class:`Elided`,
    its terms ordered by ``key`` (the caller knows the indices behind the names: ``x_{10}``
    is one index, ``w_{11}`` two)."""
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return expr
    if expr.is_Add and len(expr.args) > keep:
        terms = sorted(expr.args, key=key)
        shown = [elide(t, key, keep) for t in terms[:2] + terms[-1:]]
        return Elided(*shown, sympy.Integer(len(terms)))
    args = [elide(a, key, keep) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    return expr.func(*args, evaluate=False)


def joined(print_term, elided: Elided, dots: str) -> str:
    """``t₁ + t₂ + ⋯ + tₙ``, each term through ``print_term``, a negative one after a minus."""
    out = []
    for i, term in enumerate(elided.shown):
        if i == len(elided.shown) - 1:
            out.append("+ " + dots)
        negative = term.could_extract_minus_sign()
        body = print_term(-term if negative else term)
        out.append(("- " if negative else "+ " if i else "") + body)
    return " ".join(out)


__all__ = ["KEEP", "Elided", "elide", "joined"]
