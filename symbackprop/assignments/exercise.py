"""The ``[exercise]`` section of a template spec: the questions and the grids to vary.

```toml
[exercise]
title = "Homework 3: backpropagation"
seed = 2026
questions = [
  { wrt = "w^{(2)}_{11}", kind = "formula", points = 2 },
  { wrt = "w^{(1)}_{11}", kind = "number", points = 1, tolerance = 0.001 },
]
[exercise.vary]
parameters = { min = -2, max = 2, step = 0.5 }
inputs = { min = -1, max = 1, step = 0.5 }
```

A question asks for ∂C/∂(``wrt``) as a formula (``kind = "formula"``; ``form = "closed"``
when it wants no adjoints) or as a number at the student's values (``kind = "number"``;
``tolerance``: a number is absolute, as Moodle's, ``"1%"`` relative; without one a number
is judged to the digits written). The grids (``parameters``, ``inputs``, ``targets``)
list what each variant redraws; a leaf of a group not listed keeps the template's value.
The spec reader keeps the section as read and the loader hands it here
(:func:`of_sections`): every problem is one :class:`SpecError` naming ``exercise.…``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..errors import SpecError, SymbackpropError
from ..exact import parse_fraction
from ..notation.quoting import check_title, clip

FIELDS = ("title", "seed", "questions", "vary")
QUESTION_FIELDS = ("wrt", "kind", "points", "form", "tolerance")
KINDS = ("formula", "number")
#: What a grid may vary: the leaves of each kind of node (see :attr:`Node.kind`).
GROUPS = {"parameters": "param", "inputs": "x", "targets": "y"}
GRID_FIELDS = ("min", "max", "step")
MAX_QUESTIONS = 100
MAX_GRID = 1_000
MAX_POINTS = 1_000


@dataclass(frozen=True)
class Grid:
    """The numbers min, min + step, …, max (exact fractions)."""

    low: Fraction
    high: Fraction
    step: Fraction

    @property
    def count(self) -> int:
        return int((self.high - self.low) / self.step) + 1

    @property
    def values(self) -> tuple:
        return tuple(self.low + i * self.step for i in range(self.count))

    def holds(self, value) -> bool:
        """Whether ``value`` is one of the grid's numbers."""
        value = Fraction(value)
        return self.low <= value <= self.high and ((value - self.low) / self.step).denominator == 1


@dataclass(frozen=True)
class Question:
    """One question: ∂C/∂(wrt) as a formula or a number, worth ``points``."""

    id: str
    wrt: str
    kind: str
    points: Fraction
    closed: bool = False
    tolerance: object = None        # an answers.policy.Tolerance, or None

    def as_dict(self) -> dict:
        """The question as ``manifest.json`` lists it."""
        out = {"id": self.id, "wrt": self.wrt, "kind": self.kind, "points": number_json(self.points)}
        if self.closed:
            out["form"] = "closed"
        if self.tolerance is not None:
            out["tolerance"] = tolerance_json(self.tolerance)
        return out


@dataclass(frozen=True)
class Exercise:
    """The section read: its title (or None), seed, questions and grids by group."""

    title: str | None
    seed: int
    questions: tuple
    vary: dict
    spec: dict = None       # the template's other fields, as read (what a variant rewrites)


def number_json(value: Fraction):
    """A whole number as an int, else a float (JSON)."""
    return int(value) if value.denominator == 1 else float(value)


def tolerance_json(tolerance):
    """A tolerance as the spec writes it: an absolute number, or ``"p%"``."""
    if tolerance.rel is not None:
        return f"{tolerance.rel * 100:g}%"
    return tolerance.abs


def of_sections(net, sections) -> Exercise | None:
    """The exercise of the template spec ``net`` was built from: its ``[exercise]`` table
    as the spec reader kept it (``sections``, a :class:`~symbackprop.builders.spec.Sections`),
    checked; None for a spec without one."""
    if "exercise" not in sections.tables:
        return None
    return read(sections.tables["exercise"], sections.where, net, sections.fields)


def read(table, where: str, net=None, spec=None) -> Exercise:
    """The ``[exercise]`` table checked field by field."""
    if not isinstance(table, dict):
        raise SpecError(f"{where}: exercise: expected a table")
    _unknown(where, "exercise", table, FIELDS)
    title = check_title(table.get("title"), f"{where}: exercise.title")
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63:
        raise SpecError(f"{where}: exercise.seed: expected a whole number ≥ 0, got {clip(repr(seed))}")
    questions = table.get("questions")
    if not isinstance(questions, list) or not questions:
        raise SpecError(f"{where}: exercise.questions: expected a list of at least one question "
                        '(a table such as { wrt = "w_5", kind = "number", points = 1 })')
    if len(questions) > MAX_QUESTIONS:
        raise SpecError(f"{where}: exercise.questions: {len(questions)} questions, above the limit "
                        f"of {MAX_QUESTIONS}")
    asked = tuple(_question(where, i, q) for i, q in enumerate(questions, start=1))
    vary = _vary(where, table.get("vary", {}))
    if net is not None and (getattr(net, "points", None)):
        raise SpecError(f"{where}: exercise: a template has one example ([point]), not a "
                        "mini-batch ([[points]])")
    return Exercise(title, seed, asked, vary, spec)


