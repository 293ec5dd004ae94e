"""Route (b) of the three-way check in forward mode: ``sympy.diff`` node by node.

Where the closed-form cost is too large to differentiate (a gated cell's cost over a few
steps is thousands of nodes) or differentiates slowly (an attention head's softmaxes),
each gradient ∂C/∂p is computed instead by tangents carried forward from p:

    ṅ = Σ_q ∂n/∂q · q̇   for every node n in topological order, ṗ = 1,

so ∂C/∂p = Ċ. Each local partial ∂n/∂q is ``sympy.diff`` of the node's own SymPy
definition (:func:`~symbackprop.ops.costs.real_diffs`, every symbol taken as real), made
numerically :func:`~.values.stable`, compiled once into one mpmath (or exact) program
(:class:`~.values.Program`) and evaluated at 30 digits from the 50-digit forward pass.

**Independent of the recursion (route (a)):** the order (forward from each leaf, not one
reverse sweep of adjoints) and the derivative rules: the recursion's local partials
come from the project's rule table (``core.graph.RULES``: the affine table, the builder's
∂C/∂a, σ′(u) kept as the activation's ``prime`` with its own numeric code, the softmax
Jacobian a_i([i = j] − a_j), ``core.graph.diff``'s product and power rules); here SymPy
differentiates every definition itself. **Shared:** the node definitions and the
50-digit forward pass (both routes differentiate the same function at the same point),
and, inside ``sympy.diff``, each registry function's ``fdiff``: an activation's
derivative in closed form (``Activation.prime_closed``: σ(t)(1 − σ(t)), 1 − tanh²(t),
step(t) …) and ``Softmax.fdiff`` (softmax_j([j = k] − softmax_k)), exactly what the
closed-form route differentiates with. The closed-form route additionally checks the
substitution of the definitions into one another; this one never builds the closed form,
so its cost is one derivative per edge and P·E multiply-adds for P parameters and E
edges of their downstream cones.
"""

from __future__ import annotations

import mpmath
import sympy

from ..errors import SymbackpropError
from ..ops.costs import real_diffs
from .values import Program, stable, to_system

#: How the report names this route.
FORWARD_MODE = "sympy.diff node by node, forward mode"


def _cone(net, wrt) -> list:
    """The defined nodes the output uses that one of ``wrt`` can change, in order."""
    reach, cone = set(wrt), []
    for s in net.defined:
        if s in net.used and not reach.isdisjoint(net.nodes[s].expr.free_symbols):
            reach.add(s)
            cone.append(s)
    return cone


def local_partials(net, wrt, system: str) -> list:
    """[(node, parent, ∂node/∂parent)] by ``sympy.diff`` of each node's definition, for
    the edges of ``wrt``'s downstream cone (parents in the cone or in ``wrt``)."""
    cone = _cone(net, wrt)
    inside = set(cone) | set(wrt)
    edges = []
    for s in cone:
        expr = net.nodes[s].expr
        parents = sorted(expr.free_symbols & inside, key=sympy.default_sort_key)
        for q, d in zip(parents, real_diffs(expr, parents)):
            if d != 0:
                edges.append((s, q, d if system == "exact" else stable(d)))
    return edges


def forward_gradients(net, values: dict, forward: dict, wrt, system: str) -> dict:
    """{p: ∂C/∂p} for each leaf p of ``wrt`` by forward mode (see the module docstring),
    as floats in ``mp`` (30 digits) or exact numbers in ``exact``; {} when a local
    partial cannot be compiled (a function without numeric code)."""
    edges = local_partials(net, wrt, system)
    names = [sympy.Dummy(f"d{i}") for i in range(len(edges))]
    leaves = sorted(set().union(*[d.free_symbols for _, _, d in edges]), key=sympy.default_sort_key)
    try:
        prog = Program(list(zip(names, [d for _, _, d in edges])), leaves, names, system)
    except SymbackpropError:
        return {}
    into: dict = {}
    cost = net.cost_symbol
    zero = mpmath.mpf(0) if system == "mp" else 0
    with mpmath.workdps(30):
        args = [to_system(values[s] if s in values else forward[s], system) for s in leaves]
        slopes = prog.run(args) if edges else []
        for (s, q, _), slope in zip(edges, slopes):
            into.setdefault(s, []).append((q, slope))
        out = {}
        for p in wrt:
            tangent = {p: 1}
            for s, incoming in into.items():
                terms = [(slope, tangent[q]) for q, slope in incoming if q in tangent]
                if terms:
                    tangent[s] = (mpmath.fdot(terms) if system == "mp"
                                  else sum(a * b for a, b in terms))
            out[p] = tangent.get(cost, zero)
    convert = float if system == "mp" else (lambda v: v)
    return {p: convert(v) for p, v in out.items()}
