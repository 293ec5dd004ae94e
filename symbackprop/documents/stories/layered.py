"""The derivation document of a layered network, in the order of the lecture.

1. the network: its layers, activations, cost and notation;
2. the chain-rule split ∂C/∂w = ∂z/∂w · ∂C/∂z;
3. the forward pass: every z and a, and ∂z/∂w = the input on that edge;
4. the backward pass: Case 1 (output layer), Case 2 (hidden layers) as one-step
   recursions with σ′(z) as the amplifier, the reversed network, closed forms on request;
5. the summary: every parameter, ∂C/∂w = a · ∂C/∂z, its value;
6. the sections every story shares (numbers step by step, mini-batch), with the vector
   form (Nielsen's four equations, evaluated when there are numbers) after the numbers;
7. the three-way check, when the spec has values; one step of gradient descent.

:class:`LayeredStory` keeps the helpers of the story of any graph (:mod:`.generic`) and
tells its own sections.
"""

from __future__ import annotations

import sympy

from ...ops import activations, costs
from ...numeric.values import stable
from ...notation.elision import KEEP, elide
from ...notation.printing import latex, text, unicode_name
from ...notation.scripts import superscript
from .. import breaking, vector
from ..model import Equations, Figure, Heading, M, Math, Paragraph, Row, S, Table, flat, partial, slash
from ..numbers import bound, number
from ..pictures import diagram
from ..sections.substituted import affine_row, block, prime_value, three_ways, worked
from . import representative
from .generic import GraphStory

#: Gradients wider than this (in :func:`breaking.width` units) leave the summary table
#: for a display of their own.
TABLE_WIDTH = 44
#: Vectors and matrices of the vector form are printed up to this many rows.
MATRIX_ROWS = 6
#: The forward-pass factor table lists every weight up to this many rows; a wider
#: network gets one row per input of each layer (all the weights that input feeds).
FACTOR_ROWS = 16


def _names(symbols) -> Math:
    """A list of symbols; long lists are shortened to first, second, …, last."""
    symbols = list(symbols)
    if len(symbols) > 3:
        symbols = symbols[:1] + [None] + symbols[-1:]
    tex = ", ".join(r"\dots" if s is None else s.name for s in symbols)
    txt = ", ".join("…" if s is None else unicode_name(s.name) for s in symbols)
    return Math(tex, txt)


