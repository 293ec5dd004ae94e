"""An Elman recurrent network unrolled over time steps: a builder of a :class:`Graph`.

For t = 1 … T, with h⁽⁰⁾ = 0 (or given initial values)::

    z^{(t)}_j = Σ_k W_{jk} h^{(t-1)}_k + Σ_k U_{jk} x^{(t)}_k + b_j      (hidden pre-activation)
    h^{(t)}_j = σ(z^{(t)}_j)                                          (hidden state)
    q^{(t)}_j = Σ_k V_{jk} h^{(t)}_k + c_j                             (output pre-activation)
    o^{(t)}_j = σ_o(q^{(t)}_j)                                        (output)
    C^{(t)}   = cost(o^{(t)}, y^{(t)}),     C = Σ_t C^{(t)}

W, U, V, b and c are one node each, shared by every step, so the sweep gives each of
them one term per step: backpropagation through time is the lecture's "a value that
feeds several consumers collects one term per consumer", applied to the unrolled graph.
∂C/∂h^{(t)} collects a term from the output of step t and one from step t + 1.
"""

from __future__ import annotations

import sympy

from ..ops import activations as _activations
from ..ops import costs as _costs
from ..errors import SpecError
from ..core.graph import Graph, Node, affine
from ..notation.naming import indices

#: Most time steps an unrolled network may have.
MAX_STEPS = 100
#: Most units in any one of a recurrent net's layers.
MAX_UNITS = 100
#: Most weight uses of the unrolled net, steps × (hidden × (inputs + hidden) + outputs ×
#: hidden): each is a term of the graph and of the derivation (100 steps of 2-6-2, 6,000
#: uses: derive 48 s of CPU; 100 units over 100 steps did not finish building).
MAX_WEIGHT_USES = 5_000


