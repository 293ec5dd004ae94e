"""Reading network specs: a TOML or JSON file, or a dict with the same fields.

Every problem is reported as one :class:`SpecError` naming the file and the field
(``lecture.toml: layers[2].W: expected 2 rows (one per unit), got 3``). The fields are
those of DESIGN.md; anything else is rejected, so that a typo never passes silently.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import costs
from .errors import SpecError
from .io import read_text
from .naming import NOTATIONS, check_name
from .network import Network, as_number

try:  # Python ≥ 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TOP_FIELDS = ("title", "inputs", "targets", "cost", "notation", "layers", "point")
LAYER_FIELDS = ("units", "activation", "W", "b", "weight_names", "bias_names", "neuron_names")
POINT_FIELDS = ("x", "y")
MAX_SPEC_BYTES = 20_000_000


def load(source, *, notation: str | None = None) -> Network:
    """A :class:`Network` from a spec file path (``.toml`` or ``.json``) or a dict;
    ``notation`` (layered, bracket or lecture) overrides the spec's own."""
    if isinstance(source, dict):
        return from_dict(_with_notation(source, notation), "spec")
    path = Path(source)
    where = str(source)
    text = read_text(path, "a spec file (.toml or .json)", limit=MAX_SPEC_BYTES, error=SpecError)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: "
                            f"{exc.msg}") from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, [[[…]]] nested too deep
            raise SpecError(f"{where}: invalid JSON: {_reason(exc)}") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{where}: invalid TOML: {exc}") from None
        except (ValueError, RecursionError) as exc:
            raise SpecError(f"{where}: invalid TOML: {_reason(exc)}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: expected a table (object) at the top level")
    return from_dict(_with_notation(data, notation), where)


def _with_notation(data: dict, notation: str | None) -> dict:
    return data if notation is None else {**data, "notation": notation}


def _reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0]


def _fail(where: str, field: str, message: str):
    raise SpecError(f"{where}: {field}: {message}")


def _unknown(where: str, prefix: str, table: dict, allowed) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        _fail(where, prefix + extra[0], f"unknown field; expected one of: {', '.join(allowed)}")


def _count(where, field, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        _fail(where, field, f"expected a positive whole number, got {value!r}")
    return value


def _names(where, field, value, n) -> list:
    if not isinstance(value, list):
        _fail(where, field, f"expected a list of {n} names, got {value!r}")
    if len(value) != n:
        _fail(where, field, f"expected {n} names, got {len(value)}")
    return [check_name(v, f"{where}: {field}[{i}]") for i, v in enumerate(value, start=1)]


def _vector(where, field, value, n) -> list:
    if not isinstance(value, list):
        _fail(where, field, f"expected a list of {n} numbers, got {value!r}")
    if len(value) != n:
        _fail(where, field, f"expected {n} numbers, got {len(value)}")
    return [as_number(v, f"{where}: {field}[{i}]") for i, v in enumerate(value, start=1)]


def _matrix(where, field, value, rows, cols, item) -> list:
    if not isinstance(value, list):
        _fail(where, field, f"expected {rows} rows of {cols}, got {value!r}")
    if len(value) != rows:
        _fail(where, field, f"expected {rows} rows (one per unit), got {len(value)}")
    out = []
    for j, row in enumerate(value, start=1):
        if not isinstance(row, list) or len(row) != cols:
            got = len(row) if isinstance(row, list) else repr(row)
            _fail(where, f"{field}[{j}]",
                  f"expected {cols} entries (one per unit of the previous layer), got {got}")
        out.append([item(v, f"{where}: {field}[{j}][{k}]") for k, v in enumerate(row, start=1)])
    return out


def from_dict(data: dict, where: str = "spec") -> Network:
    """Validate a spec dict and build its network (with its values)."""
    _unknown(where, "", data, TOP_FIELDS)
    title = data.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip() or len(title) > 200
                              or any(ord(ch) < 32 or ord(ch) == 127 for ch in title)):
        _fail(where, "title", "expected one line of text (at most 200 characters, no control characters)")
    if "inputs" not in data:
        _fail(where, "inputs", "missing: give a count or a list of names")
    inputs = data["inputs"]
    input_names = None
    if isinstance(inputs, list):
        if not inputs:
            _fail(where, "inputs", "expected at least one input")
        input_names = _names(where, "inputs", inputs, len(inputs))
        n_in = len(inputs)
    else:
        n_in = _count(where, "inputs", inputs)
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        _fail(where, "layers", "expected at least one [[layers]] table")
    sizes, acts, names = [n_in], [], {}
    for l, layer in enumerate(layers, start=1):
        units, act, own = _layer(where, l, layer, sizes[-1], last=l == len(layers))
        sizes.append(units)
        acts.append(act)
        if own:
            names[l] = own
    targets = data.get("targets")
    if targets is not None:
        targets = _names(where, "targets", targets, sizes[-1])
    cost = data.get("cost", "mse")
    try:
        cost = costs.get(cost)
    except SpecError as exc:
        _fail(where, "cost", str(exc))
    notation = data.get("notation", "layered")
    if notation not in NOTATIONS:
        _fail(where, "notation", f"unknown notation {notation!r}; expected one of: {', '.join(NOTATIONS)}")
    try:
        net = Network(sizes, acts, cost, notation=notation, inputs=input_names, targets=targets,
                      names=names, title=title)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    net.values = _values(net, data, where)
    return net


