"""Reading specs: a TOML or JSON file, or a dict with the same fields.

Three kinds, told apart by their fields: a layered network (``[[layers]]``), a recurrent
net (``[recurrent]``) and any other graph (``define``). ``[[points]]`` instead of
``[point]`` makes a mini-batch: the cost is the total L = Σₙ Cⁿ over the examples.

Every problem is reported as one :class:`SpecError` naming the file and the field
(``lecture.toml: layers[2].W: expected 2 rows (one per unit), got 3``). The fields are
those of DESIGN.md; anything else is rejected, so that a typo never passes silently.

The tables a spec carries for the stages after this one (the grader's ``[grading]`` and
``[[mistakes]]``, a template's ``[exercise]``) are kept as read, as plain data on the
graph (:class:`Sections`); each stage reads its own (:mod:`symbackprop.loading` runs
them): input does not depend on grading or assignments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..ops import costs
from ..errors import SpecError
from ..io import read_text
from ..notation.naming import NOTATIONS, check_name
from ..notation.quoting import clip
from ..core.graph import Graph, as_number
from .attention_spec import read_attention
from .convspec import read_convnet
from .fields import (GRADING, POINT_FIELDS, fail, read_activation, read_count, read_matrix,
                     read_names, read_points, read_title, read_vector, refuse_unknown, shown)
from .network import Network
from .recurrent import CELLS, MAX_SPEC_WEIGHT_USES, MAX_STEPS, MAX_UNITS, MAX_WEIGHT_USES, Recurrent
from . import cells

try:  # Python ≥ 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Every table kept for a later stage: the grader's, and a template's ``[exercise]`` (read by
#: :mod:`assignments.exercise`).
SECTIONS = GRADING + ("exercise",)
TOP_FIELDS = ("title", "inputs", "targets", "cost", "notation", "layers", "point", "points") + GRADING
GRAPH_FIELDS = ("title", "inputs", "targets", "parameters", "define", "output", "point",
                "points") + GRADING
RECURRENT_FIELDS = ("title", "cost", "recurrent", "point", "points") + GRADING
RECURRENT_TABLE = ("inputs", "hidden", "outputs", "steps", "activation", "output_activation",
                   "W", "U", "V", "b", "c", "h0") + cells.FIELDS
#: Most weights and output units of a layered spec (the Python API allows more, see
#: :data:`network.MAX_WEIGHTS`): every weight is a compiled definition and lines of the
#: document (on a shared machine, derive of 1-5000-1, 10,000 weights, took 55 s; of
#: 141-141 84 s; of 2-10000 hours and 1.8 GB of HTML), and each gradient's 50-digit finite
#: difference recomputes the cost's sum over the outputs (eval of 2-300 took 88 s).
MAX_WEIGHTS = 5_000
MAX_OUTPUTS = 100
#: Most layers × weights of a layered spec: the check's routes recompute the layers after
#: each parameter (eval of 1,000 layers of 2 units, or of 50 layers of 10, took minutes;
#: of 50 layers of 2, 10,000, 35 s).
MAX_DEPTH_WEIGHTS = 20_000
#: Most entries of a ``define`` list, and most characters in all of them: each is read,
#: derived and written out (a random graph of 5,000 nodes, 245 kB: eval took 35 s of CPU,
#: derive to LaTeX more than 76 s).
MAX_DEFINITIONS = 2_000
MAX_DEFINE_CHARACTERS = 100_000
LAYER_FIELDS = ("units", "activation", "W", "b", "weight_names", "bias_names", "neuron_names")
MAX_SPEC_BYTES = 20_000_000


@dataclass(frozen=True)
class Sections:
    """A spec's tables for the stages after the reader, as read: ``tables`` maps each of
    :data:`SECTIONS` the spec gives to its value, ``fields`` are the spec's other fields
    (what a template's variant rewrites), ``where`` names the spec in messages."""

    where: str
    tables: dict
    fields: dict


def load(source, *, notation: str | None = None) -> Network:
    """A :class:`Network` from a spec file path (``.toml`` or ``.json``) or a dict;
    ``notation`` (layered, bracket or lecture) overrides the spec's own."""
    if isinstance(source, dict):
        return from_dict(_with_notation(source, notation), "spec")
    if str(source) == "":
        raise SpecError("the spec path is empty, expected a spec file (.toml or .json)")
    path = Path(source)
    where = clip(str(source), None)
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
    if notation is not None and ("define" in data or "recurrent" in data):
        raise SpecError(f"--notation {notation} applies to layered networks only; a graph or "
                        "recurrent spec writes its own names")
    return data if notation is None else {**data, "notation": notation}


def _reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0]


