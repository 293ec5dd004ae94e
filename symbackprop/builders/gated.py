"""Gated recurrent cells, unrolled: the LSTM and the GRU (builders of a :class:`Graph`).

Why gates: in an Elman net ∂C/∂h⁽ᵗ⁻¹⁾ reaches back through W·σ′ at every step, a product
that shrinks (or grows) geometrically. The LSTM's cell state c⁽ᵗ⁾ = f ⊙ c⁽ᵗ⁻¹⁾ + i ⊙ c̃
carries its gradient back through the forget gate f alone; the GRU's
h⁽ᵗ⁾ = z ⊙ h⁽ᵗ⁻¹⁾ + (1 − z) ⊙ h̃ through the update gate z. Both are sums of products, so
the sweep needs no new rule: each gate is an affine sum s and an activation, each state
an ``add`` or ``product`` node.

Per step t and hidden unit j (the gate g's sum s⁽ᵗ⁾_{g,j} = Σ_k W^{(g)}_{jk} h⁽ᵗ⁻¹⁾_k +
Σ_k U^{(g)}_{jk} x⁽ᵗ⁾_k + b^{(g)}_j):

* LSTM: f = σ(s_f), i = σ(s_i), o = σ(s_o), c̃ = tanh(s_c);
  c⁽ᵗ⁾ = f c⁽ᵗ⁻¹⁾ + i c̃; h⁽ᵗ⁾ = o tanh(c⁽ᵗ⁾). The net's outputs are ŷ⁽ᵗ⁾ (o is the gate).
* GRU (d2l, Cho et al. 2014): z = σ(s_z), r = σ(s_r); g⁽ᵗ⁾_k = r⁽ᵗ⁾_k h⁽ᵗ⁻¹⁾_k (the reset
  state); h̃ = tanh(W^{(h)} g + U^{(h)} x + b^{(h)}); h⁽ᵗ⁾ = z h⁽ᵗ⁻¹⁾ + (1 − z) h̃.

With h⁽⁰⁾ = 0 (no ``h0``) step 1 has no W terms; with c⁽⁰⁾ = 0 (no ``c0``) it has no forget
gate, and without ``h0`` the GRU's step 1 has no reset gate: what multiplies a zero state
is left out rather than drawn as a term that is always 0.
"""

from __future__ import annotations

import sympy

from ..core.graph import Node, affine
from ..notation.naming import indices
from .recurrent import Recurrent, register_cell


class GatedRecurrent(Recurrent):
    """What the LSTM and the GRU share: one W, U and b per gate, named W^{(g)}_{jk}.
    Consumers without a part for ``lstm`` or ``gru`` take their ``gated`` part, then their
    ``recurrent`` one (:func:`~symbackprop.core.graph.part`)."""

    kind = "gated"

    #: The check's symbolic route differentiates closed forms of at most this many nodes:
    #: an LSTM's cost over 3 steps of 2 units is 4,587 nodes from its first step and 1,187
    #: from its second, and ``sympy.diff`` of gates nested in gates took 45 s and 10-27 s
    #: there. Larger cells are checked by the recursion against 50-digit finite
    #: differences (and the tests compare both with a NumPy BPTT and route (b) on small cells).
    symbolic_limit = 300

    def _parameters(self) -> None:
        n_in, n_h, _ = self.sizes
        for g, _, _ in self.gates:
            for base, cols in (("W", n_h), ("U", n_in)):
                for j in range(1, n_h + 1):
                    for k in range(1, cols + 1):
                        self._leaf(f"{base}_{g}", (j, k), "param", "parameter",
                                   name="%s^{(%s)}_{%s}" % (base, g, indices(j, k)))
            for j in range(1, n_h + 1):
                self._leaf(f"b_{g}", (j,), "param", "parameter", name="b^{(%s)}_{%s}" % (g, indices(j)))

    def _gate(self, g, t, j, recurrent, xs, letter=None):
        """The gate g of unit j at step t: its sum s⁽ᵗ⁾_{g,j} and its activation."""
        n_in, n_h, _ = self.sizes
        terms = ([(self.W(j, k + 1, g), recurrent[k]) for k in range(n_h)] if recurrent is not None else []) \
            + [(self.U(j, k + 1, g), xs[k]) for k in range(n_in)]
        name = r"s^{(%d)}_{%s,%d}" % (t, g, j)
        s = self._symbol(name, "pre-activation")
        expr, partials = affine(terms, self.b(j, g))
        self._add(Node(s, "node", (t, j), expr, tuple(terms), self.b(j, g), op="affine", partials=partials))
        self._table["s_" + g, (t, j)] = s
        self._named.add(s)
        self.roles[s] = "sum of gate " + g
        act = self._gate_activation(g)
        sym = self._symbol(self._name(letter or g, t, j), "activation")
        self._add(Node(sym, "node", (t, j), act.func(s), activation=act, op="activation"))
        self._table["gate " + g, (t, j)] = sym
        self._named.add(sym)
        self.roles[sym] = self._gate_what(g)
        return sym

    def _gate_activation(self, g):
        return next(self._activations[a] for letter, a, _ in self.gates if letter == g)

    def _gate_what(self, g):
        return next(what for letter, _, what in self.gates if letter == g)

    @property
    def _activations(self):
        from ..ops import activations
        return {"sigmoid": activations.get("sigmoid"), "tanh": activations.get("tanh")}

    def _state(self, letter, t, j, expr, what):
        """A state node (c⁽ᵗ⁾, h⁽ᵗ⁾, the GRU's g⁽ᵗ⁾): a sum or product of gates and states."""
        from ..core.graph import classify
        sym = self._symbol(self._name(letter, t, j), "activation")
        self._add(Node(sym, "node", (t, j), expr, op=classify(expr)))
        self._table[letter, (t, j)] = sym
        self._named.add(sym)
        self.roles[sym] = what
        return sym

    def gate(self, g, t, j):
        """The value of gate g (a letter of :attr:`gates`) of unit j at step t.

            >>> lstm = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3, cell="lstm")
            >>> lstm.gate("f", 2, 1), lstm.gate("c", 1, 2)
            (f^{(2)}_{1}, \\tilde{c}^{(1)}_{2})
        """
        return self._get("gate " + g, t, j)

    def s(self, g, t, j):
        """The sum of gate g of unit j at step t (its pre-activation).

            >>> sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3, cell="gru").s("z", 1, 2)
            s^{(1)}_{z,2}
        """
        return self._get("s_" + g, t, j)

    def describe(self) -> str:
        """One line: the cell, sizes, steps, outputs and cost (also the repr).

            >>> sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3, cell="gru").describe()
            'Recurrent(cell=gru, inputs=1, hidden=2, outputs=1, steps=3, output_activation=identity, cost=mse)'
        """
        n_in, n_h, n_out = self.sizes
        cut = f", truncate={self.truncate}" if self.truncate else ""
        return (f"Recurrent(cell={self.cell}, inputs={n_in}, hidden={n_h}, outputs={n_out}, steps={self.steps}"
                f"{cut}, output_activation={self.output_activation.describe()}, cost={self.cost_function.name})")

    __repr__ = describe


