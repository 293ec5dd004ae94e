"""One head of scaled dot-product self-attention over T tokens: a builder of a :class:`Graph`.

With X the T × d_model matrix of the tokens (row t is token t)::

    Q = X W_Q,   K = X W_K,   V = X W_V              (T × d_k, T × d_k, T × d_v)
    S = Q Kᵀ / √d_k                                  (T × T scores)
    A_{t,s} = e^{S_{t,s}} / Σ_{s'} e^{S_{t,s'}}      (row softmax; causal: s, s' ≤ t)
    O = A V                                          (T × d_v)

then, optionally, a dense layer per token (z_{t,j} = Σ_k W^{(O)}_{jk} O_{t,k} + b^{(O)}_{j},
a_{t,j} = f(z_{t,j})), and the cost summed over the tokens, C = Σ_t C^{(t)}.

Every entry is one named node, so the sweep writes dV, dA, dS, dQ and dK entry by entry
as the sums the matrix formulas abbreviate. Each row of A is a softmax node group of the
activation registry, so ∂A_{t,s}/∂S_{t,s'} comes from the softmax rule of the core. A
masked entry (s > t) is no node at all: it is left out of the row's softmax and of O.
The structure is data on the graph: :attr:`matrices` (each matrix's entries by name),
:attr:`roles` (each node's matrix, row and column) and :meth:`masked`.
"""

from __future__ import annotations

import sympy

from ..core.graph import Graph, Node, affine, classify, product
from ..errors import SpecError
from ..notation.naming import indices
from ..ops import activations as _activations
from ..ops import costs as _costs

#: Most tokens, and most columns of any of the matrices.
MAX_TOKENS = 32
MAX_WIDTH = 32
#: Most products of the graph (every Σ's terms): each is a term of the derivation. Built
#: from Python for compiled code (``d.compile()``): 32 tokens × 16 dimensions, 57,344
#: products, builds, derives and compiles in seconds (benchmarks/cells.py).
MAX_TERMS = 70_000
#: Most products of a spec file's head: every command documents it or checks it three ways.
MAX_SPEC_TERMS = 20_000
#: The masks a spec may ask for.
MASKS = (None, "causal")

#: The matrices a spec may give, each with its rows and columns as sizes of the head.
SHAPES = {"W_Q": ("d_model", "d_k"), "W_K": ("d_model", "d_k"), "W_V": ("d_model", "d_v"),
          "W_O": ("outputs", "d_v")}


def _weight_name(letter: str):
    """The namer of a weight matrix's entries: (i, k) → ``W^{(Q)}_{ik}``."""
    return lambda i, k: "W^{(%s)}_{%s}" % (letter, indices(i, k))


