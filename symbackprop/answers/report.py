"""Grade reports: CSV, JSON, or HTML with each answer as typed and as MathML next to the
expected formula. The format follows the report file's extension (``.csv``, ``.json``,
``.html``/``.htm``).

``wrt`` is the student's text exactly as written in the answers file; ``resolved`` is
the canonical name of the node it means (empty when it names none). ``score`` is the
row's points × the fraction it earns (see :mod:`grade`), ``max`` its points (what it
was worth: 0 for an answer replaced by a later answer to the same question, whose line
``replaced_by`` gives; in the JSON report ``points`` stays the number of points compared),
``feedback`` the sentence for the student (:mod:`feedback`); ``entries`` is ``right/total``
for a vector or matrix answer. Every column of the answers file other than id, wrt,
answer, student, points, tolerance and form is kept, after the report's own columns,
under its own name (one that a report column already has gets `` (answers file)``
appended).

**Formula injection.** A spreadsheet opening the CSV report runs a cell that begins
with ``=``, ``+``, ``-`` or ``@`` (and some also after a leading tab or carriage return)
as a formula, e.g. an id ``=HYPERLINK(…)``. In the CSV report only, every cell that
begins with one of these characters (the text of the answers file above all: ``id``,
``wrt``, ``answer``, ``student``, the kept columns) is prefixed with a single quote ``'``
(``-a δ`` becomes ``'-a δ``), which spreadsheets show as text; a plain negative number
is left as it is; ``grade`` takes that quote off again when it reads such a file
(:func:`grade.undefuse`). The JSON and HTML reports keep the text as is (HTML escapes it).
"""

from __future__ import annotations

import csv
import html
import io
import json

from latex2mathml.converter import convert

from ..errors import SymbackpropError
from ..notation.numerals import points, short
from ..notation.quoting import counted
from .compare import shown as shown_pair
from .feedback import BUILT_IN, sentence
from .grade import FORMULA_STARTS, common_mistakes, replaced_note, right_of, summary, totals

FORMATS = {".csv": "csv", ".json": "json", ".html": "html", ".htm": "html"}
CSV_COLUMNS = ("id", "wrt", "resolved", "verdict", "diagnosis", "explanation", "score", "max",
               "feedback", "student", "reason", "answer", "answer_latex", "expected",
               "counterexample_point", "counterexample_answer", "counterexample_expected",
               "symbolic", "entries", "wrong_entries", "error", "replaced_by")


def format_for(path: str) -> str:
    """The report format of a file name, or an error naming the extensions."""
    lower = str(path).lower()
    for ext, fmt in FORMATS.items():
        if lower.endswith(ext):
            return fmt
    raise SymbackpropError(f"{path}: unknown report format; use a file name ending in "
                           ".csv, .json or .html")


def row_dict(result) -> dict:
    """One graded row as plain data."""
    row, v = result.row, result.verdict
    out = {"id": row.id, "line": row.line, "student": row.student, "wrt": row.wrt,
           "resolved": v.wrt if v else None, "verdict": result.outcome, "answer": row.answer,
           "score": float(result.score), "max": float(result.worth),
           "feedback": result.feedback, "replaced_by": result.replaced_by}
    if v is not None:
        out.update({"answer_latex": v.answer, "expected": v.expected,
                    "counterexample": v.counterexample, "diagnosis": v.diagnosis,
                    "explanation": v.explanation, "reason": v.reason, "symbolic": v.symbolic,
                    "points": v.points, "error": None})
    else:
        out.update({"answer_latex": None, "expected": None, "counterexample": None,
                    "diagnosis": None, "explanation": None, "reason": None, "symbolic": None,
                    "points": 0, "error": result.error, "position": result.position})
    entries = result.entries
    out["entries"] = list(entries) if entries else None
    out["wrong_entries"] = result.wrong_entries
    out["columns"] = dict(_kept(row.extra))
    return out


def _kept(extra) -> list:
    """The kept columns' (name, cell), a name the report already uses marked as the
    answers file's, a repeated one numbered."""
    taken = set(CSV_COLUMNS)
    out = []
    for name, cell in extra:
        shown = f"{name} (answers file)" if name.strip().lower() in taken else name
        base, n = shown, 1
        while shown in taken:
            n += 1
            shown = f"{base} ({n})"
        taken.add(shown)
        out.append((shown, cell))
    return out


def scores(results) -> dict:
    """The class's total score and the most common mistakes, for the reports."""
    total = sum((r.score for r in results), 0)
    most = sum((r.worth for r in results), 0)
    right, answers = right_of(results)
    return {"score": float(total), "max": float(most), "right": right, "answers": answers,
            "replaced": sum(1 for r in results if r.replaced_by is not None),
            "common_mistakes": [{"diagnosis": code, "count": count, "feedback": _said(code, results)}
                                for code, count in common_mistakes(results)]}


