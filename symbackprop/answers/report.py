"""Grade reports: CSV, JSON, or HTML with each answer as MathML next to the expected
formula. The format follows the report file's extension (``.csv``, ``.json``,
``.html``/``.htm``).

``wrt`` is the student's text exactly as written in the answers file; ``resolved`` is
the canonical name of the node it means (empty when it names none).

**Formula injection.** A spreadsheet opening the CSV report runs a cell that begins
with ``=``, ``+``, ``-`` or ``@`` (and some also after a leading tab or carriage return)
as a formula, e.g. an id ``=HYPERLINK(…)``. In the CSV report only, the cells of text
the student wrote (``id``, ``wrt`` and ``answer``) that begin with one of these
characters are prefixed with a single quote ``'`` (``-a δ`` becomes ``'-a δ``), which
spreadsheets show as text. The JSON and HTML reports keep the text as is (HTML escapes
it).
"""

from __future__ import annotations

import csv
import html
import io
import json

from latex2mathml.converter import convert

from ..errors import SymbackpropError
from .grade import summary

FORMATS = {".csv": "csv", ".json": "json", ".html": "html", ".htm": "html"}
CSV_COLUMNS = ("id", "wrt", "resolved", "verdict", "diagnosis", "explanation", "reason", "answer",
               "answer_latex", "expected", "counterexample_point", "counterexample_answer",
               "counterexample_expected", "symbolic", "error")


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
    out = {"id": row.id, "line": row.line, "wrt": row.wrt, "resolved": v.wrt if v else None,
           "verdict": result.outcome, "answer": row.answer}
    if v is not None:
        out.update({"answer_latex": v.answer, "expected": v.expected,
                    "counterexample": v.counterexample, "diagnosis": v.diagnosis,
                    "explanation": v.explanation, "reason": v.reason, "symbolic": v.symbolic,
                    "points": v.points, "error": None})
    else:
        out.update({"answer_latex": None, "expected": None, "counterexample": None,
                    "diagnosis": None, "explanation": None, "reason": None, "symbolic": None,
                    "points": 0, "error": result.error, "position": result.position})
    return out


def to_json(results, title=None) -> str:
    return json.dumps({"title": title, "summary": summary(results),
                       "rows": [row_dict(r) for r in results]}, indent=1, ensure_ascii=False) + "\n"


def _point(c) -> str:
    return "; ".join(f"{k}={v:g}" for k, v in c["point"].items())


#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def to_csv(results) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        d = row_dict(r)
        c = d["counterexample"]
        cells = [d["id"], d["wrt"], d["resolved"] or "", d["verdict"],
                 d["diagnosis"] or "", d["explanation"] or "", d["reason"] or "", d["answer"],
                 d["answer_latex"] or "", d["expected"] or "",
                 _point(c) if c else "", repr(c["answer"]) if c else "",
                 repr(c["expected"]) if c else "",
                 "" if d["symbolic"] is None else str(d["symbolic"]).lower(), d["error"] or ""]
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
body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.4em 0.6em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
tr.equivalent td.verdict { color: #176f2c; font-weight: bold; }
tr.not_equivalent td.verdict { color: #a4161a; font-weight: bold; }
tr.undecided td.verdict { color: #8a6d00; font-weight: bold; }
tr.error td.verdict { color: #6c2eb9; font-weight: bold; }
code { white-space: pre-wrap; word-break: break-all; }
.small { font-size: 0.85em; color: #444; }
"""


def to_html(results, title=None) -> str:
    counts = summary(results)
    heading = html.escape(title or "Graded answers")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{heading}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
           f"<h1>{heading}</h1>",
           "<p>%d answers: %d equivalent, %d not equivalent, %d undecided, %d errors.</p>"
           % (counts["total"], counts["equivalent"], counts["not_equivalent"],
              counts["undecided"], counts["error"]),
           "<table>", "<thead><tr><th>id</th><th>wrt</th><th>verdict</th><th>answer</th>"
           "<th>expected</th><th>diagnosis</th><th>counterexample</th></tr></thead>", "<tbody>"]
    for r in results:
        d = row_dict(r)
        verdict = d["verdict"].replace("_", " ")
        if d["error"]:
            answer = "<code>%s</code>" % html.escape(d["answer"])
            note = '<span class="small">%s</span>' % html.escape(d["error"])
        else:
            answer = mathml(d["answer_latex"])
            note = ""
            if d["diagnosis"]:
                note = "<b>%s</b><br><span class=\"small\">%s</span>" % (
                    html.escape(d["diagnosis"]), html.escape(d["explanation"] or ""))
            elif d["reason"]:
                note = '<span class="small">%s</span>' % html.escape(d["reason"])
        c = d["counterexample"]
        where = ""
        if c:
            where = ('answer = %s, expected = %s<br><span class="small">%s</span>'
                     % (html.escape(f"{c['answer']:.6g}"), html.escape(f"{c['expected']:.6g}"),
                        html.escape(_point(c))))
        wrt = html.escape(d["wrt"])
        if d["resolved"] and d["resolved"] != d["wrt"]:
            wrt += '<br><span class="small">%s</span>' % html.escape(d["resolved"])
        out.append('<tr class="%s"><td>%s</td><td>%s</td><td class="verdict">%s</td><td>%s</td>'
                   "<td>%s</td><td>%s</td><td>%s</td></tr>"
                   % (d["verdict"], html.escape(d["id"]), wrt, verdict, answer,
                      mathml(d["expected"]), note, where))
    out += ["</tbody>", "</table>", "</body>", "</html>", ""]
    return "\n".join(out)


def render(results, fmt: str, title=None) -> str:
    if fmt == "csv":
        return to_csv(results)
    if fmt == "json":
        return to_json(results, title)
    return to_html(results, title)