class LayeredStory(GraphStory):
    """The lecture's document of a layered, fully connected network."""

    TITLE = "Backpropagation, derived"
    SECTIONS = ("network", "split", "forward", "backward", "summary",
                "numbers", "vector", "batch", "check", "descent")

    def shows_value(self, f) -> bool:
        return True

    # --- the representative view of a wide network (:mod:`.representative`) -----------

    @property
    def wide(self) -> bool:
        return representative.wide(self.net, self.full)

    def units(self, l: int) -> list:
        """The neurons of layer ``l`` this document shows (None: ⋯)."""
        return representative.units(self.net.sizes[l], not self.wide)

    def shown(self, expr):
        return elide(expr, self.term_order) if self.wide else expr

    def term_order(self, term) -> tuple:
        """Terms of a sum in the order of the indices of their parameters and neurons."""
        nodes = self.net.nodes
        layer_of = self.net.layer_of
        places = [(layer_of.get(s) or 0, nodes[s].index) for s in term.free_symbols if s in nodes]
        return (min(places, default=(0, ())), sympy.default_sort_key(term))

    def shows(self, symbol) -> bool:
        """Whether the gradient of a parameter or input is among the neurons shown."""
        node = self.net.nodes[symbol]
        l, index = (self.net.layer_of.get(symbol) or 0), node.index
        if len(index) == 2 and index[1] not in self.units(l - 1):
            return False
        return index[0] in self.units(l)

    def neuron_rows(self, l: int, row, general=None) -> list:
        """``row(j)`` for every neuron shown of layer ``l``; for ⋯ a gap, and with
        ``general`` the general neuron j (``general(names)``: its row, from the formulas of
        neuron :data:`representative.SAMPLE` renamed) between two gaps."""
        gap = representative.GAP
        out = [gap if j is None else row(j) for j in self.units(l)]
        names = representative.general_names(self.net, l) if general is not None and gap in out else None
        if names is not None:
            i = out.index(gap)
            out[i:i + 1] = [gap, general(names), gap]
        return out

    def general_row(self, symbol, expr, names) -> Row:
        """``symbol = expr`` with the names of the general neuron, without a value."""
        expr = self.shown(expr).xreplace(names)
        return self.row(M(names.get(symbol, symbol)), [breaking.tokens(expr)], text(expr))

    def general_formula(self, formula):
        """``general(names)`` for :meth:`neuron_rows`: ``formula(SAMPLE)`` renamed."""
        def general(names):
            f = formula(representative.SAMPLE)
            return self.general_row(f.symbol, f.expr, names)
        return general

    def gradient_rows(self, formulas) -> list:
        """The gradients among the neurons shown, a None for each run left out."""
        return representative.rows(formulas, lambda f: self.shows(f.of), None)

    def check_rows(self, rows) -> list:
        if not self.wide:
            return list(rows)
        names = {s.name: s for s in self.net.leaves}
        return representative.rows(rows, lambda r: r.name not in names or self.shows(names[r.name]), None)

    def network_section(self):
        net = self.net
        self.add(Heading("The network"))
        sizes = "-".join(str(n) for n in net.sizes)
        self.p("A fully connected %s network with %d layer%s of weights. " % (
            sizes, net.L, "s" if net.L > 1 else ""),
            "Layer 0 holds the inputs; layer ", Math("l", "l"), " computes ",
            Math(r"z = \sum w a + b", "z = Σ w·a + b"), " from the activations of layer ",
            Math("l - 1", "l − 1"), ", then ", Math(r"a = \sigma(z)", "a = σ(z)"),
            " with the layer's activation ", Math(r"\sigma", "σ"), ".")
        rows = [("0", str(net.sizes[0]), "input", Math("", ""), _names(net.inputs), Math("", ""),
                 Math("", ""))]
        for l in range(1, net.L + 1):
            n = net.sizes[l]
            act = net.activations[l - 1]
            weights = [net.w(l, j, k) for j in range(1, n + 1) for k in range(1, net.sizes[l - 1] + 1)]
            rows.append((str(l), str(n), activations.words(act),
                         _names([net.z(l, j) for j in range(1, n + 1)]),
                         _names([net.a(l, j) for j in range(1, n + 1)]),
                         _names(weights), _names([net.b(l, j) for j in range(1, n + 1)])))
        self.add(Table(("layer", "units", "activation", (Math("z", "z"),), (Math("a", "a"),),
                        "weights", "biases"), tuple(rows), "rrlllll"))
        cost = net.cost_function
        generic = cost_formula(net)
        if generic is not None:
            self.p("The cost of one example, the %s: " % costs.words(cost), generic, "; for this network")
        else:
            self.p("The cost of one example, the %s, for this network:" % costs.words(cost))
        cost = self.shown(net.cost)
        cost_row = self.row(Math("C", "C"), [breaking.tokens(cost)], text(cost))
        self.add(Equations((cost_row,)))
        self.notation_paragraph()
        shared = [p for p in net.parameters if len(net.uses(p)) > 1]
        if shared:
            parts = ["Shared parameters (one symbol on several edges): "]
            for i, p in enumerate(shared):
                parts += [", " if i else "", S(p.name), " on %d edges" % len(net.uses(p))]
            parts.append("; the gradient of a shared parameter is the sum over its edges.")
            self.p(*parts)
        if self.wide:
            self.add(representative.sentence(net, self.report is not None))

    def notation_paragraph(self):
        """What the names mean: only the names this document uses."""
        net = self.net
        n = net.notation
        L = net.L
        default_w = any(not n._own(l, "weights") for l in range(1, L + 1))
        own_neurons = [l for l in range(1, L + 1) if n._own(l, "neurons")]
        default_neurons = len(own_neurons) < L
        parts = []
        if n.style == "lecture":
            said = []
            if default_neurons:
                said += ["neurons are numbered through the whole network, ",
                         Math("z_1, z_2, \\dots", "z₁, z₂, …")]
            if default_w:
                said += [", " if said else "", "weights ", Math("w_1, w_2, \\dots", "w₁, w₂, …"),
                         " in row-major layer order"]
            if L not in own_neurons:
                said += [", " if said else "", "outputs ", Math("y_j", "yⱼ")]
            if not n._targets:
                said += [", " if said else "", "targets ", Math(r"\hat{y}_j", "ŷⱼ")]
            if said:
                parts += ["Notation (lecture): "] + said + [". "]
        else:
            l = vector.layer_mark(net, "l")
            lm1 = vector.layer_mark(net, "l-1")
            if default_w:
                parts += ["Notation (%s): " % n.style, Math("w%s_{jk}" % l, "w_jk (layer l)"),
                          " is the weight to neuron ", Math("j", "j"), " of layer ", Math("l", "l"),
                          " from neuron ", Math("k", "k"), " of layer ", Math("l-1", "l − 1"),
                          " (so it multiplies ", Math("a%s_k" % lm1, "aₖ (layer l − 1)"), ")"]
            if default_neurons:
                parts += [", and " if parts else "Notation (%s): " % n.style,
                          Math(r"\delta%s_j = \frac{\partial C}{\partial z%s_j}" % (l, l),
                               "δⱼ = ∂C/∂zⱼ (layer l)")]
            if parts:
                parts.append(". ")
        if own_neurons:
            l = own_neurons[0]
            a, z, delta = net.a(l, 1).name, net.z(l, 1).name, net.delta(l, 1).name
            parts += ["A named neuron ", S(a), " has the pre-activation ", S(z), " and ",
                      Math(r"%s = \frac{\partial C}{\partial %s}" % (delta, z),
                           "%s = ∂C/∂%s" % (unicode_name(delta), unicode_name(z))), ". "]
        if n._custom or n._inputs or n._targets:
            parts.append("The other names are the spec's own." if parts else "The names are the spec's own.")
        if parts:
            if isinstance(parts[-1], str):
                parts[-1] = parts[-1].rstrip()
            self.p(*parts)

    def split_section(self):
        self.add(Heading("The chain rule split"))
        self.p("Gradient descent needs ", partial("C", "w"), " for every weight and bias. A weight ",
               Math("w", "w"), " reaches the cost only through the ", Math("z", "z"),
               " it feeds, so by the chain rule")
        self.add(Equations((Row(partial("C", "w"),
                                (r"\frac{\partial z}{\partial w} \cdot \frac{\partial C}{\partial z}",),
                                "∂z/∂w · ∂C/∂z"),)))
        self.p("The forward pass gives ", partial("z", "w"),
               " (the input on that edge); the backward pass gives ", partial("C", "z"),
               " for every ", Math("z", "z"), ". A value that feeds several consumers collects one "
               "term per consumer: ",
               Math(r"\frac{\partial C}{\partial s} = \sum_i \frac{\partial u_i}{\partial s}"
                    r" \frac{\partial C}{\partial u_i}", "∂C/∂s = Σᵢ ∂uᵢ/∂s · ∂C/∂uᵢ"), ".")

    def forward_section(self):
        net = self.net
        self.add(Heading("Forward pass"))
        self.p("Every pre-activation and activation, layer by layer",
               " (with its value at the given point)." if self.values else ".")
        for l in range(1, net.L + 1):
            self.add(Heading("Layer %d (%s)" % (l, activations.words(net.activations[l - 1])), 2),
                     Equations(tuple(self.layer_rows(l))))
        cost = self.shown(net.cost)
        self.add(Equations((self.row(Math("C", "C"), [breaking.tokens(cost)], text(cost),
                                     self.value(net.cost_symbol)),)))
        self.forward_figure()
        self.factor_section()

    def layer_rows(self, l: int) -> list:
        """The z of every neuron shown of layer ``l``, then its a."""
        d = self.d
        rows = self.neuron_rows(l, lambda j: self.z_row(l, j),
                                lambda names: self.z_row(l, representative.SAMPLE, names))
        return rows + self.neuron_rows(l, lambda j: self.formula_row(d.activation(l, j)),
                                       self.general_formula(lambda j: d.activation(l, j)))

    def delta_rows(self, l: int) -> list:
        """∂C/∂z of every neuron shown of layer ``l``."""
        delta = self.d.dC_dz
        return self.neuron_rows(l, lambda j: self.formula_row(delta(l, j)),
                                self.general_formula(lambda j: delta(l, j)))

    def forward_figure(self):
        """The forward network, with a table of the weights on the edges it leaves unlabelled."""
        forward = diagram.forward(self.net)
        tables, tabled = self.weight_tables(forward.unlabelled)
        self.add(Figure(forward, (("The forward network: each edge carries its weight, each neuron "
                                   if not forward.unlabelled else "The forward network: each neuron ")
                                  + "adds its bias and applies its activation."
                                  + _compact(forward, tabled),)))
        self.add(*tables)

    def factor_section(self):
        """∂z/∂w, the input on the weight's edge: a row per weight, or per input when wide."""
        d = self.d
        self.add(Heading("The forward-pass factor", 2))
        self.p("For a weight, ", partial("z", "w"),
               " is the value of the input connected by the weight: an input ",
               Math("x_k", "xₖ"), " in the first layer, the activation ", Math("a", "a"),
               " of the neuron the weight comes from in a deeper layer. For a bias, ",
               Math(r"\frac{\partial z}{\partial b} = 1", "∂z/∂b = 1"), ".")
        uses = [(f, factor, delta) for f in d.gradients if f.kind == "w" for factor, delta in f.uses]
        if len(uses) > FACTOR_ROWS:
            self.factor_table_by_input()
            return
        header = ("weight", "edge", (slash("z", "w"),), "value") if self.values else \
            ("weight", "edge", (slash("z", "w"),))
        rows = []
        for f, factor, delta in uses:
            z = d.formula(delta).of
            src = factor.name if factor.is_Symbol else latex(factor)
            row = (S(f.of.name), Math(r"%s \to %s" % (src, z.name),
                                      "%s → %s" % (unicode_name(src), unicode_name(z.name))),
                   (slash(z.name, f.of.name), Math(" = " + latex(factor), " = " + text(factor))))
            if self.values:
                row += (number(self.value(factor) if factor.is_Symbol else factor),)
            rows.append(row)
        self.add(Table(header, tuple(rows), "lllr" if self.values else "lll"))

    def factor_table_by_input(self):
        """The factor table of a wide network: one row per input of each layer, since every
        weight leaving that input has the same factor."""
        net = self.net
        self.p("Every weight that leaves the same input has the same factor, so one row per "
               "input of each layer:")
        header = ("layer", "weights leaving the input", (slash("z", "w"), " = the input")) + \
            (("value",) if self.values else ())
        rows = []
        for l in range(1, net.L + 1):
            for k in self.units(l - 1):
                if k is None:
                    rows.append(representative.gap_cells(len(header)))
                    continue
                a = net.a(l - 1, k)
                weights = list(dict.fromkeys(net.w(l, j, k) for j in range(1, net.sizes[l] + 1)))
                row = (str(l), _names(weights), S(a.name))
                if self.values:
                    row += (number(self.value(a)),)
                rows.append(row)
        self.add(Table(header, tuple(rows), "rllr" if self.values else "rll"))

    def weight_tables(self, layers) -> tuple[list, tuple]:
        """For each layer whose edges the drawing leaves unlabelled (and whose weight matrix
        fits a page), a table: row j = the unit the edge enters, column k = the unit it leaves."""
        net = self.net
        blocks, tabled = [], []
        for l in layers:
            if net.sizes[l - 1] > MATRIX_ROWS or net.sizes[l] > 2 * MATRIX_ROWS:
                continue
            tabled.append(l)
            header = ("into / from",) + tuple(S(net.a(l - 1, k).name) for k in range(1, net.sizes[l - 1] + 1))
            rows = []
            for j in range(1, net.sizes[l] + 1):
                cells = [S(net.a(l, j).name)]
                for k in range(1, net.sizes[l - 1] + 1):
                    w = net.w(l, j, k)
                    v = self.value(w)
                    if v is None:
                        cells.append(S(w.name))
                    else:
                        cells.append((S(w.name), Math(" = " + number(v).latex, " = " + number(v).text)))
                rows.append(tuple(cells))
            blocks.append(Paragraph(("The weights into layer %d, on the edges of the drawing:" % l,)))
            blocks.append(Table(header, tuple(rows), "l" * len(header)))
        return blocks, tuple(tabled)

    def z_row(self, l: int, j: int, names=None) -> Row:
        """z = Σ w·a + b in the order of its edges; with ``names``, of the general neuron."""
        net = self.net
        node = net.nodes[net.z(l, j)]
        names = names or {}
        terms = tuple((names.get(w, w), names.get(a, a)) for w, a in node.terms)
        bias, z = names.get(node.bias, node.bias), names.get(node.symbol, node.symbol)
        if self.wide and len(terms) > KEEP:
            terms = terms[:2] + (None,) + terms[-1:]
        toks = []
        for i, term in enumerate(terms):
            tok = breaking.atom(r"\cdots" if term is None else "%s %s" % (term[0].name, term[1].name))
            toks.append(breaking.Token(("+ " if i else "") + tok.latex, tok.width + (2 if i else 0),
                                       i > 0, 0))
        toks.append(breaking.Token("+ " + bias.name, breaking.width(bias.name) + 2, True, 0))
        txt = " + ".join("⋯" if term is None else "%s·%s" % (unicode_name(term[0].name), unicode_name(term[1].name))
                         for term in terms)
        txt += " + " + unicode_name(bias.name)
        return self.row(S(z.name), [toks], txt, None if names else self.value(node.symbol))

    def backward_section(self):
        self.add(Heading("Backward pass"))
        self.p("The backward pass computes ", partial("C", "z"), " for every ", Math("z", "z"),
               ", starting from the output layer and moving backward. With ",
               Math(r"a = \sigma(z)", "a = σ(z)"), " feeding the next layer, ",
               Math(r"\frac{\partial C}{\partial z} = \sigma'(z) \sum_i w_i "
                    r"\frac{\partial C}{\partial z_i}", "∂C/∂z = σ′(z) Σᵢ wᵢ ∂C/∂zᵢ"),
               ": one step, where ", Math(r"\sigma'(z)", "σ′(z)"),
               " is a constant, because the forward pass has fixed ", Math("z", "z"), ".")
        self.output_layer()
        self.hidden_layers()
        self.amplifier_table()
        self.backward_figure()
        if self.closed:
            self.add(Heading("Closed forms", 2))
            self.p("Every ", partial("C", "z"), " fully substituted in the inputs, targets, "
                   "weights and biases:")
            self.add(*self.closed_rows(self.d.select("delta")))

    def output_layer(self):
        """Case 1: ∂C/∂a from the cost alone, then each output's ∂C/∂z."""
        net, d = self.net, self.d
        out_act = net.activations[-1]
        self.add(Heading("Case 1: the output layer", 2))
        self.p("For an output neuron, ",
               Math(r"\frac{\partial C}{\partial z} = \frac{\partial a}{\partial z} "
                    r"\frac{\partial C}{\partial a}", "∂C/∂z = ∂a/∂z · ∂C/∂a"),
               ", and ", partial("C", "a"), " depends only on the cost:")
        L = net.L
        rows = self.neuron_rows(L, lambda j: self.cost_gradient_row(d.dC_da(L, j)),
                                self.general_formula(lambda j: d.dC_da(L, j)))
        self.add(Equations(tuple(rows)))
        if not out_act.elementwise:
            self.p("The output activation (", out_act.name, ") is not elementwise: each ",
                   partial("C", "z"), " sums over its full Jacobian ",
                   Math(r"\frac{\partial a_i}{\partial z_j} = a_i (\delta_{ij} - a_j)",
                        "∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ)"), ".")
        self.add(Equations(tuple(self.delta_rows(L))))

    def hidden_layers(self):
        """Case 2: each hidden layer's ∂C/∂z, one step in the next layer's."""
        net = self.net
        if net.L > 1:
            self.add(Heading("Case 2: the hidden layers", 2))
            self.p("A hidden ", Math("z", "z"), " feeds the next layer's pre-activations: apply "
                   "the same step to them, recursively, until the output layer is reached. Going "
                   "backward, every ", partial("C", "z"), " on the right is already known.")
            for l in range(net.L - 1, 0, -1):
                self.add(Equations(tuple(self.delta_rows(l))))

    def backward_figure(self):
        backward = diagram.backward(self.net)
        self.add(Figure(backward,
                        ("The backward pass is a reversed network: its inputs are ",
                         partial("C", "a"), " at the output side; it runs right to left over the "
                         "same weights; each neuron is an amplifier that multiplies by the "
                         "constant ", Math(r"\sigma'(z)", "σ′(z)"), " and puts out ",
                         partial("C", "z"), "." + _compact(backward, ()))))

    def cost_gradient_row(self, g) -> Row:
        """∂C/∂a of an output, from the cost alone, with its value."""
        return self.row(partial("C", g.of.name), [breaking.tokens(g.expr)], text(g.expr),
                        self._cost_gradient_value(g.expr))

    def cost_gradients(self) -> list:
        """∂C/∂a of every output shown (Formula; None for ⋯)."""
        net = self.net
        return [None if j is None else self.d.dC_da(net.L, j) for j in self.units(net.L)]

    def layer_deltas(self, l: int) -> list:
        """∂C/∂z of every neuron shown of layer ``l`` (Formula; None for ⋯)."""
        return [None if j is None else self.d.dC_dz(l, j) for j in self.units(l)]

    def _cost_gradient_value(self, expr):
        """∂C/∂a at the point, with a written as σ(z) and made stable (a saturated output
        rounds a to 1 in floats, where 1/(1 − a) would be infinite)."""
        if self.values is None:
            return None
        net, nums = self.net, self.values.numbers
        inline = {a: net.nodes[a].expr for a in expr.free_symbols
                  if a in net.nodes and net.nodes[a].kind == "a"}
        e = stable(expr.xreplace(inline)) if inline else expr
        v = e.xreplace({s: _sympy_number(nums[s]) for s in e.free_symbols})
        if v.is_Rational:
            return v
        return float(sympy.N(v, 30))

    def amplifier_table(self):
        if self.values is None:
            return
        net = self.net
        acts = [l for l in range(1, net.L + 1) if net.activations[l - 1].elementwise]
        if not acts:
            return
        self.p("The amplifiers at this point:")
        rows = []
        for l in acts:
            act = net.activations[l - 1]
            for j in self.units(l):
                if j is None:
                    rows.append(representative.gap_cells(5))
                    continue
                z = net.z(l, j)
                zv = self.values.numbers[z]
                prime = act.prime(z)
                rows.append((S(z.name), number(zv), (M(prime),), number(prime_value(act, zv, self.values.exact)),
                             number(self.values.numbers[net.delta(l, j)])))
        self.add(Table((Math("z", "z"), "value", "amplifier", "factor",
                        (slash("C", "z"),)), tuple(rows), "lrlrr"))

    def summary_section(self):
        d = self.d
        self.add(Heading("Summary: every gradient"))
        self.p("Multiply: ", Math(r"\frac{\partial C}{\partial w} = a \cdot \frac{\partial C}{\partial z}",
                                   "∂C/∂w = a · ∂C/∂z"),
               " for every weight (the input on its edge times the ", partial("C", "z"),
               " of the neuron it feeds), and ",
               Math(r"\frac{\partial C}{\partial b} = \frac{\partial C}{\partial z}", "∂C/∂b = ∂C/∂z"),
               " for every bias.")
        header = ("parameter", "gradient") + (("value",) if self.values else ())
        rows, wide = [], []
        for f in self.gradient_rows(d.gradients):
            if f is None:
                rows.append(representative.gap_cells(len(header)))
                continue
            tex = latex(f.expr)
            if breaking.width(tex) > TABLE_WIDTH:
                wide.append(f)
                cell = Math(r"%s = \sum \text{ of %d terms}" % (flat(latex(f.symbol)), len(f.uses)),
                            "%s = Σ of %d terms" % (text(f.symbol), len(f.uses)))
            else:
                cell = Math(r"%s = %s" % (flat(latex(f.symbol)), flat(tex)), "%s = %s" % (text(f.symbol), text(f.expr)))
            row = (S(f.of.name), (cell,))
            if self.values:
                row += (number(self.values.numbers[f.symbol]),)
            rows.append(row)
        self.add(Table(header, tuple(rows), "llr" if self.values else "ll"))
        if wide:
            self.p("In full:")
            self.add(Equations(tuple(self.formula_row(f) for f in wide)))
        self.p("The gradient with respect to the inputs, by the same rule:")
        self.add(Equations(tuple(self.neuron_rows(0, lambda k: self.formula_row(d.dC_dx(k)),
                                                  self.general_formula(d.dC_dx)))))
        if self.closed:
            self.add(Heading("Closed forms", 2))
            self.add(*self.closed_rows(d.gradients + d.select("x")))

    def vector_section(self):
        net = self.net
        self.add(Heading("Vector form"))
        self.p("The same result for a whole layer at once, with ", Math(r"\odot", "⊙"),
               " the elementwise product, ", Math(r"W%s" % vector.layer_mark(net, "l"), "Wˡ"),
               " the matrix of weights (row ", Math("j", "j"), " = neuron ", Math("j", "j"),
               ", column ", Math("k", "k"), " = input ", Math("k", "k"), ") and ",
               Math("L = %d" % net.L, "L = %d" % net.L), " the output layer:")
        rows = tuple(Row(Math(lhs, t.split(" = ")[0]), (rhs,), t.split(" = ", 1)[1])
                     for lhs, rhs, t in vector.equations(net))
        self.add(Equations(rows))
        if self.values is not None:
            self.vector_values()

    def vector_values(self):
        """The four equations evaluated with matrices, and how they agree with the scalars."""
        net = self.net
        try:
            vv = vector.evaluate(net, self.values.numbers)
        except (ArithmeticError, ValueError):
            self.p("The vector form is not evaluated at this point: in plain floating point the "
                   "outputs saturate (the scalar values above use stable formulas).")
            return
        worst = max(abs(vv.gradients[name] - float(v)) for name, v in self.values.gradients.items())
        rows = []
        for l in range(net.L, 0, -1):
            if net.sizes[l] > MATRIX_ROWS or net.sizes[l - 1] > MATRIX_ROWS:
                continue
            rows.append(Row(Math(r"\delta%s" % vector.layer_mark(net, l), "δ" + superscript(l)),
                            (_column(vv.delta[l]),), _vector_text(vv.delta[l])))
        for l in range(1, net.L + 1):
            if net.sizes[l] > MATRIX_ROWS or net.sizes[l - 1] > MATRIX_ROWS:
                continue
            rows.append(Row(partial("C", "W%s" % vector.layer_mark(net, l)),
                            (_matrix(vv.dW[l]),), "; ".join(_vector_text(r) for r in vv.dW[l])))
        if rows:
            self.p("Evaluated with matrices at the given point:")
            self.add(Equations(tuple(rows)))
        self.p("These matrices, entry by entry, are the scalar gradients of the summary table "
               "(largest difference ", bound(worst), ")",
               "; a shared parameter's gradient is the sum of its entries." if
               any(len(net.uses(p)) > 1 for p in net.parameters) else ".")

    # --- the numbers, step by step (:mod:`..sections.substituted`) ---------------------

    def forward_numbers(self, sub) -> list:
        """One block: per layer its z = Σ w·a + b, then its activations; the cost."""
        net, d = self.net, self.d
        groups = []
        for l in range(1, net.L + 1):
            groups.append(self.neuron_rows(l, partial_row(affine_row, sub, d.forward, l)))
            groups.append(self.neuron_rows(l, partial_row(worked, sub, d.activation, l, self)))
        return [block(*groups, [worked(self, sub, d.cost)])]

    def backward_numbers(self, sub) -> list:
        """∂C/∂a in a block of its own (its wide rows would widen the δ column), then a
        block a layer, as the backward pass; within a block the rows alike."""
        gap = representative.GAP
        rows = [gap if g is None else
                three_ways(self, sub, partial("C", g.of.name), g.expr, self._cost_gradient_value(g.expr))
                for g in self.cost_gradients()]
        return [block(rows)] + [block([gap if f is None else worked(self, sub, f) for f in self.layer_deltas(l)])
                                for l in range(self.net.L, 0, -1)]

    def worked_gradients(self) -> list:
        return [f for f in self.d.formulas if f.kind in ("w", "b", "p") and (not self.wide or self.shows(f.of))]


