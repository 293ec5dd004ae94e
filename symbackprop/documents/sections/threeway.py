"""The section "Three-way check": every gradient by the recursion, by ``sympy.diff`` (of the
closed-form cost, or node by node in forward mode) and by finite differences, and whether they agree (a document with
values and the check asked for; else nothing)."""

from __future__ import annotations

from ..model import Heading, Math, S, Table, slash
from ..numbers import bound, number
from ..stories.representative import gap_cells

#: A note on this many rows of the table is said once, below it.
REPEATED = 3


def check_section(story) -> None:
    """The verdict and the three routes, a row per gradient."""
    r = story.report
    if r is None:
        return
    story.add(Heading("Three-way check"))
    story.p("Every gradient computed three independent ways: (a) the recursion above, "
            "compiled; (b) ", Math(r"\texttt{sympy.diff}", "sympy.diff"),
            _differentiated(r.routes), "; (c) central finite differences at 50 digits. ",
            "Result: %s, %d gradients, largest relative difference " % (
                "passed" if r.passed else "FAILED", len(r.rows)),
            bound(r.max_rel_error), " (tolerance: relative ", number(r.rtol),
            ", absolute ", number(r.atol), "). Symbolic route: %s." % r.symbolic_note)
    rows, footnotes = [], _footnotes(r.rows)
    for row in story.check_rows(r.rows):
        if row is None:
            rows.append(gap_cells(5))
            continue
        sym = number(row.symbolic) if row.symbolic is not None else "-"
        fd = number(row.finite_difference) if row.finite_difference is not None else "-"
        verdict = "ok" if row.ok else "MISMATCH"
        if row.note in footnotes:
            verdict += " (note %d)" % footnotes[row.note]
        elif row.note:
            verdict += " (%s)" % row.note
        rows.append(((slash(story.net.cost_symbol.name, row.name),), number(row.recursion), sym, fd, verdict))
    if len(rows) < len(r.rows):
        story.p("The table lists the gradients of the neurons shown; all %d gradients checked." % len(r.rows))
    story.add(Table(("gradient", "(a) recursion", "(b) symbolic", "(c) finite differences",
                     "agree"), tuple(rows), "lrrrl"))
    for note, n in footnotes.items():
        story.p("Note %d: %s." % (n, note))
    if r.kinks:
        story.p("Non-differentiable point: ", *_join_names(r.kinks),
                " at a kink; finite differences are not used upstream of it.")


def _footnotes(rows) -> dict:
    """{note: its number} for the notes on :data:`REPEATED` rows or more, said once below
    the table instead of on every row."""
    count: dict = {}
    for row in rows:
        if row.note:
            count[row.note] = count.get(row.note, 0) + 1
    repeated = [note for note, n in count.items() if n >= REPEATED]
    return {note: i for i, note in enumerate(repeated, start=1)}


def _differentiated(routes: dict) -> str:
    """What route (b) differentiated: the closed-form cost, each node's own definition
    with tangents carried forward (forward mode), or each where it was used."""
    forward = routes.get("symbolic_forward_mode", 0)
    if not forward:
        return " of the closed-form cost"
    if forward == routes.get("symbolic", 0):
        return " of each node's definition, carried forward (forward mode)"
    return " of the closed-form cost, or of each node's definition carried forward (forward mode)"


def _join_names(names) -> list:
    out = []
    for i, name in enumerate(names):
        out += [", " if i else "", S(name)]
    return out


__all__ = ["check_section"]
