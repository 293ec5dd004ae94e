"""What answers are compared with: the network's definitions and their values at points.

For one network this module holds, computed once and cached on its derivation:

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

import math
import random
from fractions import Fraction
from dataclasses import dataclass, field

import mpmath
import sympy

from .. import numeric
from ..errors import AnswerError, PointError, SymbackpropError
from ..naming import Notation
from ..printing import unicode_name
from ..printing import latex, text

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


class Reference:
    """Definitions, adjoints and points of one network (see the module docstring)."""

    def __init__(self, net):
        self.net = net
        self.derivation = d = net.backward()
        defs = list(d.definitions())
        self.adjoints: dict[sympy.Symbol, sympy.Expr] = {net.cost_symbol: sympy.S.One}
        for f in d.formulas:
            if f.kind in ("delta", "w", "b", "p", "x"):
                self.adjoints[f.of] = f.symbol
        extras = []
        for sym, node in net.nodes.items():
            if node.kind == "a":
                extras.append((sympy.Symbol(Notation.gradient(sym.name)), d.dC_da(node.layer, node.index[0]).expr))
                self.adjoints[sym] = extras[-1][0]
        for y in net.targets:
            total = sympy.diff(net.cost, y) if net.layered else d.sum_over_consumers(y)
            extras.append((net.gradient_symbol(y), total))
            self.adjoints[y] = extras[-1][0]
        self.definitions = tuple(defs + extras)
        self.defined = dict(self.definitions)
        self.leaves = numeric.leaves(net)
        self.order = {s: i for i, (s, _) in enumerate(self.definitions)}
        self._program = numeric.Program(self.definitions, self.leaves,
                                        [s for s, _ in self.definitions], "float")
        self._mp_program = None
        self._points = None
        self._targets: dict = {}

    # --- names --------------------------------------------------------------------------

    def adjoint(self, node: sympy.Symbol) -> sympy.Expr:
        """The symbol standing for ∂C/∂(node) (1 for the cost itself)."""
        return self.adjoints[node]

    def node_of_adjoint(self, symbol: sympy.Symbol):
        """The node whose adjoint ``symbol`` is, or None."""
        if not hasattr(self, "_nodes_of_adjoints"):
            self._nodes_of_adjoints = {adj: node for node, adj in self.adjoints.items()}
        return self._nodes_of_adjoints.get(symbol)

    def uses(self, symbol: sympy.Symbol) -> frozenset:
        """The free symbols of a definition (cached)."""
        if not hasattr(self, "_free"):
            self._free = {}
        if symbol not in self._free:
            self._free[symbol] = frozenset(self.defined[symbol].free_symbols)
        return self._free[symbol]

    def names(self) -> list[str]:
        """Every name an answer may use, in graph order."""
        return [s.name for s, n in self.net.nodes.items() if n.kind != "C"]

    # --- points -------------------------------------------------------------------------

    @property
    def points(self) -> list[Point]:
        if self._points is None:
            self._points = self._sample()
        return self._points

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

    @property
    def sums_to_one(self) -> bool:
        """Whether the random points' targets are a distribution (Σ y = 1): a softmax
        output layer with cross-entropy."""
        net = self.net
        return bool(net.layered and net.cost_function.name == "cross_entropy"
                    and net.activations[-1].name == "softmax")

    def free_targets(self) -> list[dict]:
        """Every definition's value at the random points with the targets scaled by 3/2
        (Σ y = 3/2): where an answer that holds only when Σ y = 1 (a − y for softmax with
        cross-entropy) differs from the derived formula. Cached."""
        if not hasattr(self, "_free_targets"):
            targets = set(self.net.targets)
            scaled = [{s: v * Fraction(3, 2) if s in targets else v for s, v in p.leaves.items()}
                      for p in self.points if p.label != "the spec's point"]
            self._free_targets = [v for v in map(self._values, scaled) if v is not None]
        return self._free_targets

    def exact_values(self, index: int, dps: int = 40) -> dict:
        """Every definition's value at point ``index`` in mpmath at ``dps`` digits."""
        if self._mp_program is None:
            self._mp_program = numeric.Program(self.definitions, self.leaves,
                                               [s for s, _ in self.definitions], "mp")
        point = self.points[index]
        with mpmath.workdps(dps):
            args = {s: numeric.to_system(v, "mp") for s, v in point.leaves.items()}
            out = self._mp_program(args)
            out.update(args)
        return out

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


def reference(net) -> Reference:
    """The :class:`Reference` of a network, built once and kept on its derivation."""
    d = net.backward()
    cache = d.__dict__
    if "_answer_reference" not in cache:
        cache["_answer_reference"] = Reference(net)
    return cache["_answer_reference"]
