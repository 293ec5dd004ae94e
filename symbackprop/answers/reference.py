"""What answers are compared with: the network's definitions and their values at points.

For one network this module holds, computed once and kept while its values stay the same:

* the **definitions** of the derivation (every z, a, C, δ and ∂C/∂ of a parameter or
  input), plus ∂C/∂a for every activation and ∂C/∂y for every target, so that an answer
  may name the adjoint of any node;
* the **points**: the spec's own point first (when the spec gives every value and it is
  not at a ReLU kink), then seeded random points, each with the value of every leaf and
  every definition, computed by one compiled program (:class:`numeric.Program`);
* a **target** per ``--wrt`` node: its adjoint symbol, the derived formula and its value
  at every point.

Random values are rounded to two decimals so that a counterexample reads well; points
where a ReLU-type input is within 10⁻³ of its kink are redrawn, so that the one-sided
derivative convention never decides a verdict. The targets of ``cross_entropy`` with a
**softmax** output layer are drawn as a distribution (exact fractions summing to 1), the
domain on which the usual answer a − y holds; with any other output layer (sigmoid,
tanh …) cross-entropy's targets are drawn independently like every other leaf, since no
identity there needs Σ y = 1 and assuming it would accept wrong answers such as
−(1 − y₂)(1 − a₁) for −y₁(1 − a₁).
"""

from __future__ import annotations

import functools
import math
import random
from collections import OrderedDict
from fractions import Fraction
from dataclasses import dataclass, field

import mpmath
import sympy

from ..numeric import values as numeric
from ..errors import AnswerError, PointError, SymbackpropError
from ..core.graph import part
from ..notation.naming import Notation
from ..notation.printing import unicode_name
from ..notation.printing import latex, text
from .symbolic import Normalizer

#: Random points drawn besides the spec's own point.
RANDOM_POINTS = 24
#: Seed of the point generator: the same network always gets the same points.
SEED = 20240417
#: A point is redrawn when a ReLU-type pre-activation is closer than this to 0.
KINK_MARGIN = 1e-3


@dataclass
class Point:
    """One point: ``values`` maps every leaf and defined symbol to a float; ``leaves``
    lists the leaf values (as numbers, exact where the spec gave them) for reports."""

    label: str
    values: dict
    leaves: dict


@dataclass
class Target:
    """What ``--wrt`` asks for: ∂C/∂(node) as ``symbol``, defined by ``expr``."""

    node: sympy.Symbol
    symbol: sympy.Symbol
    expr: sympy.Expr
    values: list
    formula_latex: str
    formula_text: str
    cache: dict = field(default_factory=dict, repr=False)


class _GraphPart:
    """What a reference of any graph adds to its derivation: ∂C/∂y of every target (the
    sum over its consumers), an adjoint an answer may name."""

    @staticmethod
    def extras(net, d) -> list:
        """(node, its adjoint symbol, the adjoint's definition), in graph order."""
        return [(y, net.gradient_symbol(y), d.sum_over_consumers(y)) for y in net.targets]

    @staticmethod
    def sums_to_one(net) -> bool:
        return False


class _LayeredPart(_GraphPart):
    """A layered net's: ∂C/∂a of every activation (written in place inside δ) and ∂C/∂y
    as the cost's own partial; and targets drawn as a distribution where the lecture's
    a − y needs one."""

    @staticmethod
    def extras(net, d) -> list:
        in_place = d.written_in_place
        return ([(a, sympy.Symbol(Notation.gradient(a.name)), in_place[a])
                 for a, node in net.nodes.items() if node.kind == "a"]
                + [(y, net.gradient_symbol(y), sympy.diff(net.cost, y)) for y in net.targets])

    @staticmethod
    def sums_to_one(net) -> bool:
        """A softmax output layer with cross-entropy: the targets are drawn as a distribution."""
        return net.cost_function.name == "cross_entropy" and net.activations[-1].name == "softmax"


class _BatchPart(_GraphPart):
    """A graph whose mini-batch is one graph (:attr:`Graph.copies`, a batch norm's): also
    each input's summed gradient ∂L/∂x = Σₙ ∂L/∂x⁽ⁿ⁾, under the input's own name."""

    @staticmethod
    def extras(net, d) -> list:
        out = _GraphPart.extras(net, d)
        for name, leaves in net.copies.items():
            whole = sympy.Symbol(name)
            out.append((whole, net.gradient_symbol(whole), sympy.Add(*[d.gradient(leaf).symbol for leaf in leaves])))
        return out


