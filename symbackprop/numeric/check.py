"""The three-way gradient check, shipped with the package (as autograd ships its own).

Every gradient ∂C/∂p (parameters and inputs) is computed by three independent routes:

(a) **recursion**: the one-step backprop formulas, compiled (:func:`numeric.evaluate`);
(b) **symbolic**: ``sympy.diff`` of the closed-form cost, then compiled; the closed form
    is cut below p's downstream cone (the nodes shallower than p's consumers stay
    symbols: holding them fixed is exact, since p cannot change them; in a layered
    network this is the layer before p), and a parameter is eligible only when that
    closed form has at most :data:`SYMBOLIC_LIMIT` nodes: the tree grows like n^(L+1). When more than
    :data:`SYMBOLIC_ALL` parameters are eligible, a seeded sample of
    :data:`SYMBOLIC_SAMPLE` is checked and the report says so. With at most
    :data:`SYMBOLIC_ALL` gradients, those whose closed form is above the limit or above
    :data:`CLOSED_FORM_CHEAP` nodes are differentiated in **forward mode** instead
    (:mod:`.tangents`: ``sympy.diff`` of each node's own definition, tangents carried
    forward from the parameter), so every gradient has route (b); the report says which
    route gave how many (:func:`choose_routes`);
(c) **finite differences**: central differences of the cost in mpmath at 50 digits
    with the step h·max(1, |p|), h = 10⁻²⁰ (:func:`numeric.finite_differences`): no
    float round-off, at any magnitude of p.

**Tolerance.** A gradient g passes when

    |a − c| ≤ rtol·M(g) + N(g)   and, where (b) was computed,   |a − b| ≤ rtol·M(g)

(``rtol = 1e-9``; ``atol``, an absolute term added to both bounds, is 0 unless given).
The references resolve far more than that (route (c) to about 10⁻²⁷ of the cost's terms,
route (b) to the last digit of a float), and float64 rounds the recursion by about
10⁻¹⁶·M(g) per term of its longest sum: 10⁻⁹ leaves room for sums of millions of terms
and still fails a derivative that is off by 10⁻⁷ relative (tanh′·(1 + 10⁻⁷)).
M(g) is the magnitude of the terms that make up g, as float64 rounds them: the
first-order bound of the rounding error of each one-step definition the recursion
computes (the stable forms of :func:`numeric.stable_definitions`), in units of the unit
roundoff, evaluated at 30 digits from exact operands up: M(c) = 0 for a constant, M(x)
= |x| for a leaf whose float64 value is not the value given (0.1), else 0;
M(Σ tᵢ) = Σ M(tᵢ) + |Σ tᵢ|; M(Π fᵢ) = Σᵢ M(fᵢ)·Π_{j≠i}|fⱼ| + |Π fᵢ|; M(f(u)) =
Σ |∂f/∂uᵢ|·M(uᵢ) + |f(u)| for a function value or power (σ(z), tanh′(z), 1 − aⱼ as a
complement, ln softmax, 1/u); a defined value inside another one enters with its own
M. So M(g) ≥ |g|; M(g) is |g| times the condition of the functions on the way where no
sum cancels (tanh′(20): about 41·|g|), and the size of the cancelling terms where one
does (an ∂C/∂x that sums δ·w of both signs, a z = 0.2 + 0.5 − 0.09 − 0.61): the
recursion must be right to rtol relative to what float64 can resolve, at any
magnitude: a gradient of 10⁻³⁵ is compared to about 10⁻⁴⁴, not to 10⁻⁹. N(g) = 10⁻²⁷·M(C)/max(1, |p|) bounds the round-off of the 50-digit finite
difference (10⁻⁵⁰ of the cost's terms over the step h·max(1, |p|)). The reported
``rel_error`` is the true relative error |a − ref|/|ref| (0 where both are 0, ∞ where
only the reference is), the larger of the two references' (a finite difference whose bound N(g) exceeds it
resolves no digit and is left out of the errors where (b) was computed); ``abs_error``
likewise. M is computed only when it can change a verdict: every row is first compared
with |g| for M(g) and |C| for M(C), which are never larger, so what passes there passes
with M too; if a row fails, the bound is computed and decides (``bound=True`` computes it
always).

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

import math
import random
import weakref
from dataclasses import dataclass, field

import mpmath
import sympy

from . import values as numeric
from ..ops.activations import ActivationFunction
from ..ops.costs import real_diffs
from ..core.graph import expression_size
from ..notation.numerals import rough, short
from .tangents import FORWARD_MODE, forward_gradients
from .values import Program, resolve_point, to_system

RTOL = 1e-9
#: An absolute term of the tolerance; 0: the tolerance is relative to the magnitude of
#: the terms of each value (see the module docstring), at any scale.
ATOL = 0.0
#: The finite difference's round-off relative to the cost's terms, over the step.
FD_NOISE = mpmath.mpf("1e-27")
SYMBOLIC_LIMIT = 5_000
#: Above this many nodes a closed-form cost is left to forward mode (:mod:`.tangents`)
#: where that covers every gradient: ``sympy.diff`` of a closed form grows faster than
#: its size (see :func:`choose_routes`).
CLOSED_FORM_CHEAP = 1_000
#: Forward mode covers every gradient when gradients × edges is at most this many
#: multiply-adds (a [8, 8, 8, 8] network: 224 × 448); above, route (b) is sampled.
FORWARD_WORK = 500_000
SYMBOLIC_ALL = 40
SYMBOLIC_SAMPLE = 12
KINK_NOTE = "non-differentiable point (ReLU kink downstream)"
SAMPLED_OUT = "not in the sampled gradients"
#: Per-parameter 50-digit finite differences for every gradient up to this many: each
#: costs two recomputations of the parameter's downstream cone, O(P·cone) in all, which
#: at 8,384 gradients ([64]*3) was a minute. Beyond it the check scales (see
#: :func:`check`): every gradient against float64 finite differences, the whole gradient
#: along :data:`DIRECTIONS` seeded random directions at 50 digits, and 50-digit finite
#: differences for a seeded sample of :data:`FD_SAMPLE` gradients.
FD_ALL = 2_000
#: The size of the seeded sample of per-parameter 50-digit finite differences above :data:`FD_ALL`.
FD_SAMPLE = 200
#: Seeded random directions v of the directional check above :data:`FD_ALL`.
DIRECTIONS = 3
#: float64 finite differences: relative tolerance (their truncation error is about
#: (2⁻¹⁷)² ≈ 10⁻¹⁰ relative) and the factor on their round-off bound (see :func:`check`).
FLOAT_RTOL = 1e-6
FLOAT_NOISE = 64
FLOAT_ONLY = "float64 finite differences only (not in the 50-digit sample)"
#: Route (b) only for a closed form fewer than this many graph nodes deep: sympy.diff
#: recurses through the whole nesting (a chain of 39 one-unit layers overflowed the stack).
SYMBOLIC_DEPTH = 40
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
    scale: float | None = None   # M(g): the magnitude of the terms that make up g
    noise: float = 0.0           # N(g): the round-off bound of the finite difference
    float_difference: object = None   # the float64 finite difference (a large network)
    float_noise: float = 0.0     # its round-off bound
    #: which route gave ``symbolic``: "closed form", "forward mode" (:mod:`.tangents`) or None
    symbolic_route: str | None = None


@dataclass
class Direction:
    """One direction v of the directional check: (C(θ + hv) − C(θ − hv))/2h at 50 digits
    (``derivative``) against ⟨∇C, v⟩ from the recursion's gradients (``predicted``)."""

    index: int
    derivative: object
    predicted: object
    scale: float        # Σ |∂C/∂p · vₚ|: the size of the terms of ⟨∇C, v⟩
    abs_error: float
    rel_error: float
    ok: bool

    def as_dict(self) -> dict:
        rel = self.rel_error if math.isfinite(self.rel_error) else None
        return {"derivative": float(self.derivative), "predicted": float(self.predicted),
                "abs_error": self.abs_error, "rel_error": rel, "passed": self.ok}


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
    #: How many gradients each route covered: ``symbolic``, ``finite_differences`` (at
    #: 50 digits), ``float64_finite_differences``; ``directional``: the directions checked.
    routes: dict = field(default_factory=dict)
    directions: list = field(default_factory=list)
    seed: int = 0

    @property
    def failures(self) -> list:
        """The rows whose three routes disagree.

            >>> r = sb.load("examples/shared_bias.toml").backward().check()
            >>> r.failures
            []
        """
        return [r for r in self.rows if not r.ok]

    @property
    def coverage(self) -> str:
        """Which route covered what, in one sentence.

            >>> sb.load("examples/shared_bias.toml").backward().check().coverage
            'recursion: all 12; symbolic: 12; 50-digit finite differences: 12'
        """
        n = len(self.rows)
        fd, fl, dirs = (self.routes.get(k, 0) for k in
                        ("finite_differences", "float64_finite_differences", "directional"))
        text = f"recursion: all {n:,}; symbolic: {self.routes.get('symbolic', 0):,}{self._forward_mode}; "
        if not fl and not dirs:
            return text + f"50-digit finite differences: {fd:,}"
        worst = max((d.rel_error for d in self.directions), default=0.0)
        verdict = "passed" if all(d.ok for d in self.directions) else "FAILED"
        return (text + f"50-digit finite differences: a seeded sample of {fd:,} (seed {self.seed}); "
                f"float64 finite differences: {fl:,} (rtol {short(FLOAT_RTOL)}); directional check at 50 "
                f"digits along {dirs} seeded random directions (seed {self.seed}): {verdict}, "
                f"max rel error {rough(worst)}")

    @property
    def _forward_mode(self) -> str:
        """How many of the symbolic route's gradients forward mode gave, in parentheses."""
        forward, total = self.routes.get("symbolic_forward_mode", 0), self.routes.get("symbolic", 0)
        if not forward:
            return ""
        return f" ({FORWARD_MODE})" if forward == total else f" ({total - forward:,} closed form, {forward:,} {FORWARD_MODE})"

    def as_dict(self) -> dict:
        """The ``check`` object of ``eval --json`` (an infinite relative error, a nonzero
        value where the reference is 0, as null: JSON has no infinity).

            >>> r = sb.load("examples/shared_bias.toml").backward().check()
            >>> r.as_dict()["passed"]
            True
        """
        rel = self.max_rel_error if math.isfinite(self.max_rel_error) else None
        return {"passed": self.passed, "max_abs_error": self.max_abs_error,
                "max_rel_error": rel, "symbolic": self.symbolic_note,
                "non_differentiable": list(self.kinks),
                "routes": {"recursion": len(self.rows), **self.routes},
                "directional": [d.as_dict() for d in self.directions]}

    def summary(self) -> str:
        """The verdict in a few lines, for a terminal (also ``str(report)``).

            >>> r = sb.load("examples/shared_bias.toml").backward().check()
            >>> r.summary().splitlines()[0][:40]
            'three-way check passed: 12 gradients, ma'
        """
        verdict = "passed" if self.passed else f"FAILED ({len(self.failures)} of {len(self.rows)})"
        lines = [f"three-way check {verdict}: {len(self.rows)} gradients, max abs error "
                 f"{rough(self.max_abs_error)}, max rel error {rough(self.max_rel_error)} "
                 f"(rtol {short(self.rtol)}, atol {short(self.atol)})",
                 f"symbolic route: {self.symbolic_note}",
                 f"routes: {self.coverage}"]
        if self.kinks:
            lines.append("non-differentiable point: " + ", ".join(self.kinks) +
                         " at a kink; finite differences not used upstream of it")
        return "\n".join(lines)

    __str__ = summary

    # --- display (see :mod:`symbackprop.documents.summaries`) ----------------------------------------

    def __repr__(self):
        from ..documents.summaries import report_repr
        return report_repr(self)

    def _repr_html_(self):
        from ..documents.summaries import report_html
        return report_html(self)

    def _repr_latex_(self):
        from ..documents.summaries import report_latex
        return report_latex(self)


