"""JSON: every formula of the derivation as LaTeX and as a SymPy ``srepr`` string.

One object: ``title``, ``network`` (sizes, activations, cost, notation; for any other
graph ``graph``: kind, inputs, targets, parameters, output), ``formulas`` in derivation
order, ``vector_form`` (layered networks only) and ``check`` (null without values); a
mini-batch adds ``examples`` (each example's cost and gradients). Each formula has
``symbol``, ``kind``, ``of``, ``layer``, ``neuron`` (and ``input`` for a weight),
``case``, ``latex`` (``lhs = rhs``), ``srepr`` (of the right-hand side), ``value``
(null without values) and, for gradients, ``uses``: one {``dz``, ``delta``} per edge.
With ``closed``, ``closed`` holds {``latex``, ``srepr``} or {``omitted``: why}. With
``numbers``, ``substituted`` holds {``latex``, ``text``} of the right-hand side with the
numbers in place (see :mod:`..sections.substituted`); with ``learning_rate``, ``update`` is the object
``eval --json`` prints (see :mod:`symbackprop.numeric.update`).
Numbers are floats. Keys keep the order written here, so output is byte-stable.
"""

from __future__ import annotations

import json

import sympy

from ...errors import TooLargeError
from ...core.graph import part
from ...notation.printing import latex
from .. import vector
from ..numbers import evaluated
from ..sections import substituted
from ..stories.generic import CLOSED_PRINT_LIMIT


def _float(v):
    return None if v is None else float(v)


class GraphFields:
    """The fields of any graph: ``graph`` (its kind, leaves and output), each defined
    node's formula names its ``node``, no vector form."""

    key = "graph"

    @staticmethod
    def structure(graph) -> dict:
        return {"kind": graph.kind,
                "inputs": [s.name for s in graph.inputs],
                "targets": [s.name for s in graph.targets],
                "parameters": [s.name for s in graph.parameters],
                "output": graph.cost_symbol.name}

    @staticmethod
    def names_node(f) -> bool:
        return f.kind not in ("z", "a", "C") and bool(f.of.name) and f.derivation.graph.nodes[f.of].expr is not None

    @staticmethod
    def vector_form(graph) -> list:
        return []


class NetworkFields(GraphFields):
    """A layered network: ``network`` (sizes, activations, cost, notation) and the vector form."""

    key = "network"

    @staticmethod
    def structure(net) -> dict:
        return {"sizes": list(net.sizes),
                "activations": [a.describe() for a in net.activations],
                "cost": net.cost_function.name,
                "notation": net.notation.style}

    @staticmethod
    def names_node(f) -> bool:
        return False

    @staticmethod
    def vector_form(net) -> list:
        return ["%s = %s" % (lhs, rhs) for lhs, rhs, _ in vector.equations(net)]


class AttentionFields(GraphFields):
    """An attention head: ``attention`` (its sizes, mask, output layer and cost, and each
    matrix's entries by name, null where masked) besides the graph's fields."""

    key = "attention"

    @staticmethod
    def structure(head) -> dict:
        return {**GraphFields.structure(head),
                "tokens": head.tokens, "d_model": head.d_model, "d_k": head.d_k, "d_v": head.d_v,
                "mask": head.mask, "outputs": head.outputs,
                "output_activation": head.output_activation.describe() if head.outputs is not None else None,
                "cost": head.cost_function.name,
                "matrices": {name: [[None if s is None else s.name for s in row] for row in rows]
                             for name, rows in head.matrices.items()}}


#: The fields of each kind of graph; a kind not listed gets those of any graph.
FIELDS = {"graph": GraphFields, "layered": NetworkFields, "attention": AttentionFields}


def formula(f, values, closed: bool, fields=GraphFields) -> dict:
    neuron = f.index[0] if f.index and f.kind != "x" else None
    out = {"symbol": f.symbol.name, "kind": f.kind, "of": f.of.name,
           "layer": f.derivation.graph.layer_of.get(f.of),
           "neuron": neuron}
    if f.kind == "w":
        out["input"] = f.index[1]
    if f.kind == "x" and f.index:
        out["input"] = f.index[0]
    if fields.names_node(f):
        out["node"] = f.of.name
    out["case"] = f.case
    out["latex"] = f.latex()
    out["srepr"] = sympy.srepr(f.expr)
    out["value"] = _float(values.numbers.get(f.symbol)) if values is not None else None
    if f.uses:
        out["uses"] = [{"dz": latex(factor), "delta": latex(delta)} for factor, delta in f.uses]
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


def document(derivation, *, closed: bool = False, point=None, numbers: bool = False,
             learning_rate=None, hold=None, check: bool = True, full: bool = True) -> dict:
    """The JSON document: every formula, whatever the width (``full`` is accepted and
    changes nothing: programs read the JSON by name, so it stays complete)."""
    net = derivation.network
    values, report = evaluated(derivation, point, check)
    fields = part(FIELDS, net)
    out = {
        "title": net.title,
        fields.key: fields.structure(net),
        "formulas": [formula(f, values, closed, fields) for f in derivation.formulas],
        "vector_form": fields.vector_form(net),
        "check": None if report is None else report.as_dict(),
    }
    if net.runs_examples(point):
        batch = derivation.evaluate()
        if check:
            report = derivation.check()
            out["check"] = report.as_dict()
            batch = report.values
        out["examples"] = [{"cost": float(v.cost), "gradients": {n: float(g) for n, g in v.gradients.items()}}
                           for v in batch.examples]
    elif values is not None and values.coupled_examples:   # a mini-batch built as one graph
        out["examples"] = [{"cost": float(e["cost"]), "gradients": {n: float(g) for n, g in e["gradients"].items()}}
                           for e in values.coupled_examples]
    substituted.annotate(out, derivation, point=point, numbers=numbers)
    if learning_rate is not None:
        out["update"] = derivation.step(learning_rate, hold, point).as_dict()
    return out


#: What this format declares (see :data:`symbackprop.documents.FORMATS`).
EXTENSIONS = (".json",)
FRAGMENT = False
READS = "derivation"


def render(derivation, *, closed: bool = False, point=None, **extras) -> str:
    return json.dumps(document(derivation, closed=closed, point=point, **extras), indent=1,
                      ensure_ascii=False) + "\n"


__all__ = ["FIELDS", "document", "formula", "render"]
