"""The derivation document of one head of self-attention
(:class:`~symbackprop.builders.attention.Attention`): the story of any graph, told in
matrices.

* the head: the shapes of every matrix, the mask, and the picture of A, Q, K and V;
* the forward pass Q, K, V, S, A, O as matrix equations, then entry by entry;
* the softmax Jacobian, written out once, and what it makes of ∂C/∂S;
* the backward pass entry by entry (the graph's sums) with each adjoint's index form;
* the same in matrix form with shapes, and a numeric check that the matrix form equals
  the graph's sums at the point;
* every weight's gradient as a sum over the tokens.
"""

from __future__ import annotations

import math

import sympy

from ...notation.printing import latex, text, unicode_name
from ..model import Equations, Figure, Heading, Math, Row, S, Table
from ..pictures import attention as picture
from .generic import GraphStory

#: The matrices of the head in the order the backward pass reaches them, and the heading
#: of each group of adjoints.
BACKWARD = (("Z", "The dense output"), ("O", "The attention output O"), ("V", "The values V"),
            ("A", "The attention weights A"), ("S", "The scores S"), ("Q", "The queries Q"),
            ("K", "The keys K"))
#: Significant digits to which the matrix form must equal the graph's sums.
AGREE = 12


def _m(tex: str, txt: str | None = None) -> Math:
    """Inline math; its text is the Unicode of a name (O_{t,k} → Oₜ,ₖ) unless given."""
    return Math(tex, unicode_name(tex) if txt is None else txt)


def _d(tex: str) -> str:
    """∂C/∂(tex) as a fraction."""
    return r"\frac{\partial C}{\partial %s}" % tex


def _inline(tex: str) -> Math:
    """∂C/∂(tex) on one line, for prose."""
    return Math(r"\partial C / \partial %s" % tex, "∂C/∂" + unicode_name(tex))


