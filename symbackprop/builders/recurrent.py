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
#: Most weight uses of the unrolled net, steps × (gates × hidden × (inputs + hidden) +
#: outputs × hidden): each is a term of the graph and of the derivation. Built from Python
#: for compiled code (``d.compile()``, ``symbackprop code`` writes a loop over the steps):
#: an LSTM 8-16-8 over 50 steps, 83,200 uses, builds, derives and compiles in about 6 s on
#: an idle core (benchmarks/cells.py).
MAX_WEIGHT_USES = 100_000
#: Most weight uses of a spec file's net: every command documents it or checks it three ways
#: node by node (100 steps of 2-6-2, 6,000 uses: derive 48 s of CPU).
MAX_SPEC_WEIGHT_USES = 5_000
#: The gated cells by name (``Recurrent(..., cell=name)``; "elman" is :class:`Recurrent`
#: itself): each a subclass that :mod:`.gated` registers here with :func:`register_cell`.
#: The builders package imports :mod:`.gated`, so the table is full wherever Recurrent is.
CELLS: dict = {}


def register_cell(cls):
    """Class decorator: ``Recurrent(..., cell=cls.cell)`` builds a ``cls``."""
    CELLS[cls.cell] = cls
    return cls


class Recurrent(Graph):
    """An Elman network with ``inputs``, ``hidden`` and ``outputs`` units unrolled over
    ``steps``; ``activation`` for the hidden state, ``output_activation`` for the
    outputs; ``cost`` per step (C = Σ_t C_t). ``h0`` gives initial hidden values (else
    h⁽⁰⁾ = 0 and step 1 has no W term); ``values`` maps names to numbers."""

    kind = "recurrent"
    reports_inputs = False
    what = "recurrent network"

    #: The cell of each step ("elman": h = σ(W h + U x + b)); :mod:`.gated` adds "lstm" and "gru".
    cell = "elman"
    #: The cell's gates: (letter, activation, what it is); the Elman cell's one sum has none.
    gates: tuple = ()
    #: The gate that carries the state straight from step to step, and that state (the
    #: LSTM's forget gate and cell state, the GRU's update gate and hidden state); None:
    #: the Elman state passes through W and σ′ only.
    carrier = None
    #: The name of the net's outputs (o^{(t)}_{j}; the LSTM's output gate takes o).
    output_letter = "o"

    def __new__(cls, *args, cell: str = "elman", **kwargs):
        """``Recurrent(..., cell="lstm")`` is an :class:`~.gated.LSTM` (``"gru"``: a GRU)."""
        if cls is Recurrent and cell != "elman":
            if cell not in CELLS:
                raise SpecError(f"cell must be one of: elman, {', '.join(CELLS)}; got {_shown(cell)}")
            cls = CELLS[cell]
        return super().__new__(cls)

    def __init__(self, inputs: int, hidden: int, outputs: int, steps: int, activation="tanh",
                 output_activation="identity", cost="mse", *, cell: str = "elman", truncate=None,
                 h0=None, c0=None, values=None, title: str | None = None):
        super().__init__(title)
        for name, n, top in (("inputs", inputs, MAX_UNITS), ("hidden", hidden, MAX_UNITS),
                             ("outputs", outputs, MAX_UNITS), ("steps", steps, MAX_STEPS)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise SpecError(f"{name} must be a positive integer, got {n!r}")
            if n > top:
                raise SpecError(f"{name} {n} is above the limit of {top:,}")
        self.check_size(inputs, hidden, outputs, steps, MAX_WEIGHT_USES)
        if truncate is not None and (isinstance(truncate, bool) or not isinstance(truncate, int) or truncate < 1):
            raise SpecError(f"truncate must be a positive whole number of steps, got {truncate!r}")
        if c0 is not None and "c" not in self.state_letters:
            raise SpecError(f"c0 is the initial cell state of an LSTM; an {self.cell} cell has none")
        self.sizes = (inputs, hidden, outputs)
        self.steps = steps
        self.truncate = truncate if truncate is not None and truncate < steps else None
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
        initial = {"h": h0, "c": c0}
        self._build({letter for letter, given in initial.items() if given is not None})
        given = {}
        for letter, vector in initial.items():
            if vector is not None:
                if len(vector) != hidden:
                    raise SpecError(f"{letter}0: expected {hidden} values, got {len(vector)}")
                given.update({self._get(letter, 0, j): v for j, v in enumerate(vector, 1)})
        self.values = {**(values or {}), **given}

    @classmethod
    def check_size(cls, inputs: int, hidden: int, outputs: int, steps: int, limit: int, where: str = "") -> None:
        """Refuse a net of more than ``limit`` weight uses (:data:`MAX_WEIGHT_USES`), from its sizes.

            >>> sb.Recurrent.check_size(1, 2, 1, 3, limit=10)
            Traceback (most recent call last):
            ...
            symbackprop.errors.SpecError: 3 steps × 8 weights = 24 weight uses, above the limit of 10
        """
        per_step = max(1, len(cls.gates)) * hidden * (inputs + hidden) + outputs * hidden
        if steps * per_step > limit:
            raise SpecError(f"{where}{steps:,} steps × {per_step:,} weights = {steps * per_step:,} weight uses, "
                            f"above the limit of {limit:,}")

    # --- names -------------------------------------------------------------------------

    @staticmethod
    def _name(base: str, t: int | None, *ks: int) -> str:
        step = "^{(%d)}" % t if t is not None else ""
        return "%s%s_{%s}" % (base, step, indices(*ks))

    def W(self, j, k, gate=None):
        """The hidden ← hidden weight W_{jk}, shared by every step.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.W(1, 2)
            W_{12}
        """
        return self._get("W" if gate is None else "W_" + gate, j, k)

    def U(self, j, k, gate=None):
        """The hidden ← input weight U_{jk}, shared by every step.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.U(2, 1)
            U_{21}
        """
        return self._get("U" if gate is None else "U_" + gate, j, k)

    def V(self, j, k):
        """The output ← hidden weight V_{jk}, shared by every step.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.V(1, 2)
            V_{12}
        """
        return self._get("V", j, k)

    def b(self, j, gate=None):
        """The hidden bias b_j.

            >>> rnn = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3)
            >>> rnn.b(2)
            b_{2}
        """
        return self._get("b" if gate is None else "b_" + gate, j)

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

    def _build(self, initial: set) -> None:
        """The nodes in order: the cell's parameters, V and c, the initial state, then each
        step's inputs, targets, cell, outputs and cost; the total C last."""
        n_in, n_h, n_out = self.sizes
        self._table: dict = {}
        self._named: set = set()
        #: {symbol: what it is}: the role of every node the cell builds (gate, cell state …).
        self.roles: dict = {}
        self.held = {}
        self._parameters()
        V = [[self._leaf("V", (j, k), "param", "parameter") for k in range(1, n_h + 1)] for j in range(1, n_out + 1)]
        c = [self._leaf("c", (j,), "param", "parameter") for j in range(1, n_out + 1)]
        state = {letter: [self._leaf(letter, (0, j), "x", "initial state") for j in range(1, n_h + 1)]
                 if letter in initial else None for letter in self.state_letters}
        step_costs = []
        for t in range(1, self.steps + 1):
            xs = [self._leaf("x", (t, k), "x", "input") for k in range(1, n_in + 1)]
            ys = [self._leaf("y", (t, j), "y", "target") for j in range(1, n_out + 1)]
            state = self._cell(t, xs, state)
            hs = state["h"]
            qs = [self._affine("q", t, j, [(V[j - 1][k], hs[k]) for k in range(n_h)], c[j - 1])
                  for j in range(1, n_out + 1)]
            os = self._outputs(t, qs)
            cost = self.cost_function(os, ys)
            partials = {o: self.cost_function.partial(cost, o, y) for o, y in zip(os, ys)}
            sym = self._symbol("C^{(%d)}" % t, "step cost")
            self._add(Node(sym, "node", (t,), cost, op="cost", partials=partials))
            self._table["C", (t,)] = sym
            step_costs.append(sym)
            if self.truncate and t % self.truncate == 0 and t < self.steps:
                state = self._held(t, state)
        total = sympy.Symbol("C")
        self._add(Node(total, "C", (), sympy.Add(*step_costs), op="add"))
        self.cost_symbol = total

    #: The state a step hands to the next: h (and the LSTM's cell c).
    state_letters = ("h",)

    def _leaf(self, base, key, kind, what, name=None):
        sym = self._symbol(name or (self._name(base, *key) if kind != "param" else self._name(base, None, *key)), what)
        self._add(Node(sym, kind, key))
        self._table[base, key] = sym
        return sym

    def _parameters(self) -> None:
        """The Elman cell's W, U and b."""
        n_in, n_h, _ = self.sizes
        for base, cols in (("W", n_h), ("U", n_in)):
            for j in range(1, n_h + 1):
                for k in range(1, cols + 1):
                    self._leaf(base, (j, k), "param", "parameter")
        for j in range(1, n_h + 1):
            self._leaf("b", (j,), "param", "parameter")

    def _cell(self, t, xs, state) -> dict:
        """Step t of the Elman cell: z = W h⁽ᵗ⁻¹⁾ + U x⁽ᵗ⁾ + b, h⁽ᵗ⁾ = σ(z)."""
        n_in, n_h, _ = self.sizes
        h_prev = state["h"]
        hs = []
        for j in range(1, n_h + 1):
            terms = ([(self.W(j, k + 1), h_prev[k]) for k in range(n_h)] if h_prev is not None else []) \
                + [(self.U(j, k + 1), xs[k]) for k in range(n_in)]
            z = self._affine("z", t, j, terms, self.b(j))
            hs.append(self._unit("h", t, j, z, self.activation))
        return {"h": hs}

    def _held(self, t, state) -> dict:
        """Truncated BPTT: after step t the state is carried on as held copies h̄⁽ᵗ⁾ (leaves
        whose values are the forward values of h⁽ᵗ⁾), so no gradient flows back past them."""
        held = {}
        for letter, values in state.items():
            if values is None:
                held[letter] = None
                continue
            held[letter] = [self._leaf("held " + letter, (t, j), "x", "held state",
                                       name=r"\bar{%s}^{(%d)}_{%s}" % (letter, t, indices(j)))
                            for j in range(1, len(values) + 1)]
            for sym, source in zip(held[letter], values):
                self.roles[sym] = "held state"
                self.held[sym] = source
        return held

    # --- values ----------------------------------------------------------------------------

    @property
    def values(self) -> dict:
        """{leaf symbol: number} used when no point is given; with ``truncate``, the held
        states' values are computed from the others (:meth:`complete`)."""
        return self._values

    @values.setter
    def values(self, values: dict) -> None:
        self._values = self.complete(self.resolve_values(values or {}))

    #: {held copy h̄⁽ᵗ⁾: the h⁽ᵗ⁾ it holds}; empty unless ``truncate`` cuts the backward pass.
    held: dict = {}

    @property
    def points(self) -> list:
        """The examples of a mini-batch, each with its own held states under ``truncate``.

            >>> sb.load("examples/rnn.toml").points
            []
        """
        return self._points

    @points.setter
    def points(self, points: list) -> None:
        if self.held and points:
            points = [{**p, **{s: v for s, v in self.complete({**self.values, **p}).items() if s in self.held}}
                      for p in points]
        self._points = points

    def complete(self, values: dict) -> dict:
        """``values`` with each held state h̄⁽ᵗ⁾ set to the forward value of the h⁽ᵗ⁾ it
        holds (nothing is added while a leaf before it has no value).

            >>> rnn = sb.Recurrent(inputs=1, hidden=1, outputs=1, steps=2, truncate=1,
            ...                    activation="identity")
            >>> point = {rnn.W(1, 1): 2, rnn.U(1, 1): 3, rnn.b(1): 1, rnn.x(1, 1): 1}
            >>> rnn.complete(point)[next(iter(rnn.held))]   # h̄⁽¹⁾₁ = h⁽¹⁾₁ = 2·0 + 3·1 + 1
            Fraction(4, 1)
        """
        if not self.held:
            return values
        env = {s: _sympy_number(v) for s, v in values.items() if s not in self.held}
        out = dict(values)
        for sym, node in self.nodes.items():
            if node.expr is None:
                if sym in self.held:
                    source = env.get(self.held[sym])
                    if source is None:
                        return out
                    env[sym] = source
                    out[sym] = _python_number(source)
                continue
            if node.kind == "C" or node.op == "cost":
                continue
            if not node.expr.free_symbols <= env.keys():
                continue
            env[sym] = _evaluated(node.expr.xreplace(env))
        return out

    def _affine(self, base, t, j, terms, bias):
        sym = self._symbol(self._name(base, t, j), "pre-activation")
        expr, partials = affine(terms, bias)
        self._add(Node(sym, "node", (t, j), expr, tuple(terms), bias, op="affine", partials=partials))
        self._table[base, (t, j)] = sym
        self._named.add(sym)
        return sym

    def _unit(self, base, t, j, z, act, letter=None):
        sym = self._symbol(self._name(letter or base, t, j), "activation")
        self._add(Node(sym, "node", (t, j), act.func(z), activation=act, op="activation"))
        self._table[base, (t, j)] = sym
        if base != "o":
            self._named.add(sym)
        return sym

    def _outputs(self, t, qs):
        act = self.output_activation
        if act.elementwise:
            return [self._unit("o", t, j, q, act, self.output_letter) for j, q in enumerate(qs, start=1)]
        os = [self._symbol(self._name(self.output_letter, t, j), "activation") for j in range(1, len(qs) + 1)]
        for j, o in enumerate(os, start=1):
            self._add(Node(o, "node", (t, j), act.func(j, *qs), activation=act, op="softmax",
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
        cut = f", truncate={self.truncate}" if self.truncate else ""
        return (f"Recurrent(inputs={n_in}, hidden={n_h}, outputs={n_out}, steps={self.steps}{cut}, "
                f"activation={self.activation.describe()}, "
                f"output_activation={self.output_activation.describe()}, cost={self.cost_function.name})")

    __repr__ = describe


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _sympy_number(value):
    return sympy.Rational(value.numerator, value.denominator) if hasattr(value, "denominator") else sympy.Float(value, 30)


def _evaluated(expr):
    return expr if expr.is_Rational else sympy.Float(expr.evalf(30), 30)


def _python_number(value):
    from fractions import Fraction
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else float(value)


__all__ = ["MAX_SPEC_WEIGHT_USES", "MAX_STEPS", "MAX_UNITS", "MAX_WEIGHT_USES", "Recurrent"]
