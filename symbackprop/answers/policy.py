"""The grader's policy: what counts as right, and what a named mistake earns, as a
teacher sets it (STACK's answer tests and response trees, WeBWorK's tolerances).

A :class:`Policy` comes from the spec's ``[grading]`` table and ``[[mistakes]]`` list,
then the command line's options override it (``--rel-tol``, ``--abs-tol``, ``--closed``,
``--credit``, ``--feedback``), then a row of the answers file its own question's
(``tolerance`` and ``form`` cells):

* **tolerance** of a number answer: within ``abs`` of the expected value, or within
  ``rel`` × |expected value| (the larger of the two); without one, a number is judged to
  the digits written (:func:`compare.compare_number`). A formula answer is an identity
  and is never judged with a tolerance.
* **closed**: the answer (the last side of a chain) must name no adjoint (δ, ∂C/∂ of a
  node): ``δ⁽¹⁾₂`` for ∂C/∂b⁽¹⁾₂ is right but not the expansion asked for; it is
  ``not_equivalent`` with the diagnosis ``not_expanded``.
* **credit**: the fraction of its points a wrong answer with a named mistake earns
  (default 0); a combined diagnosis ``a+b`` earns the product of the two credits.
* **feedback**: how much the feedback sentence says (:data:`LEVELS`).
* **mistakes**: the teacher's own mistakes (:class:`TeacherMistake`), checked before
  the built-in ones.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from fractions import Fraction

from ..errors import SymbackpropError
from ..notation.quoting import clip, quote, suggest
from .feedback import BUILT_IN

#: Feedback levels, from the most said to the least: ``full`` names the mistake and where
#: (the wrong entries of a vector or matrix), ``diagnosis`` the mistake only, ``verdict``
#: only whether the answer is right.
LEVELS = ("full", "diagnosis", "verdict")

#: A teacher's mistake name: a word of letters, digits and underscores.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")

#: The values of a ``form`` cell, and of a question's ``form``.
FORMS = ("closed", "")


@dataclass(frozen=True)
class Tolerance:
    """How far a number answer may be from the expected value: ``abs`` (absolute) or
    ``rel`` (a fraction of |expected|), the larger of the two."""

    rel: float | None = None
    abs: float | None = None

    def width(self, expected: float) -> float:
        return max(self.abs or 0.0, (self.rel or 0.0) * abs(expected))

    def allows(self, answer: float, expected: float) -> bool:
        return abs(answer - expected) <= self.width(expected) * (1 + 1e-12)


@dataclass(frozen=True)
class TeacherMistake:
    """One entry of the spec's ``[[mistakes]]``: a wrong answer to the question ``wrt``,
    written out in ``answer``; an answer equivalent to it gets the diagnosis ``name``,
    the ``feedback`` sentence and ``credit``. ``field`` says where it is written
    (``spec.toml: mistakes[2]``) for messages."""

    name: str
    wrt: str
    answer: str
    feedback: str
    credit: Fraction
    field: str


@dataclass(frozen=True)
class Policy:
    """See the module docstring. The defaults are the checker's own behaviour."""

    tolerance: Tolerance | None = None
    closed: bool = False
    credit: tuple = ()          # ((mistake name, Fraction), …)
    feedback: str = "full"
    mistakes: tuple = ()        # TeacherMistake, …

    def credit_for(self, code: str | None) -> Fraction:
        """The fraction a wrong answer with diagnosis ``code`` earns: a teacher's
        mistake its own credit unless ``credit`` names it; ``a+b`` the product."""
        if not code:
            return Fraction(0)
        given = dict(self.credit)
        total = Fraction(1)
        for part in code.split("+"):
            if part in given:
                total *= given[part]
            else:
                own = [m.credit for m in self.mistakes if m.name == part]
                total *= own[0] if own else Fraction(0)
        return total

    def names(self) -> list[str]:
        """Every mistake name a credit may be given to."""
        return list(BUILT_IN) + [m.name for m in self.mistakes]

    def with_options(self, *, rel_tol=None, abs_tol=None, closed=False, credit=(),
                     feedback=None) -> "Policy":
        """The policy with the command line's options: a tolerance given replaces the
        spec's, ``credit`` entries are added (and win for a name in both)."""
        changes = {}
        if rel_tol is not None or abs_tol is not None:
            changes["tolerance"] = Tolerance(rel_tol, abs_tol)
        if closed:
            changes["closed"] = True
        if credit:
            check_credit_names(credit, self.names(), "--credit")
            merged = dict(self.credit)
            merged.update(credit)
            changes["credit"] = tuple(merged.items())
        if feedback is not None:
            changes["feedback"] = feedback
        return replace(self, **changes)

    def for_question(self, tolerance=None, closed=False) -> "Policy":
        """The policy for one row: its ``tolerance`` cell replaces the run's, its ``form``
        cell ``closed`` asks for a closed form."""
        if tolerance is None and not closed:
            return self
        return replace(self, tolerance=tolerance or self.tolerance, closed=closed or self.closed)


