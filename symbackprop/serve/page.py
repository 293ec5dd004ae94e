"""The HTML the server sends: a student's page (questions, answer box, preview, verdict, the
network's picture), the teacher's live summary, and the submissions as CSV.

Everything is served by the app (no CDN): the page's script and style sheet are
:data:`STATIC`, the picture is the documents' own SVG (the first figure of the
derivation's document), the math is MathML made here with latex2mathml. Every piece of
user text is escaped (HTML here, formula-starting CSV cells with a ``'``).
"""

from __future__ import annotations

import html
import io
import threading
from collections import Counter
from pathlib import Path

from latex2mathml.converter import convert

from ..answers.feedback import sentence
from ..answers.report import CsvRows, defuse
from ..notation.printing import unicode_name
from ..notation.quoting import counted

_HERE = Path(__file__).parent / "static"
#: The files under /static/, by name: (media type, text).
STATIC = {"page.js": ("text/javascript; charset=utf-8", (_HERE / "page.js").read_text(encoding="utf-8")),
          "page.css": ("text/css; charset=utf-8", (_HERE / "page.css").read_text(encoding="utf-8"))}

#: The columns of ``/api/submissions.csv``: what ``grade`` reads (student, id, wrt, answer),
#: then what the page answered.
CSV_COLUMNS = ("student", "id", "wrt", "answer", "verdict", "score", "max", "time")

