"""A convolutional network as a graph of named scalars: convolutions, pooling, batch and
layer norm and dense layers (kind ``convolutional``).

Every entry of every map is a node; a kernel entry is one parameter used at every window
position, so the sweep gives it one term per position: that sum is the correlation of the
input with the δ map, as a CNN lecture writes it. The structure is kept as data on the
graph: :attr:`ConvNet.shapes` (the shape of every map, layer 0 the input),
:attr:`ConvNet.layers`, :attr:`ConvNet.maps` ({(base, l, n): {index: symbol}}) and
:attr:`ConvNet.roles` ({symbol: role}).

Names (DESIGN.md): input ``x_{c,i,j}`` (1-D ``x_{c,i}``), kernel ``K^{(l)}_{o,c,p,q}``,
conv bias ``b^{(l)}_{o}``, map entries ``z^{(l)}_{o,i,j}`` and ``a^{(l)}_{o,i,j}``,
``\\gamma^{(l)}_{j}``, ``\\beta^{(l)}_{j}``, dense ``w^{(l)}_{jk}`` and ``b^{(l)}_{j}``;
l counts every layer. A norm layer's mean, variance and normalized entries are
``\\mu^{(l)}_{c}``, ``\\sigma^{2(l)}_{c}`` and ``\\hat{x}^{(l)}_{c,i,j}``. With a batch norm
the examples of a mini-batch are one graph (``examples=N``): every name of an example
carries its number, ``x^{(n)}_{c,i,j}``, ``z^{(l)(n)}_{o,i,j}``, ``C^{(n)}``, and the output
is L = Σₙ Cⁿ.

Max pooling routes the gradient to the first arg-max of each window, as PyTorch does
(:class:`WindowMax`, :func:`first_argmax`): ∂m/∂x_k = Π_{i<k} step(x_k − x_i) · Π_{i>k} (1 − step(x_i − x_k)).
At a tie the cost is not differentiable; away from ties this is 1 for the maximum, 0 else.
"""

from __future__ import annotations

import itertools

import sympy

from ..errors import SpecError
from ..ops import activations as _activations
from ..ops import costs as _costs
from ..ops.activations import FirstArgmax
from ..core.graph import Graph, Node, affine, rule
from ..notation.naming import indices
from .layers import Conv, Dense, Norm, Pool, geometry, output_shape, size

#: Most weight uses (kernel entries × window positions + dense weights, over the examples):
#: each is a term of the graph and of the derivation. From Python, for compile(): the
#: lecture's 1×28×28 net (conv 8×3×3, max pool 2, dense 10: 62,192 uses, 13,610
#: parameters) builds in about 4 s and derives in 5–10 s on a shared machine, and compiles
#: in 0.3 s. A spec has the lower limits of :mod:`convspec` (its commands write and check
#: every use).
MAX_WEIGHT_USES = 100_000
#: Most parameters.
MAX_PARAMETERS = 20_000
#: Most examples of a batch-norm mini-batch (one graph).
MAX_EXAMPLES = 16


class WindowMax(sympy.Max):
    """max of a pooling window, its arguments kept in the window's (row-major) order and
    not compared when built (SymPy's Max compares every pair of its arguments, which on a
    closed form of nested sums takes minutes). Its derivative is :func:`first_argmax`.
    Its class is named Max so that every printer (LaTeX, NumPy, PyTorch, the compiled
    programs), which finds a function by its class name, prints it as Max."""

    #: Its derivative routes to the first arg-max: at a tie the check treats it as a kink.
    routes_to_first = True

    def __new__(cls, *args, **assumptions):
        if all(a.is_Number for a in args):
            return sympy.Max(*args)
        obj = sympy.Expr.__new__(cls, *args)
        obj._argset = frozenset(args)
        return obj

    def fdiff(self, argindex=1):
        return first_argmax(self.args, argindex - 1)


WindowMax.__name__ = WindowMax.__qualname__ = "Max"


def first_argmax(window, k: int):
    """∂max(window)/∂x_k (k 0-based): 1 when x_k is the first maximum of the window, else
    0, as PyTorch routes it; a :class:`~..ops.activations.FirstArgmax` whose value is
    Π_{i<k} step(x_k − x_i) · Π_{i>k} (1 − step(x_i − x_k))."""
    return FirstArgmax(k + 1, *window)