class AttentionStory(GraphStory):
    """The document of one head of scaled dot-product self-attention."""

    TITLE = "Backpropagation through self-attention, derived"
    SECTIONS = ("graph", "forward", "chain_rule", "softmax", "backward", "matrix_form", "gradient",
                "numbers", "batch", "check", "descent")

    # --- the head -----------------------------------------------------------------------

    def graph_section(self):
        g = self.net
        self.add(Heading("The attention head"))
        weights = [_m("W_Q"), ", ", _m("W_K"), (" and " if g.outputs is None else ", "), _m("W_V")]
        if g.outputs is not None:
            weights += [" and ", _m("W_O")]
        self.p("One head of scaled dot-product self-attention over ", _m("T = %d" % g.tokens, "T = %d" % g.tokens),
               " tokens. Row ", _m("t"), " of ", _m("X"), " holds the %d inputs of token " % g.d_model,
               _m("t"), "; every matrix below is a grid of named scalar nodes of the graph, and ", *weights,
               " are shared by every token.")
        self.add(Table(("matrix", "shape", ("rows ", _m(r"\times", "×"), " columns"), "entries"),
                       tuple(self.shape_rows()), "lllr"))
        if g.mask == "causal":
            masked = [(t, s) for t in range(1, g.tokens + 1) for s in range(1, g.tokens + 1) if g.masked(t, s)]
            parts = ["The causal mask: token ", _m("t"), " attends to tokens ", _m(r"1, \dots, t", "1, …, t"),
                     " only. The entries "]
            for i, (t, s) in enumerate(masked):
                parts += [", " if i else "", S("S_{%d,%d}" % (t, s))]
            parts += [" and the same entries of ", _m("A"), " are left out: they are no nodes of the graph, "
                      "row ", _m("t"), "'s softmax runs over ", _m(r"s \le t", "s ≤ t"), ", and so does the sum "
                      "that makes ", _m("O_{t,k}"), ". (In code this is ", _m("S + M"), " with ",
                      _m(r"M_{t,s} = -\infty", "M_{t,s} = −∞"), " for ", _m("s > t"),
                      ": those entries of ", _m("A"), " are exactly 0.)"]
            self.p(*parts)
        grids = picture.figure(g, self.values)
        if grids is not None:
            self.add(Figure(grids, picture.caption(g, self.values)))
        else:
            self.p("The matrices are too large to draw readably (more than %d rows or columns)." % picture.MOST)

    def shape_rows(self):
        g = self.net
        rows = [("X", "T × d_model", "inputs of each token"), ("W_Q", "d_model × d_k", "query weights"),
                ("W_K", "d_model × d_k", "key weights"), ("W_V", "d_model × d_v", "value weights"),
                ("Q", "T × d_k", "queries"), ("K", "T × d_k", "keys"), ("V", "T × d_v", "values"),
                ("S", "T × T", "scores"), ("A", "T × T", "attention weights"), ("O", "T × d_v", "outputs of the head")]
        if g.outputs is not None:
            rows += [("W_O", "outputs × d_v", "output weights"), ("b_O", "outputs", "output biases"),
                     ("Z", "T × outputs", "pre-activations z"), ("a", "T × outputs", "outputs a")]
        rows.append(("Y", "T × %s" % ("outputs" if g.outputs is not None else "d_v"), "targets y"))
        sizes = {"T": g.tokens, "d_model": g.d_model, "d_k": g.d_k, "d_v": g.d_v, "outputs": g.outputs}
        out = []
        for name, shape, what in rows:
            dims = [sizes[d] for d in shape.split(" × ")]
            tex = name.replace("_", r"_{") + "}" if "_" in name else name
            shape_tex = r" \times ".join(_size_tex(d) for d in shape.split(" × "))
            out.append(((_m(tex, unicode_name(tex)), " (%s)" % what), _m(shape_tex, shape),
                        _m(r" \times ".join(map(str, dims)), " × ".join(map(str, dims))), str(_count(g, name))))
        return out

    # --- the forward pass -----------------------------------------------------------------

    def forward_section(self):
        self.add(Heading("The forward pass"))
        self.forward_definitions()

    def forward_definitions(self):
        g = self.net
        scores = (r"\frac{Q K^{\mathsf{T}}}{\sqrt{d_k}}", "Q Kᵀ / √d_k") if g.d_k != 1 else (r"Q K^{\mathsf{T}}", "Q Kᵀ")
        rows = [Row(_m("Q"), ("X W_Q",), "X W_Q"), Row(_m("K"), ("X W_K",), "X W_K"),
                Row(_m("V"), ("X W_V",), "X W_V"), Row(_m("S"), scores[:1], scores[1]),
                Row(_m("A_{t,s}"), (r"\frac{e^{S_{t,s}}}{\sum_{s'} e^{S_{t,s'}}}",),
                    "exp(Sₜ,ₛ) / Σₛ′ exp(Sₜ,ₛ′)"),
                Row(_m("O"), ("A V",), "A V")]
        if g.outputs is not None:
            act = g.output_activation
            f = act.func(sympy.Symbol("z_{t,j}")) if act.elementwise else act.func(1, sympy.Symbol("z_{t,j}"))
            rows += [Row(_m("z_{t,j}"), (r"\sum_k W^{(O)}_{jk} O_{t,k} + b^{(O)}_{j}",),
                         "Σₖ W^(O)ⱼₖ Oₜ,ₖ + b^(O)ⱼ"),
                     Row(_m("a_{t,j}"), (latex(f) if act.elementwise else r"\operatorname{softmax}_j(z_{t,1}, \dots)",),
                         text(f) if act.elementwise else "softmaxⱼ(zₜ,₁, …)")]
        rows.append(Row(_m("C"), (r"\sum_{t=1}^{%d} C^{(t)}" % g.tokens,), "Σₜ C⁽ᵗ⁾"))
        self.p("In matrices (the softmax taken along each row of ", _m("S"),
               *([", over ", _m(r"s' \le t", "s′ ≤ t")] if g.mask else []),
               "; ", _m(r"\sqrt{d_k} = %s" % _root_tex(g.d_k), "√d_k = %s" % _root(g.d_k)), "):")
        self.add(Equations(tuple(rows)))
        self.p("Entry by entry, as the graph computes them" + (", with their values:" if self.values is not None else ":"))
        for matrix, title in (("Q", "Queries, keys and values"), ("S", "Scores"), ("A", "Attention weights"),
                              ("O", "The output of the head"), ("Z", "The dense output"), ("C", "The cost")):
            group = self.group(matrix)
            if group:
                self.add(Heading(title, 2))
                self.add(Equations(tuple(self.formula_row(self.d.node(s)) for s in group)))

    def group(self, matrix):
        """The defined nodes of a group of matrices, in order: Q also takes K and V, Z also a."""
        members = {"Q": ("Q", "K", "V"), "Z": ("z", "a"), "C": ("C",)}.get(matrix, (matrix,))
        g = self.net
        out = [s for s in g.defined if g.roles.get(s, ("",))[0] in members]
        return out + ([g.cost_symbol] if matrix == "C" else [])

    # --- the softmax Jacobian ----------------------------------------------------------------

    def softmax_section(self):
        g = self.net
        self.add(Heading("The softmax Jacobian"))
        over = r"l \le i" if g.mask else "l"
        self.p("Row ", _m("i"), " of ", _m("A"), " is the softmax of row ", _m("i"), " of ", _m("S"),
               ", ", _m(r"A_{ij} = e^{S_{ij}} / \sum_{%s} e^{S_{il}}" % over, "A_ij = e^{S_ij} / Σ_l e^{S_il}"),
               ", so ", _m("A_{ij}", "A_ij"), " depends on every score of its row and on no other row. The "
               "quotient rule gives, once and for all, with ", _m(r"\delta_{jk} = 1", "δ_jk = 1"), " when ",
               _m("j = k"), " and 0 otherwise:")
        self.add(Equations((Row(_m(r"\frac{\partial A_{ij}}{\partial S_{ik}}", "∂A_ij/∂S_ik"),
                                (r"A_{ij} \left(\delta_{jk} - A_{ik}\right)",), "A_ij (δ_jk − A_ik)"),
                            Row(_m(r"\frac{\partial A_{ij}}{\partial S_{i'k}}", "∂A_ij/∂S_i'k"),
                                (r"0 \quad (i' \ne i)",), "0 (i′ ≠ i)"))))
        self.p("The diagonal terms ", _m(r"A_{ij}(1 - A_{ij})", "A_ij(1 − A_ij)"), " are not the whole story: "
               "every off-diagonal term ", _m(r"-A_{ij} A_{ik}", "−A_ij A_ik"), " carries ", _inline("A_{ij}"),
               " into every other score of the row. Summed over ", _m("j"), ":")
        self.add(Equations((Row(_m(_d("S_{ik}"), "∂C/∂S_ik"),
                                (r"\sum_{j} A_{ij} \left(\delta_{jk} - A_{ik}\right) %s" % _d("A_{ij}"),
                                 r"= A_{ik} \Bigl(%s - \sum_{j} A_{ij} %s\Bigr)" % (_d("A_{ik}"), _d("A_{ij}"))),
                                "Σ_j A_ij (δ_jk − A_ik) ∂C/∂A_ij = A_ik (∂C/∂A_ik − Σ_j A_ij ∂C/∂A_ij)"),)))
        if g.mask:
            self.p("With the causal mask, ", _m("j"), " and ", _m("k"), " run over ",
                   _m(r"1, \dots, i", "1, …, i"), " only; a masked ", _m("A_{ik}", "A_ik"), " is 0, so its ",
                   _inline("S_{ik}"), " is 0 as well: nothing flows back to a score that was left out.")
        t = g.tokens
        example = self.d.adjoint(g.S(t, 1).name)
        self.p("The graph's sweep uses exactly this rule, the registry's softmax Jacobian; for the last "
               "token's first score it writes (the same sum over the row, multiplied out):")
        self.add(Equations((self.formula_row(example, value=False),)))

    # --- the backward pass --------------------------------------------------------------------

    def backward_section(self):
        """The adjoints group by group (no picture of the reversed graph: the matrix form
        and the pictures of the adjoint matrices below show its structure)."""
        self.add(Heading("The backward pass"))
        adjoints = self.d.select("delta")
        self.adjoints(adjoints)
        if self.closed:
            self.p("The same adjoints in closed form, in the leaves only:")
            self.add(*self.closed_rows(adjoints))

    def adjoints(self, adjoints):
        g = self.net
        self.p("The sweep from ", _m("C"), " back to the weights, each adjoint one step in the adjoints of "
               "its consumers: the sums below are the graph's own, entry by entry. Each group starts with its "
               "index form", *([" (under the causal mask the sums run over the unmasked entries only)"]
                               if g.mask else []), ".")
        first = [f for f in adjoints if g.roles.get(f.of, ("",))[0] not in {m for m, _ in BACKWARD} | {"z", "a"}]
        if first:
            self.add(Equations(tuple(self.formula_row(f) for f in first)))
        by_matrix = {}
        for f in adjoints:
            by_matrix.setdefault(g.roles.get(f.of, ("",))[0], []).append(f)
        by_matrix["Z"] = by_matrix.pop("z", [])
        for matrix, title in BACKWARD:
            if by_matrix.get(matrix):
                self.add(Heading(title, 2))
                self.add(Equations(self.index_form(matrix)))
                self.add(Equations(tuple(self.formula_row(f) for f in by_matrix[matrix])))

    def index_form(self, matrix) -> tuple:
        """The adjoint of one entry of a matrix in index notation (Unicode in the second form)."""
        g = self.net
        r = r"\frac{1}{\sqrt{d_k}}"
        causal = g.mask == "causal"
        forms = {  # matrix: (lhs LaTeX, rhs LaTeX, lhs and rhs in Unicode)
            "Z": (_d("z_{t,j}"), r"f'(z_{t,j}) \, \frac{\partial C^{(t)}}{\partial a_{t,j}}",
                  "f′(z_{t,j}) ∂C^(t)/∂a_{t,j}"),
            "O": ((_d("O_{t,k}"), r"\sum_j W^{(O)}_{jk} %s" % _d("z_{t,j}"), "Σ_j W^(O)_jk ∂C/∂z_{t,j}")
                  if g.outputs is not None else
                  (_d("O_{t,k}"), r"\frac{\partial C^{(t)}}{\partial O_{t,k}}", "∂C^(t)/∂O_{t,k}")),
            "V": (_d("V_{s,k}"), r"\sum_{t%s} A_{t,s} %s" % (r" \ge s" if causal else "", _d("O_{t,k}")),
                  "Σ_t A_{t,s} ∂C/∂O_{t,k}"),
            "A": (_d("A_{t,s}"), r"\sum_k V_{s,k} %s" % _d("O_{t,k}"), "Σ_k V_{s,k} ∂C/∂O_{t,k}"),
            "S": (_d("S_{t,s}"), r"A_{t,s} \Bigl(%s - \sum_{s'} A_{t,s'} %s\Bigr)" % (_d("A_{t,s}"), _d("A_{t,s'}")),
                  "A_{t,s} (∂C/∂A_{t,s} − Σ_{s'} A_{t,s'} ∂C/∂A_{t,s'})"),
            "Q": (_d("Q_{t,k}"), r"%s \sum_{s%s} K_{s,k} %s" % (r, r" \le t" if causal else "", _d("S_{t,s}")),
                  "(1/√d_k) Σ_s K_{s,k} ∂C/∂S_{t,s}"),
            "K": (_d("K_{s,k}"), r"%s \sum_{t%s} Q_{t,k} %s" % (r, r" \ge s" if causal else "", _d("S_{t,s}")),
                  "(1/√d_k) Σ_t Q_{t,k} ∂C/∂S_{t,s}"),
        }
        lhs, tex, txt = forms[matrix]
        entry = {"Z": "z_{t,j}", "O": "O_{t,k}", "V": "V_{s,k}", "A": "A_{t,s}", "S": "S_{t,s}", "Q": "Q_{t,k}",
                 "K": "K_{s,k}"}[matrix]
        return (Row(_m(lhs, "∂C/∂" + unicode_name(entry)), (tex,), txt),)

    # --- the matrix form ------------------------------------------------------------------------

    def matrix_form_section(self):
        g = self.net
        self.add(Heading("The backward pass in matrix form"))
        self.p("Write ", _m("dM"), " for the matrix of the adjoints ", _inline("M_{ij}"),
               ", the same shape as ", _m("M"), ". The sums above are, entry by entry, these matrix products (",
               _m(r"\operatorname{rowsum}(M)", "rowsum(M)"), " is the column of each row's sum, subtracted from every "
               "entry of its row; ", _m(r"\odot", "⊙"), " is the entrywise product):")
        self.add(Equations(tuple(Row(_m(lhs, lhs_txt), (tex,), txt) for lhs, tex, lhs_txt, txt in _matrix_rows(g))))
        if g.mask:
            self.p("The masked entries are 0 in ", _m("A"), ", so they are 0 in ", _m("dS"), " whatever ",
                   _m("dA"), " holds there; ", _m("dQ"), " and ", _m("dK"),
                   " receive nothing through them.")
        verdict = self.matrix_check()
        if verdict is not None:
            self.p(*verdict)
            grids = picture.gradients(g, self.values)
            if grids is not None:
                self.add(Figure(grids, picture.gradients_caption(g)))

    def matrix_check(self):
        """The matrix form computed from the forward values and dO, beside the graph's sums."""
        numbers = getattr(self.values, "numbers", None)
        if numbers is None or self.net.runs_examples(self.point):
            return None
        from ...numeric.attention import matrix_backward
        ours, theirs = matrix_backward(self.net, self.values)
        worst, count = 0.0, 0
        for name in sorted(ours):
            for a, b in zip(ours[name].ravel(), theirs[name].ravel()):
                scale = max(abs(a), abs(b), 1e-300)
                worst = max(worst, abs(a - b) / scale if scale > 1e-12 else abs(a - b))
                count += 1
        agree = worst < 10 ** -AGREE
        names = ("dV", "dA", "dS", "dQ", "dK", "dW_Q", "dW_K", "dW_V")
        listed = []
        for i, name in enumerate(names):
            listed += [", " if 0 < i < len(names) - 1 else " and " if i else "", _m(name, name)]
        return ("A numeric check at the given point: ", *listed, " computed with these matrix products from "
                "the forward values and ", _m("dO"), " ",
                "equal the graph's sums to %d significant digits in all %d entries." % (AGREE, count) if agree else
                "differ from the graph's sums: the largest relative difference is %.3g." % worst)

    # --- the gradients -------------------------------------------------------------------------

    def shared_leaves(self, grads):
        g = self.net
        self.p("Every weight is shared by the %d tokens, so each gradient is a sum over the tokens (in matrix "
               "form " % g.tokens, _m(r"dW_Q = X^{\mathsf{T}} dQ", "dW_Q = Xᵀ dQ"), ", ",
               _m(r"dW_K = X^{\mathsf{T}} dK", "dW_K = Xᵀ dK"), ", ", _m(r"dW_V = X^{\mathsf{T}} dV", "dW_V = Xᵀ dV"), "):")
        rows = [Row(_m(_d("W^{(%s)}_{ik}" % m), "∂C/∂W^(%s)_ik" % m),
                    (r"\sum_{t=1}^{%d} x_{t,i} %s" % (g.tokens, _d("%s_{t,k}" % m)),), "Σ_t x_{t,i} ∂C/∂%s_{t,k}" % m)
                for m in "QKV"]
        if g.outputs is not None:
            rows += [Row(_m(_d("W^{(O)}_{jk}"), "∂C/∂W^(O)_jk"),
                         (r"\sum_{t=1}^{%d} O_{t,k} %s" % (g.tokens, _d("z_{t,j}")),), "Σ_t O_{t,k} ∂C/∂z_{t,j}"),
                     Row(_m(_d("b^{(O)}_{j}"), "∂C/∂b^(O)_j"),
                         (r"\sum_{t=1}^{%d} %s" % (g.tokens, _d("z_{t,j}")),), "Σ_t ∂C/∂z_{t,j}")]
        self.add(Equations(tuple(rows)))
        numbers = getattr(self.values, "numbers", None)
        if numbers is not None:
            self.p("The gradients at the given point, as matrices shaped like the weights:")
            for name in ("W_Q", "W_K", "W_V") + (("W_O",) if g.outputs is not None else ()):
                self.add(picture.value_table(g, name, lambda s: numbers.get(g.gradient_symbol(s))))


