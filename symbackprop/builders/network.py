"""The layered, fully connected network of the lecture: a builder of a :class:`Graph`.

Every input, target, weight, bias, pre-activation z, activation a and the cost C is a
node of the graph with a LaTeX name (see :mod:`naming`): ``z = Σ w·a + b`` (op
``affine``), ``a = σ(z)`` (``activation``, or ``softmax``), ``C = cost(a, y)`` (``cost``).
A name used twice is one node: that is how a shared parameter works. The Network keeps
the (layer, neuron) metadata the lecture's story needs (``w(l, j, k)``, ``z(l, j)``, …);
the backward sweep itself (:mod:`backward`) sees only nodes.
"""

from __future__ import annotations

from typing import Sequence

import sympy

from ..ops import activations as _activations
from ..ops import costs as _costs
from ..core.derivation import Derivation, Formula
from ..errors import SpecError
from ..core.graph import Graph, Node, affine, as_number, local_partial, product  # noqa: F401
from ..notation.naming import Notation


class Network(Graph):
    """A fully connected feed-forward network.

    ``sizes`` includes the input layer: ``Network([2, 2, 2])`` has two inputs, one
    hidden layer of two and two outputs. ``activation`` is one activation for every
    layer or a list with one per layer 1 … L (a name, ``{"name": "leaky_relu",
    "alpha": 0.1}``, or an :class:`~symbackprop.ops.activations.Activation`). ``cost`` is a
    cost name or a :class:`~symbackprop.ops.costs.Cost`. ``names`` maps a layer number to
    its own symbol names (``weights``, ``biases``, ``neurons``); ``values`` maps names or
    symbols to numbers used when no point is given.
    """

    def __init__(self, sizes: Sequence[int], activation="sigmoid", cost="mse", *,
                 notation: str = "layered", inputs=None, targets=None, names=None,
                 values=None, title: str | None = None):
        sizes = list(sizes) if not isinstance(sizes, (str, bytes)) else sizes
        if not isinstance(sizes, list) or len(sizes) < 2:
            raise SpecError("sizes must list at least two layer widths (inputs and outputs), "
                            f"got {sizes!r}")
        for i, n in enumerate(sizes):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise SpecError(f"layer {i} width must be a positive integer, got {n!r}")
            if n > MAX_WIDTH:
                raise SpecError(f"layer {i} width {n} is above the limit of {MAX_WIDTH:,} units")
        if len(sizes) - 1 > MAX_LAYERS:
            raise SpecError(f"the network has {len(sizes) - 1:,} layers, above the limit of {MAX_LAYERS:,}")
        weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        if weights > MAX_WEIGHTS:
            raise SpecError(f"the network has {weights:,} weights, above the limit of {MAX_WEIGHTS:,}")
        super().__init__(title)
        self.sizes = tuple(sizes)
        self.L = len(sizes) - 1
        acts = activation if isinstance(activation, (list, tuple)) else [activation] * self.L
        if len(acts) != self.L:
            raise SpecError(f"expected {self.L} activations (one per layer 1 … {self.L}), got {len(acts)}")
        self.activations = tuple(_activations.get(a) for a in acts)
        for l, act in enumerate(self.activations[:-1], start=1):
            if not act.elementwise:
                raise SpecError(f"layer {l}: {act.name} is only supported on the output layer")
        self.cost_function = _costs.get(cost)
        out = self.activations[-1]
        needs = self.cost_function.needs
        if needs and out.range is not None and not (out.range == needs or out.range == "unit"):
            raise SpecError(f"cost {self.cost_function.name} takes the logarithm of the outputs, "
                            f"but output activation {out.name} can be "
                            f"{'outside (0, 1)' if needs == 'unit' else 'zero or negative'}; "
                            f"use {'sigmoid' if needs == 'unit' else 'softmax or sigmoid'}")
        for where, given, n in (("inputs", inputs, sizes[0]), ("targets", targets, sizes[-1])):
            if given is not None and len(given) != n:
                raise SpecError(f"{where}: expected {n} names, got {len(given)}")
        self.notation = Notation(notation, sizes, inputs=inputs, targets=targets, custom=names)
        self._build()
        self.values = values or {}

    # --- construction --------------------------------------------------------------

    kind = "layered"
    reports_inputs = False
    what = "network"

    def reserved(self) -> dict:
        return RESERVED

    def _build(self) -> None:
        n = self.notation
        self.layer_of = {}
        self._x = [self._at(0, Node(self._symbol(n.x(k), "input"), "x", (k,))).symbol
                   for k in range(1, self.sizes[0] + 1)]
        self._y = [self._add(Node(self._symbol(n.y(j), "target"), "y", (j,))).symbol
                   for j in range(1, self.sizes[-1] + 1)]
        self._w, self._b, self._z, self._a, self._delta = {}, {}, {}, {}, {}
        self._param_uses: dict[sympy.Symbol, list] = {}
        prev = self._x
        for l in range(1, self.L + 1):
            act = self.activations[l - 1]
            zs = []
            for j in range(1, self.sizes[l] + 1):
                terms = []
                for k in range(1, self.sizes[l - 1] + 1):
                    w = self._at(l, Node(self._symbol(n.w(l, j, k), "parameter"), "param", (j, k))).symbol
                    self._w[l, j, k] = w
                    terms.append((w, prev[k - 1]))
                b = self._at(l, Node(self._symbol(n.b(l, j), "parameter"), "param", (j,))).symbol
                self._b[l, j] = b
                z = self._symbol(n.z(l, j), "pre-activation")
                expr, partials = affine(terms, b)
                self._at(l, Node(z, "z", (j,), expr, tuple(terms), b, op="affine", partials=partials))
                self._z[l, j] = z
                self._delta[l, j] = self._symbol(n.delta(l, j), "∂C/∂z symbol")
                zs.append(z)
                for w, a_in in terms:
                    self._param_uses.setdefault(w, []).append((z, a_in))
                self._param_uses.setdefault(b, []).append((z, sympy.S.One))
            layer_a = [self._symbol(n.a(l, j), "activation") for j in range(1, len(zs) + 1)]
            for j, (z, a) in enumerate(zip(zs, layer_a), start=1):
                if act.elementwise:
                    self._at(l, Node(a, "a", (j,), act.func(z), activation=act, op="activation"))
                else:
                    self._at(l, Node(a, "a", (j,), act.func(j, *zs), activation=act, op="softmax",
                                   group=tuple(layer_a)))
                self._a[l, j] = a
            prev = layer_a
        cost = self.cost_function(prev, self._y)
        partials = {a: self.cost_function.partial(cost, a, y) for a, y in zip(prev, self._y)}
        self._add(Node(sympy.Symbol("C"), "C", (), cost, op="cost", partials=partials))
        self.cost_symbol = sympy.Symbol("C")

    def _at(self, l: int, node: Node) -> Node:
        """``node`` added in layer ``l`` (:attr:`layer_of`); a shared parameter keeps the
        layer of its first use."""
        added = self._add(node)
        self.layer_of.setdefault(added.symbol, l)
        return added

    # --- the public symbols ------------------------------------------------------------

    def _get(self, table, key, what):
        try:
            return table[key]
        except (KeyError, IndexError, TypeError):
            raise SpecError(f"this network has no {what}{key!r} (sizes {list(self.sizes)})") from None

    def x(self, k: int) -> sympy.Symbol:
        """Input x_k, 1-based.

            >>> net = sb.Network([2, 2, 2])
            >>> net.x(2)
            x_{2}
        """
        return self._get(dict(enumerate(self._x, 1)), k, "input ")

    def y(self, j: int) -> sympy.Symbol:
        """Target y_j of output neuron j, 1-based.

            >>> net = sb.Network([2, 2, 2])
            >>> net.y(1)
            y_{1}
        """
        return self._get(dict(enumerate(self._y, 1)), j, "target ")

    def w(self, l: int, j: int, k: int) -> sympy.Symbol:
        """Weight to neuron j of layer l from neuron k of layer l − 1.

            >>> net = sb.Network([2, 2, 2])
            >>> net.w(2, 1, 2)
            w^{(2)}_{12}
        """
        return self._get(self._w, (l, j, k), "weight ")

    def b(self, l: int, j: int) -> sympy.Symbol:
        """Bias of neuron j of layer l.

            >>> net = sb.Network([2, 2, 2])
            >>> net.b(1, 2)
            b^{(1)}_{2}
        """
        return self._get(self._b, (l, j), "bias ")

    def z(self, l: int, j: int) -> sympy.Symbol:
        """Pre-activation z^{(l)}_j.

            >>> net = sb.Network([2, 2, 2])
            >>> net.z(2, 1)
            z^{(2)}_{1}
        """
        return self._get(self._z, (l, j), "pre-activation ")

    def a(self, l: int, j: int) -> sympy.Symbol:
        """Activation a^{(l)}_j; layer 0 is the input.

            >>> net = sb.Network([2, 2, 2])
            >>> net.a(1, 1), net.a(0, 1)
            (a^{(1)}_{1}, x_{1})
        """
        if l == 0:
            return self.x(j)
        return self._get(self._a, (l, j), "activation ")

    def delta(self, l: int, j: int) -> sympy.Symbol:
        """The symbol standing for ∂C/∂z^{(l)}_j.

            >>> net = sb.Network([2, 2, 2])
            >>> net.delta(1, 2)
            \\delta^{(1)}_{2}
        """
        return self._get(self._delta, (l, j), "neuron ")

    @property
    def outputs(self) -> tuple:
        """The output layer's activations, in order.

            >>> net = sb.Network([2, 2, 2])
            >>> net.outputs
            (a^{(2)}_{1}, a^{(2)}_{2})
        """
        return tuple(self._a[self.L, j] for j in range(1, self.sizes[-1] + 1))

    def uses(self, param: sympy.Symbol) -> tuple:
        """The edges a parameter sits on: ((z it feeds, ∂z/∂param), …).

            >>> net = sb.load("examples/shared_bias.toml")
            >>> [z.name for z, _ in net.uses(net.symbol("b_2"))]
            ['z_{o_1}', 'z_{o_2}']
        """
        return tuple(self._param_uses[param])

    # --- names of the derivation: only ∂C/∂z is named (δ), as in the lecture -----------

    def _derive(self) -> "LayeredDerivation":
        return LayeredDerivation(self)

    def named_adjoint(self, sym: sympy.Symbol) -> bool:
        return self.nodes[sym].kind == "z"

    def adjoint_symbol(self, sym: sympy.Symbol) -> sympy.Symbol:
        node = self.nodes[sym]
        return self.delta(self.layer_of[sym], node.index[0])

    def gradient_symbol(self, leaf: sympy.Symbol) -> sympy.Symbol:
        return sympy.Symbol(Notation.gradient(leaf.name))

    def gradient_kind(self, leaf: sympy.Symbol) -> str:
        node = self.nodes[leaf]
        if node.kind == "x":
            return "x"
        return "w" if len(node.index) == 2 else "b"

    # --- display -----------------------------------------------------------------------

    def describe(self) -> str:
        """One line: sizes, activations, cost, notation (also the repr).

            >>> sb.Network([2, 1], cost="sse").describe()
            'Network(sizes=[2, 1], activations=[sigmoid], cost=sse, notation=layered)'
        """
        acts = ", ".join(a.describe() for a in self.activations)
        return (f"Network(sizes={list(self.sizes)}, activations=[{acts}], "
                f"cost={self.cost_function.name}, notation={self.notation.style})")

    __repr__ = describe

    def _repr_latex_(self):
        from ..notation.printing import latex
        return "$C = %s$" % latex(self.cost)

    def _repr_html_(self):
        from ..documents.formats.html import network_html
        return network_html(self)