def partial_row(write, sub, formula, l, *story):
    """``j ↦ write(*story, sub, formula(l, j))``, a row function for :meth:`LayeredStory.neuron_rows`."""
    return lambda j: write(*story, sub, formula(l, j))


def _compact(d, tabled) -> str:
    """What a drawing leaves out, and where to find it."""
    out = ""
    if d.compact:
        out += (" Compact drawing: a layer of more than %d units shows its first %d units, an ellipsis "
                "and its last unit; the labels beside the neurons are left out." % (diagram.MAX_UNITS, diagram.SHOWN))
    if d.unlabelled:
        many = len(d.unlabelled) > 1
        out += " The edges into layer%s %s carry no labels (too many to read)" % (
            "s" if many else "", _and([str(l) for l in d.unlabelled]))
        if d.name == "backward":
            out += "; they carry the same weights as in the forward network."
        else:
            rest = [l for l in d.unlabelled if l not in tabled]
            if tabled:
                out += "; the table%s below name%s the weight on each edge" % (
                    "s" if len(tabled) > 1 else "", "" if len(tabled) > 1 else "s")
            if rest:
                out += ("; %s, the edge from unit k to unit j carries the weight in row j, column k of "
                        "the layer's weight matrix" % ("into layer%s %s" % ("s" if len(rest) > 1 else "",
                                                                            _and([str(l) for l in rest]))
                                                       if tabled else "there"))
            out += "."
    return out