def _error(value, reference) -> tuple:
    """Absolute and true relative difference (0 where both are 0, ∞ where only the
    reference is), as mpmath numbers: a gradient of 10⁻³⁵ keeps its digits."""
    with mpmath.workdps(50):
        diff = abs(_mp(value) - _mp(reference))
        size = abs(_mp(reference))
        if size:
            return diff, diff / size
    return diff, (mpmath.mpf(0) if not diff else mpmath.inf)


#: |x| in the error bound: an undefined function printed as mpmath's ``fabs``, so that
#: building and compiling the bound never runs SymPy's own ``Abs`` simplification (which
#: made the check 3x slower on [16]*5).
_fabs = sympy.Function("fabs")


def _magnitude(expr, measured: dict, inexact: dict):
    """M(expr) as an expression (see the module docstring): the first-order bound of
    float64 rounding in units of the unit roundoff, from exact operands up."""
    if expr.is_Symbol:
        if expr in measured:
            return measured[expr]
        return _fabs(expr) * inexact[expr] if expr in inexact else sympy.S.Zero
    if expr.is_Number:
        return sympy.S.Zero
    own = _fabs(expr)
    if expr.is_Add:
        return sympy.Add(*[_magnitude(t, measured, inexact) for t in expr.args]) + own
    if expr.is_Mul:
        terms = []
        for i, f in enumerate(expr.args):
            m = _magnitude(f, measured, inexact)
            if m != 0:
                terms.append(m * sympy.Mul(*[_fabs(g) for j, g in enumerate(expr.args) if j != i]))
        coefficient, rest = expr.as_coeff_Mul()
        if abs(coefficient) == 1 and not rest.is_Mul:
            return sympy.Add(*terms)  # −x: negation is exact
        return sympy.Add(*terms) + own
    if expr.is_Pow and expr.exp.is_Number:
        m = _magnitude(expr.base, measured, inexact)
        return _fabs(expr.exp * expr.base ** (expr.exp - 1)) * m + own if m != 0 else own
    total = own
    if isinstance(expr, sympy.Function):
        for i, u in enumerate(expr.args):
            m = _magnitude(u, measured, inexact)
            if m == 0:
                continue
            try:
                slope = expr.fdiff(i + 1)
            except Exception:  # noqa: BLE001 - no derivative: take its size as 1
                slope = sympy.S.One
            if slope.has(sympy.Derivative, sympy.Subs):
                slope = sympy.S.One
            if slope != 0:
                total += _fabs(slope) * m
    return total