DEFAULT = Policy()


def policy_of(net) -> Policy:
    """The policy of a network's spec (``[grading]``, ``[[mistakes]]``), else the default:
    as :func:`symbackprop.load` read it, else read now from the tables the spec reader
    kept (a graph the spec reader built alone)."""
    policy = getattr(net, "policy", None)
    sections = getattr(net, "sections", None)
    if policy is None and sections is not None:
        policy = of_sections(sections)
    return policy or DEFAULT


# --- values as the command line, the spec and the answers file write them ----------------

def _typed(text: str, convert):
    """``convert`` of a number typed as text (no underscores, ASCII only), else None."""
    text = text.strip()
    if not (text.isascii() and text and "_" not in text):
        return None
    try:
        return convert(text)
    except (ValueError, ZeroDivisionError):
        return None


def tolerance_value(value, what: str) -> float:
    """A tolerance: a finite number ≥ 0 (a string from the command line, a TOML number)."""
    number = None
    if isinstance(value, str):
        number = _typed(value, float)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    if number is None or not math.isfinite(number) or number < 0:
        raise SymbackpropError(f"{what}: expected a number ≥ 0, got {_shown(value)}")
    return number


def tolerance_cell(cell: str, what: str) -> Tolerance | None:
    """A ``tolerance`` cell: a number is absolute (as Moodle's ``<tolerance>``), a number
    followed by ``%`` is relative (``1%``: within 1 % of the expected value); empty: None."""
    text = cell.strip()
    if not text:
        return None
    if text.endswith("%"):
        try:
            percent = tolerance_value(text[:-1], what)
        except SymbackpropError:
            percent = None
        if percent is not None:
            return Tolerance(rel=percent / 100)
    else:
        try:
            return Tolerance(abs=tolerance_value(text, what))
        except SymbackpropError:
            pass
    raise SymbackpropError(f"{what}: expected a number ≥ 0 (absolute) or a percentage such as 1% "
                           f"(relative), got {quote(cell)}")


def form_cell(cell: str, what: str) -> bool:
    """A ``form`` cell: ``closed`` (True) or empty (False)."""
    text = cell.strip().lower()
    if text not in FORMS:
        raise SymbackpropError(f"{what}: expected closed or an empty cell, got {quote(cell)}")
    return text == "closed"


def credit_value(value, what: str) -> Fraction:
    """A credit: a number from 0 to 1, kept exact (``0.5`` → 1/2, ``"1/3"``)."""
    number = None
    if isinstance(value, str):
        number = _typed(value, Fraction)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Fraction(value)
    elif isinstance(value, float) and math.isfinite(value):
        number = Fraction(str(value))
    if number is None or not 0 <= number <= 1:
        raise SymbackpropError(f"{what}: expected a number from 0 to 1, got {_shown(value)}")
    return number


def parse_credit(text: str) -> tuple:
    """``--credit sign_error=0.5,factor_two=1/2`` → ((name, Fraction), …); the names are
    checked against the policy's (:meth:`Policy.with_options`)."""
    out = []
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SymbackpropError(f"--credit: expected name=fraction, e.g. sign_error=0.5, got "
                                   f"{quote(item.strip())}")
        out.append((name, credit_value(value, f"--credit {clip(name)}")))
    return tuple(out)


def check_credit_names(credit, names, what: str) -> None:
    """An unknown mistake name is one error naming the close matches."""
    for name, _ in credit:
        if name not in names:
            raise SymbackpropError(f"{what}: unknown mistake {quote(name)}; "
                                   + suggest(name, names, "checker"))


def feedback_level(value, what: str) -> str:
    if value not in LEVELS:
        raise SymbackpropError(f"{what}: expected one of {', '.join(LEVELS)}, got {_shown(value)}")
    return value


