"""A whole layer's gradient checked at once: ``--wrt W^{(l)}``, ``b^{(l)}``, ``δ^{(l)}``.

The answer is read as a vector or matrix of scalar expressions (:mod:`matrices`) and
compared entry by entry with the entries' derived formulas (:func:`compare.compare`).
The verdict counts the entries right and names the wrong ones; when some are wrong, the
whole answer's mistake is looked for by making it: the answer read again with every W
transposed (``missing_transpose``), the answer transposed (``outer_product_order``), every
entry times its neuron's σ′(z) (``missing_sigma_prime``); else the diagnosis that every
wrong entry shares (:func:`diagnose.diagnose`).
"""

from __future__ import annotations

import sympy

from ..notation.printing import latex, text
from .compare import compare
from .diagnose import diagnose
from .outcome import Verdict
from ..reading.lexer import AnswerReadError, AnswerShapeError, AnswerUndecided
from ..reading.matrices import is_matrix, shape
from ..reading.reader import read

_WHY = {
    "missing_transpose": "a weight matrix is used where its transpose belongs (Wᵀδ, not Wδ)",
    "outer_product_order": "the outer product is in the wrong order: ∂C/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ, "
                           "a column times a row",
    "missing_sigma_prime": "every entry lacks its factor σ′(z)",
    "wrong_shape": "the vector or matrix does not have the size asked for",
    "kernel_gradient_rotated": "the kernel's gradient is rotated by 180°: ∂C/∂K is the correlation of "
                               "the layer's input with its δ map (∂C/∂K_{p,q} = Σ δ_{i,j} x_{i+p-1,j+q-1}), "
                               "not a convolution; the flip belongs to ∂C/∂x",
}


def matrix_text(m) -> str:
    """[a, b; c, d] for a matrix, [a; b] for a column vector."""
    return "[" + "; ".join(", ".join(text(m[i, j]) for j in range(m.shape[1]))
                           for i in range(m.shape[0])) + "]"


def check_layer(ref, layer, answer: str, *, symbolic: bool = True, vocabulary):
    targets = [[ref.target(layer.nodes[i, j]) for j in range(layer.nodes.shape[1])]
               for i in range(layer.nodes.shape[0])]
    rows, cols = layer.nodes.shape
    symbols = sympy.ImmutableMatrix(rows, cols, lambda i, j: targets[i][j].symbol)
    expected = sympy.ImmutableMatrix(rows, cols, lambda i, j: targets[i][j].expr)
    names = [[(targets[i][j].symbol.name if layer.delta else layer.nodes[i, j].name)
              for j in range(cols)] for i in range(rows)]
    base = dict(wrt=layer.name, expected=latex(expected), expected_text=matrix_text(expected))

    def verdict(**fields):
        return Verdict(**{**base, **fields})

    try:
        expr = _read(ref, vocabulary(ref, "layers"), answer, symbols)
    except AnswerUndecided as exc:
        return verdict(verdict="undecided", answer="", reason=exc.reason)
    except AnswerShapeError as exc:
        fixed = _flipped(ref, vocabulary, answer, symbols, targets, symbolic)
        code = "missing_transpose" if fixed else "wrong_shape"
        return verdict(verdict="not_equivalent", answer="", reason=exc.reason,
                       diagnosis=code, explanation=_WHY[code], entries=(0, rows * cols),
                       wrong_entries=[n for row in names for n in row])
    if not is_matrix(expr):
        if rows * cols != 1:
            return verdict(verdict="not_equivalent", answer=latex(expr), answer_text=text(expr),
                           diagnosis="wrong_shape", explanation=_WHY["wrong_shape"],
                           reason=f"the answer is a number; {layer.name} has {rows * cols} entries",
                           entries=(0, rows * cols), wrong_entries=[n for row in names for n in row])
        expr = sympy.ImmutableMatrix([[expr]])
    shown = dict(answer=latex(expr), answer_text=matrix_text(expr), expression=expr)
    if expr.shape != (rows, cols):
        code = "wrong_shape"
        if expr.shape == (cols, rows) and _all_right(ref, targets, expr.T, symbolic):
            code = "outer_product_order" if layer.weights else "missing_transpose"
        return verdict(verdict="not_equivalent", diagnosis=code, explanation=_WHY[code],
                       reason=f"the answer is a {shape(expr)}; {layer.name} is a "
                              f"{shape(symbols)}", entries=(0, rows * cols),
                       wrong_entries=[n for row in names for n in row], **shown)
    flat = [(names[i][j], compare(ref, targets[i][j], expr[i, j], symbolic=symbolic), targets[i][j])
            for i in range(rows) for j in range(cols)]
    wrong = [(n, r, t) for n, r, t in flat if r.verdict == "not_equivalent"]
    tally = _tally(flat)
    if not wrong:
        undecided = [r for _, r, _ in flat if r.verdict == "undecided"]
        if undecided:
            return verdict(verdict="undecided", reason=undecided[0].reason, **tally, **shown)
        return verdict(verdict="equivalent", **tally, **shown)
    code = _whole(ref, layer, vocabulary, answer, symbols, targets, expr, symbolic)
    explanation = _WHY.get(code)
    if code is None:
        code, explanation = _shared(ref, wrong)
    first = wrong[0]
    counterexample = dict(first[1].counterexample or {}, entry=first[0]) \
        if first[1].counterexample else None
    return verdict(verdict="not_equivalent", wrong_entries=[n for n, _, _ in wrong],
                   counterexample=counterexample, diagnosis=code, explanation=explanation,
                   **tally, **shown)


