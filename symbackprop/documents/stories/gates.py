"""The derivation document of a gated recurrent net (:mod:`~symbackprop.builders.gated`):
the unrolled story (:mod:`.unrolled`) with the cell's equations, its backward recurrence
and why its gradient survives.

* the cell: every gate in vector form, then the steps' definitions;
* the backward pass from the last step: ∂C/∂h⁽ᵗ⁾ from the output and from step t + 1; the
  LSTM's ∂C/∂c⁽ᵗ⁾ from h⁽ᵗ⁾ and from c⁽ᵗ⁺¹⁾ through the forget gate (the GRU's update gate
  has two paths, z⁽ᵗ⁺¹⁾ straight through and 1 − z⁽ᵗ⁺¹⁾ through the candidate); each
  gate's adjoint, then its sum's;
* with numbers, the product of the forget (update) gates along the cell path beside the
  Elman-style product ‖diag(tanh′(s)) W‖ across the same steps;
* each gate's shared weights as the sum over the steps, and the table of terms.
"""

from __future__ import annotations

from functools import cached_property

from ...errors import SpecError
from ...notation.scripts import superscript
from ..model import Equations, Heading, Math, Row, Table, partial
from ..numbers import number
from .unrolled import RecurrentStory


def _n(letter, t, j=None):
    """``h^{(t)}_{j}`` (or ``h^{(t)}`` for the vector)."""
    return "%s^{(%s)}%s" % (letter, t, "" if j is None else "_{%s}" % j)


def _s(g, t, j):
    return "s^{(%s)}_{%s,%s}" % (t, g, j)


def _m(tex, txt=None):
    """Inline math; its text is the LaTeX itself where that is already plain."""
    return Math(tex, tex if txt is None else txt)


def _d(C, tex, txt):
    """∂C/∂(tex) with its text written out (a step t is not a raised number)."""
    return Math(r"\frac{\partial %s}{\partial %s}" % (C, tex), "∂%s/∂%s" % (C, txt))


def _affine(g, source="h^{(t-1)}"):
    return r"W^{(%s)} %s + U^{(%s)} x^{(t)} + b^{(%s)}" % (g, source, g, g)


class _Cell:
    """What the story says about one cell: its equations, its recurrence, its carrier."""

    #: What each gate's W multiplies, where it is not h⁽ᵗ⁻¹⁾ (the GRU's candidate: g⁽ᵗ⁾).
    w_inputs: dict = {}
    #: The candidate's gate letter and its LaTeX name.
    candidate = ("c", r"\tilde{c}")