def from_dict(data: dict, where: str = "spec"):
    """Validate a spec dict and build its graph (with its values): a :class:`Network`,
    a :class:`Recurrent` or a :class:`Graph`; its :data:`SECTIONS` kept as read in
    ``graph.sections``."""
    fields = {k: v for k, v in data.items() if k != "exercise"} if "exercise" in data else data
    graph = _build(fields, where)
    graph.sections = Sections(where, {k: data[k] for k in SECTIONS if k in data}, fields)
    return graph


def _build(data: dict, where: str):
    """The graph of a spec without its ``[exercise]``, by the fields that tell its kind."""
    if "define" in data:
        return _graph(data, where)
    if "recurrent" in data:
        return _recurrent(data, where)
    if "attention" in data:
        return read_attention(data, where)
    if "input_shape" in data:  # a convolutional network
        return read_convnet(data, where)
    return _layered(data, where)


def _layered(data: dict, where: str) -> Network:
    refuse_unknown(where, "", data, TOP_FIELDS)
    title = read_title(data, where)
    if "inputs" not in data:
        fail(where, "inputs", "missing: give a count or a list of names")
    inputs = data["inputs"]
    input_names = None
    if isinstance(inputs, list):
        if not inputs:
            fail(where, "inputs", "expected at least one input")
        input_names = read_names(where, "inputs", inputs, len(inputs))
        n_in = len(inputs)
    else:
        n_in = read_count(where, "inputs", inputs)
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        fail(where, "layers", "expected at least one [[layers]] table")
    sizes, acts, names = [n_in], [], {}
    for l, layer in enumerate(layers, start=1):
        units, act, own = _layer(where, l, layer, sizes[-1], last=l == len(layers))
        sizes.append(units)
        acts.append(act)
        if own:
            names[l] = own
    targets = data.get("targets")
    if targets is not None:
        targets = read_names(where, "targets", targets, sizes[-1])
    cost = data.get("cost", "mse")
    try:
        cost = costs.get(cost)
    except SpecError as exc:
        fail(where, "cost", str(exc))
    notation = data.get("notation", "layered")
    if notation not in NOTATIONS:
        fail(where, "notation", f"unknown notation {shown(repr(notation))}; expected one of: {', '.join(NOTATIONS)}")
    _refuse_large(where, sizes)
    try:
        net = Network(sizes, acts, cost, notation=notation, inputs=input_names, targets=targets,
                      names=names, title=title)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    net.values = _values(net, data, where)
    return net


def _refuse_large(where, sizes):
    """A layered spec above :data:`MAX_WEIGHTS` weights, :data:`MAX_OUTPUTS` outputs or
    :data:`MAX_DEPTH_WEIGHTS` layers × weights, refused from its sizes, before anything is built."""
    from .network import MAX_LAYERS, MAX_WIDTH
    if max(sizes) > MAX_WIDTH or len(sizes) - 1 > MAX_LAYERS:
        return  # the network's own limits, named by Network
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if weights > MAX_WEIGHTS:
        raise SpecError(f"{where}: the network has {weights:,} weights, above the limit of {MAX_WEIGHTS:,}")
    if sizes[-1] > MAX_OUTPUTS:
        raise SpecError(f"{where}: the output layer has {sizes[-1]:,} units, above the limit of {MAX_OUTPUTS:,}")
    layers = len(sizes) - 1
    if layers * weights > MAX_DEPTH_WEIGHTS:
        raise SpecError(f"{where}: {layers:,} layers × {weights:,} weights = {layers * weights:,}, above the "
                        f"limit of {MAX_DEPTH_WEIGHTS:,} for layers × weights")


def _layer(where: str, l: int, layer, prev: int, *, last: bool):
    """One [[layers]] table: its width, its activation and its own names."""
    field = f"layers[{l}]"
    if not isinstance(layer, dict):
        fail(where, field, "expected a table")
    refuse_unknown(where, field + ".", layer, LAYER_FIELDS)
    if "units" not in layer:
        fail(where, f"{field}.units", "missing")
    units = read_count(where, f"{field}.units", layer["units"])
    act = read_activation(where, f"{field}.activation", layer.get("activation", "sigmoid"))
    if not act.elementwise and not last:
        fail(where, f"{field}.activation", f"{act.name} is only supported on the output layer")
    own = {}
    if "weight_names" in layer:
        own["weights"] = read_matrix(where, f"{field}.weight_names", layer["weight_names"], units, prev,
                                 check_name)
    if "bias_names" in layer:
        own["biases"] = read_names(where, f"{field}.bias_names", layer["bias_names"], units)
    if "neuron_names" in layer:
        own["neurons"] = read_names(where, f"{field}.neuron_names", layer["neuron_names"], units)
    return units, act, own


