"""The fields every spec reader shares: one error naming the file and the field
(:func:`fail`), unknown fields refused, counts, names, numbers, vectors and matrices read
with their positions, and ``[point]`` / ``[[points]]`` examples.

The layered, recurrent and graph reader (:mod:`.spec`), the convolutional one
(:mod:`.convspec`) and the attention one (:mod:`.attention_spec`) import these; the
readers import one another one way only (:mod:`.spec` dispatches to the others).
"""

from __future__ import annotations

from ..core.graph import as_number
from ..errors import SpecError
from ..notation.naming import check_name
from ..ops import activations
from ..notation.quoting import check_title, clip

#: The grader's policy, in every kind of spec (read by :mod:`answers.policy`).
GRADING = ("grading", "mistakes")
#: Most examples in a mini-batch.
MAX_POINTS = 10_000
#: Most gradients checked over a mini-batch, examples × gradients: the three-way check
#: runs for each example (10 examples of a 16-16-16-16-16 net, 10,880, took 36 s).
MAX_BATCH_GRADIENTS = 10_000
POINT_FIELDS = ("x", "y")


def fail(where: str, field: str, message: str):
    """The one error of a bad field: ``lecture.toml: layers[2].W: …``."""
    raise SpecError(f"{where}: {field}: {message}")


def refuse_unknown(where: str, prefix: str, table: dict, allowed) -> None:
    """A field not in ``allowed`` refused, naming the fields that are: a typo never passes."""
    extra = sorted(set(table) - set(allowed))
    if extra:
        fail(where, prefix + clip(extra[0]), f"unknown field; expected one of: {', '.join(allowed)}")


def read_count(where, field, value) -> int:
    """A positive whole number (a count of units, steps, channels …)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail(where, field, f"expected a positive whole number, got {shown(repr(value))}")
    return value


def read_names(where, field, value, n) -> list:
    """A list of ``n`` names, each one the notation accepts."""
    if not isinstance(value, list):
        fail(where, field, f"expected a list of {n} names, got {shown(repr(value))}")
    if len(value) != n:
        fail(where, field, f"expected {n} names, got {len(value)}")
    return [check_name(v, f"{where}: {field}[{i}]") for i, v in enumerate(value, start=1)]


def read_vector(where, field, value, n) -> list:
    """A list of ``n`` numbers, each named by its position in a message."""
    if not isinstance(value, list):
        fail(where, field, f"expected a list of {n} numbers, got {shown(repr(value))}")
    if len(value) != n:
        fail(where, field, f"expected {n} numbers, got {len(value)}")
    return [as_number(v, f"{where}: {field}[{i}]") for i, v in enumerate(value, start=1)]


def read_matrix(where, field, value, rows, cols, item, per=("unit", "unit of the previous layer")) -> list:
    """A list of ``rows`` lists of ``cols`` items; ``per`` says what a row and an entry
    stand for in messages."""
    if not isinstance(value, list):
        fail(where, field, f"expected {rows} rows of {cols}, got {shown(value)}")
    if len(value) != rows:
        fail(where, field, f"expected {rows} rows (one per {per[0]}), got {len(value)}")
    out = []
    for j, row in enumerate(value, start=1):
        if not isinstance(row, list) or len(row) != cols:
            if not isinstance(row, list):
                fail(where, f"{field}[{j}]", f"expected a list of {cols} (one per {per[1]}), got {shown(row)}")
            fail(where, f"{field}[{j}]", f"expected {cols} entries (one per {per[1]}), got {len(row)}")
        out.append([item(v, f"{where}: {field}[{j}][{k}]") for k, v in enumerate(row, start=1)])
    return out


def read_title(data, where):
    """The spec's ``title`` (or None), checked as every title is."""
    return check_title(data.get("title"), f"{where}: title")


def read_activation(where, field, value):
    """The registry's activation named by ``value`` (a name or a table with parameters)."""
    try:
        return activations.get(value)
    except SpecError as exc:
        fail(where, field, str(exc))


def read_points(where, data, read_one, net):
    """``[point]`` into the graph's values, or ``[[points]]`` into its examples (refused at
    once above :data:`MAX_POINTS` examples or :data:`MAX_BATCH_GRADIENTS` gradients)."""
    if "point" in data and "points" in data:
        fail(where, "points", "give [point] (one example) or [[points]] (a mini-batch), not both")
    if "points" not in data:
        return None
    points = data["points"]
    if not isinstance(points, list) or not points:
        fail(where, "points", "expected at least one [[points]] table")
    if len(points) > MAX_POINTS:
        fail(where, "points", f"{len(points):,} examples, above the limit of {MAX_POINTS:,}")
    gradients = len(net.parameters) + (len(net.inputs) if net.reports_inputs else 0)
    if len(points) * gradients > MAX_BATCH_GRADIENTS:
        fail(where, "points", f"{len(points):,} examples × {gradients:,} gradients = "
                               f"{len(points) * gradients:,} to check, above the limit of {MAX_BATCH_GRADIENTS:,}")
    out = []
    for n, point in enumerate(points, start=1):
        if not isinstance(point, dict):
            fail(where, f"points[{n}]", "expected a table")
        out.append(read_one(point, f"points[{n}]"))
    return out


def shown(value, limit: int = 40) -> str:
    """A value as a message quotes it: a string as written, anything else as its repr, clipped."""
    return clip(repr(value) if not isinstance(value, str) else value, limit)