@rule("window max")
def _window_max(graph, consumer, node):
    """m = max(window): ∂m/∂x_k read off the window (:func:`first_argmax`), the partial
    WindowMax.fdiff gives, without SymPy's derivative machinery (a third of the sweep's
    time on a 28×28 input)."""
    return first_argmax(consumer.group, consumer.group.index(node))


class ConvNet(Graph):
    """A network of :class:`~.layers.Conv`, :class:`~.layers.Pool`, :class:`~.layers.Norm`
    and :class:`~.layers.Dense` layers on an input of ``input_shape`` ((channels, rows,
    cols) or (channels, length)); ``cost`` on the last layer's flattened outputs.
    ``examples=N`` makes the N examples of a mini-batch one graph (needed by a batch norm).

        >>> net = sb.ConvNet((1, 3, 3), [sb.Conv(1, kernel=2), sb.Dense(1, "identity")])
        >>> net.shapes
        ((1, 3, 3), (1, 2, 2), (1,))
        >>> net.K(1, 1, 1, 2, 1)
        K^{(1)}_{1,1,2,1}
    """

    kind = "convolutional"
    what = "convolutional network"
    reports_inputs = True

    def __init__(self, input_shape, layers, cost="mse", *, examples: int | None = None,
                 title: str | None = None, values=None):
        super().__init__(title)
        self.layers = tuple(layers)
        self.shapes = map_shapes(tuple(input_shape), self.layers)
        if any(isinstance(layer, Norm) and layer.mode == "batch" for layer in self.layers) and examples is None:
            raise SpecError("a batch norm normalizes over the examples of a mini-batch: give [[points]] "
                            "(examples=N), not one [point]")
        if examples is not None and not 1 <= examples <= MAX_EXAMPLES:
            raise SpecError(f"{examples} examples in one graph; expected 1 to {MAX_EXAMPLES}")
        self.examples = tuple(range(1, examples + 1)) if examples is not None else (None,)
        self.activations = tuple(_activations.get(getattr(layer, "activation", "identity")) for layer in self.layers)
        for l, act in enumerate(self.activations[:-1], start=1):
            if not act.elementwise:
                raise SpecError(f"layers[{l}].activation: {act.name} is only supported on the last layer")
        if not self.activations[-1].elementwise and not isinstance(self.layers[-1], Dense):
            raise SpecError(f"layers[{len(self.layers)}].activation: {self.activations[-1].name} needs a dense layer")
        self.cost_function = _costs.get(cost)
        self.epsilons = tuple(sympy.Rational(str(layer.eps)) if isinstance(layer, Norm) else None
                              for layer in self.layers)
        refuse_large(self.shapes, self.layers, len(self.examples))
        self.maps: dict = {}
        self.roles: dict = {}
        self.layer_of: dict = {}
        self._build()
        self.values = values or {}

    # --- names -------------------------------------------------------------------------

    @staticmethod
    def name(base: str, l: int | None, n: int | None, index: tuple, dense: bool = False) -> str:
        """The name of one entry (``dense``: a weight's two indices run together).

            >>> sb.ConvNet.name("z", 2, 1, (1, 2, 2))
            'z^{(2)(1)}_{1,2,2}'
        """
        tags = [str(t) for t in (l, n) if t is not None]
        sup = "^{%s}" % "".join("(%s)" % t for t in tags) if tags else ""
        if base == r"\sigma^{2}":
            base, sup = r"\sigma", "^{2" + sup[2:-1] + "}" if tags else "^{2}"
        sub = "_{%s}" % (indices(*index) if dense else ",".join(str(i) for i in index)) if index else ""
        return base + sup + sub

    def entry(self, base: str, l: int | None, *index, n: int | None = None) -> sympy.Symbol:
        """An entry of a map or parameter by base name, layer, index (and example).

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).entry(r"\\mu", 2)
            \\mu^{(2)}
        """
        key = (base, l, n if base not in _PARAMETERS else None)
        try:
            return self.maps[key][tuple(index)]
        except KeyError:
            raise SpecError(f"this network has no {base}{list(index)} in layer {l}"
                            + (f" of example {n}" if n else "")) from None

    def x(self, *index, n=None):
        """An input entry x_{c,i,j} (of example n in a batch graph).

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).x(1, 2, 3)
            x_{1,2,3}
        """
        return self.entry("x", 0, *index, n=n)

    def y(self, j, n=None):
        """The target j (of example n in a batch graph).

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).y(1)
            y_{1}
        """
        return self.entry("y", None, j, n=n)

    def K(self, l, *index):
        """A kernel entry K^{(l)}_{o,c,p,q}.

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).K(1, 2, 1, 1, 2)
            K^{(1)}_{2,1,1,2}
        """
        return self.entry("K", l, *index)

    def b(self, l, j):
        """The bias of output channel (or unit) j of layer l.

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).b(1, 2)
            b^{(1)}_{2}
        """
        return self.entry("b", l, j)

    def w(self, l, j, k):
        """A dense weight: unit j, flattened entry k of the map before.

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).w(3, 1, 8)
            w^{(3)}_{18}
        """
        return self.entry("w", l, j, k)

    def gamma(self, l, j):
        """A norm's scale γ (per channel for a batch norm, per entry for a layer norm).

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).gamma(2, 8)
            \\gamma^{(2)}_{8}
        """
        return self.entry(r"\gamma", l, j)

    def beta(self, l, j):
        """A norm's shift β.

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).beta(2, 1)
            \\beta^{(2)}_{1}
        """
        return self.entry(r"\beta", l, j)

    def z(self, l, *index, n=None):
        """An entry of layer l's pre-activation map (a norm's after γ and β).

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).z(1, 2, 1, 2)
            z^{(1)}_{2,1,2}
        """
        return self.entry("z", l, *index, n=n)

    def a(self, l, *index, n=None):
        """An entry of layer l's output map (a pooled map's entries are a's).

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(2, kernel=2), sb.Norm("layer"), sb.Dense(1, "identity")]).a(3, 1)
            a^{(3)}_{1}
        """
        return self.entry("a", l, *index, n=n)

    # --- construction ------------------------------------------------------------------

    def _leaf(self, base, l, n, index, kind, role, dense=False):
        sym = self._symbol(self.name(base, l if base not in ("x", "y") else None, n, index, dense), role)
        self._add(Node(sym, kind, index))
        self.layer_of[sym] = l
        self.maps.setdefault((base, l, n), {})[index] = sym
        self.roles[sym] = role
        return sym

    def _node(self, base, l, n, index, expr, role, dense=False, **fields):
        sym = self._symbol(self.name(base, l, n, index, dense), "node")
        self._add(Node(sym, "node", index, expr, **fields))
        self.layer_of[sym] = l
        self.maps.setdefault((base, l, n), {})[index] = sym
        self.roles[sym] = role
        return sym

    def _build(self) -> None:
        shape = self.shapes[0]
        current = {n: {i: self._leaf("x", 0, n, i, "x", "input") for i in positions(shape)}
                   for n in self.examples}
        for l, layer in enumerate(self.layers, start=1):
            builder = _BUILDERS[type(layer)]
            current = builder(self, l, layer, self.shapes[l - 1], current)
        self._costs(current)
        if self.examples != (None,):
            self.copies = {self.name("x", None, None, i): tuple(self.maps["x", 0, n][i] for n in self.examples)
                           for i in positions(shape)}

    def _activate(self, l, n, index, z, dense=False):
        act = self.activations[l - 1]
        return self._node("a", l, n, index, act.func(z), "activation", dense, activation=act, op="activation")

    def _costs(self, current) -> None:
        outputs = size(self.shapes[-1])
        per_example = []
        for n in self.examples:
            os = [current[n][i] for i in positions(self.shapes[-1])]
            ys = [self._leaf("y", None, n, (j,), "y", "target") for j in range(1, outputs + 1)]
            cost = self.cost_function(os, ys)
            partials = {o: self.cost_function.partial(cost, o, y) for o, y in zip(os, ys)}
            name = "C" if n is None else "C^{(%d)}" % n
            kind = "C" if n is None else "node"
            sym = sympy.Symbol(name)
            self._add(Node(sym, kind, (), cost, op="cost", partials=partials))
            self.roles[sym] = "cost"
            per_example.append(sym)
        if self.examples == (None,):
            self.cost_symbol = per_example[0]
            return
        self.example_costs = tuple(per_example)
        total = sympy.Symbol("L")
        self._add(Node(total, "C", (), sympy.Add(*per_example), op="add"))
        self.roles[total] = "total cost"
        self.cost_symbol = total

    def named_adjoint(self, sym) -> bool:
        """An adjoint of its own for every map entry and statistic; the last layer's outputs
        and the examples' costs are written in place (as ∂C/∂a in a layered network)."""
        role = self.roles.get(sym)
        last = self.layer_of.get(sym) == len(self.layers) and role == "activation"
        return role != "cost" and not last

    def reserved(self) -> dict:
        return {"C": "the cost", "L": "the total cost", "e": "Euler's number"}

    def describe(self) -> str:
        """One line: the shapes, the layers and the cost (also the repr).

            >>> sb.ConvNet((1, 3, 3), [sb.Conv(1, kernel=2), sb.Dense(1, "identity")]).describe()
            'ConvNet(input 1×3×3: conv 1×2×2, dense 1; cost=mse)'
        """
        shown = ", ".join(f"{layer.type} {'×'.join(map(str, s))}" for layer, s in zip(self.layers, self.shapes[1:]))
        batch = f", {len(self.examples)} examples" if self.examples != (None,) else ""
        return (f"ConvNet(input {'×'.join(map(str, self.shapes[0]))}: {shown}; "
                f"cost={self.cost_function.name}{batch})")

    __repr__ = describe


