"""A convolutional network (kind ``convolutional``) as array code: every layer one block
of array operations along the batch, the channels and the positions.

The node-by-node writer prints one line per map entry; a CNN lecture writes a layer as
one formula over the whole map, and so does this module:

* a convolution gathers every output entry's window at once (index arrays built once from
  the shapes, im2col) and contracts it with the kernel; backward, ∂C/∂K is the correlation
  of the input with the δ map (the same windows contracted with δ) and ∂C/∂x the full
  convolution of the dilated δ map with the flipped kernel, computed as each input entry
  collecting the window products δ·K that read it (an index array of the window that reads
  each entry through each tap: a gather, no scatter, so the NumPy text runs over
  ``jax.numpy`` as well);
* max pooling keeps a mask of the first arg-max of each window (the graph's
  ``first_argmax``: at a tie, the first entry in row-major order), average pooling spreads
  δ/n over the window;
* batch norm's statistics run over the examples of the batch (the spec's coupled examples:
  the batch axis holds groups of them) and the positions; its backward is the compact form
  with its three paths; layer norm likewise over one example;
* dense layers read the map flattened in (channel, row, col) order; the cost and Case 1
  are the registry's code, shared with the layered writer (:class:`writer.OutputLayer`).

There is no Python loop over positions, windows or examples: the module's length depends
on the number of layers only. A cost without registry code is written node by node.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

from ..builders.convnet import positions
from ..builders.layers import Conv, Dense, Norm, Pool, geometry, size
from ..notation.numerals import literal
from ..errors import PointError
from .compiled import Compiled, Gradients, Result
from .writer import (Helpers, Lang, OutputLayer, _MAIN, _evaluate_common, _form, _preamble,
                     _printer, comment)


class Layout:
    """The arrays of the code, shared by the module's tables and the compiled layout:
    ``params``, forward()'s parameter arrays as (identifier, symbols in row-major order,
    shape); ``inputs`` and ``targets``, each example's leaves (one example unless a batch
    norm couples a mini-batch into one graph)."""

    def __init__(self, net):
        self.net = net
        self.params = []
        for l, layer in enumerate(net.layers, start=1):
            before, after = net.shapes[l - 1], net.shapes[l]
            if isinstance(layer, Conv):
                kernel = geometry(layer, before)[0]
                self.params += [(f"K{l}", self._table("K", l), (after[0], before[0]) + kernel),
                                (f"b{l}", self._table("b", l), (after[0],))]
            elif isinstance(layer, Dense):
                self.params += [(f"W{l}", self._table("w", l), (layer.units, size(before))),
                                (f"b{l}", self._table("b", l), (layer.units,))]
            elif isinstance(layer, Norm):
                count = before[0] if layer.mode == "batch" else size(before)
                self.params += [(f"g{l}", self._table(r"\gamma", l), (count,)),
                                (f"be{l}", self._table(r"\beta", l), (count,))]
        outputs = size(net.shapes[-1])
        self.inputs = [[net.maps["x", 0, n][i] for i in positions(net.shapes[0])] for n in net.examples]
        self.targets = [[net.maps["y", None, n][(j,)] for j in range(1, outputs + 1)] for n in net.examples]

    def _table(self, base, l) -> list:
        table = self.net.maps[base, l, None]
        return [table[i] for i in sorted(table)]


# --- the generated text's array operations, in each language ---------------------------------

class _Ops:
    """How the module spells an array operation in NumPy or PyTorch."""

    def __init__(self, lang: Lang):
        self.numpy = lang.name == "numpy"
        self.xp = lang.xp

    def reduce(self, expr: str, op: str, axes, keep: bool = False) -> str:
        if not self.numpy and op == "max":
            op = "amax"
        axes = axes if isinstance(axes, int) else tuple(axes)
        if self.numpy:
            return f"{expr}.{op}(axis={axes}{', keepdims=True' if keep else ''})"
        return f"{expr}.{op}(dim={axes}{', keepdim=True' if keep else ''})"

    def permute(self, expr: str, order) -> str:
        return f"{expr}.{'transpose' if self.numpy else 'permute'}{tuple(order)}"

    def tensordot(self, a: str, b: str, left, right) -> str:
        if self.numpy:
            return f"np.tensordot({a}, {b}, axes=({tuple(left)}, {tuple(right)}))"
        return f"torch.tensordot({a}, {b}, dims=({list(left)}, {list(right)}))"

    def pad(self, expr: str, pairs) -> str:
        """Zeros before and after each axis (``pairs``, one per axis)."""
        if self.numpy:
            return f"np.pad({expr}, {tuple(pairs)})"
        flat = [v for pair in reversed(pairs) for v in pair]
        return f"torch.nn.functional.pad({expr}, {tuple(flat)})"



_INDEX_HELPERS = '''def window_index(sizes, kernel, stride):
    """Tap p of window i reads position i·s + p along each axis: those positions of a map of
    ``sizes``, flat (row-major), one per (tap, window), taps first (each tap's slice of the
    windows is then one contiguous block)."""
    dims = len(sizes)
    outs = [(n - k) // s + 1 for n, k, s in zip(sizes, kernel, stride)]
    flat = 0
    for t in range(dims):
        shape = [1] * (2 * dims)
        shape[t], shape[dims + t] = kernel[t], outs[t]
        at = {xp}.arange(kernel[t])[:, None] + {xp}.arange(outs[t])[None, :] * stride[t]
        flat = flat * sizes[t] + at.reshape(shape)
    return flat.reshape(-1)


def source_index(sizes, kernel, stride, padding):
    """For each tap p and each position r of a map of ``sizes``, the (tap, window) entry
    that reads r through p (i·s + p = r + padding along each axis), flat, or the last slot
    (a zero) where no window does: the dilated δ map under the flipped kernel."""
    dims = len(sizes)
    outs = [(n + 2 * padding - k) // s + 1 for n, k, s in zip(sizes, kernel, stride)]
    flat = 0
    for t in range(dims):
        shape = [1] * (2 * dims)
        shape[t] = kernel[t]
        flat = flat * kernel[t] + {xp}.arange(kernel[t]).reshape(shape)
    for t in range(dims):
        shape = [1] * (2 * dims)
        shape[t], shape[dims + t] = kernel[t], sizes[t]
        r = {xp}.arange(sizes[t])[None, :] + padding - {xp}.arange(kernel[t])[:, None]
        ok = ((r >= 0) & (r % stride[t] == 0) & (r // stride[t] < outs[t])).reshape(shape)
        flat = flat * outs[t] + {xp}.where(ok, r.reshape(shape) // stride[t], 0)
        valid = ok if t == 0 else valid & ok
    slots = 1
    for n in outs + list(kernel):
        slots *= n
    return {xp}.where(valid, flat, slots).reshape(-1)'''


class ConvWriter(OutputLayer):
    """A convolutional network, layer by layer with arrays: one block per layer (see the
    module's docstring)."""

    def __init__(self, derivation, lang: Lang):
        self.d = derivation
        self.net = derivation.graph
        self.lang = lang
        self.ops = _Ops(lang)
        self.helpers = Helpers(lang, lambda names: _printer(names, self.helpers, lang))
        self.layout = Layout(self.net)
        self.examples = len(self.net.examples)
        self.batch = self.net.examples != (None,)

    # --- the module ----------------------------------------------------------------------

    def module(self, standalone: bool) -> str:
        L = self.lang
        self._indices = []
        fwd, cache = self._forward()
        bwd = self._backward()
        body = "\n".join(bwd)
        cache = [name for name in cache if re.search(r"\b%s\b" % name, body)] or ["a0"]
        fwd.append(f"    return C, ({', '.join(cache)},)")
        bwd.insert(3, f"    {', '.join(cache)}, = cache")
        index = [_INDEX_HELPERS.replace("{xp}", L.xp)] if self._indices else []
        index += ["\n".join(self._indices)] if self._indices else []
        if not standalone:
            parts = [L.header(), self.helpers.text(), *index, "\n".join(fwd), "\n".join(bwd)]
        else:
            parts = ["\n".join(self._head()), L.header(), self.helpers.text(), *index, "\n".join(self._tables()),
                     "\n".join(fwd), "\n".join(bwd), _evaluate_common(L), self._evaluate(), _MAIN]
        return "\n\n\n".join(p for p in parts if p) + "\n"

    def params(self) -> list:
        return [ident for ident, _, _ in self.layout.params]

    def _head(self) -> list:
        net = self.net
        lines = _preamble(self.lang, net) + [
            "# forward() and backward() follow the derivation layer by layer with arrays along the",
            "# batch, the channels and the positions: each layer's comment is its formula for one",
            "# entry, the line below it the whole map. evaluate(values=None) -> {\"cost\": ...,",
            "# \"gradients\": {name: ...}} at the spec's values; an array along a leading axis is a",
            "# batch, whose cost and gradients are summed."]
        if self.batch:
            lines += [f"# A batch norm couples the {self.examples} examples of the mini-batch: they are one",
                      "# graph (x^{(n)}, y^{(n)}), and the arrays' first axis runs over them."]
        lines += ["#", "# Names (identifier: names in the derivation):"]
        for ident, syms, shape in self.layout.params:
            index = ", ".join(f"{c}-1" for c in "ocpq"[:len(shape)]) if ident.startswith("K") else (
                "j-1, k-1" if ident.startswith("W") else "j-1")
            lines.append(comment(f"  {ident}[{index}]: {syms[0].name} ... {syms[-1].name} (shape {_shape(shape)})"))
        shape = net.shapes[0]
        first = self.layout.inputs[0]
        lines.append(comment(f"  x[n-1, c-1, ...]: {first[0].name} ... {first[-1].name} (INPUTS); "
                             f"y[n-1, j-1]: {self.layout.targets[0][0].name} ... (TARGETS); shape {_shape(shape)}"))
        lines.append("#   z<l>, a<l>, delta<l>: layer l's map z^(l), a^(l) and ∂C/∂z^(l); da<l>: ∂C/∂a^(l)")
        return lines

    def _tables(self) -> list:
        net, layout = self.net, self.layout
        reported = list(net.sum_copies({f.of.name: 0 for f in self.d.gradients}))
        lines = ["# every leaf by name (inputs, targets, parameters): what values= may give",
                 "NAMES = LEAVES = [%s]" % ", ".join(repr(s.name) for s in net.leaves),
                 "# each example's inputs in (channel, row, col) order, and its targets; one list per",
                 "# example of the graph (several only where a batch norm couples them)",
                 "INPUTS = [%s]" % ", ".join("[%s]" % ", ".join(repr(s.name) for s in group) for group in layout.inputs),
                 "TARGETS = [%s]" % ", ".join("[%s]" % ", ".join(repr(s.name) for s in group) for group in layout.targets),
                 f"INPUT_SHAPE = {tuple(net.shapes[0])}",
                 "# forward()'s parameter arrays: each one's entries by name in row-major order, and its shape",
                 "PARAMETER_ARRAYS = ["]
        for _, syms, shape in layout.params:
            lines.append("    ([%s], %s)," % (", ".join(repr(s.name) for s in syms), tuple(shape)))
        lines += ["]",
                  "# the parameters: one number each, shared by every example of a batch",
                  "PARAMETERS = [%s]" % ", ".join(repr(s.name) for s in net.parameters),
                  "# the keys of evaluate()'s gradients",
                  "GRADIENTS = [%s]" % ", ".join(repr(name) for name in reported),
                  "# each example's copy of an input: evaluate() sums their gradients under its name",
                  "COPIES = {%s}" % ", ".join(f"{leaf.name!r}: {name!r}" for name, leaves in net.copies.items()
                                             for leaf in leaves)]
        return lines + self._values()

    def _values(self) -> list:
        """``VALUES``, one line per array: a list is one value per example of a mini-batch;
        a leaf without a value is left out."""
        net = self.net
        values = net.values
        column = {}
        if net.points:
            for sym in net.leaves:
                if any(sym in p for p in net.points):
                    column[sym] = [p.get(sym, values.get(sym)) for p in net.points]

        def shown(sym):
            if sym in column:
                return "None" if any(v is None for v in column[sym]) else \
                    "[%s]" % ", ".join(literal(v) for v in column[sym])
            return literal(values[sym]) if sym in values else "None"

        groups = [syms for _, syms, _ in self.layout.params] + self.layout.inputs + self.layout.targets
        lines = ["# the spec's values (a list is one value per example of a mini-batch)",
                 "VALUES = {}"]
        for syms in groups:
            lines.append("VALUES.update((name, value) for name, value in zip([%s], [%s]) if value is not None)"
                         % (", ".join(repr(s.name) for s in syms), ", ".join(shown(s) for s in syms)))
        return lines

    def _evaluate(self) -> str:
        numpy = self.ops.numpy
        if numpy:
            stacked = ("np.stack([np.stack([np.broadcast_to(_array(v[name]), (rows,)) for name in names], axis=-1)\n"
                       "                     for names in groups], axis=1)")
            parameter = "np.array([float(v[name]) for name in names], dtype=float).reshape(shape)"
            summed = "sum(axis=0)"
        else:
            stacked = ("torch.stack([torch.stack([torch.broadcast_to(_array(v[name]), (rows,)) for name in names], dim=-1)\n"
                       "                        for names in groups], dim=1)")
            parameter = "torch.tensor([float(v[name]) for name in names], dtype=torch.float64).reshape(shape)"
            summed = "sum(dim=0)"
        return f'''def _stacked(v, groups, rows):
    """(rows, examples, entries): each example's leaves by name, a number repeated along the batch."""
    return {stacked}


def _parameter(v, names, shape):
    return {parameter}


def evaluate(values=None):
    """{{"cost": C, "gradients": {{name: ∂C/∂name}}}} at the spec's values, with ``values``
    (a dict by name) given instead; arrays along a leading axis are a batch (summed)."""
    v = _merged(values)
    rows = _rows([_array(v[name]) for names in INPUTS + TARGETS for name in names])
    x = _stacked(v, INPUTS, rows).reshape((-1,) + INPUT_SHAPE)
    y = _stacked(v, TARGETS, rows).reshape((x.shape[0], -1))
    params = [_parameter(v, names, shape) for names, shape in PARAMETER_ARRAYS]
    with _quiet():
        C, cache = forward(x, y, *params)
        grads = backward(x, y, *params, cache)
    gradients = dict.fromkeys(GRADIENTS, 0.0)
    for (names, _), g in zip(PARAMETER_ARRAYS, grads):
        for name, value in zip(names, g.reshape(-1).tolist()):
            if name in gradients:
                gradients[name] += value
    # an input's gradient, summed over the batch (and over its copies in a coupled mini-batch)
    dx = grads[-1].reshape((rows, len(INPUTS), -1)).{summed}
    for names, row in zip(INPUTS, dx.tolist()):
        for name, value in zip(names, row):
            key = COPIES.get(name, name)
            if key in gradients:
                gradients[key] += value
    return {{"cost": float(C), "gradients": gradients}}'''

    # --- forward ----------------------------------------------------------------------------

    def _forward(self):
        net = self.net
        lines = [f"def forward({', '.join(['x', 'y'] + self.params())}):",
                 '    """The forward pass, one entry of the first axis per example: the cost C (summed',
                 '    over the examples) and the values backward() reads."""',
                 "    a0 = x"]
        self._cache = []
        last = len(net.layers)
        for l, layer in enumerate(net.layers, start=1):
            block = {Conv: self._conv, Pool: self._pool, Norm: self._norm, Dense: self._dense}[type(layer)]
            lines += block(l, layer)
            if l == last:
                lines += self._flatten_output(l, layer)
            elif not isinstance(layer, Pool):
                lines += self._activation(l)
        act = net.activations[-1]
        cost_lines, extra, self._delta_lines = self._output(last, act, net.cost_function)
        lines += cost_lines
        return lines, self._cache + extra

    def _keep(self, *names):
        self._cache += [n for n in names if n not in self._cache]

    def _activation(self, l) -> list:
        act = self.net.activations[l - 1]
        self._keep(f"z{l}", f"a{l}")
        if act.name == "identity":
            return [f"    a{l} = z{l}  # the identity: a^({l}) = z^({l})"]
        return [f"    a{l} = {self.helpers.activation(act)}(z{l})  # a^({l}) = {act.text}(z^({l}))"]

    def _flatten_output(self, l, layer) -> list:
        """The last layer's outputs as rows (one per example), flattened in (channel, row,
        col) order, and its activation: what the cost's code reads."""
        net = self.net
        act = net.activations[l - 1]
        lines = []
        if len(net.shapes[l]) > 1:
            source = f"a{l}" if isinstance(layer, Pool) else f"z{l}"
            what = "the pooled map (no activation)" if isinstance(layer, Pool) else f"z^({l})"
            lines.append(f"    z{l} = {source}.reshape((-1, {size(net.shapes[l])}))  # {what} flattened in "
                         "(channel, row, col) order: the cost's outputs")
        form = _form(act)
        self._keep(f"z{l}", f"a{l}")
        if form == "sigmoid":
            self._keep(f"abar{l}")
            lines.append(f"    a{l}, abar{l} = {self.helpers.need('sigmoid_pair')}(z{l})"
                         "  # a = σ(z) and 1 − a = σ(−z), 1 − a not computed as a difference")
        elif form == "softmax":
            lines.append(f"    a{l} = {self.helpers.need('softmax')}(z{l})")
        elif act.name == "identity":
            lines.append(f"    a{l} = z{l}  # the identity: a^({l}) = z^({l})")
        else:
            lines.append(f"    a{l} = {self.helpers.activation(act)}(z{l})  # a^({l}) = {act.text}(z^({l}))")
        return lines

    def _windows(self, l, layer, padding: int) -> None:
        """The index arrays of layer l, defined once in the module: ``WIN<l>``, the flat
        position of the (padded) map each window's taps read (forward), and ``SRC<l>``, the
        (window, tap) entry that reads each position through each tap (backward)."""
        if not self.ops.numpy:      # PyTorch: unfold and fold
            return
        before = self.net.shapes[l - 1]
        kernel, stride, _ = geometry(layer, before)
        sizes = tuple(n + 2 * padding for n in before[1:])
        self._indices += [
            comment(f"layer {l}'s windows: tap p of window i reads position i·s + p of the map"
                    + (f" padded by {padding}" if padding else "") + "; and back, the window and tap "
                    "that read each position (the last slot, a zero, where none does)"),
            f"WIN{l} = window_index({sizes}, {tuple(kernel)}, {tuple(stride)})",
            f"SRC{l} = source_index({tuple(before[1:])}, {tuple(kernel)}, {tuple(stride)}, {padding})"]

    def _unfold_args(self, l, layer, padding: int) -> str:
        """PyTorch's im2col (``unfold``) and its transpose (``fold``) arguments for layer l:
        a 1-D map is a 2-D map of one row."""
        kernel, stride, _ = geometry(layer, self.net.shapes[l - 1])
        if len(kernel) == 1:
            kernel, stride, pad = (1,) + tuple(kernel), (1,) + tuple(stride), (0, padding)
        else:
            kernel, stride, pad = tuple(kernel), tuple(stride), (padding, padding)
        return f"kernel_size={kernel}, padding={pad}, stride={stride}"

    def _gather(self, l, layer, source: str, padding: int, flat_taps: bool = False) -> str:
        """Every window of the map ``source`` (layer l's input), (example, channel, taps,
        positions), with one tap axis if ``flat_taps``: an index array into the padded map
        (NumPy), ``unfold`` (PyTorch)."""
        before, after = self.net.shapes[l - 1], self.net.shapes[l]
        kernel = geometry(layer, before)[0]
        taps = (size(kernel),) if flat_taps else tuple(kernel)
        shape = (-1, before[0]) + taps + tuple(after[1:])
        if self.ops.numpy:
            if padding:
                source = self.ops.pad(source, [(0, 0), (0, 0)] + [(padding, padding)] * len(kernel))
            flat = size(tuple(n + 2 * padding for n in before[1:]))
            return f"{self._take(f'{source}.reshape((-1, {before[0]}, {flat}))', f'WIN{l}')}.reshape({shape})"
        if len(kernel) == 1:
            source = f"{source}[:, :, None, :]"
        return f"torch.nn.functional.unfold({source}, {self._unfold_args(l, layer, padding)}).reshape({shape})"

    def _take(self, expr: str, index: str) -> str:
        """NumPy: entries of the last axis of ``expr`` at ``index`` (a 1-D index array)."""
        return f"np.take({expr}, {index}, axis=2)"

    def _conv(self, l, layer) -> list:
        ops = self.ops
        before, after = self.net.shapes[l - 1], self.net.shapes[l]
        kernel, stride, padding = geometry(layer, before)
        dims = len(kernel)
        self._windows(l, layer, padding)
        act = self.net.activations[l - 1]
        at = ",".join(f"{i}·s+{p}−pad" for i, p in zip("ij", "pq")) if dims == 2 else "i·s+p−pad"
        sub = "o,i,j" if dims == 2 else "o,i"
        taps = "p,q" if dims == 2 else "p"
        lines = ["    " + comment(f"layer {l} (conv {before[0]} → {after[0]} channels, kernel {_shape(kernel)}, stride "
                                   f"{_shape(stride)}, padding {padding}, {act.describe()}): z^({l})_{{{sub}}} = "
                                   f"b_o + Σ_c Σ_{{{taps}}} K^({l})_{{o,c,{taps}}} a^({l - 1})_{{c,{at}}}, "
                                   "every window at once")]
        padded = f", the map padded with {padding} zero{'s' if padding > 1 else ''} on every side" if padding else ""
        lines.append(f"    cols{l} = {self._gather(l, layer, f'a{l - 1}', padding)}  # (example, c, {taps}, "
                     f"{sub[2:]}): each output entry's window{padded}")
        z = ops.permute(ops.tensordot(f"cols{l}", f"K{l}", list(range(1, 2 + dims)), list(range(1, 2 + dims))),
                        [0, dims + 1] + [1 + t for t in range(dims)])
        lines.append(f"    z{l} = {z} + b{l}.reshape({(after[0],) + (1,) * dims})")
        self._keep(f"cols{l}")
        return lines

    def _pool(self, l, layer) -> list:
        ops = self.ops
        before = self.net.shapes[l - 1]
        kernel, stride, _ = geometry(layer, before)
        dims = len(kernel)
        self._windows(l, layer, 0)
        n = size(kernel)
        at = "c,i·s+p,j·s+q" if dims == 2 else "c,i·s+p"
        sub = "c,i,j" if dims == 2 else "c,i"
        if layer.mode == "max":
            head = (f"layer {l} (max pool {_shape(kernel)}, stride {_shape(stride)}): a^({l})_{{{sub}}} = "
                    f"max over the window of a^({l - 1})_{{{at}}}")
        else:
            head = (f"layer {l} (average pool {_shape(kernel)}, stride {_shape(stride)}): a^({l})_{{{sub}}} = "
                    f"(1/{n}) Σ over the window of a^({l - 1})_{{{at}}}")
        lines = ["    " + comment(head),
                 f"    win{l} = {self._gather(l, layer, f'a{l - 1}', 0, flat_taps=True)}  # (example, c, tap, "
                 f"{sub[2:]}): the taps in row-major order"]
        if layer.mode == "max":
            lines += [f"    a{l} = {ops.reduce(f'win{l}', 'max', 2)}",
                      "    # the first arg-max of each window, as the graph's first_argmax: at a tie, the first entry"]
            if ops.numpy:       # argmax returns the first of equal maxima
                lines.append(f"    first{l} = np.arange({n}).reshape({(n,) + (1,) * dims}) == win{l}.argmax(axis=2)[:, :, None]")
            else:               # the maxima with no maximum before them (argmax along an inner axis is slow)
                lines += [f"    top{l} = win{l} == a{l}[:, :, None]",
                          f"    first{l} = top{l} & (torch.cumsum(top{l}, dim=2) == 1)"]
            self._keep(f"first{l}")
        else:
            lines.append(f"    a{l} = {ops.reduce(f'win{l}', 'sum', 2)} / {n}")
        self._keep(f"a{l}")
        return lines

    def _norm_axes(self, l, layer):
        """(shape the statistics are taken in, their axes, γ's broadcast shape, the axes
        ∂C/∂γ sums over, the count m)."""
        before = self.net.shapes[l - 1]
        dims = len(before) - 1
        if layer.mode == "batch":
            grouped = (-1, self.examples) + tuple(before)
            axes = (1,) + tuple(range(3, 3 + dims))
            broadcast = (before[0],) + (1,) * dims
            return grouped, axes, broadcast, (0,) + axes, self.examples * size(before[1:])
        grouped = (-1,) + tuple(before)
        return grouped, tuple(range(1, 1 + len(before))), tuple(before), (0,), size(before)

    def _norm(self, l, layer) -> list:
        ops = self.ops
        before = self.net.shapes[l - 1]
        grouped, axes, broadcast, _, m = self._norm_axes(l, layer)
        eps = literal(self.net.epsilons[l - 1])
        if layer.mode == "batch":
            over = (f"per {'channel' if len(before) > 1 else 'feature'} over the {self.examples} examples of the "
                    f"batch{' and the positions' if len(before) > 1 else ''}")
        else:
            over = "over the entries of one example"
        lines = ["    " + comment(f"layer {l} ({layer.mode} norm {over}, m = {m}, ε = {eps}): μ = (1/m) Σ a^({l - 1}), "
                                   f"σ² = (1/m) Σ (a^({l - 1}) − μ)² (biased), x̂ = (a^({l - 1}) − μ)/√(σ² + ε), "
                                   f"z^({l}) = γ x̂ + β"),
                 f"    u{l} = a{l - 1}.reshape({grouped})",
                 f"    mu{l} = {ops.reduce(f'u{l}', 'mean', axes, keep=True)}",
                 f"    var{l} = {ops.reduce(f'((u{l} - mu{l}) ** 2)', 'mean', axes, keep=True)}",
                 f"    inv{l} = 1 / {self.lang.xp}.sqrt(var{l} + {eps})  # 1/√(σ² + ε)",
                 f"    xhat{l} = (u{l} - mu{l}) * inv{l}",
                 f"    z{l} = (g{l}.reshape({broadcast}) * xhat{l} + be{l}.reshape({broadcast})).reshape({(-1,) + tuple(before)})"]
        self._keep(f"inv{l}", f"xhat{l}")
        return lines

    def _dense(self, l, layer) -> list:
        net = self.net
        before = net.shapes[l - 1]
        act = net.activations[l - 1]
        lines = ["    " + comment(f"layer {l} (dense {layer.units}, {act.describe()}): z^({l}) = W^({l}) a^({l - 1}) + b^({l})"
                                   + (", the map before flattened in (channel, row, col) order" if len(before) > 1 else ""))]
        if len(before) > 1:
            lines.append(f"    h{l} = a{l - 1}.reshape((-1, {size(before)}))")
        else:
            lines.append(f"    h{l} = a{l - 1}")
        lines.append(f"    z{l} = h{l} @ W{l}.T + b{l}")
        self._keep(f"h{l}")
        return lines

    # --- backward ---------------------------------------------------------------------------

    def _backward(self) -> list:
        net = self.net
        grads = [f"d{p}" for p in self.params()]
        lines = [f"def backward({', '.join(['x', 'y'] + self.params() + ['cache'])}):",
                 '    """The backward pass: δ from the output layer back, each layer\'s gradients summed',
                 '    over the examples, then ∂C/∂x."""']
        lines += self._delta_lines
        last = len(net.layers)
        if len(net.shapes[last]) > 1:
            target = f"da{last}" if isinstance(net.layers[-1], Pool) else f"delta{last}"
            lines.append(f"    {target} = delta{last}.reshape({(-1,) + tuple(net.shapes[last])})  # back to the map's shape")
        for l in range(last, 0, -1):
            layer = net.layers[l - 1]
            if l != last and not isinstance(layer, Pool):
                lines += self._delta(l)
            block = {Conv: self._conv_back, Pool: self._pool_back, Norm: self._norm_back, Dense: self._dense_back}
            lines += block[type(layer)](l, layer)
        lines.append(f"    return {', '.join(grads + ['da0'])}")
        return lines

    def _delta(self, l) -> list:
        act = self.net.activations[l - 1]
        if act.name == "identity":
            return [f"    delta{l} = da{l}  # δ^({l}) = ∂C/∂a^({l}) ⊙ id′(z^({l})), id′ = 1"]
        f = self.helpers.activation(act)
        return [f"    delta{l} = da{l} * {f}_prime(z{l})  # δ^({l}) = ∂C/∂a^({l}) ⊙ {act.text}′(z^({l})), the amplifier"]

    def _collect(self, l, layer, dwin: str, target: str, padding: int) -> list:
        """``target`` = each entry of the map before layer l summed over the window
        products (``dwin``: example, channel, taps, positions) that read it."""
        before = self.net.shapes[l - 1]
        kernel, _, _ = geometry(layer, before)
        entries = size(self.net.shapes[l][1:]) * size(kernel)
        if not self.ops.numpy:      # PyTorch's col2im, the transpose of unfold
            rows = f"{dwin}.reshape((-1, {before[0] * size(kernel)}, {size(self.net.shapes[l][1:])}))"
            out = (1,) + tuple(before[1:]) if len(kernel) == 1 else tuple(before[1:])
            folded = f"torch.nn.functional.fold({rows}, output_size={out}, {self._unfold_args(l, layer, padding)})"
            return [f"    {target} = {folded}" + (f".reshape({(-1,) + tuple(before)})" if len(kernel) == 1 else "")]
        padded = self.ops.pad(f"{dwin}.reshape((-1, {before[0]}, {entries}))", [(0, 0), (0, 0), (0, 1)])
        taken = f"{self._take(padded, f'SRC{l}')}.reshape({(-1, before[0], size(kernel)) + tuple(before[1:])})"
        return [f"    {target} = {self.ops.reduce(taken, 'sum', 2)}"]

    def _conv_back(self, l, layer) -> list:
        ops = self.ops
        before = self.net.shapes[l - 1]
        kernel, stride, padding = geometry(layer, before)
        dims = len(kernel)
        pos = list(range(2, 2 + dims))
        if dims == 2:
            k_text = f"Σ_n Σ_{{i,j}} δ^({l})_{{o,i,j}} a^({l - 1})_{{c,i·s+p−pad,j·s+q−pad}}"
            x_text = (f"Σ_o Σ_{{p,q}} K^({l})_{{o,c,p,q}} δ^({l})_{{o,(r+pad−p)/s,(t+pad−q)/s}}")
            x_sub = "c,r,t"
        else:
            k_text = f"Σ_n Σ_i δ^({l})_{{o,i}} a^({l - 1})_{{c,i·s+p−pad}}"
            x_text = f"Σ_o Σ_p K^({l})_{{o,c,p}} δ^({l})_{{o,(r+pad−p)/s}}"
            x_sub = "c,r"
        taps = "o,c,p,q" if dims == 2 else "o,c,p"
        dilated = " (dilated by the stride)" if any(s > 1 for s in stride) else ""
        lines = ["    " + comment(f"conv layer {l}: ∂C/∂K^({l})_{{{taps}}} = {k_text}: the correlation of the input "
                                   "with the δ map"),
                 f"    dK{l} = " + ops.tensordot(f"delta{l}", f"cols{l}", [0] + pos, [0] + [p + dims for p in pos]),
                 "    " + comment(f"∂C/∂b^({l})_o = Σ_n Σ over the positions of δ^({l})_o"),
                 f"    db{l} = " + ops.reduce(f"delta{l}", "sum", [0] + pos),
                 "    " + comment(f"∂C/∂a^({l - 1})_{{{x_sub}}} = {x_text}: the full convolution of the δ map{dilated} "
                                   "with the flipped kernel; each entry collects the window products δ·K that read it"),
                 f"    dcols{l} = " + ops.permute(ops.tensordot(f"delta{l}", f"K{l}", [1], [0]),
                                                  [0, dims + 1] + [dims + 2 + t for t in range(dims)]
                                                  + [1 + t for t in range(dims)])]
        return lines + self._collect(l, layer, f"dcols{l}", f"da{l - 1}", padding)

    def _pool_back(self, l, layer) -> list:
        kernel, _, _ = geometry(layer, self.net.shapes[l - 1])
        n = size(kernel)
        if layer.mode == "max":
            lines = ["    " + comment(f"max pool {l}: ∂C/∂a^({l})_{{c,i,j}} goes to the first arg-max of its window, "
                                       "0 to the other entries"),
                     f"    dwin{l} = first{l} * da{l}[:, :, None]"]
        else:
            lines = ["    " + comment(f"average pool {l}: every entry of the window gets ∂C/∂a^({l}) / {n}"),
                     f"    dwin{l} = {self.lang.xp}.broadcast_to(da{l}[:, :, None] / {n}, "
                     f"da{l}.shape[:2] + ({n},) + da{l}.shape[2:])"]
        return lines + self._collect(l, layer, f"dwin{l}", f"da{l - 1}", 0)

    def _norm_back(self, l, layer) -> list:
        ops = self.ops
        before = self.net.shapes[l - 1]
        grouped, axes, broadcast, sums, _ = self._norm_axes(l, layer)
        dg = ops.reduce(f"(dz{l} * xhat{l})", "sum", sums)
        db = ops.reduce(f"dz{l}", "sum", sums)
        if layer.mode == "layer":
            dg, db = f"{dg}.reshape(-1)", f"{db}.reshape(-1)"
        mean = ops.reduce(f"dxhat{l}", "mean", axes, keep=True)
        mean_x = ops.reduce(f"(dxhat{l} * xhat{l})", "mean", axes, keep=True)
        return ["    " + comment(f"{layer.mode} norm {l}: ∂C/∂γ = Σ δ^({l}) x̂, ∂C/∂β = Σ δ^({l}) (over what one γ scales)"),
                f"    dz{l} = delta{l}.reshape({grouped})",
                f"    dg{l} = {dg}",
                f"    dbe{l} = {db}",
                f"    dxhat{l} = dz{l} * g{l}.reshape({broadcast})  # ∂C/∂x̂ = γ δ",
                "    " + comment(f"the compact backward: ∂C/∂a^({l - 1}) = (1/√(σ² + ε)) (∂C/∂x̂ − mean(∂C/∂x̂) − "
                                 "x̂ · mean(∂C/∂x̂ ⊙ x̂)), the three paths: through x̂ directly, through the mean "
                                 "μ, through the variance σ²"),
                f"    da{l - 1} = (inv{l} * (dxhat{l} - {mean} - xhat{l} * {mean_x})).reshape({(-1,) + tuple(before)})"]

    def _dense_back(self, l, layer) -> list:
        ops = self.ops
        before = self.net.shapes[l - 1]
        back = f"delta{l} @ W{l}"
        if len(before) > 1:
            back = f"({back}).reshape({(-1,) + tuple(before)})"
        return ["    " + comment(f"dense layer {l}: ∂C/∂w^({l})_jk = Σ_n δ^({l})_j a^({l - 1})_k, ∂C/∂b^({l})_j = "
                                   f"Σ_n δ^({l})_j, ∂C/∂a^({l - 1}) = (W^({l}))ᵀ δ^({l})"
                                   + (", back to the map's shape" if len(before) > 1 else "")),
                f"    dW{l} = delta{l}.T @ h{l}",
                f"    db{l} = {ops.reduce(f'delta{l}', 'sum', 0)}",
                f"    da{l - 1} = {back}"]


def _shape(shape) -> str:
    return "×".join(str(s) for s in shape)


class ConvArrays(Compiled):
    """A convolutional network's arrays: x (examples × input shape), y, and every layer's
    K, b, W, γ, β. A point's arrays along a leading axis are a batch; where a batch norm
    couples the spec's examples into one graph (x^{(n)}), each entry of that batch is a
    whole coupled mini-batch (the arrays hold groups of its examples)."""

    def __init__(self, derivation, namespace, backend):
        super().__init__(derivation, namespace, backend)
        np = self._np
        net = self.graph
        layout = Layout(net)
        self._shapes = [shape for _, _, shape in layout.params]
        params = [s for _, syms, _ in layout.params for s in syms]
        self._splits = np.cumsum([len(syms) for _, syms, _ in layout.params])[:-1]
        self._input_shape = tuple(net.shapes[0])
        self._count = len(layout.inputs)
        self._width = len(layout.inputs[0])
        self._leaves = {}
        for i, s in enumerate(params):
            self._leaves[s] = ("p", i)
        for n, group in enumerate(layout.inputs):
            for k, s in enumerate(group):
                self._leaves[s] = ("x", n, k)
        for n, group in enumerate(layout.targets):
            for j, s in enumerate(group):
                self._leaves[s] = ("y", n, j)
        values = net.values
        nan = float("nan")
        self._p0 = np.array([float(values.get(s, nan)) for s in params], dtype=float)
        self._x0 = np.array([[float(values.get(s, nan)) for s in g] for g in layout.inputs], dtype=float)
        self._y0 = np.array([[float(values.get(s, nan)) for s in g] for g in layout.targets], dtype=float)
        self._order = (params, layout.inputs, layout.targets)
        # the reported gradients (an input's copies in a coupled mini-batch summed, as Graph.copies says)
        groups = net.sum_copies({f.of.name: [f.of] for f in derivation.gradients})
        self.names = list(groups)
        self._index = {name: i for i, name in enumerate(self.names)}
        self._index.update({f.of: self._index[f.of.name] for f in derivation.gradients if f.of.name in self._index})
        for name, syms in groups.items():
            self._index.update({s: self._index[name] for s in syms})
        # every entry of [parameter gradients …, input gradients of each example …] → the
        # reported name it adds to (the last slot: not reported)
        slot = np.full(len(params) + self._count * self._width, len(self.names), dtype=np.intp)
        for i, syms in enumerate(groups.values()):
            for s in syms:
                place = self._leaves[s]
                slot[place[1] if place[0] == "p" else len(params) + place[1] * self._width + place[2]] = i
        self._slot = slot

    def _place(self, sym, kind):
        return self._leaves[sym]

    def _position(self, key):
        if isinstance(key, str) and key in self._index:
            return self._index[key]
        sym = self.graph.symbol(key) if isinstance(key, str) else key
        if not isinstance(sym, Hashable) or sym not in self._index:
            raise PointError(f"{key!r} has no reported gradient (an input or a parameter)"[:200])
        return self._index[sym]

    @staticmethod
    def _flatten(values):
        return values

    def __call__(self, point=None):
        np = self._np
        given = self._point(point)
        size = self._batch(given)
        x, y, p = self._x0, self._y0, self._p0
        batched = size > 1 or any(type(v) is not float for *_, v in given)
        if batched:
            x, y = np.repeat(x[None], size, axis=0), np.repeat(y[None], size, axis=0)
        else:
            x, y = x[None].copy(), y[None].copy()
        p = p.copy() if any(place[0] == "p" for _, _, place, _ in given) else p
        for sym, kind, place, value in given:
            if type(value) is not float and not np.isfinite(value).all():
                raise PointError(f"point value of {sym.name}: expected finite numbers")
            if place[0] == "p":
                p[place[1]] = value
            elif place[0] == "x":
                x[:, place[1], place[2]] = value
            else:
                y[:, place[1], place[2]] = value
        if np.isnan(p).any() or np.isnan(x).any() or np.isnan(y).any():
            params, inputs, targets = self._order
            missing = [s.name for s, v in zip(params, p) if v != v]
            for groups, array in ((inputs, x[0]), (targets, y[0])):
                missing += [s.name for group, row in zip(groups, array) for s, v in zip(group, row) if v != v]
            self._missing(missing)
        x = x.reshape((-1,) + self._input_shape)
        y = y.reshape((x.shape[0], -1))
        params = [a.reshape(shape) for a, shape in zip(np.split(p, self._splits), self._shapes)]
        cost, grads = self._run([x, y], params)
        dx = np.asarray(grads[-1], dtype=float).reshape(size, -1).sum(axis=0)
        flat = np.concatenate([np.asarray(g, dtype=float).ravel() for g in grads[:-1]] + [dx])
        totals = np.bincount(self._slot, weights=flat, minlength=len(self.names) + 1)[:-1]
        self._finite(cost, [totals])
        return Result(cost, Gradients(self, totals), size)


__all__ = ["ConvArrays", "ConvWriter", "Layout"]
