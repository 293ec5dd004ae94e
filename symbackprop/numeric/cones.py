"""The output's value after one leaf changes, recomputing only that leaf's downstream cone.

Finite differences (route (c) of the check) change one leaf at a time. Recomputing the
whole graph for each leaf costs O(leaves × nodes); recomputing the nodes the leaf can
reach costs the size of its cone, which for a weight of a wide layer is a handful of
nodes. Two kinds of node are updated:

* an **affine** node z = Σ w·a + b is updated from its value at the base point by the
  terms whose factors changed: z′ = z + Σ (w′a′ − wa) + (b′ − b). This is exact (also
  when one leaf is both a weight and, through a shared parameter, upstream of its input)
  and costs the number of changed terms, not the width of the layer;
* a **sum** of many terms (the cost Σⱼ ½(aⱼ − yⱼ)², written in each output's z) is
  updated by the terms whose parents changed: C′ = C + Σ (t′ − t), each term compiled on
  its own, when they are fewer than half of the terms;
* every other node is recomputed from its parents: an activation by the registry's own
  mpmath function, anything else by a small compiled function.

Definitions are the ones :func:`numeric.stable_definitions` writes for numbers, so that
a saturated cost keeps its digits as in the forward pass.
"""

from __future__ import annotations

import sympy

from . import values as numeric
from .compiler import expression_function


