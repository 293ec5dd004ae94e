"""JSON: every formula of the derivation as LaTeX and as a SymPy ``srepr`` string.

One object: ``title``, ``network`` (sizes, activations, cost, notation), ``formulas`` in
derivation order, ``vector_form`` and ``check`` (null without values). Each formula has
``symbol``, ``kind``, ``of``, ``layer``, ``neuron`` (and ``input`` for a weight),
``case``, ``latex`` (``lhs = rhs``), ``srepr`` (of the right-hand side), ``value``
(null without values) and, for gradients, ``uses``: one {``dz``, ``delta``} per edge.
With ``closed``, ``closed`` holds {``latex``, ``srepr``} or {``omitted``: why}.
Numbers are floats. Keys keep the order written here, so output is byte-stable.
"""

from __future__ import annotations

import json

import sympy

from ..errors import TooLargeError
from ..printing import latex
from . import vector
from .document import CLOSED_PRINT_LIMIT
from .numbers import evaluated


def _float(v):
    return None if v is None else float(v)


def formula(f, values, closed: bool) -> dict:
    neuron = f.index[0] if f.index and f.kind != "x" else None
    out = {"symbol": f.symbol.name, "kind": f.kind, "of": f.of.name, "layer": f.layer,
           "neuron": neuron}
    if f.kind == "w":
        out["input"] = f.index[1]
    if f.kind == "x":
        out["input"] = f.index[0]
    out["case"] = f.case
    out["latex"] = f.latex()
    out["srepr"] = sympy.srepr(f.expr)
    out["value"] = _float(values.numbers.get(f.symbol)) if values is not None else None
    if f.uses:
        out["uses"] = [{"dz": latex(factor), "delta": delta.name} for factor, delta in f.uses]
    if closed and f.kind not in ("z", "a", "C"):
        size = f.closed_size
        if size > CLOSED_PRINT_LIMIT:
            out["closed"] = {"omitted": f"about {size} nodes, above {CLOSED_PRINT_LIMIT}"}
        else:
            try:
                expr = f.closed
                out["closed"] = {"latex": latex(expr), "srepr": sympy.srepr(expr)}
            except TooLargeError as exc:
                out["closed"] = {"omitted": str(exc)}
    return out


def document(derivation, *, closed: bool = False, point=None) -> dict:
    net = derivation.network
    values, report = evaluated(derivation, point)
    return {
        "title": net.title,
        "network": {"sizes": list(net.sizes),
                    "activations": [a.describe() for a in net.activations],
                    "cost": net.cost_function.name,
                    "notation": net.notation.style},
        "formulas": [formula(f, values, closed) for f in derivation.formulas],
        "vector_form": ["%s = %s" % (lhs, rhs) for lhs, rhs, _ in vector.equations(net)],
        "check": None if report is None else report.as_dict(),
    }


def render(derivation, *, closed: bool = False, point=None) -> str:
    return json.dumps(document(derivation, closed=closed, point=point), indent=1,
                      ensure_ascii=False) + "\n"


__all__ = ["document", "formula", "render"]
