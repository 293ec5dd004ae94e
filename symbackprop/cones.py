"""The output's value after one leaf changes, recomputing only that leaf's downstream cone.

Finite differences (route (c) of the check) change one leaf at a time. Recomputing the
whole graph for each leaf costs O(leaves × nodes); recomputing the nodes the leaf can
reach costs the size of its cone, which for a weight of a wide layer is a handful of
nodes. Two kinds of node are updated:

* an **affine** node z = Σ w·a + b is updated from its value at the base point by the
  terms whose factors changed: z′ = z + Σ (w′a′ − wa) + (b′ − b). This is exact (also
  when one leaf is both a weight and, through a shared parameter, upstream of its input)
  and costs the number of changed terms, not the width of the layer;
* every other node is recomputed from its parents: an activation by the registry's own
  mpmath function, anything else by a small compiled function.

Definitions are the ones :func:`numeric.stable_definitions` writes for numbers, so that
a saturated cost keeps its digits as in the forward pass.
"""

from __future__ import annotations

import sympy

from . import numeric
from .activations import ActivationFunction


class Cones:
    """Per-leaf recomputation of the output over mpmath values (see the module docstring)."""

    def __init__(self, derivation):
        net = self.net = derivation.network
        forward = [(s, net.nodes[s].expr) for s in net.defined if s in net.used]
        defs = numeric.stable_definitions(net, forward)
        self.order = [s for s, _ in defs]
        self.position = {s: i for i, s in enumerate(self.order)}
        self.output = net.cost_symbol
        self.parents: dict = {}
        self.consumers: dict = {}
        self.terms: dict = {}        # affine node → {parent: [(w, a), …]}, and its bias
        self.bias: dict = {}
        generic = []
        for s, expr in defs:
            node = net.nodes.get(s)      # None for a helper definition (a softmax complement)
            parents = tuple(sorted(expr.free_symbols, key=sympy.default_sort_key))
            self.parents[s] = parents
            for p in parents:
                self.consumers.setdefault(p, []).append(s)
            if node is not None and node.op == "affine" and expr is node.expr:
                index: dict = {}
                for w, a in node.terms:
                    index.setdefault(w, []).append((w, a))
                    if a != w:
                        index.setdefault(a, []).append((w, a))
                self.terms[s] = index
                self.bias[s] = node.bias
            else:
                generic.append((s, expr, parents))
        self.functions = _compile(generic)

    def complete(self, base: dict) -> dict:
        """``base`` with the values of helper definitions it lacks (softmax complements)."""
        for s in self.order:
            if s not in base:
                base[s] = self.functions[s](*[base[p] for p in self.parents[s]])
        return base

    def cone(self, leaf) -> list:
        """The nodes ``leaf`` can change, in definition order."""
        seen, stack = set(), list(self.consumers.get(leaf, ()))
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(self.consumers.get(s, ()))
        return sorted(seen, key=self.position.__getitem__)

    def work(self, leaf, cone) -> int:
        """About how many terms :meth:`output_at` touches for ``leaf``: an affine node's
        changed terms, every other node's parents."""
        inside = set(cone) | {leaf}
        total = 0
        for s in cone:
            parents = self.parents[s]
            total += sum(1 for p in parents if p in inside) if s in self.terms else len(parents)
        return total

    def tail_work(self, depth: dict, start: int) -> int:
        """The terms a recomputation of every node from depth ``start`` on touches."""
        return sum(len(self.parents[s]) for s in self.order if depth.get(s, start) >= start)

    def output_at(self, base: dict, leaf, value, cone=None):
        """The output with ``leaf`` set to ``value`` and everything else at ``base``."""
        changed = {leaf: value}
        for s in (self.cone(leaf) if cone is None else cone):
            index = self.terms.get(s)
            if index is None:
                args = [changed[p] if p in changed else base[p] for p in self.parents[s]]
                changed[s] = self.functions[s](*args)
                continue
            delta = 0
            done = set()
            parents = self.parents[s]
            moved = list(changed) if len(changed) < len(parents) else [p for p in parents if p in changed]
            for p in moved:
                for w, a in index.get(p, ()):
                    if (w, a) in done:
                        continue
                    done.add((w, a))
                    new_w = changed[w] if w in changed else base[w]
                    new_a = changed[a] if a in changed else base[a]
                    delta += new_w * new_a - base[w] * base[a]
            bias = self.bias[s]
            if bias in changed:
                delta += changed[bias] - base[bias]
            changed[s] = base[s] + delta
        return changed.get(self.output, base[self.output])


def _compile(nodes) -> dict:
    """{symbol: f(*parents)} in mpmath: an activation of one node is the registry's own
    mpmath function; any other node is compiled by ``lambdify``."""
    out = {}
    for s, expr, parents in nodes:
        if expr.is_Symbol:                       # identity(z) is z
            out[s] = _same
            continue
        act = getattr(expr, "activation", None)
        if isinstance(expr, ActivationFunction) and expr.args[0].is_Symbol and "mp" in act.numeric:
            out[s] = act.numeric["mp"][0]
            continue
        plain = [sympy.Symbol("p%d" % k) for k in range(len(parents))]
        body = expr.xreplace(dict(zip(parents, plain)))
        program = numeric.Program([(sympy.Symbol("v"), body)], plain, [sympy.Symbol("v")], "mp")
        out[s] = _first(program._fn)
    return out


def _first(fn):
    return lambda *args: fn(*args)[0]


def _same(value):
    return value


__all__ = ["Cones"]
