"""The section "The mini-batch": each example's cost, the total L = Σₙ Cⁿ and the summed
gradients (a graph with ``points``; else nothing)."""

from __future__ import annotations

from ...notation.printing import unicode_name
from ..model import Heading, Math, Table, partial
from ..numbers import number

#: Most examples of a mini-batch shown side by side, one column each, with every
#: gradient; a larger batch lists its examples as rows with the first gradients.
BATCH_COLUMNS = 5


def batch_section(builder) -> None:
    """For a mini-batch: each example's cost, the total L = Σₙ Cⁿ and the summed gradients."""
    d = builder.d
    if not d.graph.points:
        return
    if builder.check:
        builder.report = d.check()
        batch = builder.report.values
    else:
        batch = d.evaluate()
    C = d.graph.cost_symbol.name
    builder.add(Heading("The mini-batch"))
    builder.p("The total over the %d examples is " % len(batch.examples),
              Math(r"L = \sum_n %s^{n}" % C, "L = Σₙ %sⁿ" % unicode_name(C)),
              "; every gradient is the sum of the examples' gradients, ",
              Math(r"\frac{\partial L}{\partial p} = \sum_n \frac{\partial %s^{n}}{\partial p}" % C,
                   "∂L/∂p = Σₙ ∂%sⁿ/∂p" % unicode_name(C)),
              ", each computed by the formulas above at that example.")
    names = list(batch.gradients)
    if len(batch.examples) <= BATCH_COLUMNS:
        # one row per gradient: each example's value and their sum
        builder.p("Each example's cost and gradients, and their sums:")
        header = ("",) + tuple("example %d" % i for i in range(1, len(batch.examples) + 1)) + ("sum",)
        rows = [((Math(C, unicode_name(C)),),) + tuple(number(v.cost) for v in batch.examples)
                + (number(batch.cost),)]
        rows += [((partial(C, n),),) + tuple(number(v.gradients[n]) for v in batch.examples)
                 + (number(batch.gradients[n]),) for n in names]
        builder.add(Table(header, tuple(rows), "l" + "r" * (len(header) - 1)))
        return
    shown = names[:4]
    header = ("example", (Math(C, unicode_name(C)),)) + tuple((partial(C, n),) for n in shown)
    rows = [(str(i), number(v.cost)) + tuple(number(v.gradients[n]) for n in shown)
            for i, v in enumerate(batch.examples, start=1)]
    rows.append(("total", number(batch.cost)) + tuple(number(batch.gradients[n]) for n in shown))
    builder.add(Table(header, tuple(rows), "r" * len(header)))
    if len(names) > len(shown):
        builder.p("The table shows the first %d of %d gradients%s." % (
            len(shown), len(names), "; the check below lists every total" if builder.check else ""))


__all__ = ["BATCH_COLUMNS", "batch_section"]