def _tally(flat) -> dict:
    """The entries right (of all), the fewest points compared, and whether every entry
    was proved symbolically (True), none was tried (None), or else False."""
    proved = [r.symbolic for _, r, _ in flat]
    return dict(entries=(sum(1 for _, r, _ in flat if r.verdict == "equivalent"), len(flat)),
                points=min(r.points for _, r, _ in flat),
                symbolic=True if all(p is True for p in proved) else (
                    None if all(p is None for p in proved) else False))


def _shared(ref, wrong):
    """(code, explanation) of the mistake every wrong entry makes, else (None, None)."""
    found = [diagnose(ref, t, r.values) for _, r, t in wrong]
    codes = {f.code if f else None for f in found}
    if len(codes) == 1 and found[0] is not None:
        return found[0].code, found[0].explanation
    return None, None


def _read(ref, vocab, answer, symbols):
    """The answer's last side (a first side equal to the layer's own ∂C/∂· is dropped)."""
    parts, _ = read(vocab, answer)
    if len(parts) > 1 and is_matrix(parts[0]) and parts[0] == symbols:
        parts = parts[1:]
    expr = parts[-1]
    used = expr.free_symbols if not is_matrix(expr) else set().union(*(e.free_symbols for e in expr))
    if used & set(symbols):
        raise AnswerReadError("the answer uses the gradient it should derive", 0, answer)
    return expr


def _all_right(ref, targets, expr, symbolic) -> bool:
    rows, cols = expr.shape
    return all(compare(ref, targets[i][j], expr[i, j], symbolic=False).verdict == "equivalent"
               for i in range(rows) for j in range(cols))


def _flipped(ref, vocabulary, answer, symbols, targets, symbolic) -> bool:
    try:
        expr = _read(ref, vocabulary(ref, "flip"), answer, symbols)
    except AnswerReadError:
        return False
    if not is_matrix(expr) or expr.shape != symbols.shape:
        return False
    return _all_right(ref, targets, expr, symbolic)


def _whole(ref, layer, vocabulary, answer, symbols, targets, expr, symbolic):
    """The mistake of the whole answer, made on purpose, or None."""
    if layer.kernel:
        rotated = sympy.ImmutableMatrix(expr.shape[0], expr.shape[1],
                                        lambda i, j: expr[expr.shape[0] - 1 - i, expr.shape[1] - 1 - j])
        return "kernel_gradient_rotated" if _all_right(ref, targets, rotated, symbolic) else None
    if _flipped(ref, vocabulary, answer, symbols, targets, symbolic):
        return "missing_transpose"
    if expr.shape[0] == expr.shape[1] and _all_right(ref, targets, expr.T, symbolic):
        return "outer_product_order" if layer.weights else "missing_transpose"
    primes = vocabulary(ref, "layers").amplifiers(layer.layer, expr.shape[0])
    if primes is not None:
        with_prime = sympy.ImmutableMatrix(expr.shape[0], expr.shape[1], lambda i, j: expr[i, j] * primes[i])
        if _all_right(ref, targets, with_prime, symbolic):
            return "missing_sigma_prime"
    return None
