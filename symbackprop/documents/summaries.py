"""How results show in a REPL and in Jupyter: a short ``repr``, an HTML table, a LaTeX line.

    >>> import symbackprop as sb
    >>> d = sb.load("examples/shared_bias.toml").backward()
    >>> d.evaluate()
    <Values: C = 0.298371; ∂C/∂w₁ = 0.000438568, ∂C/∂w₂ = 0.000877135, ∂C/∂b₁ = 0.0187256, … (10 gradients)>
    >>> d.check()
    <CheckReport passed: 12 gradients agree three ways (largest relative difference < 10⁻¹⁵)>

:class:`numeric.Values`, :class:`numeric.Batch`, :class:`check.CheckReport`,
:class:`answers.verdict.Verdict` and :class:`graph.Graph` delegate here. Every number goes
through :func:`documents.numbers.number`; every name is a symbol name (LaTeX, checked
when the graph was built), shown as MathML in HTML; other text is escaped.
"""

from __future__ import annotations

import html

from ..notation.printing import unicode_name

#: Rows shown in an HTML table; the rest are counted.
ROWS = 40
#: Gradients named in a one-line repr.
SHOWN = 3


def _n(value) -> str:
    from .numbers import number
    return number(value).text


def _tex(value) -> str:
    from .numbers import number
    return number(value).latex


def _math(tex: str) -> str:
    from .formats.html import math
    return math(tex)


def _partial(of: str, wrt: str) -> str:
    return r"\frac{\partial %s}{\partial %s}" % (of, wrt)


def _table(header, rows, total: int) -> str:
    out = ["<table>", "<tr>" + "".join("<th>%s</th>" % h for h in header) + "</tr>"]
    out += ["<tr>" + "".join("<td>%s</td>" % c for c in row) + "</tr>" for row in rows[:ROWS]]
    out.append("</table>")
    if total > ROWS:
        out.append("<p>… and %d more</p>" % (total - ROWS))
    return "\n".join(out)


# --- values at a point ---------------------------------------------------------------------

def _output(values) -> str:
    return values.network.cost_symbol.name


def values_repr(values) -> str:
    batch = " of %d examples" % len(values.examples) if hasattr(values, "examples") else ""
    total = "L" if batch else unicode_name(_output(values))
    grads = list(values.gradients.items())
    shown = ", ".join("∂%s/∂%s = %s" % (total, unicode_name(n), _n(v)) for n, v in grads[:SHOWN])
    more = ", … (%d gradients)" % len(grads) if len(grads) > SHOWN else ""
    return "<%s%s: %s = %s; %s%s>" % (type(values).__name__, batch, total, _n(values.cost), shown, more)


def values_html(values) -> str:
    """Every defined node's value (one example), then every gradient, as tables."""
    C = _output(values)
    parts = []
    if hasattr(values, "examples"):
        parts.append("<p>A mini-batch of %d examples: %s</p>" % (
            len(values.examples), _math("L = \\sum_n %s^{n} = %s" % (C, _tex(values.cost)))))
    else:
        nodes = list(values.nodes.items())
        parts.append(_table(("node", "value"), [(_math(n), _tex_cell(v)) for n, v in nodes], len(nodes)))
    grads = list(values.gradients.items())
    parts.append(_table(("gradient", "value"), [(_math(_partial("L" if hasattr(values, "examples") else C, n)),
                                                  _tex_cell(v)) for n, v in grads], len(grads)))
    return "<div>\n" + "\n".join(parts) + "\n</div>"


def _tex_cell(value) -> str:
    return html.escape(_n(value))


def values_latex(values) -> str:
    C = "L" if hasattr(values, "examples") else _output(values)
    grads = list(values.gradients.items())[:SHOWN]
    body = ", \\quad ".join([C + " = " + _tex(values.cost)] +
                            ["%s = %s" % (_partial(C, n), _tex(v)) for n, v in grads])
    return "$%s%s$" % (body, r", \quad \dots" if len(values.gradients) > SHOWN else "")


# --- the three-way check ---------------------------------------------------------------------

def _bound(error) -> str:
    from .numbers import bound
    return bound(error).text


def report_repr(report) -> str:
    if report.passed:
        return "<CheckReport passed: %d gradients agree three ways (largest relative difference %s)>" % (
            len(report.rows), _bound(report.max_rel_error))
    return "<CheckReport FAILED: %d of %d gradients disagree (largest relative difference %s)>" % (
        len(report.failures), len(report.rows), _n(report.max_rel_error))


def report_html(report) -> str:
    """The verdict, then a row per gradient: the three routes and whether they agree."""
    head = "<p><b>%s</b> %s</p>" % ("passed" if report.passed else "FAILED",
                                   html.escape(report.summary()).replace("\n", "<br>"))
    rows = []
    for r in report.rows:
        rows.append((_math(r.name), html.escape(_n(r.recursion)),
                     "-" if r.symbolic is None else html.escape(_n(r.symbolic)),
                     "-" if r.finite_difference is None else html.escape(_n(r.finite_difference)),
                     "ok" if r.ok else "<b>MISMATCH</b>"))
    return "<div>\n%s\n%s\n</div>" % (head, _table(("parameter", "(a) recursion", "(b) symbolic",
                                                    "(c) finite differences", "agree"), rows, len(rows)))


def report_latex(report) -> str:
    if report.passed:
        return r"$\text{three-way check passed: %d gradients agree}$" % len(report.rows)
    return r"$\text{three-way check FAILED: %d of %d gradients disagree}$" % (len(report.failures), len(report.rows))


# --- a verdict on one answer -------------------------------------------------------------

_WORDS = {"equivalent": "equivalent", "not_equivalent": "not equivalent", "undecided": "undecided"}


def verdict_repr(verdict) -> str:
    answer = verdict.answer_text or verdict.answer
    return "<Verdict %s: %s; answer as read: %s>" % (unicode_name(verdict.wrt), _WORDS[verdict.verdict], answer)


def _safe_math(tex: str) -> str:
    try:
        return _math(tex)
    except Exception:  # an answer the MathML converter cannot take: shown as text
        return "<code>%s</code>" % html.escape(tex)


def verdict_html(verdict) -> str:
    """The verdict, the answer as read and the expected formula (MathML), the mistake."""
    rows = ["<p><b>%s</b> for %s</p>" % (_WORDS[verdict.verdict], html.escape(unicode_name(verdict.wrt))),
            "<p>answer as read: %s</p>" % _safe_math(verdict.answer),
            "<p>expected: %s</p>" % _safe_math(verdict.expected)]
    if verdict.diagnosis:
        rows.append("<p>likely mistake (%s): %s</p>" % (html.escape(verdict.diagnosis),
                                                       html.escape(verdict.explanation or "")))
    if verdict.reason:
        rows.append("<p>reason: %s</p>" % html.escape(verdict.reason))
    return "<div>\n" + "\n".join(rows) + "\n</div>"


def verdict_latex(verdict) -> str:
    relation = {"equivalent": "=", "not_equivalent": r"\neq", "undecided": r"\overset{?}{=}"}[verdict.verdict]
    return "$%s %s %s$" % (verdict.answer, relation, verdict.expected)


# --- a graph -----------------------------------------------------------------------------

__all__ = ["report_html", "report_latex", "report_repr", "values_html", "values_latex",
           "values_repr", "verdict_html", "verdict_latex", "verdict_repr"]
