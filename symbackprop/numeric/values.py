"""Numbers from compiled code, never from ``subs`` over a closed form.

The one-step definitions of a derivation, in the order they are defined, become the
body of one generated Python function (``lambdify`` with the definitions passed as its
common subexpressions): each z, a, δ and gradient is computed once, from values already
computed (the function is written by :mod:`.compiler`, which renames symbols to plain
identifiers first, since LaTeX names are not Python names). Three number systems:

* ``float``: stable float code (σ without overflow, softmax shifted by its maximum);
* ``mp``: mpmath at the working precision: the 50-digit forward pass and finite
  differences, the symbolic route of the check, and the answer checker's confirmations;
* ``exact``: fractions, when every value is rational and every function maps
  rationals to rationals (identity, ReLU, leaky ReLU; mse or sse).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import MutableMapping
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy

from ..ops import activations as _activations
from ..errors import PointError, SpecError
from ..core.graph import as_number, part
from .compiler import Program


_SIGMOID = _activations.get("sigmoid")


def _complement_of(x, comp=None):
    """X̄ = 1 − X, computed without cancellation, when X is σ(u) (X̄ = σ(−u)), a softmax
    entry (its SoftmaxComplement) or a symbol of ``comp``; else None."""
    if comp and x in comp:
        return comp[x]
    if isinstance(x, _SIGMOID.func):
        return _SIGMOID.func(-x.args[0])
    if isinstance(x, _activations.Softmax):
        return _activations.SoftmaxComplement(*x.args)
    return None


def _complements(expr, comp=None):
    """k·X + c as (k + c)·X + c·X̄ (X + X̄ = 1): the difference of complements. a − y is
    (1 − y)·a − y·(1 − a), exact to the last digit at y = 1 where a rounds to 1 (the
    difference σ(40) − 1 is 0 in floats, −σ(−40) is not); 1 − X becomes X̄."""
    for term in expr.args:
        k, x = term.as_coeff_Mul()
        xbar = _complement_of(x, comp)
        if xbar is None:
            continue
        c = sympy.Add(*[t for t in expr.args if t is not term])
        if c.has(x) or c.has(xbar) or (c.is_Number and k + c != 0):
            continue  # 1 + σ(u): nothing cancels
        return (k + c) * x + c * xbar
    return expr


def _prime_of(expr):
    """c·f′(u) when ``expr`` is a rational multiple c of an activation's closed-form
    derivative (1 − tanh²(u), or 2 − 2tanh²(u) as sympy.diff writes ∂(½(tanh(u) − y)²)/∂u),
    so that numbers use its stable implementation (sech²(u)); else None."""
    if len(expr.args) != 2:
        return None
    c, primitive = expr.as_content_primitive()
    for f in expr.atoms(_activations.ActivationFunction):
        act = f.activation
        if not act.elementwise or act.numeric.get("mp", (None, None))[1] is None:
            continue
        closed = act.prime_closed(f.args[0])
        if closed == primitive or closed == -primitive:
            return (c if closed == primitive else -c) * act.prime(f.args[0])
    return None


def _stable_node(expr, comp=None):
    if isinstance(expr, sympy.log):
        inner = expr.args[0]
        if isinstance(inner, _SIGMOID.func):
            return _activations.LogSigmoid(inner.args[0])
        if isinstance(inner, _activations.Softmax):
            return _activations.LogSoftmax(*inner.args)
        if isinstance(inner, _activations.SoftmaxComplement):
            return _activations.LogSoftmaxComplement(*inner.args)
        return expr
    prime = _prime_of(expr)
    return prime if prime is not None else _complements(expr, comp)


def stable(expr, comp=None):
    """The same value, written for numbers that saturate: 1 − σ(u) → σ(−u),
    1 − softmax_j → its complement, σ(u) − y → (1 − y)σ(u) − yσ(−u) (see
    :func:`_complements`), ln σ(u) → LogSigmoid(u), ln(1 − σ(u)) → LogSigmoid(−u),
    ln softmax → LogSoftmax, ln(1 − softmax) → LogSoftmaxComplement, 1 − tanh²(u) →
    tanh′(u) (sech²). ``comp`` maps symbols to the symbols of their complements."""
    return expr.replace(lambda e: isinstance(e, (sympy.log, sympy.Add)),
                        lambda e: _stable_node(e, comp))


def _cancel_quotients(expr, atoms):
    """A product with a factor (u/X + …), X in ``atoms``, multiplied out one level, so
    that X/X cancels symbolically: σ(z)σ(−z)·(−y/σ(z) + (1 − y)/σ(−z)) is
    (1 − y)σ(z) − yσ(−z), finite where σ(−z) underflows."""
    def inverse(f):
        return f.is_Add and any(p.exp.is_negative and p.base in atoms for p in f.atoms(sympy.Pow))

    def multiply_out(e):
        i = next(i for i, f in enumerate(e.args) if inverse(f))
        others = e.args[:i] + e.args[i + 1:]
        return sympy.Add(*[sympy.Mul(*others, t) for t in e.args[i].args])
    return expr.replace(lambda e: e.is_Mul and any(inverse(f) for f in e.args), multiply_out)


def stable_definitions(net, defs) -> list:
    """Definitions for compiled code.

    Each entry a_j of a softmax layer gets its complement 1 − a_j as a definition of its
    own (Σ_{i≠j} e^{z_i}/Σ e^{z_i}), used wherever 1 − a_j appears (the Jacobian
    a_j(δ_jk − a_k), 1/(1 − a_j) of binary cross-entropy), with a − y as a difference of
    complements and each quotient multiplied out so that a_j/a_j cancels. With a softmax
    output layer ln a_j and ln(1 − a_j) in the cost become log-softmax forms (inlining
    the softmax into every δ would cost O(n³)). With a sigmoid output layer the cost and
    each output δ are written in the pre-activation (a = σ(z) inlined, σ′(z) as σ(z)σ(−z),
    quotients multiplied out so that σ(z)/σ(z) cancels), then made :func:`stable`: binary
    cross-entropy stays finite and exact to the last digit at |z| = 40, where
    ln(1 − a) in floats is ln 0. "Output" means a node that a cost node takes (the output
    layer of a network, each step's outputs of a recurrent net). A graph without cost
    nodes has each definition made :func:`stable` on its own."""
    costs = {s for s, n in net.nodes.items() if n.op == "cost"}
    outputs = [p for c in costs for p in net.nodes[c].partials if net.nodes[p].op in ("activation", "softmax")]
    outputs = sorted(set(outputs), key=sympy.default_sort_key)
    comp = {s: sympy.Dummy("c_" + s.name) for s, e in defs if isinstance(e, _activations.Softmax)}
    atoms = set(comp) | set(comp.values())
    sigmoid = [a for a in outputs if net.nodes[a].activation.name == "sigmoid"]
    inline = {a: net.nodes[a].expr for a in sigmoid}
    # the δ of a sigmoid output's argument (a z of the output layer, a recurrent net's q)
    out_deltas = {net.adjoint_symbol(net.nodes[a].expr.args[0]) for a in sigmoid
                  if net.named_adjoint(net.nodes[a].expr.args[0])}
    logs = {}
    for a in outputs:
        if net.nodes[a].op == "softmax":
            args = net.nodes[a].expr.args
            logs[sympy.log(a)] = _activations.LogSoftmax(*args)
            logs[sympy.log(1 - a)] = _activations.LogSoftmaxComplement(*args)
    result = []
    for symbol, expr in defs:
        if symbol in comp:
            result.append((symbol, expr))
            result.append((comp[symbol], _activations.SoftmaxComplement(*expr.args)))
            continue
        if inline and (symbol in costs or symbol in out_deltas):
            expr = expr.xreplace(inline)
            expr = expr.xreplace({p: _SIGMOID.func(p.args[0]) * _SIGMOID.func(-p.args[0])
                                  for p in expr.atoms(_SIGMOID.prime)})
            expr = stable(expr, comp)
            sigmas = expr.atoms(_SIGMOID.func)
            expr = stable(_cancel_quotients(expr, sigmas | atoms), comp)
        elif symbol in costs and logs:
            expr = stable(expr.xreplace(logs), comp)
        elif comp and symbol not in net.nodes and not expr.free_symbols.isdisjoint(comp):
            # a δ or gradient (not z = Σ w·a + b, whose terms are not complements)
            expr = stable(_cancel_quotients(stable(expr, comp), atoms), comp)
        elif not costs:
            expr = stable(expr)           # a free graph: each definition on its own
        result.append((symbol, expr))
    return result


def leaves(net) -> tuple:
    """Every input, target and distinct parameter, in graph order."""
    return net.leaves


def program(derivation, system: str, upto=None) -> Program:
    """The compiled derivation (cached): every definition, or those up to the cost."""
    cache = _programs(derivation)
    key = (system, upto)
    if key not in cache:
        defs = derivation.definitions()
        if upto is not None:
            defs = defs[: [s for s, _ in defs].index(upto) + 1]
        net = derivation.graph
        body = defs if system == "exact" else stable_definitions(net, defs)
        cache[key] = Program(body, leaves(net), [s for s, _ in defs], system)
    return cache[key]


def resolve_point(net, point=None) -> dict:
    """Spec values overridden by ``point``: {symbol: Fraction or float} for every leaf."""
    values = dict(net.values)
    for key, value in (point or {}).items():
        try:
            sym = net.symbol(key) if isinstance(key, str) else key
        except SpecError as exc:
            raise PointError(str(exc)) from None
        node = net.nodes.get(sym)
        if node is None or node.kind not in ("x", "y", "param"):
            raise PointError(f"point: {key!r} is not an input, target or parameter")
        try:
            values[sym] = as_number(value, f"point value of {sym.name}")
        except SpecError as exc:
            raise PointError(str(exc)) from None
    missing = [s.name for s in leaves(net) if s not in values]
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise PointError(f"no value for {shown}; give them in the spec or in the point")
    return net.complete(values) if point else values


def can_be_exact(derivation, values: dict) -> bool:
    """Exact fractions are possible when every value is one and every definition maps
    rationals to rationals (sums, products, whole powers, identity, ReLU, leaky ReLU)."""
    return all(isinstance(v, Fraction) for v in values.values()) and rational(derivation)


def rational(derivation) -> bool:
    """Whether every definition of the derivation maps rationals to rationals (cached)."""
    cache = _programs(derivation)
    if "rational" not in cache:
        cache["rational"] = all(_rational(expr) for _, expr in derivation.definitions())
    return cache["rational"]


def _rational(expr) -> bool:
    if expr.is_Symbol or expr.is_Rational:
        return True
    if expr.is_Add or expr.is_Mul:
        return all(_rational(arg) for arg in expr.args)
    if expr.is_Pow:
        return expr.exp.is_Integer and _rational(expr.base)
    if isinstance(expr, (_activations.ActivationFunction, _activations.ActivationPrime)):
        return "exact" in expr.activation.numeric and _rational(expr.args[0])
    if isinstance(expr, _activations.Step):
        return _rational(expr.args[0])
    if isinstance(expr, _activations.FirstArgmax):
        return _rational(expr.as_steps())
    return False


def to_system(value, system: str):
    if system == "exact":
        return value if isinstance(value, (Fraction, int)) else Fraction(value)
    if system == "mp":
        if isinstance(value, Fraction):
            return mpmath.mpf(value.numerator) / value.denominator
        return mpmath.mpf(value)
    return float(value)


class _Shown:
    """The REPL and Jupyter displays of :class:`Values` and :class:`Batch`
    (see :mod:`symbackprop.documents.summaries`)."""

    def __repr__(self):
        from ..documents.summaries import values_repr
        return values_repr(self)

    def _repr_html_(self):
        from ..documents.summaries import values_html
        return values_html(self)

    def _repr_latex_(self):
        from ..documents.summaries import values_latex
        return values_latex(self)


@dataclass(repr=False)
class Values(_Shown):
    """Every number of a derivation at one point: ``numbers`` maps each symbol (leaf or
    defined) to its value; ``exact`` says whether they are fractions."""

    network: object
    numbers: dict
    exact: bool

    def __getitem__(self, symbol):
        if isinstance(symbol, str):
            symbol = self.network.symbol(symbol) if symbol != "C" else self.network.cost_symbol
        return self.numbers[symbol]

    @property
    def cost(self):
        """C (or the graph's output) at the point.

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> round(float(v.cost), 9)
            0.298371109
        """
        return self.numbers[self.network.cost_symbol]

    def z(self, l, j):
        """z^{(l)}_j at the point (layered networks).

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> v.z(1, 1)
            0.3775
        """
        return self.numbers[self.network.z(l, j)]

    def a(self, l, j):
        """a^{(l)}_j at the point (layered networks).

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> round(float(v.a(2, 1)), 9)
            0.75136507
        """
        return self.numbers[self.network.a(l, j)]

    def delta(self, l, j):
        """δ^{(l)}_j = ∂C/∂z^{(l)}_j at the point (layered networks).

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> round(float(v.delta(2, 1)), 9)
            0.138498562
        """
        return self.numbers[self.network.delta(l, j)]

    def gradient(self, of):
        """∂C/∂(of) at the point, for a parameter or input given by name or symbol.

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> round(float(v.gradient("w_5")), 9)
            0.082167041
        """
        d = self.network.backward()
        return self.numbers[d.gradient(of).symbol]

    @property
    def gradients(self) -> dict:
        """{name: ∂C/∂name} for every reported leaf (parameters; inputs too in a free
        graph), in derivation order (a shared parameter once).

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> list(v.gradients)[:3]
            ['w_1', 'w_2', 'b_1']
        """
        d = self.network.backward()
        return self.network.sum_copies({f.of.name: self.numbers[f.symbol] for f in d.gradients})

    @property
    def coupled_examples(self) -> list:
        """The examples of a mini-batch built as one graph (:attr:`Graph.copies`, a batch
        norm's): each example's cost Cⁿ and the gradients ∂L/∂xⁿ of its own copy of every
        input, under the input's name; [] for any other graph.

            >>> v = sb.load("examples/batchnorm.toml").backward().evaluate()
            >>> [round(float(e["cost"]), 6) for e in v.coupled_examples]
            [0.642956, 0.582265]
            >>> list(v.coupled_examples[1]["gradients"])[0]
            'x_{1,1,1}'
        """
        graph = self.network
        if not graph.copies:
            return []
        d = graph.backward()
        return [{"cost": self.numbers[cost],
                 "gradients": {name: self.numbers[d.gradient(leaves[n]).symbol]
                               for name, leaves in graph.copies.items()}}
                for n, cost in enumerate(graph.example_costs)]

    @property
    def nodes(self) -> dict:
        """{name: value} of every defined node, in definition order.

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> list(v.nodes)[:3]
            ['z_{h_1}', 'z_{h_2}', 'h_1']
        """
        return {s.name: self.numbers[s] for s in self.network.defined}

    @property
    def adjoints(self) -> dict:
        """{name: ∂C/∂node}: in a layered network of every z (the δ's); in any other graph
        of every defined node, in definition order, those the sweep writes in place (a
        recurrent net's outputs and step costs) evaluated from their sums.

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> round(float(v.adjoints["z_{o_1}"]), 9)
            0.138498562
        """
        return part(_PARTS, self.network).adjoints(self)

    @property
    def layers(self) -> list:
        """Every layer's z and a at the point, layers 1 … L (the ``layers`` of ``eval --json``).

            >>> v = sb.load("examples/shared_bias.toml").backward().evaluate()
            >>> v.layers[0]["z"]
            [0.3775, 0.39249999999999996]
        """
        return part(_PARTS, self.network).layers(self)


class _GraphNumbers:
    """The numbers of any graph: the adjoint of every defined node, no layers, float
    finite differences over the cones (:func:`finite_differences`)."""

    @staticmethod
    def adjoints(values) -> dict:
        """Every defined node's ∂C/∂node, those written in place evaluated from their sums."""
        graph = values.network
        d = graph.backward()
        named = {f.of: values.numbers[f.symbol] for f in d.select("delta")}
        in_place = {s: e for s, e in d.written_in_place.items() if s not in named}
        if graph.cost_symbol not in named:
            in_place[graph.cost_symbol] = sympy.S.One
        if in_place:
            targets = [sympy.Dummy("g%d" % i) for i in range(len(in_place))]
            free = sorted(set().union(*(e.free_symbols for e in in_place.values())), key=sympy.default_sort_key)
            system = "exact" if values.exact else "float"
            program = Program(list(zip(targets, in_place.values())), free, targets, system)
            out = program({s: values.numbers[s] for s in free})
            named.update({s: out[t] for s, t in zip(in_place, targets)})
        return {s.name: named[s] for s in graph.defined if s in named}

    @staticmethod
    def layers(values) -> list:
        raise PointError("layers: this graph has no layers; use nodes")

    #: float64 finite differences by another route than the cones (None: the cones)
    float_differences = None


class _LayeredNumbers:
    """The numbers of a layered network: the adjoints are the δ's, the layers hold z and
    a, and float finite differences run on the compiled layers (matrices)."""

    @staticmethod
    def adjoints(values) -> dict:
        d = values.network.backward()
        return {f.of.name: values.numbers[f.symbol] for f in d.select("delta")}

    @staticmethod
    def layers(values) -> list:
        net = values.network
        return [{"z": [values.z(l, j) for j in range(1, net.sizes[l] + 1)],
                 "a": [values.a(l, j) for j in range(1, net.sizes[l] + 1)]}
                for l in range(1, net.L + 1)]

    @staticmethod
    def float_differences(derivation, values: dict, wrt) -> dict:
        """Two forward passes per leaf through the layers as matrices (see :mod:`compiled`)."""
        return derivation.compile().cost_differences(values, wrt, FLOAT_STEP)


#: The numbers' part for each kind of graph (see :func:`graph.part`).
_PARTS = {"graph": _GraphNumbers, "layered": _LayeredNumbers}


@dataclass(repr=False)
class Batch(_Shown):
    """A mini-batch at one set of parameter values: ``examples`` holds each example's
    :class:`Values`; the cost and every gradient are the totals L = Σₙ Cⁿ and
    ∂L/∂p = Σₙ ∂Cⁿ/∂p."""

    network: object
    examples: list

    @property
    def cost(self):
        """The total L = Σₙ Cⁿ over the examples.

            >>> b = sb.load("examples/minibatch.toml").backward().evaluate()
            >>> len(b.examples), round(float(b.cost), 6)
            (3, 0.334876)
        """
        return total(v.cost for v in self.examples)

    @property
    def gradients(self) -> dict:
        """{name: ∂L/∂name}, each the sum of the examples' gradients.

            >>> b = sb.load("examples/minibatch.toml").backward().evaluate()
            >>> round(float(b.gradients["b^{(2)}_{1}"]), 6) == round(float(sum(v.gradients["b^{(2)}_{1}"] for v in b.examples)), 6)
            True
        """
        totals: dict = {}
        for v in self.examples:
            for name, g in v.gradients.items():
                totals[name] = g if name not in totals else totals[name] + g
        return totals

    @property
    def exact(self) -> bool:
        """Whether every example was evaluated in exact fractions.

            >>> b = sb.load("examples/minibatch.toml").backward().evaluate()
            >>> b.exact
            False
        """
        return all(v.exact for v in self.examples)


def total(values):
    """The sum of numbers of one system, in order (Fractions stay exact, mpf stay mpf).

        >>> total([1, 2, 3])
        6
    """
    values = list(values)
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def evaluate_batch(derivation, points=None, *, exact: bool | None = None) -> Batch:
    """Every example of a mini-batch (the graph's own ``points`` unless given)."""
    points = derivation.graph.points if points is None else points
    if not points:
        raise PointError("a mini-batch needs at least one example")
    return Batch(derivation.graph, [evaluate_point(derivation, p, exact=exact) for p in points])


class Numbers(MutableMapping):
    """{symbol: value} of one evaluation, over the compiled program's outputs and its
    arguments as they came (no dictionary is built per call): the positions come from
    :attr:`Program.index`, shared by every call. A value set for another symbol is kept
    apart."""

    __slots__ = ("_index", "_values", "_extra")

    def __init__(self, index: dict, values: list):
        self._index = index
        self._values = values
        self._extra = {}

    def __getitem__(self, symbol):
        i = self._index.get(symbol)
        if i is None:
            return self._extra[symbol]
        return self._values[i]

    def __setitem__(self, symbol, value):
        i = self._index.get(symbol)
        if i is None:
            self._extra[symbol] = value
        else:
            self._values[i] = value

    def __delitem__(self, symbol):
        raise TypeError("the numbers of an evaluation cannot be removed")

    def __contains__(self, symbol):
        return symbol in self._index or symbol in self._extra

    def __iter__(self):
        yield from self._index
        yield from self._extra

    def __len__(self):
        return len(self._index) + len(self._extra)

    def __repr__(self):
        return "Numbers(%r)" % dict(self)


class _Arguments:
    """A derivation's compiled program with its argument order fixed, and the spec's
    values converted once per number system: a call copies that list, puts the point's
    values in place and runs the program (see :func:`evaluate`)."""

    def __init__(self, derivation):
        net = derivation.graph
        self.leaves = leaves(net)
        self.position = {s: i for i, s in enumerate(self.leaves)}
        self.kinds = {s: net.nodes[s].kind for s in self.leaves}
        self._spec = None      # (the graph's values, raw list, missing positions)
        self._converted = {}   # system → converted list of the spec's values

    def spec(self, net) -> tuple:
        if self._spec is None or self._spec[0] is not net.values:
            given = net.values
            raw = [given.get(s) for s in self.leaves]
            missing = frozenset(i for i, v in enumerate(raw) if v is None)
            inexact = frozenset(i for i, v in enumerate(raw) if not isinstance(v, Fraction))
            self._spec = (given, raw, missing, inexact)
            self._converted = {}
        return self._spec

    def converted(self, net, system: str) -> list:
        self.spec(net)
        if system not in self._converted:
            self._converted[system] = [None if v is None else to_system(v, system) for v in self._spec[1]]
        return self._converted[system]


#: {derivation: {key: compiled program, argument layout, cones …}}: what this module
#: compiles for a derivation, kept as long as the derivation (the graph makes a new one
#: when it changes; values are read at each call).
_PROGRAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _programs(derivation) -> dict:
    """This module's cache for one derivation."""
    cache = _PROGRAMS.get(derivation)
    if cache is None:
        cache = _PROGRAMS[derivation] = {}
    return cache


def _arguments(derivation) -> _Arguments:
    cache = _programs(derivation)
    if "arguments" not in cache:
        cache["arguments"] = _Arguments(derivation)
    return cache["arguments"]


def _overrides(net, arguments: _Arguments, point) -> dict:
    """{position: number} of the values ``point`` gives (checked as :func:`resolve_point`)."""
    out = {}
    for key, value in point.items():
        try:
            sym = net.symbol(key) if isinstance(key, str) else key
        except SpecError as exc:
            raise PointError(str(exc)) from None
        i = arguments.position.get(sym)
        if i is None or arguments.kinds[sym] not in ("x", "y", "param"):
            raise PointError(f"point: {key!r} is not an input, target or parameter")
        try:
            out[i] = as_number(value, f"point value of {sym.name}")
        except SpecError as exc:
            raise PointError(str(exc)) from None
    return out


def _completed(net, arguments: _Arguments, given: dict) -> dict:
    """{position: number} of the leaves the graph computes from the point's values
    (:meth:`Graph.complete`: a truncated recurrent net's held states)."""
    merged = {**net.values, **{arguments.leaves[i]: v for i, v in given.items()}}
    completed = net.complete(merged)
    if completed is merged:
        return {}
    return {arguments.position[s]: v for s, v in completed.items()
            if s in arguments.position and merged.get(s) is not v}


def evaluate(derivation, point=None, *, exact: bool | None = None):
    """Route (a) at a point (:func:`evaluate_point`); with no point, or an empty one, on a
    graph with a mini-batch, every example (:func:`evaluate_batch`).

        >>> d = sb.load("examples/minibatch.toml").backward()
        >>> point = {"x_{1}": 0.5, "x_{2}": -0.2, "y_{1}": 0.99}
        >>> len(evaluate(d).examples), evaluate(d, point).cost == evaluate(d).examples[1].cost
        (3, True)
    """
    if derivation.graph.runs_examples(point):
        return evaluate_batch(derivation, exact=exact)
    return evaluate_point(derivation, point, exact=exact)


def evaluate_point(derivation, point=None, *, exact: bool | None = None) -> Values:
    """Route (a), the backprop recursion: every definition, in order, at a point.

    The program is compiled once per derivation (:func:`program`) with its argument
    order fixed; the spec's values are converted once per number system, so a call
    converts only the point's own values and runs the generated code."""
    net = derivation.graph
    arguments = _arguments(derivation)
    _, raw, missing, inexact = arguments.spec(net)
    given = _overrides(net, arguments, point) if point else {}
    if given:
        given.update(_completed(net, arguments, given))
    if missing - given.keys():
        resolve_point(net, point)  # raises the message naming what is missing
    possible = (inexact <= given.keys() and all(isinstance(v, Fraction) for v in given.values())
                and rational(derivation))
    if exact and not possible:
        raise PointError("exact evaluation needs rational values, rational activations "
                         "(identity, relu, leaky_relu) and a polynomial cost (mse, sse)")
    system = "exact" if (possible if exact is None else exact) else "float"
    args = list(arguments.converted(net, system))
    for i, value in given.items():
        args[i] = to_system(value, system)
    prog = program(derivation, system)
    out = prog.run(args)
    if system == "float" and not all(map(math.isfinite, out)):
        symbol, value = next((s, v) for s, v in zip(prog.outputs, out) if not math.isfinite(v))
        raise PointError(f"the network cannot be evaluated at this point: {symbol.name} "
                         f"is {value} (the values are too large for floating point)")
    return Values(net, Numbers(prog.index, list(out) + args), system == "exact")


__all__ = ["Batch", "Numbers", "Program", "Values", "evaluate", "evaluate_batch", "evaluate_point",
           "finite_differences", "forward_float", "forward_mp", "program", "resolve_point", "stable", "total"]


def forward_mp(derivation, values: dict, dps: int) -> dict:
    """Forward values and the cost in mpmath at ``dps`` digits (leaf values included)."""
    prog = program(derivation, "mp", upto=derivation.graph.cost_symbol)
    with mpmath.workdps(dps):
        args = {s: to_system(v, "mp") for s, v in values.items()}
        out = prog(args)
        out.update(args)
    return out


def forward_float(derivation, values: dict) -> dict:
    """Forward values and the cost in float64 (leaf values included)."""
    prog = program(derivation, "float", upto=derivation.graph.cost_symbol)
    args = {s: to_system(v, "float") for s, v in values.items()}
    out = prog(args)
    out.update(args)
    return out


def tail(derivation, start: int, system: str = "mp") -> Program:
    """The cost as a compiled function (mpmath, or float) of the nodes below depth
    ``start`` (held as numbers) and the leaves used from there on: in a layered network,
    of layer l − 1's activations when ``start`` is the depth of layer l's z."""
    cache = _programs(derivation)
    key = ("tail", start, system)
    if key not in cache:
        net = derivation.graph
        depth, used = net.depth, net.used
        defs = [(s, net.nodes[s].expr) for s in net.defined if depth[s] >= start and s in used]
        defs = stable_definitions(net, defs)
        defined = {s for s, _ in defs}
        free = set().union(*(e.free_symbols for _, e in defs)) - defined
        leaves_ = sorted(free, key=sympy.default_sort_key)
        cache[key] = Program(defs, leaves_, [net.cost_symbol], system)
    return cache[key]


FD_STEP = "1e-20"
#: The relative step of float64 finite differences: 2⁻¹⁷ ≈ 7.6·10⁻⁶, about the cube root
#: of the unit roundoff, where truncation (h²) and round-off (ε/h) errors balance.
FLOAT_STEP = 2.0 ** -17


def finite_differences(derivation, values: dict, wrt, *, dps: int = 50, h: str = FD_STEP,
                       system: str = "mp", forward: dict | None = None) -> dict:
    """Route (c): central differences (C(p + hₚ) − C(p − hₚ)) / 2hₚ in mpmath.

    The step scales with the parameter, hₚ = h·max(1, |p|) with h = 10⁻²⁰: at 50 digits
    the truncation error is then about h² = 10⁻⁴⁰ and the round-off about 10⁻⁵⁰/h =
    10⁻³⁰ relative to C, so the result is exact for any float comparison, for a weight
    of 10²⁰ or an input of 10³¹ too (an absolute step is lost in p ± h there).
    A leaf cannot change a node shallower than its consumers (in a layered network: a
    parameter first used in layer l cannot change the layers before it), so the cost is
    recomputed from that depth only, by one compiled program per depth (:func:`tail`).
    Where the leaf's downstream cone is much smaller than that (a weight of a layer
    3,000 wide reaches a handful of nodes), only the cone is recomputed, an affine node
    there only by its changed terms (:class:`cones.Cones`). A leaf the output does not
    use has gradient 0.

    With ``system="float"`` the same differences are taken in float64 with the step
    :data:`FLOAT_STEP`·max(1, |p|) (``dps`` and ``h`` do not apply), over the cone, or
    for a layered network by the compiled layers (:meth:`compiled._Layered.cost_differences`):
    an independent route accurate to about 10⁻¹⁰ relative to the cost, cheap enough for
    every parameter of a large network (see :mod:`check`). ``forward`` may
    give the forward values already computed in that system (the recursion's).
    """
    if system == "float":
        by_layers = part(_PARTS, derivation.graph).float_differences
        if by_layers is not None:
            return by_layers(derivation, values, wrt)
    with mpmath.workdps(dps):
        if system == "mp":
            step, zero = mpmath.mpf(h), mpmath.mpf(0)
            forward = forward_mp(derivation, values, dps) if forward is None else forward
        else:
            step, zero = FLOAT_STEP, 0.0
            forward = forward_float(derivation, values) if forward is None else forward
        differences = _Differences(derivation, system, forward)
        return {p: differences.of(p, step, zero) for p in wrt}


class _Differences:
    """Central differences of the cost at one point, leaf by leaf: over the leaf's cone
    (:class:`cones.Cones`) where it is small, else over the tail from the leaf's depth."""

    def __init__(self, derivation, system: str, forward: dict):
        from .cones import Cones
        cache = _programs(derivation)
        if ("cones", system) not in cache:
            cache[("cones", system)] = Cones(derivation, system)
        self.derivation, self.graph, self.system = derivation, derivation.graph, system
        self.cones = cache[("cones", system)]
        self.forward = forward
        self.base = self.cones.values(forward)
        self._work: dict = {}     # depth → the work of recomputing the tail from it
        self._tails: dict = {}    # depth → its tail program's arguments at the base point

    def of(self, p, step, zero):
        """(C(p + hₚ) − C(p − hₚ)) / 2hₚ, hₚ = step·max(1, |p|); ``zero`` outside the cost's cone."""
        cones, base = self.cones, self.base
        i = cones.ids.get(p)
        cone = cones.cone(i) if i is not None else ()
        if not cone:
            return zero
        hp = step * max(1, abs(base[i]))
        start = self.graph.cut(p)
        if start not in self._work:
            self._work[start] = cones.tail_work(self.graph.depth, start)
        if self.system == "float" or CONE_SHARE * cones.work(i, cone) < self._work[start]:
            up = cones.output_at(base, i, base[i] + hp, cone)
            down = cones.output_at(base, i, base[i] - hp, cone)
        else:
            up, down = self._by_tail(p, start, base[i] + hp, base[i] - hp)
        return (up - down) / (2 * hp)

    def _by_tail(self, p, start: int, up, down) -> tuple:
        """The cost with the leaf at ``up`` and at ``down``, recomputed from depth ``start``
        (from depth 1 the tail is the whole forward pass, already compiled)."""
        cost = self.graph.cost_symbol
        prog = program(self.derivation, "mp", upto=cost) if start <= 1 \
            else tail(self.derivation, start, self.system)
        if start not in self._tails:
            self._tails[start] = [self.forward[s] for s in prog.leaves]
        at = prog.index[cost]
        args = list(self._tails[start])
        k = prog.index[p] - len(prog.outputs)
        args[k] = up
        cost_up = prog.function(*args)[at]
        args[k] = down
        return cost_up, prog.function(*args)[at]


#: The cone route is taken when it touches this many times fewer terms than the tail
#: (float differences always take it: compiling a tail costs more than it saves).
CONE_SHARE = 8