def magnitudes(derivation, values: dict) -> dict | None:
    """{symbol: M} for every gradient and the cost at a point, at 30 digits; None when
    the definitions cannot be compiled to mpmath (then each value is its own scale)."""
    if derivation not in _MAGNITUDES:
        _MAGNITUDES[derivation] = _magnitude_program(derivation)
    if _MAGNITUDES[derivation] is None:
        return None
    prog, wanted, inexact = _MAGNITUDES[derivation]
    args = {s: to_system(v, "mp") for s, v in values.items() if s in inexact}
    # a leaf whose float64 value is not the value given (0.1) enters rounded
    args.update({r: int(to_system(values[s], "float") != values[s]) for s, r in inexact.items()})
    with mpmath.workdps(30):
        try:
            out = prog(args)
        except Exception:  # noqa: BLE001 - outside the domain at 30 digits: fall back
            return None
    return {s: out[m] for s, m in zip(wanted, prog.outputs)}


#: {derivation: (program, wanted symbols, leaf → its "inexact" flag) or None}, built once each.
_MAGNITUDES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _magnitude_program(derivation):
    """The 30-digit program of the magnitudes M of every gradient and the cost; None when
    the definitions cannot be compiled to mpmath."""
    net = derivation.graph
    try:
        defs = numeric.stable_definitions(net, derivation.definitions())
        measured = {s: sympy.Dummy("m") for s, _ in defs}
        inexact = {s: sympy.Dummy("r") for s in numeric.leaves(net)}
        body = list(defs) + [(measured[s], _magnitude(e, measured, inexact)) for s, e in defs]
        wanted = [f.symbol for f in derivation.gradients] + [net.cost_symbol]
        wanted += [derivation.gradient(p).symbol for p in net.leaves
                   if net.nodes[p].kind in ("x", "param") and _has_gradient(derivation, p)]
        wanted = list(dict.fromkeys(wanted))
        leaves = numeric.leaves(net)
        prog = Program(body, list(leaves) + [inexact[s] for s in leaves],
                       [measured[s] for s in wanted], "mp")
        return prog, wanted, inexact
    except Exception:  # noqa: BLE001 - a form mpmath code cannot take: fall back
        return None