_PARAMETERS = ("K", "b", "w", r"\gamma", r"\beta")


def positions(shape):
    """Every index of a map of ``shape``, 1-based, in (channel, row, col) order."""
    return list(itertools.product(*(range(1, s + 1) for s in shape)))


def map_shapes(input_shape, layers) -> tuple:
    """The shape of every map, the input's first (one error naming a layer that does not fit)."""
    if len(input_shape) not in (2, 3) or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                                             for s in input_shape):
        raise SpecError(f"input_shape: expected [channels, rows, cols] or [channels, length] of positive "
                        f"whole numbers, got {list(input_shape)}")
    if not layers:
        raise SpecError("layers: expected at least one layer")
    shapes = [input_shape]
    for l, layer in enumerate(layers, start=1):
        shapes.append(output_shape(layer, shapes[-1], f"layers[{l}]"))
    return tuple(shapes)


def refuse_large(shapes, layers, examples, max_uses=None, max_parameters=None, why="") -> None:
    """One error when the net has more weight uses or parameters than the limits
    (:data:`MAX_WEIGHT_USES`, :data:`MAX_PARAMETERS` unless given); ``why`` ends it."""
    max_uses = MAX_WEIGHT_USES if max_uses is None else max_uses
    max_parameters = MAX_PARAMETERS if max_parameters is None else max_parameters
    uses = params = 0
    for layer, before, after in zip(layers, shapes, shapes[1:]):
        if isinstance(layer, Conv):
            kernel, _, _ = geometry(layer, before)
            params += after[0] * before[0] * size(kernel) + after[0]
            uses += size(after) * before[0] * size(kernel)
        elif isinstance(layer, Dense):
            params += after[0] * (size(before) + 1)
            uses += after[0] * size(before)
    if params > max_parameters:
        raise SpecError(f"the network has {params:,} parameters, above the limit of {max_parameters:,}{why}")
    if uses * examples > max_uses:
        raise SpecError(f"{uses * examples:,} weight uses (kernel entries × window positions and dense "
                        f"weights, over {examples} examples), above the limit of {max_uses:,}{why}")


