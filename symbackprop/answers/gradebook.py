"""Files for grade books: per-student totals as CSV, and Gradescope's ``results.json``.

**Totals** (``grade --totals FILE``): one row per student, in the order students first
appear in the answers file, with the columns

* ``student``: the ``student`` cell of the answers file, or the row's ``id`` where the
  file has no such column (a file with the column and an empty cell is refused: the
  row's score would be filed under its id);
* ``score``: the sum of the student's scores (at most 4 decimals);
* ``max``: the sum of the points of the student's rows.

Moodle's CSV grade import maps columns when the file is uploaded: map ``student`` to the
user field it holds (username, email address or ID number) and ``score`` to the grade
item, and leave ``max`` unmapped. Canvas matches rows on its own identifier columns and
Blackboard on ``Username``: keep the student's login (SIS login ID, username) in the
``student`` column, and rename the header to ``SIS Login ID`` (Canvas, which also wants
its ``Student`` and ``Section`` columns, as in its gradebook export) or ``Username``
(Blackboard). A cell that would start a spreadsheet formula is defused as in the report.

**Gradescope** (``grade --gradescope FILE``): the autograder's ``results.json`` for one
submission, with the fields Gradescope documents: top-level ``score`` (the total),
``output`` (one line: how many answers are right), ``tests`` (one per counted answer, in
order: an answer replaced by a later one to the same question is left out), each with
``name``, ``number``, ``score``, ``max_score``, ``status`` (``passed`` when the answer
earns all its points, else ``failed``), ``output`` (the feedback sentence and the
answer as read) and ``visibility`` ``"visible"``). An answers file with answers of
several students is refused: Gradescope runs the autograder once per submission; a
file without a ``student`` column is one submission, its ids naming the questions. No
time is recorded, so the file is the same on every run.
"""

from __future__ import annotations

import io
import json
from fractions import Fraction

from ..errors import SymbackpropError
from ..notation.printing import unicode_name
from ..notation.numerals import points
from .grade import replaced_note, right_of, totals
from ..reading.names import name_key
from .report import CsvRows, defuse

TOTALS_COLUMNS = ("student", "score", "max")

#: Gradescope's documented fields of results.json (the autograder specification).
GRADESCOPE_FIELDS = ("score", "execution_time", "output", "output_format", "test_output_format",
                     "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                     "leaderboard")
GRADESCOPE_TEST_FIELDS = ("score", "max_score", "status", "name", "name_format", "number", "output",
                          "output_format", "tags", "visibility", "extra_data")


def totals_csv(results) -> str:
    unnamed = [r.row.line for r in results if not r.row.who]
    if unnamed:
        raise SymbackpropError(f"--totals: line {unnamed[0]} has neither a student nor an id, so a "
                               "grade book cannot match its score; fill in one of them")
    blank = [r.row.line for r in results if r.row.student == ""]
    if blank:   # the file has a student column: its id would be taken for a student's
        raise SymbackpropError(f"--totals: line {blank[0]} has no student, so its score would be "
                               "filed under its id; fill in the student")
    buffer = io.StringIO()
    writer = CsvRows(buffer)
    writer.writerow(TOTALS_COLUMNS)
    for who, score, most in totals(results):
        writer.writerow([defuse(who), points(score), points(most)])
    return buffer.getvalue()


def one_submission(rows, option: str = "--gradescope") -> None:
    """Refuse rows of several students: a results.json is one submission's."""
    students = list(dict.fromkeys(r.student for r in rows if r.student))
    if len(students) > 1:
        shown = ", ".join(students[:3]) + (" …" if len(students) > 3 else "")
        raise SymbackpropError(f"{option}: writes one submission's results.json, but the answers "
                               f"file has answers of {len(students)} students ({shown}); "
                               "grade each submission on its own")


def _score(value) -> float | int:
    """A JSON number: an integer as such, else a float of the exact fraction."""
    return int(value) if value.denominator == 1 else float(value)


def asked(wrt: str) -> str:
    """What a question asks for, in Unicode: ∂C/∂w⁽²⁾₁₁, ∂C/∂W⁽²⁾, and a whole layer's δ
    as δ⁽¹⁾ (it is ∂C/∂z⁽¹⁾ already: ∂C/∂δ⁽¹⁾ would be another quantity)."""
    key = name_key(wrt)
    if key is not None and key[0] == r"\delta" and key[2] is None:
        return unicode_name(wrt)
    return "∂C/∂" + unicode_name(wrt)


def gradescope_json(results) -> str:
    tests = []
    counted_rows = [r for r in results if r.replaced_by is None]   # a replaced answer is no test
    for n, r in enumerate(counted_rows, start=1):
        v = r.verdict
        what = asked(r.resolved) if r.resolved else r.row.wrt.strip()
        name = f"{r.row.id}: {what}" if r.row.id else what
        lines = [r.feedback]
        if v is not None:
            lines.append("Your answer, as read: " + v.answer_text)
        tests.append({"name": name, "number": str(n), "score": _score(r.score),
                      "max_score": _score(r.worth),
                      "status": "passed" if r.fraction == 1 else "failed",
                      "output": "\n".join(lines), "visibility": "visible"})
    total = sum((r.score for r in results), 0)
    most = sum((r.worth for r in results), 0)
    note = replaced_note(results)
    data = {"score": _score(Fraction(total)),
            "output": "%d of %d answers right; %s of %s points." % (
                *right_of(results), points(total), points(most)) + (" " + note if note else ""),
            "tests": tests}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