class Cones:
    """Per-leaf recomputation of the output (see the module docstring), in ``system``:
    ``mp`` (mpmath at the working precision) or ``float``.

    Nodes are numbered once (leaves and definitions alike, definitions in order), so a
    recomputation works on lists and small integers: no symbol is hashed per step.
    :meth:`values` turns a {symbol: value} point into that list."""

    def __init__(self, derivation, system: str = "mp"):
        net = self.net = derivation.network
        self.system = system
        forward = [(s, net.nodes[s].expr) for s in net.defined if s in net.used]
        defs = numeric.stable_definitions(net, forward)
        ids: dict = {}
        self.symbols: list = []

        def number(symbol) -> int:
            if symbol not in ids:
                ids[symbol] = len(self.symbols)
                self.symbols.append(symbol)
            return ids[symbol]
        parents_of = [tuple(sorted(expr.free_symbols, key=sympy.default_sort_key)) for _, expr in defs]
        defined = {s for s, _ in defs}
        for parents in parents_of:
            for p in parents:
                if p not in defined:
                    number(p)
        for s, _ in defs:
            number(s)
        self.ids = ids
        self.order = [ids[s] for s, _ in defs]
        self.output = ids[net.cost_symbol]
        n = len(self.symbols)
        self.parents: list = [()] * n
        self.consumers: list = [[] for _ in range(n)]
        self.terms: dict = {}        # affine node → {parent: [(w, a), …]}, and its bias
        self.bias: dict = {}
        generic, sums = [], []
        for (s, expr), parents in zip(defs, parents_of):
            i = ids[s]
            node = net.nodes.get(s)      # None for a helper definition (a softmax complement)
            self.parents[i] = tuple(ids[p] for p in parents)
            for p in self.parents[i]:
                self.consumers[p].append(i)
            if node is not None and node.op == "affine" and expr is node.expr:
                index: dict = {}
                for w, a in node.terms:
                    pair = (ids[w], ids[a])
                    index.setdefault(pair[0], []).append(pair)
                    if a != w:
                        index.setdefault(pair[1], []).append(pair)
                self.terms[i] = index
                self.bias[i] = ids[node.bias]
            else:
                generic.append((i, expr, parents))
                if expr.is_Add and len(expr.args) >= SUM_TERMS:
                    sums.append((i, expr))
        self.functions = _compile(generic, system)
        self.sums: dict = {}         # sum node → (its terms' (function, parents), {parent: [term]})
        for i, expr in sums:
            terms = [(k, term, tuple(sorted(term.free_symbols, key=sympy.default_sort_key)))
                     for k, term in enumerate(expr.args)]
            functions = _compile(terms, system)
            compiled = [(functions[k], tuple(ids[p] for p in parents)) for k, (_, _, parents) in enumerate(terms)]
            by_parent: dict = {}
            for k, (_, parents) in enumerate(compiled):
                for p in parents:
                    by_parent.setdefault(p, []).append(k)
            self.sums[i] = (compiled, by_parent)

    def values(self, point: dict) -> list:
        """The list of values by node number: ``point``'s, with the helper definitions
        it lacks (softmax complements) computed."""
        base = [point.get(s) for s in self.symbols]
        for i in self.order:
            if base[i] is None:
                base[i] = self.functions[i](*[base[p] for p in self.parents[i]])
        return base

    def cone(self, leaf: int) -> list:
        """The node numbers ``leaf`` can change, in definition order."""
        seen, stack = set(), list(self.consumers[leaf])
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(self.consumers[s])
        return sorted(seen)

    def work(self, leaf: int, cone) -> int:
        """About how many terms :meth:`output_at` touches for ``leaf``: an affine node's
        changed terms, every other node's parents."""
        inside = set(cone)
        inside.add(leaf)
        total = 0
        for s in cone:
            parents = self.parents[s]
            total += sum(1 for p in parents if p in inside) if s in self.terms else len(parents)
        return total

    def tail_work(self, depth: dict, start: int) -> int:
        """The terms a recomputation of every node from depth ``start`` on touches."""
        return sum(len(self.parents[i]) for i in self.order if depth.get(self.symbols[i], start) >= start)

    def output_at(self, base: list, leaf: int, value, cone=None):
        """The output with ``leaf`` set to ``value`` and everything else at ``base``.

        Each changed node tells its consumers, so an affine node visits only the terms
        of the parents that moved: the work is the cone's edges, not its size squared."""
        changed = {leaf: value}
        moved: dict = {}
        for c in self.consumers[leaf]:
            moved.setdefault(c, []).append(leaf)
        functions, parents_of, terms, consumers = self.functions, self.parents, self.terms, self.consumers
        sums = self.sums
        for s in (self.cone(leaf) if cone is None else cone):
            index = terms.get(s)
            split = sums.get(s)
            if split is not None:
                parts, by_parent = split
                touched = sorted({k for p in moved.get(s, ()) for k in by_parent.get(p, ())})
                if 2 * len(touched) < len(parts):
                    new = base[s]
                    for k in touched:
                        fn, ps = parts[k]
                        new += fn(*[changed[p] if p in changed else base[p] for p in ps]) - fn(*[base[p] for p in ps])
                else:
                    new = functions[s](*[changed[p] if p in changed else base[p] for p in parents_of[s]])
            elif index is None:
                new = functions[s](*[changed[p] if p in changed else base[p] for p in parents_of[s]])
            else:
                delta = 0
                ps = moved.get(s, ())
                done = set() if len(ps) > 1 else None
                for p in ps:
                    for pair in index.get(p, ()):
                        if done is not None:
                            if pair in done:
                                continue
                            done.add(pair)
                        w, a = pair
                        new_w = changed[w] if w in changed else base[w]
                        new_a = changed[a] if a in changed else base[a]
                        delta += new_w * new_a - base[w] * base[a]
                bias = self.bias[s]
                if bias in changed:
                    delta += changed[bias] - base[bias]
                new = base[s] + delta
            changed[s] = new
            for c in consumers[s]:
                if c in moved:
                    moved[c].append(s)
                else:
                    moved[c] = [s]
        return changed.get(self.output, base[self.output])


#: A sum node of at least this many terms is updated term by term (see the module docstring).
SUM_TERMS = 4


def _compile(nodes, system: str) -> dict:
    """{key: f(*parents)} for each (key, expr, parents) in ``system``
    (:func:`compiler.expression_function`)."""
    return {key: expression_function(expr, parents, system) for key, expr, parents in nodes}


__all__ = ["Cones"]