def _layer(where: str, l: int, layer, prev: int, *, last: bool):
    """One [[layers]] table: its width, its activation and its own names."""
    field = f"layers[{l}]"
    if not isinstance(layer, dict):
        _fail(where, field, "expected a table")
    _unknown(where, field + ".", layer, LAYER_FIELDS)
    if "units" not in layer:
        _fail(where, f"{field}.units", "missing")
    units = _count(where, f"{field}.units", layer["units"])
    act = _activation(where, f"{field}.activation", layer.get("activation", "sigmoid"))
    if not act.elementwise and not last:
        _fail(where, f"{field}.activation", f"{act.name} is only supported on the output layer")
    own = {}
    if "weight_names" in layer:
        own["weights"] = _matrix(where, f"{field}.weight_names", layer["weight_names"], units, prev,
                                 check_name)
    if "bias_names" in layer:
        own["biases"] = _names(where, f"{field}.bias_names", layer["bias_names"], units)
    if "neuron_names" in layer:
        own["neurons"] = _names(where, f"{field}.neuron_names", layer["neuron_names"], units)
    return units, act, own


def _activation(where, field, value):
    from . import activations
    try:
        return activations.get(value)
    except SpecError as exc:
        _fail(where, field, str(exc))


def _values(net: Network, data: dict, where: str) -> dict:
    values, origin = {}, {}

    def put(sym, value, field):
        if sym in values and values[sym] != value:
            _fail(where, field, f"{sym.name} is shared, but {origin[sym]} gives it {_show(values[sym])} "
                                f"and {field} gives {_show(value)}")
        values[sym] = value
        origin.setdefault(sym, field)

    for l, layer in enumerate(data["layers"], start=1):
        units, prev = net.sizes[l], net.sizes[l - 1]
        if "W" in layer:
            W = _matrix(where, f"layers[{l}].W", layer["W"], units, prev, as_number)
            for j in range(units):
                for k in range(prev):
                    put(net.w(l, j + 1, k + 1), W[j][k], f"layers[{l}].W[{j + 1}][{k + 1}]")
        if "b" in layer:
            b = _vector(where, f"layers[{l}].b", layer["b"], units)
            for j in range(units):
                put(net.b(l, j + 1), b[j], f"layers[{l}].b[{j + 1}]")
    point = data.get("point", {})
    if not isinstance(point, dict):
        _fail(where, "point", "expected a table with x and y")
    _unknown(where, "point.", point, POINT_FIELDS)
    if "x" in point:
        for k, v in enumerate(_vector(where, "point.x", point["x"], net.sizes[0])):
            values[net.x(k + 1)] = v
    if "y" in point:
        for j, v in enumerate(_vector(where, "point.y", point["y"], net.sizes[-1])):
            values[net.y(j + 1)] = v
    return values


def _show(value) -> str:
    return str(value) if not hasattr(value, "denominator") or value.denominator != 1 else str(value.numerator)
