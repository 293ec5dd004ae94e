"""Batch grading: a CSV of answers (columns ``id,wrt,answer``, optionally ``student``,
``points``, ``tolerance`` and ``form``, any others kept) checked one by one, each given a
score and a sentence of feedback, under the teacher's :class:`policy.Policy`.

A row that cannot be checked (a missing field, an unknown ``wrt``, an answer that cannot
be read) becomes a row of verdict ``error`` with the message: the batch goes on. Only a
file that is not a CSV of those columns, that names one of them twice, or whose
``points``, ``tolerance`` or ``form`` cell is not what that column holds (the teacher's
own columns) stops it. A ``tolerance`` cell sets its row's tolerance for a number
answer (``0.001`` absolute, ``1%`` relative), a ``form`` cell ``closed`` asks its row for
a closed form; both override the command line for their row.

**Scores.** A row is worth its ``points`` (default 1; an empty cell is 1) and scores
points × fraction: 1 for ``equivalent``; for ``not_equivalent`` the credit the policy
gives its named mistake (default 0), or the fraction of the entries that are right
when the answer is a vector or matrix compared entry by entry, whichever is more;
``undecided`` gets :data:`UNDECIDED_SCORE` (½: neither proved right nor wrong, it
is for the teacher to look at; ``grade --undecided-score`` changes it); an ``error`` row
scores 0. Scores are exact fractions, written with at most 4 decimals.

**One answer per question.** When a student answers the same question on several
rows (the same ``student`` and ``id``; in a file without students, where the ``id`` is
the student, the same ``id`` and the same ``wrt`` once resolved), the last row counts:
each earlier one is worth 0 (score 0, max 0) and its feedback says which line replaced
it, so that the totals, the report's sums and a grade book count every question once.

Everything per question is cached by :mod:`reference` and :mod:`diagnose` (the derived
formula's values at the points, the mistaken formulas' values), so a class's answers to
one question cost one reading and one walk of each answer's tree per point.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from fractions import Fraction

from ..errors import SymbackpropError
from ..io import read_text
from ..notation.quoting import clip
from .feedback import feedback_for
from ..reading.lexer import AnswerReadError, quote
from .policy import DEFAULT, Policy, Tolerance, form_cell, policy_of, tolerance_cell
from .reference import reference
from .outcome import Verdict
from .verdict import check_answer, prepare, resolve_wrt

COLUMNS = ("id", "wrt", "answer")
#: Columns read when present.
OPTIONAL = ("student", "points", "tolerance", "form")
#: The fraction of its points an undecided answer scores unless told otherwise.
UNDECIDED_SCORE = Fraction(1, 2)
#: Most points one row may be worth.
MAX_POINTS = 10 ** 6
#: Largest answers file read, in bytes.
MAX_FILE = 50_000_000
#: What a spreadsheet reads as the start of a formula: a CSV this package writes puts a
#: ``'`` before a cell that begins with one (see :mod:`report`), and reading takes it off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Most rows graded in one run: about 4 ms each on the lecture's network when every
#: answer differs (benchmarks/grade.py), more on a larger one.
MAX_ROWS = 10_000


@dataclass
class Row:
    """One line of the answers CSV: ``id`` stripped of surrounding spaces, ``wrt`` and
    ``answer`` exactly as written (the report shows the student's ``wrt`` as is)."""

    line: int
    id: str
    wrt: str
    answer: str
    problem: str | None = None
    student: str | None = None
    points: Fraction = Fraction(1)
    extra: tuple = ()            # ((column name, cell), …) of every other column, in order
    tolerance: Tolerance | None = None   # the ``tolerance`` cell's
    closed: bool = False                 # the ``form`` cell says ``closed``

    @property
    def who(self) -> str:
        """The student a row counts for: the ``student`` cell, else the ``id``."""
        return self.student if self.student else self.id


@dataclass
class Graded:
    """One row's outcome: a :class:`Verdict`, or an ``error`` message (and where in the
    answer it is, for reading errors)."""

    row: Row
    verdict: Verdict | None = None
    error: str | None = None
    position: int | None = None
    fraction: Fraction = Fraction(0)
    feedback: str = ""
    replaced_by: int | None = None   # the line of a later answer to the same question
    resolved: str | None = None      # the node ``wrt`` names, also when the answer is unreadable

    @property
    def worth(self) -> Fraction:
        """The points the row counts for: 0 when a later row answers the same question."""
        return Fraction(0) if self.replaced_by is not None else self.row.points

    @property
    def question(self) -> tuple:
        """What one answer is given to: (student, id), or without a student (id, the
        resolved wrt, or the wrt as written when it did not resolve)."""
        if self.row.student:
            return (self.row.student, self.row.id)
        return (self.row.id, self.resolved or self.row.wrt.strip())

    @property
    def outcome(self) -> str:
        return self.verdict.verdict if self.verdict is not None else "error"

    @property
    def score(self) -> Fraction:
        return self.worth * self.fraction

    @property
    def entries(self):
        """(right, total) for a vector or matrix answer compared entry by entry, or None."""
        return getattr(self.verdict, "entries", None) if self.verdict is not None else None

    @property
    def wrong_entries(self) -> list:
        return list(getattr(self.verdict, "wrong_entries", None) or []) if self.verdict is not None else []


def read_rows(path, required=COLUMNS) -> list[Row]:
    """The rows of an answers CSV; a file without the ``required`` columns is an error."""
    where = clip(path, None)
    content = read_text(path, "a CSV file", limit=MAX_FILE)
    return parse_rows(content, where, required)


def read_header(content: str, where: str, expected: str) -> tuple:
    """(a CSV reader past the header line, the header); a file without one is an error."""
    reader = csv.reader(io.StringIO(content.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        return reader, next(reader)
    except StopIteration:
        raise SymbackpropError(f"{where}: empty file; expected a header line {expected}") from None
    except csv.Error as exc:
        raise SymbackpropError(f"{where}: line 1: {exc}") from None


def parse_rows(content: str, where: str = "answers", required=COLUMNS) -> list[Row]:
    """The rows; ``required``: the columns a file must have (an assignment's answers
    need ``student``, ``id`` and ``answer``, the question gives ``wrt``)."""
    reader, header = read_header(content, where, ",".join(required))
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise SymbackpropError(f"{where}: line 1: expected the columns {','.join(required)}; "
                               f"missing {', '.join(missing)} (found {clip(', '.join(header)) or 'nothing'})")
    for c in COLUMNS + OPTIONAL:
        if names.count(c) > 1:
            raise SymbackpropError(f"{where}: line 1: the column {c} appears "
                                   f"{names.count(c)} times in the header; keep one")
    at = {c: names.index(c) for c in COLUMNS + OPTIONAL if c in names}
    others = [(i, header[i]) for i, n in enumerate(names) if n not in at]
    rows: list[Row] = []
    while True:
        _refuse_many(rows, where)
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append(Row(line, "", "", "", f"line {line}: not valid CSV: {exc}"))
            if reader.line_num < line:
                break
            continue
        if not any(f.strip() for f in fields):
            continue
        fields = [undefuse(f) for f in fields]
        got = dict(enumerate(fields))
        student = got.get(at["student"], "").strip() if "student" in at else None
        points = _points(got.get(at["points"], "") if "points" in at else "", where, line)
        policy = {"tolerance": tolerance_cell(got.get(at["tolerance"], ""), f"{where}: line {line}: tolerance")
                  if "tolerance" in at else None,
                  "closed": form_cell(got.get(at["form"], ""), f"{where}: line {line}: form")
                  if "form" in at else False}
        extra = tuple((name, got.get(i, "")) for i, name in others)
        if len(fields) != len(header):
            rows.append(Row(line, got.get(at["id"], "").strip(), got.get(at.get("wrt"), ""),
                            got.get(at["answer"], ""),
                            f"line {line}: {len(fields)} fields where the header has "
                            f"{len(header)}; quote an answer that contains commas",
                            student, points, extra, **policy))
            continue
        rows.append(Row(line, fields[at["id"]].strip(), got.get(at.get("wrt"), ""), fields[at["answer"]],
                        None, student, points, extra, **policy))
    _refuse_many(rows, where)
    return rows


def undefuse(cell: str) -> str:
    """A cell as it was before a ``'`` was put in front of its formula start (``'-a δ``
    is ``-a δ``); any other cell as it is."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _refuse_many(rows, where) -> None:
    if len(rows) > MAX_ROWS:
        raise SymbackpropError(f"{where}: more than {MAX_ROWS:,} answers, the limit of one run; "
                               "grade them in parts")


def _points(cell: str, where: str, line: int) -> Fraction:
    """A ``points`` cell: a number from 0 to :data:`MAX_POINTS` (decimal or a fraction
    such as 1/3); an empty cell is 1."""
    text = cell.strip()
    if not text:
        return Fraction(1)
    try:   # Fraction("1_000") is 1000 in Python; a points cell has no underscores
        value = Fraction(text) if text.isascii() and "_" not in text else None
    except (ValueError, ZeroDivisionError):
        value = None
    if value is None or not 0 <= value <= MAX_POINTS:
        raise SymbackpropError(f"{where}: line {line}: points: expected a number from 0 to "
                               f"{MAX_POINTS}, got {quote(cell)}")
    return value


def grade_row(net, row: Row, *, symbolic: bool = True,
              undecided: Fraction = UNDECIDED_SCORE, policy: Policy | None = None) -> Graded:
    """One row checked, scored and given its feedback sentence (``policy``: the spec's
    by default)."""
    if policy is None:
        policy = policy_of(net)
    graded = _check(net, row, symbolic, policy.for_question(row.tolerance, row.closed))
    graded.resolved = graded.verdict.wrt if graded.verdict is not None else _resolved(net, row.wrt)
    graded.fraction = fraction(graded, undecided, policy)
    graded.feedback = feedback_for(graded, policy.feedback)
    return graded


def _resolved(net, wrt: str) -> str | None:
    """The name of the node ``wrt`` names (``b^{(3)}_1`` is ``b^{(3)}_{1}``), or None."""
    if not wrt.strip():
        return None
    try:
        node = resolve_wrt(reference(net), wrt)
    except SymbackpropError:
        return None
    return node.name


def _check(net, row: Row, symbolic: bool, policy: Policy) -> Graded:
    if row.problem:
        return Graded(row, error=row.problem)
    if not row.wrt.strip():
        return Graded(row, error=f"line {row.line}: the wrt field is empty")
    try:
        return Graded(row, verdict=check_answer(net, row.wrt, row.answer, symbolic=symbolic,
                                                policy=policy))
    except AnswerReadError as exc:
        return Graded(row, error=f"line {row.line}: {exc}", position=exc.position)
    except SymbackpropError as exc:
        return Graded(row, error=f"line {row.line}: {exc}")


def fraction(graded: Graded, undecided: Fraction = UNDECIDED_SCORE,
             policy: Policy = DEFAULT) -> Fraction:
    """The fraction of its points a row scores (see the module docstring)."""
    outcome = graded.outcome
    if outcome == "equivalent":
        return Fraction(1)
    if outcome == "undecided":
        return Fraction(undecided)
    if outcome != "not_equivalent":
        return Fraction(0)
    part = policy.credit_for(graded.verdict.diagnosis)
    if graded.entries:
        right, total = graded.entries
        if total > 0 and 0 <= right <= total:
            part = max(part, Fraction(right, total))
    return part


def grade(net, rows, *, progress=None, symbolic: bool = True,
          undecided: Fraction = UNDECIDED_SCORE, policy: Policy | None = None) -> list[Graded]:
    """Every row checked, in order; ``progress(done, total)`` is called after each. A
    teacher's mistake of the policy that cannot be read stops it before the first row."""
    if policy is None:
        policy = policy_of(net)
    prepare(net, policy)
    out = []
    total = len(rows)
    for done, row in enumerate(rows, start=1):
        out.append(grade_row(net, row, symbolic=symbolic, undecided=undecided, policy=policy))
        if progress is not None:
            progress(done, total)
    return last_answers_count(out)


def last_answers_count(results: list[Graded]) -> list[Graded]:
    """Each earlier answer of a student to a question marked as replaced by the last one
    (see the module docstring)."""
    last: dict = {}
    for r in results:
        if all(r.question):
            last[r.question] = r
    for r in results:
        later = last.get(r.question)
        if later is not None and later is not r:
            r.replaced_by = later.row.line
            r.feedback = (f"Not counted: line {later.row.line} answers this question again, and the "
                          f"last answer counts. {r.feedback}").rstrip()
    return results


def summary(results) -> dict:
    counts = {"equivalent": 0, "not_equivalent": 0, "undecided": 0, "error": 0}
    for r in results:
        counts[r.outcome] += 1
    counts["total"] = len(results)
    return counts


def right_of(results) -> tuple[int, int]:
    """(answers right, answers counted): an answer replaced by a later one is not counted."""
    kept = [r for r in results if r.replaced_by is None]
    return sum(1 for r in kept if r.outcome == "equivalent"), len(kept)


def replaced_note(results) -> str:
    """A sentence on the answers replaced by a later answer to the same question, or ""."""
    replaced = [r for r in results if r.replaced_by is not None]
    if not replaced:
        return ""
    n = len(replaced)
    same = "student and id" if replaced[0].row.student else "id and wrt"
    return (f"{n} {'answer is' if n == 1 else 'answers are'} not counted: a later row answers the same "
            f"question (the same {same}), and the last answer counts.")


def common_mistakes(results, limit: int = 5) -> list[tuple[str, int]]:
    """(diagnosis, how many counted answers have it), most common first (ties by name)."""
    counts: dict = {}
    for r in results:
        if r.verdict is not None and r.verdict.diagnosis and r.replaced_by is None:
            counts[r.verdict.diagnosis] = counts.get(r.verdict.diagnosis, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def totals(results) -> list[tuple[str, Fraction, Fraction]]:
    """(student, score, max) per student, in the order students first appear."""
    out: dict = {}
    for r in results:
        score, most = out.get(r.row.who, (Fraction(0), Fraction(0)))
        out[r.row.who] = (score + r.score, most + r.worth)
    return [(who, score, most) for who, (score, most) in out.items()]


class ProgressBar:
    """``[#####·····]  512/1000`` redrawn in place on a terminal stream."""

    def __init__(self, stream, width: int = 30):
        self.stream = stream
        self.width = width

    def __call__(self, done: int, total: int):
        filled = self.width * done // max(total, 1)
        self.stream.write("\r[%s%s] %d/%d" % ("#" * filled, "·" * (self.width - filled), done, total))
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
