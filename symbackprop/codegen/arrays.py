"""What the writers with arrays along a batch axis share: recurrent cells (:mod:`.cells`)
and attention (:mod:`.attention`).

Their forward() takes its inputs as arrays with a leading axis of examples (a recurrent
net's x is examples × steps × inputs, attention's X examples × tokens × d_model) and its
parameters as matrices; backward() returns one gradient array per parameter matrix. One
*layout* (:class:`Layout`) says which leaf sits at which entry of which array: the
standalone module's tables and the compiled code's :class:`Arrays` are both read off it,
so the module that ``symbackprop code`` writes and ``d.compile()`` map names the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import PointError
from .compiled import Compiled, Gradients, Result
from .writer import _MAIN, Helpers, OutputLayer, _evaluate_common, _printer, _values_literal, comment


@dataclass(frozen=True)
class Layout:
    """The arrays forward() takes, in order. ``inputs``: (identifier, table of leaf
    symbols, nested lists, or None where the net has no such leaf: an LSTM without
    ``c0``); each becomes an array of examples × the table's shape. ``parameters``:
    (identifier, table of parameter symbols), one matrix or vector each. ``ignored``:
    leaves the code computes itself (a truncated net's held copies h̄, whose values are
    the forward values they hold)."""

    inputs: tuple
    parameters: tuple
    ignored: tuple = ()


def _names(table):
    """A table of symbols as the same nesting of their names."""
    if table is None:
        return None
    if isinstance(table, (list, tuple)):
        return [_names(row) for row in table]
    return table.name


def _flat(table) -> list:
    if table is None:
        return []
    if isinstance(table, (list, tuple)):
        return [s for row in table for s in _flat(row)]
    return [table]


# --- the standalone module ----------------------------------------------------------------

def tables(layout: Layout, derivation) -> list:
    """The module's tables: which name sits where in forward()'s arrays, the parameters in
    the order of evaluate()'s gradients, every name a point may give, and the spec's values."""
    net = derivation.graph
    lines = ["# forward()'s input arrays in order, each a table of names (one array of examples × this shape)",
             "ARRAYS = ["]
    lines += [f"    {_names(table)!r},  # {name}" for name, table in layout.inputs]
    lines += ["]", "# forward()'s parameter matrices in order, each a table of names", "MATRICES = ["]
    lines += [f"    {_names(table)!r},  # {name}" for name, table in layout.parameters]
    lines += ["]",
              "# the parameters: one number each, shared by every example; the keys of evaluate()'s gradients",
              "PARAMETERS = [%s]" % ", ".join(repr(f.of.name) for f in derivation.gradients)]
    if layout.ignored:
        lines += ["# held copies (truncated backpropagation through time): their values are the forward",
                  "# values they hold, computed by forward(); a value given for them is not used",
                  "HELD = [%s]" % ", ".join(repr(s.name) for s in layout.ignored)]
    lines += ["NAMES = [%s]" % ", ".join(repr(s.name) for s in net.leaves),
              "# the spec's values (a list is one value per example of a mini-batch)"]
    return lines + _values_literal(net)


def evaluate_text(lang) -> str:
    """_merged, _array … (as every exported module has them) and the evaluate() that fills
    forward()'s arrays from the tables and names the gradient arrays' entries."""
    xp = lang.xp
    stack = lang.stack("arrays", "axis")
    return _evaluate_common(lang) + f'''


def _stack(arrays, axis):
    return {stack}


def _table(v, names, rows):
    """An input array: rows (examples) × the table's shape; a number is the same in every row."""
    if isinstance(names[0], list):
        return _stack([_table(v, row, rows) for row in names], 1)
    return _stack([{xp}.broadcast_to(_array(v[n]), (rows,)) for n in names], 1)


def _numbers(v, names):
    """A table of names as the same nesting of their values."""
    return [_numbers(v, n) for n in names] if isinstance(names, list) else float(v[names])


def _named(names, values, out):
    """out[name] = the entry of ``values`` (nested lists) at the name's place in the table."""
    for name, value in zip(names, values):
        if isinstance(name, list):
            _named(name, value, out)
        else:
            out[name] = float(value)


def _leaves(names):
    if names is None:
        return []
    return [n for row in names for n in _leaves(row)] if isinstance(names, list) else [names]