_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/page.css">{extra}
</head>"""


def _math(tex: str) -> str:
    try:
        return convert(tex)
    except Exception:  # latex2mathml raises assorted exceptions on what it cannot read
        return "<code>%s</code>" % html.escape(tex)


def picture(spec, numbered: bool = False) -> str:
    """The network's figure: its forward picture as the HTML document draws it (its first
    figure); ``numbered`` (a student's variant): drawn with the student's own numbers as
    their sheet draws it, and every input's and target's value listed below."""
    from ..loading import load
    from ..documents.model import Figure
    from ..documents.stories import build
    net = load(spec)
    title = net.title or "the network"
    if numbered:
        from ..assignments.sheets import drawn, leaf_values
        numbers = "".join(f"<li>{_math(name.latex)} = {_math(value.latex)}</li>"
                          for name, value in leaf_values(net, net.values))
        figure = drawn(net)
        caption = html.escape("".join(p for p in figure.caption if isinstance(p, str)))
        return (f"<figure>{figure.diagram.svg(title)}<figcaption>{caption}</figcaption></figure>\n"
                f'<h2 class="numbers">Your numbers</h2><ul class="numbers">{numbers}</ul>')
    doc = build(net.backward(), check=False)
    figure = next((b for b in doc.blocks if isinstance(b, Figure)), None)
    svg = figure.diagram.svg(title) if figure is not None else ""
    return f"<figure>{svg}<figcaption>The network of the questions.</figcaption></figure>"


class Pages:
    """Students' pages, one picture per variant (drawn once, on first use)."""

    def __init__(self, course):
        self.course = course
        self._pictures: dict = {}
        self._lock = threading.Lock()

    def picture(self, spec) -> str:
        with self._lock:
            if spec not in self._pictures:
                self._pictures[spec] = picture(spec, numbered=self.course.is_class)
            return self._pictures[spec]

    def student(self, student: str | None, token: str) -> str:
        """The page of one student (a class), or the page of a single spec."""
        course = self.course
        svg = self.picture(course.spec_of(student))
        questions = "\n".join(_question(n, q, course.output) for n, q in enumerate(course.questions))
        who = (f'<p class="who">Answers of <strong>{html.escape(student)}</strong></p>' if student
               else '<p class="who"><label for="student">Your name</label> '
                    '<input id="student" name="student" autocomplete="name" maxlength="100" required></p>')
        return (_HEAD.format(title=html.escape(course.title), extra="") + f"""
<body data-token="{html.escape(token)}" data-class="{'1' if course.is_class else ''}">
<header><h1>{html.escape(course.title)}</h1>{who}</header>
<main>
<section class="work" aria-label="Answer a question">
<fieldset class="questions"><legend>Question</legend>
{questions}
</fieldset>
<form id="answer-form" novalidate>
<label for="answer" id="answer-label">Your answer (LaTeX or plain text, e.g. <code>a_1 (o_1 - t_1)</code>)</label>
<textarea id="answer" name="answer" rows="3" spellcheck="false" autocapitalize="off"
 autocomplete="off" aria-describedby="preview-box"></textarea>
<div id="preview-box" class="preview" aria-live="polite"><span class="muted">Type an answer: it is read back here as math.</span></div>
<button type="submit" id="submit">Check my answer</button> <span class="hint">Ctrl+Enter checks too</span>
</form>
<div id="result" class="result" aria-live="polite" tabindex="-1"></div>
</section>
<aside class="network" aria-label="The network">
{svg}
</aside>
</main>
<script src="/static/page.js"></script>
</body></html>
""")


def _what(q) -> str:
    """What a question asks for, in words: a formula (in closed form), or a number (within
    its tolerance)."""
    if q.kind != "number":
        return "a formula in closed form, no δ" if q.closed else "a formula"
    if not q.tolerance:
        return "its value at your numbers"
    within = q.tolerance if q.tolerance.endswith("%") else f"±{q.tolerance}"
    return f"its value at your numbers, within {within}"


def _question(n: int, q, output: str) -> str:
    checked = " checked" if n == 0 else ""
    what = _what(q)
    points = counted(int(q.points), "point") if q.points.denominator == 1 else f"{float(q.points):g} points"
    asked = _math(r"\frac{\partial " + output + r"}{\partial " + q.wrt + "}")
    spoken = f"∂{unicode_name(output)}/∂{unicode_name(q.wrt)}, {what}, {points}"
    return (f'<label class="question"><input type="radio" name="question" value="{html.escape(q.id)}" '
            f'data-wrt="{html.escape(q.wrt)}" data-kind="{html.escape(q.kind)}" '
            f'aria-label="{html.escape(spoken)}"{checked}> '
            f'<span aria-hidden="true">{asked} '
            f'<small>({html.escape(what)}; {points})</small></span></label>')


def closed_door(course) -> str:
    """What someone without a personal link (or the teacher's token) sees."""
    return (_HEAD.format(title=html.escape(course.title), extra="")
            + f"<body><main class=\"door\"><h1>{html.escape(course.title)}</h1>"
              "<p>Open the personal link your teacher gave you.</p></main></body></html>\n")


def submissions_csv(rows) -> str:
    """Every stored check as a row that ``grade`` reads back (see :data:`CSV_COLUMNS`)."""
    buffer = io.StringIO()
    writer = CsvRows(buffer)
    writer.writerow(list(CSV_COLUMNS))
    for r in rows:
        writer.writerow([defuse(getattr(r, c)) for c in CSV_COLUMNS])
    return buffer.getvalue()


def summary(course, rows) -> str:
    """The teacher's live page: per question the answers so far and the most common mistakes."""
    students = len({r.student for r in rows})
    parts = [_HEAD.format(title="Summary: " + html.escape(course.title),
                          extra='\n<meta http-equiv="refresh" content="10">'),
             f"<body><main class=\"summary\"><h1>{html.escape(course.title)}: the class so far</h1>",
             f"<p>{counted(len(rows), 'check')} by {counted(students, 'student')}"
             + (f" of {len(course.students)}" if course.is_class else "")
             + ". This page refreshes every 10 seconds.</p>",
             ("<div class=\"scroll\"><table><thead><tr><th>question</th><th>checks</th><th>right</th>"
              "<th>wrong</th><th>undecided</th><th>unreadable</th><th>most common mistakes</th>"
              "<th>most common wrong answers</th></tr></thead><tbody>")]
    by_question: dict = {}
    for r in rows:
        by_question.setdefault(r.id, []).append(r)
    for qid, answers in by_question.items():
        counts = Counter(r.verdict for r in answers)
        wrong = [r for r in answers if r.verdict == "not_equivalent"]
        mistakes = "".join(
            f"<li><code>{html.escape(code or 'unnamed')}</code> ×{n}"
            + (f"<br><small>{html.escape(sentence(code))}</small>" if code else "") + "</li>"
            for code, n in _most_common(Counter(r.diagnosis for r in wrong)))
        typed = "".join(f"<li><code>{html.escape(text)}</code> ×{n}</li>"
                        for text, n in _most_common(Counter(" ".join(r.answer.split()) for r in wrong)))
        parts.append(f"<tr><td>{html.escape(qid)}</td><td>{len(answers)}</td>"
                     f"<td>{counts['equivalent']}</td><td>{counts['not_equivalent']}</td>"
                     f"<td>{counts['undecided']}</td><td>{counts['error']}</td>"
                     f"<td><ul>{mistakes}</ul></td><td><ul>{typed}</ul></td></tr>")
    parts.append("</tbody></table></div></main></body></html>\n")
    return "\n".join(parts)


def _most_common(counts: Counter, shown: int = 3) -> list:
    """The ``shown`` most frequent entries, ties in order of their text."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:shown]