def _values(net: Network, data: dict, where: str) -> dict:
    values, origin = {}, {}

    def put(sym, value, field):
        if sym in values and values[sym] != value:
            fail(where, field, f"{sym.name} is shared, but {origin[sym]} gives it {_show(values[sym])} "
                                f"and {field} gives {_show(value)}")
        values[sym] = value
        origin.setdefault(sym, field)

    for l, layer in enumerate(data["layers"], start=1):
        units, prev = net.sizes[l], net.sizes[l - 1]
        if "W" in layer:
            W = read_matrix(where, f"layers[{l}].W", layer["W"], units, prev, as_number)
            for j in range(units):
                for k in range(prev):
                    put(net.w(l, j + 1, k + 1), W[j][k], f"layers[{l}].W[{j + 1}][{k + 1}]")
        if "b" in layer:
            b = read_vector(where, f"layers[{l}].b", layer["b"], units)
            for j in range(units):
                put(net.b(l, j + 1), b[j], f"layers[{l}].b[{j + 1}]")
    def example(point, field):
        if not isinstance(point, dict):
            fail(where, field, "expected a table with x and y")
        refuse_unknown(where, field + ".", point, POINT_FIELDS)
        out = {}
        if "x" in point:
            for k, v in enumerate(read_vector(where, f"{field}.x", point["x"], net.sizes[0])):
                out[net.x(k + 1)] = v
        if "y" in point:
            for j, v in enumerate(read_vector(where, f"{field}.y", point["y"], net.sizes[-1])):
                out[net.y(j + 1)] = v
        return out

    values.update(example(data.get("point", {}), "point"))
    net.points = read_points(where, data, example, net) or []
    return values


def _show(value) -> str:
    return str(value) if not hasattr(value, "denominator") or value.denominator != 1 else str(value.numerator)


# --- a recurrent net -----------------------------------------------------------------------

def _recurrent(data: dict, where: str) -> Recurrent:
    refuse_unknown(where, "", data, RECURRENT_FIELDS)
    title = read_title(data, where)
    table = data["recurrent"]
    if not isinstance(table, dict):
        fail(where, "recurrent", "expected a table")
    refuse_unknown(where, "recurrent.", table, RECURRENT_TABLE)
    sizes = _recurrent_sizes(table, where)
    act = read_activation(where, "recurrent.activation", table.get("activation", "tanh"))
    out_act = read_activation(where, "recurrent.output_activation", table.get("output_activation", "identity"))
    cost = data.get("cost", "mse")
    try:
        cost = costs.get(cost)
    except SpecError as exc:
        fail(where, "cost", str(exc))
    n_in, n_h, n_out, T = sizes["inputs"], sizes["hidden"], sizes["outputs"], sizes["steps"]
    h0 = read_vector(where, "recurrent.h0", table["h0"], n_h) if "h0" in table else None
    options = cells.options(where, table, n_h)
    _refuse_large_recurrent(CELLS.get(options["cell"], Recurrent), sizes, where)
    try:
        rnn = Recurrent(n_in, n_h, n_out, T, act, out_act, cost, h0=h0, title=title, **options)
    except SpecError as exc:
        raise SpecError(f"{where}: recurrent: {exc}") from None
    values = {**rnn.values, **cells.gate_values(where, table, rnn), **_recurrent_parameters(rnn, table, where)}

    def example(point, field):
        return _recurrent_example(rnn, point, field, where)

    values.update(example(data.get("point", {}), "point"))
    rnn.values = values
    rnn.points = read_points(where, data, example, rnn) or []
    return rnn


def _recurrent_sizes(table: dict, where: str) -> dict:
    sizes = {}
    for key in ("inputs", "hidden", "outputs", "steps"):
        if key not in table:
            fail(where, f"recurrent.{key}", "missing")
        sizes[key] = read_count(where, f"recurrent.{key}", table[key])
    return sizes


