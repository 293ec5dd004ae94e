"""The cost registry: name → C as a SymPy expression of the outputs a_j and targets y_j.

∂C/∂a_j, the input of the reversed network, is found by differentiating this small
expression once per output; the cost never sees the rest of the network.
"""

from __future__ import annotations

from typing import Callable, Sequence

import sympy

from .errors import SpecError


class Cost:
    """One registry entry: ``fn(a, y)`` builds C from the output and target symbols.

    ``needs`` names the output range the cost requires (``"unit"``: every a_j in (0, 1),
    ``"positive"``: a_j > 0), or ``None``. ``latex`` is the formula for documents.
    ``names``: what an answer may call the cost (∂C/∂w, ∂E/∂w …), where the network has no
    node of that name.
    """

    def __init__(self, name: str, fn: Callable[[Sequence, Sequence], sympy.Expr], latex: str,
                 *, text: str | None = None, needs: str | None = None, rational: bool = False,
                 partial: Callable | None = None, names: tuple = ("C",)):
        self.name = name
        self.names = tuple(names)
        self.text = text or name  # Unicode, for terminals
        self.fn = fn
        self.partial_rule = partial
        self.latex = latex
        self.needs = needs
        self.rational = rational

    def __call__(self, a: Sequence, y: Sequence) -> sympy.Expr:
        return self.fn(list(a), list(y))

    def __repr__(self):
        return f"Cost({self.name!r})"

    def partial(self, cost: sympy.Expr, a: sympy.Symbol, y: sympy.Symbol) -> sympy.Expr:
        """∂C/∂a_j, the input of the reversed network at output j (target y_j).

        Registry costs are sums over outputs and carry their rule (½(a − y)² gives
        a − y); a custom cost is differentiated once with ``sympy.diff``.
        """
        if self.partial_rule is not None:
            return self.partial_rule(a, y)
        return sympy.factor_terms(real_diff(cost, a))

    @classmethod
    def custom(cls, name: str, fn: Callable, latex: str | None = None) -> "Cost":
        """A cost from Python: ``Cost.custom("l4", lambda a, y: sum((ai - yi)**4 for ai, yi in zip(a, y)))``."""
        probe_a = sympy.symbols("a1:3")
        probe_y = sympy.symbols("y1:3")
        try:
            expr = sympy.sympify(fn(list(probe_a), list(probe_y)), strict=True)
        except Exception as exc:  # the user's own Python callable failed
            raise SpecError(f"custom cost {name!r}: calling it on symbols failed: {exc}") from None
        rational = all(p.exp.is_Integer for p in expr.atoms(sympy.Pow)) and not expr.atoms(sympy.Function)
        return cls(name, fn, latex or r"C = \operatorname{%s}(a, y)" % name, rational=rational)


def real_diff(expr: sympy.Expr, wrt: sympy.Symbol) -> sympy.Expr:
    """``sympy.diff`` with every symbol taken as real, then renamed back: network values
    are real, and without that |a − y| differentiates into re(·) and im(·) parts."""
    return real_diffs(expr, [wrt])[0]


def real_diffs(expr: sympy.Expr, wrt) -> list:
    """:func:`real_diff` of ``expr`` by each symbol of ``wrt``; the symbols are made real
    once for all of them (on a closed-form cost that renaming costs more than a derivative)."""
    real = {s: sympy.Symbol(s.name, real=True) for s in expr.free_symbols if not s.is_real}
    back = {r: s for s, r in real.items()}
    expr = expr.xreplace(real)
    return [sympy.diff(expr, real.get(p, p)).xreplace(back) for p in wrt]


REGISTRY: dict[str, Cost] = {}


def register(cost: Cost) -> None:
    REGISTRY[cost.name] = cost


_HALF = sympy.Rational(1, 2)

register(Cost("mse", lambda a, y: _HALF * sympy.Add(*[(ai - yi) ** 2 for ai, yi in zip(a, y)]),
              r"C = \frac{1}{2} \sum_j \left(a^{(L)}_j - y_j\right)^2", text="C = ½ Σⱼ (aⱼ − yⱼ)²",
              rational=True, partial=lambda a, y: a - y, names=("C", "E", "L", "J")))
register(Cost("sse", lambda a, y: sympy.Add(*[(ai - yi) ** 2 for ai, yi in zip(a, y)]),
              r"C = \sum_j \left(a^{(L)}_j - y_j\right)^2", text="C = Σⱼ (aⱼ − yⱼ)²", rational=True,
              partial=lambda a, y: sympy.factor_terms(2 * (a - y)), names=("C", "E", "L", "J")))
register(Cost("cross_entropy", lambda a, y: -sympy.Add(*[yi * sympy.log(ai) for ai, yi in zip(a, y)]),
              r"C = -\sum_j y_j \ln a^{(L)}_j", text="C = −Σⱼ yⱼ ln aⱼ", needs="positive",
              partial=lambda a, y: -y / a, names=("C", "L", "J")))
register(Cost("binary_cross_entropy",
              lambda a, y: -sympy.Add(*[yi * sympy.log(ai) + (1 - yi) * sympy.log(1 - ai)
                                        for ai, yi in zip(a, y)]),
              r"C = -\sum_j \left[y_j \ln a^{(L)}_j + (1 - y_j) \ln\left(1 - a^{(L)}_j\right)\right]",
              text="C = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)]", needs="unit",
              partial=lambda a, y: -y / a + (1 - y) / (1 - a), names=("C", "L", "J")))


def get(spec) -> Cost:
    if isinstance(spec, Cost):
        return spec
    if not isinstance(spec, str) or spec not in REGISTRY:
        raise SpecError(f"unknown cost {spec!r}; expected one of: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[spec]



#: Each registered cost's name in words, for prose; a cost without an entry is written
#: by its registry name.
WORDS = {"mse": "mean squared error", "sse": "sum of squared errors", "cross_entropy": "cross-entropy",
         "binary_cross_entropy": "binary cross-entropy"}


def words(cost) -> str:
    """A cost's name in words: ``mean squared error``."""
    return WORDS.get(cost.name, cost.name.replace("_", " "))