class _LSTM(_Cell):
    name = "LSTM"
    candidate = ("c", r"\tilde{c}")

    @staticmethod
    def equations():
        rows = [Row(Math(_n(g, "t"), "%s⁽ᵗ⁾" % g), (r"\sigma(%s)" % _affine(g),),
                    "σ(W⁽%s⁾ h⁽ᵗ⁻¹⁾ + U⁽%s⁾ x⁽ᵗ⁾ + b⁽%s⁾)" % (sup, sup, sup))
                for g, sup in (("f", "ᶠ"), ("i", "ⁱ"), ("o", "ᵒ"))]
        rows += [Row(Math(r"\tilde{c}^{(t)}", "c̃⁽ᵗ⁾"), (r"\tanh(%s)" % _affine("c"),),
                     "tanh(W⁽ᶜ⁾ h⁽ᵗ⁻¹⁾ + U⁽ᶜ⁾ x⁽ᵗ⁾ + b⁽ᶜ⁾)"),
                 Row(Math("c^{(t)}", "c⁽ᵗ⁾"), (r"f^{(t)} \odot c^{(t-1)} + i^{(t)} \odot \tilde{c}^{(t)}",),
                     "f⁽ᵗ⁾ ⊙ c⁽ᵗ⁻¹⁾ + i⁽ᵗ⁾ ⊙ c̃⁽ᵗ⁾"),
                 Row(Math("h^{(t)}", "h⁽ᵗ⁾"), (r"o^{(t)} \odot \tanh(c^{(t)})",), "o⁽ᵗ⁾ ⊙ tanh(c⁽ᵗ⁾)")]
        return rows

    @staticmethod
    def intro():
        return ("Each step has a forget gate ", _m("f"), ", an input gate ", _m("i"), " and an output gate ",
                _m("o"), " (sigmoids, between 0 and 1), a candidate cell state ", _m(r"\tilde{c}", "c̃"),
                " and the cell state ", _m("c"), " that carries memory from step to step. In the graph each "
                "gate's affine sum is a node of its own, ", _m(r"s^{(t)}_{f,j}", "s⁽ᵗ⁾_(f,j)"),
                " for the forget gate of unit ", _m("j"), " and so on, and the net's outputs are ",
                _m(r"\hat{y}^{(t)}", "ŷ⁽ᵗ⁾"), " (", _m("o"), " is the gate). With ", _m("c^{(0)} = 0", "c⁽⁰⁾ = 0"),
                " step 1 has no forget gate, and with ", _m("h^{(0)} = 0", "h⁽⁰⁾ = 0"), " no ", _m("W"), " terms.")

    @staticmethod
    def recurrence(C, V_sum):
        dh = Row(_d(C, _n("h", "t", "k"), "hₖ⁽ᵗ⁾"),
                 (V_sum + r" + \sum_{g \in \{f,i,o,c\}} \sum_j W^{(g)}_{jk} \, \frac{\partial %s}{\partial %s}"
                  % (C, _s("g", "t+1", "j")),),
                 "Σⱼ Vⱼₖ ∂C/∂qⱼ⁽ᵗ⁾ + Σ_g Σⱼ W⁽ᵍ⁾ⱼₖ ∂C/∂s⁽ᵗ⁺¹⁾_(g,j)")
        dc = Row(_d(C, _n("c", "t", "j"), "cⱼ⁽ᵗ⁾"),
                 (r"o^{(t)}_{j} \tanh'(c^{(t)}_{j}) \, \frac{\partial %s}{\partial h^{(t)}_{j}} + f^{(t+1)}_{j} \, "
                  r"\frac{\partial %s}{\partial c^{(t+1)}_{j}}" % (C, C),),
                 "oⱼ⁽ᵗ⁾ tanh′(cⱼ⁽ᵗ⁾) ∂C/∂hⱼ⁽ᵗ⁾ + fⱼ⁽ᵗ⁺¹⁾ ∂C/∂cⱼ⁽ᵗ⁺¹⁾")
        gates = [Row(_d(C, _n(g, "t", "j"), g_text), (r"%s \, \frac{\partial %s}{\partial %s}" % (factor, C, wrt),),
                     "%s ∂C/∂%s" % (ftext, wtext))
                 for g, g_text, factor, wrt, ftext, wtext in (
                     ("f", "fⱼ⁽ᵗ⁾", "c^{(t-1)}_{j}", "c^{(t)}_{j}", "cⱼ⁽ᵗ⁻¹⁾", "cⱼ⁽ᵗ⁾"),
                     ("i", "iⱼ⁽ᵗ⁾", r"\tilde{c}^{(t)}_{j}", "c^{(t)}_{j}", "c̃ⱼ⁽ᵗ⁾", "cⱼ⁽ᵗ⁾"),
                     (r"\tilde{c}", "c̃ⱼ⁽ᵗ⁾", "i^{(t)}_{j}", "c^{(t)}_{j}", "iⱼ⁽ᵗ⁾", "cⱼ⁽ᵗ⁾"),
                     ("o", "oⱼ⁽ᵗ⁾", r"\tanh(c^{(t)}_{j})", "h^{(t)}_{j}", "tanh(cⱼ⁽ᵗ⁾)", "hⱼ⁽ᵗ⁾"))]
        sums = Row(_d(C, _s("g", "t", "j"), "s⁽ᵗ⁾_(g,j)"),
                   (r"\sigma'(%s) \, \frac{\partial %s}{\partial g^{(t)}_{j}} \quad (g = f, i, o); \qquad "
                    r"\frac{\partial %s}{\partial %s} = \tanh'(%s) \, \frac{\partial %s}{\partial \tilde{c}^{(t)}_{j}}"
                    % (_s("g", "t", "j"), C, C, _s("c", "t", "j"), _s("c", "t", "j"), C),),
                   "σ′(s⁽ᵗ⁾_(g,j)) ∂C/∂gⱼ⁽ᵗ⁾ (g = f, i, o); ∂C/∂s⁽ᵗ⁾_(c,j) = tanh′(s⁽ᵗ⁾_(c,j)) ∂C/∂c̃ⱼ⁽ᵗ⁾")
        prose = ("The hidden state feeds its own step's output and all four gates of the next step; the cell "
                 "state feeds ", _m("h^{(t)}", "h⁽ᵗ⁾"), " and, through the forget gate, ",
                 _m("c^{(t+1)}", "c⁽ᵗ⁺¹⁾"), ". So ", _m(r"\partial %s / \partial c^{(t)}_{j}" % C, "∂C/∂cⱼ⁽ᵗ⁾"),
                 " collects two terms, and the second is the cell path: the gradient reaches ",
                 _m("c^{(t)}", "c⁽ᵗ⁾"), " from ", _m("c^{(t+1)}", "c⁽ᵗ⁺¹⁾"), " multiplied only by ",
                 _m("f^{(t+1)}_{j}", "fⱼ⁽ᵗ⁺¹⁾"), ", with no weight matrix and no ", _m(r"\sigma'", "σ′"),
                 " in between. Then each gate's adjoint, and its sum's:")
        return prose, [dh, dc] + gates + [sums]


