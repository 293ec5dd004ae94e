"""Reading a convolutional spec: ``input_shape`` and ``[[layers]]`` of ``type = "conv"``,
``"maxpool"``, ``"avgpool"``, ``"batchnorm"``, ``"layernorm"`` or ``"dense"`` (DESIGN.md,
"Convolution, pooling and normalization"). Values are read by shape (``K[o][c][p][q]``,
``x[c][i][j]``) and every problem is one :class:`SpecError` naming the field.

A spec with a batch norm needs ``[[points]]``: its examples become one graph
(:class:`~.convnet.ConvNet` with ``examples=N``), the values of example n put on the
names ``x^{(n)}_{…}`` and ``y^{(n)}_{…}``. Any other spec's ``[[points]]`` is the usual
mini-batch of one-example evaluations.
"""

from __future__ import annotations

from ..errors import SpecError
from ..ops import costs
from ..core.graph import as_number
from .convnet import ConvNet, map_shapes, positions, refuse_large
from .layers import Conv, Dense, Norm, Pool, geometry
from .fields import (GRADING, POINT_FIELDS, fail, read_activation, read_count, read_points, read_title,
                     read_vector, refuse_unknown)

#: Most weight uses and parameters of a spec (the Python builder takes more, see
#: :data:`convnet.MAX_WEIGHT_USES`): every command derives and checks each use. On a shared
#: machine, a 1×14×14 net (conv 8×3×3, max pool 2, dense 10: 13,248 uses) took 17 s to
#: derive to HTML and 11 s to check an answer; the same at 1×28×28 (62,192 uses) 67 s and
#: 1.1 GB to check one answer.
MAX_WEIGHT_USES = 20_000
MAX_PARAMETERS = 5_000

TOP_FIELDS = ("title", "input_shape", "cost", "layers", "point", "points") + GRADING
FIELDS = {"conv": ("type", "channels", "kernel", "stride", "padding", "activation", "K", "b"),
          "maxpool": ("type", "kernel", "stride"), "avgpool": ("type", "kernel", "stride"),
          "batchnorm": ("type", "gamma", "beta", "eps", "activation"),
          "layernorm": ("type", "gamma", "beta", "eps", "activation"),
          "dense": ("type", "units", "activation", "W", "b")}


def read_convnet(data: dict, where: str) -> ConvNet:
    """The :class:`ConvNet` of a spec with ``input_shape``, with its values and examples."""
    refuse_unknown(where, "", data, TOP_FIELDS)
    shape = data["input_shape"]
    if not isinstance(shape, list) or len(shape) not in (2, 3):
        fail(where, "input_shape", f"expected [channels, rows, cols] or [channels, length], got {shape!r}"[:120])
    shape = tuple(read_count(where, f"input_shape[{i}]", s) for i, s in enumerate(shape, start=1))
    entries = data.get("layers")
    if not isinstance(entries, list) or not entries:
        fail(where, "layers", "expected at least one [[layers]] table")
    layers = [_layer(where, l, entry) for l, entry in enumerate(entries, start=1)]
    try:
        cost = costs.get(data.get("cost", "mse"))
    except SpecError as exc:
        fail(where, "cost", str(exc))
    batch = any(isinstance(layer, Norm) and layer.mode == "batch" for layer in layers)
    points = data.get("points")
    if batch and (not isinstance(points, list) or not points):
        fail(where, "points", "a batch norm normalizes over the examples of a mini-batch: give [[points]] "
                               "(two or more examples), not [point]")
    title = read_title(data, where)     # its message names the spec already
    try:
        refuse_large(map_shapes(shape, layers), layers, len(points) if batch else 1, MAX_WEIGHT_USES, MAX_PARAMETERS,
                     " for a spec (its commands derive and check every use; sb.ConvNet builds larger nets for "
                     "compile())")
        net = ConvNet(shape, layers, cost, examples=len(points) if batch else None, title=title)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    values = _parameters(net, entries, where)
    if batch:
        if "point" in data:
            fail(where, "point", "a batch norm spec gives its examples as [[points]] only")
        for n, point in enumerate(points, start=1):
            values.update(_example(net, point, f"points[{n}]", where, n))
        net.values = values
    else:
        values.update(_example(net, data.get("point", {}), "point", where, None))
        net.values = values
        net.points = read_points(where, data, lambda p, f: _example(net, p, f, where, None), net) or []
    return net


