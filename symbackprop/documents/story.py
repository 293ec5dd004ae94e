"""The derivation document of any graph (a circuit, a residual block, a recurrent net):
the lecture's logic, node by node.

1. the graph: its leaves (inputs, targets, parameters) and its output;
2. the forward pass: each definition and, with values, its value;
3. the chain rule: a value that feeds several consumers collects one term per consumer;
4. the backward pass in sweep order, each adjoint one step in its consumers' adjoints,
   with the nodes that fan out named;
5. every gradient, as the sum over the leaf's uses (a shared parameter, e.g. a recurrent
   weight used at every step, collects one term per use: backpropagation through time);
6. for a mini-batch, each example's cost and the totals; the three-way check.

Layered networks keep their lecture document (:mod:`document`); a layered mini-batch adds
section 6 to it.
"""

from __future__ import annotations

from .document import Builder, M, S, partial
from .model import Document, Equations, Heading, Math, Row, Table
from .numbers import number
from ..printing import unicode_name

#: Leaves listed by name in the graph section; more are counted.
LISTED = 12


class GraphBuilder(Builder):
    """The document of a Graph that no layered story describes."""

    def build(self) -> Document:
        self.graph_section()
        self.forward_nodes()
        self.chain_rule()
        self.backward_nodes()
        self.gradient_section()
        batch_section(self)
        if self.report is not None:
            self.check_section()
        return Document(self.net.title or "Backpropagation on a graph, derived", tuple(self.blocks))

    def formula_row(self, f, value=True):
        return super().formula_row(f, value and not f.expr.is_Number)

    @property
    def C(self) -> str:
        return self.net.cost_symbol.name

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
        self.add(Equations(tuple(self.formula_row(self.d.node(s)) for s in self.net.defined)))

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

    def backward_nodes(self):
        g, C = self.net, self.C
        self.add(Heading("The backward pass"))
        adjoints = self.d.select("delta")
        self.p("Every adjoint in one step, in the order the sweep computes it:")
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

    def gradient_section(self):
        g, C = self.net, self.C
        self.add(Heading("The gradients"))
        self.p("For every leaf, ", partial(C, "p"), " is the sum over its uses ", Math("u", "u"), " of ",
               Math(r"\frac{\partial u}{\partial p} \, \frac{\partial %s}{\partial u}" % C,
                    "∂u/∂p · ∂%s/∂u" % unicode_name(C)), ":")
        grads = [f for f in self.d.formulas if f.kind in ("w", "b", "p", "x")]
        self.add(Equations(tuple(self.formula_row(f) for f in grads)))
        shared = [f for f in grads if len(f.uses) > 1]
        if shared:
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


def build(derivation, *, closed: bool = False, point=None, check: bool = True) -> Document:
    return GraphBuilder(derivation, closed=closed, point=point, check=check).build()


__all__ = ["GraphBuilder", "batch_section", "build"]
