"""Vectors and matrices in an answer: a layer's δ, b, z, a as column vectors, W as a
matrix, and the operations of the vector form of backpropagation (products, sums,
transposes, the entry-by-entry product ⊙).

Every matrix is a SymPy ``ImmutableMatrix`` of the network's scalar symbols, so an
answer such as ``(W^{(3)})^T δ^{(3)} ⊙ σ′(z^{(2)})`` becomes, entry by entry, the scalar
expressions that the scalar comparison already knows how to check. Sizes are those of
one network's layers, so the matrices stay small.
"""

from __future__ import annotations

import sympy

from .lexer import AnswerReadError, AnswerShapeError

#: Most multiplications of one matrix product in an answer.
MAX_PRODUCT = 250_000
#: Most nodes in the entries of one matrix product (a chain of products of matrices of
#: sums doubles its entries' size with every factor).
MAX_PRODUCT_SIZE = 3 * MAX_PRODUCT


def is_matrix(value) -> bool:
    return isinstance(value, sympy.MatrixBase)


def shape(value) -> str:
    """``2×3`` for a matrix, ``number`` for a scalar."""
    if not is_matrix(value):
        return "number"
    rows, cols = value.shape
    return f"{rows}-vector" if cols == 1 else f"{rows}×{cols}"


def _fail(error, message):
    raise AnswerShapeError(f"{error.reason}: {message}", error.position, error.text)


def add(terms, error):
    """Σ terms. A number added to a vector or matrix is added to every entry, as the
    ``1 - a`` of ``a ⊙ (1 - a)`` is in most notes."""
    out = terms[0]
    for t in terms[1:]:
        if is_matrix(out) and is_matrix(t):
            if out.shape != t.shape:
                _fail(error, f"a {shape(out)} plus a {shape(t)}")
            out = out + t
        elif is_matrix(out):
            out = out.applyfunc(lambda e: e + t)
        else:
            out = t.applyfunc(lambda e: out + e)
    return sympy.ImmutableMatrix(out) if is_matrix(out) else out


def multiply(factors, error):
    """The product left to right: numbers scale, matrices multiply as matrices."""
    out = factors[0]
    for f in factors[1:]:
        if is_matrix(out) and is_matrix(f):
            if out.shape[1] != f.shape[0]:
                _fail(error, f"a {shape(out)} times a {shape(f)}")
            if out.shape[0] * out.shape[1] * f.shape[1] > MAX_PRODUCT:
                raise AnswerReadError(f"a {shape(out)} times a {shape(f)} is too large a product "
                                      f"to read (at most {MAX_PRODUCT} multiplications)",
                                      error.position, error.text)
            out = out * f
            if _size(out) > MAX_PRODUCT_SIZE:
                raise AnswerReadError(f"the product's entries grow too large to compare (more than "
                                      f"{MAX_PRODUCT_SIZE} terms and factors); write it with "
                                      "fewer matrix factors", error.position, error.text)
        else:
            out = out * f
    return sympy.ImmutableMatrix(out) if is_matrix(out) else out


def _size(matrix) -> int:
    """The number of nodes of the entries written out as trees (counted once per distinct
    subexpression, so the count itself stays cheap)."""
    sizes: dict = {}

    def size(e):
        n = sizes.get(e)
        if n is None:
            n = sizes[e] = 1 + sum(size(a) for a in e.args)
        return n
    return sum(size(e) for e in matrix)


def hadamard(factors, error):
    """The entry-by-entry product ⊙ (∘): equal shapes, or a number."""
    out = factors[0]
    for f in factors[1:]:
        if is_matrix(out) and is_matrix(f):
            if out.shape != f.shape:
                _fail(error, f"a {shape(out)} ⊙ a {shape(f)}")
            out = sympy.ImmutableMatrix(out.shape[0], out.shape[1],
                                        lambda i, j: out[i, j] * f[i, j])
        else:
            out = out * f
    return sympy.ImmutableMatrix(out) if is_matrix(out) else out