def _layer(where, l, entry):
    field = f"layers[{l}]"
    if not isinstance(entry, dict):
        fail(where, field, "expected a table")
    kind = entry.get("type", "dense")
    if kind not in FIELDS:
        fail(where, f"{field}.type", f"unknown layer type {str(kind)[:40]!r}; expected one of: {', '.join(FIELDS)}")
    refuse_unknown(where, field + ".", entry, FIELDS[kind])
    act = entry.get("activation", "sigmoid" if kind == "dense" else "identity")
    if "activation" in FIELDS[kind]:
        act = read_activation(where, f"{field}.activation", act)
    if kind == "conv":
        if "channels" not in entry:
            fail(where, f"{field}.channels", "missing")
        padding = entry.get("padding", 0)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            fail(where, f"{field}.padding", f"expected a whole number ≥ 0, got {str(padding)[:40]}")
        return Conv(read_count(where, f"{field}.channels", entry["channels"]), _ints(where, field, entry, "kernel", 3),
                    _ints(where, field, entry, "stride", 1), padding, act)
    if kind in ("maxpool", "avgpool"):
        stride = _ints(where, field, entry, "stride", None)
        return Pool(_ints(where, field, entry, "kernel", 2), stride, kind[:3])
    if kind in ("batchnorm", "layernorm"):
        eps = entry.get("eps", "1/100000")
        value = as_number(eps, f"{where}: {field}.eps")
        if value <= 0:
            fail(where, f"{field}.eps", f"expected a positive number, got {eps}")
        return Norm(kind[:-4], str(value), act)
    if "units" not in entry:
        fail(where, f"{field}.units", "missing")
    return Dense(read_count(where, f"{field}.units", entry["units"]), act)


def _ints(where, field, entry, key, default):
    value = entry.get(key, default)
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > 2:
        fail(where, f"{field}.{key}", f"expected a positive whole number or a list of 1 or 2, got {str(value)[:40]}")
    for i, v in enumerate(items, start=1):
        read_count(where, f"{field}.{key}" + (f"[{i}]" if isinstance(value, list) else ""), v)
    return tuple(items) if isinstance(value, list) else value


def _nested(where, field, value, shape, per):
    """A nested list of ``shape`` as {1-based index: number}."""
    out = {}

    def walk(v, depth, at):
        name = field + "".join(f"[{i}]" for i in at)
        if depth == len(shape):
            out[at] = as_number(v, f"{where}: {name}")
            return
        if not isinstance(v, list) or len(v) != shape[depth]:
            got = f"{len(v)} entries" if isinstance(v, list) else str(v)[:40]
            fail(where, name, f"expected {shape[depth]} entries (one per {per[depth]}), got {got}; "
                               f"the whole shape is {'×'.join(map(str, shape))}")
        for i, item in enumerate(v, start=1):
            walk(item, depth + 1, at + (i,))
    walk(value, 0, ())
    return out


def _parameters(net, entries, where) -> dict:
    values = {}
    for l, (layer, entry) in enumerate(zip(net.layers, entries), start=1):
        field, before, after = f"layers[{l}]", net.shapes[l - 1], net.shapes[l]
        if isinstance(layer, Conv):
            kernel = geometry(layer, before)[0]
            per = ("output channel", "input channel") + (("kernel row", "kernel column") if len(kernel) == 2
                                                         else ("tap",))
            if "K" in entry:
                for index, v in _nested(where, f"{field}.K", entry["K"], (after[0], before[0]) + kernel, per).items():
                    values[net.K(l, *index)] = v
            if "b" in entry:
                for j, v in enumerate(read_vector(where, f"{field}.b", entry["b"], after[0]), start=1):
                    values[net.b(l, j)] = v
        elif isinstance(layer, Dense):
            flat = len(positions(before))
            if "W" in entry:
                for (j, k), v in _nested(where, f"{field}.W", entry["W"], (layer.units, flat),
                                         ("unit", "flattened entry of the layer before")).items():
                    values[net.w(l, j, k)] = v
            if "b" in entry:
                for j, v in enumerate(read_vector(where, f"{field}.b", entry["b"], layer.units), start=1):
                    values[net.b(l, j)] = v
        elif isinstance(layer, Norm):
            count = before[0] if layer.mode == "batch" else len(positions(before))
            for key, name in (("gamma", net.gamma), ("beta", net.beta)):
                if key in entry:
                    for j, v in enumerate(read_vector(where, f"{field}.{key}", entry[key], count), start=1):
                        values[name(l, j)] = v
    return values


def _example(net, point, field, where, n) -> dict:
    if not isinstance(point, dict):
        fail(where, field, "expected a table with x and y")
    refuse_unknown(where, field + ".", point, POINT_FIELDS)
    out = {}
    shape = net.shapes[0]
    per = ("channel", "row", "column") if len(shape) == 3 else ("channel", "position")
    if "x" in point:
        for index, v in _nested(where, f"{field}.x", point["x"], shape, per).items():
            out[net.x(*index, n=n)] = v
    if "y" in point:
        outputs = len(positions(net.shapes[-1]))
        for j, v in enumerate(read_vector(where, f"{field}.y", point["y"], outputs), start=1):
            out[net.y(j, n=n)] = v
    return out


__all__ = ["read_convnet"]