def _has_gradient(derivation, p) -> bool:
    try:
        derivation.gradient(p)
    except Exception:  # noqa: BLE001 - not a reported gradient
        return False
    return True


def _mp(value):
    return to_system(value, "mp") if not isinstance(value, mpmath.mpf) else value


def _cone(net, start: int) -> list:
    """The defined nodes at depth ``start`` or deeper that the output depends on, in order."""
    depth, used = net.depth, net.used
    return [net.nodes[s] for s in net.defined
            if depth[s] >= start and s in used and s != net.cost_symbol]


def cost_from(net, start: int) -> sympy.Expr:
    """C in closed form from depth ``start`` on: shallower nodes stay symbols (in a layered
    network, the activations of the layer before)."""
    env = {}
    for node in _cone(net, start):
        env[node.symbol] = node.expr.xreplace(env)
    return net.cost.xreplace(env)


def _cost_size(net, start: int) -> int:
    sizes = {}
    for node in _cone(net, start):
        sizes[node.symbol] = expression_size(node.expr, sizes)
    return expression_size(net.cost, sizes)


def symbolic_gradients(derivation, values: dict, forward: dict, wrt, system: str) -> dict:
    """Route (b) for the parameters ``wrt``: diff of the closed-form cost, compiled."""
    net = derivation.graph
    out = {}
    by_start: dict[int, list] = {}
    for p in wrt:
        start = net.cut(p)
        if start is None:
            out[p] = 0.0 if system == "mp" else 0
        else:
            by_start.setdefault(start, []).append(p)
    for start, params in sorted(by_start.items()):
        cost = cost_from(net, start)
        leaves = sorted(cost.free_symbols | set(params), key=sympy.default_sort_key)
        derivs = real_diffs(cost, params)
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


def _value(expr, forward):
    """An expression of nodes at the 50-digit forward values."""
    if expr.is_Symbol:
        return forward[expr]
    with mpmath.workdps(50):
        return mpmath.mpf(sympy.N(expr.xreplace({s: sympy.Float(forward[s], 50) for s in expr.free_symbols}), 50))


def _at_kink(argument, net, forward) -> bool:
    """The input u of a kinked activation within float rounding of 0 (see the module
    docstring); the scale is the sum of the magnitudes of the terms that make u."""
    node = net.nodes.get(argument) if argument.is_Symbol else None
    if node is not None and node.terms:
        scale = mpmath.fsum(abs(forward[w] * forward[a]) for w, a in node.terms) + abs(forward[node.bias])
        inputs = [forward[a] for _, a in node.terms]
    else:
        expr = node.expr if node is not None and node.expr is not None else argument
        terms = expr.args if expr.is_Add else (expr,)
        scale = mpmath.fsum(abs(_value(t, forward)) for t in terms)
        inputs = [forward[s] for s in expr.free_symbols]
    u = abs(_value(argument, forward))
    reach = mpmath.mpf(numeric.FD_STEP) * max([1] + [abs(v) for v in inputs])
    return u <= KINK_RELATIVE * scale or u < reach


def kinks(net, forward) -> list:
    """The nodes at a kink: the argument of a ReLU-type activation (a z in a layered
    network) or, when that argument is an expression, the node that applies it; a node
    whose max routes to its first arg-max (a max-pool window) and has a tie there (a
    ``define`` max splits a tie in halves, which its finite difference confirms)."""
    found = []
    for sym in net.defined:
        if sym not in net.used:           # a node the output does not use cannot kink it
            continue
        for f in sorted(net.nodes[sym].expr.atoms(ActivationFunction), key=sympy.default_sort_key):
            if f.activation.kinked and _at_kink(f.args[0], net, forward):
                at = f.args[0] if f.args[0].is_Symbol else sym
                if at not in found:
                    found.append(at)
        maxima = [f for f in net.nodes[sym].expr.atoms(sympy.Max) if getattr(f, "routes_to_first", False)]
        if sym not in found and any(_tied(f, forward) for f in maxima):
            found.append(sym)
    return found


