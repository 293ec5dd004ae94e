"""The ``[recurrent]`` fields of a gated cell: ``cell``, ``truncate``, ``c0`` and each gate's
``W_g``, ``U_g``, ``b_g`` (see :mod:`.gated`). The spec reader (:mod:`.spec`) calls
:func:`options` before it builds the net and :func:`gate_values` after."""

from __future__ import annotations

from ..core.graph import as_number
from ..errors import SpecError
from ..notation.quoting import clip
from .recurrent import CELLS

#: Each cell's gate letters, in the order of its spec keys.
GATES = {"elman": (), **{name: tuple(g for g, _, _ in cls.gates) for name, cls in CELLS.items()}}
#: The fields a gated cell adds to ``[recurrent]``.
FIELDS = ("cell", "truncate", "c0") + tuple(f"{m}_{g}" for name in CELLS for g in GATES[name]
                                            for m in ("W", "U", "b"))


def options(where: str, table: dict, hidden: int) -> dict:
    """``cell``, ``truncate`` and ``c0`` as keyword arguments of :class:`Recurrent`, after
    refusing the fields the cell does not have (an LSTM's ``W``, an Elman net's ``W_f``)."""
    cell = table.get("cell", "elman")
    if cell not in GATES:
        raise SpecError(f"{where}: recurrent.cell: expected one of: {', '.join(GATES)}; got {clip(repr(cell))}")
    own = {f"{m}_{g}" for g in GATES[cell] for m in ("W", "U", "b")} if GATES[cell] else {"W", "U", "b"}
    for key in sorted(table):
        if key in ("W", "U", "b") + FIELDS[3:] and key not in own:
            expected = ", ".join(sorted(own, key=lambda k: (k[2:], "WUb".index(k[0]))))
            raise SpecError(f"{where}: recurrent.{key}: not a parameter of the {cell} cell; it has {expected}")
    if "c0" in table and cell != "lstm":
        raise SpecError(f"{where}: recurrent.c0: only an LSTM has a cell state (cell = \"lstm\")")
    out = {"cell": cell}
    if "truncate" in table:
        k = table["truncate"]
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise SpecError(f"{where}: recurrent.truncate: expected a positive whole number of steps, "
                            f"got {clip(repr(k))}")
        out["truncate"] = k
    if "c0" in table:
        out["c0"] = _vector(where, "recurrent.c0", table["c0"], hidden, "hidden unit")
    return out


def gate_values(where: str, table: dict, rnn) -> dict:
    """{symbol: number} of the gates' W_g (hidden × hidden), U_g (hidden × inputs), b_g."""
    n_in, n_h, _ = rnn.sizes
    out = {}
    for g in GATES[rnn.cell]:
        for m, cols, what in (("W", n_h, "hidden × hidden"), ("U", n_in, "hidden × inputs")):
            key = f"{m}_{g}"
            if key in table:
                rows = _matrix(where, key, table[key], n_h, cols, what)
                out.update({getattr(rnn, m)(j, k, g): v for j, row in enumerate(rows, 1) for k, v in enumerate(row, 1)})
        if f"b_{g}" in table:
            vector = _vector(where, f"recurrent.b_{g}", table[f"b_{g}"], n_h, "hidden unit")
            out.update({rnn.b(j, g): v for j, v in enumerate(vector, 1)})
    return out


def _matrix(where, key, value, rows, cols, what) -> list:
    """A rows × cols matrix of numbers; a wrong shape is one line naming the matrix and sizes."""
    shape = _shape(value)
    if shape != (rows, cols):
        got = "%d × %d" % shape if shape else clip(repr(value))
        raise SpecError(f"{where}: recurrent.{key}: expected a {rows} × {cols} matrix ({what}), got {got}")
    return [[as_number(v, f"{where}: recurrent.{key}[{j}][{k}]") for k, v in enumerate(row, 1)]
            for j, row in enumerate(value, 1)]


def _shape(value):
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        return None
    widths = {len(r) for r in value}
    return (len(value), widths.pop()) if len(widths) == 1 else None


def _vector(where, field, value, n, what) -> list:
    if not isinstance(value, list) or len(value) != n:
        got = "%d numbers" % len(value) if isinstance(value, list) else clip(repr(value))
        raise SpecError(f"{where}: {field}: expected {n} numbers (one per {what}), got {got}")
    return [as_number(v, f"{where}: {field}[{i}]") for i, v in enumerate(value, 1)]


__all__ = ["FIELDS", "GATES", "gate_values", "options"]
