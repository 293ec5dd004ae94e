"""The cost registry: name → C as a SymPy expression of the outputs a_j and targets y_j.

∂C/∂a_j, the input of the reversed network, is found by differentiating this small
expression once per output; the cost never sees the rest of the network. Each entry also
carries its words for prose and its lines at the output layer of exported code
(:class:`OutputCode`): adding a cost is one call to :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy

from ..errors import SpecError


@dataclass(frozen=True)
class OutputCode:
    """A cost at the output layer of exported code (one row per example), for one form of
    the output activation (:attr:`activations.Code.form`). Every string is Python code in
    which ``{a}`` is the outputs, ``{z}`` the pre-activations, ``{abar}`` 1 − a kept without
    cancellation, ``{e}`` a − y written as a difference of complements, ``{delta}`` the
    output layer's δ, ``{y_sum}`` the targets summed over each row, ``{xp}`` the array module.

    Forward, the lines ``before``, then ``C = {scale}Σ {summand}`` commented with ``note``;
    ``cache`` names what backward reads besides the layers' values. Backward, either ∂C/∂a
    as ``grad`` (δ then through f′(z) or the softmax Jacobian), or the lines ``delta`` that
    fuse ∂C/∂a with the derivative (σ′(z) = a(1 − a) cancels the 1/a of a logarithm).
    ``helpers``: the module's helpers the lines call, in order.
    """

    summand: str
    scale: str = ""
    note: str = ""
    before: tuple = ()
    cache: tuple = ()
    grad: str | None = None
    delta: tuple = ()
    helpers: tuple = ()


class Cost:
    """One registry entry: ``fn(a, y)`` builds C from the output and target symbols.

    ``needs`` names the output range the cost requires (``"unit"``: every a_j in (0, 1),
    ``"positive"``: a_j > 0), or ``None``. ``latex`` is the formula for documents.
    ``names``: what an answer may call the cost (∂C/∂w, ∂E/∂w …), where the network has no
    node of that name. ``words``: its name in prose. ``code``: form of the output activation
    → :class:`OutputCode`; a form it lacks falls back to ``"elementwise"``, and a cost
    without code is printed from its expression.
    """

    def __init__(self, name: str, fn: Callable[[Sequence, Sequence], sympy.Expr], latex: str,
                 *, text: str | None = None, needs: str | None = None, rational: bool = False,
                 partial: Callable | None = None, names: tuple = ("C",), words: str | None = None,
                 code: dict | None = None):
        self.name = name
        self.words = words or name.replace("_", " ")
        self.code = dict(code or {})
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
#: Each registered cost's name in words, for prose (kept by :func:`register`).
WORDS: dict[str, str] = {}


def register(cost: Cost) -> None:
    REGISTRY[cost.name] = cost
    WORDS[cost.name] = cost.words


_HALF = sympy.Rational(1, 2)
_COMPLEMENT = "{abar} = softmax_complement({z})  # 1 − a, without cancellation"
_DIFFERENCE = "{e} = (1 - y) * {a} - y * {abar}  # a − y, as a difference of complements"


def _squares_code(scale: str, two: str, two_text: str) -> dict:
    """Output code of ½Σ(a − y)² (``scale`` "0.5 * ") and Σ(a − y)² (``two`` "2 * ")."""
    return {
        "elementwise": OutputCode("({a} - y) ** 2", scale, grad=two + "({a} - y)"),
        "sigmoid": OutputCode("{e} ** 2", scale, before=(_DIFFERENCE,), cache=("{e}",), delta=(
            f"# ∂C/∂a = {two_text}(a − y), σ′(z) = a·(1 − a)", "{delta} = " + two + "{e} * ({a} * {abar})")),
        "softmax": OutputCode("{e} ** 2", scale, before=(_COMPLEMENT, _DIFFERENCE), cache=("{abar}", "{e}"),
                              grad=two + "{e}", helpers=("softmax_complement",)),
    }


_CROSS_ENTROPY_CODE = {
    "elementwise": OutputCode("y * {xp}.log({a})", "-", grad="(-y / {a})"),
    "sigmoid": OutputCode("y * log_sigmoid({z})", "-", helpers=("log_sigmoid",), delta=(
        "# ∂C/∂a = −y/a, σ′(z) = a·(1 − a): their product is −y·(1 − a)", "{delta} = -y * {abar}")),
    "softmax": OutputCode("y * log_softmax({z})", "-", note="ln a = log-softmax(z)", helpers=("log_softmax",), delta=(
        "# through the full Jacobian ∂a_j/∂z_k = a_j([j = k] − a_k) with ∂C/∂a_j = −y_j/a_j:",
        "# δ_k = a_k Σ_j y_j − y_k", "{delta} = {a} * {y_sum} - y")),
}

_BINARY_CROSS_ENTROPY_CODE = {
    "elementwise": OutputCode("y * {xp}.log({a}) + (1 - y) * {xp}.log(1 - {a})", "-",
                              grad="(-y / {a} + (1 - y) / (1 - {a}))"),
    "sigmoid": OutputCode("y * log_sigmoid({z}) + (1 - y) * log_sigmoid(-{z})", "-",
                          note="ln a = ln σ(z), ln(1 − a) = ln σ(−z)", helpers=("log_sigmoid",), delta=(
                              "# ∂C/∂a = −y/a + (1 − y)/(1 − a), σ′(z) = a·(1 − a): their product is a − y",
                              "{delta} = (1 - y) * {a} - y * {abar}")),
    "softmax": OutputCode("y * log_softmax({z}) + (1 - y) * log_softmax_complement({z})", "-",
                          before=(_COMPLEMENT,), cache=("{abar}",), grad="-y / {a} + (1 - y) / {abar}",
                          helpers=("softmax_complement", "log_softmax", "log_softmax_complement")),
}

register(Cost("mse", lambda a, y: _HALF * sympy.Add(*[(ai - yi) ** 2 for ai, yi in zip(a, y)]),
              r"C = \frac{1}{2} \sum_j \left(a^{(L)}_j - y_j\right)^2", text="C = ½ Σⱼ (aⱼ − yⱼ)²",
              rational=True, partial=lambda a, y: a - y, names=("C", "E", "L", "J"),
              words="mean squared error", code=_squares_code("0.5 * ", "", "")))
register(Cost("sse", lambda a, y: sympy.Add(*[(ai - yi) ** 2 for ai, yi in zip(a, y)]),
              r"C = \sum_j \left(a^{(L)}_j - y_j\right)^2", text="C = Σⱼ (aⱼ − yⱼ)²", rational=True,
              partial=lambda a, y: sympy.factor_terms(2 * (a - y)), names=("C", "E", "L", "J"),
              words="sum of squared errors", code=_squares_code("", "2 * ", "2·")))
register(Cost("cross_entropy", lambda a, y: -sympy.Add(*[yi * sympy.log(ai) for ai, yi in zip(a, y)]),
              r"C = -\sum_j y_j \ln a^{(L)}_j", text="C = −Σⱼ yⱼ ln aⱼ", needs="positive",
              partial=lambda a, y: -y / a, names=("C", "L", "J"), words="cross-entropy",
              code=_CROSS_ENTROPY_CODE))
register(Cost("binary_cross_entropy",
              lambda a, y: -sympy.Add(*[yi * sympy.log(ai) + (1 - yi) * sympy.log(1 - ai)
                                        for ai, yi in zip(a, y)]),
              r"C = -\sum_j \left[y_j \ln a^{(L)}_j + (1 - y_j) \ln\left(1 - a^{(L)}_j\right)\right]",
              text="C = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)]", needs="unit",
              partial=lambda a, y: -y / a + (1 - y) / (1 - a), names=("C", "L", "J"),
              words="binary cross-entropy", code=_BINARY_CROSS_ENTROPY_CODE))


def get(spec) -> Cost:
    if isinstance(spec, Cost):
        return spec
    if not isinstance(spec, str) or spec not in REGISTRY:
        raise SpecError(f"unknown cost {spec!r}; expected one of: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[spec]


def words(cost) -> str:
    """A cost's name in words: ``mean squared error``."""
    return cost.words
