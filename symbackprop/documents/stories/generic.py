"""The derivation document of any graph (a circuit, a residual block, …): the lecture's
logic, node by node. :class:`GraphStory` is the base of every story (:mod:`.layered`,
:mod:`.unrolled` override what their builders add).

1. the graph: its leaves (inputs, targets, parameters) and its output, and its picture
   (:mod:`..pictures.circuit`), each wire carrying the value of the node it leaves;
2. the forward pass: each definition and, with values, its value;
3. the chain rule: a value that feeds several consumers collects one term per consumer,
   and the split of the parameter with the most consumers;
4. the backward pass in sweep order, each adjoint one step in its consumers' adjoints,
   with the nodes that fan out named, and the reversed graph, each wire carrying its
   local partial and the gradient it sends back;
5. every gradient, as the sum over the leaf's uses;
6. the sections every story shares (:mod:`..sections`): the numbers step by step, the
   mini-batch, the three-way check, one step of gradient descent.

Numbers appear only when the spec (or the given point) has a value for every input,
target and parameter; otherwise the document is purely symbolic.
"""

from __future__ import annotations

from functools import cached_property

import sympy

from ...errors import RenderError, TooLargeError
from ...notation.printing import text, unicode_name
from ...notation.written import written_latex, written_text
from .. import breaking
from ..model import Document, Equations, Figure, Heading, M, Math, Paragraph, Row, S, partial
from ..numbers import evaluated, number
from ..pictures import circuit
from ..sections.batch import batch_section
from ..sections.threeway import check_section
from ..sections.descent import descent_section
from ..sections.substituted import block, numbers_section, worked

#: Closed forms above this many tree nodes are not built for documents.
CLOSED_PRINT_LIMIT = 1500
#: A closed form longer than this many lines (of :data:`breaking.LINE_WIDTH`) no longer
#: helps a reader: the document says so and shows the one-step form instead.
CLOSED_LINES = 15
#: Leaves listed by name in the graph section; more are counted.
LISTED = 12


