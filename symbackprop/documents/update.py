"""The section "One step of gradient descent": p ← p − η ∂C/∂p for every parameter.

A table of every parameter (its value, its gradient, its value after the step; a held
one says so), with ``numbers`` each update also written three ways
(``w_5^+ = w_5 − η ∂C/∂w_5 = 0.4 − 0.5 · 0.082167 = 0.358916``), then the cost before
and after. The step itself is :func:`symbackprop.update.step`.
"""

from __future__ import annotations

from ..printing import unicode_name
from . import breaking
from .model import Equations, Heading, Math, Table
from .numbers import number


def _updated(name: str) -> Math:
    return Math("{%s}^{+}" % name, unicode_name(name) + "⁺")


def update_section(builder) -> None:
    """The section, when the document was asked for a learning rate; else nothing."""
    rate = getattr(builder, "learning_rate", None)
    if rate is None:
        return
    from .document import S, partial
    from .substituted import _paren
    d = builder.d
    s = d.step(rate, getattr(builder, "hold", None), getattr(builder, "point", None))
    total = "L" if s.examples else d.graph.cost_symbol.name
    exact = all(not isinstance(v, float) for v in s.before.values())
    shown = s.learning_rate if exact else float(s.learning_rate)   # as written: 0.5, not 1/2
    eta = number(shown)
    builder.add(Heading("One step of gradient descent"))
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
    builder.p(*parts)
    rows = []
    for name, before in s.before.items():
        after = "held" if name in s.held else number(s.after[name])
        rows.append((S(name), number(before), number(s.gradients[name]), after))
    builder.add(Table(("parameter", "value", (partial(total, "p"),), "after the step"),
                      tuple(rows), "lrrr"))
    if getattr(builder, "numbers", False):
        eqs = []
        for name, before in s.before.items():
            if name in s.held:
                continue
            symbolic = r"%s - \eta \frac{\partial %s}{\partial %s}" % (name, total, name)
            with_numbers = r"%s - %s \cdot %s" % (_paren(before, True), _paren(shown, True),
                                                  _paren(s.gradients[name], True))
            txt = "%s - η·∂%s/∂%s = %s - %s·%s" % (unicode_name(name), unicode_name(total), unicode_name(name),
                                                  _paren(before, False), _paren(shown, False),
                                                  _paren(s.gradients[name], False))
            eqs.append(builder.row(_updated(name), [[breaking.atom(symbolic)], [breaking.atom(with_numbers)]],
                                   txt, s.after[name]))
        if eqs:
            builder.add(Equations(tuple(eqs)))
    change = s.cost_after - s.cost_before
    builder.p("The cost before the step, ", Math("%s = %s" % (total, number(s.cost_before).latex),
                                                 "%s = %s" % (unicode_name(total), number(s.cost_before).text)),
              "; after it, ", Math("%s = %s" % (total, number(s.cost_after).latex),
                                   "%s = %s" % (unicode_name(total), number(s.cost_after).text)),
              " (a change of ", number(change), ").")


__all__ = ["update_section"]
