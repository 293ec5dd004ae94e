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
value lists per mistake. They are computed by compiled code, not by walking trees: all
of a node's candidates become one set of Python functions (:class:`programs.Programs`),
and since the backward pass is linear in the adjoints, a candidate that changes one δ
moves the result by (new − old)·∂G/∂δ, with ∂G/∂δ computed once per δ and point.

Each kind of network has its builder of mistakes (:data:`BUILDERS`). **Any graph**
(:class:`_GraphBuilder`): in the target's own sum and in the adjoints it depends on
(nearest first, at most :data:`GRAPH_CANDIDATES` candidates) one term left out
(``missing_consumer``: a consumer forgotten at a fork; in a recurrent net,
:class:`_RecurrentBuilder`, ``missing_time_step``: a shared weight's term of one step,
or a hidden state's term from the next step; in a gated cell, :class:`_GatedBuilder`,
also ``missing_cell_path``, ``tanh_c_as_h`` and ``update_gate_one_path``), one local partial written wrong
(``wrong_local_partial``: left out, or taken with respect to another input of the
consumer; an activation's left out, ``missing_sigma_prime``, or of the wrong
activation, ``wrong_activation_derivative``), one term's sign flipped (``sign_error``);
then every σ′ left out, and the whole recurrence left out (``missing_time_step``); a
flipped sign or a factor 2 of the whole answer, and another node's gradient
(``wrong_node``, ``wrong_parameter``). The layered mistakes below are made on layered
networks only.

