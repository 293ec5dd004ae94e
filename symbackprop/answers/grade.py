"""Batch grading: a CSV of answers (columns ``id,wrt,answer``) checked one by one.

A row that cannot be checked (a missing field, an unknown ``wrt``, an answer that cannot
be read) becomes a row of verdict ``error`` with the message: the batch goes on. Only a
file that is not a CSV of those columns, or that names one of them twice, stops it.
Everything per question is cached by :mod:`reference` and :mod:`diagnose` (the derived
formula's values at the points, the mistaken formulas' values), so a class's answers to
one question cost one reading and one walk of each answer's tree per point.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..errors import SymbackpropError
from ..io import read_text
from ..quoting import clip
from .lexer import AnswerReadError
from .verdict import Verdict, check_answer

COLUMNS = ("id", "wrt", "answer")
#: Largest answers file read, in bytes.
MAX_FILE = 50_000_000


@dataclass
class Row:
    """One line of the answers CSV: ``id`` stripped of surrounding spaces, ``wrt`` and
    ``answer`` exactly as written (the report shows the student's ``wrt`` as is)."""

    line: int
    id: str
    wrt: str
    answer: str
    problem: str | None = None


@dataclass
class Graded:
    """One row's outcome: a :class:`Verdict`, or an ``error`` message (and where in the
    answer it is, for reading errors)."""

    row: Row
    verdict: Verdict | None = None
    error: str | None = None
    position: int | None = None

    @property
    def outcome(self) -> str:
        return self.verdict.verdict if self.verdict is not None else "error"


def read_rows(path) -> list[Row]:
    """The rows of an answers CSV; a file without the columns is an error."""
    where = clip(path, None)
    content = read_text(path, "a CSV file", limit=MAX_FILE)
    return parse_rows(content, where)


def parse_rows(content: str, where: str = "answers") -> list[Row]:
    lines = io.StringIO(content.removeprefix("\ufeff"), newline="")
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise SymbackpropError(f"{where}: empty file; expected a header line id,wrt,answer") from None
    except csv.Error as exc:
        raise SymbackpropError(f"{where}: line 1: {exc}") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise SymbackpropError(f"{where}: line 1: expected the columns id,wrt,answer; "
                               f"missing {', '.join(missing)} (found {clip(', '.join(header)) or 'nothing'})")
    for c in COLUMNS:
        if names.count(c) > 1:
            raise SymbackpropError(f"{where}: line 1: the column {c} appears "
                                   f"{names.count(c)} times in the header; keep one")
    at = {c: names.index(c) for c in COLUMNS}
    rows: list[Row] = []
    while True:
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
        if len(fields) != len(header):
            got = dict(enumerate(fields))
            rows.append(Row(line, got.get(at["id"], "").strip(), got.get(at["wrt"], ""),
                            got.get(at["answer"], ""),
                            f"line {line}: {len(fields)} fields where the header has "
                            f"{len(header)}; quote an answer that contains commas"))
            continue
        rows.append(Row(line, fields[at["id"]].strip(), fields[at["wrt"]], fields[at["answer"]]))
    return rows


def grade_row(net, row: Row, *, symbolic: bool = True) -> Graded:
    if row.problem:
        return Graded(row, error=row.problem)
    if not row.wrt.strip():
        return Graded(row, error=f"line {row.line}: the wrt field is empty")
    try:
        return Graded(row, verdict=check_answer(net, row.wrt, row.answer, symbolic=symbolic))
    except AnswerReadError as exc:
        return Graded(row, error=f"line {row.line}: {exc}", position=exc.position)
    except SymbackpropError as exc:
        return Graded(row, error=f"line {row.line}: {exc}")


def grade(net, rows, *, progress=None, symbolic: bool = True) -> list[Graded]:
    """Every row checked, in order; ``progress(done, total)`` is called after each."""
    out = []
    total = len(rows)
    for done, row in enumerate(rows, start=1):
        out.append(grade_row(net, row, symbolic=symbolic))
        if progress is not None:
            progress(done, total)
    return out


def summary(results) -> dict:
    counts = {"equivalent": 0, "not_equivalent": 0, "undecided": 0, "error": 0}
    for r in results:
        counts[r.outcome] += 1
    counts["total"] = len(results)
    return counts


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
