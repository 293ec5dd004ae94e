"""The outcome of one check (:class:`Verdict`): what :func:`verdict.check_answer` and a
whole layer's check (:mod:`layers`) return, and what ``check --json``, the terminal, the
notebook and the grade report show of it. Its own module so that both checkers build it
and neither imports the other back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..notation.numerals import short
from ..notation.printing import unicode_name
from ..notation.quoting import counted
from .compare import shown as shown_numbers


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
    #: (entries right, entries in all) for a vector or matrix answer; None for a number
    entries: tuple[int, int] | None = None
    #: the names of the wrong entries of a vector or matrix answer
    wrong_entries: list = field(default_factory=list)
    #: the adjoints an answer names where a closed form was asked for (``not_expanded``)
    unexpanded: tuple = ()

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
                "reason": self.reason, "symbolic": self.symbolic, "points": self.points,
                "entries": (None if self.entries is None
                            else {"right": self.entries[0], "total": self.entries[1]}),
                "wrong_entries": list(self.wrong_entries)}

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
            how = (f" (proved symbolically, and equal at {counted(self.points, 'point')})"
                   if self.symbolic else f" (equal at {counted(self.points, 'point')})")
        lines = [f"{self.wrt}: {words}{how}",
                 f"  answer:   {self.answer_text}",
                 f"  expected: {self.expected_text}"]
        if self.counterexample:
            c = self.counterexample
            shown = ", ".join(f"{k} = {short(v)}" for k, v in c["point"].items())
            lines.append(f"  at {c['where']} ({shown}):")
            answer, expected = shown_numbers(c, 10)
            lines.append(f"    answer = {answer}, expected = {expected}")
        if self.entries is not None:
            right, total = self.entries
            wrong = (": wrong " + ", ".join(unicode_name(n) for n in self.wrong_entries[:12])
                     + (" …" if len(self.wrong_entries) > 12 else "")) if self.wrong_entries else ""
            lines.append(f"  entries right: {right} of {total}{wrong}")
        if self.diagnosis:
            lines.append(f"  likely mistake ({self.diagnosis}): {self.explanation}")
        elif self.explanation:
            lines.append(f"  note: {self.explanation}")
        if self.reason:
            lines.append(f"  reason: {self.reason}")
        return lines

    # --- display (see :mod:`symbackprop.documents.summaries`) ----------------------------------------

    def __repr__(self):
        from ..documents.summaries import verdict_repr
        return verdict_repr(self)

    def _repr_html_(self):
        from ..documents.summaries import verdict_html
        return verdict_html(self)

    def _repr_latex_(self):
        from ..documents.summaries import verdict_latex
        return verdict_latex(self)


__all__ = ["Verdict"]
