"""The vector form of backpropagation (Nielsen's four equations), written and evaluated.

    δ^L = ∇_a C ⊙ σ′(z^L)              (for a softmax output: J(z^L)ᵀ ∇_a C)
    δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l)
    ∂C/∂b^l = δ^l
    ∂C/∂W^l = δ^l (a^{l−1})ᵀ

:func:`evaluate` runs these matrix equations in plain floats, independently of the
scalar formulas and of :mod:`numeric`: its own forward pass, its own ∇_a C, its own
products. A document shows both and says that they agree; the tests compare them.
A shared parameter gets the sum of the matrix entries it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..builders.network import Network


def layer_mark(net: Network, l) -> str:
    """The layer superscript of the network's notation: ``^{(l)}`` or ``^{[l]}``."""
    return "^{[%s]}" % l if net.notation.style == "bracket" else "^{(%s)}" % l


def equations(net: Network) -> tuple[tuple[str, str, str], ...]:
    """The four equations for this network as (lhs LaTeX, rhs LaTeX, text)."""
    L = net.L
    m = lambda l: layer_mark(net, l)  # noqa: E731 - a short local helper
    out_act = net.activations[-1]
    if out_act.elementwise:
        first = (r"\delta%s" % m("L"), r"\nabla_{a} C \odot \sigma'(z%s)" % m("L"),
                 "δᴸ = ∇ₐC ⊙ σ′(zᴸ)")
    else:
        first = (r"\delta%s" % m("L"),
                 r"J(z%s)^{\top} \nabla_{a} C" % m("L"),
                 "δᴸ = J(zᴸ)ᵀ ∇ₐC  (J: the Jacobian ∂a/∂z of %s)" % out_act.name)
    rows = [first]
    if L > 1:
        rows.append((r"\delta%s" % m("l"),
                     r"\bigl((W%s)^{\top} \delta%s\bigr) \odot \sigma'(z%s)"
                     % (m("l+1"), m("l+1"), m("l")),
                     "δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)"))
    rows.append((r"\frac{\partial C}{\partial b%s}" % m("l"), r"\delta%s" % m("l"), "∂C/∂bˡ = δˡ"))
    rows.append((r"\frac{\partial C}{\partial W%s}" % m("l"),
                 r"\delta%s \, (a%s)^{\top}" % (m("l"), m("l-1")),
                 "∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ"))
    return tuple(rows)


@dataclass(frozen=True)
class VectorValues:
    """δ^l, ∂C/∂W^l (rows j, columns k) and ∂C/∂b^l per layer (index 1 … L), and the
    gradient of every distinct parameter by name (sums over shared entries)."""

    delta: dict
    dW: dict
    db: dict
    gradients: dict


def evaluate(net: Network, numbers: dict) -> VectorValues:
    """The four equations in floats, from the leaf values in ``numbers`` ({symbol: value})."""
    L, sizes = net.L, net.sizes
    W = {l: [[float(numbers[net.w(l, j, k)]) for k in range(1, sizes[l - 1] + 1)]
              for j in range(1, sizes[l] + 1)] for l in range(1, L + 1)}
    b = {l: [float(numbers[net.b(l, j)]) for j in range(1, sizes[l] + 1)] for l in range(1, L + 1)}
    a = {0: [float(numbers[x]) for x in net.inputs]}
    z = {}
    for l in range(1, L + 1):
        z[l] = [sum(wjk * ak for wjk, ak in zip(row, a[l - 1])) + bj for row, bj in zip(W[l], b[l])]
        a[l] = _apply(net.activations[l - 1], z[l])
    grad_a = _cost_gradient(net, a[L], [float(numbers[y]) for y in net.targets])

    delta = {}
    out_act = net.activations[-1]
    if out_act.elementwise:
        delta[L] = [g * p for g, p in zip(grad_a, _prime(out_act, z[L]))]
    else:  # softmax: J_ij = a_i([i = j] − a_j); δ = Jᵀ ∇_a C
        aL, n = a[L], len(a[L])
        delta[L] = [sum(aL[i] * ((1.0 if i == j else 0.0) - aL[j]) * grad_a[i] for i in range(n))
                    for j in range(n)]
    for l in range(L - 1, 0, -1):
        back = [sum(W[l + 1][j][k] * delta[l + 1][j] for j in range(sizes[l + 1]))
                for k in range(sizes[l])]
        delta[l] = [v * p for v, p in zip(back, _prime(net.activations[l - 1], z[l]))]
    dW = {l: [[dj * ak for ak in a[l - 1]] for dj in delta[l]] for l in range(1, L + 1)}
    db = {l: list(delta[l]) for l in range(1, L + 1)}

    grads: dict = {p.name: 0.0 for p in net.parameters}
    for l in range(1, L + 1):
        for j in range(1, sizes[l] + 1):
            for k in range(1, sizes[l - 1] + 1):
                grads[net.w(l, j, k).name] += dW[l][j - 1][k - 1]
            grads[net.b(l, j).name] += db[l][j - 1]
    return VectorValues(delta, dW, db, grads)


def _apply(act, zs: list) -> list:
    f = act.numeric["float"][0]
    if act.elementwise:
        return [f(v) for v in zs]
    return [f(j, *zs) for j in range(1, len(zs) + 1)]


def _prime(act, zs: list) -> list:
    fp = act.numeric["float"][1]
    return [fp(v) for v in zs]


def _cost_gradient(net: Network, outputs: list, targets: list) -> list:
    """∇_a C at the outputs: ``sympy.diff`` of the cost, compiled with an ordered argument list."""
    args = list(net.outputs) + list(net.targets)
    grads = [sympy.diff(net.cost, a) for a in net.outputs]
    fn = sympy.lambdify(args, grads, modules="math")
    return [float(v) for v in fn(*outputs, *targets)]


__all__ = ["VectorValues", "equations", "evaluate", "layer_mark"]
