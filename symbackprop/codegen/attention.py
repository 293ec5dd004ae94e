"""An attention head as array code: the matrix form of the derivation, batched over examples.

The graph writes every entry of Q, K, V, S, A and O as a node and the sweep their adjoints
as the sums the matrix formulas abbreviate; the code writes the matrices (one leading axis
of examples, X examples × tokens × d_model)::

    Q = X W_Q, K = X W_K, V = X W_V, S = Q Kᵀ / √d_k, A = softmax of each row of S, O = A V
    dV = Aᵀ dO, dA = dO Vᵀ, dS = A ⊙ (dA − rowsum(dA ⊙ A)), dQ = dS K / √d_k, dK = dSᵀ Q / √d_k

With the causal mask a masked score is left out of its row's softmax (its weight is 0, so
its dS is 0 too). The optional dense output per token and the cost are the output layer of
:class:`.writer.OutputLayer`, one row per (example, token). A cost without code of its own
is written node by node.
"""

from __future__ import annotations

from . import arrays
from .arrays import Layout
from .writer import _preamble
from ..notation.numerals import literal
from ..ops import activations as _activations

OUT = "_out"


def layout(net) -> Layout:
    """X (tokens × d_model), Y (tokens × outputs), then W_Q, W_K, W_V (d_model × d_k or d_v)
    and, with a dense output, W_O (outputs × d_v) and b_O."""
    m = net.matrices
    params = [("W_Q", m["W_Q"]), ("W_K", m["W_K"]), ("W_V", m["W_V"])]
    if net.outputs is not None:
        params += [("W_O", m["W_O"]), ("b_O", [row[0] for row in m["b_O"]])]
    return Layout((("x", m["X"]), ("y", m["Y"])), tuple(params))


