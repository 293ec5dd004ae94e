"""An assignment folder's ``manifest.json`` read back (DESIGN.md "Assignments"), by
``grade DIR`` and by ``serve DIR`` alike: the title, the questions by id, and each
student's variant spec (a path inside the folder), each variant loaded once.

Every question is checked and given its defaults (``kind`` formula, ``points`` 1); a
manifest that is not JSON, or not of this shape, is one error naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SymbackpropError
from ..notation.quoting import clip, quote

MANIFEST = "manifest.json"
#: Largest manifest read, in bytes.
MAX_MANIFEST = 50_000_000
#: Largest number of points a question is worth.
MAX_POINTS = 10 ** 6


class Manifest:
    """``DIR/manifest.json``: ``title``, ``questions`` (id → the question's fields) and
    ``students`` (id → the variant spec's path relative to the folder)."""

    def __init__(self, directory, load=None):
        from ..io import read_text
        self.directory = Path(directory)
        self.where = clip(str(self.directory / MANIFEST), None)
        text = read_text(self.directory / MANIFEST, "the assignment's manifest", limit=MAX_MANIFEST)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SymbackpropError(f"{self.where}: not JSON: {exc.msg} (line {exc.lineno}, "
                                   f"column {exc.colno})") from None
        if not isinstance(data, dict) or not isinstance(data.get("questions"), list) \
                or not isinstance(data.get("students"), dict) or not data["students"]:
            raise SymbackpropError(f"{self.where}: expected an object with a list \"questions\" and an object "
                                   "\"students\" (as `symbackprop assign` writes it)")
        self.title = data["title"] if isinstance(data.get("title"), str) else self.directory.name
        self.questions = {}
        for n, q in enumerate(data["questions"], start=1):
            question = _question(f"{self.where}: questions[{n}]", q)
            self.questions[question["id"]] = question
        self.students = {name: self._spec(name, entry) for name, entry in data["students"].items()}
        self._load = load
        self._nets = {}

    def _spec(self, name: str, entry) -> str:
        spec = entry.get("spec") if isinstance(entry, dict) else None
        if not isinstance(spec, str) or not spec:
            raise SymbackpropError(f"{self.where}: students.{quote(name)}.spec: expected a path to the variant")
        if self.directory.resolve() not in (self.directory / spec).resolve().parents:
            raise SymbackpropError(f"{self.where}: students.{quote(name)}.spec: {quote(spec)} is outside the folder")
        return spec

    def spec_of(self, student: str) -> Path:
        """The path of a student's variant spec."""
        return (self.directory / self.students[student]).resolve()

    def net(self, student: str):
        """The student's variant, loaded once (by the ``load`` given, else as a spec)."""
        if student not in self._nets:
            from ..builders.spec import load
            self._nets[student] = (self._load or load)(self.spec_of(student))
        return self._nets[student]


def _question(field: str, q) -> dict:
    """A question's fields, checked, with ``kind`` and ``points`` filled in."""
    if not isinstance(q, dict) or not all(isinstance(q.get(k), str) and q.get(k) for k in ("id", "wrt")):
        raise SymbackpropError(f"{field}: expected an object with \"id\" and \"wrt\"")
    points = q.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 <= points <= MAX_POINTS:
        raise SymbackpropError(f"{field}.points: expected a number from 0 to {MAX_POINTS}")
    kind = q.get("kind", "formula")
    if kind not in ("formula", "number"):
        raise SymbackpropError(f"{field}.kind: expected \"formula\" or \"number\", got {quote(str(kind))}")
    tolerance = q.get("tolerance")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, str))):
        raise SymbackpropError(f"{field}.tolerance: expected a number or a percentage such as \"1%\"")
    return {**q, "kind": kind, "points": points}