class GraphStory:
    """The document of a Graph: its sections in order (:attr:`SECTIONS`, each a method
    ``<name>_section``) and the helpers every story's sections share."""

    TITLE = "Backpropagation on a graph, derived"
    SECTIONS = ("graph", "forward", "chain_rule", "backward", "gradient",
                "numbers", "batch", "check", "descent")

    numbers_section = numbers_section
    batch_section = batch_section
    check_section = check_section
    descent_section = descent_section

    def __init__(self, derivation, *, closed: bool = False, point=None, numbers: bool = False,
                 learning_rate=None, hold=None, check: bool = True, full: bool = False,
                 steps: int | None = None):
        self.full = full
        self.numbers, self.learning_rate, self.hold, self.point = numbers, learning_rate, hold, point
        self.d = derivation
        self.net = derivation.network
        self.drawn_steps = self.steps_drawn(steps)
        self.closed = closed
        self.check = check
        self.blocks: list = []
        self.values, self.report = evaluated(derivation, point, check)

    def steps_drawn(self, steps):
        """How many steps the pictures draw (``steps``: only an unrolled net's have steps)."""
        if steps is not None:
            raise RenderError("--steps applies to a recurrent net (its unrolled pictures); "
                              "this graph has no time steps")

    def build(self) -> Document:
        for name in self.SECTIONS:
            getattr(self, name + "_section")()
        return Document(self.net.title or self.TITLE, tuple(self.blocks))

    # --- helpers ---------------------------------------------------------------------

    def add(self, *blocks):
        self.blocks.extend(blocks)

    def p(self, *parts):
        self.add(Paragraph(tuple(parts)))

    def value(self, symbol):
        if self.values is None:
            return None
        return self.values.numbers.get(symbol)

    def row(self, lhs: Math, pieces: list, text_rhs: str, value=None) -> Row:
        """``lhs = piece₁ = piece₂ … [= value]``, broken into lines."""
        pieces = list(pieces)
        texts = [text_rhs]
        if value is not None:
            v = number(value)
            pieces.append([breaking.atom(v.latex)])
            texts.append(v.text)
        limit = breaking.budget(lhs.latex)
        return Row(lhs, tuple(breaking.lines(breaking.equals(pieces), limit)), " = ".join(texts))

    def formula_row(self, f, value=True) -> Row:
        shown = self.value(f.symbol) if value and self.shows_value(f) else None
        expr = self.shown(f.expr)
        return self.row(M(f.symbol), [breaking.tokens(expr)], text(expr), shown)

    def shown(self, expr):
        """An expression as this document writes it (a story may shorten long sums)."""
        return expr

    def check_rows(self, rows) -> list:
        """The rows of the three-way check's table (all, unless a story shows fewer)."""
        return list(rows)

    def shows_value(self, f) -> bool:
        """Whether a formula's row ends in its value: not for a constant (∂C/∂C = 1)."""
        return not f.expr.is_Number

    def closed_rows(self, formulas) -> list:
        """Each formula fully substituted, broken into lines; one longer than
        :data:`CLOSED_LINES` lines (or too large to build) is named and shown in its
        one-step form instead."""
        rows, skipped = [], []
        for f in formulas:
            size = f.closed_size
            if size > CLOSED_PRINT_LIMIT:
                skipped.append(f)
                continue
            try:
                expr = f.closed
            except TooLargeError:
                skipped.append(f)
                continue
            row = self.row(M(f.symbol), [breaking.tokens(expr)], text(expr))
            if len(row.lines) > CLOSED_LINES:
                skipped.append(f)
                continue
            rows.append(row)
        blocks = [Equations(tuple(rows))] if rows else []
        if skipped:
            parts = ["Not in closed form, because fully substituted %s would take more than %d lines, "
                     "which no longer helps a reader: " % ("it" if len(skipped) == 1 else "each", CLOSED_LINES)]
            for i, f in enumerate(skipped):
                parts += [", " if i else "", M(f.symbol)]
            parts.append(". %s one-step form, in the quantities computed before %s:" % (
                "Its" if len(skipped) == 1 else "Their", "it" if len(skipped) == 1 else "them"))
            blocks.append(Paragraph(tuple(parts)))
            blocks.append(Equations(tuple(self.formula_row(f, value=False) for f in skipped)))
        return blocks

    @property
    def C(self) -> str:
        """The output's name, whose gradient the story takes."""
        return self.net.cost_symbol.name

    @cached_property
    def pictures(self) -> tuple:
        """The forward and the reversed picture (:func:`circuit.pictures`), with the values
        at the point when there are any."""
        numbers = getattr(self.values, "numbers", None)
        return circuit.pictures(self.d, self.values if numbers is not None else None)

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
        self.add(Figure(self.pictures[0], self.forward_caption()))

    def forward_section(self):
        self.add(Heading("The forward pass"))
        self.p("Each node in the order it is defined" + (", with its value:" if self.values is not None else ":"))
        self.forward_definitions()

    def forward_definitions(self):
        """Every definition, in order, as its author wrote it."""
        self.add(Equations(tuple(self.definition_row(s) for s in self.net.defined)))

    def definition_row(self, s) -> Row:
        """A definition as written (:mod:`...notation.written`) when it fits on a line,
        else as the formula SymPy keeps, broken into lines."""
        f = self.d.node(s)
        written = self.net.nodes[s].written
        if written is None:
            return self.formula_row(f)
        tex = written_latex(*written)
        if breaking.width(tex) > breaking.budget(f.symbol.name):
            return self.formula_row(f)
        value = self.value(f.symbol) if self.shows_value(f) else None
        return self.row(M(f.symbol), [[breaking.atom(tex)]], written_text(*written), value)

    def chain_rule_section(self):
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
        lhs = partial(C, leaf.name)
        return leaf, Row(lhs, tuple(breaking.lines(breaking.equals([tokens]), self.split_width(lhs.latex))), txt)

    def split_width(self, lhs: str) -> float:
        """The width of a line of the chain-rule split (a story whose names are long gives
        the row's own budget)."""
        return breaking.LINE_WIDTH

    def backward_section(self):
        self.add(Heading("The backward pass"))
        adjoints = self.d.select("delta")
        self.adjoints(adjoints)
        self.fan_out(adjoints)
        if self.closed:
            self.p("The same adjoints in closed form, in the leaves only:")
            self.add(*self.closed_rows(adjoints))
        self.add(Figure(self.pictures[1], self.reversed_caption()))

    def adjoints(self, adjoints):
        """Every adjoint, in the order the sweep computes it."""
        self.p("Every adjoint in one step, in the order the sweep computes it:")
        self.add(Equations(tuple(self.formula_row(f) for f in adjoints)))

    def fan_out(self, adjoints):
        """The nodes whose adjoints collect a term from several consumers."""
        g = self.net
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

    def gradient_section(self):
        C = self.C
        self.add(Heading("The gradients"))
        self.p("For every leaf, ", partial(C, "p"), " is the sum over its uses ", Math("u", "u"), " of ",
               Math(r"\frac{\partial u}{\partial p} \, \frac{\partial %s}{\partial u}" % C,
                    "∂u/∂p · ∂%s/∂u" % unicode_name(C)), ":")
        grads = [f for f in self.d.formulas if f.kind in ("w", "b", "p", "x")]
        self.add(Equations(tuple(self.formula_row(f) for f in grads)))
        self.shared_leaves(grads)
        self.summed_copies()
        if self.closed:
            self.p("In closed form:")
            self.add(*self.closed_rows(grads))

    def summed_copies(self):
        """A mini-batch built as one graph (:attr:`Graph.copies`): each input's gradient
        is the sum of its copies' (one per example)."""
        C = self.C
        rows = []
        for name, leaves in self.net.copies.items():
            grads = [self.d.gradient(leaf).symbol for leaf in leaves]
            expr = sympy.Add(*grads, evaluate=False)
            values = [self.value(g) for g in grads]
            value = None if any(v is None for v in values) else sum(values[1:], values[0])
            rows.append(self.row(partial(C, name), [breaking.tokens(expr)], text(expr), value))
        if rows:
            self.p("The examples are one graph, each with its own copy of every input, so an input's "
                   "gradient is the sum over its copies, ",
                   Math(r"\frac{\partial %s}{\partial x} = \sum_{n} \frac{\partial %s}{\partial x^{(n)}}" % (C, C),
                        "∂%s/∂x = Σₙ ∂%s/∂x⁽ⁿ⁾" % (unicode_name(C), unicode_name(C))), ":")
            self.add(Equations(tuple(rows)))

    def shared_leaves(self, grads):
        """The leaves used in several places, whose gradients sum one term per use."""
        shared = [f for f in grads if len(f.uses) > 1]
        if not shared:
            return
        parts = ["Shared leaves (one node used in several places): "]
        for i, f in enumerate(shared):
            parts += ["; " if i else "", S(f.of.name), " is used %d times" % len(f.uses)]
        parts.append(". Each gradient sums one term per use.")
        self.p(*parts)

    # --- the numbers, step by step (:mod:`..sections.substituted`) ---------------------

    def forward_numbers(self, sub) -> list:
        return [block(*([worked(self, sub, self.d.node(s))] for s in self.net.defined))]

    def backward_numbers(self, sub) -> list:
        return [block(*([worked(self, sub, f)] for f in self.d.select("delta")))]

    def worked_gradients(self) -> list:
        return [f for f in self.d.formulas if f.kind in ("w", "b", "p", "x")]



def _listed(symbols) -> list:
    symbols = list(symbols)
    out = []
    for i, s in enumerate(symbols[:LISTED]):
        out += [", " if i else "", S(s.name)]
    if len(symbols) > LISTED:
        out.append(" and %d more" % (len(symbols) - LISTED))
    return out



__all__ = ["CLOSED_LINES", "CLOSED_PRINT_LIMIT", "GraphStory"]
