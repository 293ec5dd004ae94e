"""A symbolic proof of equality, where SymPy can give one cheaply.

Both sides are brought to one **normal form**: every adjoint (δ, ∂C/∂w, ∂C/∂a) is
replaced by its definition until none is left, σ′(t) by its usual closed form
(σ(t)(1 − σ(t)), 1 − tanh²(t) …), every z by Σ w·a + b, and then σ(t) by the named
activation a wherever t is that neuron's Σ w·a + b. What remains is a rational function
of the inputs, targets, parameters and activations. If ``expand`` (or, with
denominators, ``together``) makes the difference 0, the answer is proved equal: treating
the activations as independent symbols only makes the identity harder to satisfy.

A difference that does not vanish proves nothing (``1/(1 + e^{-z})`` is σ(z), but the
normal form does not know it): the numeric comparison decides then. Expressions above
:data:`SIZE_LIMIT` nodes, or with powers above :data:`POWER_LIMIT`, are not attempted.
"""

from __future__ import annotations

import functools

import sympy

from ..ops.activations import ActivationFunction, ActivationPrime

SIZE_LIMIT = 3_000
POWER_LIMIT = 8


class _TooLarge(Exception):
    pass


def _size(expr, limit):
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > limit:
            raise _TooLarge
    return count


class Normalizer:
    """Normal forms for one :class:`~reference.Reference` (symbols' forms are cached)."""

    def __init__(self, reference):
        self.reference = reference
        self.net = reference.net
        self.forms: dict = {}

    @functools.cached_property
    def zmap(self) -> dict:
        """(activation class, expanded Σ w·a + b) → the activation symbol."""
        zmap = {}
        for sym, node in self.net.nodes.items():
            if node.kind == "a" and node.activation.elementwise:
                z = self.net.z(self.net.layer_of[sym], node.index[0])
                zmap[(node.activation.func, sympy.expand(self.symbol(z)))] = sym
        return zmap

    def symbol(self, s):
        if s in self.forms:
            return self.forms[s]
        node = self.net.nodes.get(s)
        if node is not None and node.kind == "z":
            form = self.expr(node.expr, {})
        elif node is not None:
            form = s
        elif s in self.reference.defined:
            form = self.expr(self.reference.defined[s], {})
        else:
            form = s
        _size(form, SIZE_LIMIT)
        self.forms[s] = form
        return form

    def expr(self, e, memo):
        if e in memo:
            return memo[e]
        if e.is_Symbol:
            out = self.symbol(e)
        elif not e.args:
            out = e
        elif isinstance(e, ActivationPrime):
            out = self.expr(e.closed(), memo)
        elif isinstance(e, ActivationFunction):
            t = self.expr(e.args[0], memo)
            out = self.zmap.get((type(e), sympy.expand(t))) or e.func(t)
        else:
            out = e.func(*[self.expr(arg, memo) for arg in e.args])
        memo[e] = out
        return out


def prove_equal(reference, answer, target) -> bool | None:
    """True when the answer is proved equal to the target's formula; False when the
    normal forms differ; None when the expressions are too large to try."""
    try:
        for p in answer.atoms(sympy.Pow):
            if p.exp.is_Number and abs(p.exp) > POWER_LIMIT and not p.base.is_Atom:
                return None
        _size(answer, SIZE_LIMIT)
        norm = reference.normalizer
        expected = norm.symbol(target.symbol)
        given = norm.expr(answer, {})
        difference = given - expected
        _size(difference, 2 * SIZE_LIMIT)
    except _TooLarge:
        return None
    if sympy.expand(difference) == 0:
        return True
    if any(p.exp.is_negative for p in difference.atoms(sympy.Pow)):
        if sympy.expand(sympy.numer(sympy.together(difference))) == 0:
            return True
    return False