def _size_tex(size: str) -> str:
    return {"d_model": r"d_{\mathrm{model}}", "outputs": r"\text{outputs}"}.get(size, size)


def _root_tex(n: int) -> str:
    r = math.isqrt(n)
    return str(r) if r * r == n else r"\sqrt{%d}" % n


def _root(n: int) -> str:
    r = math.isqrt(n)
    return str(r) if r * r == n else "√%d" % n


def _count(g, name) -> int:
    rows = g.matrices.get(name)
    if rows is None:
        return g.tokens * (g.outputs or 1) if name == "a" else 0
    return sum(1 for row in rows for s in row if s is not None)


def _matrix_rows(g) -> list:
    """(lhs LaTeX, rhs LaTeX, lhs text, rhs text with its shape) of the matrix form."""
    scale = r"\sqrt{d_k}"
    rows = []
    if g.outputs is not None:
        rows += [(r"dZ", r"f'(Z) \odot \frac{\partial C}{\partial \mathbf{a}}", "dZ",
                  "f′(Z) ⊙ ∂C/∂a   (T × outputs)"),
                 (r"dO", r"dZ \, W_O \quad (T \times d_v)", "dO", "dZ W_O   (T × d_v)")]
    else:
        rows.append((r"dO", r"\frac{\partial C}{\partial O} \quad (T \times d_v)", "dO", "∂C/∂O   (T × d_v)"))
    rows += [
        (r"dV", r"A^{\mathsf{T}} dO \quad (T \times d_v)", "dV", "Aᵀ dO   (T × d_v)"),
        (r"dA", r"dO \, V^{\mathsf{T}} \quad (T \times T)", "dA", "dO Vᵀ   (T × T)"),
        (r"dS", r"A \odot \bigl(dA - \operatorname{rowsum}(dA \odot A)\bigr) \quad (T \times T)", "dS",
         "A ⊙ (dA − rowsum(dA ⊙ A))   (T × T)"),
        (r"dQ", r"\frac{dS \, K}{%s} \quad (T \times d_k)" % scale, "dQ", "dS K / √d_k   (T × d_k)"),
        (r"dK", r"\frac{dS^{\mathsf{T}} Q}{%s} \quad (T \times d_k)" % scale, "dK", "dSᵀ Q / √d_k   (T × d_k)"),
        (r"dW_Q", r"X^{\mathsf{T}} dQ \quad (d_{\mathrm{model}} \times d_k)", "dW_Q", "Xᵀ dQ   (d_model × d_k)"),
        (r"dW_K", r"X^{\mathsf{T}} dK \quad (d_{\mathrm{model}} \times d_k)", "dW_K", "Xᵀ dK   (d_model × d_k)"),
        (r"dW_V", r"X^{\mathsf{T}} dV \quad (d_{\mathrm{model}} \times d_v)", "dW_V", "Xᵀ dV   (d_model × d_v)"),
    ]
    if g.outputs is not None:
        rows += [(r"dW_O", r"dZ^{\mathsf{T}} O \quad (\text{outputs} \times d_v)", "dW_O", "dZᵀ O   (outputs × d_v)"),
                 (r"db_O", r"\textstyle\sum_t dZ_{t,\cdot} \quad (\text{outputs})", "db_O", "Σ_t dZ_t   (outputs)")]
    return rows


__all__ = ["AttentionStory"]
