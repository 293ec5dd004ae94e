"""Reading an ``[attention]`` spec into an :class:`~.attention.Attention` head.

A matrix of the wrong shape is one error naming the matrix, the sizes it must have and
the sizes it has (``attention.W_Q: W_Q is d_model × d_k = 2 × 2, got 3 × 2``).
"""

from __future__ import annotations

from ..core.graph import as_number
from ..errors import SpecError
from ..ops import costs
from .attention import MAX_SPEC_TERMS, MAX_TERMS, MAX_TOKENS, MAX_WIDTH, SHAPES, Attention
from .fields import (GRADING, POINT_FIELDS, fail, read_activation, read_count, read_matrix, read_points,
                     read_title, read_vector, refuse_unknown, shown)

ATTENTION_FIELDS = ("title", "cost", "attention", "point", "points") + GRADING
ATTENTION_TABLE = ("tokens", "d_model", "d_k", "d_v", "W_Q", "W_K", "W_V", "mask", "outputs", "W_O", "b_O",
                   "output_activation")


def read_attention(data: dict, where: str) -> Attention:
    """The head of a spec with an ``[attention]`` table, with its values and examples."""
    refuse_unknown(where, "", data, ATTENTION_FIELDS)
    title = read_title(data, where)
    table = data["attention"]
    if not isinstance(table, dict):
        fail(where, "attention", "expected a table")
    refuse_unknown(where, "attention.", table, ATTENTION_TABLE)
    sizes = _sizes(table, where)
    mask = table.get("mask")
    if mask is not None and mask != "causal":
        fail(where, "attention.mask", f"expected \"causal\" (or no mask), got {shown(mask)}")
    out_act = read_activation(where, "attention.output_activation", table.get("output_activation", "identity"))
    try:
        cost = costs.get(data.get("cost", "mse"))
    except SpecError as exc:
        fail(where, "cost", str(exc))
    if all(n <= (MAX_TOKENS if key == "tokens" else MAX_WIDTH) for key, n in sizes.items()):
        try:
            Attention.check_size(sizes["tokens"], sizes["d_model"], sizes["d_k"], sizes["d_v"], sizes.get("outputs"),
                                 MAX_SPEC_TERMS, f"{where}: attention: ")
        except SpecError as exc:
            raise SpecError(f"{exc} for a spec (every command documents or checks the head node by node; "
                            f"from Python, sb.Attention builds up to {MAX_TERMS:,} for d.compile())") from None
    try:
        head = Attention(sizes["tokens"], sizes["d_model"], sizes["d_k"], sizes["d_v"], mask=mask,
                         outputs=sizes.get("outputs"), output_activation=out_act, cost=cost, title=title)
    except SpecError as exc:
        raise SpecError(f"{where}: attention: {exc}") from None
    values = _weights(head, table, sizes, where)
    values.update(_example(head, data.get("point", {}), "point", where))
    head.values = values
    head.points = read_points(where, data, lambda p, f: _example(head, p, f, where), head) or []
    return head


def _sizes(table: dict, where: str) -> dict:
    """tokens, d_model, d_k, d_v (d_k unless given) and outputs (W_O's rows unless given)."""
    sizes = {}
    for key in ("tokens", "d_model", "d_k"):
        if key not in table:
            fail(where, f"attention.{key}", "missing")
        sizes[key] = read_count(where, f"attention.{key}", table[key])
    sizes["d_v"] = read_count(where, "attention.d_v", table["d_v"]) if "d_v" in table else sizes["d_k"]
    if "outputs" in table:
        sizes["outputs"] = read_count(where, "attention.outputs", table["outputs"])
    elif "W_O" in table or "b_O" in table:
        given = table.get("W_O", table.get("b_O"))
        if not isinstance(given, list) or not given:
            fail(where, "attention.W_O" if "W_O" in table else "attention.b_O",
                        f"expected a non-empty list, got {shown(given)}")
        sizes["outputs"] = len(given)
    return sizes


def _sized(where: str, field: str, label: str, value, rows: tuple, cols: tuple) -> list:
    """A matrix of rows[1] × cols[1] numbers (rows[0], cols[0] name the sizes); a matrix
    of another shape is one error with both shapes: ``W_Q is d_model × d_k = 2 × 2, got 3 × 2``."""
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        widths = sorted({len(r) for r in value})
        if len(value) != rows[1] or widths != [cols[1]]:
            got = f"{len(value)} × {widths[0]}" if len(widths) == 1 else \
                f"{len(value)} rows of {' or '.join(map(str, widths))} entries"
            fail(where, field, f"{label} is {rows[0]} × {cols[0]} = {rows[1]} × {cols[1]}, got {got}")
    return read_matrix(where, field, value, rows[1], cols[1], as_number, (rows[0], cols[0]))


def _weights(head: Attention, table: dict, sizes: dict, where: str) -> dict:
    values = {}
    for name, (rows, cols) in SHAPES.items():
        if name in table:
            matrix = _sized(where, f"attention.{name}", name, table[name], (rows, sizes[rows]),
                            (cols, sizes[cols]))
            for i, row in enumerate(matrix, start=1):
                for k, v in enumerate(row, start=1):
                    values[head.entry(name, i, k)] = v
    if "b_O" in table:
        for j, v in enumerate(read_vector(where, "attention.b_O", table["b_O"], sizes["outputs"]), start=1):
            values[head.b_O(j)] = v
    return values


def _example(head: Attention, point, field: str, where: str) -> dict:
    """x (tokens × d_model) and y (tokens × d_v, or tokens × outputs) of one example."""
    if not isinstance(point, dict):
        fail(where, field, "expected a table with x and y (one row per token)")
    refuse_unknown(where, field + ".", point, POINT_FIELDS)
    out = {}
    width = {"x": ("d_model", head.d_model),
             "y": ("outputs", head.outputs) if head.outputs is not None else ("d_v", head.d_v)}
    for key, matrix in (("x", "X"), ("y", "Y")):
        if key in point:
            rows = _sized(where, f"{field}.{key}", key, point[key], ("tokens", head.tokens), width[key])
            for t, row in enumerate(rows, start=1):
                for i, v in enumerate(row, start=1):
                    out[head.entry(matrix, t, i)] = v
    return out
