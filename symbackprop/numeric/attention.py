"""The backward pass of an attention head in matrix form, at a point: the independent
route beside the graph's entry-by-entry sums.

From the forward values of X, Q, K, V, A and the graph's dO = ∂C/∂O::

    dV = Aᵀ dO,  dA = dO Vᵀ,  dS = A ⊙ (dA − rowsum(dA ⊙ A)),
    dQ = dS K / √d_k,  dK = dSᵀ Q / √d_k,  dW_Q = Xᵀ dQ,  dW_K = Xᵀ dK,  dW_V = Xᵀ dV

(a masked entry of A is 0, so its dS is 0). :func:`matrix_backward` returns these and
the same matrices read from the graph's adjoints and gradients, for the document to
compare; dA is compared on the unmasked entries only (the graph has no others).
"""

from __future__ import annotations

import math

import numpy as np


def _grid(head, matrix: str, value_of) -> np.ndarray:
    return np.array([[0.0 if s is None else float(value_of(s)) for s in row] for row in head.matrices[matrix]])


def matrix_backward(head, values) -> tuple[dict, dict]:
    """({name: matrix form}, {name: the graph's}) at the values of a derivation."""
    numbers = values.numbers
    forward = lambda m: _grid(head, m, numbers.__getitem__)   # noqa: E731
    adjoint = lambda m: _grid(head, m, lambda s: numbers[head.adjoint_symbol(s)])   # noqa: E731
    gradient = lambda m: _grid(head, m, lambda s: numbers[head.gradient_symbol(s)])   # noqa: E731
    X, Q, K, V, A = (forward(m) for m in ("X", "Q", "K", "V", "A"))
    root = math.sqrt(head.d_k)
    dO = adjoint("O")
    dA = dO @ V.T
    dS = A * (dA - (dA * A).sum(axis=1, keepdims=True))
    dQ, dK, dV = dS @ K / root, dS.T @ Q / root, A.T @ dO
    kept = np.array([[s is not None for s in row] for row in head.matrices["A"]])
    ours = {"dV": dV, "dA": dA[kept], "dS": dS, "dQ": dQ, "dK": dK,
            "dW_Q": X.T @ dQ, "dW_K": X.T @ dK, "dW_V": X.T @ dV}
    theirs = {"dV": adjoint("V"), "dA": adjoint("A")[kept], "dS": adjoint("S"), "dQ": adjoint("Q"),
              "dK": adjoint("K"), "dW_Q": gradient("W_Q"), "dW_K": gradient("W_K"), "dW_V": gradient("W_V")}
    return ours, theirs


__all__ = ["matrix_backward"]
