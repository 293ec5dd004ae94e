"""A variant as a spec file: the template's fields with the student's numbers, as TOML.

Each kind of graph puts its values where its spec reads them (:data:`WRITERS`): a layered
net's ``W`` and ``b`` in its ``[[layers]]`` and ``x``, ``y`` in ``[point]``; any other
graph every leaf by name in ``[point]``; a recurrent net's matrices in ``[recurrent]``
and a row per step in ``[point]``. Numbers are written exactly: a whole number as
an integer, a finite decimal as a TOML float (``-1.5``), any other fraction as a string
(``"1/3"``), which the spec reader reads back exactly.

The TOML is written here (the standard library reads TOML but does not write it): strings
in double quotes with every control character escaped, keys bare where TOML allows.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..core.graph import part
from ..errors import SpecError

_BARE = re.compile(r"[A-Za-z0-9_-]+\Z")


def number(value):
    """An exact value as TOML: ``2``, ``-1.5``, ``"1/3"``; a float as Python writes it."""
    if isinstance(value, float):
        return repr(value)
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den != 1:
        return string(f"{value.numerator}/{value.denominator}")
    digits = 0
    while (value * 10 ** digits).denominator != 1:
        digits += 1
    scaled = abs(value.numerator * 10 ** digits // value.denominator)
    text = str(scaled).rjust(digits + 1, "0")
    return ("-" if value < 0 else "") + text[:-digits] + "." + text[-digits:]


def string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def key(name: str) -> str:
    return name if _BARE.match(name) else string(name)


def value(v) -> str:
    """Any spec value inline: a number, string, boolean, list or inline table."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return string(v)
    if isinstance(v, (int, float, Fraction)):
        return number(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(item) for item in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {value(item)}" for k, item in v.items()) + " }"
    raise SpecError(f"cannot write {type(v).__name__} in a spec")


def toml(data: dict) -> str:
    """The spec dict as TOML: plain fields first, then tables, then arrays of tables."""
    lines = []
    tables = []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append((k, v, False))
        elif isinstance(v, list) and v and all(isinstance(item, dict) for item in v):
            tables.append((k, v, True))
        else:
            lines.append(f"{key(k)} = {value(v)}")
    for k, v, many in tables:
        for table in (v if many else [v]):
            lines += ["", f"[[{key(k)}]]" if many else f"[{key(k)}]"]
            lines += [f"{key(name)} = {value(item)}" for name, item in table.items()]
    return "\n".join(lines) + "\n"


class _GraphValues:
    """Any graph: every leaf's value by name in ``[point]``."""

    @staticmethod
    def put(data: dict, net, values: dict) -> dict:
        point = {sym.name: values[sym] for sym, node in net.nodes.items()
                 if node.is_leaf and sym in values}
        return {**data, "point": point}


class _LayeredValues:
    """A layered net: ``W`` and ``b`` in each ``[[layers]]``, ``x`` and ``y`` in ``[point]``."""

    @staticmethod
    def put(data: dict, net, values: dict) -> dict:
        layers = []
        for l, layer in enumerate(data["layers"], start=1):
            rows = range(1, net.sizes[l] + 1)
            cols = range(1, net.sizes[l - 1] + 1)
            layers.append({**layer, "W": [[values[net.w(l, j, k)] for k in cols] for j in rows],
                           "b": [values[net.b(l, j)] for j in rows]})
        point = {"x": [values[net.x(k)] for k in range(1, net.sizes[0] + 1)]}
        if all(net.y(j) in values for j in range(1, net.sizes[-1] + 1)):
            point["y"] = [values[net.y(j)] for j in range(1, net.sizes[-1] + 1)]
        return {**data, "layers": layers, "point": point}


class _RecurrentValues:
    """A recurrent net: ``W``, ``U``, ``V``, ``b``, ``c`` in ``[recurrent]``, ``x`` and ``y``
    (a row per step) in ``[point]``."""

    @staticmethod
    def put(data: dict, net, values: dict) -> dict:
        n_in, n_h, n_out = net.sizes
        hidden, inputs, outputs = range(1, n_h + 1), range(1, n_in + 1), range(1, n_out + 1)
        table = {**data["recurrent"],
                 "W": [[values[net.W(j, k)] for k in hidden] for j in hidden],
                 "U": [[values[net.U(j, k)] for k in inputs] for j in hidden],
                 "V": [[values[net.V(j, k)] for k in hidden] for j in outputs],
                 "b": [values[net.b(j)] for j in hidden], "c": [values[net.c(j)] for j in outputs]}
        steps = range(1, net.steps + 1)
        point = {"x": [[values[net.x(t, k)] for k in inputs] for t in steps]}
        if all(net.y(t, j) in values for t in steps for j in outputs):
            point["y"] = [[values[net.y(t, j)] for j in outputs] for t in steps]
        return {**data, "recurrent": table, "point": point}


#: The graph's kind → how its values are written into its spec.
WRITERS = {"graph": _GraphValues, "layered": _LayeredValues, "recurrent": _RecurrentValues}


def variant(template: dict, net, values: dict) -> dict:
    """The template's spec fields (without ``[exercise]``) with ``values`` (symbol → number)."""
    data = {k: v for k, v in template.items() if k != "exercise"}
    return part(WRITERS, net).put(data, net, values)