class Recurrent(Graph):
    """An Elman network with ``inputs``, ``hidden`` and ``outputs`` units unrolled over
    ``steps``; ``activation`` for the hidden state, ``output_activation`` for the
    outputs; ``cost`` per step (C = Σ_t C_t). ``h0`` gives initial hidden values (else
    h⁽⁰⁾ = 0 and step 1 has no W term); ``values`` maps names to numbers."""

    kind = "recurrent"
    reports_inputs = False
    what = "recurrent network"

    def __init__(self, inputs: int, hidden: int, outputs: int, steps: int, activation="tanh",
                 output_activation="identity", cost="mse", *, h0=None, values=None,
                 title: str | None = None):
        super().__init__(title)
        for name, n, top in (("inputs", inputs, MAX_UNITS), ("hidden", hidden, MAX_UNITS),
                             ("outputs", outputs, MAX_UNITS), ("steps", steps, MAX_STEPS)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise SpecError(f"{name} must be a positive integer, got {n!r}")
            if n > top:
                raise SpecError(f"{name} {n} is above the limit of {top:,}")
        per_step = hidden * (inputs + hidden) + outputs * hidden
        if steps * per_step > MAX_WEIGHT_USES:
            raise SpecError(f"{steps:,} steps × {per_step:,} weights = {steps * per_step:,} weight uses, "
                            f"above the limit of {MAX_WEIGHT_USES:,}")
        self.sizes = (inputs, hidden, outputs)
        self.steps = steps
        self.activation = _activations.get(activation)
        self.output_activation = _activations.get(output_activation)
        if not self.activation.elementwise:
            raise SpecError(f"the hidden activation must be elementwise, not {self.activation.name}")
        self.cost_function = _costs.get(cost)
        needs = self.cost_function.needs
        out = self.output_activation
        if needs and out.range is not None and not (out.range == needs or out.range == "unit"):
            raise SpecError(f"cost {self.cost_function.name} takes the logarithm of the outputs, "
                            f"but output activation {out.name} can be outside its domain; "
                            f"use {'sigmoid' if needs == 'unit' else 'softmax or sigmoid'}")
        self._build(h0 is not None)
        self.values = values or {}
        if h0 is not None:
            if len(h0) != hidden:
                raise SpecError(f"h0: expected {hidden} values, got {len(h0)}")
            self._values.update(self.resolve_values({self.h(0, j): v for j, v in enumerate(h0, 1)}))

    # --- names -------------------------------------------------------------------------

    @staticmethod
    def _name(base: str, t: int | None, *ks: int) -> str:
        step = "^{(%d)}" % t if t is not None else ""
        return "%s%s_{%s}" % (base, step, indices(*ks))

    def W(self, j, k):
        """The hidden ← hidden weight W_{jk}, shared by every step.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.W(1, 2)
            W_{12}
        """
        return self._get("W", j, k)

    def U(self, j, k):
        """The hidden ← input weight U_{jk}, shared by every step.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.U(2, 1)
            U_{21}
        """
        return self._get("U", j, k)

    def V(self, j, k):
        """The output ← hidden weight V_{jk}, shared by every step.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.V(1, 2)
            V_{12}
        """
        return self._get("V", j, k)

    def b(self, j):
        """The hidden bias b_j.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.b(2)
            b_{2}
        """
        return self._get("b", j)

    def c(self, j):
        """The output bias c_j.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.c(1)
            c_{1}
        """
        return self._get("c", j)

    def x(self, t, k):
        """The input k at step t.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.x(3, 1)
            x^{(3)}_{1}
        """
        return self._get("x", t, k)

    def y(self, t, j):
        """The target j at step t.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.y(1, 1)
            y^{(1)}_{1}
        """
        return self._get("y", t, j)

    def z(self, t, j):
        """The hidden pre-activation j at step t.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.z(2, 1)
            z^{(2)}_{1}
        """
        return self._get("z", t, j)

    def h(self, t, j):
        """The hidden state j at step t (h⁽⁰⁾ only with ``h0``).

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.h(2, 2)
            h^{(2)}_{2}
        """
        return self._get("h", t, j)

    def q(self, t, j):
        """The output pre-activation j at step t.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.q(1, 1)
            q^{(1)}_{1}
        """
        return self._get("q", t, j)

    def o(self, t, j):
        """The output j at step t.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.o(3, 1)
            o^{(3)}_{1}
        """
        return self._get("o", t, j)

    def step_cost(self, t):
        """The the cost C_t of step t (C = Σ_t C_t).

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.step_cost(2)
            C^{(2)}
        """
        return self._get("C", t)


    def _get(self, base, *key):
        try:
            return self._table[base, key]
        except KeyError:
            raise SpecError(f"this recurrent network has no {base}{list(key)}") from None

    # --- construction --------------------------------------------------------------------

    def _build(self, with_h0: bool) -> None:
        n_in, n_h, n_out = self.sizes
        T = self.steps
        self._table: dict = {}
        self._named: set = set()

        def leaf(base, key, kind, what):
            sym = self._symbol(self._name(base, *key) if base in "xyh" else self._name(base, None, *key), what)
            self._add(Node(sym, kind, None, key))
            self._table[base, key] = sym
            return sym

        W = [[leaf("W", (j, k), "param", "parameter") for k in range(1, n_h + 1)] for j in range(1, n_h + 1)]
        U = [[leaf("U", (j, k), "param", "parameter") for k in range(1, n_in + 1)] for j in range(1, n_h + 1)]
        b = [leaf("b", (j,), "param", "parameter") for j in range(1, n_h + 1)]
        V = [[leaf("V", (j, k), "param", "parameter") for k in range(1, n_h + 1)] for j in range(1, n_out + 1)]
        c = [leaf("c", (j,), "param", "parameter") for j in range(1, n_out + 1)]
        h_prev = [leaf("h", (0, j), "x", "initial state") for j in range(1, n_h + 1)] if with_h0 else None
        step_costs = []
        for t in range(1, T + 1):
            xs = [leaf("x", (t, k), "x", "input") for k in range(1, n_in + 1)]
            ys = [leaf("y", (t, j), "y", "target") for j in range(1, n_out + 1)]
            hs = []
            for j in range(1, n_h + 1):
                terms = ([(W[j - 1][k], h_prev[k]) for k in range(n_h)] if h_prev is not None else []) \
                    + [(U[j - 1][k], xs[k]) for k in range(n_in)]
                z = self._affine("z", t, j, terms, b[j - 1])
                hs.append(self._unit("h", t, j, z, self.activation))
            qs = [self._affine("q", t, j, [(V[j - 1][k], hs[k]) for k in range(n_h)], c[j - 1])
                  for j in range(1, n_out + 1)]
            os = self._outputs(t, qs)
            cost = self.cost_function(os, ys)
            partials = {o: self.cost_function.partial(cost, o, y) for o, y in zip(os, ys)}
            sym = self._symbol("C^{(%d)}" % t, "step cost")
            self._add(Node(sym, "node", None, (t,), cost, op="cost", partials=partials))
            self._table["C", (t,)] = sym
            step_costs.append(sym)
            h_prev = hs
        total = sympy.Symbol("C")
        self._add(Node(total, "C", None, (), sympy.Add(*step_costs), op="add"))
        self.cost_symbol = total

    def _affine(self, base, t, j, terms, bias):
        sym = self._symbol(self._name(base, t, j), "pre-activation")
        expr, partials = affine(terms, bias)
        self._add(Node(sym, "node", None, (t, j), expr, tuple(terms), bias, op="affine", partials=partials))
        self._table[base, (t, j)] = sym
        self._named.add(sym)
        return sym

    def _unit(self, base, t, j, z, act):
        sym = self._symbol(self._name(base, t, j), "activation")
        self._add(Node(sym, "node", None, (t, j), act.func(z), activation=act, op="activation"))
        self._table[base, (t, j)] = sym
        if base == "h":
            self._named.add(sym)
        return sym

    def _outputs(self, t, qs):
        act = self.output_activation
        if act.elementwise:
            return [self._unit("o", t, j, q, act) for j, q in enumerate(qs, start=1)]
        os = [self._symbol(self._name("o", t, j), "activation") for j in range(1, len(qs) + 1)]
        for j, o in enumerate(os, start=1):
            self._add(Node(o, "node", None, (t, j), act.func(j, *qs), activation=act, op="softmax",
                           group=tuple(os)))
            self._table["o", (t, j)] = o
        return os

    def named_adjoint(self, sym: sympy.Symbol) -> bool:
        """Adjoints of its own for z, h and q (the recurrence runs through h); the outputs'
        and per-step costs' are written in place, as ∂C/∂a is in a layered network."""
        return sym in self._named

    def reserved(self) -> dict:
        return {"C": "the total cost", "e": "Euler's number"}

    def describe(self) -> str:
        """One line: the sizes, steps, activations and cost (also the repr).

            >>> sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3).describe()
            'Recurrent(inputs=1, hidden=2, outputs=1, steps=3, activation=tanh, output_activation=identity, cost=mse)'
        """
        n_in, n_h, n_out = self.sizes
        return (f"Recurrent(inputs={n_in}, hidden={n_h}, outputs={n_out}, steps={self.steps}, "
                f"activation={self.activation.describe()}, "
                f"output_activation={self.output_activation.describe()}, cost={self.cost_function.name})")

    __repr__ = describe


__all__ = ["MAX_STEPS", "MAX_UNITS", "MAX_WEIGHT_USES", "Recurrent"]
