"""The three-way gradient check, shipped with the package (as autograd ships its own).

Every gradient ∂C/∂p (parameters and inputs) is computed by three independent routes:

(a) **recursion**: the one-step backprop formulas, compiled (:func:`numeric.evaluate`);
(b) **symbolic**: ``sympy.diff`` of the closed-form cost, then compiled; the closed form
    is cut at the layer before p (holding those activations fixed is exact, since p
    cannot change them), and a parameter is eligible only when that closed form has at
    most :data:`SYMBOLIC_LIMIT` nodes: the tree grows like n^(L+1). When more than
    :data:`SYMBOLIC_ALL` parameters are eligible, a seeded sample of
    :data:`SYMBOLIC_SAMPLE` is checked and the report says so;
(c) **finite differences**: central differences of the cost in mpmath at 50 digits
    (:func:`numeric.finite_differences`): no float round-off.

A gradient passes when |a − c| ≤ atol + rtol·|c| and, where (b) was computed,
|a − b| ≤ atol + rtol·|b| (defaults ``rtol = 1e-6``, ``atol = 1e-9``).

A ReLU or leaky ReLU input at its kink makes the cost non-differentiable there. "At"
means within float rounding of it, or closer than the finite-difference step reaches:
|z| ≤ 10⁻¹²·(Σ|w·a| + |b|) or |z| < h·max(1, |a|…) with h = 10⁻²⁰, so that decimal inputs
whose exact sum is 0 (0.2 + 0.5 − 0.09 − 0.61) count, and a z of 10⁻²⁵ does too. The parameters and inputs upstream
of such a neuron are reported as at a non-differentiable point: their finite difference
is not computed, and they neither fail the check nor enter its maximum errors (their
recursion and symbolic values are still shown: both use ReLU′(0) = 0, but float rounding
may put z on either side).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import mpmath
import sympy

from . import numeric
from .backward import _size
from .costs import real_diff
from .numeric import Program, resolve_point, to_system

RTOL = 1e-6
ATOL = 1e-9
SYMBOLIC_LIMIT = 5_000
SYMBOLIC_ALL = 40
SYMBOLIC_SAMPLE = 12
KINK_RELATIVE = mpmath.mpf("1e-12")


@dataclass
class Row:
    """One gradient by the three routes; ``symbolic`` or ``finite_difference`` may be None."""

    name: str
    recursion: object
    symbolic: object
    finite_difference: object
    abs_error: float
    rel_error: float
    ok: bool
    note: str | None = None


@dataclass
class CheckReport:
    rows: list
    passed: bool
    max_abs_error: float
    max_rel_error: float
    rtol: float
    atol: float
    exact: bool
    symbolic_note: str
    kinks: list = field(default_factory=list)
    values: object = None

    @property
    def failures(self) -> list:
        return [r for r in self.rows if not r.ok]

    def as_dict(self) -> dict:
        """The ``check`` object of ``eval --json``."""
        return {"passed": self.passed, "max_abs_error": self.max_abs_error,
                "max_rel_error": self.max_rel_error, "symbolic": self.symbolic_note,
                "non_differentiable": list(self.kinks)}

    def summary(self) -> str:
        verdict = "passed" if self.passed else f"FAILED ({len(self.failures)} of {len(self.rows)})"
        lines = [f"three-way check {verdict}: {len(self.rows)} gradients, max abs error "
                 f"{self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g} "
                 f"(rtol {self.rtol:g}, atol {self.atol:g})",
                 f"symbolic route: {self.symbolic_note}"]
        if self.kinks:
            lines.append("non-differentiable point: " + ", ".join(self.kinks) +
                         " at a kink; finite differences not used upstream of it")
        return "\n".join(lines)

    __str__ = summary


def _error(value, reference, atol: float) -> tuple[float, float]:
    """Absolute and relative difference; relative is absolute where |reference| ≤ atol."""
    diff = abs(float(mpmath.mpf(_mp(value)) - _mp(reference)))
    scale = abs(float(_mp(reference)))
    return diff, (diff / scale if scale > atol else diff)


def _mp(value):
    return to_system(value, "mp") if not isinstance(value, mpmath.mpf) else value


def cost_from(net, start: int) -> sympy.Expr:
    """C in closed form from layer ``start`` on: the activations of layer start − 1 stay symbols."""
    env = {}
    for node in net.nodes.values():
        if node.kind in ("z", "a") and node.layer >= start:
            env[node.symbol] = node.expr.xreplace(env)
    return net.cost.xreplace(env)


def _cost_size(net, start: int) -> int:
    sizes = {}
    for node in net.nodes.values():
        if node.kind in ("z", "a") and node.layer >= start:
            sizes[node.symbol] = _size(node.expr, sizes)
    return _size(net.cost, sizes)


def symbolic_gradients(derivation, values: dict, forward: dict, wrt, system: str) -> dict:
    """Route (b) for the parameters ``wrt``: diff of the closed-form cost, compiled."""
    net = derivation.network
    out = {}
    by_start: dict[int, list] = {}
    for p in wrt:
        by_start.setdefault(net.layer_of(p), []).append(p)
    for start, params in sorted(by_start.items()):
        cost = cost_from(net, start)
        leaves = sorted(cost.free_symbols | set(params), key=sympy.default_sort_key)
        derivs = [real_diff(cost, p) for p in params]
        if system != "exact":
            derivs = [numeric.stable(d) for d in derivs]
        shared, reduced = sympy.cse(derivs, symbols=sympy.numbered_symbols("s", cls=sympy.Dummy))
        grads = [sympy.Dummy("g%d" % i) for i in range(len(params))]
        prog = Program(list(shared) + list(zip(grads, reduced)), leaves, grads, system)
        with mpmath.workdps(30):
            args = {s: to_system(values[s] if s in values else forward[s], system) for s in leaves}
            result = prog(args)
        convert = float if system == "mp" else (lambda v: v)
        out.update({p: convert(result[g]) for p, g in zip(params, grads)})
    return out


def _at_kink(node, forward) -> bool:
    """z within float rounding of 0 (see the module docstring)."""
    z = abs(forward[node.symbol])
    scale = mpmath.fsum(abs(forward[w] * forward[a]) for w, a in node.terms) + abs(forward[node.bias])
    reach = mpmath.mpf(numeric.FD_STEP) * max([1] + [abs(forward[a]) for _, a in node.terms])
    return z <= KINK_RELATIVE * scale or z < reach


def _upstream(net, kinks) -> set:
    """Leaves (inputs and parameters) from which a path reaches one of the kink nodes."""
    seen, stack = set(), list(kinks)
    while stack:
        sym = stack.pop()
        node = net.nodes[sym]
        if node.expr is None:
            seen.add(sym)
            continue
        for parent in node.expr.free_symbols:
            if parent not in seen:
                stack.append(parent)
    return seen


def choose_symbolic(net, wrt: list, limit: int, sample: int, seed: int) -> tuple[list, str]:
    """The gradients route (b) covers, and the sentence that says which."""
    sizes = {start: _cost_size(net, start) for start in range(1, net.L + 1)}
    eligible = [p for p in wrt if sizes[net.layer_of(p)] <= limit]
    if len(eligible) <= SYMBOLIC_ALL:
        chosen = eligible
    else:
        chosen = sorted(random.Random(seed).sample(eligible, min(sample, len(eligible))), key=wrt.index)
    if len(chosen) == len(wrt):
        return chosen, f"all {len(wrt)} gradients"
    note = f"{len(chosen)} of {len(wrt)} gradients"
    if len(chosen) < len(eligible):
        note += f" (seeded sample of {len(eligible)} eligible, seed {seed})"
    if len(eligible) < len(wrt):
        note += (f"; {len(wrt) - len(eligible)} not eligible: their closed-form cost has "
                 f"more than {limit} nodes")
    return chosen, note


def _row(name, recursion, symbolic, fd, rtol, atol, at_kink: bool) -> Row:
    """One gradient: the recursion against finite differences and the symbolic route."""
    ok, worst_abs, worst_rel = True, 0.0, 0.0
    for ref in (fd, symbolic):
        if ref is None:
            continue
        err_abs, err_rel = _error(recursion, ref, atol)
        ok = ok and err_abs <= atol + rtol * abs(float(_mp(ref)))
        worst_abs, worst_rel = max(worst_abs, err_abs), max(worst_rel, err_rel)
    if at_kink:
        return Row(name, recursion, symbolic, fd, worst_abs, worst_rel, True,
                   "non-differentiable point (ReLU kink downstream)")
    return Row(name, recursion, symbolic, fd, worst_abs, worst_rel, ok)


def check(derivation, point=None, *, rtol: float = RTOL, atol: float = ATOL,
          symbolic_limit: int = SYMBOLIC_LIMIT, sample: int = SYMBOLIC_SAMPLE,
          seed: int = 0) -> CheckReport:
    """Compare the three routes for every gradient at a point; see the module docstring."""
    net = derivation.network
    values = resolve_point(net, point)
    recursion = numeric.evaluate(derivation, point)
    forward = numeric.forward_mp(derivation, values, 50)

    kinks = [node.symbol for node in net.nodes.values()
             if node.kind == "z" and net.activations[node.layer - 1].kinked and _at_kink(node, forward)]
    upstream = _upstream(net, kinks)

    wrt = [f.of for f in derivation.formulas if f.kind in ("w", "b", "x")]
    fd = numeric.finite_differences(derivation, values, [p for p in wrt if p not in upstream])
    chosen, note = choose_symbolic(net, wrt, symbolic_limit, sample, seed)
    # Route (b) runs in mpmath (30 digits) unless exact: its formulas divide by σ and
    # softmax values that underflow in floats at large |z|. The layer before a parameter
    # enters it as numbers: exact ones when the point is exact, else the 50-digit forward pass.
    if recursion.exact:
        symbolic = symbolic_gradients(derivation, values, recursion.numbers, chosen, "exact")
    else:
        symbolic = symbolic_gradients(derivation, values, forward, chosen, "mp")

    rows = [_row(p.name, recursion.numbers[derivation.gradient(p).symbol], symbolic.get(p), fd.get(p),
                 rtol, atol, p in upstream) for p in wrt]
    counted = [r for r in rows if r.note is None]
    return CheckReport(rows, all(r.ok for r in rows), max((r.abs_error for r in counted), default=0.0),
                       max((r.rel_error for r in counted), default=0.0), rtol, atol,
                       recursion.exact, note, [k.name for k in kinks], recursion)