def _tied(expr, forward) -> bool:
    """A max whose two largest arguments are within float rounding (or the step) of each
    other: a max-pool window with a tie."""
    values = sorted(_value(arg, forward) for arg in expr.args)
    gap = values[-1] - values[-2]
    scale = max(abs(values[-1]), abs(values[-2]))
    return gap <= KINK_RELATIVE * scale or gap < mpmath.mpf(numeric.FD_STEP) * max(1, scale)


def choose_symbolic(net, wrt: list, limit: int, sample: int, seed: int) -> tuple[list, str]:
    """The gradients route (b) covers, and the sentence that says which: those of
    :func:`choose_routes`, closed form and forward mode together."""
    closed, forward, note = choose_routes(net, wrt, limit, sample, seed)
    order = {p: i for i, p in enumerate(wrt)}
    return sorted(closed + forward, key=order.__getitem__), note


def choose_routes(net, wrt: list, limit: int, sample: int, seed: int) -> tuple[list, list, str]:
    """(the gradients by the closed-form cost, those by forward mode, the sentence).

    The closed form where its cost has at most ``limit`` nodes (and is nested less than
    :data:`SYMBOLIC_DEPTH` deep); with at most :data:`SYMBOLIC_ALL` gradients, forward
    mode (:mod:`.tangents`) covers the others and those whose closed form has more than
    :data:`CLOSED_FORM_CHEAP` nodes (``sympy.diff`` of an attention head's 2,182-node
    cost took 6 s, forward mode 0.15 s), so every gradient has route (b). With more
    gradients, while gradients × edges is at most :data:`FORWARD_WORK`, the closed form
    takes a seeded sample of :data:`SYMBOLIC_SAMPLE` of them and forward mode the rest;
    beyond, route (b) is a seeded sample of the closed-form ones only. ``limit`` 0 turns
    route (b) off."""
    sizes = {start: _cost_size(net, start) for start in {net.cut(p) for p in wrt} - {None}}
    top = net.depth[net.cost_symbol]

    def closed_form(p, most):
        start = net.cut(p)
        return start is None or (sizes[start] <= most and top - start < SYMBOLIC_DEPTH)

    if 0 < limit and (len(wrt) <= SYMBOLIC_ALL or len(wrt) * _edges(net) <= FORWARD_WORK):
        cheap = [p for p in wrt if closed_form(p, min(limit, CLOSED_FORM_CHEAP))]
        closed = cheap if len(cheap) <= SYMBOLIC_ALL else _sample(wrt, cheap, sample, seed)
        forward = [p for p in wrt if p not in set(closed)]
        note = _routes_note(len(wrt), len(closed), len(forward))
        if len(closed) < len(cheap):
            note = note.replace(" by the closed-form cost", " by the closed-form cost (a seeded sample of "
                                f"{len(cheap)}, seed {seed})")
        return closed, forward, note
    eligible = [p for p in wrt if closed_form(p, limit)]
    if len(eligible) <= SYMBOLIC_ALL:
        chosen = eligible
    else:
        chosen = _sample(wrt, eligible, sample, seed)
    if len(chosen) == len(wrt):
        return chosen, [], f"all {len(wrt)} gradients"
    note = f"{len(chosen)} of {len(wrt)} gradients"
    if len(chosen) < len(eligible):
        note += f" (seeded sample of {len(eligible)} eligible, seed {seed})"
    if len(eligible) < len(wrt):
        note += (f"; {len(wrt) - len(eligible)} not eligible: their closed-form cost has "
                 f"more than {limit} nodes or is nested more than {SYMBOLIC_DEPTH} nodes deep")
    return chosen, [], note


def _sample(wrt, eligible, size: int, seed: int) -> list:
    """A seeded sample of ``size`` of ``eligible``, in the order of ``wrt``."""
    order = {p: i for i, p in enumerate(wrt)}
    return sorted(random.Random(seed).sample(eligible, min(size, len(eligible))), key=order.__getitem__)


def _edges(net) -> int:
    """The edges of the nodes the output uses: forward mode's multiply-adds per gradient, at most."""
    return sum(len(net.nodes[s].expr.free_symbols) for s in net.defined if s in net.used)


def _routes_note(total: int, closed: int, forward: int) -> str:
    """all N gradients, and by which route when forward mode took part."""
    if not forward:
        return f"all {total} gradients"
    if not closed:
        return f"all {total} gradients ({FORWARD_MODE})"
    return f"all {total} gradients: {closed} by the closed-form cost, {forward} by {FORWARD_MODE}"