# --- one builder per layer type -------------------------------------------------------------

def _conv(net, l, layer, before, current):
    kernel, stride, padding = geometry(layer, before)
    channels, after = before[0], net.shapes[l]
    K = {(o, c) + p: net._leaf("K", l, None, (o, c) + p, "param", "kernel")
         for o in range(1, after[0] + 1) for c in range(1, channels + 1) for p in positions(kernel)}
    b = {o: net._leaf("b", l, None, (o,), "param", "conv bias") for o in range(1, after[0] + 1)}
    out = {}
    for n in net.examples:
        out[n] = {}
        for index in positions(after):
            o, at = index[0], index[1:]
            terms = []
            for c in range(1, channels + 1):
                for p in positions(kernel):
                    source = tuple((i - 1) * s + q - padding for i, s, q in zip(at, stride, p))
                    if all(1 <= v <= m for v, m in zip(source, before[1:])):
                        terms.append((K[(o, c) + p], current[n][(c,) + source]))
            expr, partials = affine(terms, b[o])
            z = net._node("z", l, n, index, expr, "pre-activation", terms=tuple(terms), bias=b[o],
                          op="affine", partials=partials)
            out[n][index] = net._activate(l, n, index, z)
    return out


def _pool(net, l, layer, before, current):
    kernel, stride, _ = geometry(layer, before)
    out = {}
    for n in net.examples:
        out[n] = {}
        for index in positions(net.shapes[l]):
            c, at = index[0], index[1:]
            window = tuple(current[n][(c,) + tuple((i - 1) * s + q for i, s, q in zip(at, stride, p))]
                           for p in positions(kernel))
            if layer.mode == "max":
                out[n][index] = net._node("a", l, n, index, WindowMax(*window), "max pool", op="window max",
                                          group=window)
            else:
                expr = sympy.Mul(sympy.Rational(1, len(window)), sympy.Add(*window))
                out[n][index] = net._node("a", l, n, index, expr, "average pool", op="expr", group=window)
    return out


