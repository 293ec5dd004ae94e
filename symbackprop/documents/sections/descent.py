"""The section "One step of gradient descent": p ← p − η ∂C/∂p for every parameter.

A table of every parameter (its value, its gradient, its value after the step; a held
one says so), with ``numbers`` each update also written three ways
(``w_5^+ = w_5 − η ∂C/∂w_5 = 0.4 − 0.5 · 0.082167 = 0.358916``), then the cost before
and after. The step itself is :func:`symbackprop.numeric.update.step`.
"""

from __future__ import annotations

from ...notation.printing import unicode_name
from .. import breaking
from ..model import Equations, Heading, Math, S, Table, partial
from ..numbers import number
from .substituted import parenthesized


def _updated(name: str) -> Math:
    return Math("{%s}^{+}" % name, unicode_name(name) + "⁺")


def descent_section(story) -> None:
    """The section, when the document was asked for a learning rate; else nothing."""
    if story.learning_rate is None:
        return
    s = story.d.step(story.learning_rate, story.hold, story.point)
    total = "L" if s.examples else story.d.graph.cost_symbol.name
    exact = all(not isinstance(v, float) for v in s.before.values())
    shown = s.learning_rate if exact else float(s.learning_rate)   # as written: 0.5, not 1/2
    story.add(Heading("One step of gradient descent"))
    _rule(story, s, total, shown)
    _table(story, s, total)
    if story.numbers:
        _worked(story, s, total, shown)
    _cost_change(story, s, total)


def _rule(story, s, total: str, shown) -> None:
    """p ← p − η ∂C/∂p, and what the step holds fixed."""
    eta = number(shown)
    parts = ["With the learning rate ", Math(r"\eta = %s" % eta.latex, "η = %s" % eta.text),
             ", every parameter moves against its gradient, ",
             Math(r"p \leftarrow p - \eta \frac{\partial %s}{\partial p}" % total,
                  "p ← p − η ∂%s/∂p" % unicode_name(total)),
             ", all at once: every gradient is the one above, at the current values."]
    if s.examples:
        parts.append(" The gradient of the mini-batch is the total over its %d examples." % s.examples)
    if s.held:
        parts.append(" Held fixed: ")
        for i, name in enumerate(s.held):
            parts += [", " if i else "", S(name)]
        parts.append(".")
    story.p(*parts)


def _table(story, s, total: str) -> None:
    """Every parameter: its value, its gradient, its value after the step (or held)."""
    rows = []
    for name, before in s.before.items():
        after = "held" if name in s.held else number(s.after[name])
        rows.append((S(name), number(before), number(s.gradients[name]), after))
    story.add(Table(("parameter", "value", (partial(total, "p"),), "after the step"),
                    tuple(rows), "lrrr"))


def _worked(story, s, total: str, shown) -> None:
    """Each update three ways: in symbols, with the numbers, and its value."""
    eqs = []
    for name, before in s.before.items():
        if name in s.held:
            continue
        symbolic = r"%s - \eta \frac{\partial %s}{\partial %s}" % (name, total, name)
        with_numbers = r"%s - %s \cdot %s" % (parenthesized(before, True), parenthesized(shown, True),
                                              parenthesized(s.gradients[name], True))
        txt = "%s - η·∂%s/∂%s = %s - %s·%s" % (unicode_name(name), unicode_name(total), unicode_name(name),
                                              parenthesized(before, False), parenthesized(shown, False),
                                              parenthesized(s.gradients[name], False))
        eqs.append(story.row(_updated(name), [[breaking.atom(symbolic)], [breaking.atom(with_numbers)]],
                             txt, s.after[name]))
    if eqs:
        story.add(Equations(tuple(eqs)))


def _cost_change(story, s, total: str) -> None:
    before, after = number(s.cost_before), number(s.cost_after)
    story.p("The cost before the step, ", Math("%s = %s" % (total, before.latex),
                                               "%s = %s" % (unicode_name(total), before.text)),
            "; after it, ", Math("%s = %s" % (total, after.latex),
                                 "%s = %s" % (unicode_name(total), after.text)),
            " (a change of ", number(s.cost_after - s.cost_before), ").")


__all__ = ["descent_section"]
