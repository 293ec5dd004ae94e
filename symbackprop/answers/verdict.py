"""One answer checked: read it, compare it, and when it is wrong, name the mistake.

:func:`check_answer` is what ``sb.check_answer`` and ``symbackprop check`` call; its
:class:`Verdict` turns into the JSON object of ``check --json`` with :meth:`as_dict`.

An answer may be a chain ``∂C/∂w = a·δ = …``: a first side that is ∂C/∂(wrt) itself is
dropped and the **last** side is the answer. An answer that uses ∂C/∂(wrt) anywhere
else is circular and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..errors import AnswerError, SpecError
from ..graph import loose
from ..printing import latex, text
from ..quoting import clip, suggest
from .compare import compare
from .diagnose import diagnose
from .lexer import AnswerReadError, quote
from .names import Vocabulary
from .reader import read
from .reference import reference


@dataclass
class Verdict:
    """The outcome of one check. ``verdict`` is equivalent, not_equivalent or undecided;
    ``diagnosis`` is a mistake's code (see :mod:`diagnose`) with ``explanation``;
    ``symbolic`` says whether SymPy proved the equality (None: not attempted)."""

    wrt: str
    verdict: str
    answer: str
    expected: str
    counterexample: dict | None = None
    diagnosis: str | None = None
    explanation: str | None = None
    reason: str | None = None
    symbolic: bool | None = None
    points: int = 0
    answer_text: str = ""
    expected_text: str = ""
    expression: sympy.Expr | None = None

    @property
    def equivalent(self) -> bool:
        """Whether the answer was shown equal to the derived formula.

            >>> net = sb.load("examples/shared_bias.toml")
            >>> v = sb.check_answer(net, "w_5", r"(o_1 - t_1) o_1 (1 - o_1) h_1")
            >>> v.equivalent
            True
        """
        return self.verdict == "equivalent"

    def as_dict(self) -> dict:
        """The object ``check --json`` prints.

            >>> net = sb.load("examples/shared_bias.toml")
            >>> v = sb.check_answer(net, "w_5", r"(o_1 - t_1) o_1 (1 - o_1) h_1")
            >>> v.as_dict()["verdict"]
            'equivalent'
        """
        return {"wrt": self.wrt, "verdict": self.verdict, "answer": self.answer,
                "expected": self.expected, "counterexample": self.counterexample,
                "diagnosis": self.diagnosis, "explanation": self.explanation,
                "reason": self.reason, "symbolic": self.symbolic, "points": self.points}

    def describe(self) -> list[str]:
        """Lines for a terminal.

            >>> net = sb.load("examples/shared_bias.toml")
            >>> v = sb.check_answer(net, "w_5", r"(o_1 - t_1) o_1 (1 - o_1) h_1")
            >>> v.describe()[0]
            'w_5: equivalent (proved symbolically, and equal at ... points)'
        """
        words = {"equivalent": "equivalent", "not_equivalent": "not equivalent",
                 "undecided": "undecided"}[self.verdict]
        how = ""
        if self.verdict == "equivalent":
            how = (" (proved symbolically, and equal at %d points)" % self.points if self.symbolic
                   else " (equal at %d points)" % self.points)
        lines = [f"{self.wrt}: {words}{how}",
                 f"  answer:   {self.answer_text}",
                 f"  expected: {self.expected_text}"]
        if self.counterexample:
            c = self.counterexample
            shown = ", ".join(f"{k} = {v:g}" for k, v in c["point"].items())
            lines.append(f"  at {c['where']} ({shown}):")
            lines.append(f"    answer = {c['answer']:.10g}, expected = {c['expected']:.10g}")
        if self.diagnosis:
            lines.append(f"  likely mistake ({self.diagnosis}): {self.explanation}")
        if self.reason:
            lines.append(f"  reason: {self.reason}")
        return lines

    # --- display (see :mod:`symbackprop.display`) ----------------------------------------

    def __repr__(self):
        from ..display import verdict_repr
        return verdict_repr(self)

    def _repr_html_(self):
        from ..display import verdict_html
        return verdict_html(self)

    def _repr_latex_(self):
        from ..display import verdict_latex
        return verdict_latex(self)


def resolve_wrt(ref, wrt) -> sympy.Symbol:
    """The node ``wrt`` names: a symbol, or a name in any notation (``w_5``,
    ``w^{(2)}_{11}``, ``\\delta^{(2)}_1`` or ∂C/∂· for a node's adjoint)."""
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
        pass
    try:
        parts, _ = read(_vocabulary(ref, None), wrt)
    except AnswerReadError as exc:
        if exc.reason.startswith("unknown name"):
            raise AnswerError(f"wrt: {exc.reason}") from None
        raise AnswerError(f"wrt: cannot read {quote(wrt)}: {exc.reason}; "
                          + suggest(wrt.strip(), ref.names(), net.what, key=loose)) from None
    sym = parts[-1]
    if isinstance(sym, sympy.Symbol):
        node = sym if sym in net.nodes else ref.node_of_adjoint(sym)
        if node is not None:
            return node
    raise AnswerError(f"wrt: {quote(wrt)} is not one name; "
                      + suggest(wrt.strip(), ref.names(), net.what, key=loose))


def _vocabulary(ref, node):
    cache = ref.__dict__.setdefault("_vocabularies", {})
    if node not in cache:
        cache[node] = Vocabulary(ref, about=node)
    return cache[node]


def read_answer(net, wrt, answer: str):
    """(wrt node, target, the answer as a SymPy expression)."""
    ref = reference(net)
    node = resolve_wrt(ref, wrt)
    target = ref.target(node)
    parts, positions = read(_vocabulary(ref, node), answer)
    if len(parts) > 1 and parts[0] == target.symbol:
        parts = parts[1:]
    expr = parts[-1]
    if target.symbol in expr.free_symbols:
        raise AnswerReadError(f"the answer uses {target.symbol.name} itself, which is what it "
                              "should derive", positions.get(target.symbol, 0), answer)
    return node, target, expr


def check_answer(net, wrt, answer: str, *, symbolic: bool = True,
                 source: str | None = None) -> Verdict:
    """Check a hand-derived answer for ∂C/∂(wrt) against the derivation.

    ``source`` names where the answer came from (a file name) for the message of an
    :class:`AnswerReadError`: ``FILE: line 2, column 19: …`` instead of ``answer, …``."""
    try:
        node, target, expr = read_answer(net, wrt, answer)
    except AnswerReadError as exc:
        if source is not None:
            exc.source = clip(source, None)
        raise
    ref = reference(net)
    result = compare(ref, target, expr, symbolic=symbolic)
    found = None
    if result.verdict == "not_equivalent":
        found = diagnose(ref, target, result.values)
    return Verdict(
        wrt=node.name, verdict=result.verdict, answer=latex(expr), expected=target.formula_latex,
        counterexample=result.counterexample,
        diagnosis=found.code if found else None, explanation=found.explanation if found else None,
        reason=result.reason, symbolic=result.symbolic, points=result.points,
        answer_text=text(expr), expected_text=target.formula_text, expression=expr)
