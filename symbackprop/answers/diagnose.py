"""Naming the mistake in a wrong answer, by making each usual mistake ourselves.

For the formula asked for, every usual mistake is made on purpose: one or more of the
derivation's definitions is rewritten (σ′ dropped, the weights of the backward sum
transposed, one term of the sum left out …) and the changed definitions are evaluated
again at every point, or the mistaken formula is written directly (the input of another
edge, the gradient of another layer's weight). A wrong answer whose values equal those
of a mistaken formula at every point has made that mistake. If none fits, an answer
that is the right one times a constant is reported as such.

The mistaken formulas depend only on the ``--wrt`` node, so their values are computed
once per node and cached: grading many answers to one question costs one comparison of
value lists per mistake.

Codes, in the order they are tried: ``sign_error``, ``factor_two``,
``missing_sigma_prime`` (everywhere, in one whole layer — the output layer's is Case 1
without σ′ — or in one δ), ``wrong_activation_derivative``, ``wrong_input``,
``transposed_index``, ``missing_term``, ``missing_use``, ``wrong_layer``,
``softmax_diagonal_only`` (a softmax layer's δ_i = a_i(1 − a_i)·∂C/∂a_i, without the
cross terms −a_i a_j·∂C/∂a_j); then ``wrong_parameter`` (the answer equals the gradient
of another parameter: another edge, a bias for a weight …) or, for a z, a, input or
target, ``wrong_node`` (another node's gradient), read from the values every point
already holds. Two mistakes at once are reported as ``code+sign_error`` or
``code+factor_two``; the fallback is ``constant_factor``.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass

import sympy

from ..errors import SpecError
from .. import activations
from ..activations import ActivationPrime
from ..printing import text, unicode_name
from .compare import MIN_POINTS, close
from .evaluate import Undefined, evaluate


@dataclass
class Mistake:
    code: str
    explanation: str
    values: list


@dataclass
class Diagnosis:
    code: str
    explanation: str


def _u(sym) -> str:
    return unicode_name(sym.name)


class _Builder:
    """Makes the mistaken formulas for one target."""

    def __init__(self, reference, target):
        self.ref = reference
        self.net = reference.net
        self.target = target
        self.G = target.symbol
        self.candidates: list = []      # (code, explanation, replacements | None, direct | None)
        self.cone = self._cone()
        self.near = self._near()

    def _cone(self) -> list:
        """Defined symbols the target depends on, in definition order."""
        defined = self.ref.defined
        seen, stack = set(), [self.G]
        while stack:
            s = stack.pop()
            if s in seen or s not in defined:
                continue
            seen.add(s)
            stack.extend(self.ref.uses(s))
        return sorted(seen, key=lambda s: self.ref.order[s])

    def _near(self) -> set:
        """The layers whose single δ's are mutated one by one: the question's own neuron
        layer and the next (a mistake deeper down is caught by the network-wide variants)."""
        net, node = self.net, self.net.nodes[self.target.node]
        if node.kind == "param":
            first = min(net.nodes[z].layer for z, _ in net.uses(self.target.node))
        elif node.kind in ("z", "a"):
            first = node.layer
        elif node.kind == "x":
            first = 1
        else:
            first = net.L
        return {first, first + 1}

    def add(self, code, explanation, replacements=None, direct=None):
        self.candidates.append((code, explanation, replacements, direct))

    # --- facts about the network --------------------------------------------------------

    def deltas(self):
        """(δ symbol, z node) for every ∂C/∂z in the cone."""
        out = []
        for s in self.cone:
            node_sym = self.ref.node_of_adjoint(s)
            if node_sym is not None and self.net.nodes[node_sym].kind == "z":
                out.append((s, self.net.nodes[node_sym]))
        return out

    def weight(self, l, j, k):
        return _or_none(self.net.w, l, j, k)

    def bias(self, l, j):
        return _or_none(self.net.b, l, j)

    def activation_symbol(self, l, k):
        return _or_none(self.net.a, l, k)

    def delta_symbol(self, l, j):
        return _or_none(self.net.delta, l, j)

    # --- the mistakes -------------------------------------------------------------------

    def build(self):
        G, net = self.G, self.net
        node = net.nodes[self.target.node]
        what = "∂C/∂" + _u(self.target.node)
        self.add("sign_error", f"sign error: the answer is −{what} (y − a where the cost's "
                 "derivative has a − y)", direct=-G)
        if net.cost_function.name in ("mse", "sse"):
            self.add("factor_two", f"off by a factor 2: twice {what} (the ½ in the cost "
                     "cancels the 2 from differentiating the square)", direct=2 * G)
            self.add("factor_two", f"off by a factor ½: half of {what} (the 2 from "
                     "differentiating the square is missing)", direct=G / 2)
        self._sigma_prime()
        self._wrong_activation()
        if node.kind == "param":
            self._wrong_input(node)
            self._transposed(node)
        self._transposed_sums()
        self._missing_terms()
        if node.kind == "param" and len(net.uses(self.target.node)) > 1:
            self._missing_uses()
        self._wrong_layer(node)
        self._output_signs()
        self._softmax_diagonal()
        return self.candidates

    def _primes(self, expr):
        return [p for p in expr.atoms(ActivationPrime) if not p.activation.is_identity]

    def _sigma_prime(self):
        deltas = [(s, z) for s, z in self.deltas() if self._primes(self.ref.defined[s])]
        if not deltas:
            return
        everywhere = {s: self.ref.defined[s].xreplace({p: 1 for p in self._primes(self.ref.defined[s])})
                      for s, _ in deltas}
        self.add("missing_sigma_prime", "missing σ′ factors: every σ′(z) of the backward pass "
                 "is left out (each neuron of the reversed network multiplies by σ′(z))",
                 replacements=everywhere)
        layers: dict = {}
        for s, z in deltas:
            layers.setdefault(z.layer, []).append(s)
        if len(layers) > 1:
            for l in sorted(layers, reverse=True):
                where = ("the output layer" if l == self.net.L else f"layer {l}")
                case = (" (Case 1 without its factor σ′(z))" if l == self.net.L
                        else " (Case 2 without its factor σ′(z))")
                names = ", ".join(_u(s) for s in layers[l])
                self.add("missing_sigma_prime", f"missing σ′ factors in {where}: σ′(z) is left "
                         f"out of every δ of layer {l} ({names}){case}",
                         replacements={s: everywhere[s] for s in layers[l]})
        for s, z in deltas:
            if z.layer in self.near:
                self.add("missing_sigma_prime", f"missing σ′ factor: σ′({_u(z.symbol)}) is left "
                         f"out of {_u(s)}", replacements={s: everywhere[s]})

    def _wrong_activation(self):
        deltas = [(s, z) for s, z in self.deltas() if self._primes(self.ref.defined[s])]
        used = {}
        for s, _ in deltas:
            for p in self._primes(self.ref.defined[s]):
                used[p.activation.name] = p.activation
        for act in used.values():
            for label, alternative in _alternatives(act):
                repl = {}
                for s, _ in deltas:
                    expr = self.ref.defined[s]
                    mapping = {p: alternative(p.args[0]) for p in self._primes(expr)
                               if p.activation is act}
                    if mapping:
                        repl[s] = expr.xreplace(mapping)
                explanation = (f"derivative of the wrong activation: {label} where the "
                               f"network's {act.name} has σ′(z)")
                self.add("wrong_activation_derivative", explanation, replacements=repl)
                if len(repl) > 1:
                    for s, changed in repl.items():
                        if self.net.nodes[self.ref.node_of_adjoint(s)].layer not in self.near:
                            continue
                        self.add("wrong_activation_derivative", f"{explanation}, in {_u(s)}",
                                 replacements={s: changed})

    def _wrong_input(self, node):
        net, G = self.net, self.G
        uses = net.uses(self.target.node)
        z, factor = uses[0]
        delta = self.ref.adjoint(z)
        zl, (j,) = net.nodes[z].layer, net.nodes[z].index
        if factor == 1:       # a bias: ∂z/∂b = 1
            for k in range(1, net.sizes[zl - 1] + 1):
                a_k = self.activation_symbol(zl - 1, k)
                self.add("wrong_input", f"wrong input on the edge: a bias has ∂z/∂b = 1, "
                         f"but the answer multiplies by {_u(a_k)}", direct=G + (a_k - 1) * delta)
            return
        for k in range(1, net.sizes[zl - 1] + 1):
            a_k = self.activation_symbol(zl - 1, k)
            if a_k is not None and a_k != factor:
                self.add("wrong_input", f"wrong input on the edge: {_u(a_k)} where the weight "
                         f"carries {_u(factor)} (∂z/∂w is the input on that edge)",
                         direct=G + (a_k - factor) * delta)
        own = self.activation_symbol(zl, j)
        self.add("wrong_input", f"wrong input on the edge: the neuron's own output {_u(own)} "
                 f"where ∂z/∂w is its input {_u(factor)}", direct=G + (own - factor) * delta)
        self.add("wrong_input", f"the input on the edge is missing: ∂z/∂w = {_u(factor)} "
                 "multiplies ∂C/∂z", direct=G - factor * delta + delta)

    def _transposed(self, node):
        if len(node.index) != 2:
            return
        j, k = node.index
        other = self.weight(node.layer, k, j)
        if other is not None and other != self.target.node and other in self.ref.adjoints:
            self.add("transposed_index", f"transposed weight index: this is ∂C/∂{_u(other)} "
                     f"(w_kj for w_jk)", direct=self.ref.adjoint(other))

    def _transposed_sums(self):
        swap = {}
        for sym, node in self.net.nodes.items():
            if node.kind == "param" and len(node.index) == 2:
                j, k = node.index
                other = self.weight(node.layer, k, j)
                if other is not None and other != sym:
                    swap[sym] = other
        if not swap:
            return
        repl = {}
        for s, z in self.deltas():
            expr = self.ref.defined[s]
            if self.ref.adjoint(z.symbol) == s and expr.free_symbols & set(swap):
                changed = expr.xreplace({w: swap[w] for w in expr.free_symbols if w in swap})
                if changed != expr:
                    repl[s] = changed
        expr = self.ref.defined[self.G]
        if self.net.nodes[self.target.node].kind in ("x", "a") and expr.free_symbols & set(swap):
            repl[self.G] = expr.xreplace({w: swap[w] for w in expr.free_symbols if w in swap})
        if repl:
            self.add("transposed_index", "transposed weight index in the backward sum: "
                     "w_kj where w_jk belongs (the reversed network runs over Wᵀ)",
                     replacements=repl)

    def _missing_terms(self):
        adjoint_symbols = set(self.ref.adjoints.values())
        sums = [s for s, z in self.deltas() if z.layer in self.near]
        if self.net.nodes[self.target.node].kind in ("x", "a"):
            sums.append(self.G)
        for s in sums:
            expr = self.ref.defined[s]
            inner = sorted((a for a in expr.free_symbols if a in adjoint_symbols and a != s),
                           key=lambda a: self.ref.order.get(a, 0))
            if len(inner) < 2:
                continue
            for a in inner:
                self.add("missing_term", f"a missing term of the sum over the next layer: the "
                         f"term with {_u(a)} is left out of {_u(s)}",
                         replacements={s: expr.xreplace({a: 0})})

    def _missing_uses(self):
        for z, factor in self.net.uses(self.target.node):
            self.add("missing_use", f"a missing term of the sum over the uses of a shared "
                     f"parameter: the use in {_u(z)} is left out",
                     direct=self.G - factor * self.ref.adjoint(z))

    def _wrong_layer(self, node):
        net = self.net
        if node.kind == "param":
            z, factor = net.uses(self.target.node)[0]
            zl, (j,) = net.nodes[z].layer, net.nodes[z].index
            for l in range(1, net.L + 1):
                if l == node.layer:
                    continue
                other = (self.weight(l, *node.index) if len(node.index) == 2
                         else self.bias(l, node.index[0]))
                if other is not None and other != self.target.node:
                    self.add("wrong_layer", f"the derivative with respect to the wrong layer: "
                             f"this is ∂C/∂{_u(other)}", direct=self.ref.adjoint(other))
                d = self.delta_symbol(l, j)
                if d is not None and l != zl:
                    self.add("wrong_layer", f"δ of the wrong layer: {_u(d)} where "
                             f"{_u(self.ref.adjoint(z))} belongs", direct=self.G + factor * (d - self.ref.adjoint(z)))
            if factor != 1 and len(node.index) == 2:
                k = node.index[1]
                for l in range(0, net.L + 1):
                    if l == zl - 1:
                        continue
                    a = self.activation_symbol(l, k)
                    if a is not None and a != factor:
                        self.add("wrong_layer", f"input from the wrong layer: {_u(a)} where "
                                 f"{_u(factor)} belongs", direct=self.G + (a - factor) * self.ref.adjoint(z))
        elif node.kind in ("z", "a"):
            j = node.index[0]
            for l in range(1, net.L + 1):
                if l == node.layer:
                    continue
                other = net.z(l, j) if node.kind == "z" and j <= net.sizes[l] else None
                if node.kind == "a" and j <= net.sizes[l]:
                    other = net.a(l, j)
                if other is not None:
                    self.add("wrong_layer", f"the derivative with respect to the wrong layer: "
                             f"this is ∂C/∂{_u(other)}", direct=self.ref.adjoint(other))

    def _output_signs(self):
        outputs = [(s, z) for s, z in self.deltas() if z.layer == self.net.L]
        if len(outputs) < 2:
            return
        for s, z in outputs:
            self.add("sign_error", f"sign error in one term: {_u(s)} has y − a where the cost's "
                     "derivative has a − y", replacements={s: -self.ref.defined[s]})


    def _softmax_diagonal(self):
        """A softmax layer's δ with only the diagonal of its Jacobian: δ_i = a_i(1 − a_i)
        ∂C/∂a_i, the −a_i a_j ∂C/∂a_j of every other output j left out (as if softmax were
        elementwise, like the sigmoid)."""
        net = self.net
        repl = {}
        for s, z in self.deltas():
            a = net.a(z.layer, z.index[0])
            if net.nodes[a].activation.name != "softmax" or a not in self.ref.adjoints:
                continue
            repl[s] = a * (1 - a) * self.ref.adjoint(a)
        if repl:
            names = ", ".join(_u(s) for s in repl)
            self.add("softmax_diagonal_only", "only the diagonal of the softmax Jacobian: "
                     f"{names} as a_i(1 − a_i)·∂C/∂a_i, without the terms −a_i a_j·∂C/∂a_j of "
                     "the other outputs (softmax is not elementwise: every a_j depends on "
                     "every z_i)", replacements=repl)


def _alternatives(act):
    """(label, t ↦ mistaken σ′(t)) for an activation."""
    out = []
    for name in sorted(activations.REGISTRY):
        other = activations.get(name)
        if name == act.name or other.is_identity or other.options or not other.elementwise:
            continue
        out.append((f"the derivative of {name}", other.prime_closed))
    f = act.func
    if act.name != "sigmoid":
        out.append(("a(1 − a), the sigmoid's derivative, on this activation's output",
                    lambda t: f(t) * (1 - f(t))))
    if act.name != "tanh":
        out.append(("1 − a², the tanh's derivative, on this activation's output",
                    lambda t: 1 - f(t) ** 2))
    out.append(("σ(z) itself where its derivative σ′(z) belongs", lambda t: f(t)))
    return out


def _values(reference, cone, replacements, direct, G):
    """A mistaken formula's value at every point: the direct expression, or the changed
    definitions and every definition downstream of them, in order."""
    steps = []
    if direct is None:
        changed = set()
        for s in cone:
            if s in replacements:
                steps.append((s, replacements[s]))
                changed.add(s)
            elif reference.uses(s) & changed:
                steps.append((s, reference.defined[s]))
                changed.add(s)
    out = []
    for point in reference.points:
        try:
            if direct is not None:
                out.append(evaluate(direct, point.values))
                continue
            new: dict = {}
            env = ChainMap(new, point.values)
            for s, expr in steps:
                new[s] = evaluate(expr, env)
            out.append(new.get(G, point.values[G]))
        except Undefined:
            out.append(None)
    return out


def _key(values) -> tuple:
    """A coarse fingerprint of a list of values, to find duplicates quickly."""
    return tuple(None if v is None else float(f"{v:.5g}") for v in values)


def _same(xs, ys) -> bool:
    count = 0
    for x, y in zip(xs, ys):
        if x is None or y is None:
            continue
        if not close(x, y):
            return False
        count += 1
    return count >= MIN_POINTS


def mistakes(reference, target) -> list[Mistake]:
    """The mistaken formulas for a target, with their values (cached on the target)."""
    if "mistakes" not in target.cache:
        builder = _Builder(reference, target)
        found: list[Mistake] = []
        seen = {_key(target.values)}
        for code, explanation, replacements, direct in builder.build():
            values = _values(reference, builder.cone, replacements or {}, direct, target.symbol)
            if _key(values) in seen or _same(values, target.values):
                continue
            seen.add(_key(values))
            found.append(Mistake(code, explanation, values))
        target.cache["mistakes"] = found
    return target.cache["mistakes"]


def _gradient_values(reference) -> dict:
    """node → the values of ∂C/∂node at every point, for every node with an adjoint
    (read from the points, computed once per network)."""
    cache = reference.__dict__
    if "_gradient_values" not in cache:
        out = {}
        for node, adj in reference.adjoints.items():
            if node == reference.net.cost_symbol or adj not in reference.defined:
                continue
            out[node] = [p.values[adj] for p in reference.points]
        cache["_gradient_values"] = out
    return cache["_gradient_values"]


def other_gradients(reference, target) -> list[Mistake]:
    """The gradients of the other nodes of the target's kind (another parameter, input,
    z, a or target), as mistakes: ``wrong_parameter`` for a parameter, ``wrong_node``
    otherwise. Cached on the target."""
    if "others" not in target.cache:
        net = reference.net
        kind = net.nodes[target.node].kind
        code = "wrong_parameter" if kind == "param" else "wrong_node"
        found = []
        for node, values in _gradient_values(reference).items():
            if node == target.node or net.nodes[node].kind != kind:
                continue
            if _same(values, target.values):
                continue
            what = "another parameter" if kind == "param" else "another node"
            found.append(Mistake(code, f"the derivative with respect to {what}: this is "
                                       f"∂C/∂{_u(node)}, not ∂C/∂{_u(target.node)}", values))
        target.cache["others"] = found
    return target.cache["others"]


_SCALED = ((-1, "sign_error", "and the sign is wrong"),
           (2, "factor_two", "and off by a factor 2"),
           (0.5, "factor_two", "and off by a factor ½"))


_SCALED_ALONE = ((-1, "sign_error", "the right formula with its sign flipped"),
                 (2, "factor_two", "twice the right formula"),
                 (0.5, "factor_two", "half the right formula"))


def diagnose(reference, target, answer_values) -> Diagnosis | None:
    """The mistake whose values the answer has, or None. On a graph that is not layered
    the structural mistakes (a layer's σ′, a transposed index …) do not apply: the answer
    is compared with the other nodes' gradients, a flipped sign and a factor 2."""
    if not reference.net.layered:
        found = other_gradients(reference, target)
        for factor, code, words in _SCALED_ALONE:
            scaled = [None if v is None else factor * v for v in target.values]
            if _same(answer_values, scaled):
                return Diagnosis(code, words)
    else:
        found = mistakes(reference, target) + other_gradients(reference, target)
    for m in found:
        if _same(answer_values, m.values):
            return Diagnosis(m.code, m.explanation)
    for factor, code, words in _SCALED:
        for m in found:
            if m.code in (code, "sign_error"):
                continue
            scaled = [None if v is None else factor * v for v in m.values]
            if _same(answer_values, scaled):
                return Diagnosis(f"{m.code}+{code}", f"{m.explanation}, {words}")
    return _constant_factor(target, answer_values)


def _constant_factor(target, answer_values) -> Diagnosis | None:
    ratios = [a / e for a, e in zip(answer_values, target.values)
              if a is not None and abs(e) > 1e-9]
    if len(ratios) < MIN_POINTS:
        return None
    c = ratios[0]
    if abs(c) < 1e-12 or not all(close(r, c, rtol=1e-7) for r in ratios):
        return None
    shown = sympy.nsimplify(c, rational=True, tolerance=1e-9)
    shown = text(shown) if shown.is_Rational and shown.q < 100 else f"{c:.6g}"
    return Diagnosis("constant_factor", f"off by a constant factor: the answer is {shown} "
                     "times the right one")


def _or_none(lookup, *index):
    """A network symbol by index, or None where the network has no such one."""
    try:
        return lookup(*index)
    except SpecError:
        return None