def _refuse_large_recurrent(cell, sizes: dict, where: str) -> None:
    """A spec's net above :data:`MAX_SPEC_WEIGHT_USES`, refused from its sizes before it is
    built (a size above its own limit is refused by the builder, with that size named)."""
    for key, n in sizes.items():   # a size's own limit first, then the whole net's
        if n > (MAX_STEPS if key == "steps" else MAX_UNITS):
            return
    try:
        cell.check_size(sizes["inputs"], sizes["hidden"], sizes["outputs"], sizes["steps"],
                        MAX_SPEC_WEIGHT_USES, f"{where}: recurrent: ")
    except SpecError as exc:
        raise SpecError(f"{exc} for a spec (every command documents or checks the net node by node; "
                        f"from Python, sb.Recurrent builds up to {MAX_WEIGHT_USES:,} for d.compile())") from None


def _recurrent_parameters(rnn, table: dict, where: str) -> dict:
    """The values of W, U, V, b and c the ``[recurrent]`` table gives."""
    values = {}
    n_in, n_h, n_out = rnn.sizes
    shapes = {"W": (n_h, n_h, rnn.W, ("hidden unit", "hidden unit")),
              "U": (n_h, n_in, rnn.U, ("hidden unit", "input")),
              "V": (n_out, n_h, rnn.V, ("output", "hidden unit"))}
    for key, (rows, cols, name, per) in shapes.items():
        if key in table:
            M = read_matrix(where, f"recurrent.{key}", table[key], rows, cols, as_number, per)
            for j in range(rows):
                for k in range(cols):
                    values[name(j + 1, k + 1)] = M[j][k]
    for key, n, name in (("b", n_h, rnn.b), ("c", n_out, rnn.c)):
        if key in table:
            for j, v in enumerate(read_vector(where, f"recurrent.{key}", table[key], n), start=1):
                values[name(j)] = v
    return values


def _recurrent_example(rnn, point, field: str, where: str) -> dict:
    """One example's inputs and targets (one row per step) by name."""
    if not isinstance(point, dict):
        fail(where, field, "expected a table with x and y (one row per step)")
    refuse_unknown(where, field + ".", point, POINT_FIELDS)
    out = {}
    for key, n, name in (("x", rnn.sizes[0], rnn.x), ("y", rnn.sizes[2], rnn.y)):
        if key in point:
            rows = read_matrix(where, f"{field}.{key}", point[key], rnn.steps, n, as_number,
                               ("step", "input" if key == "x" else "output"))
            for t in range(rnn.steps):
                for k in range(n):
                    out[name(t + 1, k + 1)] = rows[t][k]
    return out


# --- any graph: define -----------------------------------------------------------------

def _graph(data: dict, where: str) -> Graph:
    refuse_unknown(where, "", data, GRAPH_FIELDS)
    graph = Graph(read_title(data, where))
    entries = _define_entries(data, where)
    _declare_leaves(graph, data, where)
    defined = _define_nodes(graph, entries, where)
    _set_output(graph, data.get("output", defined[-1]), where)

    def example(point, field):
        if not isinstance(point, dict):
            fail(where, field, "expected a table of values by name")
        out = {}
        for key, value in point.items():
            try:
                sym = graph.symbol(key)
            except SpecError:
                sym = None
            if sym is None or not graph.nodes[sym].is_leaf:
                fail(where, f"{field}.{shown(key, 60)}", "not a declared input, target or parameter")
            out[sym] = as_number(value, f"{where}: {field}.{clip(key)}")
        return out

    graph.values = example(data.get("point", {}), "point")
    graph.points = read_points(where, data, example, graph) or []
    return graph


def _declare_leaves(graph: Graph, data: dict, where: str) -> None:
    """The spec's ``inputs``, ``targets`` and ``parameters``, in that order."""
    for field, declare in (("inputs", graph.input), ("targets", graph.target),
                           ("parameters", graph.parameter)):
        if field not in data:
            if field == "inputs":
                fail(where, field, "missing: give the list of input names")
            continue
        names = data[field]
        if not isinstance(names, list):
            fail(where, field, f"expected a list of names, got {shown(names)}")
        for i, name in enumerate(names, start=1):
            try:
                declare(check_name(name, f"{where}: {field}[{i}]"))
            except SpecError as exc:
                message = str(exc)
                raise SpecError(message if message.startswith(where) else f"{where}: {field}[{i}]: {message}") from None


def _define_entries(data: dict, where: str) -> list:
    """The ``define`` list, refused at once above :data:`MAX_DEFINITIONS` entries or
    :data:`MAX_DEFINE_CHARACTERS` characters (before any node is built)."""
    entries = data.get("define")
    if not isinstance(entries, list) or not entries:
        fail(where, "define", "expected a list of \"name = formula\" strings")
    if len(entries) > MAX_DEFINITIONS:
        fail(where, "define", f"{len(entries):,} definitions, above the limit of {MAX_DEFINITIONS:,}")
    characters = sum(len(e) for e in entries if isinstance(e, str))
    if characters > MAX_DEFINE_CHARACTERS:
        fail(where, "define", f"{characters:,} characters of definitions, above the limit of "
                               f"{MAX_DEFINE_CHARACTERS:,}")
    return entries


