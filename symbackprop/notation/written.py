"""A definition printed as its author wrote it: ``σ(w_z x + u_z h₀ + b_z)``, not SymPy's
``σ(b_z + h₀ u_z + w_z x)``; ``\\frac{1}{2} (h₁ − y)²``, not ``(h₁ − y)²/2``. The reader
gives the formula unevaluated (a sum keeps its terms in order) and each product's
factors in order (:func:`...reading.formula.read_as_written`); these printers write
them so. Only documents show it: the mathematics uses the evaluated formula."""

from __future__ import annotations

import sympy

from .printing import Latex, Text


def _numeral(factor):
    """A factor written as a number: 2, or 1/2 for 1/2 or 2⁻¹ (as (p, q)), else None."""
    if factor.is_Rational:
        return factor.p, factor.q
    if factor.is_Pow and factor.base.is_Integer and factor.exp == -1:
        return 1, int(factor.base)
    return None


class _Written:
    """Mixin: a product in the order its factors were written, a number in front as
    written (½, a fraction); sums keep their terms' order (``order="none"``)."""

    def __init__(self, factors: dict, settings=None):
        super().__init__({**(settings or {}), "order": "none"})
        self.factors = factors

    def _as_ordered_terms(self, expr, order=None):
        return list(expr.args)          # as typed

    def _print_Pow(self, expr):
        if expr.base is sympy.E:                # e^{…} as the exponential it stands for
            return self._print(sympy.exp(expr.exp))
        return super()._print_Pow(expr)

    def _print_Mul(self, expr):
        written = self.factors.get(expr)
        first = expr.args[0]
        if written is None and first.is_Number and first < 0:    # −2 y w: the product 2 y w, negated
            rest = expr.args[1:] if first == -1 else (-first,) + expr.args[1:]
            inner = self.factors.get(sympy.Mul(*rest, evaluate=False))
            written = None if inner is None else (sympy.S.NegativeOne,) + inner
        if written is None or any(f.is_Pow and f.exp.is_negative and _numeral(f) is None for f in written):
            return super()._print_Mul(expr)     # a quotient: SymPy's fraction
        if written[0] == -1 and len(written) > 1:
            return "-" + (" " if isinstance(self, Latex) else "") + self._join(written[1:])
        return self._join(written)


class WrittenLatex(_Written, Latex):
    def _join(self, factors) -> str:
        parts = []
        for f in factors:
            n = _numeral(f)
            if n is not None:
                decimal = self._settings["decimals"].get(sympy.Rational(*n))
                parts.append(decimal or (str(n[0]) if n[1] == 1 else r"\frac{%d}{%d}" % n))
            else:
                parts.append(self.parenthesize(f, 50 - 1, strict=False) if not f.is_Add
                             else r"\left(%s\right)" % self._print(f))
        joined = parts[0]
        for prev, part in zip(factors, parts[1:]):
            joined += (r" \cdot " if part[:1].isdigit() else " ") + part
        return joined


class WrittenText(_Written, Text):
    def _join(self, factors) -> str:
        parts = []
        for f in factors:
            n = _numeral(f)
            if n is not None:
                decimal = self._settings["decimals"].get(sympy.Rational(*n))
                parts.append(decimal or (str(n[0]) if n[1] == 1 else "%d/%d" % n))
            else:
                parts.append("(%s)" % self._print(f) if f.is_Add else self.parenthesize(f, 40))
        return "·".join(parts)


def evaluated(expr):
    """The written (unevaluated) formula evaluated, as SymPy would have built it."""
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return expr
    return expr.func(*[evaluated(a) for a in expr.args])


def written_latex(expr, factors: dict, decimals=None) -> str:
    return WrittenLatex(factors, {"decimals": decimals or {}}).doprint(expr)


def written_text(expr, factors: dict, decimals=None) -> str:
    return WrittenText(factors, {"decimals": decimals or {}}).doprint(expr)


__all__ = ["WrittenLatex", "WrittenText", "evaluated", "written_latex", "written_text"]
