"""An assignment: a template spec, a roster, and each student's checked variant.

    >>> a = sb.assign("examples/homework.toml", ["ada", "grace"])
    >>> a.variants["ada"].code
    '8a7fe37e'
    >>> sorted(a.files())[:3]
    ['canvas-qti.zip', 'keys.tex', 'keys/ada.html']

:meth:`Assignment.files` is every file of the folder as bytes (byte-identical on every
run: no dates, no names of the folder); :meth:`Assignment.write` writes them into a new
folder whole or not at all (a temporary folder beside it, renamed into place).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import SpecError, SymbackpropError
from ..notation.quoting import clip
from . import specfile, variants
from .exercise import of_sections as exercise_of
from .roster import parse_roster, read_roster

_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def assign(spec, roster, output=None) -> Assignment:
    """The assignment of a template (a spec path or dict with ``[exercise]``) to a roster
    (a CSV path, or a list of student ids, or of (id, {column: cell}) pairs); written to
    the folder ``output`` if given (as ``symbackprop assign`` writes it).

        >>> a = sb.assign("examples/homework.toml", ["ada"])
        >>> a.title, [q.id for q in a.exercise.questions]
        ('Homework 3: backpropagation', ['q1', 'q2', 'q3', 'q4'])
    """
    if output is not None:
        writable_folder(output)         # refused before the variants are drawn
    assignment = Assignment(spec, roster)
    if output is not None:
        assignment.write(output)
    return assignment


class Assignment:
    """The template, the exercise, and per student the variant (``variants``) and its
    network built from the variant's spec (``nets``)."""

    def __init__(self, spec, roster):
        self.template = _template(spec)
        self.where = "spec" if isinstance(spec, dict) else clip(str(spec), None)
        exercise = self.template.exercise
        if exercise is None:
            raise SpecError(f"{self.where}: no [exercise] section: a template for assign needs one "
                            "(questions, and the grids to vary)")
        self.exercise = exercise
        self.title = exercise.title or self.template.title or "Assignment"
        self.roster = _roster(roster)
        self._check_template()
        self.nets = {}
        self.variants = {}
        for student, _ in self.roster:
            self.variants[student] = self._draw(student)

    def _check_template(self) -> None:
        absent = variants.missing(self.template, self.exercise)
        if absent:
            raise SpecError(f"{self.where}: {absent[0].name} has no value and no grid varies it; give "
                            "it a value or add its group to [exercise.vary]")
        try:
            variants.asked(self.template, self.exercise)
        except SpecError as exc:
            raise SpecError(f"{self.where}: {exc}") from None

    def _draw(self, student: str):
        try:
            return variants.draw(self.template, self.exercise, student,
                                 verify=lambda v: self._verify(student, v))
        except SpecError as exc:
            raise SpecError(f"{self.where}: {exc}") from None

    def variant_spec(self, variant) -> dict:
        """The variant as a spec dict (what its TOML file holds).

            >>> a = sb.assign("examples/homework.toml", ["ada"])
            >>> a.variant_spec(a.variants["ada"])["point"]["x"]
            [Fraction(1, 2), Fraction(-1, 1)]
        """
        return specfile.variant(self.exercise.spec, self.template, variant.values)

    def _verify(self, student, variant):
        from ..builders.spec import from_dict
        from .checks import problem
        net = from_dict(self.variant_spec(variant), f"variant of {student}")
        found = problem(net, self.exercise)
        if found is None and student is not None:
            self.nets[student] = net
        return found

    def variant_of_code(self, code: str):
        """The variant a sheet's code regenerates (as :func:`variants.draw_code`).

            >>> a = sb.assign("examples/homework.toml", ["ada"])
            >>> a.variant_of_code("8a7fe37e").values == a.variants["ada"].values
            True
        """
        if not re.fullmatch(r"[0-9a-f]{8}", code):
            raise SymbackpropError(f"variant code {clip(code)}: expected 8 hex digits")
        return variants.draw_code(self.template, self.exercise, code,
                                  verify=lambda v: self._verify(None, v))

    # --- the folder ---------------------------------------------------------------------

    def slugs(self) -> dict:
        """student → a file name stem: the id where it is safe and unique (ignoring case),
        else its safe letters and its code.

            >>> sb.assign("examples/homework.toml", ["ada", "O'Brien"]).slugs()
            {'ada': 'ada', "O'Brien": 'O-Brien-95354036'}
        """
        out, used = {}, set()
        for student, _ in self.roster:
            stem = _SAFE.sub("-", student).strip("-")[:40] or "student"
            if stem != student or stem.lower() in used:
                stem = f"{stem}-{self.variants[student].code}"
            used.add(stem.lower())
            out[student] = stem
        return out

    def manifest(self) -> dict:
        """``manifest.json`` (DESIGN.md): title, questions, and per student the files.

            >>> sb.assign("examples/homework.toml", ["ada"]).manifest()["students"]["ada"]["spec"]
            'students/ada.toml'
        """
        slugs = self.slugs()
        students = {}
        for student, columns in self.roster:
            stem = slugs[student]
            students[student] = {"spec": f"students/{stem}.toml", "code": self.variants[student].code,
                                 "sheet": f"sheets/{stem}.tex", "sheet_html": f"sheets/{stem}.html",
                                 "key": f"keys/{stem}.tex", "key_html": f"keys/{stem}.html",
                                 "roster": columns}
        return {"title": self.title, "seed": self.exercise.seed,
                "questions": [q.as_dict() for q in self.exercise.questions], "students": students}

    def files(self) -> dict:
        """Every file of the folder: relative path → bytes, sorted by path.

            >>> files = sb.assign("examples/homework.toml", ["ada"]).files()
            >>> files["students/ada.toml"].decode().splitlines()[-2:]
            ['x = [0.5, -1]', 'y = [1]']
        """
        from .documents import documents
        manifest = self.manifest()
        out = {"manifest.json": (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")}
        for student, _ in self.roster:
            spec = self.variant_spec(self.variants[student])
            out[manifest["students"][student]["spec"]] = specfile.toml(spec).encode("utf-8")
        out.update(documents(self, manifest))
        return dict(sorted(out.items()))

    def write(self, directory) -> None:
        """Write :meth:`files` into ``directory`` (which must not exist, or be empty).

            >>> a = sb.assign("examples/homework.toml", ["ada"])
            >>> a.write("/nonexistent/folder/out")
            Traceback (most recent call last):
            ...
            symbackprop.errors.SymbackpropError: /nonexistent/folder/out: cannot write: its parent folder does not exist
        """
        write_folder(directory, self.files())

    def expected(self, student: str, question) -> float:
        """The right value of a question at the student's numbers.

            >>> a = sb.assign("examples/homework.toml", ["ada"])
            >>> round(a.expected("ada", a.exercise.questions[2]), 6)
            -0.001837
        """
        from .checks import right_value
        return right_value(self.nets[student], question)


def _template(spec):
    """The template's graph, its sections read as :func:`symbackprop.load` reads them: a
    bad ``[grading]`` stops ``assign`` before any variant is drawn (each variant's spec
    carries it), then the ``[exercise]`` (None without one)."""
    from ..answers.policy import policy_of
    from ..builders.spec import load
    graph = load(spec)
    policy_of(graph)
    graph.exercise = exercise_of(graph, graph.sections)
    return graph


def _roster(roster) -> list:
    if isinstance(roster, (str, os.PathLike)):
        return read_roster(roster)
    if isinstance(roster, (list, tuple)):
        rows = [r if isinstance(r, tuple) else (r, {}) for r in roster]
        text = "student\n" + "".join(f"{_csv_cell(s)}\n" for s, _ in rows)
        checked = parse_roster(text, "roster")
        return [(s, dict(columns)) for (s, _), (_, columns) in zip(checked, rows)]
    raise SymbackpropError("roster: expected a CSV file path or a list of student ids")


def _csv_cell(text) -> str:
    text = str(text)
    return '"' + text.replace('"', '""') + '"'


def write_folder(directory, files: dict) -> None:
    """``files`` written into a temporary folder beside ``directory`` and renamed into
    place: the folder appears whole or not at all. ``directory`` must not exist yet or
    be empty."""
    target = Path(directory)
    shown = clip(str(directory), None)
    parent = writable_folder(directory)
    tmp = None
    try:
        tmp = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        os.chmod(tmp, 0o777 & ~_umask())
        for name, data in files.items():
            path = Path(tmp, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise SymbackpropError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def writable_folder(directory) -> Path:
    """The parent of ``directory``, once ``directory`` is known to be new or empty."""
    target = Path(directory)
    shown = clip(str(directory), None)
    if str(directory) == "":
        raise SymbackpropError("the output folder's path is empty")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SymbackpropError(f"{shown}: exists and is not an empty folder; give a new folder")
    parent = target.resolve().parent
    if not parent.is_dir():
        raise SymbackpropError(f"{shown}: cannot write: its parent folder does not exist")
    return parent


def _umask() -> int:
    from ..io import _umask as umask
    return umask()