@register_cell
class LSTM(GatedRecurrent):
    """A long short-term memory cell unrolled over ``steps`` (``Recurrent(..., cell="lstm")``);
    ``c0`` gives the initial cell state. The hidden ``activation`` is not used: the
    gates are sigmoids and the candidate and the cell's output tanh, as DESIGN fixes."""

    kind = "lstm"
    cell = "lstm"
    gates = (("f", "sigmoid", "forget gate"), ("i", "sigmoid", "input gate"),
             ("o", "sigmoid", "output gate"), ("c", "tanh", "candidate cell state"))
    state_letters = ("h", "c")
    carrier = ("f", "c")
    output_letter = r"\hat{y}"

    def _cell(self, t, xs, state) -> dict:
        _, n_h, _ = self.sizes
        h_prev, c_prev = state["h"], state["c"]
        tanh = self._activations["tanh"]
        f = [self._gate("f", t, j, h_prev, xs) for j in range(1, n_h + 1)] if c_prev is not None else None
        i = [self._gate("i", t, j, h_prev, xs) for j in range(1, n_h + 1)]
        o = [self._gate("o", t, j, h_prev, xs) for j in range(1, n_h + 1)]
        cand = [self._gate("c", t, j, h_prev, xs, letter=r"\tilde{c}") for j in range(1, n_h + 1)]
        cs, hs = [], []
        for j in range(n_h):
            kept = [f[j] * c_prev[j]] if c_prev is not None else []
            cs.append(self._state("c", t, j + 1, sympy.Add(*kept, i[j] * cand[j]), "cell state"))
        for j in range(n_h):
            hs.append(self._state("h", t, j + 1, o[j] * tanh.func(cs[j]), "hidden state"))
        return {"h": hs, "c": cs}


@register_cell
class GRU(GatedRecurrent):
    """A gated recurrent unit unrolled over ``steps`` (``Recurrent(..., cell="gru")``), as
    in d2l: the reset gate multiplies h⁽ᵗ⁻¹⁾ before W^{(h)} (PyTorch's GRUCell applies r
    after W_hn h, a different net)."""

    kind = "gru"
    cell = "gru"
    carrier = ("z", "h")
    gates = (("z", "sigmoid", "update gate"), ("r", "sigmoid", "reset gate"),
             ("h", "tanh", "candidate hidden state"))

    def _cell(self, t, xs, state) -> dict:
        _, n_h, _ = self.sizes
        h_prev = state["h"]
        z = [self._gate("z", t, j, h_prev, xs) for j in range(1, n_h + 1)]
        if h_prev is not None:
            r = [self._gate("r", t, j, h_prev, xs) for j in range(1, n_h + 1)]
            reset = [self._state("g", t, k + 1, r[k] * h_prev[k], "reset state") for k in range(n_h)]
        else:
            reset = None
        cand = [self._gate("h", t, j, reset, xs, letter=r"\tilde{h}") for j in range(1, n_h + 1)]
        hs = []
        for j in range(n_h):
            kept = [z[j] * h_prev[j]] if h_prev is not None else []
            hs.append(self._state("h", t, j + 1, sympy.Add(*kept, (1 - z[j]) * cand[j]), "hidden state"))
        return {"h": hs}


__all__ = ["GRU", "LSTM", "GatedRecurrent"]
