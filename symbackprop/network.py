"""A network as a graph of named scalar nodes.

Every input, target, weight, bias, pre-activation z, activation a and the cost C is a
SymPy symbol with a LaTeX name (see :mod:`naming`). Each non-leaf node carries a small
one-step expression of its parents: ``z = Σ w·a + b``, ``a = σ(z)``, ``C = cost(a, y)``.
A name used twice is one node: that is how a shared parameter works. The backward pass
(:mod:`backward`) only asks this graph for its nodes in order and for local partial
derivatives, through the rule table :func:`local_partial`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cmp_to_key
from typing import Sequence

import sympy

from . import activations as _activations
from . import costs as _costs
from .errors import SpecError
from .exact import parse_fraction
from .naming import Notation


@dataclass(frozen=True)
class Node:
    """One named scalar. ``kind`` is one of x, y, param, z, a, C; ``layer`` and
    ``index`` locate it (1-based); ``expr`` is its one-step definition (None for a leaf)."""

    symbol: sympy.Symbol
    kind: str
    layer: int | None
    index: tuple
    expr: sympy.Expr | None = None
    terms: tuple = ()          # z only: ((weight, input), …) in order
    bias: sympy.Symbol | None = None
    activation: object = None  # a only
    partials: dict = field(default_factory=dict, compare=False, repr=False)  # z only: {parent: ∂z/∂parent}
    consumers: list = field(default_factory=list, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.symbol.name


class Network:
    """A fully connected feed-forward network.

    ``sizes`` includes the input layer: ``Network([2, 2, 2])`` has two inputs, one
    hidden layer of two and two outputs. ``activation`` is one activation for every
    layer or a list with one per layer 1 … L (a name, ``{"name": "leaky_relu",
    "alpha": 0.1}``, or an :class:`~symbackprop.activations.Activation`). ``cost`` is a
    cost name or a :class:`~symbackprop.costs.Cost`. ``names`` maps a layer number to
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
        weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        if weights > MAX_WEIGHTS:
            raise SpecError(f"the network has {weights:,} weights, above the limit of {MAX_WEIGHTS:,}")
        self.sizes = tuple(sizes)
        self.L = len(sizes) - 1
        self.title = title
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
        self.values = self._resolve_values(values or {})
        self._derivation = None

    # --- construction --------------------------------------------------------------

    def _symbol(self, name: str, kind: str) -> sympy.Symbol:
        """The symbol of a name; one name, one kind of node. Names that differ only in
        braces (x_1, x_{1}) are the same name to a reader, so they may not mean two things."""
        key = _loose(name)
        if key in RESERVED:
            raise SpecError(f"the name '{name}' is reserved for {RESERVED[key]}")
        seen = self._kinds.get(key)
        if seen is not None:
            seen_kind, seen_name = seen
            if seen_name != name:
                raise SpecError(f"the names '{seen_name}' and '{name}' are the same symbol written two ways")
            if seen_kind != kind:
                raise SpecError(f"the name '{name}' is used for both {_article(seen_kind)} and {_article(kind)}")
        self._kinds[key] = (kind, name)
        return sympy.Symbol(name)

    def _add(self, node: Node) -> Node:
        if node.symbol in self.nodes:
            if node.kind == "param":
                return self.nodes[node.symbol]
            raise SpecError(f"the name {node.name!r} names two different {node.kind} nodes")
        self.nodes[node.symbol] = node
        return node

    def _build(self) -> None:
        n = self.notation
        self._kinds: dict[str, str] = {}
        self.nodes: dict[sympy.Symbol, Node] = {}
        self._x = [self._add(Node(self._symbol(n.x(k), "input"), "x", 0, (k,))).symbol
                   for k in range(1, self.sizes[0] + 1)]
        self._y = [self._add(Node(self._symbol(n.y(j), "target"), "y", None, (j,))).symbol
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
                    w = self._add(Node(self._symbol(n.w(l, j, k), "parameter"), "param", l, (j, k))).symbol
                    self._w[l, j, k] = w
                    terms.append((w, prev[k - 1]))
                b = self._add(Node(self._symbol(n.b(l, j), "parameter"), "param", l, (j,))).symbol
                self._b[l, j] = b
                z = self._symbol(n.z(l, j), "pre-activation")
                expr = sympy.Add(*[product(w, a) for w, a in terms], b)
                partials = {}
                for w, a_in in terms:
                    for key, value in ((w, a_in), (a_in, w)):
                        partials[key] = partials[key] + value if key in partials else value
                partials[b] = partials[b] + 1 if b in partials else sympy.S.One
                self._add(Node(z, "z", l, (j,), expr, tuple(terms), b, partials=partials))
                self._z[l, j] = z
                self._delta[l, j] = self._symbol(n.delta(l, j), "∂C/∂z symbol")
                zs.append(z)
                for w, a_in in terms:
                    self._param_uses.setdefault(w, []).append((z, a_in))
                self._param_uses.setdefault(b, []).append((z, sympy.S.One))
            layer_a = []
            for j, z in enumerate(zs, start=1):
                a = self._symbol(n.a(l, j), "activation")
                expr = act.func(j, *zs) if not act.elementwise else act.func(z)
                self._add(Node(a, "a", l, (j,), expr, activation=act))
                self._a[l, j] = a
                layer_a.append(a)
            prev = layer_a
        self.cost = self.cost_function(prev, self._y)
        self.cost_symbol = sympy.Symbol("C")
        self._add(Node(self.cost_symbol, "C", None, (), self.cost))
        for node in self.nodes.values():
            if node.expr is None:
                continue
            for parent in _parents(node):
                self.nodes[parent].consumers.append(node.symbol)

    def _resolve_values(self, values: dict) -> dict:
        out = {}
        for key, value in values.items():
            sym = self.symbol(key) if isinstance(key, str) else key
            node = self.nodes.get(sym)
            if node is None or node.kind not in ("x", "y", "param"):
                raise SpecError(f"a value is given for {key!r}, which is not an input, target or parameter")
            out[sym] = as_number(value, f"value of {sym.name}")
        return out

    # --- the public symbols ------------------------------------------------------------

    def _get(self, table, key, what):
        try:
            return table[key]
        except (KeyError, IndexError, TypeError):
            raise SpecError(f"this network has no {what}{key!r} (sizes {list(self.sizes)})") from None

    def x(self, k: int) -> sympy.Symbol:
        return self._get(dict(enumerate(self._x, 1)), k, "input ")

    def y(self, j: int) -> sympy.Symbol:
        return self._get(dict(enumerate(self._y, 1)), j, "target ")

    def w(self, l: int, j: int, k: int) -> sympy.Symbol:
        return self._get(self._w, (l, j, k), "weight ")

    def b(self, l: int, j: int) -> sympy.Symbol:
        return self._get(self._b, (l, j), "bias ")

    def z(self, l: int, j: int) -> sympy.Symbol:
        return self._get(self._z, (l, j), "pre-activation ")

    def a(self, l: int, j: int) -> sympy.Symbol:
        if l == 0:
            return self.x(j)
        return self._get(self._a, (l, j), "activation ")

    def delta(self, l: int, j: int) -> sympy.Symbol:
        """The symbol standing for ∂C/∂z^{(l)}_j."""
        return self._get(self._delta, (l, j), "neuron ")

    @property
    def inputs(self) -> tuple:
        return tuple(self._x)

    @property
    def targets(self) -> tuple:
        return tuple(self._y)

    @property
    def outputs(self) -> tuple:
        return tuple(self._a[self.L, j] for j in range(1, self.sizes[-1] + 1))

    @property
    def parameters(self) -> tuple:
        """Every distinct weight and bias, in order of first use (a shared one once)."""
        return tuple(s for s, node in self.nodes.items() if node.kind == "param")

    def uses(self, param: sympy.Symbol) -> tuple:
        """The edges a parameter sits on: ((z it feeds, ∂z/∂param), …)."""
        return tuple(self._param_uses[param])

    def layer_of(self, leaf: sympy.Symbol) -> int:
        """The first layer that uses a parameter (1 for an input): nothing before it
        depends on it."""
        if self.nodes[leaf].kind == "x":
            return 1
        return min(self.nodes[z].layer for z, _ in self._param_uses[leaf])

    def symbol(self, name: str) -> sympy.Symbol:
        """The symbol of a node by its name (``"w^{(2)}_{11}"``, ``"w_5"``, ``"x_1"``)."""
        sym = sympy.Symbol(name)
        if sym in self.nodes:
            return sym
        key = _loose(name)
        matches = [s for s in self.nodes if _loose(s.name) == key]
        if len(matches) == 1:
            return matches[0]
        raise SpecError(f"unknown name {name!r}; this network defines: "
                        + ", ".join(s.name for s in self.nodes if self.nodes[s].kind != "C"))

    def backward(self):
        """The :class:`~symbackprop.backward.Derivation` (built once, then cached)."""
        if self._derivation is None:
            from .backward import Derivation
            self._derivation = Derivation(self)
        return self._derivation

    # --- display -----------------------------------------------------------------------

    def describe(self) -> str:
        acts = ", ".join(a.describe() for a in self.activations)
        return (f"Network(sizes={list(self.sizes)}, activations=[{acts}], "
                f"cost={self.cost_function.name}, notation={self.notation.style})")

    __repr__ = describe

    def _repr_latex_(self):
        from .printing import latex
        return "$C = %s$" % latex(self.cost)

    def _repr_html_(self):
        from .documents.html import network_html
        return network_html(self)


_BY_COMPARE = cmp_to_key(sympy.Basic.compare)


def product(u, v):
    """u·v. Two distinct symbols are put in SymPy's canonical order directly, skipping
    ``Mul.flatten`` (the bulk of the derivation's time on wide networks); the result is
    the same object ``u * v`` would give."""
    if u.is_Symbol and v.is_Symbol and u != v:
        return sympy.Mul._from_args(tuple(sorted((u, v), key=_BY_COMPARE)), True)
    return u * v


MAX_WIDTH = 10_000
MAX_WEIGHTS = 250_000
RESERVED = {"C": "the cost", "e": "Euler's number"}


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _loose(name: str) -> str:
    """A name with its braces and spaces removed: ``w_{5}`` and ``w_5`` meet."""
    return "".join(ch for ch in name if ch not in "{} ")


def _parents(node: Node):
    return sorted(node.expr.free_symbols, key=sympy.default_sort_key)


def local_partial(net: Network, consumer: Node, node: sympy.Symbol) -> sympy.Expr:
    """∂(consumer)/∂(node) in named symbols: the rule table of the backward pass.

    z = Σ w·a + b is linear, so its partials are read off its terms; a = σ(z) gives
    the amplifier σ′(z); softmax gives a_i([i = j] − a_j); the cost is differentiated
    once (it is a small expression of the outputs and targets).
    """
    if consumer.kind == "z":
        return consumer.partials.get(node, sympy.S.Zero)
    if consumer.kind == "a":
        act = consumer.activation
        if act.elementwise:
            return act.prime(node)
        l, (i,) = consumer.layer, consumer.index
        j = net.nodes[node].index[0]
        a_i, a_j = net.a(l, i), net.a(l, j)
        return a_i * ((1 if i == j else 0) - a_j)
    if consumer.kind == "C":
        return _cost_partial(net, node)
    raise TypeError(f"no local partial rule for a {consumer.kind} node")


def _cost_partial(net: Network, a: sympy.Symbol) -> sympy.Expr:
    cache = net.__dict__.setdefault("_cost_partials", {})
    if a not in cache:
        j = net.nodes[a].index[0]
        cache[a] = net.cost_function.partial(net.cost, a, net.y(j))
    return cache[a]


def as_number(value, where: str):
    """A user's number as Fraction (exact: int, 'p/q') or float; anything else is an error."""
    if isinstance(value, bool):
        raise SpecError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, (int, Fraction)):
        return _in_range(Fraction(value), where)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SpecError(f"{where}: expected a finite number, got {value!r}")
        return value
    if isinstance(value, sympy.Rational):
        return _in_range(Fraction(int(value.p), int(value.q)), where)
    if isinstance(value, sympy.Float):
        return float(value)
    if isinstance(value, str):
        exact = parse_fraction(value)
        if exact is not None:
            return _in_range(exact, where)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise SpecError(f"{where}: expected a number, got {shown}")


def _in_range(value: Fraction, where: str) -> Fraction:
    """Exact values must still fit a float: the recursion (route a) and every report use
    floats unless the whole point is exact."""
    try:
        float(value)
    except OverflowError:
        raise SpecError(f"{where}: number too large (at most about 1.8e308)") from None
    return value

