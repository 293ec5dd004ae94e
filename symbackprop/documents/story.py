"""The derivation document of any graph (a circuit, a residual block, a recurrent net):
the lecture's logic, node by node.

1. the graph: its leaves (inputs, targets, parameters) and its output, and its picture
   (:mod:`circuit`), each wire carrying the value of the node it leaves;
2. the forward pass: each definition and, with values, its value (a recurrent net step
   by step);
3. the chain rule: a value that feeds several consumers collects one term per consumer,
   and the split of the parameter with the most consumers;
4. the backward pass in sweep order, each adjoint one step in its consumers' adjoints,
   with the nodes that fan out named (a recurrent net: the recurrence ∂C/∂h⁽ᵗ⁾ in terms
   of step t + 1, then the steps from the last back), and the reversed graph, each wire
   carrying its local partial and the gradient it sends back;
5. every gradient, as the sum over the leaf's uses (a recurrent net's shared weights as
   the sum over the steps, with each step's term: backpropagation through time);
6. for a mini-batch, each example's cost and gradients and their sums; the three-way check.

Layered networks keep their lecture document (:mod:`document`); a layered mini-batch adds
section 6 to it.
"""

from __future__ import annotations

import sympy

from . import circuit, substituted, update
from .document import Builder, M, S, partial
from .model import Document, Equations, Figure, Heading, Math, Paragraph, Row, Table
from .numbers import number
from ..printing import latex, text, unicode_name

#: Leaves listed by name in the graph section; more are counted.
LISTED = 12
#: Most examples of a mini-batch shown side by side, one column each, with every
#: gradient; a larger batch lists its examples as rows with the first gradients.
BATCH_COLUMNS = 5