def _row(name, recursion, symbolic, fd, rtol, atol, at_kink: bool, scale=None, noise=0,
         unchecked: bool = False, float_fd=None, float_noise=0.0) -> Row:
    """One gradient: the recursion against finite differences and the symbolic route,
    within rtol·M(g) (+ N(g) for the finite difference; see the module docstring), and
    against the float64 finite difference ``float_fd`` where given, within
    FLOAT_RTOL·|float_fd| + ``float_noise``. Without a scale M(g) is |reference|."""
    ok, worst_abs, worst_rel = True, mpmath.mpf(0), mpmath.mpf(0)
    unresolved = False
    for ref, extra in ((fd, noise), (symbolic, 0)):
        if ref is None:
            continue
        err_abs, err_rel = _error(recursion, ref)
        size = abs(_mp(ref)) if scale is None else _mp(scale)
        ok = ok and err_abs <= atol + rtol * size + _mp(extra)
        if ref is fd and _mp(extra) >= abs(_mp(fd)):
            # the step resolves no digit of this gradient: (b) is the reference, or, without
            # it, the row says so and stays out of the largest errors
            unresolved = symbolic is None
            continue
        worst_abs, worst_rel = max(worst_abs, err_abs), max(worst_rel, err_rel)
    float_only = float_fd is not None and fd is None and symbolic is None
    if float_fd is not None:
        err_abs, err_rel = _error(recursion, float_fd)
        ok = ok and err_abs <= atol + FLOAT_RTOL * abs(float_fd) + float_noise
        if float_only:
            worst_abs, worst_rel = err_abs, err_rel
    shown = (float(worst_abs), float(worst_rel), None if scale is None else float(scale), float(noise))
    if at_kink:
        return Row(name, recursion, symbolic, fd, shown[0], shown[1], True,
                   KINK_NOTE, shown[2], shown[3], float_fd, float_noise)
    note = ("below what the finite differences resolve at 50 digits, and no symbolic route"
            if unresolved else FLOAT_ONLY if float_only else SAMPLED_OUT if unchecked else None)
    return Row(name, recursion, symbolic, fd, shown[0], shown[1], ok, note, shown[2], shown[3],
               float_fd, float_noise)


def directional(derivation, values: dict, gradients: dict, count: int, seed: int, *,
                rtol: float = RTOL, atol: float = ATOL) -> list:
    """The whole gradient along ``count`` seeded random directions, at 50 digits.

    Each direction has vₚ = ±1 (seeded) times max(1, |p|) for every parameter p of
    ``gradients`` ({leaf: the recursion's ∂C/∂p}); the others stay fixed. The central
    difference (C(θ + hv) − C(θ − hv))/2h, h = 10⁻²⁰, of the 50-digit forward pass is
    compared with ⟨∇C, v⟩ = Σ ∂C/∂p·vₚ summed at 50 digits: they agree when
    |difference| ≤ atol + rtol·Σ|∂C/∂p·vₚ| + 10⁻²⁷·|C| (the finite difference's
    round-off, as for one parameter). A wrong gradient of any one parameter moves
    ⟨∇C, v⟩ by its error times |vₚ| ≥ its error, whatever the signs."""
    net = derivation.graph
    prog = numeric.program(derivation, "mp", upto=net.cost_symbol)
    rng = random.Random(seed)
    out = []
    with mpmath.workdps(50):
        h = mpmath.mpf(numeric.FD_STEP)
        base = [to_system(values[s], "mp") for s in prog.leaves]
        position = {s: i for i, s in enumerate(prog.leaves)}
        cost_at = prog.outputs.index(net.cost_symbol)
        c0 = abs(prog.run(base)[cost_at])
        params = [p for p in gradients if p in position]
        for k in range(1, count + 1):
            signs = [rng.choice((-1, 1)) for _ in params]
            up, down = list(base), list(base)
            terms = []
            for p, sign in zip(params, signs):
                i = position[p]
                step = sign * max(1, abs(base[i]))
                up[i] = base[i] + h * step
                down[i] = base[i] - h * step
                terms.append(_mp(gradients[p]) * step)
            derivative = (prog.run(up)[cost_at] - prog.run(down)[cost_at]) / (2 * h)
            predicted = mpmath.fsum(terms)
            scale = mpmath.fsum(abs(t) for t in terms)
            err_abs, err_rel = _error(predicted, derivative)
            ok = err_abs <= atol + rtol * scale + FD_NOISE * c0
            out.append(Direction(k, derivative, predicted, float(scale), float(err_abs), float(err_rel), bool(ok)))
    return out


def check(derivation, point=None, **options) -> CheckReport:
    """The three-way check at a point (:func:`check_point`); with no point, or an empty
    one, on a graph with a mini-batch, the batch's totals (:func:`check_batch`).

        >>> len(check(sb.load("examples/minibatch.toml").backward()).values.examples)
        3
    """
    if derivation.graph.runs_examples(point):
        return check_batch(derivation, **options)
    return check_point(derivation, point, **options)


