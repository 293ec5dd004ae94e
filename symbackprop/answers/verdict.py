"""One answer checked: read it, compare it, and when it is wrong, name the mistake.

:func:`check_answer` is what ``sb.check_answer`` and ``symbackprop check`` call; its
:class:`Verdict` turns into the JSON object of ``check --json`` with :meth:`as_dict`.

An answer may be a chain ``∂C/∂w = a·δ = 0.126``: a first side that is ∂C/∂(wrt) itself
is dropped, and **every** other side must hold. A first side naming another derivative
(∂C/∂w⁽²⁾₁₁ for ``--wrt w^{(3)}_{11}``) makes the answer ``not_equivalent`` with the
diagnosis ``wrong_lhs``. An answer that uses ∂C/∂(wrt) anywhere else is circular and is
refused. A side that is a number is compared with the value at the spec's point, to the
precision written (:func:`compare.compare_number`), and shown as written.

``--wrt`` may name a whole layer of a layered net: ``W^{(l)}``, ``b^{(l)}``, ``δ^{(l)}``
(also ``z^{(l)}``, ``a^{(l)}``). The answer is then a vector or matrix expression
(:mod:`matrices`), compared entry by entry; ``entries`` counts the entries right and
``wrong_entries`` names the wrong ones, and a whole-answer diagnosis is tried:
``missing_transpose`` (W where Wᵀ belongs), ``outer_product_order`` (a δᵀ for δ aᵀ),
``missing_sigma_prime`` (every entry lacks its σ′(z)), ``wrong_shape`` (sizes that do not
fit, or not the size asked for), else the diagnosis every wrong entry shares.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy

from ..errors import AnswerError, SpecError
from ..core.graph import loose
from ..notation.numerals import short
from ..notation.printing import latex, text, unicode_name
from ..notation.quoting import clip, suggest
from .compare import Comparison, close, compare, compare_number, values_at_points
from .diagnose import Diagnosis, _same, diagnose
from .layers import check_layer
from .outcome import Verdict
from ..reading.lexer import AnswerReadError, AnswerUndecided, quote
from ..reading.matrices import is_matrix
from ..reading.names import vocabulary
from .policy import Policy, policy_of
from ..reading.reader import read, written_decimals
from .reference import reference


def resolve_wrt(ref, wrt):
    """The node ``wrt`` names: a symbol, or a name in any notation (``w_5``,
    ``w^{(2)}_{11}``, ``\\delta^{(2)}_1`` or ∂C/∂· for a node's adjoint). For a whole
    layer of a layered net (``W^{(2)}``, ``b^{(2)}``, ``\\delta^{(2)}``) it is a
    :class:`Layer`."""
    net = ref.net
    if isinstance(wrt, sympy.Symbol):
        node = wrt if wrt in net.nodes else ref.node_of_adjoint(wrt)
        if node is None:
            raise AnswerError(f"wrt: {wrt.name} is not a node of this network")
        return node
    if not isinstance(wrt, str) or not wrt.strip():
        raise AnswerError("wrt: expected the name of a parameter or node, e.g. "
                          + ", ".join(ref.names()[:3]))
    try:
        return net.symbol(wrt.strip())
    except SpecError:
        if wrt.strip() in net.copies:        # a mini-batch's input: its copies' summed gradient
            return sympy.Symbol(wrt.strip())
    layer = _layer(ref, wrt)
    if layer is not None:
        return layer
    try:
        parts, _ = read(_vocabulary(ref, None), wrt)
    except AnswerReadError as exc:
        if exc.reason.startswith("unknown name"):
            whole = "" if exc.reason.startswith(f"unknown name {quote(wrt.strip())}") \
                else f"{quote(wrt)}: "          # the name read is part of what was written
            raise AnswerError(f"wrt: {whole}{exc.reason}") from None
        raise AnswerError(f"wrt: cannot read {quote(wrt)}: {exc.reason}; "
                          + suggest(wrt.strip(), ref.names(), net.what, key=loose)) from None
    sym = parts[-1]
    if isinstance(sym, sympy.Symbol):
        node = sym if sym in net.nodes else ref.node_of_adjoint(sym)
        if node is not None:
            return node
    raise AnswerError(f"wrt: {quote(wrt)} is not one name; "
                      + suggest(wrt.strip(), ref.names(), net.what, key=loose))


@dataclass
class Layer:
    """A whole layer asked for: ``nodes`` is the matrix of the nodes whose gradients
    are its entries (the z's for δ^{(l)}), ``name`` its LaTeX."""

    name: str
    nodes: sympy.ImmutableMatrix
    delta: bool
    weights: bool
    layer: int
    #: whether the entries are one convolution kernel (a rotated answer is then named)
    kernel: bool = False


def _layer(ref, wrt):
    """The whole layer ``wrt`` names, or None (always None on a net without layers)."""
    layers = _vocabulary(ref, "layers")
    if not layers.names_layers:
        return None
    try:
        parts, _ = read(layers, wrt)
    except AnswerReadError as exc:
        if "matrix answers are read up to" in exc.reason or getattr(exc, "about_whole", False):
            raise AnswerError(f"wrt: {exc.reason}") from None
        return None
    whole = parts[-1]
    if len(parts) != 1 or not is_matrix(whole):
        return None
    entries = list(whole)
    if not all(isinstance(e, sympy.Symbol) for e in entries):
        return None
    if all(e in ref.net.nodes for e in entries):
        nodes, delta = whole, False
    elif all(ref.node_of_adjoint(e) is not None for e in entries):
        nodes, delta = whole.applyfunc(ref.node_of_adjoint), True
    else:
        return None
    first = ref.net.nodes[nodes[0]]
    if first.kind not in ("param", "z", "a"):
        return None
    kernel = not delta and layers.is_kernel(nodes)
    return Layer(wrt.strip(), sympy.ImmutableMatrix(nodes), delta, nodes.shape[1] > 1 and not kernel,
                 ref.net.layer_of.get(nodes[0]), kernel)


def _vocabulary(ref, node):
    """The vocabulary of answers about ``node`` ("layers": whole layers by name, "flip":
    W^{(l)} read as its transpose), built once per reference."""
    cache = ref.vocabularies
    if node not in cache:
        if node in ("layers", "flip"):
            cache[node] = vocabulary(ref, None, layers=True, flip=node == "flip")
        else:
            cache[node] = vocabulary(ref, about=node)
    return cache[node]


def read_answer(net, wrt, answer: str):
    """(wrt node, target, the answer as a SymPy expression): the last side of a chain."""
    ref = reference(net)
    node = resolve_wrt(ref, wrt)
    if isinstance(node, Layer):
        raise AnswerError(f"wrt: {quote(node.name)} is a whole layer; use check_answer")
    target = ref.target(node)
    parts, _, _ = _sides(ref, node, target, answer)
    return node, target, parts[-1]


def _sides(ref, node, target, answer, vocabulary=None):
    """The sides of the answer after a left-hand side that is the target itself, where
    each was written, the number literal of each, and the left-hand side if it names
    something else (else None)."""
    literals: list = []
    parts, positions = read(vocabulary or _vocabulary(ref, node), answer, literals=literals)
    lhs = None
    if len(parts) > 1 and parts[0] == target.symbol:
        parts, literals = parts[1:], literals[1:]
    elif len(parts) > 1 and isinstance(parts[0], sympy.Symbol) and parts[0] in ref.defined \
            and ref.node_of_adjoint(parts[0]) is not None:
        lhs = parts[0]
        parts, literals = parts[1:], literals[1:]
    for part in parts:
        if target.symbol in part.free_symbols:
            raise AnswerReadError(f"the answer uses {target.symbol.name} itself, which is what it "
                                  "should derive", positions.get(target.symbol, 0), answer)
    return parts, literals, lhs


def _lhs_differs(ref, target, lhs) -> bool:
    """Whether a left-hand side ∂C/∂X names a quantity other than the one asked for
    (δ⁽²⁾₁ for ∂C/∂b⁽²⁾₁ is the same quantity)."""
    for point, expected in zip(ref.points, target.values):
        if not close(point.values[lhs], expected):
            return True
    return False


def check_answer(net, wrt, answer: str, *, symbolic: bool = True,
                 source: str | None = None, policy: Policy | None = None) -> Verdict:
    """Check a hand-derived answer for ∂C/∂(wrt) against the derivation.

    ``source`` names where the answer came from (a file name) for the message of an
    :class:`AnswerReadError`: ``FILE: line 2, column 19: …`` instead of ``answer, …``.
    ``policy`` (:class:`policy.Policy`; default: the spec's ``[grading]`` and
    ``[[mistakes]]``) sets a number's tolerance, asks for a closed form and adds the
    teacher's mistakes.

        >>> net = sb.load("examples/lecture.toml")
        >>> from symbackprop.answers import Policy
        >>> closed = Policy(closed=True)
        >>> sb.check_answer(net, "b^{(1)}_{2}", "δ⁽¹⁾₂", policy=closed).diagnosis
        'not_expanded'
    """
    if policy is None:
        policy = policy_of(net)
    verdict = _check(net, wrt, answer, symbolic, source, policy)
    return _closed_form(reference(net), verdict) if policy.closed else verdict


def _check(net, wrt, answer, symbolic, source, policy) -> Verdict:
    ref = reference(net)
    try:
        node = resolve_wrt(ref, wrt)
        if isinstance(node, Layer):
            return check_layer(ref, node, answer, symbolic=symbolic, vocabulary=_vocabulary)
        target = ref.target(node)
        try:
            parts, literals, lhs = _sides(ref, node, target, answer)
        except AnswerUndecided as exc:
            return Verdict(wrt=node.name, verdict="undecided", answer="",
                           expected=target.formula_latex, reason=exc.reason,
                           answer_text="", expected_text=target.formula_text)
    except AnswerReadError as exc:
        if source is not None:
            exc.source = clip(source, None)
        raise
    decimals = written_decimals(answer)      # a formula's 0.5 is shown as typed
    shown = [lit if lit is not None else latex(p, decimals=decimals) for p, lit in zip(parts, literals)]
    shown_text = [lit if lit is not None else text(p, decimals=decimals) for p, lit in zip(parts, literals)]
    expr = parts[-1]
    if lhs is not None and _lhs_differs(ref, target, lhs):
        return Verdict(
            wrt=node.name, verdict="not_equivalent", answer=" = ".join([latex(lhs)] + shown),
            expected=target.formula_latex, diagnosis="wrong_lhs",
            explanation=(f"the left-hand side is {unicode_name(lhs.name)}, but the question asks "
                         f"for {unicode_name(target.symbol.name)}"),
            answer_text=" = ".join([unicode_name(lhs.name)] + shown_text),
            expected_text=target.formula_text, expression=expr)
    results = []
    for part, literal, written in zip(parts, literals, shown_text):
        if not part.free_symbols and part.is_number:
            results.append((part, written, compare_number(ref, target, part, literal,
                                                          policy.tolerance)))
        else:
            results.append((part, written, compare(ref, target, part, symbolic=symbolic)))
    result, found = _combine(ref, target, results, _taught(ref, node, policy))
    if ref.sums_to_one and found is None and expr.free_symbols:
        found = _sum_one(ref, target, expr, result)
    return Verdict(
        wrt=node.name, verdict=result.verdict, answer=" = ".join(shown),
        expected=target.formula_latex, counterexample=result.counterexample,
        diagnosis=found.code if found else None, explanation=found.explanation if found else None,
        reason=result.reason, symbolic=result.symbolic, points=result.points,
        answer_text=" = ".join(shown_text), expected_text=target.formula_text, expression=expr)


def _combine(ref, target, results, taught=()):
    """One comparison for the sides of a chain: the first side that is wrong decides;
    else any undecided side; else equivalent (proved symbolically when every formula
    side was). The diagnosis is the wrong formula side's: the teacher's mistakes
    (``taught``: (mistake, values) pairs) are tried first."""
    for part, written, result in results:
        if result.verdict == "not_equivalent":
            if part.free_symbols:
                values = result.values
            else:       # a number: a mistake that is this constant everywhere (∂q/∂x = 1)
                values = [float(part)] * len(ref.points)
            found = _teachers(taught, values) or diagnose(ref, target, values)
            if len(results) > 1:
                result.reason = (f"the side {written} does not hold" if result.reason is None
                                 else result.reason)
            return result, found
    for part, written, result in results:
        if result.verdict == "undecided":
            return result, None
    formulas = [r for p, w, r in results if p.free_symbols]
    if not formulas:
        return results[-1][2], None
    proved = [r.symbolic for r in formulas]
    symbolic = True if all(p is True for p in proved) else (
        None if all(p is None for p in proved) else False)
    last = formulas[-1]
    return Comparison("equivalent", last.values, min(r.points for r in formulas),
                      symbolic=symbolic), None


# --- the policy: a closed form, the teacher's mistakes (see :mod:`policy`) ----------------

def _closed_form(ref, verdict: Verdict) -> Verdict:
    """A verdict for a question that asks for a closed form: an answer naming an adjoint
    (δ, ∂C/∂ of a node) is ``not_equivalent`` with the diagnosis ``not_expanded``."""
    expr = verdict.expression
    if expr is None:
        return verdict
    named = sorted((s for s in expr.free_symbols if ref.node_of_adjoint(s) is not None),
                   key=lambda s: ref.order.get(s, -1))
    if not named:
        return verdict
    shown = tuple(unicode_name(s.name) for s in named)
    meant = ", ".join(f"{n} (∂C/∂{unicode_name(ref.node_of_adjoint(s).name)})"
                      if not n.startswith("∂") else n for n, s in zip(shown, named))
    equal = {"equivalent": "it equals the derivative asked for",
             "not_equivalent": "nor is it equal to the derivative asked for",
             "undecided": "whether it equals the derivative asked for is undecided"}[verdict.verdict]
    return replace(verdict, verdict="not_equivalent", diagnosis="not_expanded",
                   explanation=f"the answer names {meant}, where the question asks for a closed "
                               f"form with no adjoint ({equal})",
                   entries=None, wrong_entries=[], unexpanded=shown)


def _taught(ref, node, policy: Policy) -> list:
    """(mistake, its values at every point) for the teacher's mistakes of ``node``."""
    return [(m, values) for m, at, values in (_taught_values(ref, m) for m in policy.mistakes)
            if at == node]


def _teachers(taught, values):
    for mistake, expected in taught:
        if _same(values, expected):
            return Diagnosis(mistake.name, mistake.feedback)
    return None


def _taught_values(ref, mistake):
    """(mistake, the node it is a mistake for, its values at every point), cached; a
    mistake that cannot be read is an error naming its field in the spec."""
    cache = ref.taught
    if mistake not in cache:
        try:
            node = resolve_wrt(ref, mistake.wrt)
        except AnswerError as exc:
            raise SpecError(f"{mistake.field}.{exc}") from None
        if isinstance(node, Layer):
            raise SpecError(f"{mistake.field}.wrt: {quote(mistake.wrt)} is a whole layer; a mistake "
                            "is written for one parameter or node")
        target = ref.target(node)
        try:
            parts, _, _ = _sides(ref, node, target, mistake.answer)
        except AnswerUndecided as exc:
            raise SpecError(f"{mistake.field}.answer: {exc.reason}") from None
        except AnswerReadError as exc:
            raise SpecError(f"{mistake.field}.answer: column {exc.position + 1}: {exc.reason}") from None
        values = values_at_points(ref, parts[-1])
        if _same(values, target.values):
            raise SpecError(f"{mistake.field}.answer: equals the right answer "
                            f"∂C/∂{unicode_name(node.name)}; a mistake must differ from it")
        cache[mistake] = (mistake, node, values)
    return cache[mistake]


def prepare(net, policy: Policy) -> None:
    """Read every teacher's mistake of ``policy`` now, so that a bad one stops the
    command with one error before any answer is checked."""
    ref = reference(net)
    for mistake in policy.mistakes:
        _taught_values(ref, mistake)


# --- softmax with cross-entropy: a − y holds only when Σ y = 1 ------------------------------

def _sum_one(ref, target, expr, result):
    """For a net whose targets are drawn as a distribution: a note (diagnosis None) on an
    equivalent answer that holds only when Σ y = 1, or the diagnosis ``assumes_sum_one``
    of an answer wrong only at the spec's point, whose targets do not sum to 1."""
    spec = [i for i, p in enumerate(ref.points) if p.label == "the spec's point"]
    if result.verdict == "not_equivalent":
        others = [i for i in range(len(ref.points)) if i not in spec]
        values = [result.values[i] for i in others]
        if spec and _same(values, [target.values[i] for i in others]):
            total = sum(ref.points[spec[0]].leaves[y] for y in ref.net.targets)
            return Diagnosis("assumes_sum_one", "the answer holds only when the targets sum to 1 "
                             "(softmax with cross-entropy gives a − y only then), and the spec's "
                             f"targets sum to {short(total)}")
        return None
    if result.verdict != "equivalent":
        return None
    free = ref.free_targets()
    answer = [_value(expr, values) for values in free]
    if _same(answer, [values[target.symbol] for values in free]):
        return None
    where = ("; the spec's targets sum to 1" if spec else "")
    return Diagnosis(None, "equal where the targets sum to 1, as one-hot targets do (every point "
                     "compared here has Σ y = 1), not for any targets: the answer relies on "
                     "Σ y = 1, as a − y for softmax with cross-entropy does" + where)


def _value(expr, values):
    from .evaluate import Undefined, evaluate
    try:
        return evaluate(expr, values)
    except Undefined:
        return None