def _said(code: str, results) -> str:
    """The feedback sentence of a mistake: a teacher's own mistake has the teacher's."""
    if code.partition("+")[0] in BUILT_IN:
        return sentence(code)
    return next(r.verdict.explanation for r in results
                if r.verdict is not None and r.verdict.diagnosis == code)


def to_json(results, title=None) -> str:
    return json.dumps({"title": title, "summary": summary(results), "scores": scores(results),
                       "students": [{"student": who, "score": float(score), "max": float(most)}
                                    for who, score, most in totals(results)],
                       "rows": [row_dict(r) for r in results]}, indent=1, ensure_ascii=False) + "\n"


def _point(c) -> str:
    return "; ".join(f"{k}={short(v)}" for k, v in c["point"].items())


#: First characters that make a spreadsheet read a cell as a formula.


def defuse(cell: str) -> str:
    """``cell`` with a ``'`` in front when a spreadsheet would read it as a formula; a plain
    negative number such as -0.5 is left as it is."""
    if not cell.startswith(FORMULA_STARTS) or _negative_number(cell):
        return cell
    return "'" + cell


def _negative_number(cell: str) -> bool:
    try:
        return cell.startswith("-") and float(cell) < 0
    except ValueError:
        return False


class CsvRows:
    """``csv.writer`` with ``\n`` line ends that also quotes a cell holding a carriage
    return (the plain writer quotes only the characters of its line terminator, so a
    bare ``\r`` would end the row for every reader)."""

    def __init__(self, buffer):
        self._buffer = buffer

    def writerow(self, cells) -> None:
        row = io.StringIO()
        csv.writer(row, lineterminator="\r\n").writerow(cells)
        self._buffer.write(row.getvalue()[:-2] + "\n")


def to_csv(results) -> str:
    buffer = io.StringIO()
    writer = CsvRows(buffer)
    kept = [name for name, _ in _kept(results[0].row.extra)] if results else []
    writer.writerow(list(CSV_COLUMNS) + [defuse(name) for name in kept])
    for r in results:
        d = row_dict(r)
        c = d["counterexample"]
        entries = d["entries"]
        cells = [d["id"], d["wrt"], d["resolved"] or "", d["verdict"],
                 d["diagnosis"] or "", d["explanation"] or "", points(r.score), points(r.worth),
                 d["feedback"], d["student"] or "", d["reason"] or "", d["answer"],
                 d["answer_latex"] or "", d["expected"] or "",
                 _point(c) if c else "", repr(c["answer"]) if c else "",
                 repr(c["expected"]) if c else "",
                 "" if d["symbolic"] is None else str(d["symbolic"]).lower(),
                 f"{entries[0]}/{entries[1]}" if entries else "", "; ".join(d["wrong_entries"]),
                 d["error"] or "", "" if r.replaced_by is None else str(r.replaced_by)] + [
                     cell for _, cell in r.row.extra]
        writer.writerow([defuse(cell) for cell in cells])
    return buffer.getvalue()


def mathml(latex: str | None) -> str:
    """MathML for LaTeX, or the LaTeX as code when the converter cannot read it."""
    if not latex:
        return ""
    try:
        return convert(latex)
    except Exception:  # latex2mathml raises assorted exceptions on what it cannot read
        return "<code>%s</code>" % html.escape(latex)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 100%; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #ccc; padding: 0.35em 0.5em; vertical-align: top; text-align: left;
         overflow-wrap: break-word; }