def _and(items) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _pattern(names) -> str | None:
    """``base_j`` when the names are ``base_{1}``, ``base_{2}``, … (``a^{(2)}_{1}`` → ``a^{(2)}_j``)."""
    import re
    bases = set()
    for j, name in enumerate(names, start=1):
        m = re.fullmatch(r"(.+)_(?:\{%d\}|%d)" % (j, j), name)
        if not m:
            return None
        bases.add(m.group(1))
    return bases.pop() + "_j" if len(bases) == 1 else None


def cost_formula(net) -> Math | None:
    """The cost's general formula in this network's own names for outputs and targets
    (lecture notation: outputs y, targets ŷ), or None when the names follow no pattern."""
    cost = net.cost_function
    out = _pattern([a.name for a in net.outputs])
    target = _pattern([y.name for y in net.targets])
    if out is None or target is None:
        return None
    if cost.name not in costs.WORDS:       # a custom cost: its own formula, as given
        return Math(cost.latex, cost.text)
    tex = cost.latex.replace("a^{(L)}_j", "\x00A").replace("y_j", "\x00Y")
    tex = tex.replace("\x00A", out).replace("\x00Y", target)
    txt = cost.text.replace("aⱼ", "\x00A").replace("yⱼ", "\x00Y")
    txt = txt.replace("\x00A", unicode_name(out)).replace("\x00Y", unicode_name(target))
    return Math(tex, txt)


def _sympy_number(v):
    from fractions import Fraction
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Float(float(v))




def _column(values) -> str:
    return r"\begin{pmatrix} %s \end{pmatrix}" % r" \\ ".join(number(v).latex for v in values)


def _matrix(rows) -> str:
    return r"\begin{pmatrix} %s \end{pmatrix}" % r" \\ ".join(
        " & ".join(number(v).latex for v in row) for row in rows)


def _vector_text(values) -> str:
    return "(" + ", ".join(number(v).text for v in values) + ")"


__all__ = ["LayeredStory", "cost_formula"]