def evaluate(values=None):
    """{{"cost": C, "gradients": {{name: ∂C/∂name}}}} at the spec's values, with ``values``
    (a dict by name) given instead; arrays along a leading axis are a batch (summed)."""
    v = _merged(values)
    rows = _rows([_array(v[n]) for names in ARRAYS for n in _leaves(names)])
    inputs = [None if names is None else _table(v, names, rows) for names in ARRAYS]
    params = [_array(_numbers(v, names)) for names in MATRICES]
    with _quiet():
        C, cache = forward(*inputs, *params)
        grads = backward(*inputs, *params, cache)
    gradients = {{}}
    for names, g in zip(MATRICES, grads):
        _named(names if isinstance(names, list) else [names], g.tolist(), gradients)
    return {{"cost": float(C), "gradients": {{name: gradients[name] for name in PARAMETERS}}}}'''


def module(head: list, lang, helpers: str, layout: Layout, derivation, forward: list, backward: list,
           standalone: bool) -> str:
    """The module's text (see :func:`.kinds.source`)."""
    if not standalone:
        parts = [lang.header(), helpers, "\n".join(forward), "\n".join(backward)]
    else:
        parts = ["\n".join(head), lang.header(), helpers, "\n".join(tables(layout, derivation)),
                 "\n".join(forward), "\n".join(backward), evaluate_text(lang), _MAIN]
    return "\n\n\n".join(p for p in parts if p) + "\n"


def reads(lines, name) -> bool:
    """Whether one of ``lines`` reads the identifier ``name`` (what the cache must keep)."""
    return any(re.search(r"\b%s\b" % name, line) for line in lines)


class ArrayWriter(OutputLayer):
    """A module whose forward() and backward() take the arrays of a :class:`Layout`:
    ``layout`` (a function of the graph) gives them; a subclass writes ``_head()`` and
    ``_passes()`` (the forward and backward lines)."""

    layout = None

    def __init__(self, derivation, lang):
        self.d = derivation
        self.net = derivation.graph
        self.lang = lang
        self.helpers = Helpers(lang, lambda names: _printer(names, self.helpers, lang))
        self.layout = type(self).layout(self.net)

    def module(self, standalone: bool) -> str:
        forward, backward = self._passes()
        return module(self._head(), self.lang, self.helpers.text(), self.layout, self.d,
                      forward, backward, standalone)


def names_comment(layout: Layout) -> list:
    """The head's list of arrays: each identifier and the names of its first and last entries."""
    lines = []
    for name, table in layout.inputs + layout.parameters:
        leaves = _flat(table)
        if leaves:
            lines.append(comment(f"  {name}: {leaves[0].name} ... {leaves[-1].name}"))
    return lines


# --- the compiled code's layout ------------------------------------------------------------

class Arrays(Compiled):
    """A point's names as forward()'s arrays (inputs and targets along a leading batch
    axis, parameters as matrices) and the gradient arrays back as names; ``layout``
    (a function of the graph) says where each leaf sits."""

    layout = None

    def __init__(self, derivation, namespace, backend):
        super().__init__(derivation, namespace, backend)
        np = self._np
        graph = self.graph
        layout = type(self).layout(graph)
        values = graph.values
        nan = float("nan")
        grads = derivation.gradients
        self.names = [f.of.name for f in grads]
        self._index = {f.of: i for i, f in enumerate(grads)}
        self._by_name = {name: i for i, name in enumerate(self.names)}
        self._where: dict = {s: None for s in layout.ignored}
        self._bases: list = []
        for slot, (_, table) in enumerate(layout.inputs):
            if table is None:
                self._bases.append(None)
                continue
            symbols = np.empty(_shape(table), dtype=object)
            _fill(symbols, table)
            base = np.full(symbols.shape, nan)
            for flat, (idx, sym) in enumerate(np.ndenumerate(symbols)):
                self._where[sym] = (slot, flat)
                base[idx] = float(values.get(sym, nan))
            self._bases.append((base, symbols))
        self._p0 = np.array([float(values.get(f.of, nan)) for f in grads], dtype=float)
        self._pidx = []
        for _, table in layout.parameters:
            idx = np.empty(_shape(table), dtype=np.intp)
            _fill(idx, table, self._index.__getitem__)
            self._pidx.append(idx)

    def _place(self, sym, kind):
        return self._index[sym] if kind == "param" else self._where[sym]

    def _flatten(self, arrays):
        """Every parameter's gradient, in order, read off the gradient matrices."""
        np = self._np
        total = np.zeros(len(self.names))
        for idx, g in zip(self._pidx, arrays):
            total[idx.ravel()] = np.asarray(g, dtype=float).ravel()
        return total

    def _inputs(self, given: dict, size: int, missing: list) -> list:
        """forward()'s input arrays: the defaults in every row, the given entries in place
        (``given``: slot → (flat positions, values)); the leaves that have no value are
        added to ``missing``."""
        np = self._np
        out = []
        for slot, based in enumerate(self._bases):
            if based is None:
                out.append(None)
                continue
            base, symbols = based
            array = np.empty((size,) + base.shape, dtype=float)
            array[:] = base
            if slot in given:
                flat, values = given[slot]
                if all(type(v) is float for v in values):
                    columns = np.array(values)
                else:     # one row per name (contiguous), placed as columns in one copy
                    columns = np.stack([np.full(size, v) if type(v) is float else v for v in values]).T
                if not np.isfinite(columns).all():
                    raise PointError("point: the arrays along the batch axis must hold finite numbers")
                array.reshape(size, -1)[:, flat] = columns
            if np.isnan(array).any():
                missing += [s for idx, s in np.ndenumerate(symbols) if np.isnan(array[(slice(None),) + idx]).any()]
            out.append(array)
        return out

    def __call__(self, point=None) -> Result:
        np = self._np
        entries = self._point(point)
        size = self._batch(entries)
        given: dict = {}
        p = None
        for sym, kind, place, value in entries:
            if place is None:        # a held copy: forward() computes its value
                continue
            if kind == "param":
                if p is None:
                    p = self._p0.copy()
                p[place] = value
            else:
                flat, values = given.setdefault(place[0], ([], []))
                flat.append(place[1])
                values.append(value)
        missing: list = []
        inputs = self._inputs(given, size, missing)
        p = self._p0 if p is None else p
        if missing or np.isnan(p).any():
            missing = set(missing) | {s for s, v in zip(self._index, p) if v != v}
            self._missing([s.name for s in self.graph.leaves if s in missing])
        params = [p[idx] for idx in self._pidx]
        cost, grads = self._run(inputs, params)
        self._finite(cost, grads)
        return Result(cost, Gradients(self, grads), size)


def _shape(table) -> tuple:
    shape = []
    while isinstance(table, (list, tuple)):
        shape.append(len(table))
        table = table[0]
    return tuple(shape)


def _fill(array, table, value=lambda s: s, prefix=()):
    """array[i, j, …] = value(table[i][j]…)."""
    for i, row in enumerate(table):
        if isinstance(row, (list, tuple)):
            _fill(array, row, value, prefix + (i,))
        else:
            array[prefix + (i,)] = value(row)


__all__ = ["Arrays", "Layout", "evaluate_text", "module", "names_comment", "tables"]