def _shown(value) -> str:
    return quote(value) if isinstance(value, str) else clip(repr(value))


# --- the spec's [grading] table and [[mistakes]] list -------------------------------------

GRADING_FIELDS = ("rel_tol", "abs_tol", "closed", "credit", "feedback")
MISTAKE_FIELDS = ("name", "wrt", "answer", "feedback", "credit")


def of_sections(sections) -> Policy | None:
    """The policy of a spec's :class:`~symbackprop.builders.spec.Sections` (its
    ``[grading]`` and ``[[mistakes]]`` as read), or None when it sets neither."""
    tables = sections.tables
    if "grading" not in tables and "mistakes" not in tables:
        return None
    return from_spec(tables.get("grading"), tables.get("mistakes"), sections.where)


def from_spec(grading, mistakes, where: str) -> Policy:
    """The policy a spec's ``[grading]`` and ``[[mistakes]]`` set (plain data checked; the
    mistakes' answers are read when a check needs them, see :func:`verdict.prepare`)."""
    taught = _mistakes(mistakes, where) if mistakes is not None else ()
    if grading is None:
        return Policy(mistakes=taught)
    if not isinstance(grading, dict):
        raise SymbackpropError(f"{where}: grading: expected a table")
    _unknown(grading, GRADING_FIELDS, f"{where}: grading.")
    rel = tolerance_value(grading["rel_tol"], f"{where}: grading.rel_tol") if "rel_tol" in grading else None
    absolute = tolerance_value(grading["abs_tol"], f"{where}: grading.abs_tol") if "abs_tol" in grading else None
    closed = grading.get("closed", False)
    if not isinstance(closed, bool):
        raise SymbackpropError(f"{where}: grading.closed: expected true or false, got {_shown(closed)}")
    table = grading.get("credit", {})
    if not isinstance(table, dict):
        raise SymbackpropError(f"{where}: grading.credit: expected a table of mistake = fraction")
    credit = tuple((name, credit_value(v, f"{where}: grading.credit.{clip(name)}"))
                   for name, v in table.items())
    policy = Policy(tolerance=Tolerance(rel, absolute) if rel is not None or absolute is not None else None,
                    closed=closed, feedback=feedback_level(grading.get("feedback", "full"),
                                                           f"{where}: grading.feedback"),
                    mistakes=taught)
    check_credit_names(credit, policy.names(), f"{where}: grading.credit")
    return replace(policy, credit=credit)


def _mistakes(entries, where: str) -> tuple:
    if not isinstance(entries, list):
        raise SymbackpropError(f"{where}: mistakes: expected a list of [[mistakes]] tables")
    out, seen = [], {}
    for i, entry in enumerate(entries, start=1):
        field = f"mistakes[{i}]"
        if not isinstance(entry, dict):
            raise SymbackpropError(f"{where}: {field}: expected a table")
        _unknown(entry, MISTAKE_FIELDS, f"{where}: {field}.")
        for key in ("name", "wrt", "answer", "feedback"):
            if key not in entry:
                raise SymbackpropError(f"{where}: {field}.{key}: missing")
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise SymbackpropError(f"{where}: {field}.{key}: expected a non-empty string, "
                                       f"got {_shown(entry[key])}")
        name = entry["name"]
        if not NAME.fullmatch(name):
            raise SymbackpropError(f"{where}: {field}.name: expected a word of letters, digits and "
                                   f"underscores (at most 40), got {quote(name)}")
        if name in BUILT_IN:
            raise SymbackpropError(f"{where}: {field}.name: {name} is a mistake the checker names "
                                   "itself; choose another name")
        key = (name, entry["wrt"].strip())
        if key in seen:
            raise SymbackpropError(f"{where}: {field}.name: {name} is already a mistake of "
                                   f"{quote(entry['wrt'].strip())} (mistakes[{seen[key]}])")
        seen[key] = i
        credit = credit_value(entry.get("credit", 0), f"{where}: {field}.credit")
        out.append(TeacherMistake(name, entry["wrt"], entry["answer"], entry["feedback"].strip(),
                                  credit, f"{where}: {field}"))
    return tuple(out)


def _unknown(table: dict, allowed, prefix: str) -> None:
    extra = sorted(set(table) - set(allowed), key=str)
    if extra:
        raise SymbackpropError(f"{prefix}{clip(extra[0])}: unknown field; expected one of: "
                               f"{', '.join(allowed)}")
