"""The backward pass: one reverse sweep over the graph, as the lecture derives it.

For every pre-activation z the sweep writes ∂C/∂z (the symbol δ) as a *one-step*
formula in the δ's of the next layer:

* **Case 1**, z in the output layer: ∂C/∂z = ∂a/∂z · ∂C/∂a, where ∂C/∂a comes from the
  cost alone (for softmax, the sum over its full Jacobian);
* **Case 2**, z in a hidden layer: ∂C/∂z = σ′(z) · Σ w · ∂C/∂z_next, the reversed
  network whose neurons are amplifiers σ′(z).

Then ∂C/∂w = Σ over the uses of w of (∂z/∂w) · (∂C/∂z), where ∂z/∂w is the input on
that edge (the forward-pass factor), and ∂C/∂x likewise. Nothing is expanded: closed
forms (in x, y, w, b) are built on first use by substituting the one-step formulas into
each other, and never for a formula whose expression tree would exceed
:data:`CLOSED_FORM_LIMIT` nodes (SymPy shares the subtrees, but printing, ``subs`` and
``diff`` walk the tree, which grows exponentially with depth).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from .activations import ActivationPrime
from .errors import SpecError, TooLargeError
from .naming import Notation
from .network import Network, local_partial, product

#: Largest expression tree (in nodes) that :attr:`Formula.closed` builds.
CLOSED_FORM_LIMIT = 200_000


@dataclass(frozen=True, eq=False, repr=False)
class Formula:
    """``symbol = expr``: one definition of the derivation.

    ``kind`` is ``z`` or ``a`` (forward pass), ``C`` (the cost), ``delta`` (∂C/∂z),
    ``w``, ``b`` (∂C/∂ of a weight or bias) or ``x`` (∂C/∂ of an input). ``of`` is the
    node the formula is about (the z, the parameter, the input). ``case`` is 1 or 2 for
    ∂C/∂z formulas. ``uses`` pairs each forward-pass factor with its δ for gradients:
    ((∂z/∂w, δ), …).
    """

    symbol: sympy.Symbol
    expr: sympy.Expr
    kind: str
    of: sympy.Symbol
    layer: int | None = None
    index: tuple = ()
    case: int | None = None
    uses: tuple = ()
    derivation: "Derivation" = field(default=None, repr=False)

    @property
    def closed(self) -> sympy.Expr:
        """The formula fully substituted in x, y, w and b (built on first use)."""
        return self.derivation.closed(self.symbol)

    @property
    def closed_size(self) -> int:
        """Number of nodes of the closed form's expression tree (computed, not built)."""
        return self.derivation.tree_size(self.symbol)

    def latex(self, closed: bool = False) -> str:
        from .printing import latex
        return "%s = %s" % (latex(self.symbol), latex(self.closed if closed else self.expr))

    def text(self) -> str:
        from .printing import text
        return "%s = %s" % (text(self.symbol), text(self.expr))

    def __str__(self):
        return self.text()

    def __repr__(self):
        case = f", case={self.case}" if self.case else ""
        return f"<Formula {self.text()} ({self.kind}{case})>"

    def _repr_latex_(self):
        return "$\\displaystyle %s$" % self.latex()

    def _repr_html_(self):
        from .documents.html import math
        return math(self.latex(), display=True)