class AttentionWriter(arrays.ArrayWriter):
    """An attention head's module: the forward and backward passes as matrix products."""

    layout = staticmethod(layout)

    def _head(self) -> list:
        lines = _preamble(self.lang, self.net) + [
            "# forward() and backward() write the head's matrices, one leading axis of examples",
            "# (x: examples × tokens × d_model): Q = X W_Q, …, and dV = Aᵀ dO, … as the derivation's",
            "# matrix form. evaluate(values=None) -> {\"cost\": ..., \"gradients\": {name: ...}} at the",
            "# spec's values; an array along a leading axis is a batch, whose cost and gradients are summed.",
            "#",
            "# Arrays (identifier: its first and last names; ARRAYS and MATRICES list them all):"]
        return lines + arrays.names_comment(self.layout)

    def _passes(self):
        net = self.net
        dense = net.outputs is not None
        params = [name for name, _ in self.layout.parameters]
        args = ", ".join(["x", "y"] + params)
        scale = literal(1 / net.d_k ** 0.5)
        if net.mask == "causal":
            softmax = self._masked_softmax()
            weights = ["    # A = softmax of each row of S over s ≤ t (the causal mask: the later tokens left out)",
                       f"    A = {softmax}(S)"]
        else:
            weights = ["    # A = softmax of each row of S: A_ts = e^{S_ts} / Σ_s' e^{S_ts'}",
                       f"    A = {self.helpers.need('softmax')}(S)"]
        fwd = [f"def forward({args}):",
               '    """The forward pass, one leading axis of examples: the cost C, summed over the tokens',
               '    and the examples, and the values backward() reads."""',
               "    # Q = X W_Q, K = X W_K, V = X W_V (tokens × d_k, tokens × d_k, tokens × d_v)",
               "    Q, K, V = x @ W_Q, x @ W_K, x @ W_V",
               f"    # S = Q Kᵀ / √d_k, √d_k = √{net.d_k}",
               f"    S = (Q @ K.swapaxes(-1, -2)) * {scale}",
               *weights,
               "    # O = A V (tokens × d_v)",
               "    O = A @ V"]
        act = net.output_activation if dense else _activations.get("identity")
        if dense:
            fwd += [f"    # the dense output per token, one row per (example, token): z = W_O O_t + b_O, "
                    f"a = {act.text}(z)",
                    f"    z{OUT} = O.reshape(-1, W_O.shape[1]) @ W_O.T + b_O"]
            activated, kept = self._activated(OUT, act)
            fwd += activated
        else:
            fwd += ["    # the cost reads O itself, one row per (example, token)",
                    f"    z{OUT} = a{OUT} = O.reshape(-1, O.shape[-1])"]
            kept = [f"z{OUT}", f"a{OUT}"]
        cost_lines, extra, delta_lines = self._output(OUT, act, net.cost_function)
        fwd += ["    y = y.reshape(-1, y.shape[-1])"] + cost_lines
        cache = ["Q", "K", "V", "A", "O"] + [n for n in kept + extra if arrays.reads(delta_lines, n)]
        fwd.append(f"    return C, ({', '.join(cache)},)")
        return fwd, self._backward(args, params, cache, delta_lines)

    def _backward(self, args: str, params: list, cache: list, delta_lines: list) -> list:
        """backward(): the output layer's δ (``delta_lines``), then the matrix form."""
        L, dense = self.lang, self.net.outputs is not None
        scale = literal(1 / self.net.d_k ** 0.5)
        bwd = [f"def backward({args}, cache):",
               '    """The backward pass in matrix form (the derivation\'s sums over entries), each weight\'s',
               '    gradient summed over the tokens and the examples."""',
               f"    {', '.join(cache)}, = cache",
               "    y = y.reshape(-1, y.shape[-1])"]
        bwd += delta_lines
        if dense:
            bwd += ["    # ∂C/∂W^(O)_jk = Σ_t δ_tj O_tk, ∂C/∂b^(O)_j = Σ_t δ_tj; dO = δ W_O",
                    f"    dW_O = delta{OUT}.T @ O.reshape(-1, O.shape[-1])",
                    f"    db_O = {L.colsum('delta' + OUT)}",
                    f"    dO = (delta{OUT} @ W_O).reshape(O.shape)"]
        else:
            bwd += [f"    dO = delta{OUT}.reshape(O.shape)"]
        bwd += ["    # dV = Aᵀ dO (d_v columns); dA = dO Vᵀ",
                "    dV = A.swapaxes(-1, -2) @ dO",
                "    dA = dO @ V.swapaxes(-1, -2)",
                "    # the softmax Jacobian ∂A_ts/∂S_ts' = A_ts(δ_ss' − A_ts'): dS = A ⊙ (dA − rowsum(dA ⊙ A))"
                + (" (a masked entry has A = 0, so dS = 0)" if self.net.mask else ""),
                f"    dS = A * (dA - {self.lang.rowsum('dA * A', -1)})",
                "    # dQ = dS K / √d_k, dK = dSᵀ Q / √d_k",
                f"    dQ = (dS @ K) * {scale}",
                f"    dK = (dS.swapaxes(-1, -2) @ Q) * {scale}",
                "    # ∂C/∂W_Q = Xᵀ dQ, ∂C/∂W_K = Xᵀ dK, ∂C/∂W_V = Xᵀ dV, summed over the examples",
                "    X = x.reshape(-1, x.shape[-1])",
                "    dW_Q = X.T @ dQ.reshape(-1, dQ.shape[-1])",
                "    dW_K = X.T @ dK.reshape(-1, dK.shape[-1])",
                "    dW_V = X.T @ dV.reshape(-1, dV.shape[-1])",
                f"    return {', '.join('d' + n for n in params)}"]
        return bwd

    def _case1(self, act, Lh) -> str:
        if self.net.outputs is None:
            return "each token's ∂C^(t)/∂O_t: the cost reads O itself"
        return (f"Case 1, each token's output: δ_t = ∂C^(t)/∂a_t ⊙ {act.text}′(z_t)" if act.elementwise
                else "Case 1, each token's output: δ_t through the softmax Jacobian at z_t")

    def _masked_softmax(self) -> str:
        name = "causal_softmax"
        if name not in self.helpers.sources:
            self.helpers.sources[name] = _CAUSAL[self.lang.name]
        return name


_CAUSAL = {
    "numpy": '''def causal_softmax(S):
    """softmax of each row of S over the entries s ≤ t: a later token's score is left out
    (e^{−∞} = 0), the row shifted by its largest kept entry (no overflow)."""
    T = S.shape[-1]
    keep = np.arange(T)[None, :] <= np.arange(T)[:, None]
    S = np.where(keep, S, -np.inf)
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)''',
    "torch": '''def causal_softmax(S):
    """softmax of each row of S over the entries s ≤ t: a later token's score is left out
    (weight 0)."""
    T = S.shape[-1]
    keep = torch.ones(T, T, dtype=torch.bool).tril()
    return torch.softmax(S.masked_fill(~keep, float("-inf")), dim=-1)''',
}


class Tokens(arrays.Arrays):
    """The compiled layout of an attention head (see :func:`layout`)."""

    layout = staticmethod(layout)


__all__ = ["AttentionWriter", "Tokens", "layout"]
