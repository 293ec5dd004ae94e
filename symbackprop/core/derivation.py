"""The backward pass: one reverse sweep over the graph, as the lecture derives it.

The sweep visits the defined nodes from the output backwards (by their distance from
the output, ties in definition order) and writes, for each node n that has an adjoint
symbol, ∂C/∂n as a *one-step* formula: the sum over its consumers c of
(∂c/∂n)·(∂C/∂c), with ∂C/∂c the consumer's adjoint symbol, 1 for the output itself, or
the consumer's own sum written in place where the consumer has no symbol of its own (in
a layered network only z has one, δ, so ∂C/∂a is written in place). The local partial
∂c/∂n comes from the graph's rule table (:data:`graph.RULES`).

On a layered network this is the lecture's derivation:

* **Case 1**, z in the output layer: ∂C/∂z = ∂a/∂z · ∂C/∂a, where ∂C/∂a comes from the
  cost alone (for softmax, the sum over its full Jacobian);
* **Case 2**, z in a hidden layer: ∂C/∂z = σ′(z) · Σ w · ∂C/∂z_next, the reversed
  network whose neurons are amplifiers σ′(z).

On any graph, Case 1 is a node that feeds the output directly (or through nodes written
in place) and Case 2 one that reaches it only through consumers with adjoints of their
own. Then, for every leaf, ∂C/∂leaf = Σ over its uses of (∂c/∂leaf) · (∂C/∂c): for a
weight, the input on that edge (the forward-pass factor) times δ. Nothing is expanded:
closed forms are built on first use by substituting the one-step formulas into each
other, and never for a formula whose expression tree would exceed
:data:`CLOSED_FORM_LIMIT` nodes (SymPy shares the subtrees, but printing, ``subs`` and
``diff`` walk the tree, which grows exponentially with depth).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..ops.activations import ActivationPrime
from ..errors import SpecError, TooLargeError
from .graph import expression_size, local_partial, product
from ..notation.numerals import rough
from ..notation.quoting import counted

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
    index: tuple = ()
    case: int | None = None
    uses: tuple = ()
    derivation: "Derivation" = field(default=None, repr=False)

    @property
    def closed(self) -> sympy.Expr:
        """The formula fully substituted in x, y, w and b (built on first use).

            >>> sb.Network([1, 1], activation="identity").backward().dC_dw(1, 1, 1).closed
            x_{1}*(b^{(1)}_{1} + w^{(1)}_{11}*x_{1} - y_{1})
        """
        return self.derivation.closed(self.symbol)

    @property
    def closed_size(self) -> int:
        """Number of nodes of the closed form's expression tree (computed, not built).

            >>> sb.Network([1, 1], activation="identity").backward().dC_dw(1, 1, 1).closed_size
            11
        """
        return self.derivation.tree_size(self.symbol)

    def latex(self, closed: bool = False) -> str:
        """LaTeX of ``symbol = expr`` (``closed``: the closed form on the right).

            >>> sb.Network([2, 2, 2]).backward().dC_dw(2, 1, 1).latex()
            '\\\\frac{\\\\partial C}{\\\\partial w^{(2)}_{11}} = a^{(1)}_{1} \\\\delta^{(2)}_{1}'
        """
        from ..notation.printing import affine, latex
        node = self._affine_node(closed)
        rhs = affine(node.terms, node.bias) if node else latex(self.closed if closed else self.expr)
        return "%s = %s" % (latex(self.symbol), rhs)

    def text(self, closed: bool = False) -> str:
        """Unicode text of ``symbol = expr``, for a terminal (``closed``: the closed form on
        the right; :attr:`closed` itself is a SymPy expression, printed with SymPy's names).

            >>> sb.Network([2, 2, 2]).backward().dC_db(2, 1).text()
            '∂C/∂b⁽²⁾₁ = δ⁽²⁾₁'
            >>> sb.Network([1, 1], activation="identity").backward().dC_dw(1, 1, 1).text(closed=True)
            '∂C/∂w⁽¹⁾₁₁ = x₁·(b⁽¹⁾₁ + w⁽¹⁾₁₁·x₁ - y₁)'
        """
        from ..notation.printing import affine, text
        node = self._affine_node(closed)
        rhs = affine(node.terms, node.bias, tex=False) if node else text(self.closed if closed else self.expr)
        return "%s = %s" % (text(self.symbol), rhs)

    def _affine_node(self, closed: bool):
        """The node of z = Σ w·a + b, written in the order of its edges (else None)."""
        if closed or self.derivation is None:
            return None
        node = self.derivation.graph.nodes.get(self.symbol)
        return node if node is not None and node.op == "affine" and node.bias is not None else None

    def _partial(self) -> str | None:
        """For an adjoint named δ: ∂C/∂z, the quantity the name stands for (LaTeX)."""
        if self.kind != "delta" or self.derivation is None:
            return None
        cost = self.derivation.graph.cost_symbol.name
        partial = r"\frac{\partial %s}{\partial %s}" % (cost, self.of.name)
        return None if partial == self.symbol.name else partial

    def _display_latex(self) -> str:
        partial = self._partial()
        if partial is None:
            return self.latex()
        from ..notation.printing import latex
        return "%s = %s = %s" % (latex(self.symbol), partial, latex(self.expr))

    def __str__(self):
        return self.text()

    def __repr__(self):
        case = f", case={self.case}" if self.case else ""
        partial = self._partial()
        shown = self.text()
        if partial is not None:
            from ..notation.printing import text, unicode_name
            shown = "%s = %s = %s" % (text(self.symbol), unicode_name(partial), text(self.expr))
        return f"<Formula {shown} ({self.kind}{case})>"

    def _repr_latex_(self):
        return "$\\displaystyle %s$" % self._display_latex()

    def _repr_html_(self):
        from ..documents.formats.html import math
        return math(self._display_latex(), display=True)


class Derivation:
    """Forward and backward formulas of a :class:`~symbackprop.core.graph.Graph`, in one
    ordered tuple.

    ``formulas`` runs: every defined node in definition order (for a network: every z
    and a by layer, then the cost), the adjoints in sweep order (for a network: ∂C/∂z
    from the output layer backwards), ∂C/∂(parameter) in parameter order, ∂C/∂(input).
    Renderers and checkers walk this sequence (iterating a Derivation walks it too);
    lookups go through :meth:`node`,
    :meth:`adjoint`, :meth:`gradient` (any graph); a layered network's derivation adds
    :meth:`forward`, :meth:`dC_dz` and friends (:class:`network.LayeredDerivation`).
    """

    #: Why a defined node may have no adjoint formula of its own.
    _no_adjoint = "it is a leaf: use gradient(name)"

    def __init__(self, graph):
        self.network = self.graph = graph
        self._by_symbol: dict[sympy.Symbol, Formula] = {}
        self._closed: dict[sympy.Symbol, sympy.Expr] = {}
        self._sizes: dict[sympy.Symbol, int] = {}
        #: what a consumer contributes per unit of ∂c/∂n: its adjoint symbol, 1 for the
        #: output, or its own sum written in place
        self._adjoint: dict[sympy.Symbol, sympy.Expr] = {graph.cost_symbol: sympy.S.One}
        self._feeds_output: dict[sympy.Symbol, bool] = {graph.cost_symbol: True}
        self._in_place: dict[sympy.Symbol, sympy.Expr] = {}
        self._adjoint_symbol: dict[sympy.Symbol, sympy.Symbol] = {}
        #: formulas made on request for nodes written in place (not in ``formulas``)
        self._extra: dict[sympy.Symbol, Formula] = {}
        out: list[Formula] = []
        for sym in graph.defined:
            node = graph.nodes[sym]
            out.append(self._formula(sym, node.expr, node.kind, sym, node.index))
        order, unused = self._sweep_order()
        for sym in order:
            f = self._adjoint_formula(sym)
            if f is not None:
                out.append(f)
        for sym in unused:           # the output does not depend on them: ∂C/∂n = 0
            if graph.named_adjoint(sym):
                node = graph.nodes[sym]
                out.append(self._formula(graph.adjoint_symbol(sym), sympy.S.Zero, "delta", sym,
                                         node.index))
        leaves = [p for p in graph.parameters] + [x for x in graph.inputs]
        for leaf in leaves:
            out.append(self._gradient(leaf))
        self.formulas: tuple[Formula, ...] = tuple(out)

    def _sweep_order(self) -> tuple[list, list]:
        """Defined nodes by distance from the output (longest path), then definition order,
        so that every consumer comes before the nodes it consumes; and the defined nodes
        the output does not depend on."""
        graph = self.graph
        height: dict = {}
        defined = graph.defined
        for sym in reversed(defined):
            if sym == graph.cost_symbol:
                height[sym] = 0
                continue
            above = [height[c] for c in graph.nodes[sym].consumers if height.get(c) is not None]
            height[sym] = 1 + max(above) if above else None
        position = {s: i for i, s in enumerate(defined)}
        order = sorted((s for s in defined if height[s] is not None), key=lambda s: (height[s], position[s]))
        return order, [s for s in defined if height[s] is None]

    def _formula(self, symbol, expr, kind, of, index=(), case=None, uses=()):
        f = Formula(symbol, expr, kind, of, index, case, uses, self)
        self._by_symbol[symbol] = f
        return f

    def _sum_over_consumers(self, sym: sympy.Symbol) -> tuple[sympy.Expr, bool]:
        """Σ over the consumers c of sym of (∂c/∂sym)·(∂C/∂c), and whether one of them is
        the output or is written in place and feeds it."""
        graph = self.graph
        terms, feeds = [], False
        for c in graph.nodes[sym].consumers:
            if c not in self._adjoint:      # a consumer the output does not depend on
                continue
            partial = local_partial(graph, graph.nodes[c], sym)
            adjoint = self._adjoint[c]
            if c == graph.cost_symbol:
                terms.append(partial)
            elif c in self._in_place:
                terms.append(sympy.Mul(partial, adjoint))
            else:
                terms.append(product(partial, adjoint))
            feeds = feeds or self._feeds_output[c]
        return sympy.Add(*terms), feeds

    @property
    def written_in_place(self) -> dict:
        """{node: ∂C/∂node as a sum} for the defined nodes without an adjoint symbol of
        their own (a layered network's a's, a recurrent net's outputs and step costs).

            >>> d = sb.Network([1, 1]).backward()
            >>> d.written_in_place
            {a^{(1)}_{1}: a^{(1)}_{1} - y_{1}}
        """
        return dict(self._in_place)

    def sum_over_consumers(self, sym: sympy.Symbol) -> sympy.Expr:
        """∂C/∂(sym) as the sum over its consumers, one step (also for a leaf or a target).

            >>> net = sb.Network([1, 1])
            >>> print(sb.text(net.backward().sum_over_consumers(net.x(1))))
            w⁽¹⁾₁₁·δ⁽¹⁾₁
        """
        return self._sum_over_consumers(sym)[0]

    def _adjoint_formula(self, sym: sympy.Symbol):
        graph = self.graph
        if sym == graph.cost_symbol:
            if not graph.named_adjoint(sym):
                return None
            symbol = graph.adjoint_symbol(sym)
            self._adjoint_symbol[sym] = symbol
            return self._formula(symbol, sympy.S.One, "delta", sym, ())
        expr, feeds = self._sum_over_consumers(sym)
        if not graph.named_adjoint(sym):
            self._in_place[sym] = expr
            self._adjoint[sym] = expr
            self._feeds_output[sym] = feeds
            return None
        node = graph.nodes[sym]
        symbol = graph.adjoint_symbol(sym)
        self._adjoint[sym] = symbol
        self._adjoint_symbol[sym] = symbol
        self._feeds_output[sym] = False
        return self._formula(symbol, expr, "delta", sym, node.index, 1 if feeds else 2)

    def _gradient(self, leaf) -> Formula:
        graph = self.graph
        node = graph.nodes[leaf]
        uses = []
        for c in node.consumers:
            if c in self._adjoint:
                uses.append((local_partial(graph, graph.nodes[c], leaf), self._adjoint[c]))
        terms = [product(factor, delta) for factor, delta in uses]
        return self._formula(graph.gradient_symbol(leaf), sympy.Add(*terms), graph.gradient_kind(leaf),
                             leaf, node.index, None, tuple(uses))

    # --- lookups -------------------------------------------------------------------------

    def _symbol_of(self, of) -> sympy.Symbol:
        return self.graph.symbol(of) if isinstance(of, str) else of

    def node(self, of) -> Formula:
        """The forward definition of a node, given as a name or a symbol.

            >>> print(sb.load("examples/circuit.toml").backward().node("q"))
            q = x + y
        """
        sym = self._symbol_of(of)
        if sym not in self._by_symbol or self.graph.nodes.get(sym) is None:
            raise SpecError(f"{sym.name} is a leaf: it has no definition")
        return self._by_symbol[sym]

    def adjoint(self, of) -> Formula:
        """∂C/∂(node) for a defined node, one step in its consumers' adjoints (in a layered
        network the named adjoints are the δ of the z's).

            >>> print(sb.load("examples/circuit.toml").backward().adjoint("q"))
            ∂f/∂q = z
        """
        sym = self._symbol_of(of)
        symbol = self._adjoint_symbol.get(sym)
        if symbol is None:
            for f in self.formulas:
                if f.kind == "delta" and f.of == sym:
                    return f
            raise SpecError(f"{sym.name} has no adjoint formula of its own; {self._no_adjoint}")
        return self._by_symbol[symbol]

    @property
    def cost(self) -> Formula:
        """C in the output activations and targets.

            >>> print(sb.Network([2, 1]).backward().cost)
            C = 1/2·(a⁽¹⁾₁ - y₁)²
        """
        return self._by_symbol[self.graph.cost_symbol]

    # --- a layered network's lookups (network.LayeredDerivation); an error elsewhere ---

    def _layered_lookup(what: str):
        def lookup(self, *indices) -> Formula:
            """A layered network's lookup by (layer, neuron) indices (its derivation is a
            :class:`network.LayeredDerivation`); any other graph is asked by name.

                >>> sb.load("examples/circuit.toml").backward().dC_dz(1, 1)
                Traceback (most recent call last):
                  ...
                symbackprop.errors.SpecError: dC_dz takes (layer, neuron) indices, which only a layered Network has; use node(name), adjoint(name) or gradient(name)
            """
            raise _not_layered(what)
        lookup.__name__ = lookup.__qualname__ = what
        return lookup

    forward, activation, dC_dz, dC_da, dC_dw, dC_db, dC_dx = map(
        _layered_lookup, ("forward", "activation", "dC_dz", "dC_da", "dC_dw", "dC_db", "dC_dx"))
    del _layered_lookup

    def _in_place_formula(self, node: sympy.Symbol, symbol: sympy.Symbol, kind: str,
                         index=()) -> Formula:
        """``symbol = ∂C/∂node`` for a node written in place (its sum over its consumers,
        :attr:`written_in_place`), made once; it is not one of :attr:`formulas`."""
        if node not in self._extra:
            self._extra[node] = Formula(symbol, self._in_place[node], kind, node, index,
                                        None, (), self)
        return self._extra[node]

    def gradient(self, of) -> Formula:
        """∂C/∂(of) for a parameter or input, given as a symbol or a name: the sum over
        its uses of (∂consumer/∂of)·(∂C/∂consumer).

            >>> print(sb.load("examples/shared_bias.toml").backward().gradient("w_5"))
            ∂C/∂w₅ = h₁·δₒ₁
        """
        sym = self._symbol_of(of)
        node = self.graph.nodes.get(sym)
        if node is None or node.kind not in ("x", "param"):
            raise SpecError(f"{sym.name} is not an input or a parameter; for a defined node use adjoint(name)")
        return self._by_symbol[self.graph.gradient_symbol(sym)]

    def formula(self, symbol) -> Formula:
        """The formula defining a symbol (z, a, C, δ or ∂C/∂·).

            >>> net = sb.Network([2, 1])
            >>> print(net.backward().formula(net.delta(1, 1)))
            δ⁽¹⁾₁ = σ′(z⁽¹⁾₁)·(a⁽¹⁾₁ - y₁)
        """
        return self._by_symbol[symbol]

    def select(self, kind: str) -> tuple[Formula, ...]:
        """The formulas of one kind, in derivation order: ``z``, ``a``, ``C``, ``delta``
        (∂C/∂z or any adjoint), ``w``, ``b``, ``p`` (another parameter), ``x``.

            >>> [f.symbol.name for f in sb.Network([2, 2, 1]).backward().select("delta")]
            ['\\\\delta^{(2)}_{1}', '\\\\delta^{(1)}_{1}', '\\\\delta^{(1)}_{2}']
        """
        return tuple(f for f in self.formulas if f.kind == kind)

    @property
    def gradients(self) -> tuple[Formula, ...]:
        """The reported gradients: ∂C/∂ of every distinct parameter (w, b, p), and of
        every input where the graph reports them (a free graph does).

            >>> len(sb.load("examples/shared_bias.toml").backward().gradients)   # b_1, b_2 once each
            10
        """
        kinds = ("w", "b", "p", "x") if self.graph.reports_inputs else ("w", "b", "p")
        return tuple(f for f in self.formulas if f.kind in kinds)

    def definitions(self) -> tuple[tuple[sympy.Symbol, sympy.Expr], ...]:
        """(symbol, one-step expression) in an order where every symbol is defined before use.

            >>> sb.load("examples/circuit.toml").backward().definitions()[0]
            (q, x + y)
        """
        return tuple((f.symbol, f.expr) for f in self.formulas)

    # --- closed forms ------------------------------------------------------------------

    def _expanded(self, f: Formula) -> sympy.Expr:
        """The one-step expression with σ′(z) written in its closed form."""
        primes = f.expr.atoms(ActivationPrime)
        return f.expr.xreplace({p: p.closed() for p in primes}) if primes else f.expr

    def tree_size(self, symbol: sympy.Symbol) -> int:
        """Tree size of a symbol's closed form, by dynamic programming over the formulas.

            >>> net = sb.Network([1, 1], activation="identity")
            >>> net.backward().tree_size(net.delta(1, 1))
            9
        """
        extra = next((f for f in self._extra.values() if f.symbol == symbol), None)
        if extra is not None:
            sizes = {s: self.tree_size(s) for s in extra.expr.free_symbols}
            return expression_size(extra.expr, sizes)
        if symbol not in self._by_symbol:
            return 1
        if symbol not in self._sizes:
            for f in self.formulas:
                if f.symbol not in self._sizes:
                    self._sizes[f.symbol] = expression_size(self._expanded(f), self._sizes)
                if f.symbol == symbol:
                    break
        return self._sizes[symbol]

    def closed(self, symbol: sympy.Symbol, limit: int | None = None) -> sympy.Expr:
        """The closed form of a defined symbol (a leaf is its own closed form); above
        ``limit`` nodes (default :data:`CLOSED_FORM_LIMIT`) a :class:`TooLargeError`.

            >>> net = sb.Network([1, 1], activation="identity")
            >>> net.backward().closed(net.delta(1, 1))
            b^{(1)}_{1} + w^{(1)}_{11}*x_{1} - y_{1}
        """
        extra = next((f for f in self._extra.values() if f.symbol == symbol), None)
        if extra is not None:       # ∂C/∂a: its one-step sum, closed term by term
            return extra.expr.xreplace({s: self.closed(s, limit) for s in extra.expr.free_symbols})
        if symbol not in self._by_symbol:
            return symbol
        limit = CLOSED_FORM_LIMIT if limit is None else limit
        size = self.tree_size(symbol)
        if size > limit:
            raise TooLargeError(
                f"the closed form of {symbol.name} would have about {rough(size)} nodes, above the "
                f"limit of {limit}; use the one-step form (.expr) or raise "
                "symbackprop.core.derivation.CLOSED_FORM_LIMIT")
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
        """Forward values, cost and every gradient at a point (see :mod:`numeric`); with
        no point, for a graph with a mini-batch (``points``), the batch's totals and each
        example (a :class:`numeric.Batch`).

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> round(float(v.cost), 9), round(float(v.gradients["w_5"]), 9)
            (0.298371109, 0.082167041)
        """
        from ..numeric.values import evaluate
        return evaluate(self, point, exact=exact)

    def compile(self, backend: str = "numpy"):
        """The derivation as array code (see :mod:`compiled`): a function of a point whose
        values may be numbers or arrays along a leading batch axis, returning the cost and
        every gradient summed over the batch; compiled once per backend.

            >>> fn = sb.load("examples/lecture.toml").backward().compile()
            >>> round(float(fn().gradients["w^{(1)}_{11}"]), 9)
            0.002766939
            >>> fn({"x_{1}": [0.1, 0.2]}).size
            2
        """
        from ..codegen.kinds import compile_derivation
        return compile_derivation(self, backend)

    def check(self, point=None, **options):
        """The three-way numeric check (see :mod:`check`); the report has ``.passed``.
        With no point, a mini-batch is checked on its totals.

            >>> sb.load("examples/circuit.toml").backward().check().passed
            True
        """
        from ..numeric.check import check
        return check(self, point, **options)

    def step(self, learning_rate, hold=None, point=None):
        """One gradient-descent step p ← p − η ∂C/∂p for every parameter not in ``hold``
        (names, or the group words ``weights``, ``biases``); see :mod:`update`.

            >>> d = sb.load("examples/shared_bias.toml").backward()
            >>> round(float(d.step(0.5).after["w_5"]), 8)
            0.35891648
            >>> d.step(0.5, hold="biases")
            <Step η = 0.5, held b_1, b_2: cost 0.298371 → 0.291028>
        """
        from ..numeric.update import step
        return step(self, learning_rate, hold, point)

    def __iter__(self):
        return iter(self.formulas)

    def __len__(self):
        return len(self.formulas)

    def __repr__(self):
        return f"<Derivation of {self.graph.describe()}: {counted(len(self.formulas), 'formula')}>"

    def __str__(self):
        """The text document (``print(d)``), as :meth:`to_text`."""
        return self.to_text()

    def _repr_latex_(self):
        body = r" \\ ".join(f.latex().replace(" = ", " &= ", 1) for f in self.formulas)
        return r"$\begin{aligned} %s \end{aligned}$" % body

    # --- documents (see symbackprop.documents) -------------------------------------------

    def to_latex(self, **options) -> str:
        """The derivation as a LaTeX document; ``options`` as :func:`symbackprop.render`
        (fragment, closed, point, numbers, learning_rate, hold).

            >>> tex = sb.load("examples/shared_bias.toml").backward().to_latex(numbers=True)
            >>> "0.15 \\\\cdot 0.05 + 0.2 \\\\cdot 0.1 + 0.35 = 0.3775" in tex
            True
        """
        from ..documents import render
        return render(self, "latex", **options)

    def to_markdown(self, **options) -> str:
        """The derivation as Markdown with $…$ math; ``options`` as :func:`symbackprop.render`.

            >>> sb.Network([2, 1]).backward().to_markdown().splitlines()[0]
            '# Backpropagation, derived'
        """
        from ..documents import render
        return render(self, "markdown", **options)

    def to_html(self, **options) -> str:
        """The derivation as one HTML page with MathML (``fragment=True``: the body only);
        ``options`` as :func:`symbackprop.render`.

            >>> sb.Network([2, 1]).backward().to_html().startswith("<!DOCTYPE html>")
            True
        """
        from ..documents import render
        return render(self, "html", **options)

    def to_text(self, **options) -> str:
        """The derivation as plain Unicode text for a terminal; ``options`` as
        :func:`symbackprop.render`.

            >>> print(sb.Network([1, 1]).backward().to_text().splitlines()[0])
            Backpropagation, derived
        """
        from ..documents import render
        return render(self, "text", **options)

    def _repr_html_(self):
        return self.to_html(fragment=True)


def _not_layered(what: str) -> SpecError:
    return SpecError(f"{what} takes (layer, neuron) indices, which only a layered Network "
                     "has; use node(name), adjoint(name) or gradient(name)")


__all__ = ["CLOSED_FORM_LIMIT", "Derivation", "Formula"]