table.answers { font-size: 0.92em; }
math { font-size: 1.15em; }
details summary { cursor: pointer; color: #444; }
th { background: #f3f3f3; }
table.answers col.id { width: 6%; } table.answers col.student { width: 7%; }
table.answers col.wrt { width: 9%; } table.answers col.verdict { width: 10%; }
table.answers col.answer { width: 22%; } table.answers col.expected { width: 17%; }
table.answers col.feedback { width: 18%; } table.answers col.where { width: 11%; }
table.totals { width: auto; min-width: 20em; max-width: 100%; }
table.totals td { overflow-wrap: anywhere; }
tr.equivalent td.verdict { color: #176f2c; font-weight: bold; }
tr.not_equivalent td.verdict { color: #a4161a; font-weight: bold; }
tr.undecided td.verdict { color: #8a6d00; font-weight: bold; }
tr.error td.verdict { color: #6c2eb9; font-weight: bold; }
code { white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-all; }
div.m { overflow-x: auto; overflow-y: hidden; max-width: 100%; padding: 0.15em 0; }
.small { font-size: 0.85em; color: #444; }
.n { white-space: nowrap; }
.score { font-weight: normal; color: #222; }
"""


def _summary_html(results) -> list[str]:
    counts, s = summary(results), scores(results)
    out = ["<p>%s: %d equivalent, %d not equivalent, %d undecided, %s.</p>"
           % (counted(counts["total"], "answer"), counts["equivalent"], counts["not_equivalent"],
              counts["undecided"], counted(counts["error"], "error")),
           "<p><b>%d of %d right</b>; %s of %s points.%s</p>"
           % (*right_of(results), html.escape(points(sum((r.score for r in results), 0))),
              html.escape(points(sum((r.worth for r in results), 0))),
              (" " + html.escape(replaced_note(results))) if replaced_note(results) else "")]
    if s["common_mistakes"]:
        out.append("<h2>Most common mistakes</h2>")
        out.append("<ol>")
        for m in s["common_mistakes"]:
            out.append("<li><b>%s</b> (%d): %s</li>" % (html.escape(m["diagnosis"]), m["count"],
                                                       html.escape(m["feedback"])))
        out.append("</ol>")
    students = totals(results)
    if any(r.row.student for r in results) and students:
        out += ["<h2>Totals</h2>", '<table class="totals">',
                "<thead><tr><th>student</th><th>score</th><th>max</th></tr></thead>", "<tbody>"]
        out += ["<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % (html.escape(who), points(score), points(most))
                for who, score, most in students]
        out += ["</tbody>", "</table>"]
    return out


def to_html(results, title=None) -> str:
    heading = html.escape(title or "Graded answers")
    with_students = any(r.row.student for r in results)
    columns = ["id"] + (["student"] if with_students else []) + ["wrt", "verdict", "answer",
                                                                "expected", "feedback", "where"]
    names = {"id": "id", "student": "student", "wrt": "wrt", "verdict": "verdict · score",
             "answer": "answer: typed, then as read", "expected": "expected",
             "feedback": "feedback · diagnosis", "where": "counter&shy;example"}
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{heading}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
           f"<h1>{heading}</h1>"]
    out += _summary_html(results)
    out += ["<h2>Answers</h2>", '<table class="answers">',
            "<colgroup>" + "".join('<col class="%s">' % c for c in columns) + "</colgroup>",
            "<thead><tr>" + "".join("<th>%s</th>" % names[c] for c in columns) + "</tr></thead>",
            "<tbody>"]
    for r in results:
        d = row_dict(r)
        verdict = d["verdict"].replace("_", " ")
        typed = "<code>%s</code>" % html.escape(d["answer"])
        if d["error"]:
            answer = typed
            note = '<span class="small">%s</span>' % html.escape(d["error"])
        else:
            answer = '%s<div class="m">%s</div>' % (typed, mathml(d["answer_latex"]))
            note = ""
            if d["diagnosis"]:
                note = "<b>%s</b><br><span class=\"small\">%s</span>" % (
                    html.escape(d["diagnosis"]), html.escape(d["explanation"] or ""))
            elif d["reason"]:
                note = '<span class="small">%s</span>' % html.escape(d["reason"])
        feedback = html.escape(d["feedback"]) + ("<br>" + note if note else "")
        c = d["counterexample"]
        where = ""
        if c:
            shown = shown_pair(c, 6)
            where = ('answer = %s,<br>expected = %s<details><summary class="small">at %s</summary>'
                     '<span class="small">%s</span></details>'
                     % ('<span class="n">%s</span>' % html.escape(shown[0]),
                        '<span class="n">%s</span>' % html.escape(shown[1]),
                        html.escape(c.get("where") or "this point"),
                        html.escape(_point(c).replace(";", "; ").replace(";  ", "; "))))
        wrt = html.escape(d["wrt"])
        if d["resolved"] and d["resolved"] != d["wrt"]:
            wrt += '<br><span class="small">%s</span>' % html.escape(d["resolved"])
        score = '<br><span class="score">%s / %s</span>' % (points(r.score), points(r.worth))
        if d["entries"]:
            score += '<br><span class="small">%d of %d entries right</span>' % tuple(d["entries"])
        cells = {"id": html.escape(d["id"]), "student": html.escape(d["student"] or ""), "wrt": wrt,
                 "answer": answer, "expected": '<div class="m">%s</div>' % mathml(d["expected"]),
                 "feedback": feedback, "where": where}
        body = "".join('<td class="verdict">%s%s</td>' % (verdict, score) if col == "verdict"
                       else "<td>%s</td>" % cells[col] for col in columns)
        out.append('<tr class="%s">%s</tr>' % (d["verdict"], body))
    out += ["</tbody>", "</table>", "</body>", "</html>", ""]
    return "\n".join(out)


def render(results, fmt: str, title=None) -> str:
    if fmt == "csv":
        return to_csv(results)
    if fmt == "json":
        return to_json(results, title)
    return to_html(results, title)