def _unknown(where, prefix, table, allowed):
    extra = sorted(k for k in table if k not in allowed)
    if extra:
        raise SpecError(f"{where}: {prefix}.{clip(extra[0])}: unknown field; expected one of: "
                        f"{', '.join(allowed)}")


def _question(where: str, i: int, q) -> Question:
    field = f"exercise.questions[{i}]"
    if not isinstance(q, dict):
        raise SpecError(f"{where}: {field}: expected a table with wrt, kind and points")
    _unknown(where, field, q, QUESTION_FIELDS)
    wrt = q.get("wrt")
    if not isinstance(wrt, str) or not wrt.strip() or len(wrt) > 200:
        raise SpecError(f"{where}: {field}.wrt: expected the name of a parameter or node, "
                        f"got {clip(repr(wrt))}")
    kind = q.get("kind", "formula")
    if kind not in KINDS:
        raise SpecError(f"{where}: {field}.kind: expected formula or number, got {clip(repr(kind))}")
    points = _positive(where, f"{field}.points", q.get("points", 1))
    form = q.get("form")
    if form not in (None, "closed"):
        raise SpecError(f"{where}: {field}.form: expected \"closed\" or no form, got {clip(repr(form))}")
    if form == "closed" and kind == "number":
        raise SpecError(f"{where}: {field}.form: a number question has no form; "
                        "closed applies to formula questions")
    return Question(f"q{i}", wrt.strip(), kind, points, form == "closed",
                    _tolerance(where, f"{field}.tolerance", q.get("tolerance")))


def _tolerance(where, field, value):
    if value is None:
        return None
    from ..answers.policy import tolerance_cell
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(f"{where}: {field}: expected a number (absolute) or a percentage such "
                        f"as \"1%\", got {clip(repr(value))}")
    try:
        found = tolerance_cell(str(value), f"{where}: {field}")
    except SymbackpropError as exc:
        raise SpecError(str(exc)) from None
    if found is None:
        raise SpecError(f"{where}: {field}: expected a number or a percentage, got an empty string")
    return found


def _exact(where, field, value) -> Fraction:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = Fraction(value)
    elif isinstance(value, float) and not math.isnan(value) and abs(value) != float("inf"):
        number = Fraction(repr(value))
    elif isinstance(value, str):
        number = parse_fraction(value)
    if number is None or abs(number) > MAX_POINTS:
        raise SpecError(f"{where}: {field}: expected a number from -{MAX_POINTS} to {MAX_POINTS}, "
                        f"got {clip(repr(value))}")
    return number


def _positive(where, field, value) -> Fraction:
    number = _exact(where, field, value)
    if number <= 0:
        raise SpecError(f"{where}: {field}: expected a number > 0, got {clip(repr(value))}")
    return number


def _vary(where: str, table) -> dict:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: exercise.vary: expected a table of grids such as "
                        "parameters = { min = -2, max = 2, step = 0.5 }")
    _unknown(where, "exercise.vary", table, tuple(GROUPS))
    grids = {}
    for group in GROUPS:
        if group in table:
            grids[group] = _grid(where, f"exercise.vary.{group}", table[group])
    return grids


def _grid(where: str, field: str, table) -> Grid:
    if not isinstance(table, dict):
        raise SpecError(f"{where}: {field}: expected a table {{ min = …, max = …, step = … }}")
    _unknown(where, field, table, GRID_FIELDS)
    for key in GRID_FIELDS:
        if key not in table:
            raise SpecError(f"{where}: {field}.{key}: missing")
    low, high = (_exact(where, f"{field}.{key}", table[key]) for key in ("min", "max"))
    step = _positive(where, f"{field}.step", table["step"])
    if high < low:
        raise SpecError(f"{where}: {field}: max ({high}) is below min ({low})")
    grid = Grid(low, high, step)
    if not grid.holds(high):
        raise SpecError(f"{where}: {field}: max is not min plus a whole number of steps")
    if grid.count > MAX_GRID:
        raise SpecError(f"{where}: {field}: {grid.count:,} values, above the limit of {MAX_GRID:,}")
    if grid.count < 2:
        raise SpecError(f"{where}: {field}: a grid of one value varies nothing; widen it")
    return grid