class Attention(Graph):
    """One head of scaled dot-product self-attention over ``tokens`` tokens of ``d_model``
    inputs each; ``mask="causal"`` lets token t attend to tokens 1 … t only; ``outputs``
    (a count) adds a dense layer per token with ``output_activation``; ``cost`` per token
    (C = Σ_t C^{(t)}); ``values`` maps names to numbers.

        >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, d_v=2, mask="causal")
        >>> att.A(2, 1), att.W_Q(1, 2), att.masked(1, 3)
        (A_{2,1}, W^{(Q)}_{12}, True)
    """

    kind = "attention"
    reports_inputs = False
    what = "attention head"

    def __init__(self, tokens: int, d_model: int, d_k: int, d_v: int | None = None, *, mask=None,
                 outputs: int | None = None, output_activation="identity", cost="mse", values=None,
                 title: str | None = None):
        super().__init__(title)
        d_v = d_k if d_v is None else d_v
        sizes = {"tokens": tokens, "d_model": d_model, "d_k": d_k, "d_v": d_v}
        if outputs is not None:
            sizes["outputs"] = outputs
        for name, n in sizes.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise SpecError(f"{name} must be a positive integer, got {n!r}")
            top = MAX_TOKENS if name == "tokens" else MAX_WIDTH
            if n > top:
                raise SpecError(f"{name} {n} is above the limit of {top:,}")
        self.check_size(tokens, d_model, d_k, d_v, outputs, MAX_TERMS)
        if mask not in MASKS:
            raise SpecError(f"mask: expected \"causal\" or no mask, got {mask!r}")
        self.sizes = sizes
        self.tokens, self.d_model, self.d_k, self.d_v = tokens, d_model, d_k, d_v
        self.outputs = outputs
        self.mask = mask
        self.output_activation = _activations.get(output_activation)
        self.cost_function = _costs.get(cost)
        self._check_cost()
        self.matrices: dict[str, tuple] = {}
        self.roles: dict[sympy.Symbol, tuple] = {}
        self._build()
        self.values = values or {}

    @staticmethod
    def check_size(tokens, d_model, d_k, d_v, outputs, limit, where: str = "") -> None:
        """Refuse a head of more than ``limit`` products (:data:`MAX_TERMS`), from its sizes.

            >>> sb.Attention.check_size(3, 2, 2, 2, None, limit=10)
            Traceback (most recent call last):
            ...
            symbackprop.errors.SpecError: the head has 72 products, above the limit of 10
        """
        terms = tokens * (d_model * (2 * d_k + d_v) + tokens * (d_k + d_v) + (outputs or 0) * d_v)
        if terms > limit:
            raise SpecError(f"{where}the head has {terms:,} products, above the limit of {limit:,}")

    def _check_cost(self):
        needs = self.cost_function.needs
        out = self.output_activation if self.outputs is not None else None
        if needs and (out is None or (out.range is not None and not (out.range == needs or out.range == "unit"))):
            raise SpecError(f"cost {self.cost_function.name} takes the logarithm of the outputs; "
                            "give a dense output (W_O) with output_activation "
                            f"{'sigmoid' if needs == 'unit' else 'softmax or sigmoid'}")

    # --- the structure ------------------------------------------------------------------

    def masked(self, t: int, s: int) -> bool:
        """Whether token t may not attend to token s (the causal mask: s > t).

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.masked(1, 2), att.masked(2, 1)
            (True, False)
        """
        return self.mask == "causal" and s > t

    def absent(self, base: str, sub: str | None) -> str | None:
        """Why S_{t,s} or A_{t,s} is no node: masked (an answer summing over it ignores the mask).

            >>> sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal").absent("A", "1,2")
            'A_{1,2} is masked: token 1 does not attend to token 2 (the causal mask keeps s ≤ t), so a sum over it ignores the mask'
        """
        t_s = sub.split(",") if base in ("S", "A") and sub else ()
        if len(t_s) == 2 and all(i.isdigit() for i in t_s) and self.masked(int(t_s[0]), int(t_s[1])):
            t, s = t_s
            return (f"{base}_{{{t},{s}}} is masked: token {t} does not attend to token {s} (the causal "
                    "mask keeps s ≤ t), so a sum over it ignores the mask")
        return None

    def shape(self, matrix: str) -> tuple:
        """(rows, columns) of a matrix of the head by its name (``"W_Q"``, ``"S"`` …).

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.shape("W_V"), att.shape("S")
            ((2, 2), (3, 3))
        """
        rows = self.matrices[matrix]
        return len(rows), len(rows[0])

    def entry(self, matrix: str, i: int, k: int) -> sympy.Symbol | None:
        """The node of entry (i, k) of a matrix, 1-based; None where masked.

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.entry("Q", 3, 2), att.entry("S", 1, 2)
            (Q_{3,2}, None)
        """
        try:
            return self.matrices[matrix][i - 1][k - 1]
        except (KeyError, IndexError):
            raise SpecError(f"the attention head has no {matrix}[{i}][{k}]") from None

    def x(self, t, i):
        """Input i of token t.

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.x(3, 1)
            x_{3,1}
        """
        return self.entry("X", t, i)

    def W_Q(self, i, k):
        """The query weight from input i to query column k.

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.W_Q(2, 1)
            W^{(Q)}_{21}
        """
        return self.entry("W_Q", i, k)

    def W_K(self, i, k):
        """The key weight from input i to key column k.

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.W_K(1, 2)
            W^{(K)}_{12}
        """
        return self.entry("W_K", i, k)

    def W_V(self, i, k):
        """The value weight from input i to value column k.

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.W_V(2, 2)
            W^{(V)}_{22}
        """
        return self.entry("W_V", i, k)

    def W_O(self, j, k):
        """The output weight to output j from value column k (with ``outputs``).

            >>> sb.Attention(tokens=2, d_model=2, d_k=2, outputs=1).W_O(1, 2)
            W^{(O)}_{12}
        """
        return self.entry("W_O", j, k)

    def b_O(self, j):
        """The output bias of output j (with ``outputs``).

            >>> sb.Attention(tokens=2, d_model=2, d_k=2, outputs=1).b_O(1)
            b^{(O)}_{1}
        """
        return self.entry("b_O", j, 1)

    def Q(self, t, k):
        """Query k of token t.

            >>> sb.Attention(tokens=3, d_model=2, d_k=2).Q(3, 1)
            Q_{3,1}
        """
        return self.entry("Q", t, k)

    def K(self, t, k):
        """Key k of token t.

            >>> sb.Attention(tokens=3, d_model=2, d_k=2).K(2, 2)
            K_{2,2}
        """
        return self.entry("K", t, k)

    def V(self, t, k):
        """Value k of token t.

            >>> sb.Attention(tokens=3, d_model=2, d_k=2).V(1, 2)
            V_{1,2}
        """
        return self.entry("V", t, k)

    def O(self, t, k):  # noqa: E743 - the name of the matrix in the formulas
        """Output k of the head for token t (O = A V).

            >>> sb.Attention(tokens=3, d_model=2, d_k=2).O(3, 2)
            O_{3,2}
        """
        return self.entry("O", t, k)

    def A(self, t, s):
        """The attention weight of token t on token s (None where masked).

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.A(3, 1), att.A(1, 3)
            (A_{3,1}, None)
        """
        return self.entry("A", t, s)

    def S(self, t, s):
        """The score of token t on token s (None where masked).

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.S(2, 2)
            S_{2,2}
        """
        return self.entry("S", t, s)

    def y(self, t, j):
        """Target j of token t.

            >>> att = sb.Attention(tokens=3, d_model=2, d_k=2, mask="causal")
            >>> att.y(1, 2)
            y_{1,2}
        """
        return self.entry("Y", t, j)

    # --- construction --------------------------------------------------------------------

    def _leaf(self, matrix, name, kind, what, i, k):
        sym = self._symbol(name, what)
        self._add(Node(sym, kind, (i, k)))
        self.roles[sym] = (matrix, i, k)
        return sym

    def _leaves(self, matrix, rows, cols, kind, what, name):
        return tuple(tuple(self._leaf(matrix, name(i, k), kind, what, i, k) for k in range(1, cols + 1))
                     for i in range(1, rows + 1))

    def _node(self, matrix, i, k, expr, **extra):
        sym = self._symbol("%s_{%d,%d}" % (matrix, i, k), "node")
        op = extra.pop("op", None) or classify(expr)
        self._add(Node(sym, "node", (i, k), expr, op=op, **extra))
        self.roles[sym] = (matrix, i, k)
        return sym

    def _product(self, matrix, left, right, scale=1):
        """Entry (i, k) = scale · Σ_m left[i][m] · right[m][k] for every i, k."""
        return tuple(tuple(self._node(matrix, i, k, scale * sympy.Add(*[
            product(a, b) for a, b in zip(left[i - 1], right_col) if a is not None]))
            for k, right_col in enumerate(zip(*right), start=1))
            for i in range(1, len(left) + 1))

    def _build(self) -> None:
        T, d_model, d_k, d_v = self.tokens, self.d_model, self.d_k, self.d_v
        X = self._leaves("X", T, d_model, "x", "input", lambda t, i: "x_{%d,%d}" % (t, i))
        W = {m: self._leaves(m, d_model, d_v if m == "W_V" else d_k, "param", "parameter", _weight_name(m[-1]))
             for m in ("W_Q", "W_K", "W_V")}
        Q, K, V = (self._product(m, X, W["W_" + m]) for m in "QKV")
        KT = tuple(zip(*K))
        S = tuple(tuple(row[s] if not self.masked(t, s + 1) else None for s in range(T))
                  for t, row in enumerate(self._scores(Q, KT), start=1))
        A = tuple(self._softmax_row(t, S[t - 1]) for t in range(1, T + 1))
        O = self._product("O", A, V)
        self.matrices.update(X=X, Q=Q, K=K, V=V, S=S, A=A, O=O, **W)
        outs = self._dense(O) if self.outputs is not None else O
        Y = self._leaves("Y", T, len(outs[0]), "y", "target", lambda t, j: "y_{%d,%d}" % (t, j))
        self.matrices["Y"] = Y
        self._costs(outs, Y)

    def _scores(self, Q, KT):
        """S_{t,s} = Σ_k Q_{t,k} K_{s,k} / √d_k for every unmasked (t, s)."""
        scale = 1 / sympy.sqrt(self.d_k)
        return tuple(tuple(
            None if self.masked(t, s) else self._node("S", t, s, scale * sympy.Add(*[
                product(q, k) for q, k in zip(Q[t - 1], KT_col)]))
            for s, KT_col in enumerate(zip(*KT), start=1)) for t in range(1, len(Q) + 1))

    def _softmax_row(self, t, scores):
        """A_{t,s} = softmax_s(S_{t,1} … S_{t,n}) over the row's unmasked scores: one group."""
        kept = [s for s in scores if s is not None]
        row = [self._symbol("A_{%d,%d}" % (t, s), "node") for s in range(1, len(kept) + 1)]
        softmax = _activations.get("softmax")
        for s, a in enumerate(row, start=1):
            self._add(Node(a, "node", (t, s), softmax.func(s, *kept), activation=softmax,
                           op="softmax", group=tuple(row)))
            self.roles[a] = ("A", t, s)
        return tuple(row) + (None,) * (len(scores) - len(kept))

    def _dense(self, O):
        """z_{t,j} = Σ_k W^{(O)}_{jk} O_{t,k} + b^{(O)}_{j}, a_{t,j} = f(z_{t,j}) per token."""
        n_out, act = self.outputs, self.output_activation
        W_O = self._leaves("W_O", n_out, self.d_v, "param", "parameter",
                           lambda j, k: "W^{(O)}_{%s}" % indices(j, k))
        b_O = self._leaves("b_O", n_out, 1, "param", "parameter", lambda j, _: "b^{(O)}_{%d}" % j)
        Z, out = [], []
        for t, o_row in enumerate(O, start=1):
            zs = []
            for j in range(1, n_out + 1):
                terms = tuple(zip(W_O[j - 1], o_row))
                expr, partials = affine(terms, b_O[j - 1][0])
                zs.append(self._node("z", t, j, expr, op="affine", terms=terms, bias=b_O[j - 1][0],
                                     partials=partials))
            Z.append(tuple(zs))
            out.append(self._activate(t, zs, act))
        self.matrices.update(W_O=W_O, b_O=b_O, Z=tuple(Z), a=tuple(out))
        return tuple(out)

    def _activate(self, t, zs, act):
        names = [self._symbol("a_{%d,%d}" % (t, j), "node") for j in range(1, len(zs) + 1)]
        for j, (a, z) in enumerate(zip(names, zs), start=1):
            if act.elementwise:
                node = Node(a, "node", (t, j), act.func(z), activation=act, op="activation")
            else:
                node = Node(a, "node", (t, j), act.func(j, *zs), activation=act, op="softmax",
                            group=tuple(names))
            self._add(node)
            self.roles[a] = ("a", t, j)
        return tuple(names)

    def _costs(self, outs, Y):
        step_costs = []
        for t, (row, ys) in enumerate(zip(outs, Y), start=1):
            cost = self.cost_function(list(row), list(ys))
            partials = {o: self.cost_function.partial(cost, o, y) for o, y in zip(row, ys)}
            sym = self._symbol("C^{(%d)}" % t, "token cost")
            self._add(Node(sym, "node", (t,), cost, op="cost", partials=partials))
            self.roles[sym] = ("C", t, 1)
            step_costs.append(sym)
        total = sympy.Symbol("C")
        self._add(Node(total, "C", (), sympy.Add(*step_costs), op="add"))
        self.cost_symbol = total

    # --- names of the derivation ----------------------------------------------------------

    def named_adjoint(self, sym: sympy.Symbol) -> bool:
        """Adjoints of their own for Q, K, V, S, A, O and z (dQ, dK … of the matrix form);
        the outputs' and the token costs' are written in place."""
        role = self.roles.get(sym)
        return role is not None and role[0] in ("Q", "K", "V", "S", "A", "O", "z")

    def reserved(self) -> dict:
        return {"C": "the total cost", "e": "Euler's number"}

    def describe(self) -> str:
        """One line: the sizes, the mask, the output layer and the cost (also the repr).

            >>> sb.Attention(tokens=3, d_model=2, d_k=2).describe()
            'Attention(tokens=3, d_model=2, d_k=2, d_v=2, mask=None, cost=mse)'
        """
        dense = "" if self.outputs is None else (
            f", outputs={self.outputs}, output_activation={self.output_activation.describe()}")
        return (f"Attention(tokens={self.tokens}, d_model={self.d_model}, d_k={self.d_k}, d_v={self.d_v}, "
                f"mask={self.mask}{dense}, cost={self.cost_function.name})")

    __repr__ = describe


__all__ = ["MASKS", "MAX_SPEC_TERMS", "MAX_TERMS", "MAX_TOKENS", "MAX_WIDTH", "SHAPES", "Attention"]