def check_point(derivation, point=None, *, rtol: float = RTOL, atol: float = ATOL,
                symbolic_limit: int | None = None, sample: int = SYMBOLIC_SAMPLE,
                seed: int = 0, bound: bool = False, fd_all: int | None = None,
                fd_sample: int | None = None, directions: int | None = None) -> CheckReport:
    """Compare the three routes for every gradient at a point; see the module docstring.
    ``bound`` computes the rounding bound M even where every row passes without it.

    Up to ``fd_all`` (:data:`FD_ALL`) differentiable gradients, each has its 50-digit
    finite difference. Beyond, the check scales, and the report's ``routes`` say so:

    * every gradient against its **float64 finite difference** (step 2⁻¹⁷·max(1, |p|),
      :func:`numeric.finite_differences`), within FLOAT_RTOL·|c| + N₆₄(p), where
      N₆₄(p) = FLOAT_NOISE·max(|C₆₄ − C₅₀|, ε·|C|)/hₚ bounds its round-off from the
      float64 cost's own rounding error at the point;
    * the **directional check** at 50 digits along ``directions`` (:data:`DIRECTIONS`)
      seeded random directions (:func:`directional`);
    * **50-digit finite differences** for a seeded sample of ``fd_sample``
      (:data:`FD_SAMPLE`) gradients, compared as for a small network.

    The maximum errors are those of the high-precision references (symbolic, 50-digit);
    a row checked at float64 only has the note :data:`FLOAT_ONLY` and its own errors."""
    fd_all = FD_ALL if fd_all is None else fd_all
    fd_sample = FD_SAMPLE if fd_sample is None else fd_sample
    directions = DIRECTIONS if directions is None else directions
    net = derivation.graph
    if symbolic_limit is None:
        symbolic_limit = net.symbolic_limit or SYMBOLIC_LIMIT
    values = resolve_point(net, point)
    recursion = numeric.evaluate(derivation, point)
    forward = numeric.forward_mp(derivation, values, 50)
    at_kinks = kinks(net, forward)
    upstream = {s for s in net.upstream(at_kinks) if net.nodes[s].is_leaf}
    wrt = [f.of for f in derivation.formulas if f.kind in ("w", "b", "p", "x")]
    differentiable = [p for p in wrt if p not in upstream]
    large = len(differentiable) > fd_all
    probed = _seeded_sample(wrt, differentiable, fd_sample, seed) if large else differentiable
    routes = _Routes(recursion, forward, upstream, fd=numeric.finite_differences(derivation, values, probed))
    if large:
        _float_routes(routes, derivation, values, differentiable, directions, seed, rtol, atol)
    chosen, tangent, note = choose_routes(net, wrt, symbolic_limit, sample, seed)
    note = _symbolic_routes(routes, derivation, values, chosen, tangent, note)
    if large:
        note += (f"; finite differences: a seeded sample of {len(probed):,} of {len(differentiable):,} "
                 f"gradients at 50 digits (seed {seed}), every gradient at float64, and "
                 f"{directions} seeded random directions at 50 digits")
    rows = _checked_rows(routes, derivation, values, wrt, rtol, atol, bound, large)
    counted = [r for r in rows if r.note is None]
    return CheckReport(rows, all(r.ok for r in rows) and all(d.ok for d in routes.directions),
                       max((r.abs_error for r in counted), default=0.0),
                       max((r.rel_error for r in counted), default=0.0), rtol, atol,
                       recursion.exact, note, [k.name for k in at_kinks], recursion,
                       routes.counts(), routes.directions, seed)


@dataclass
class _Routes:
    """The numbers of every route at one point, as :func:`check_point` gathers them."""

    recursion: object          # route (a): numeric.Values
    forward: dict              # the 50-digit forward pass
    upstream: set              # the leaves upstream of a kink
    fd: dict                   # {leaf: 50-digit finite difference}
    symbolic: dict = field(default_factory=dict)      # {leaf: route (b)}
    tangent: dict = field(default_factory=dict)       # those of route (b) by forward mode
    float_fd: dict = field(default_factory=dict)      # {leaf: float64 finite difference}
    float_noise: dict = field(default_factory=dict)   # {leaf: its round-off bound}
    directions: list = field(default_factory=list)    # the directional check

    def counts(self) -> dict:
        """How many gradients each route covered; ``symbolic_forward_mode``, those of
        ``symbolic`` by forward mode, only where forward mode ran."""
        forward = {"symbolic_forward_mode": len(self.tangent)} if self.tangent else {}
        return {"symbolic": len(self.symbolic), **forward, "finite_differences": len(self.fd),
                "float64_finite_differences": len(self.float_fd), "directional": len(self.directions)}

    def rows(self, derivation, wrt, rtol, atol, scales: dict, cost_scale) -> list:
        """One :class:`Row` per gradient, each value its own scale unless ``scales`` give M."""
        def noise(p):
            if cost_scale is None or p not in self.fd:
                return 0.0
            return FD_NOISE * cost_scale / max(1, abs(self.forward[p]))
        numbers = self.recursion.numbers
        rows = [_row(p.name, numbers[derivation.gradient(p).symbol], self.symbolic.get(p), self.fd.get(p),
                     rtol, atol, p in self.upstream, scales.get(derivation.gradient(p).symbol), noise(p),
                     unchecked=p not in self.fd and p not in self.symbolic and p not in self.upstream,
                     float_fd=self.float_fd.get(p), float_noise=self.float_noise.get(p, 0.0))
                for p in wrt]
        for row, p in zip(rows, wrt):
            row.symbolic_route = ("forward mode" if p in self.tangent else
                                  "closed form" if p in self.symbolic else None)
        return rows


def _seeded_sample(wrt, differentiable, size: int, seed: int) -> list:
    """A seeded sample of ``size`` of the differentiable leaves, in the order of ``wrt``."""
    order = {p: i for i, p in enumerate(wrt)}
    return sorted(random.Random(seed).sample(differentiable, min(size, len(differentiable))),
                  key=order.__getitem__)