class LayeredDerivation(Derivation):
    """The derivation of a layered :class:`Network`, with the lecture's lookups by
    (layer, neuron) indices: :meth:`forward`, :meth:`activation`, :meth:`dC_dz`,
    :meth:`dC_da`, :meth:`dC_dw`, :meth:`dC_db`, :meth:`dC_dx`.

        >>> type(sb.Network([1, 1]).backward()).__name__
        'LayeredDerivation'
    """

    _no_adjoint = "a layered network names ∂C/∂z (δ) only"

    def forward(self, l: int, j: int) -> Formula:
        """z^{(l)}_j = Σ_k w^{(l)}_{jk} a^{(l-1)}_k + b^{(l)}_j.

            >>> print(sb.Network([2, 1]).backward().forward(1, 1))
            z⁽¹⁾₁ = w⁽¹⁾₁₁·x₁ + w⁽¹⁾₁₂·x₂ + b⁽¹⁾₁
        """
        return self._by_symbol[self.graph.z(l, j)]

    def activation(self, l: int, j: int) -> Formula:
        """a^{(l)}_j = σ(z^{(l)}_j).

            >>> print(sb.Network([2, 1]).backward().activation(1, 1))
            a⁽¹⁾₁ = σ(z⁽¹⁾₁)
        """
        return self._by_symbol[self.graph.a(l, j)]

    def dC_dz(self, l: int, j: int) -> Formula:
        """δ^{(l)}_j = ∂C/∂z^{(l)}_j: Case 1 in the output layer, Case 2 in a hidden one.

            >>> d = sb.Network([2, 2, 2]).backward()
            >>> d.dC_dz(2, 1).case, d.dC_dz(1, 1).case
            (1, 2)
            >>> print(d.dC_dz(2, 1))
            δ⁽²⁾₁ = σ′(z⁽²⁾₁)·(a⁽²⁾₁ - y₁)
        """
        return self._by_symbol[self.graph.delta(l, j)]

    def dC_da(self, l: int, j: int) -> Formula:
        """∂C/∂a^{(l)}_j in one step (kind ``da``): the cost's own partial at the output
        layer (the input of the reversed network), Σ w·δ of the next layer in a hidden one.
        It is written in place inside δ, so it is not one of :attr:`formulas`.

            >>> d = sb.Network([2, 2, 2]).backward()
            >>> print(d.dC_da(2, 1))
            ∂C/∂a⁽²⁾₁ = a⁽²⁾₁ - y₁
        """
        net = self.graph
        a = net.a(l, j) if isinstance(l, int) and l >= 1 else None
        if a not in self._in_place:
            raise SpecError(f"∂C/∂a is defined for layers 1 … {net.L}, not layer {l}; "
                            "for an input use dC_dx")
        return self._in_place_formula(a, sympy.Symbol(Notation.gradient(a.name)), "da", (j,))

    def dC_dw(self, l: int, j: int, k: int) -> Formula:
        """∂C/∂w^{(l)}_{jk} = Σ over its edges of (∂z/∂w)·δ.

            >>> print(sb.Network([2, 2, 2]).backward().dC_dw(2, 1, 2))
            ∂C/∂w⁽²⁾₁₂ = a⁽¹⁾₂·δ⁽²⁾₁
        """
        return self.gradient(self.graph.w(l, j, k))

    def dC_db(self, l: int, j: int) -> Formula:
        """∂C/∂b^{(l)}_j = Σ over its edges of δ (a shared bias: one δ per edge).

            >>> print(sb.load("examples/shared_bias.toml").backward().gradient("b_2"))
            ∂C/∂b₂ = δₒ₁ + δₒ₂
            >>> print(sb.Network([2, 2, 2]).backward().dC_db(1, 2))
            ∂C/∂b⁽¹⁾₂ = δ⁽¹⁾₂
        """
        return self.gradient(self.graph.b(l, j))

    def dC_dx(self, k: int) -> Formula:
        """∂C/∂x_k = Σ over the first layer of w·δ.

            >>> print(sb.Network([1, 2]).backward().dC_dx(1))
            ∂C/∂x₁ = w⁽¹⁾₁₁·δ⁽¹⁾₁ + w⁽¹⁾₂₁·δ⁽¹⁾₂
        """
        return self.gradient(self.graph.x(k))


MAX_WIDTH = 10_000
#: Most weights: every one is a compiled definition, and eval with its check of 1-10000-1
#: (20,000 weights) takes minutes; 500-500 (250,000) needed 3 GB before its check began.
MAX_WEIGHTS = 20_000
#: Deepest network: every route is linear in depth, and this keeps eval and its check within a minute.
MAX_LAYERS = 1_000
RESERVED = {"C": "the cost", "e": "Euler's number"}


__all__ = ["LayeredDerivation", "MAX_LAYERS", "MAX_WEIGHTS", "MAX_WIDTH", "Network", "as_number", "local_partial", "product"]



