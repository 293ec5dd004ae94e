"""Each student's numbers: drawn from the exercise's grids, kept only when well-posed.

**Seeded by the student.** A student's *code* is the first 8 hex digits of
SHA-256(seed, student id); the draws come from a generator seeded by that code alone, so
the same roster gives the same numbers on every run and adding a student changes no one
else's. The code printed on a sheet regenerates the variant (:func:`draw_code`).

**Well-posed.** A draw is kept when, at its values (:func:`problems`):

* every pre-activation u of an activation (and every z of a softmax) has |u| ≤
  :data:`MAX_PREACTIVATION`, so that no amplifier σ′(u) vanishes;
* no input of a ReLU-type activation is at its kink (|u| ≥ :data:`KINK_MARGIN`);
* no asked gradient is 0 (|∂C/∂·| ≥ :data:`MIN_GRADIENT`) or too large to write to
  :data:`KEY_DIGITS` digits without an exponent;

and then, on the variant built from its spec file (:func:`verify`), the three-way check
passes, the key (the number to :data:`KEY_DIGITS` significant digits) is judged right,
and every known mistake (:mod:`answers.diagnose`) gets another verdict than the right
answer: its number written to the key's digits is judged wrong by the question's rule
(its tolerance, else the digits written), and a formula mistake differs from the right
formula at the points answers are compared at. Otherwise the variant is redrawn, at most
:data:`MAX_TRIES` times.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import sympy

from ..errors import SpecError, SymbackpropError
from ..notation.numerals import significant
from ..notation.quoting import quote
from ..ops.activations import ActivationFunction
from .exercise import GROUPS

MAX_PREACTIVATION = 4
KINK_MARGIN = 0.01
MIN_GRADIENT = 1e-4
MAX_GRADIENT = 1e4
#: Significant digits of a number in a key (and asked for on a sheet).
KEY_DIGITS = 4
MAX_TRIES = 200


@dataclass(frozen=True)
class Variant:
    """One student's variant: the code, the values drawn (symbol → exact number), every
    leaf's value (the template's where not drawn) and the draws it took."""

    student: str
    code: str
    drawn: dict
    values: dict
    tries: int


def code_of(seed: int, student: str) -> str:
    """The student's variant code: 8 hex digits of SHA-256 over the seed and the id."""
    return hashlib.sha256(f"{seed}\x1f{student}".encode()).hexdigest()[:8]


def varied(net, exercise) -> list:
    """(leaf symbol, its grid) for every leaf a grid varies, in the graph's order."""
    out = []
    for group, grid in exercise.vary.items():
        kind = GROUPS[group]
        out += [(sym, grid) for sym, node in net.nodes.items() if node.is_leaf and node.kind == kind]
    order = {sym: i for i, sym in enumerate(net.nodes)}
    return sorted(out, key=lambda item: order[item[0]])


def missing(net, exercise) -> list:
    """The leaves that neither the template's values nor a grid give a number."""
    drawn = {sym for sym, _ in varied(net, exercise)}
    return [sym for sym, node in net.nodes.items()
            if node.is_leaf and sym not in drawn and sym not in net.values and sym in net.used]


def draw(net, exercise, student: str, *, verify=None) -> Variant:
    """The student's variant (see the module docstring); ``verify(variant)`` returns a
    problem or None (the checks on the built variant), else only the cheap ones run."""
    return draw_code(net, exercise, code_of(exercise.seed, student), student, verify=verify)


def draw_code(net, exercise, code: str, student: str = "", *, verify=None) -> Variant:
    """The variant a code gives (a sheet's code regenerates its variant)."""
    rng = random.Random(int(code, 16))
    leaves = varied(net, exercise)
    derivation = net.backward()
    wrts = asked(net, exercise)
    problem = None
    for tries in range(1, tries_allowed() + 1):
        drawn = {sym: rng.choice(grid.values) for sym, grid in leaves}
        values = {**net.values, **drawn}
        problem = problems(net, derivation, values, wrts)
        if problem is None:
            found = Variant(student, code, drawn, values, tries)
            problem = verify(found) if verify is not None else None
            if problem is None:
                return found
    who = f"student {quote(student)}" if student else f"code {code}"
    raise SpecError(f"exercise: no variant for {who} passed the checks in {tries_allowed()} draws "
                    f"(the last: {problem}); widen exercise.vary's grids or ask about other nodes")


def tries_allowed() -> int:
    return MAX_TRIES


def asked(net, exercise) -> list:
    """The node of every question's ``wrt`` (read as ``check --wrt`` reads it)."""
    from ..answers.reference import reference
    from ..answers.verdict import resolve_wrt
    ref = reference(net) if net.values else None
    out = []
    for q in exercise.questions:
        try:
            node = resolve_wrt(ref, q.wrt) if ref is not None else net.symbol(q.wrt)
        except SymbackpropError as exc:
            raise SpecError(f"exercise.questions[{q.id[1:]}].wrt: {str(exc).removeprefix('wrt: ')}") from None
        if not isinstance(node, sympy.Symbol):
            raise SpecError(f"exercise.questions[{q.id[1:]}].wrt: {quote(q.wrt)} is a whole layer; "
                            "ask about one parameter or node")
        out.append(node)
    return out


def preactivations(net, values) -> list:
    """(u, its value, whether its activation has a kink) for every activation's input
    and every softmax's z, in the graph's order."""
    out = []
    for sym in net.defined:
        node = net.nodes[sym]
        if sym not in net.used:
            continue
        for f in sorted(node.expr.atoms(ActivationFunction), key=sympy.default_sort_key):
            u = f.args[0]
            out.append((u, float(u.xreplace({s: sympy.Float(float(values[s.name])) for s in u.free_symbols})),
                        f.activation.kinked))
        if node.op == "softmax" and node.group:
            out += [(z, values[z.name], False) for z in node.expr.free_symbols if z.name in values]
    return out


def problems(net, derivation, values: dict, wrts) -> str | None:
    """What makes a draw ill-posed (the first found), or None."""
    numbers = derivation.evaluate(values)
    for u, at, kinked in preactivations(net, numbers):
        if abs(at) > MAX_PREACTIVATION:
            return f"|{u}| = {abs(at):.3g} > {MAX_PREACTIVATION}"
        if kinked and abs(at) < KINK_MARGIN:
            return f"{u} = {at:.3g} is at the kink of its activation"
    for node in wrts:
        g = numbers.gradients.get(node.name)
        g = float(numbers.adjoints.get(node.name, 0.0) if g is None else g)   # a leaf's, else a node's
        if not MIN_GRADIENT <= abs(g) < MAX_GRADIENT:
            return f"∂C/∂{node.name} = {g:.3g}"
    return None


def key_number(value: float) -> str:
    """A number as the key writes it: :data:`KEY_DIGITS` significant digits."""
    return significant(value, KEY_DIGITS)