#: The builder's kind → what a reference adds to its derivation.
_PARTS = {"graph": _GraphPart, "layered": _LayeredPart, "convolutional": _BatchPart}


class Reference:
    """Definitions, adjoints and points of one network (see the module docstring)."""

    def __init__(self, net):
        self.net = net
        #: the spec's values the points were drawn with (:func:`reference` compares them)
        self.spec_values = dict(net.values)
        self.derivation = d = net.backward()
        kind = part(_PARTS, net)
        self.adjoints: dict[sympy.Symbol, sympy.Expr] = {net.cost_symbol: sympy.S.One}
        for f in d.formulas:
            if f.kind in ("delta", "w", "b", "p", "x"):
                self.adjoints[f.of] = f.symbol
        extras = kind.extras(net, d)
        self.adjoints.update((node, symbol) for node, symbol, _ in extras)
        self.definitions = tuple(list(d.definitions()) + [(symbol, expr) for _, symbol, expr in extras])
        self.defined = dict(self.definitions)
        self.leaves = numeric.leaves(net)
        self.order = {s: i for i, (s, _) in enumerate(self.definitions)}
        #: whether the random points' targets are a distribution (Σ y = 1): a softmax
        #: output layer with cross-entropy
        self.sums_to_one: bool = kind.sums_to_one(net)
        self._program = numeric.Program(self.definitions, self.leaves,
                                        [s for s, _ in self.definitions], "float")
        self._targets: dict = {}
        self._free: dict = {}
        #: caches of the modules that read and judge answers against this reference
        self.vocabularies: dict = {}      # :mod:`verdict`: the vocabulary of each question
        self.taught: dict = {}            # :mod:`verdict`: each teacher's mistake, read

    # --- names --------------------------------------------------------------------------

    def adjoint(self, node: sympy.Symbol) -> sympy.Expr:
        """The symbol standing for ∂C/∂(node) (1 for the cost itself)."""
        return self.adjoints[node]

    def node_of_adjoint(self, symbol: sympy.Symbol):
        """The node whose adjoint ``symbol`` is, or None."""
        return self._nodes_of_adjoints.get(symbol)

    @functools.cached_property
    def _nodes_of_adjoints(self) -> dict:
        return {adj: node for node, adj in self.adjoints.items()}

    def uses(self, symbol: sympy.Symbol) -> frozenset:
        """The free symbols of a definition (cached)."""
        if symbol not in self._free:
            self._free[symbol] = frozenset(self.defined[symbol].free_symbols)
        return self._free[symbol]

    def names(self) -> list[str]:
        """Every name an answer may use, in graph order."""
        return [s.name for s, n in self.net.nodes.items() if n.kind != "C"]

    # --- points -------------------------------------------------------------------------

    @functools.cached_property
    def points(self) -> list[Point]:
        """The spec's point (when it can be used) and the random points."""
        return self._sample()

    def _values(self, leaves: dict):
        """Every definition's value from float leaf values, or None (kink, overflow …)."""
        try:
            out = self._program({s: float(v) for s, v in leaves.items()})
        except (OverflowError, ValueError, ZeroDivisionError, TypeError, PointError):
            return None       # outside the domain (ln, sqrt of a negative …): draw again
        out.update({s: float(v) for s, v in leaves.items()})
        for s, v in out.items():
            if isinstance(v, complex) or not math.isfinite(v):
                return None
        net = self.net
        for node in net.nodes.values():
            if node.op == "activation" and node.activation.kinked:
                if abs(out[node.expr.args[0]]) < KINK_MARGIN:
                    return None
        return out

    def _sample(self) -> list[Point]:
        points = []
        try:
            spec = numeric.resolve_point(self.net)
        except (PointError, SymbackpropError):
            spec = None
        if spec is not None:
            values = self._values(spec)
            if values is not None:
                points.append(Point("the spec's point", values, dict(spec)))
        rng = random.Random(SEED)
        kinds = {s: self.net.nodes[s].kind for s in self.leaves}
        first = len(points)
        softmax_ce = self.sums_to_one
        attempts, wanted = 0, first + RANDOM_POINTS
        while len(points) < wanted and attempts < 20 * RANDOM_POINTS:
            attempts += 1
            leaves = {}
            for s in self.leaves:
                if kinds[s] == "y":
                    leaves[s] = round(rng.uniform(0.05, 0.95), 2)
                else:
                    magnitude = round(rng.uniform(0.1, 1.5), 2)
                    leaves[s] = magnitude if rng.random() < 0.5 else -magnitude
            if softmax_ce:
                # softmax + cross-entropy: a − y assumes Σ y = 1, so the targets are a
                # distribution; with any other output layer they stay independent
                weights = {s: rng.randint(5, 95) for s in self.net.targets}
                total = sum(weights.values())
                leaves.update({s: Fraction(k, total) for s, k in weights.items()})
            values = self._values(leaves)
            if values is not None:
                points.append(Point(f"random point {len(points) - first + 1}", values, leaves))
        if len(points) < 4:
            raise AnswerError("cannot find points where this network can be evaluated "
                              "away from ReLU kinks")
        return points

    def free_targets(self) -> list[dict]:
        """Every definition's value at the random points with the targets scaled by 3/2
        (Σ y = 3/2): where an answer that holds only when Σ y = 1 (a − y for softmax with
        cross-entropy) differs from the derived formula. Cached."""
        return self._free_targets

    @functools.cached_property
    def _free_targets(self) -> list[dict]:
        targets = set(self.net.targets)
        scaled = [{s: v * Fraction(3, 2) if s in targets else v for s, v in p.leaves.items()}
                  for p in self.points if p.label != "the spec's point"]
        return [v for v in map(self._values, scaled) if v is not None]

    def exact_values(self, index: int, dps: int = 40) -> dict:
        """Every definition's value at point ``index`` in mpmath at ``dps`` digits."""
        point = self.points[index]
        with mpmath.workdps(dps):
            args = {s: numeric.to_system(v, "mp") for s, v in point.leaves.items()}
            out = self._mp_program(args)
            out.update(args)
        return out

    @functools.cached_property
    def symbols(self) -> tuple:
        """Every symbol a point holds a value of, in one fixed order."""
        return tuple(self.points[0].values)

    @functools.cached_property
    def gradient_values(self) -> dict:
        """node → the values of ∂C/∂node at every point, for every node with an adjoint."""
        return {node: [p.values[adj] for p in self.points] for node, adj in self.adjoints.items()
                if node != self.net.cost_symbol and adj in self.defined}

    @functools.cached_property
    def normalizer(self) -> Normalizer:
        """The normal forms of the definitions, for symbolic proofs (:mod:`symbolic`)."""
        return Normalizer(self)

    @functools.cached_property
    def _mp_program(self):
        return numeric.Program(self.definitions, self.leaves, [s for s, _ in self.definitions], "mp")

    # --- targets ------------------------------------------------------------------------

    def target(self, node: sympy.Symbol) -> Target:
        """∂C/∂(node) for a parameter, input, target, z or a (cached)."""
        if node not in self._targets:
            if node == self.net.cost_symbol or node not in self.adjoints:
                raise AnswerError(f"wrt: {node.name} has no derivative to check; give a "
                                  "parameter, input, target, z or a")
            symbol = self.adjoints[node]
            expr = self.defined[symbol]
            self._targets[node] = Target(
                node, symbol, expr, [p.values[symbol] for p in self.points],
                "%s = %s" % (latex(symbol), latex(expr)),
                "%s = %s" % (unicode_name(symbol.name), text(expr)))
        return self._targets[node]


#: How many networks' references are kept (the last ones asked for).
KEPT = 8
#: derivation → its network's Reference, the newest last. The derivation carries nothing
#: of answers'; the cache is bounded, not weak: a Reference holds its network, which holds
#: the derivation, so an entry keyed weakly by the derivation would never be freed.
_REFERENCES: OrderedDict = OrderedDict()


def reference(net) -> Reference:
    """The :class:`Reference` of a network, built once per derivation and again when the
    network's values change (the spec's point is one of the points)."""
    d = net.backward()
    ref = _REFERENCES.pop(d, None)
    if ref is None or ref.spec_values != net.values:
        ref = Reference(net)
    _REFERENCES[d] = ref
    while len(_REFERENCES) > KEPT:
        _REFERENCES.popitem(last=False)
    return ref