Layered codes (:class:`_LayeredBuilder`), in the order they are tried: ``sign_error``,
``factor_two``, ``missing_sigma_prime`` (everywhere, in one whole layer — the output
layer's is Case 1 without σ′ — or in one δ), ``wrong_activation_derivative``,
``wrong_input``, ``transposed_index``, ``missing_term``, ``missing_use``, ``wrong_layer``,
``softmax_diagonal_only`` (a softmax layer's δ_i = a_i(1 − a_i)·∂C/∂a_i, without the
cross terms −a_i a_j·∂C/∂a_j); then ``wrong_parameter`` (the answer equals the gradient
of another parameter: another edge, a bias for a weight …) or, for a z, a, input or
target, ``wrong_node`` (another node's gradient), read from the values every point
already holds. Convolutional nets (:class:`_ConvBuilder`) add ``kernel_not_flipped``,
``window_offset``, ``maxpool_spread``, ``batchnorm_missing_mean``,
``batchnorm_missing_variance`` and ``missing_one_over_n`` to the mistakes of any graph,
from the graph's maps and roles. Two mistakes at once are reported as ``code+sign_error`` or
``code+factor_two``; the fallback is ``constant_factor``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy

from ..errors import SpecError
from ..ops import activations
from ..ops.activations import ActivationPrime
from ..core.graph import local_partial, part
from ..builders.layers import geometry
from ..notation.numerals import short
from ..notation.printing import text, unicode_name
from .compare import MIN_POINTS, close
from ..numeric.programs import Programs
from .evaluate import walk


#: Most candidate mistakes made per target on a graph that is not layered.
GRAPH_CANDIDATES = 600


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
    return _unicode(sym.name)


@functools.lru_cache(maxsize=65536)
def _unicode(name: str) -> str:
    return unicode_name(name)


class _Mistakes:
    """What every builder of mistaken formulas shares: the target, the definitions it
    depends on, and the candidates made so far."""

    #: whether another node's gradient is a mistake only for a node of the target's kind
    same_kind_only = False
    #: whether the whole answer's flipped sign or factor 2 is tried before the mistakes
    scaled_first = True

    def __init__(self, reference, target):
        self.ref = reference
        self.net = reference.net
        self.target = target
        self.G = target.symbol
        self.candidates: list = []      # (code, explanation, replacements | None, direct | None)
        self.cone = self._cone()

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

    def add(self, code, explanation, replacements=None, direct=None):
        self.candidates.append((code, explanation, replacements, direct))


class _LayeredBuilder(_Mistakes):
    """Makes the mistaken formulas of a layered net for one target (the lecture's)."""

    same_kind_only = True
    scaled_first = False

    def __init__(self, reference, target):
        super().__init__(reference, target)
        self.near = self._near()
        self._prime_atoms: dict = {}      # definition → its σ′ factors
        self._rests: dict = {}            # δ → its definition without σ′, or None

    def _near(self) -> set:
        """The layers whose single δ's are mutated one by one: the question's own neuron
        layer and the next (a mistake deeper down is caught by the network-wide variants)."""
        net, node = self.net, self.net.nodes[self.target.node]
        if node.kind == "param":
            first = min(net.layer_of.get(z) for z, _ in net.uses(self.target.node))
        elif node.kind in ("z", "a"):
            first = net.layer_of.get(node.symbol)
        elif node.kind == "x":
            first = 1
        else:
            first = net.L
        return {first, first + 1}

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
        cache = self._prime_atoms
        if expr not in cache:
            cache[expr] = [p for p in expr.atoms(ActivationPrime) if not p.activation.is_identity]
        return cache[expr]

    def _rest(self, s):
        """A δ's definition without its one σ′ factor (σ′(z)·Σ w δ → Σ w δ), or None."""
        cache = self._rests
        if s not in cache:
            expr = self.ref.defined[s]
            primes = [a for a in expr.args if isinstance(a, ActivationPrime)] if expr.is_Mul else []
            cache[s] = (_mul(*[a for a in expr.args if a is not primes[0]])
                        if len(primes) == 1 and not primes[0].activation.is_identity else None)
        return cache[s]

    def _swapped(self, s, new):
        """s's definition with its σ′ factor p replaced by new(p), written as s·new(p)/p
        from s's own value (small code: the rest of the definition is not written again);
        None where σ′ may be 0 (a ReLU) or s is not such a product. Valid only where the
        inputs of s are unchanged."""
        expr = self.ref.defined[s]
        if self._rest(s) is None:
            return None
        p = next(a for a in expr.args if isinstance(a, ActivationPrime))
        if not p.activation.nonzero_prime:
            return None
        return _mul(s, new(p), sympy.Pow(p, -1, evaluate=False))

    def _sigma_prime(self):
        deltas = [(s, z) for s, z in self.deltas() if self._primes(self.ref.defined[s])]
        if not deltas:
            return
        everywhere = {s: _substitute(self.ref.defined[s], {p: sympy.S.One for p in self._primes(self.ref.defined[s])})
                      for s, _ in deltas}
        self.add("missing_sigma_prime", "missing σ′ factors: every σ′(z) of the backward pass "
                 "is left out (each neuron of the reversed network multiplies by σ′(z))",
                 replacements=everywhere)
        layers: dict = {}
        for s, z in deltas:
            layers.setdefault(self.net.layer_of.get(z.symbol), []).append(s)
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
            if self.net.layer_of.get(z.symbol) in self.near:
                self.add("missing_sigma_prime", f"missing σ′ factor: σ′({_u(z.symbol)}) is left "
                         f"out of {_u(s)}", replacements={s: self._swapped(s, lambda p: sympy.S.One)
                                                          or everywhere[s]})

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
                    primes = [p for p in self._primes(expr) if p.activation is act]
                    rest = self._rest(s)
                    if rest is not None and len(primes) == 1:
                        repl[s] = _mul(alternative(primes[0].args[0]), rest)
                    elif primes:
                        repl[s] = _substitute(expr, {p: alternative(p.args[0]) for p in primes})
                explanation = (f"derivative of the wrong activation: {label} where the "
                               f"network's {act.name} has σ′(z)")
                self.add("wrong_activation_derivative", explanation, replacements=repl)
                if len(repl) > 1:
                    for s, changed in repl.items():
                        if self.net.layer_of.get(self.ref.node_of_adjoint(s)) not in self.near:
                            continue
                        fast = self._swapped(s, lambda p: alternative(p.args[0]))
                        self.add("wrong_activation_derivative", f"{explanation}, in {_u(s)}",
                                 replacements={s: fast if fast is not None else changed})

    def _wrong_input(self, node):
        net, G = self.net, self.G
        uses = net.uses(self.target.node)
        z, factor = uses[0]
        delta = self.ref.adjoint(z)
        zl, (j,) = net.layer_of.get(z), net.nodes[z].index
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
        other = self.weight(self.net.layer_of.get(node.symbol), k, j)
        if other is not None and other != self.target.node and other in self.ref.adjoints:
            self.add("transposed_index", f"transposed weight index: this is ∂C/∂{_u(other)} "
                     f"(w_kj for w_jk)", direct=self.ref.adjoint(other))

    def _transposed_sums(self):
        swap = {}
        for sym, node in self.net.nodes.items():
            if node.kind == "param" and len(node.index) == 2:
                j, k = node.index
                other = self.weight(self.net.layer_of.get(node.symbol), k, j)
                if other is not None and other != sym:
                    swap[sym] = other
        if not swap:
            return
        repl = {}
        for s, z in self.deltas():
            expr = self.ref.defined[s]
            if self.ref.adjoint(z.symbol) == s and expr.free_symbols & set(swap):
                changed = _substitute(expr, swap)
                if changed != expr:
                    repl[s] = changed
        expr = self.ref.defined[self.G]
        if self.net.nodes[self.target.node].kind in ("x", "a") and expr.free_symbols & set(swap):
            repl[self.G] = _substitute(expr, swap)
            if len(repl) > 1:       # the answer's own sum only: Σⱼ w_kj δⱼ for Σⱼ w_jk δⱼ
                self.add("transposed_index", f"transposed weight index in the sum of "
                         f"∂C/∂{_u(self.target.node)}: w_kj where w_jk belongs (the reversed "
                         "network runs over Wᵀ)", replacements={self.G: repl[self.G]})
        if repl:
            self.add("transposed_index", "transposed weight index in the backward sum: "
                     "w_kj where w_jk belongs (the reversed network runs over Wᵀ)",
                     replacements=repl)

    def _missing_terms(self):
        adjoint_symbols = set(self.ref.adjoints.values())
        sums = [s for s, z in self.deltas() if self.net.layer_of.get(z.symbol) in self.near]
        if self.net.nodes[self.target.node].kind in ("x", "a"):
            sums.append(self.G)
        for s in sums:
            expr = self.ref.defined[s]
            inner = sorted((a for a in expr.free_symbols if a in adjoint_symbols and a != s),
                           key=lambda a: self.ref.order.get(a, 0))
            if len(inner) < 2:
                continue
            left_out = _without_each(s, expr, inner)
            for a in inner:
                self.add("missing_term", f"a missing term of the sum over the next layer: the "
                         f"term with {_u(a)} is left out of {_u(s)}",
                         replacements={s: left_out[a]})

    def _missing_uses(self):
        for z, factor in self.net.uses(self.target.node):
            self.add("missing_use", f"a missing term of the sum over the uses of a shared "
                     f"parameter: the use in {_u(z)} is left out",
                     direct=self.G - factor * self.ref.adjoint(z))

    def _wrong_layer(self, node):
        net = self.net
        if node.kind == "param":
            z, factor = net.uses(self.target.node)[0]
            zl, (j,) = net.layer_of.get(z), net.nodes[z].index
            for l in range(1, net.L + 1):
                if l == net.layer_of.get(node.symbol):
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
                if l == net.layer_of.get(node.symbol):
                    continue
                other = net.z(l, j) if node.kind == "z" and j <= net.sizes[l] else None
                if node.kind == "a" and j <= net.sizes[l]:
                    other = net.a(l, j)
                if other is not None:
                    self.add("wrong_layer", f"the derivative with respect to the wrong layer: "
                             f"this is ∂C/∂{_u(other)}", direct=self.ref.adjoint(other))

    def _output_signs(self):
        outputs = [(s, z) for s, z in self.deltas() if self.net.layer_of.get(z.symbol) == self.net.L]
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
            a = net.a(net.layer_of.get(z.symbol), z.index[0])
            if net.nodes[a].activation.name != "softmax" or a not in self.ref.adjoints:
                continue
            repl[s] = a * (1 - a) * self.ref.adjoint(a)
        if repl:
            names = ", ".join(_u(s) for s in repl)
            self.add("softmax_diagonal_only", "only the diagonal of the softmax Jacobian: "
                     f"{names} as a_i(1 − a_i)·∂C/∂a_i, without the terms −a_i a_j·∂C/∂a_j of "
                     "the other outputs (softmax is not elementwise: every a_j depends on "
                     "every z_i)", replacements=repl)


class _GraphBuilder(_Mistakes):
    """The mistakes that make sense on any graph, made for one target.

    A node's adjoint is the sum over its consumers c of (∂c/∂n)·(∂C/∂c); the usual
    mistakes are one term of that sum left out (a consumer forgotten at a fork) and one
    local partial ∂c/∂n written wrong (left out, taken with respect to another parent of
    c, the wrong activation's derivative, its sign flipped). They are made in the target's
    own sum and in every adjoint it depends on, nearest first (breadth first through the
    adjoint symbols), until :data:`GRAPH_CANDIDATES` candidates are made; then a mistake
    made everywhere at once: every activation's derivative left out."""

    def __init__(self, reference, target):
        super().__init__(reference, target)
        self.in_place = reference.derivation.written_in_place

    def contribution(self, c):
        """∂C/∂c as the sweep writes it in a consumer's term, or None."""
        if c == self.net.cost_symbol:
            return sympy.S.One
        if c in self.in_place:
            return self.in_place[c]
        adj = self.ref.adjoints.get(c)
        return adj if adj is not None and adj in self.ref.defined else None

    def terms(self, n) -> list:
        """(consumer, ∂c/∂n, ∂C/∂c) for every consumer of n the output depends on."""
        out = []
        for c in self.net.nodes[n].consumers:
            contribution = self.contribution(c)
            if contribution is not None:
                out.append((c, local_partial(self.net, self.net.nodes[c], n), contribution))
        return out

    def build(self):
        queue = [self.target.node]
        done = set()
        while queue and len(self.candidates) < GRAPH_CANDIDATES:
            n = queue.pop(0)
            if n in done:
                continue
            done.add(n)
            symbol = self.G if n == self.target.node else self.ref.adjoints.get(n)
            if symbol is None or symbol not in self.ref.defined:
                continue
            self._sum_mistakes(n, symbol)
            queue.extend(c for c, _, _ in self.terms(n))
            for c in list(self.net.nodes[n].consumers if n in self.net.nodes else ()):
                if c in self.in_place:                   # written in place: its consumers
                    queue.extend(self.net.nodes[c].consumers)
        del self.candidates[GRAPH_CANDIDATES:]
        self._everywhere()
        return self.candidates

    def _sum_mistakes(self, n, symbol):
        terms = self.terms(n)
        if not terms:
            return
        what = "∂%s/∂%s" % (_u(self.net.cost_symbol), _u(n))
        full = [partial * adj if partial != 1 else adj for _, partial, adj in terms]
        if len(terms) > 1:
            consumers = ", ".join(_u(c) for c, _, _ in terms)
            for i, (c, _, _) in enumerate(terms):        # from the sum's own value
                self.add(*self._missing(n, c, what, consumers),
                         replacements={symbol: symbol - full[i]})
        for i, (c, partial, adj) in enumerate(terms):
            for code, words, wrong in self._wrong_partials(n, c, partial):
                self.add(code, f"{words}, in {what}",
                         replacements={symbol: symbol + (wrong - partial) * adj})
            if len(terms) > 1 and partial != 0:
                self.add("sign_error", f"sign error in one term: the term through {_u(c)} has "
                         f"its sign flipped, in {what}",
                         replacements={symbol: symbol - 2 * partial * adj})

    def _missing(self, n, c, what, consumers):
        """(code, words) of the term through the consumer c left out of n's sum."""
        return ("missing_consumer", f"a consumer forgotten at a fork: {_u(n)} feeds "
                f"{consumers}, and the term through {_u(c)} is left out of {what} (a value "
                "that feeds several consumers collects one term per consumer)")

    def _wrong_partials(self, n, c, partial):
        """(code, words, a wrong ∂c/∂n) for the consumer c of n."""
        consumer = self.net.nodes[c]
        local = "∂%s/∂%s" % (_u(c), _u(n))
        out = []
        act = consumer.activation if consumer.op == "activation" else None
        if act is not None and not act.is_identity and partial != 1:
            out.append(("missing_sigma_prime", f"the activation's derivative is left out: "
                        f"{local} = {act.name}′ is missing", sympy.S.One))
            for label, alternative in _alternatives(act):
                out.append(("wrong_activation_derivative", f"derivative of the wrong activation: "
                            f"{label} for {local}", alternative(consumer.expr.args[0])))
        elif partial not in (0, 1):
            out.append(("wrong_local_partial", f"a local partial left out: the factor {local} "
                        "is missing", sympy.S.One))
        if consumer.expr is not None:
            for m in sorted(consumer.expr.free_symbols, key=lambda s: s.name):
                if m == n:
                    continue
                other = local_partial(self.net, consumer, m)
                if other != partial and other != 0:
                    out.append(("wrong_local_partial", f"the wrong local partial: ∂{_u(c)}/∂{_u(m)} "
                                f"(with respect to another input of {_u(c)}) where {local} belongs",
                                other))
        return out

    def _everywhere(self):
        primes = {}
        for s in self.cone:
            expr = self.ref.defined[s]
            found = [p for p in expr.atoms(ActivationPrime) if not p.activation.is_identity]
            if found and (s == self.G or self.ref.node_of_adjoint(s) is not None):
                primes[s] = expr.xreplace({p: 1 for p in found})
        if len(primes) > 1:
            self.add("missing_sigma_prime", "every activation's derivative is left out of the "
                     "backward pass (each activation node multiplies its adjoint by σ′)",
                     replacements=primes)


class _RecurrentBuilder(_GraphBuilder):
    """A recurrent net's mistakes: those of any graph, where a term left out of a shared
    weight's sum, or of a hidden state's sum from the next step, is a time step left out
    (``missing_time_step``); and, made everywhere at once, the gradient through later
    time steps left out of every hidden state."""

    def step(self, sym):
        """The time step of a node, or None (a parameter's: it is shared by every step)."""
        node = self.net.nodes[sym]
        return node.index[0] if node.kind != "param" and node.index else None

    def _missing(self, n, c, what, consumers):
        t_n, t_c = self.step(n), self.step(c)
        if self.net.nodes[n].kind == "param":
            return ("missing_time_step", f"a missing time step: the term of step {t_c} (through "
                    f"{_u(c)}) is left out of {what}; a shared weight's gradient is the sum "
                    "of one term per time step (backpropagation through time)")
        if t_n is not None and t_c is not None and t_c > t_n:
            return ("missing_time_step", f"a missing time step: the term from step {t_c} "
                    f"(through {_u(c)}) is left out of {what}; the hidden state also feeds "
                    "the next step (backpropagation through time)")
        return super()._missing(n, c, what, consumers)

    def _everywhere(self):
        super()._everywhere()
        truncated = {}
        for s in self.cone:
            n = self.ref.node_of_adjoint(s)
            if n is None or n == self.target.node or self.step(n) is None:
                continue
            terms = self.terms(n)
            keep = [p * a for c, p, a in terms if not (self.step(c) or 0) > self.step(n)]
            if len(keep) < len(terms):
                truncated[s] = sympy.Add(*keep)
        if truncated:
            self.add("missing_time_step", "the gradient through later time steps is left out: "
                     "each hidden state is treated as feeding only its own step's output "
                     "(backpropagation through time carries ∂C/∂h back from step t + 1)",
                     replacements=truncated)


class _GatedBuilder(_RecurrentBuilder):
    """A gated cell's mistakes (LSTM, GRU): those of a recurrent net, and three read from
    the nodes' roles. ``missing_cell_path``: a cell state's adjoint without the term
    f⁽ᵗ⁺¹⁾·∂C/∂c⁽ᵗ⁺¹⁾ from the next cell state (through the forget gate), in one sum or in
    every one at once; ``tanh_c_as_h``: tanh(c⁽ᵗ⁾) written as h⁽ᵗ⁾ (and tanh′(c⁽ᵗ⁾) as
    1 − (h⁽ᵗ⁾)²), which forgets the output gate in h⁽ᵗ⁾ = o⁽ᵗ⁾·tanh(c⁽ᵗ⁾);
    ``update_gate_one_path``: the GRU's update gate z feeds h⁽ᵗ⁾ = z·h⁽ᵗ⁻¹⁾ + (1 − z)·h̃
    through two paths, ∂h/∂z = h⁽ᵗ⁻¹⁾ − h̃, and the answer keeps one of them."""

    def _role(self, sym):
        return self.net.roles.get(sym, "")

    def _missing(self, n, c, what, consumers):
        if self._role(n) == self._role(c) == "cell state":
            return ("missing_cell_path", self._cell_path_words(f"the term through {_u(c)} is "
                                                               f"left out of {what}"))
        return super()._missing(n, c, what, consumers)

    @staticmethod
    def _cell_path_words(where):
        return (f"the cell path through the forget gate is missing: {where}; c⁽ᵗ⁾ feeds "
                "h⁽ᵗ⁾ and c⁽ᵗ⁺¹⁾ = f⁽ᵗ⁺¹⁾ c⁽ᵗ⁾ + …, so ∂C/∂c⁽ᵗ⁾ = f⁽ᵗ⁺¹⁾·∂C/∂c⁽ᵗ⁺¹⁾ + "
                "o⁽ᵗ⁾ tanh′(c⁽ᵗ⁾)·∂C/∂h⁽ᵗ⁾ (the path that keeps the gradient alive)")

    def _everywhere(self):
        self._cell_paths()
        self._tanh_as_h()
        self._update_paths()
        super()._everywhere()

    def _adjoint_nodes(self, role):
        """(adjoint symbol, node) for every node of a role whose adjoint is in the cone."""
        out = []
        for s in self.cone:
            n = self.target.node if s == self.G else self.ref.node_of_adjoint(s)
            if n is not None and self._role(n) == role:
                out.append((s, n))
        return out

    def _cell_paths(self):
        repl = {}
        for s, n in self._adjoint_nodes("cell state"):
            terms = self.terms(n)
            keep = [p * a for c, p, a in terms if self._role(c) != "cell state"]
            if len(keep) < len(terms):
                repl[s] = sympy.Add(*keep)
        if repl:
            self.add("missing_cell_path", self._cell_path_words(
                "every ∂C/∂c⁽ᵗ⁾ is written without f⁽ᵗ⁺¹⁾·∂C/∂c⁽ᵗ⁺¹⁾"), replacements=repl)

    def _tanh_as_h(self):
        """tanh(c⁽ᵗ⁾) → h⁽ᵗ⁾ and tanh′(c⁽ᵗ⁾) → 1 − (h⁽ᵗ⁾)², read from each h⁽ᵗ⁾ = o·tanh(c⁽ᵗ⁾)."""
        swap = {}
        for h, node in self.net.nodes.items():
            if self._role(h) == "hidden state" and node.expr is not None:
                for f in node.expr.atoms(sympy.Function):
                    if len(f.args) == 1 and self._role(f.args[0]) == "cell state":
                        swap[f] = h
                        swap[f.args[0]] = h
        mapping = {}
        for s in self.cone:
            for f in self.ref.defined[s].atoms(sympy.Function):
                if f in swap:
                    mapping[f] = swap[f]
                elif (isinstance(f, ActivationPrime) and f.activation.name == "tanh"
                      and f.args[0] in swap):
                    mapping[f] = 1 - swap[f.args[0]] ** 2
        adjoints = [s for s in self.cone if s == self.G or self.ref.node_of_adjoint(s) is not None]
        repl = {s: _substitute(self.ref.defined[s], mapping) for s in adjoints
                if self.ref.defined[s].atoms(sympy.Function) & set(mapping)}
        words = ("tanh(c⁽ᵗ⁾) written as h⁽ᵗ⁾: h⁽ᵗ⁾ = o⁽ᵗ⁾·tanh(c⁽ᵗ⁾) includes the output "
                 "gate, so ∂C/∂o⁽ᵗ⁾ = tanh(c⁽ᵗ⁾)·∂C/∂h⁽ᵗ⁾ and ∂h⁽ᵗ⁾/∂c⁽ᵗ⁾ = "
                 "o⁽ᵗ⁾(1 − tanh²(c⁽ᵗ⁾)), not h⁽ᵗ⁾ and o⁽ᵗ⁾(1 − (h⁽ᵗ⁾)²)")
        self._own_and_everywhere("tanh_c_as_h", words, repl)

    def _own_and_everywhere(self, code, words, repl):
        """The mistake in the answer's own sum alone (the adjoints it names are right),
        then in every adjoint at once."""
        if self.G in repl and len(repl) > 1:
            self.add(code, f"{words}, in ∂C/∂{_u(self.target.node)}", replacements={self.G: repl[self.G]})
        own = self.ref.defined[self.G]
        inner = {a: _substitute(self.ref.defined[a], repl) for a in sorted(own.free_symbols, key=str)
                 if a in self.ref.defined and self.ref.defined[a].free_symbols & set(repl)}
        if inner and self.G not in repl:      # a sum over steps whose terms hold the mistake
            self.add(code, f"{words}, in each term of ∂C/∂{_u(self.target.node)}",
                     direct=_substitute(own, inner))
        if repl:
            self.add(code, words, replacements=repl)

    def _update_paths(self):
        kept, candidate = {}, {}
        for s, n in self._adjoint_nodes("update gate"):
            terms = [(c, a) for c, _, a in self.terms(n) if self._role(c) == "hidden state"]
            if len(terms) != 1:
                continue
            c, a = terms[0]
            expr = self.net.nodes[c].expr         # z·h⁽ᵗ⁻¹⁾ + (1 − z)·h̃
            new = expr.subs(n, 0)                 # h̃
            kept[s] = (sympy.diff(expr, n) + new) * a
            candidate[s] = -new * a
        for repl, path in ((kept, "the kept state z·h⁽ᵗ⁻¹⁾ (∂h⁽ᵗ⁾/∂z = h⁽ᵗ⁻¹⁾)"),
                           (candidate, "the candidate (1 − z)·h̃⁽ᵗ⁾ (∂h⁽ᵗ⁾/∂z = −h̃⁽ᵗ⁾)")):
            self._own_and_everywhere("update_gate_one_path", "the update gate with one path "
                                     "only: z⁽ᵗ⁾ feeds h⁽ᵗ⁾ = z·h⁽ᵗ⁻¹⁾ + (1 − z)·h̃⁽ᵗ⁾ twice, so "
                                     f"∂h⁽ᵗ⁾/∂z = h⁽ᵗ⁻¹⁾ − h̃⁽ᵗ⁾; the answer keeps only {path}", repl)


class _AttentionBuilder(_GraphBuilder):
    """An attention head's mistakes: those of any graph, and two made in every adjoint
    at once: the softmax Jacobian taken as its diagonal (``softmax_diagonal_only``: a
    score's adjoint through its own weight alone, ∂C/∂S_ts = A_ts(1 − A_ts)·∂C/∂A_ts),
    and the scale 1/√d_k left out of the scores' partials (``missing_scale``)."""

    def _everywhere(self):
        super()._everywhere()
        roles, root = self.net.roles, sympy.sqrt(self.net.d_k)
        diagonal, unscaled = {}, {}
        for s in self.cone:
            n = self.target.node if s == self.G else self.ref.node_of_adjoint(s)
            role = roles.get(n)
            if role is None or role[0] not in "SQK":
                continue
            terms = self.terms(n)
            if role[0] == "S" and len(terms) > 1:
                diagonal[s] = sympy.Add(*[p * a for c, p, a in terms if roles.get(c, ())[1:] == role[1:]])
            elif role[0] in "QK" and root != 1 and terms:
                unscaled[s] = sympy.Add(*[root * p * a for _, p, a in terms])
        if diagonal:
            self.add("softmax_diagonal_only", "the softmax Jacobian's off-diagonal terms are left out: "
                     "a score S_ts feeds every weight A_tj of its row (∂A_tj/∂S_ts = −A_tj·A_ts for j ≠ s), "
                     "not only A_ts", replacements=diagonal)
        if unscaled:
            self.add("missing_scale", "the scale 1/√d_k is left out: S = Q·Kᵀ/√d_k, so "
                     "∂S_ts/∂Q_tk = K_sk/√d_k and ∂S_ts/∂K_sk = Q_tk/√d_k", replacements=unscaled)


class _ConvBuilder(_GraphBuilder):
    """A convolutional net's mistakes: those of any graph, where a term through a norm's
    mean or variance left out is that path of the batch-norm gradient left out
    (``batchnorm_missing_mean``, ``batchnorm_missing_variance``) and the partials of the
    mean and the variance without their 1/N are ``missing_one_over_n``; and, in the
    target's own sum and then in every adjoint of the cone: the kernel not flipped
    (``kernel_not_flipped``: K_{p} paired with the δ where K_{k+1−p} belongs, a
    correlation with the kernel as it is instead of the full convolution with the flipped
    one), the window offset (``window_offset``: a kernel entry's inputs, or an input's δ
    map, shifted by one position, the stride or the padding), a max pool's gradient
    spread over its window (``maxpool_spread``: every member gets δ, or δ/size). A
    mini-batch input's own name (its copies' summed gradient) has one term per example;
    one left out is ``missing_consumer``."""

    def __init__(self, reference, target):
        super().__init__(reference, target)
        self.roles = self.net.roles
        self.where = {sym: (key, index) for key, entries in self.net.maps.items()
                      for index, sym in entries.items()}

    #: the lecture's own mistakes, tried before those of any graph that give the same values
    #: (the mean path left out of every example = one example's mean term with its sign flipped)
    CODES = ("kernel_not_flipped", "window_offset", "maxpool_spread", "batchnorm_missing_mean",
             "batchnorm_missing_variance", "missing_one_over_n")

    def build(self):
        return sorted(super().build(), key=lambda candidate: candidate[0] not in self.CODES)

    def terms(self, n) -> list:
        """A mini-batch input's summed gradient has one term per example: its copies'."""
        if n in self.net.nodes:
            return super().terms(n)
        return [(leaf, sympy.S.One, self.ref.adjoint(leaf)) for leaf in self.net.copies[n.name]]

    def _missing(self, n, c, what, consumers):
        if n not in self.net.nodes:
            return ("missing_consumer", f"an example left out: {_u(n)} is summed over the mini-batch, "
                    f"and the term of its copy {_u(c)} is left out of {what}")
        role = self.roles.get(c)
        if role == "mean":
            return ("batchnorm_missing_mean", f"the mean path of the {self._norm(c)} is left out of {what}: "
                    f"{_u(n)} feeds the mean {_u(c)}, which every normalized entry uses")
        if role == "variance":
            return ("batchnorm_missing_variance", f"the variance path of the {self._norm(c)} is left out of "
                    f"{what}: {_u(n)} feeds the variance {_u(c)}, which every normalized entry uses")
        return super()._missing(n, c, what, consumers)

    def _wrong_partials(self, n, c, partial):
        out = []
        if self.roles.get(c) == "max pool":
            local = "∂%s/∂%s" % (_u(c), _u(n))
            out += [("maxpool_spread", f"the max pool's gradient is spread over its window: {local} "
                     f"taken as {text(w)} for every member, not 1 for the maximum only", w)
                    for w in (sympy.S.One, sympy.Rational(1, len(self.net.nodes[c].group)))]
        if self.roles.get(c) in ("mean", "variance"):
            count = self._count(c)
            out.append(("missing_one_over_n", f"the 1/N of the {self.roles[c]} is left out: "
                        f"∂{_u(c)}/∂{_u(n)} without its factor 1/{count}", partial * count))
        return out + super()._wrong_partials(n, c, partial)

    def _norm(self, c) -> str:
        """The norm layer of a mean or variance c: "batch norm" or "layer norm"."""
        return f"{self.net.layers[self.net.layer_of[c] - 1].mode} norm"

    def _count(self, c):
        """N of a norm's mean or variance c: how many entries it averages (the mean's inputs)."""
        if self.roles[c] == "variance":
            c = next(m for m in self.net.nodes[c].expr.free_symbols if self.roles.get(m) == "mean")
        return sympy.Integer(len(self.net.nodes[c].expr.free_symbols))

    def _everywhere(self):
        super()._everywhere()
        own = [(self.G, self.target.node)] if self.target.node in self.net.nodes else []
        sums = own + [(s, self.ref.node_of_adjoint(s)) for s in self.cone
                      if s != self.G and self.ref.node_of_adjoint(s) is not None]
        for code, words, change in self._changes():
            own, every = {}, {}
            for s, n in sums:
                terms = self.terms(n)
                moved = [d for d in (change(n, c, p, a) for c, p, a in terms) if d is not None]
                if moved:
                    every[s] = _add(s, *moved)
                    if s == self.G:
                        own[s] = every[s]
            if own:
                self.add(code, f"{words}, in ∂{_u(self.net.cost_symbol)}/∂{_u(self.target.node)}",
                         replacements=own)
            if len(every) > len(own):
                self.add(code, f"{words}, in every adjoint of the backward pass", replacements=every)
        self._offsets()
        for role, code, words in (("mean", "batchnorm_missing_mean", "the mean path of the norm"),
                                  ("variance", "batchnorm_missing_variance", "the variance path of the norm")):
            left_out = {}
            for s, n in sums:
                gone = [p * a for c, p, a in self.terms(n) if self.roles.get(c) == role]
                if gone:
                    left_out[s] = _add(s, _mul(sympy.S.NegativeOne, _add(*gone)))
            if left_out:
                self.add(code, f"{words} is left out of every adjoint (each input of the norm "
                         f"feeds the {role} of its group)", replacements=left_out)

    def _changes(self):
        """(code, words, (n, consumer, partial, adjoint) ↦ the term's change or None)."""
        def flipped(n, c, p, a):
            if self.roles.get(c) != "pre-activation" or self.roles.get(p) != "kernel":
                return None
            (base, l, _), index = self.where[p]
            size, _, _ = geometry(self.net.layers[l - 1], self.net.shapes[l - 1])
            other = self.net.maps[base, l, None][index[:2] + tuple(k + 1 - q for k, q in zip(size, index[2:]))]
            return None if other == p else _mul(_add(other, _mul(sympy.S.NegativeOne, p)), a)

        def spread(share):
            def change(n, c, p, a):
                if self.roles.get(c) != "max pool":
                    return None
                return _mul(_add(share(self.net.nodes[c]), _mul(sympy.S.NegativeOne, p)), a)
            return change

        def unaveraged(n, c, p, a):
            if self.roles.get(c) not in ("mean", "variance"):
                return None
            return _mul(self._count(c) - 1, p, a)

        return (("missing_one_over_n", "the 1/N of the norm's mean and variance is left out "
                 "of their partials (∂μ/∂x = 1/N, ∂σ²/∂x = 2(x − μ)/N)", unaveraged),
                ("kernel_not_flipped", "the kernel is not flipped: K_{p} meets the δ where K_{k+1−p} "
                 "belongs (∂C/∂x is the full convolution of δ with the flipped kernel, not a "
                 "correlation with the kernel as it is)", flipped),
                ("maxpool_spread", "the max pool's gradient is spread over its window: every "
                 "member gets the pooled entry's δ, not only the maximum", spread(lambda pool: sympy.S.One)),
                ("maxpool_spread", "the max pool's gradient is spread over its window: every "
                 "member gets δ/size, as an average pool's would, not only the maximum", spread(lambda pool: sympy.Rational(1, len(pool.group)))))

    def _offsets(self):
        """The window offset: a kernel entry's inputs (or an input's δ map) shifted."""
        n = self.target.node
        terms = [(c, p, a) for c, p, a in (self.terms(n) if n in self.net.nodes else ())
                 if self.roles.get(c) == "pre-activation"]
        kernel = self.roles.get(n) == "kernel"
        if not terms or not (kernel or self.roles.get(terms[0][1]) == "kernel"):
            return
        layer = self.net.layer_of.get(terms[0][0])
        spec = self.net.layers[layer - 1]
        _, stride, padding = geometry(spec, self.net.shapes[layer - 1])
        dims = len(self.net.shapes[layer - 1]) - 1
        steps = sorted({1, padding, *stride} - {0})
        for d in range(dims):
            for step in steps:
                for sign in (1, -1):
                    shift = tuple(sign * step if e == d else 0 for e in range(dims))
                    wrong = (self._windows(layer, padding, stride, shift) if kernel else
                             [self._shifted(c, p, a, shift) for c, p, a in terms])
                    if not any(w != 0 for w in wrong):
                        continue            # shifted off the map: nothing left to pair
                    what = "input window" if kernel else "δ map"
                    self.add("window_offset", f"the window is offset: the {what} is shifted by "
                             f"{sign * step:+d} along axis {d + 1} (δ paired with the wrong window; "
                             "check the stride and the padding)", direct=_add(sympy.S.Zero, *wrong))

    def _windows(self, l, padding, stride, shift) -> list:
        """A kernel entry's terms input·δ over every output position, each window moved by
        shift (an input beyond the edge, or in the padding, gives no term)."""
        o, c, *p = self.net.nodes[self.target.node].index
        out = []
        for n in self.net.examples:
            zs = self.net.maps["z", l, n]
            inputs = self.net.maps[self.where[self.net.nodes[next(iter(zs.values()))].terms[0][1]][0]]
            for (channel, *at), z in zs.items():
                source = tuple((i - 1) * s + q - padding + d for i, s, q, d in zip(at, stride, p, shift))
                entry, adjoint = inputs.get((c,) + source), self.contribution(z)
                if channel == o and entry is not None and adjoint is not None:
                    out.append(_mul(entry, adjoint))
        return out

    def _shifted(self, c, p, a, shift):
        """One term K·δ of an input's sum with the consumer's δ taken from the shifted position."""
        (base, l, n), index = self.where[c]
        moved = self.net.maps[base, l, n].get(index[:1] + tuple(i + s for i, s in zip(index[1:], shift)))
        adjoint = None if moved is None else self.contribution(moved)
        return sympy.S.Zero if adjoint is None else _mul(p, adjoint)


#: The builder's kind → the builder of its mistakes.
BUILDERS = {"graph": _GraphBuilder, "layered": _LayeredBuilder, "recurrent": _RecurrentBuilder,
            "attention": _AttentionBuilder, "convolutional": _ConvBuilder, "gated": _GatedBuilder}


def _add(*args):
    """A sum built as it is, without SymPy's canonical form (the candidates are only
    evaluated: building them canonically cost more than evaluating them)."""
    return args[0] if len(args) == 1 else sympy.Add._from_args(args)


def _mul(*args):
    return args[0] if len(args) == 1 else sympy.Mul._from_args(args)


def _substitute(expr, mapping, memo=None):
    """``expr.xreplace(mapping)``, rebuilding sums, products and powers unevaluated."""
    if memo is None:
        memo = {}
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    if expr in memo:
        return memo[expr]
    args = tuple(_substitute(a, mapping, memo) for a in expr.args)
    if all(new is old for new, old in zip(args, expr.args)):
        out = expr
    elif expr.is_Add or expr.is_Mul:
        out = expr.func._from_args(args)
    elif expr.is_Pow:
        out = expr.func(*args, evaluate=False)
    else:
        out = expr.func(*args)
    memo[expr] = out
    return out


def _without_each(s, expr, symbols) -> dict:
    """For each of ``symbols``: the definition ``expr`` of ``s`` with the terms that use
    it left out, written as s − (those terms) from s's own value where ``expr`` is a
    product with one sum holding the symbols (small code); else by substituting 0."""
    factors = expr.args if expr.is_Mul else (expr,)
    sums = [f for f in factors if f.is_Add]
    out = {}
    if len(sums) == 1:
        f = sums[0]
        others = _mul(*[g for g in factors if g is not f])
        outside = others.free_symbols
        holding: dict = {}
        for t in f.args:
            for a in t.free_symbols:
                holding.setdefault(a, []).append(t)
        for a in symbols:
            if a in holding and a not in outside:
                out[a] = _add(s, _mul(sympy.S.NegativeOne, others, _add(*holding[a])))
    for a in symbols:
        if a not in out:
            out[a] = _substitute(expr, {a: sympy.S.Zero})
    return out


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


def _downstream(reference, cone) -> dict:
    """symbol → the cone's symbols whose definitions use it (cached per cone)."""
    users: dict = {}
    inside = set(cone)
    for s in cone:
        for u in reference.uses(s):
            if u in inside:
                users.setdefault(u, []).append(s)
    return users


def _program(reference, cone, users, replacements, direct, G):
    """(steps, result) of a mistaken formula: the direct expression, or the changed
    definitions and every definition downstream of them, in definition order (the
    downstream order cached per set of changed symbols: many mistakes change the same)."""
    if direct is not None:
        return [], direct
    key = frozenset(replacements)
    cache = users.setdefault(None, {})     # users[None]: the orders already made, by key
    if key not in cache:
        changed = set(key)
        stack = list(key)
        while stack:
            for u in users.get(stack.pop(), ()):
                if u not in changed:
                    changed.add(u)
                    stack.append(u)
        order = reference.order
        everything = sorted(changed, key=order.__getitem__)
        cache[key] = ([s for s in everything if s in key],
                      [(s, reference.defined[s]) for s in everything if s not in key],
                      all(order[s] < min(order[t] for t in everything if t not in key)
                          for s in key) if len(everything) > len(key) else True)
    replaced, tail, first = cache[key]
    if first:
        return [(s, replacements[s]) for s in replaced] + tail, G
    merged = [(s, replacements[s]) for s in replaced] + tail
    merged.sort(key=lambda step: reference.order[step[0]])
    return merged, G


def _evaluate_all(reference, programs) -> list:
    """Each program's values at every point: one compiled function, one call per point."""
    columns = [programs.run(point.values) for point in reference.points]
    return [list(values) for values in zip(*columns)] if columns else [[] for _ in range(len(programs))]


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


def mistakes(reference, target, builder=None) -> list[Mistake]:
    """The mistaken formulas for a target, with their values (cached on the target), made
    by ``builder`` (default: the one of the network's kind, :data:`BUILDERS`).

    Every candidate is a small program (a few changed definitions and what depends on
    them, or one direct formula); all of a target's candidates are compiled into one
    Python function (:class:`evaluate.Programs`) and run once per point."""
    if "mistakes" not in target.cache:
        builder = (builder or part(BUILDERS, reference.net))(reference, target)
        candidates = builder.build()
        users = _downstream(reference, builder.cone)
        made = [_program(reference, builder.cone, users, replacements or {}, direct, target.symbol)
                for _, _, replacements, direct in candidates]
        mutable = {s for steps, _ in made for s, _ in steps}
        # the backward pass is linear in the adjoints: a changed δ moves the result by
        # (new − old)·∂G/∂δ, one run of the tail per δ and point
        programs = Programs(reference.symbols, reference.defined, mutable, linear=True, walk=walk)
        for steps, result in made:
            programs.add(steps, result)
        found: list[Mistake] = []
        seen = {_key(target.values)}
        for (code, explanation, _, _), values in zip(candidates, _evaluate_all(reference, programs)):
            if _key(values) in seen or _same(values, target.values):
                continue
            seen.add(_key(values))
            found.append(Mistake(code, explanation, values))
        target.cache["mistakes"] = found
    return target.cache["mistakes"]


def other_gradients(reference, target, same_kind_only: bool) -> list[Mistake]:
    """The gradients of the other nodes (of the target's kind only, where
    ``same_kind_only``: another parameter, input, z, a or target), as mistakes:
    ``wrong_parameter`` for a parameter, ``wrong_node`` otherwise. Cached on the target."""
    if "others" not in target.cache:
        net = reference.net
        kind = _kind(net, target.node)
        found = []
        output = _u(net.cost_symbol)
        for node, values in reference.gradient_values.items():
            if node == target.node or (same_kind_only and _kind(net, node) != kind):
                continue
            if _same(values, target.values):
                continue
            both = kind == "param" and _kind(net, node) == "param"
            what = "another parameter" if both else "another node"
            found.append(Mistake("wrong_parameter" if both else "wrong_node",
                                 f"the derivative with respect to {what}: this is "
                                 f"∂{output}/∂{_u(node)}, not ∂{output}/∂{_u(target.node)}", values))
        target.cache["others"] = found
    return target.cache["others"]


def _kind(net, node) -> str:
    """A node's kind; a mini-batch input's own name (its copies' sum) is an input's."""
    return net.nodes[node].kind if node in net.nodes else "x"


_SCALED = ((-1, "sign_error", "and the sign is wrong"),
           (2, "factor_two", "and off by a factor 2"),
           (0.5, "factor_two", "and off by a factor ½"))


_SCALED_ALONE = ((-1, "sign_error", "the right formula with its sign flipped"),
                 (2, "factor_two", "twice the right formula"),
                 (0.5, "factor_two", "half the right formula"))


def diagnose(reference, target, answer_values) -> Diagnosis | None:
    """The mistake whose values the answer has, or None. On a graph that is not layered
    the structural mistakes (a layer's σ′, a transposed index …) do not apply: a flipped
    sign and a factor 2 of the whole answer are tried first."""
    builder = part(BUILDERS, reference.net)
    if builder.scaled_first:
        for factor, code, words in _SCALED_ALONE:
            scaled = [None if v is None else factor * v for v in target.values]
            if _same(answer_values, scaled):
                return Diagnosis(code, words)
    found = mistakes(reference, target, builder) + other_gradients(reference, target,
                                                                   builder.same_kind_only)
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
    if abs(c) < 1e-12 or close(c, 1, rtol=1e-7) or not all(close(r, c, rtol=1e-7) for r in ratios):
        return None
    if any(a is not None and abs(e) <= 1e-9 and abs(a) > 1e-9
           for a, e in zip(answer_values, target.values)):
        return None          # not zero where the right one is: no constant factor
    shown = sympy.nsimplify(c, rational=True, tolerance=1e-9)
    shown = text(shown) if shown.is_Rational and shown.q < 100 else short(c)
    return Diagnosis("constant_factor", f"off by a constant factor: the answer is {shown} "
                     "times the right one")


def _or_none(lookup, *index):
    """A network symbol by index, or None where the network has no such one."""
    try:
        return lookup(*index)
    except SpecError:
        return None