def _define_nodes(graph: Graph, entries: list, where: str) -> list:
    """Each ``define`` entry read and defined in order; the names defined."""
    from ..reading.lexer import AnswerReadError
    from ..reading.formula import Declared, read_as_written, read_formula

    split = [_definition(where, i, entry) for i, entry in enumerate(entries, start=1)]
    later = {}
    for i, (name, _, _) in enumerate(split, start=1):
        later.setdefault(name, i)
    declared = Declared(graph.nodes)
    for i, (name, formula, offset) in enumerate(split, start=1):
        field = f"define[{i}]"
        if later[name] != i:
            fail(where, field, f"'{name}' is defined twice (first in define[{later[name]}])")
        try:
            expr = read_formula(formula, declared)
        except AnswerReadError as exc:
            fail(where, field, _definition_error(exc, name, i, later, split, offset))
        try:
            declared.add(graph.define(name, expr, read_as_written(formula, declared)))
        except SpecError as exc:
            fail(where, field, str(exc))
    return [name for name, _, _ in split]


def _set_output(graph: Graph, output, where: str) -> None:
    """The spec's ``output`` (by default the last definition)."""
    if not isinstance(output, str):
        fail(where, "output", f"expected the name of a defined node, got {shown(output)}")
    try:
        sym = graph.symbol(output)
    except SpecError:
        fail(where, "output", f"'{shown(output, 60)}' is not one of the defined nodes")
    try:
        graph.output(sym)
    except SpecError as exc:
        fail(where, "output", str(exc))


def _definition(where, i, entry):
    """("name", "formula", offset of the formula in the entry) of one define entry."""
    field = f"define[{i}]"
    if not isinstance(entry, str):
        fail(where, field, f"expected a string \"name = formula\", got {shown(entry)}")
    if len(entry) > 10_000:
        fail(where, field, f"the entry is {len(entry):,} characters long; the limit is 10,000")
    if "=" not in entry:
        fail(where, field, "expected \"name = formula\" (no '=' found)")
    lhs, formula = entry.split("=", 1)
    name = lhs.strip()
    if not name:
        fail(where, field, "the name before '=' is missing")
    check_name(name, f"{where}: {field}")
    if not formula.strip():
        fail(where, field, f"the formula of '{name}' after '=' is empty")
    return name, formula, len(lhs) + 1


def _definition_error(exc, name, i, later, split, offset) -> str:
    """The reader's error, said in terms of the define list: a name used before it is
    defined, a definition that uses itself (a cycle), or the reader's own message."""
    written = exc.text[exc.position:].split()[0] if exc.text[exc.position:].strip() else ""
    reason = exc.reason
    if reason.startswith("unknown name"):
        quoted = reason.split("'")[1] if "'" in reason else written
        used = next((j for n, j in later.items() if _same(n, quoted)), None)
        if used is not None and used == i:
            return f"'{name}' uses itself: a definition cannot depend on itself (a cycle)"
        if used is not None:
            cycle = _cycle(split, i, used)
            if cycle:
                return f"a cycle: {' → '.join(cycle)}; each definition may use only earlier names"
            return (f"uses '{quoted}' before it is defined (in define[{used}]); "
                    "each definition may use only earlier names")
    column = offset + exc.position + 1
    return f"column {column}: {reason}"


def _same(name: str, written: str) -> bool:
    from ..core.graph import loose
    return loose(name) == loose(written)


def _cycle(split, start, first):
    """The names of a cycle through define[start] that goes via define[first], if any."""
    import re
    names = [n for n, _, _ in split]
    words = [set(re.findall(r"[A-Za-z\\][A-Za-z0-9_^{}()\[\],']*", f)) for _, f, _ in split]
    path, i = [names[start - 1]], first
    seen = set()
    while i is not None and i not in seen:
        seen.add(i)
        path.append(names[i - 1])
        if any(_same(names[start - 1], w) for w in words[i - 1]):
            path.append(names[start - 1])
            return path
        i = next((j for j, n in enumerate(names, start=1) if j > start and j not in seen
                  and any(_same(n, w) for w in words[i - 1])), None)
    return None