class GraphBuilder(Builder):
    """The document of a Graph that no layered story describes."""

    def build(self) -> Document:
        numbers = getattr(self.values, "numbers", None)
        self.pictures = circuit.pictures(self.d, self.values if numbers is not None else None)
        self.graph_section()
        self.add(Figure(self.pictures[0], self.forward_caption()))
        self.forward_nodes()
        self.chain_rule()
        self.backward_nodes()
        self.add(Figure(self.pictures[1], self.reversed_caption()))
        self.gradient_section()
        substituted.numbers_section(self)
        batch_section(self)
        if self.report is not None:
            self.check_section()
        update.update_section(self)
        return Document(self.net.title or "Backpropagation on a graph, derived", tuple(self.blocks))

    def formula_row(self, f, value=True):
        return super().formula_row(f, value and not f.expr.is_Number)

    @property
    def C(self) -> str:
        return self.net.cost_symbol.name

    @property
    def recurrent(self) -> bool:
        return bool(getattr(self.net, "steps", None))

    def _summary_note(self, picture) -> tuple:
        if not picture.summary:
            return ()
        return (" The graph has %d nodes, more than the %d a picture shows readably, so it is drawn "
                "as a summary: one box per rank, with how many nodes it holds." % (picture.nodes, circuit.READABLE),)

    def forward_caption(self) -> tuple:
        parts = ["The forward graph: the leaves (square corners) feed the nodes that use them, left to right; the output ",
                 S(self.C), " is drawn with a thick border."]
        if any(n.op == "affine" for n in self.net.nodes.values()):
            parts += [" A node ", Math(r"z = \sum w a + b", "z = Σ w·a + b"),
                      " carries each weight on the wire from its ", Math("a", "a"), " and its bias inside."]
        if self.pictures[0].summary:
            parts += list(self._summary_note(self.pictures[0]))
        elif self.values is not None and getattr(self.values, "numbers", None) is not None:
            parts.append(" Each wire carries the value of the node it leaves, at the given point.")
        return tuple(parts)

    def reversed_caption(self) -> tuple:
        C = self.C
        parts = ["The reversed graph of the backward pass: the same wires, right to left. Next to each node ",
                 Math("u", "u"), ", its wire to ", Math("s", "s"), " is labelled with the local partial ",
                 Math(r"\times \frac{\partial u}{\partial s}", "×∂u/∂s"), ", the factor by which ", Math("u", "u"),
                 " sends its adjoint back"]
        if self.pictures[1].summary:
            parts.append(".")
            parts += list(self._summary_note(self.pictures[1]))
        elif self.values is not None and getattr(self.values, "numbers", None) is not None:
            parts += [", and with the gradient it carries, ",
                      Math(r"\frac{\partial u}{\partial s} \, \frac{\partial %s}{\partial u}" % C,
                           "∂u/∂s · ∂%s/∂u" % unicode_name(C)),
                      ", at the given point. A node that fans out receives one wire per consumer and adds them."]
        else:
            parts.append(". A node that fans out receives one wire per consumer and adds them.")
        return tuple(parts)

    def graph_section(self):
        g = self.net
        self.add(Heading("The graph"))
        parts = ["A computational graph of %d defined node%s, each a formula of the nodes before it. " % (
            len(g.defined), "" if len(g.defined) == 1 else "s")]
        for label, leaves in (("Inputs", g.inputs), ("targets", g.targets), ("parameters", g.parameters)):
            if leaves:
                parts += ["%s: " % label] + _listed(leaves) + ["; "]
        parts += ["the output, whose gradient is taken, is ", S(self.C), "."]
        self.p(*parts)
        unused = [s for s in g.leaves if not g.nodes[s].consumers] + \
                 [s for s in g.defined if s not in g.used]
        if unused:
            self.p("Not used by the output (their gradients and adjoints are 0): ", *_listed(unused), ".")

    def forward_nodes(self):
        self.add(Heading("The forward pass"))
        self.p("Each node in the order it is defined" + (", with its value:" if self.values is not None else ":"))
        if not self.recurrent:
            self.add(Equations(tuple(self.formula_row(self.d.node(s)) for s in self.net.defined)))
            return
        g = self.net
        for t in range(1, g.steps + 1):
            self.add(Heading("Step %d" % t, 2))
            self.add(Equations(tuple(self.formula_row(self.d.node(s)) for s in g.defined
                                     if g.nodes[s].index[:1] == (t,))))
        self.p("The cost is the sum of the steps' costs:")
        self.add(Equations((self.formula_row(self.d.node(g.cost_symbol)),)))

    def chain_rule(self):
        C = self.C
        self.add(Heading("The chain rule"))
        self.p("The backward pass visits the nodes from the output back to the leaves. A node ",
               Math("s", "s"), " reaches ", S(C), " only through the nodes that use it (its consumers ",
               Math("u_i", "uᵢ"), "), so a value that feeds several consumers collects one term per consumer:")
        self.add(Equations((Row(partial(C, "s"), (r"\sum_i \frac{\partial u_i}{\partial s} \, "
                                                  r"\frac{\partial %s}{\partial u_i}" % C,),
                                "Σᵢ ∂uᵢ/∂s · ∂%s/∂uᵢ" % unicode_name(C)),)))
        self.p("Each local partial ", Math(r"\frac{\partial u_i}{\partial s}", "∂uᵢ/∂s"),
               " comes from the consumer's own formula alone; ", partial(C, C), " = 1 starts the sweep.")
        split = self.split_example()
        if split is not None:
            leaf, row = split
            n = len([c for c in self.net.nodes[leaf].consumers if c in self.net.used])
            self.p("For the parameter " if self.net.nodes[leaf].kind == "param" else "For the input ",
                   S(leaf.name), ", used by %s:" % ("one node" if n == 1 else "%d nodes" % n))
            self.add(Equations((row,)))

    def split_example(self):
        """The chain-rule split of the parameter (else input) with the most consumers:
        ``∂C/∂p = Σ over its consumers u of ∂u/∂p · ∂C/∂u``, as (leaf, Row)."""
        from . import breaking
        g, C = self.net, self.C
        used = [s for s in g.parameters + g.inputs if any(c in g.used for c in g.nodes[s].consumers)]
        leaves = [s for s in used if g.nodes[s].kind == "param"] or used
        if not leaves:
            return None
        leaf = max(leaves, key=lambda s: len([c for c in g.nodes[s].consumers if c in g.used]))
        consumers = [c for c in g.nodes[leaf].consumers if c in g.used]
        tokens = []
        for i, c in enumerate(consumers):
            tex = r"\frac{\partial %s}{\partial %s} \, \frac{\partial %s}{\partial %s}" % (c.name, leaf.name, C, c.name)
            tokens.append(breaking.Token(("+ " if i else "") + tex, breaking.width(tex) + (2 if i else 0), i > 0, 0))
        txt = " + ".join("∂%s/∂%s · ∂%s/∂%s" % (unicode_name(c.name), unicode_name(leaf.name),
                                               unicode_name(C), unicode_name(c.name)) for c in consumers)
        return leaf, Row(partial(C, leaf.name), tuple(breaking.lines(breaking.equals([tokens]))), txt)

    def backward_nodes(self):
        g, C = self.net, self.C
        self.add(Heading("The backward pass"))
        adjoints = self.d.select("delta")
        if not self.recurrent:
            self.p("Every adjoint in one step, in the order the sweep computes it:")
        if self.recurrent:
            self.recurrent_adjoints(adjoints)
        else:
            self.add(Equations(tuple(self.formula_row(f) for f in adjoints)))
        fans = [f.of for f in adjoints
                if len([c for c in g.nodes[f.of].consumers if c in g.used]) > 1]
        if fans:
            parts = ["Fan-out: "]
            for i, s in enumerate(fans):
                n = len(g.nodes[s].consumers)
                parts += ["; " if i else "", S(s.name), " feeds %d consumers (" % n]
                parts += _listed(g.nodes[s].consumers) + [")"]
            parts.append(", so each of their adjoints is a sum with one term per consumer.")
            self.p(*parts)
        if self.closed:
            self.p("The same adjoints in closed form, in the leaves only:")
            self.add(*self.closed_rows(adjoints))

    def recurrent_adjoints(self, adjoints):
        """A recurrent net's adjoints step by step, last step first, after the recurrence
        that links them."""
        g, C = self.net, self.C
        act = g.activation
        T = g.steps
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
        self.p("At the last step, ", Math("t = %d" % T, "t = %d" % T), ", there is no step ",
               Math("t + 1", "t + 1"), " and the second sum is 0. Every adjoint in one step, from the last "
               "step back to the first:")
        first = [f for f in adjoints if not g.nodes[f.of].index]
        if first:
            self.add(Equations(tuple(self.formula_row(f) for f in first)))
        for t in range(T, 0, -1):
            self.add(Heading("Step %d" % t, 2))
            self.add(Equations(tuple(self.formula_row(f) for f in adjoints if g.nodes[f.of].index[:1] == (t,))))

    def bptt(self, grads):
        """A recurrent net's shared weights: each gradient as the sum over the steps, and
        the steps' terms at the point."""
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
                from ..graph import local_partial
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

    def gradient_section(self):
        g, C = self.net, self.C
        self.add(Heading("The gradients"))
        self.p("For every leaf, ", partial(C, "p"), " is the sum over its uses ", Math("u", "u"), " of ",
               Math(r"\frac{\partial u}{\partial p} \, \frac{\partial %s}{\partial u}" % C,
                    "∂u/∂p · ∂%s/∂u" % unicode_name(C)), ":")
        grads = [f for f in self.d.formulas if f.kind in ("w", "b", "p", "x")]
        self.add(Equations(tuple(self.formula_row(f) for f in grads)))
        if self.recurrent:
            self.bptt(grads)
        shared = [f for f in grads if len(f.uses) > 1]
        if shared and not self.recurrent:
            parts = ["Shared leaves (one node used in several places): "]
            for i, f in enumerate(shared):
                parts += ["; " if i else "", S(f.of.name), " is used %d times" % len(f.uses)]
            parts.append(". Each gradient sums one term per use")
            if getattr(g, "steps", None):
                parts.append(": in a recurrent net a weight is used once per time step, so its gradient is the sum "
                             "over the steps (backpropagation through time), and ")
                parts += [Math(r"\frac{\partial %s}{\partial h^{(t)}}" % C, "∂%s/∂h⁽ᵗ⁾" % unicode_name(C)),
                          " collects a term from its own step's output and one from step ",
                          Math("t + 1", "t + 1"), " (the recurrence of the backward pass)"]
            parts.append(".")
            self.p(*parts)
        if self.closed:
            self.p("In closed form:")
            self.add(*self.closed_rows(grads))