def _norm(net, l, layer, before, current):
    eps = net.epsilons[l - 1]
    per_channel = layer.mode == "batch"
    count = before[0] if per_channel else size(before)
    gamma = {j: net._leaf(r"\gamma", l, None, (j,), "param", "scale") for j in range(1, count + 1)}
    beta = {j: net._leaf(r"\beta", l, None, (j,), "param", "shift") for j in range(1, count + 1)}
    out = {n: {} for n in net.examples}
    for n, c, members in norm_groups(net, l):
        tag = (c,) if c is not None else ()
        m = sympy.Rational(1, len(members))
        entries = [current[k][index] for k, index in members]
        mu = net._node(r"\mu", l, n, tag, sympy.Mul(m, sympy.Add(*entries)), "mean", op="expr")
        var = net._node(r"\sigma^{2}", l, n, tag, sympy.Mul(m, sympy.Add(*[(e - mu) ** 2 for e in entries])),
                        "variance", op="expr")
        for (k, index), e in zip(members, entries):
            xhat = net._node(r"\hat{x}", l, k, index, (e - mu) * (var + eps) ** sympy.Rational(-1, 2),
                             "normalized", op="expr")
            j = index[0] if per_channel else positions(before).index(index) + 1
            terms = ((gamma[j], xhat),)
            expr, partials = affine(terms, beta[j])
            z = net._node("z", l, k, index, expr, "pre-activation", terms=terms, bias=beta[j], op="affine",
                          partials=partials)
            out[k][index] = net._activate(l, k, index, z)
    return {n: {i: out[n][i] for i in positions(before)} for n in net.examples}


def norm_groups(net, l) -> list:
    """[(example or None, channel or None, [(example, index), …])] of norm layer l: what
    one mean is over (a batch norm: a channel over every example; a layer norm: one example)."""
    groups: dict = {}
    batch = net.layers[l - 1].mode == "batch"
    for n in net.examples:
        for index in positions(net.shapes[l - 1]):
            groups.setdefault((None, index[0]) if batch else (n, None), []).append((n, index))
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][1] or 0, kv[0][0] or 0))
    return [(n, c, members) for (n, c), members in ordered]


def _dense(net, l, layer, before, current):
    flat = positions(before)
    units = layer.units
    w = {(j, k): net._leaf("w", l, None, (j, k), "param", "weight", dense=True)
         for j in range(1, units + 1) for k in range(1, len(flat) + 1)}
    b = {j: net._leaf("b", l, None, (j,), "param", "bias") for j in range(1, units + 1)}
    act = net.activations[l - 1]
    out = {}
    for n in net.examples:
        zs = []
        for j in range(1, units + 1):
            terms = tuple((w[j, k], current[n][index]) for k, index in enumerate(flat, start=1))
            expr, partials = affine(terms, b[j])
            zs.append(net._node("z", l, n, (j,), expr, "pre-activation", terms=terms, bias=b[j], op="affine",
                                partials=partials))
        if act.elementwise:
            out[n] = {(j,): net._activate(l, n, (j,), z) for j, z in enumerate(zs, start=1)}
            continue
        names = [sympy.Symbol(net.name("a", l, n, (j,))) for j in range(1, units + 1)]
        out[n] = {(j,): net._node("a", l, n, (j,), act.func(j, *zs), "activation", activation=act,
                                  op="softmax", group=tuple(names)) for j in range(1, units + 1)}
    return out


_BUILDERS = {Conv: _conv, Pool: _pool, Norm: _norm, Dense: _dense}

__all__ = ["ConvNet", "map_shapes", "norm_groups", "positions", "refuse_large", "MAX_EXAMPLES", "MAX_PARAMETERS", "MAX_WEIGHT_USES", "WindowMax", "first_argmax"]