def _float_routes(routes: _Routes, derivation, values, differentiable, directions, seed, rtol, atol):
    """A large check's float64 finite differences of every differentiable leaf, with
    their round-off bounds, and the directional check at 50 digits."""
    net, recursion = derivation.graph, routes.recursion
    routes.float_fd = numeric.finite_differences(derivation, values, differentiable, system="float",
                                                 forward=None if recursion.exact else recursion.numbers)
    cost64 = float(recursion.numbers[net.cost_symbol])
    with mpmath.workdps(50):
        cost50 = routes.forward[net.cost_symbol]
        rounding = max(float(abs(_mp(cost64) - cost50)), 2.0 ** -53 * abs(float(cost50)))
    for p in differentiable:
        hp = numeric.FLOAT_STEP * max(1.0, abs(float(values[p])))
        routes.float_noise[p] = FLOAT_NOISE * rounding / hp
    routes.directions = directional(derivation, values, {p: recursion.numbers[derivation.gradient(p).symbol]
                                                         for p in differentiable},
                                    directions, seed, rtol=rtol, atol=atol)


def _symbolic_routes(routes: _Routes, derivation, values, closed, tangent, note: str) -> str:
    """Route (b) by the closed form for ``closed`` and forward mode for ``tangent`` into
    ``routes``; the note, or what it becomes where forward mode could not compile."""
    recursion, forward = routes.recursion, routes.forward
    routes.symbolic = _symbolic_route(derivation, values, recursion, forward, closed)
    routes.tangent = _symbolic_route(derivation, values, recursion, forward, tangent, forward_gradients)
    routes.symbolic.update(routes.tangent)
    if len(routes.tangent) == len(tangent):
        return note
    by = f" ({len(routes.tangent)} by {FORWARD_MODE})" if routes.tangent else ""
    return (f"{len(routes.symbolic)} of {len(closed) + len(tangent)} gradients{by}; "
            f"{len(tangent) - len(routes.tangent)} not covered: a local partial has no numeric code")


def _symbolic_route(derivation, values, recursion, forward, chosen, route=None) -> dict:
    """Route (b), in mpmath (30 digits) unless exact: its formulas divide by σ and softmax
    values that underflow in floats at large |z|. The layer before a parameter enters it
    as numbers: exact ones when the point is exact, else the 50-digit forward pass.
    ``route``: :func:`symbolic_gradients` (the closed form) unless given (forward mode)."""
    if not chosen:
        return {}
    numbers, system = (recursion.numbers, "exact") if recursion.exact else (forward, "mp")
    if route is None:
        return symbolic_gradients(derivation, values, numbers, chosen, system)
    return route(derivation.graph, values, numbers, chosen, system)


def _checked_rows(routes: _Routes, derivation, values, wrt, rtol, atol, bound: bool, large: bool) -> list:
    """First with each value its own scale (|g| ≤ M(g), |C| ≤ M(C)): what passes there
    passes the rounding bound too. Only when a row fails (or ``bound``) is the bound M
    computed (it compiles a second program as large as the derivation; beyond FD_ALL
    gradients the cheap comparison is the verdict)."""
    cost = derivation.graph.cost_symbol
    rows = routes.rows(derivation, wrt, rtol, atol, {}, abs(routes.forward[cost]))
    if (bound or not all(r.ok for r in rows)) and not large:
        scales = magnitudes(derivation, values)
        if scales:
            rows = routes.rows(derivation, wrt, rtol, atol, scales, scales.get(cost))
    return rows


def check_batch(derivation, points=None, **options) -> CheckReport:
    """The three-way check of a mini-batch's totals: each route summed over the examples
    (∂L/∂p = Σₙ ∂Cⁿ/∂p), compared as for one point."""
    points = derivation.graph.points if points is None else points
    report = _batch(derivation, [check_point(derivation, p, **options) for p in points])
    if not report.passed and not options.get("bound"):
        # a total that fails without the rounding bound: check the examples with it
        report = _batch(derivation, [check_point(derivation, p, **{**options, "bound": True}) for p in points])
    return report


def _batch(derivation, reports) -> CheckReport:
    """One report of the summed routes of the examples' reports."""
    first = reports[0]
    rows = []
    for i, row in enumerate(first.rows):
        column = [r.rows[i] for r in reports]

        def total(route):
            values = [getattr(r, route) for r in column]
            return None if any(v is None for v in values) else numeric.total(values)

        scale = None if any(r.scale is None for r in column) else sum(r.scale for r in column)
        rows.append(_row(row.name, total("recursion"), total("symbolic"), total("finite_difference"),
                         first.rtol, first.atol, any(r.note == KINK_NOTE for r in column),
                         scale, sum(r.noise for r in column),
                         unchecked=any(r.note == SAMPLED_OUT for r in column),
                         float_fd=total("float_difference"), float_noise=sum(r.float_noise for r in column)))
        rows[-1].symbolic_route = row.symbolic_route
    counted = [r for r in rows if r.note is None]
    kinks = [f"{name} (example {n})" for n, r in enumerate(reports, start=1) for name in r.kinks]
    values = numeric.Batch(derivation.graph, [r.values for r in reports])
    # the directions of every example (each example's own gradient along its own v)
    found = [d for r in reports for d in r.directions]
    return CheckReport(rows, all(r.ok for r in rows) and all(d.ok for d in found),
                       max((r.abs_error for r in counted), default=0.0),
                       max((r.rel_error for r in counted), default=0.0), first.rtol, first.atol,
                       values.exact, first.symbolic_note + f" (in each of {len(reports)} examples)",
                       kinks, values, dict(first.routes), found, first.seed)
