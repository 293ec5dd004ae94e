"""The derivation document of a recurrent net (:class:`~symbackprop.builders.recurrent.Recurrent`):
the story of any graph (:mod:`.generic`), told step by step.

* the forward pass step by step, then the cost as the sum of the steps' costs;
* the backward pass: the recurrence ∂C/∂h⁽ᵗ⁾ in terms of step t + 1, then the adjoints
  from the last step back to the first;
* the shared weights' gradients as the sum over the steps, with each step's term:
  backpropagation through time.
"""

from __future__ import annotations

import sympy

from ...core.graph import local_partial
from ...errors import RenderError
from ...notation.printing import latex, unicode_name
from ..model import Equations, Heading, Math, Row, S, Table, partial
from ..numbers import number
from functools import cached_property

from ..pictures import circuit, unrolled
from .generic import GraphStory


class RecurrentStory(GraphStory):
    """The document of an unrolled recurrent net."""

    @cached_property
    def pictures(self) -> tuple:
        """The unrolled net, one column per step (:mod:`..pictures.unrolled`)."""
        numbers = getattr(self.values, "numbers", None)
        return unrolled.pictures(self.d, self.values if numbers is not None else None, steps=self.drawn_steps)

    def steps_drawn(self, steps):
        """The first ``steps`` steps (all when None or more than the net has)."""
        if steps is None:
            return None
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise RenderError(f"steps: expected a whole number of steps from 1, got {steps!r}")
        return steps if steps < self.d.graph.steps else None

    def forward_caption(self) -> tuple:
        g = self.net
        parts = ["The net unrolled in time: one column per step, from the input ", Math(r"x^{(t)}", "x⁽ᵗ⁾"),
                 " at the bottom to the step's cost ", Math(r"C^{(t)}", "C⁽ᵗ⁾"), " at the top, and the total ",
                 S(self.C),
                 " (thick border) on the right. Each box is one unit; a wire joins two whole layers and carries "
                 "the shared weights it applies, the same on every column."]
        if g.gates:
            parts += [" The dashed box is the cell, with its gates inside; the state that runs straight from "
                      "column to column, multiplied by a gate, is the path that keeps the gradient alive."]
        if not any(g.nodes[s].index[:1] == (0,) for s in g.inputs):
            parts += [" The state before step 1 is 0 and not drawn."]
        if g.truncate:
            parts += [" A wire marked held carries a held copy: no gradient flows back along it."]
        parts += self.left_out()
        if getattr(self.values, "numbers", None) is not None:
            parts.append(" Each box shows its value at the given point.")
        return tuple(parts)

    def reversed_caption(self) -> tuple:
        parts = ["The backward pass on the same picture: every wire reversed, from the cost back to the "
                 "first step, each box with its adjoint ", partial(self.C, "u"),
                 " (unit u) at the given point. A layer's adjoint collects its own step's output and the next "
                 "step's wires: backpropagation through time."]
        if getattr(self.values, "numbers", None) is None:
            parts = parts[:2] + [" (unit u). A layer's adjoint collects its own step's output and the next "
                                 "step's wires: backpropagation through time."]
        return tuple(parts + self.left_out())

    def left_out(self) -> list:
        """The caption's sentence on the steps not drawn (``steps``), or nothing."""
        if not self.drawn_steps:
            return []
        k, T = self.drawn_steps, self.net.steps
        drawn = f"step 1 of {T} is" if k == 1 else f"steps 1 to {k} of {T} are"
        left = f"step {T} is" if k + 1 == T else f"steps {k + 1} to {T} are"
        return [f" Only {drawn} drawn: {left} left out (the same column again; every step's "
                "cost still joins the total)."]

    def forward_definitions(self):
        """The definitions step by step, then the cost."""
        g = self.net
        for t in range(1, g.steps + 1):
            self.add(Heading("Step %d" % t, 2))
            self.add(Equations(tuple(self.formula_row(self.d.node(s)) for s in g.defined
                                     if g.nodes[s].index[:1] == (t,))))
        self.p("The cost is the sum of the steps' costs:")
        self.add(Equations((self.formula_row(self.d.node(g.cost_symbol)),)))

    def adjoints(self, adjoints):
        """The adjoints step by step, last step first, after the recurrence that links them."""
        self.recurrence()
        self.truncation()
        self.by_step(adjoints)

    def recurrence(self):
        """∂C/∂h⁽ᵗ⁾ from its own step's output and step t + 1, and ∂C/∂z⁽ᵗ⁾ from it."""
        g, C = self.net, self.C
        act = g.activation
        h, z, q = (lambda t, j: "%s^{(%s)}_{%s}" % ("h", t, j)), (lambda t, j: "z^{(%s)}_{%s}" % (t, j)), \
            (lambda t, j: "q^{(%s)}_{%s}" % (t, j))
        prime = latex(act.prime(sympy.Symbol(z("t", "j"))))
        self.p("The recurrence of the backward pass: the hidden state ", Math(h("t", "k"), "hₖ⁽ᵗ⁾"),
               " feeds the output of its own step and the next step's pre-activations, so its adjoint "
               "collects one term from each, and step ", Math("t", "t"), " needs step ", Math("t + 1", "t + 1"),
               " first:")
        c = unicode_name(C)
        rows = [Row(Math(r"\frac{\partial %s}{\partial %s}" % (C, h("t", "k")), "∂%s/∂hₖ⁽ᵗ⁾" % c),
                    (r"\sum_j V_{jk} \, \frac{\partial %s}{\partial %s} + \sum_j W_{jk} \, "
                     r"\frac{\partial %s}{\partial %s}" % (C, q("t", "j"), C, z("t+1", "j")),),
                    "Σⱼ Vⱼₖ ∂%s/∂qⱼ⁽ᵗ⁾ + Σⱼ Wⱼₖ ∂%s/∂zⱼ⁽ᵗ⁺¹⁾" % (unicode_name(C), unicode_name(C))),
                Row(Math(r"\frac{\partial %s}{\partial %s}" % (C, z("t", "j")), "∂%s/∂zⱼ⁽ᵗ⁾" % c), (r"%s \, \frac{\partial %s}{\partial %s}" % (prime, C, h("t", "j")),),
                    "%s′(zⱼ⁽ᵗ⁾) · ∂%s/∂hⱼ⁽ᵗ⁾" % (act.name, c))]
        self.add(Equations(tuple(rows)))

    def by_step(self, adjoints):
        """Every adjoint, the last step's first."""
        g, T = self.net, self.net.steps
        self.p("At the last step, ", Math("t = %d" % T, "t = %d" % T), ", there is no step ",
               Math("t + 1", "t + 1"), (" and its terms are 0." if g.gates else " and the second sum is 0.")
               + " Every adjoint in one step, from the last step back to the first:")
        first = [f for f in adjoints if not g.nodes[f.of].index]
        if first:
            self.add(Equations(tuple(self.formula_row(f) for f in first)))
        for t in range(T, 0, -1):
            self.add(Heading("Step %d" % t, 2))
            self.add(Equations(tuple(self.formula_row(f) for f in adjoints if g.nodes[f.of].index[:1] == (t,))))

    def truncation(self):
        """With ``truncate`` = k: what the held copies h̄⁽ᵗ⁾ cut, and what the check compares."""
        g = self.net
        if not g.truncate:
            return
        k = g.truncate
        cuts = sorted({node.index[0] for node in map(g.nodes.get, g.held)})
        held = sorted({s.name.split("^")[0] for s in g.held})
        shown = ", ".join(str(t) for t in cuts)
        self.p("Truncated backpropagation through time (truncate = %d): after step%s %s the state is carried "
               "into the next step as a held copy (" % (k, "" if len(cuts) == 1 else "s", shown),
               *[x for i, name in enumerate(held)
                 for x in ((", " if i else ""), Math(name + "^{(t)}", unicode_name(name) + "⁽ᵗ⁾"))],
               "), a leaf whose value is the forward value of the state it copies. The forward pass and the "
               "cost are those of the whole net; in the backward pass nothing flows from step ",
               Math("t + 1", "t + 1"), " into step ", Math("t", "t"), " at a cut, so the gradient of each "
               "step's cost reaches back at most %d steps, to the first step of its block of %d. What is "
               "dropped is exactly every term that crosses a cut: the sums from step " % (k, k),
               Math("t + 1", "t + 1"), " in the recurrence at those steps. The three-way check "
               "differentiates this truncated cost: each route holds the copies fixed at their values.")

    def shared_leaves(self, grads):
        """The shared weights: each gradient as the sum over the steps (backpropagation
        through time), and the steps' terms at the point."""
        self.through_time()
        self.step_terms(grads)

    def through_time(self):
        """Each weight's gradient as the sum over the steps of that step's term."""
        g, C = self.net, self.C
        T = g.steps
        z1 = g.nodes[g.z(1, 1)]
        start = 1 if any(w == g.W(1, 1) for w, _ in z1.terms) else 2
        dz = lambda j: r"\frac{\partial %s}{\partial z^{(t)}_{%s}}" % (C, j)   # noqa: E731
        dq = lambda j: r"\frac{\partial %s}{\partial q^{(t)}_{%s}}" % (C, j)   # noqa: E731
        sums = (("W_{jk}", r"\sum_{t=%d}^{%d} h^{(t-1)}_{k} \, %s" % (start, T, dz("j")),
                 "Σₜ hₖ⁽ᵗ⁻¹⁾ ∂%s/∂zⱼ⁽ᵗ⁾" % unicode_name(C)),
                ("U_{jk}", r"\sum_{t=1}^{%d} x^{(t)}_{k} \, %s" % (T, dz("j")), "Σₜ xₖ⁽ᵗ⁾ ∂%s/∂zⱼ⁽ᵗ⁾" % unicode_name(C)),
                ("b_{j}", r"\sum_{t=1}^{%d} %s" % (T, dz("j")), "Σₜ ∂%s/∂zⱼ⁽ᵗ⁾" % unicode_name(C)),
                ("V_{jk}", r"\sum_{t=1}^{%d} h^{(t)}_{k} \, %s" % (T, dq("j")), "Σₜ hₖ⁽ᵗ⁾ ∂%s/∂qⱼ⁽ᵗ⁾" % unicode_name(C)),
                ("c_{j}", r"\sum_{t=1}^{%d} %s" % (T, dq("j")), "Σₜ ∂%s/∂qⱼ⁽ᵗ⁾" % unicode_name(C)))
        self.p("Backpropagation through time: ", Math("W", "W"), ", ", Math("U", "U"), ", ", Math("b", "b"), ", ",
               Math("V", "V"), " and ", Math("c", "c"), " are one node each, used at every step, so each gradient "
               "is the sum over the steps of that step's term:")
        self.add(Equations(tuple(Row(partial(C, name), (tex,), txt) for name, tex, txt in sums)))

    def step_terms(self, grads):
        """Each parameter's term of each step at the point, and their sum."""
        g, T = self.net, self.net.steps
        numbers = getattr(self.values, "numbers", None)
        if numbers is None:
            return
        rows = []
        for f in grads:
            if g.nodes[f.of].kind != "param":
                continue
            terms = {}
            for c in g.nodes[f.of].consumers:
                if c not in g.used:
                    continue
                factor = circuit._evaluate(local_partial(g, g.nodes[c], f.of), self.values)
                adjoint = circuit._adjoint_value(self.d, self.values, c)
                t = g.nodes[c].index[0]
                if factor is not None and adjoint is not None:
                    terms[t] = terms.get(t, 0.0) + factor * adjoint
            rows.append((S(f.of.name),) + tuple(number(terms[t]) if t in terms else "-" for t in range(1, T + 1))
                        + (number(numbers[f.symbol]),))
        self.p("Each step's term at the given point, and their sum, the gradient:")
        self.add(Table(("parameter",) + tuple("step %d" % t for t in range(1, T + 1)) + ("sum",),
                       tuple(rows), "l" + "r" * (T + 1)))


__all__ = ["RecurrentStory"]