class _GRU(_Cell):
    name = "GRU"
    candidate = ("h", r"\tilde{h}")
    w_inputs = {"h": ("g^{(t)}_{k}", "gₖ⁽ᵗ⁾")}

    @staticmethod
    def equations():
        return [Row(Math(_n("z", "t"), "z⁽ᵗ⁾"), (r"\sigma(%s)" % _affine("z"),), "σ(W⁽ᶻ⁾ h⁽ᵗ⁻¹⁾ + U⁽ᶻ⁾ x⁽ᵗ⁾ + b⁽ᶻ⁾)"),
                Row(Math(_n("r", "t"), "r⁽ᵗ⁾"), (r"\sigma(%s)" % _affine("r"),), "σ(W⁽ʳ⁾ h⁽ᵗ⁻¹⁾ + U⁽ʳ⁾ x⁽ᵗ⁾ + b⁽ʳ⁾)"),
                Row(Math(_n("g", "t"), "g⁽ᵗ⁾"), (r"r^{(t)} \odot h^{(t-1)}",), "r⁽ᵗ⁾ ⊙ h⁽ᵗ⁻¹⁾"),
                Row(Math(r"\tilde{h}^{(t)}", "h̃⁽ᵗ⁾"), (r"\tanh(%s)" % _affine("h", "g^{(t)}"),),
                    "tanh(W⁽ʰ⁾ g⁽ᵗ⁾ + U⁽ʰ⁾ x⁽ᵗ⁾ + b⁽ʰ⁾)"),
                Row(Math("h^{(t)}", "h⁽ᵗ⁾"), (r"z^{(t)} \odot h^{(t-1)} + (1 - z^{(t)}) \odot \tilde{h}^{(t)}",),
                    "z⁽ᵗ⁾ ⊙ h⁽ᵗ⁻¹⁾ + (1 − z⁽ᵗ⁾) ⊙ h̃⁽ᵗ⁾")]

    @staticmethod
    def intro():
        return ("Each step has an update gate ", _m("z"), " and a reset gate ", _m("r"), " (sigmoids), the reset "
                "state ", _m(r"g^{(t)} = r^{(t)} \odot h^{(t-1)}", "g⁽ᵗ⁾ = r⁽ᵗ⁾ ⊙ h⁽ᵗ⁻¹⁾"), " and a candidate ",
                _m(r"\tilde{h}^{(t)}", "h̃⁽ᵗ⁾"), "; the new state mixes the old one and the candidate by ", _m("z"),
                " (as in d2l and Cho et al. 2014: ", _m("r"), " multiplies ", _m("h^{(t-1)}", "h⁽ᵗ⁻¹⁾"),
                " before ", _m("W^{(h)}", "W⁽ʰ⁾"), "). In the graph each gate's affine sum is a node of its own, ",
                _m(r"s^{(t)}_{z,j}", "s⁽ᵗ⁾_(z,j)"), " for the update gate of unit ", _m("j"), " and so on. With ",
                _m("h^{(0)} = 0", "h⁽⁰⁾ = 0"), " step 1 has no reset gate and no ", _m("W"), " terms.")

    @staticmethod
    def recurrence(C, V_sum):
        dh = Row(_d(C, _n("h", "t", "k"), "hₖ⁽ᵗ⁾"),
                 (V_sum + r" + z^{(t+1)}_{k} \, \frac{\partial %s}{\partial h^{(t+1)}_{k}} + r^{(t+1)}_{k} \, "
                  r"\frac{\partial %s}{\partial g^{(t+1)}_{k}} + \sum_{g \in \{z,r\}} \sum_j W^{(g)}_{jk} \, "
                  r"\frac{\partial %s}{\partial %s}" % (C, C, C, _s("g", "t+1", "j")),),
                 "Σⱼ Vⱼₖ ∂C/∂qⱼ⁽ᵗ⁾ + zₖ⁽ᵗ⁺¹⁾ ∂C/∂hₖ⁽ᵗ⁺¹⁾ + rₖ⁽ᵗ⁺¹⁾ ∂C/∂gₖ⁽ᵗ⁺¹⁾ + Σ_g Σⱼ W⁽ᵍ⁾ⱼₖ ∂C/∂s⁽ᵗ⁺¹⁾_(g,j)")
        rows = [dh]
        for lhs, lhs_text, rhs, txt in (
                ("z^{(t)}_{j}", "zⱼ⁽ᵗ⁾", r"(h^{(t-1)}_{j} - \tilde{h}^{(t)}_{j}) \, \frac{\partial %s}{\partial h^{(t)}_{j}}",
                 "(hⱼ⁽ᵗ⁻¹⁾ − h̃ⱼ⁽ᵗ⁾) ∂C/∂hⱼ⁽ᵗ⁾"),
                (r"\tilde{h}^{(t)}_{j}", "h̃ⱼ⁽ᵗ⁾", r"(1 - z^{(t)}_{j}) \, \frac{\partial %s}{\partial h^{(t)}_{j}}",
                 "(1 − zⱼ⁽ᵗ⁾) ∂C/∂hⱼ⁽ᵗ⁾"),
                ("g^{(t)}_{k}", "gₖ⁽ᵗ⁾", r"\sum_j W^{(h)}_{jk} \, \frac{\partial %s}{\partial " + _s("h", "t", "j") + "}",
                 "Σⱼ W⁽ʰ⁾ⱼₖ ∂C/∂s⁽ᵗ⁾_(h,j)"),
                ("r^{(t)}_{k}", "rₖ⁽ᵗ⁾", r"h^{(t-1)}_{k} \, \frac{\partial %s}{\partial g^{(t)}_{k}}", "hₖ⁽ᵗ⁻¹⁾ ∂C/∂gₖ⁽ᵗ⁾")):
            rows.append(Row(_d(C, lhs, lhs_text), (rhs % C,), txt))
        rows.append(Row(_d(C, _s("g", "t", "j"), "s⁽ᵗ⁾_(g,j)"),
                        (r"\sigma'(%s) \, \frac{\partial %s}{\partial g^{(t)}_{j}} \quad (g = z, r); \qquad "
                         r"\frac{\partial %s}{\partial %s} = \tanh'(%s) \, \frac{\partial %s}{\partial \tilde{h}^{(t)}_{j}}"
                         % (_s("g", "t", "j"), C, C, _s("h", "t", "j"), _s("h", "t", "j"), C),),
                        "σ′(s⁽ᵗ⁾_(g,j)) ∂C/∂gⱼ⁽ᵗ⁾ (g = z, r); ∂C/∂s⁽ᵗ⁾_(h,j) = tanh′(s⁽ᵗ⁾_(h,j)) ∂C/∂h̃ⱼ⁽ᵗ⁾"))
        prose = ("The hidden state feeds its own step's output and step ", _m("t + 1"), " in four ways: straight "
                 "through the update gate (", _m(r"h^{(t+1)} = z^{(t+1)} \odot h^{(t)} + \dots", "h⁽ᵗ⁺¹⁾ = z⁽ᵗ⁺¹⁾ ⊙ h⁽ᵗ⁾ + …"),
                 ": the factor ", _m("z^{(t+1)}_{k}", "zₖ⁽ᵗ⁺¹⁾"), ", with no weight and no ", _m(r"\sigma'", "σ′"),
                 "), through the reset state ", _m("g^{(t+1)}", "g⁽ᵗ⁺¹⁾"), " into the candidate, and into the "
                 "sums of both gates. The update gate has two paths of its own: ", _m("z"), " keeps the old state "
                 "and ", _m("1 - z", "1 − z"), " lets the candidate in, so ",
                 _m(r"\partial %s / \partial z^{(t)}_{j}" % C, "∂C/∂zⱼ⁽ᵗ⁾"), " is the difference of what they carry:")
        return prose, rows


