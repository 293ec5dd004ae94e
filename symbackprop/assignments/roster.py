"""The class list: a CSV with a ``student`` column (an id per row, each once); every other
column is kept and written to the manifest with the student."""

from __future__ import annotations

import csv

from ..errors import SymbackpropError
from ..io import read_text
from ..notation.quoting import check_title, clip, quote

MAX_STUDENTS = 2_000
MAX_FILE = 5_000_000


def read_roster(path) -> list:
    """(student, {column: cell}) per row, in the file's order."""
    where = clip(path, None)
    return parse_roster(read_text(path, "a roster CSV file", limit=MAX_FILE), where)


def parse_roster(content: str, where: str = "roster") -> list:
    from ..answers.grade import read_header
    reader, header = read_header(content, where, "with a student column")
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    if lowered.count("student") != 1:
        found = "found " + (clip(", ".join(header)) or "nothing")
        raise SymbackpropError(f"{where}: line 1: expected one column named student ({found})")
    if len(set(lowered)) != len(lowered):
        twice = next(n for n in names if lowered.count(n.lower()) > 1)
        raise SymbackpropError(f"{where}: line 1: the column {quote(twice)} appears twice; keep one")
    at = lowered.index("student")
    rows, seen = [], {}
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SymbackpropError(f"{where}: line {line}: not valid CSV: {exc}") from None
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise SymbackpropError(f"{where}: line {line}: {len(fields)} fields where the header has "
                                   f"{len(header)}")
        student = fields[at].strip()
        check_title(student or None, f"{where}: line {line}: student", SymbackpropError)
        if not student:
            raise SymbackpropError(f"{where}: line {line}: the student cell is empty")
        if student in seen:
            raise SymbackpropError(f"{where}: line {line}: student {quote(student)} is already on "
                                   f"line {seen[student]}; give each student one row")
        seen[student] = line
        rows.append((student, {names[i]: fields[i] for i in range(len(fields)) if i != at}))
        if len(rows) > MAX_STUDENTS:
            raise SymbackpropError(f"{where}: more than {MAX_STUDENTS:,} students, the limit of one assignment")
    if not rows:
        raise SymbackpropError(f"{where}: no students; expected a row per student under the header")
    return rows
