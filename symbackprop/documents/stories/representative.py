"""The representative view of a wide layered network: a layer of more than
:data:`~symbackprop.notation.elision.KEEP` units shows its neurons 1, 2, a general neuron
j and the last, with ``⋯`` for the others (and their weights), and sums of more than
that many terms are shortened the same way (:mod:`...notation.elision`). The formulas
are the same for every neuron; ``full=True`` (``derive --full``) writes all of them.
The three-way check still checks every gradient; its table lists the ones shown."""

from __future__ import annotations

import sympy

from ...notation.elision import KEEP
from ...notation.naming import Notation
from ..model import Math, Paragraph, Row

#: A row of equations standing for the rows left out.
GAP = Row(Math("", "⋮"), (r"\vdots",), "⋮")


def units(n: int, full: bool) -> list:
    """The neurons shown of a layer of ``n``: all, or 1, 2, None (⋯), n."""
    if full or n <= KEEP:
        return list(range(1, n + 1))
    return [1, 2, None, n]


def wide(net, full: bool) -> bool:
    """Whether the document of ``net`` shows representative neurons."""
    return not full and max(net.sizes) > KEEP


def sentence(net, checked: bool) -> Paragraph:
    """The sentence that says what is left out (and, when the document has the three-way
    check, that it still checks every gradient)."""
    layers = [str(l) for l, n in enumerate(net.sizes) if n > KEEP]
    which = ("layer " + layers[0]) if len(layers) == 1 else \
        ("layers " + ", ".join(layers[:-1]) + " and " + layers[-1])
    verb = "has" if len(layers) == 1 else "have"
    return Paragraph((f"Representative neurons: {which} {verb} more than {KEEP} units, so this document "
                      "shows neurons 1, 2, a general neuron ",
                      Math("j", "j"), " and the last of each wide layer (and their weights), with ",
                      Math(r"\cdots", "⋯"),
                      " for the other neurons and for the middle terms of long sums. The formulas "
                      "are the same for every neuron; only the indices change. "
                      + ("Every gradient is still checked. " if checked else "")
                      + "The option full of derive (full=True in Python) writes them all."))


def rows(items, shown, gap):
    """``items`` kept where ``shown(item)``, one ``gap`` for each run left out."""
    out, skipped = [], False
    for item in items:
        if shown(item):
            if skipped:
                out.append(gap)
            out.append(item)
            skipped = False
        else:
            skipped = True
    if skipped:
        out.append(gap)
    return out


def gap_cells(width: int) -> tuple:
    """A table row of ⋮."""
    return tuple(Math(r"\vdots", "⋮") for _ in range(width))


__all__ = ["GAP", "SAMPLE", "gap_cells", "general_names", "rows", "sentence", "units", "wide"]


# --- the general neuron j ------------------------------------------------------------

#: The neuron whose formulas, renamed, stand for the general neuron j (a wide layer has it).
SAMPLE = 3


def _index(j, k) -> str:
    """``jk``, or ``j,k`` once the number reaches 10 (as :func:`naming.indices`)."""
    numbers = [i for i in (j, k) if isinstance(i, int)]
    return ("," if any(i >= 10 for i in numbers) else "").join(str(i) for i in (j, k))


def general_names(net, l: int) -> dict | None:
    """{symbol of neuron :data:`SAMPLE` of layer ``l``: the symbol of the general neuron
    j}, for the layered and bracket notations without names of the spec's own (else None)."""
    n = net.notation
    if n.style == "lecture" or n._custom or n._targets or (l == 0 and n._inputs):
        return None
    mark = n._layer(l)
    j = "k" if l == 0 else "j"
    sym = sympy.Symbol
    names = {}
    if l == 0:
        names[net.x(SAMPLE)] = sym("x_{k}")
    else:
        names[net.z(l, SAMPLE)] = sym(f"z{mark}_{{j}}")
        names[net.a(l, SAMPLE)] = sym("a%s_{j}" % mark)
        names[net.b(l, SAMPLE)] = sym("b%s_{j}" % mark)
        names[net.delta(l, SAMPLE)] = sym(r"\delta%s_{j}" % mark)
        names[sym(Notation.gradient(net.a(l, SAMPLE).name))] = sym(Notation.gradient("a%s_{j}" % mark))
        for k in range(1, net.sizes[l - 1] + 1):
            names[net.w(l, SAMPLE, k)] = sym("w%s_{%s}" % (mark, _index(j, k)))
        if l == net.L:
            names[net.y(SAMPLE)] = sym("y_{j}")
    if l < net.L:
        above = n._layer(l + 1)
        for i in range(1, net.sizes[l + 1] + 1):
            names[net.w(l + 1, i, SAMPLE)] = sym(f"w{above}_{{{_index(i, j)}}}")
    return names