#: Each gated cell's part of the story (the builder's ``cell``).
CELLS = {"lstm": _LSTM, "gru": _GRU}


class GatedStory(RecurrentStory):
    """The document of an unrolled LSTM or GRU."""

    TITLE = "Backpropagation through time in a gated recurrent net, derived"

    @property
    def cell(self):
        return CELLS[self.net.cell]

    def forward_definitions(self):
        self.p(*self.cell.intro(), " The cell, for ", _m(r"t = 1, \dots, %d" % self.net.steps,
                                                             "t = 1, …, %d" % self.net.steps), ":")
        self.add(Equations(tuple(self.cell.equations())))
        super().forward_definitions()

    def recurrence(self):
        C = self.C
        V_sum = r"\sum_j V_{jk} \, \frac{\partial %s}{\partial q^{(t)}_{j}}" % C
        prose, rows = self.cell.recurrence(C, V_sum)
        self.p(*prose)
        self.add(Equations(tuple(rows)))

    def adjoints(self, adjoints):
        super().adjoints(adjoints)
        self.survival()

    def survival(self):
        """With numbers: the product of the carrier gates along the state path from the last
        step back, beside the Elman-style product of ‖diag(tanh′(s)) W‖ over the same steps."""
        g, T = self.net, self.net.steps
        gate, state = g.carrier
        cand, _ = self.cell.candidate
        if getattr(self.values, "numbers", None) is None or T < 2:
            return
        _, n_h, _ = g.sizes
        W = [[float(self.values.numbers[g.W(j, k, cand)]) for k in range(1, n_h + 1)] for j in range(1, n_h + 1)]
        rows, carried, elman = [], [1.0] * n_h, 1.0
        for t in range(T, 1, -1):
            carried = [carried[j] * float(self.values.numbers[g.gate(gate, t, j + 1)]) for j in range(n_h)]
            slopes = [1 - float(self.values.numbers[g.gate(cand, t, j + 1)]) ** 2 for j in range(n_h)]
            factor = max(sum(abs(slopes[j] * W[j][k]) for k in range(n_h)) for j in range(n_h))
            elman *= factor
            rows.append((str(t - 1),) + tuple(number(v) for v in carried) + (number(factor), number(elman)))
        self.add(Heading("Why the gradient survives", 2))
        self.p("Going back from step %d to step " % T, _m("t"), ", the direct path of ", _m(state),
               " multiplies ", _m(r"\partial %s / \partial %s^{(%d)}" % (self.C, state, T),
                                  "∂C/∂%s⁽%s⁾" % (state, superscript(T))), " by one gate value per step, ",
               Math(r"\prod_{u=t+1}^{%d} %s^{(u)}_{j}" % (T, gate), "Π_{u=t+1}^{%d} %sⱼ⁽ᵘ⁾" % (T, gate)),
               ", with no weight and no derivative of an activation in between. An Elman net's ",
               _m(r"h^{(t)} = \tanh(W h^{(t-1)} + \dots)", "h⁽ᵗ⁾ = tanh(W h⁽ᵗ⁻¹⁾ + …)"), " multiplies it by ",
               _m(r"\mathrm{diag}(\tanh') \, W", "diag(tanh′) W"), " at every step; the last columns show the size "
               "of that factor, ", _m(r"\|\mathrm{diag}(\tanh'(s^{(t)}_{%s})) \, W^{(%s)}\|_\infty" % (cand, cand),
                                      "‖diag(tanh′(s⁽ᵗ⁾)) W⁽%s⁾‖∞" % cand),
               " (the largest row sum, with this net's candidate weights and sums), and its product over the same "
               "steps. A gate near 1 keeps the gradient whole; the product of ", _m(r"W \tanh'", "W·tanh′"),
               " shrinks it geometrically once it is below 1.")
        header = (("back to step t",) + tuple(Math(r"\prod %s_{%d}" % (gate, j), "Π %s%s" % (gate, "₁₂₃₄₅₆₇₈₉"[j - 1]
                                                                                         if j < 10 else "_%d" % j))
                                              for j in range(1, n_h + 1))
                  + (Math(r"\|\mathrm{diag}(\tanh') W^{(%s)}\|_\infty" % cand, "‖diag(tanh′) W⁽%s⁾‖∞" % cand),
                     Math(r"\prod \|\cdot\|_\infty", "Π‖·‖∞")))
        self.add(Table(header, tuple(rows), "l" + "r" * (n_h + 2)))

    def through_time(self):
        """Each gate's W, U and b, and V and c, as the sum over the steps."""
        g, C = self.net, self.C
        T = g.steps
        rows = []
        for gate, _, _ in g.gates:
            steps = [t for t in range(1, T + 1) if (gate, t) in self._sums]
            with_w = [t for t in steps if self._sums[gate, t]]
            source, source_text = self.cell.w_inputs.get(gate, ("h^{(t-1)}_{k}", "hₖ⁽ᵗ⁻¹⁾"))
            ds = r"\frac{\partial %s}{\partial %s}" % (C, _s(gate, "t", "j"))
            for name, first, factor, txt in (
                    ("W^{(%s)}_{jk}" % gate, with_w, source, source_text),
                    ("U^{(%s)}_{jk}" % gate, steps, "x^{(t)}_{k}", "xₖ⁽ᵗ⁾"),
                    ("b^{(%s)}_{j}" % gate, steps, "", "")):
                if first:
                    product = (factor + r" \, " if factor else "") + ds
                    rows.append(Row(partial(C, name), (r"\sum_{t=%d}^{%d} %s" % (first[0], T, product),),
                                    "Σₜ %s∂C/∂s⁽ᵗ⁾_(%s,j)" % (txt + " " if txt else "", gate)))
        dq = r"\frac{\partial %s}{\partial q^{(t)}_{j}}" % C
        rows += [Row(partial(C, "V_{jk}"), (r"\sum_{t=1}^{%d} h^{(t)}_{k} \, %s" % (T, dq),), "Σₜ hₖ⁽ᵗ⁾ ∂C/∂qⱼ⁽ᵗ⁾"),
                 Row(partial(C, "c_{j}"), (r"\sum_{t=1}^{%d} %s" % (T, dq),), "Σₜ ∂C/∂qⱼ⁽ᵗ⁾")]
        self.p("Backpropagation through time: every gate's W, U and b, and V and c, are one node each, used "
               "at every step, so each gradient is the sum over the steps of that step's term (a sum starts "
               "at the first step that has the gate, or its W terms):")
        self.add(Equations(tuple(rows)))

    @cached_property
    def _sums(self) -> dict:
        """{(gate, step): whether its sum has W terms} for every gate sum of unit 1."""
        g = self.net
        out = {}
        for gate, _, _ in g.gates:
            for t in range(1, g.steps + 1):
                try:
                    node = g.nodes[g.s(gate, t, 1)]
                except SpecError:   # no such gate at this step (a zero state before it)
                    continue
                out[gate, t] = any(w.name.startswith("W") for w, _ in node.terms)
        return out


__all__ = ["CELLS", "GatedStory"]
