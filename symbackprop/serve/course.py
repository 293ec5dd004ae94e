"""What is served: one spec (anyone may answer any question) or an assignment folder (each
student answers their own variant's questions, behind a personal link).

An assignment folder's ``manifest.json`` is read as ``grade DIR`` reads it
(:class:`symbackprop.assignments.manifest.Manifest`: the questions, and each student's
variant spec inside the folder). This module loads no network: they are loaded where
they are used (the page, the workers).

**Personal links.** Each student gets a random token, written once to ``DIR/links.csv``
(``student,token,path``): a restart reads the file back and keeps every token; only a
student the file lacks gets a new one (the file is then written again, atomically, with
the old tokens as they were).
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import SymbackpropError
from ..io import read_text, write_atomic
from ..notation.quoting import clip

LINKS = "links.csv"
#: Largest links file read, in bytes.
MAX_LINKS = 20_000_000


@dataclass(frozen=True)
class Question:
    """One question: its ``id`` (a single spec: the name of the parameter), the node it
    asks about (``wrt``), ``formula`` or ``number``, and what it is worth."""

    id: str
    wrt: str
    kind: str = "formula"
    points: Fraction = Fraction(1)
    #: a formula asked in closed form (no adjoints), as the manifest's ``"form": "closed"``
    closed: bool = False
    #: a number's tolerance as the manifest writes it (``0.0005`` absolute, ``1%`` relative)
    tolerance: str = ""

    def as_dict(self) -> dict:
        return {"id": self.id, "wrt": self.wrt, "kind": self.kind, "points": float(self.points)}


@dataclass(frozen=True)
class Course:
    """A single spec (``students`` empty) or a class (``students``: name → variant spec)."""

    title: str
    spec: Path | None
    questions: tuple
    students: dict
    folder: Path | None = None
    #: the name of the output whose gradient every question asks for
    output: str = "C"

    @property
    def is_class(self) -> bool:
        return self.folder is not None

    @property
    def source(self) -> str:
        """What ``grade`` is given to grade these answers: the folder of a class, else the spec."""
        return str(self.folder.resolve() if self.is_class else self.spec)

    def spec_of(self, student: str | None) -> Path:
        """The spec a student's answers are checked against."""
        return self.students[student] if self.is_class else self.spec

    def question(self, qid: str | None, wrt: str | None) -> Question | None:
        """The question an ``id`` names (or, without an id, the one asking about ``wrt``);
        on a single spec, any ``wrt`` is a question worth 1 point."""
        for q in self.questions:
            if (qid and q.id == qid) or (not qid and wrt and q.wrt == wrt):
                return q
        if self.is_class or not wrt:
            return None
        return Question(wrt, wrt)


def load_course(path) -> Course:
    """The course at ``path``: an assignment folder (with a manifest), else a spec."""
    where = Path(path)
    if where.is_dir():
        return _assignment(where)
    from ..loading import load
    net = load(where)
    questions = tuple(Question(n.name, n.name) for n, node in net.nodes.items() if node.kind == "param")
    return Course(net.title or where.name, where, questions, {}, output=net.cost_symbol.name)


def _assignment(folder: Path) -> Course:
    """A class: the folder's manifest as ``grade DIR`` reads it."""
    from ..assignments.manifest import Manifest
    manifest = Manifest(folder)
    questions = tuple(_question(q) for q in manifest.questions.values())
    students = {name: manifest.spec_of(name) for name in manifest.students}
    return Course(manifest.title, None, questions, students, folder)


def _question(q: dict) -> Question:
    """A question of the manifest (checked there)."""
    tolerance = q.get("tolerance", "")
    return Question(q["id"], q["wrt"], q["kind"], Fraction(str(q["points"])), q.get("form") == "closed",
                    f"{tolerance:g}" if isinstance(tolerance, (int, float)) else tolerance)


# --- personal links ----------------------------------------------------------------------

def links(course: Course) -> dict:
    """token → student for a class, reading ``DIR/links.csv`` and adding a token for each
    student it lacks (the file is written only then)."""
    path = course.folder / LINKS
    known = _read_links(path) if path.exists() else {}
    missing = [s for s in course.students if s not in known]
    for student in missing:
        known[student] = secrets.token_hex(16)      # 128 bits; hex: no cell a spreadsheet runs
    if missing:
        write_atomic(path, _links_csv(known))
    return {token: student for student, token in known.items() if student in course.students}


def _read_links(path: Path) -> dict:
    from ..answers.grade import undefuse
    rows = csv.DictReader(io.StringIO(read_text(path, "the class's links file", limit=MAX_LINKS)))
    known = {}
    for row in rows:
        student, token = undefuse(row.get("student") or ""), row.get("token")
        if not student or not token:
            raise SymbackpropError(f"{clip(path, None)}: line {rows.line_num}: expected the columns "
                                   "student,token,path; delete the file to make new links")
        known[student] = token
    return known


def _links_csv(known: dict) -> str:
    from ..answers.report import CsvRows, defuse
    buffer = io.StringIO()
    writer = CsvRows(buffer)
    writer.writerow(["student", "token", "path"])
    for student, token in known.items():
        writer.writerow([defuse(student), token, f"/s/{token}"])
    return buffer.getvalue()