def batch_section(builder: Builder) -> None:
    """For a mini-batch: each example's cost, the total L = Σₙ Cⁿ and the summed gradients."""
    d = builder.d
    if not d.graph.points:
        return
    if builder.check:
        builder.report = d.check()
        batch = builder.report.values
    else:
        batch = d.evaluate()
    C = d.graph.cost_symbol.name
    builder.add(Heading("The mini-batch"))
    builder.p("The total over the %d examples is " % len(batch.examples),
              Math(r"L = \sum_n %s^{n}" % C, "L = Σₙ %sⁿ" % unicode_name(C)),
              "; every gradient is the sum of the examples' gradients, ",
              Math(r"\frac{\partial L}{\partial p} = \sum_n \frac{\partial %s^{n}}{\partial p}" % C,
                   "∂L/∂p = Σₙ ∂%sⁿ/∂p" % unicode_name(C)),
              ", each computed by the formulas above at that example.")
    names = list(batch.gradients)
    if len(batch.examples) <= BATCH_COLUMNS:
        # one row per gradient: each example's value and their sum
        builder.p("Each example's cost and gradients, and their sums:")
        header = ("",) + tuple("example %d" % i for i in range(1, len(batch.examples) + 1)) + ("sum",)
        rows = [((Math(C, unicode_name(C)),),) + tuple(number(v.cost) for v in batch.examples)
                + (number(batch.cost),)]
        rows += [((partial(C, n),),) + tuple(number(v.gradients[n]) for v in batch.examples)
                 + (number(batch.gradients[n]),) for n in names]
        builder.add(Table(header, tuple(rows), "l" + "r" * (len(header) - 1)))
        return
    shown = names[:4]
    header = ("example", (Math(C, unicode_name(C)),)) + tuple((partial(C, n),) for n in shown)
    rows = [(str(i), number(v.cost)) + tuple(number(v.gradients[n]) for n in shown)
            for i, v in enumerate(batch.examples, start=1)]
    rows.append(("total", number(batch.cost)) + tuple(number(batch.gradients[n]) for n in shown))
    builder.add(Table(header, tuple(rows), "r" * len(header)))
    if len(names) > len(shown):
        builder.p("The table shows the first %d of %d gradients%s." % (
            len(shown), len(names), "; the check below lists every total" if builder.check else ""))


def _listed(symbols) -> list:
    symbols = list(symbols)
    out = []
    for i, s in enumerate(symbols[:LISTED]):
        out += [", " if i else "", S(s.name)]
    if len(symbols) > LISTED:
        out.append(" and %d more" % (len(symbols) - LISTED))
    return out


def build(derivation, *, closed: bool = False, point=None, **extras) -> Document:
    return GraphBuilder(derivation, closed=closed, point=point, **extras).build()


__all__ = ["GraphBuilder", "batch_section", "build"]