class Derivation:
    """Forward and backward formulas of a :class:`Network`, in one ordered tuple.

    ``formulas`` runs: every z and a by layer, the cost, ∂C/∂z from the output layer
    backwards, ∂C/∂(parameter) in parameter order, ∂C/∂x. Renderers and checkers walk
    this sequence; lookups go through :meth:`forward`, :meth:`dC_dz` and friends.
    """

    def __init__(self, net: Network):
        self.network = net
        self._by_symbol: dict[sympy.Symbol, Formula] = {}
        self._closed: dict[sympy.Symbol, sympy.Expr] = {}
        self._sizes: dict[sympy.Symbol, int] = {}
        self._adjoint: dict[sympy.Symbol, sympy.Symbol] = {net.cost_symbol: sympy.S.One}
        self._activation_adjoint: dict[sympy.Symbol, sympy.Expr] = {}
        out: list[Formula] = []
        for node in net.nodes.values():
            if node.kind in ("z", "a", "C"):
                out.append(self._formula(node.symbol, node.expr, node.kind, node.symbol,
                                         node.layer, node.index))
        for l in range(net.L, 0, -1):
            for j in range(1, net.sizes[l] + 1):
                out.append(self._delta(l, j))
        for p in net.parameters:
            node = net.nodes[p]
            out.append(self._gradient(p, "w" if len(node.index) == 2 else "b", node.layer, node.index))
        for k, x in enumerate(net.inputs, start=1):
            out.append(self._gradient(x, "x", 0, (k,)))
        self.formulas: tuple[Formula, ...] = tuple(out)

    def _formula(self, symbol, expr, kind, of, layer=None, index=(), case=None, uses=()):
        f = Formula(symbol, expr, kind, of, layer, index, case, uses, self)
        self._by_symbol[symbol] = f
        return f

    def _adjoint_of(self, sym: sympy.Symbol) -> tuple[sympy.Expr, bool]:
        """∂C/∂(sym) as Σ over consumers (∂consumer/∂sym · ∂C/∂consumer); and whether a
        consumer is the cost itself."""
        net = self.network
        terms, feeds_cost = [], False
        for c in net.nodes[sym].consumers:
            consumer = net.nodes[c]
            partial = local_partial(net, consumer, sym)
            if consumer.kind == "C":
                feeds_cost = True
                terms.append(partial)
            else:
                terms.append(product(partial, self._adjoint[c]))
        return sympy.Add(*terms), feeds_cost

    def _delta(self, l: int, j: int) -> Formula:
        net = self.network
        z = net.z(l, j)
        terms, case = [], 2
        for c in net.nodes[z].consumers:          # the activation(s) of z
            inner, feeds_cost = self._adjoint_of(c)
            self._activation_adjoint[c] = inner
            if feeds_cost:
                case = 1
            terms.append(sympy.Mul(local_partial(net, net.nodes[c], z), inner))
        delta = net.delta(l, j)
        self._adjoint[z] = delta
        return self._formula(delta, sympy.Add(*terms), "delta", z, l, (j,), case)

    def _gradient(self, sym, kind, layer, index) -> Formula:
        net = self.network
        uses = tuple((local_partial(net, net.nodes[c], sym), self._adjoint[c])
                     for c in net.nodes[sym].consumers)
        expr = sympy.Add(*[product(factor, delta) for factor, delta in uses])
        return self._formula(sympy.Symbol(Notation.gradient(sym.name)), expr, kind, sym,
                             layer, index, None, uses)

    # --- lookups -------------------------------------------------------------------------

    def forward(self, l: int, j: int) -> Formula:
        """z^{(l)}_j = Σ_k w^{(l)}_{jk} a^{(l-1)}_k + b^{(l)}_j."""
        return self._by_symbol[self.network.z(l, j)]

    def activation(self, l: int, j: int) -> Formula:
        """a^{(l)}_j = σ(z^{(l)}_j)."""
        return self._by_symbol[self.network.a(l, j)]

    @property
    def cost(self) -> Formula:
        return self._by_symbol[self.network.cost_symbol]

    def dC_dz(self, l: int, j: int) -> Formula:
        return self._by_symbol[self.network.delta(l, j)]

    def dC_da(self, l: int, j: int) -> sympy.Expr:
        """∂C/∂a^{(l)}_j in one step: the cost's own partial at the output layer (the input of
        the reversed network), Σ w·δ of the next layer in a hidden one."""
        a = self.network.a(l, j) if l >= 1 else None
        if a not in self._activation_adjoint:
            raise SpecError(f"∂C/∂a is defined for layers 1 … {self.network.L}, not layer {l}; "
                            "for an input use dC_dx")
        return self._activation_adjoint[a]

    def dC_dw(self, l: int, j: int, k: int) -> Formula:
        return self.gradient(self.network.w(l, j, k))

    def dC_db(self, l: int, j: int) -> Formula:
        return self.gradient(self.network.b(l, j))

    def dC_dx(self, k: int) -> Formula:
        return self.gradient(self.network.x(k))

    def gradient(self, of) -> Formula:
        """∂C/∂(of) for a parameter or input, given as a symbol or a name."""
        sym = self.network.symbol(of) if isinstance(of, str) else of
        return self._by_symbol[sympy.Symbol(Notation.gradient(sym.name))]

    def formula(self, symbol) -> Formula:
        """The formula defining a symbol (z, a, C, δ or ∂C/∂·)."""
        return self._by_symbol[symbol]

    def select(self, kind: str) -> tuple[Formula, ...]:
        return tuple(f for f in self.formulas if f.kind == kind)

    @property
    def gradients(self) -> tuple[Formula, ...]:
        """∂C/∂w and ∂C/∂b for every distinct parameter."""
        return tuple(f for f in self.formulas if f.kind in ("w", "b"))

    def definitions(self) -> tuple[tuple[sympy.Symbol, sympy.Expr], ...]:
        """(symbol, one-step expression) in an order where every symbol is defined before use."""
        return tuple((f.symbol, f.expr) for f in self.formulas)

    # --- closed forms ------------------------------------------------------------------

    def _expanded(self, f: Formula) -> sympy.Expr:
        """The one-step expression with σ′(z) written in its closed form."""
        primes = f.expr.atoms(ActivationPrime)
        return f.expr.xreplace({p: p.closed() for p in primes}) if primes else f.expr

    def tree_size(self, symbol: sympy.Symbol) -> int:
        """Tree size of a symbol's closed form, by dynamic programming over the formulas."""
        if symbol not in self._by_symbol:
            return 1
        if symbol not in self._sizes:
            for f in self.formulas:
                if f.symbol not in self._sizes:
                    self._sizes[f.symbol] = _size(self._expanded(f), self._sizes)
                if f.symbol == symbol:
                    break
        return self._sizes[symbol]

    def closed(self, symbol: sympy.Symbol, limit: int | None = None) -> sympy.Expr:
        """The closed form of a defined symbol (a leaf is its own closed form)."""
        if symbol not in self._by_symbol:
            return symbol
        limit = CLOSED_FORM_LIMIT if limit is None else limit
        size = self.tree_size(symbol)
        if size > limit:
            raise TooLargeError(
                f"the closed form of {symbol.name} would have about {size:.3g} nodes, above the "
                f"limit of {limit}; use the one-step form (.expr) or raise "
                "symbackprop.backward.CLOSED_FORM_LIMIT")
        if symbol not in self._closed:
            for f in self.formulas:
                if f.symbol not in self._closed and self.tree_size(f.symbol) <= limit:
                    expr = self._expanded(f)
                    self._closed[f.symbol] = expr.xreplace(
                        {s: self._closed[s] for s in expr.free_symbols if s in self._closed})
                if f.symbol == symbol:
                    break
        return self._closed[symbol]

    # --- numbers -----------------------------------------------------------------------

    def evaluate(self, point=None, *, exact: bool | None = None):
        """Forward values, cost and every gradient at a point (see :mod:`numeric`)."""
        from .numeric import evaluate
        return evaluate(self, point, exact=exact)

    def check(self, point=None, **options):
        """The three-way numeric check (see :mod:`check`); the report has ``.passed``."""
        from .check import check
        return check(self, point, **options)

    def __iter__(self):
        return iter(self.formulas)

    def __len__(self):
        return len(self.formulas)

    def __repr__(self):
        return f"<Derivation of {self.network.describe()}: {len(self.formulas)} formulas>"

    def _repr_latex_(self):
        body = r" \\ ".join(f.latex().replace(" = ", " &= ", 1) for f in self.formulas)
        return r"$\begin{aligned} %s \end{aligned}$" % body

    # --- documents (see symbackprop.documents) -------------------------------------------

    def to_latex(self, **options) -> str:
        from .documents import render
        return render(self, "latex", **options)

    def to_markdown(self, **options) -> str:
        from .documents import render
        return render(self, "markdown", **options)

    def to_html(self, **options) -> str:
        from .documents import render
        return render(self, "html", **options)

    def _repr_html_(self):
        return self.to_html(fragment=True)


def _size(expr, sizes) -> int:
    if expr in sizes:
        return sizes[expr]
    if not expr.args:
        return 1
    return 1 + sum(_size(arg, sizes) for arg in expr.args)


__all__ = ["CLOSED_FORM_LIMIT", "Derivation", "Formula"]
