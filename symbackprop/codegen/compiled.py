"""A derivation compiled to array code: the cost and every gradient of a point or a batch.

``d.compile(backend="numpy")`` returns a :class:`Compiled`: a function of a point (a dict
by name or symbol, each value a number or a 1-D array along a leading batch axis) that
returns the cost and every gradient, summed over the batch (L = Σₙ Cⁿ, ∂L/∂p = Σₙ ∂Cⁿ/∂p),
with the spec's values (:attr:`Graph.values`) for the names not given; called with no
point on a mini-batch spec it runs the spec's examples, as :meth:`Derivation.evaluate` does.

The code is the module :mod:`codegen` writes for ``symbackprop code`` (without the
spec's values), executed once: a layered network runs layer by layer with matrices (the
vector form δ^{(l)} = (W^{(l+1)})ᵀ δ^{(l+1)} ⊙ σ′(z^{(l)})), a recurrent net a loop over
its steps and an attention head its matrix form (their layouts: :mod:`.arrays`), a
convolutional net with arrays along its channels and positions (:mod:`.conv`), any
other graph its sweep's definitions, each vectorised over the batch. Compile time is linear in the number of
nodes. A parameter takes one number (it is shared by every example of a batch).

``backend="torch"`` runs the PyTorch module, and ``"jax"`` the NumPy one over
``jax.numpy``, where those packages are installed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Mapping

from ..errors import PointError, SpecError, SymbackpropError
from ..core.graph import as_number
from ..notation.quoting import counted

BACKENDS = ("numpy", "torch", "jax")


def require(backend: str):
    """The array module of a backend, or one error naming the missing package."""
    if backend not in BACKENDS:
        shown = repr(backend) if len(repr(backend)) <= 40 else repr(backend)[:37] + "..."
        raise SpecError(f"unknown backend {shown}; expected one of: {', '.join(BACKENDS)}")
    try:
        if backend == "numpy":
            import numpy as module
        elif backend == "torch":
            import torch as module
        else:
            import jax
            jax.config.update("jax_enable_x64", True)   # float64, as the other backends
            import jax.numpy as module
    except ImportError:
        package = {"jax": "jax"}.get(backend, backend)
        raise SymbackpropError(f"the {backend} backend needs the package {package}, which is not "
                               f"installed (pip install {package})") from None
    return module


class Result:
    """The cost and every gradient at a point, summed over a batch of ``size`` examples."""

    def __init__(self, cost: float, gradients: Mapping, size: int):
        self.cost = cost
        self.gradients = gradients
        self.size = size

    def __repr__(self):
        return f"<Result cost={self.cost!r}, {counted(len(self.gradients), 'gradient')}, {counted(self.size, 'example')}>"


class Gradients(Mapping):
    """{name: ∂C/∂name} in derivation order, read from the gradient arrays on first access
    (a shared parameter summed over its uses); a key may be a name or a symbol."""

    def __init__(self, owner, arrays):
        self._owner = owner
        self._arrays = arrays
        self._values = None

    def __getitem__(self, key):
        if self._values is None:
            self._values = self._owner._flatten(self._arrays)
        return float(self._values[self._owner._position(key)])

    def __contains__(self, key):
        """``key in gradients``: False for a name without a gradient (as a dict says), where
        ``gradients[key]`` names the reason."""
        try:
            self._owner._position(key)
        except (SymbackpropError, TypeError):
            return False
        return True

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __iter__(self):
        return iter(self._owner.names)

    def __len__(self):
        return len(self._owner.names)

    def __repr__(self):
        return repr(dict(self))


class Compiled:
    """The callable :meth:`Derivation.compile` returns."""

    def __init__(self, derivation, namespace, backend):
        import numpy
        self._np = numpy
        self.derivation = derivation
        self.graph = derivation.graph
        self.backend = backend
        self._ns = namespace
        self._forward = namespace["forward"]
        self._backward = namespace["backward"]
        self._slots: dict = {}
        self._examples_of = None    # (points, values) the cached examples were made from
        self._examples_cached: list = []
        self._values_of = self.graph.values     # the defaults below are read from these
        if backend == "torch":
            import torch
            self._to = lambda a: torch.as_tensor(a, dtype=torch.float64)
        elif backend == "jax":
            import jax.numpy as jnp
            self._to = jnp.asarray
        else:
            self._to = None

    # --- a point's values -------------------------------------------------------------

    def _resolve(self, key):
        """(symbol, kind, position) of the leaf a point's key names (cached by key)."""
        try:
            return self._slots[key]
        except (KeyError, TypeError):
            pass
        graph = self.graph
        try:
            sym = graph.symbol(key) if isinstance(key, str) else key
        except SpecError as exc:
            raise PointError(str(exc)) from None
        node = graph.nodes.get(sym) if isinstance(sym, Hashable) else None
        if node is None or node.expr is not None:
            raise PointError(f"point: {_shown(key)} is not an input, target or parameter")
        slot = (node.symbol, node.kind, self._place(node.symbol, node.kind))
        try:
            self._slots[key] = slot
        except TypeError:
            pass
        return slot

    def _value(self, value, sym, kind):
        """A number as a float, or a 1-D array along the batch axis (inputs and targets only;
        their entries are checked to be finite where the batch is assembled)."""
        if type(value) is float:
            if value - value == 0:
                return value
        elif type(value) is int:
            return float(_in_range(value, sym))
        np = self._np
        if isinstance(value, (np.ndarray, list, tuple)) or hasattr(value, "__array__"):
            if isinstance(value, np.ma.MaskedArray) and np.ma.getmask(value) is not np.ma.nomask \
                    and np.ma.getmask(value).any():
                raise PointError(f"point value of {sym.name}: a masked array; its masked entries "
                                 "would be computed too: drop them (array[~array.mask]) or fill them")
            try:
                array = np.asarray(value)
                if array.dtype.kind in "bc":    # True is not a number, nor is 1+0j here
                    raise TypeError
                array = np.asarray(array, dtype=float)
            except (TypeError, ValueError, OverflowError):
                raise PointError(f"point value of {sym.name}: expected numbers, got "
                                 f"{type(value).__name__} with other entries") from None
            except RuntimeError as exc:     # a tensor that requires grad, or on a device
                raise PointError(f"point value of {sym.name}: a {type(value).__name__} that NumPy cannot read "
                                 f"({str(exc)[:120]})") from None
            if array.ndim == 0:
                value = float(array)
            else:
                if array.ndim != 1 or array.shape[0] == 0:
                    raise PointError(f"point value of {sym.name}: expected a number or a 1-D array along "
                                     f"the batch axis, got an array of shape {tuple(array.shape)}")
                if kind == "param":
                    raise PointError(f"point value of {sym.name}: a parameter takes one number (it is "
                                     "shared by every example), not an array")
                return array
        else:
            try:
                value = as_number(value, f"point value of {sym.name}")
            except SpecError as exc:
                raise PointError(str(exc)) from None
        value = float(value)
        if not math.isfinite(value):
            raise PointError(f"point value of {sym.name}: expected a finite number, got {value!r}")
        return value

    @staticmethod
    def _batch(entries) -> int:
        """The batch size: every array must have the same length."""
        size, first = 1, None
        for sym, kind, place, value in entries:
            if type(value) is not float:
                n = value.shape[0]
                if first is None:
                    size, first = n, sym
                elif n != size:
                    raise PointError(f"point: {sym.name} has {n} examples but {first.name} has {size}")
        return size

    def _examples(self) -> list:
        """The spec's mini-batch as one array per leaf that an example gives."""
        np = self._np
        graph = self.graph
        out = []
        for sym in graph.leaves:
            if any(sym in p for p in graph.points):
                column = [p.get(sym, graph.values.get(sym)) for p in graph.points]
                if any(v is None for v in column):
                    continue
                kind = graph.nodes[sym].kind
                out.append((sym, kind, self._place(sym, kind), np.array([float(v) for v in column], dtype=float)))
        return out

    def _point(self, point) -> list:
        """[(symbol, kind, position, float or array)] given by the call; the spec's examples
        when no point is given on a mini-batch spec."""
        if self.graph.values is not self._values_of:   # new values (net.values = …): new defaults
            self.__init__(self.derivation, self._ns, self.backend)
        if self.graph.runs_examples(point):
            made_from = (self.graph.points, self.graph.values)   # new values: new examples
            if self._examples_of is None or any(a is not b for a, b in zip(made_from, self._examples_of)):
                self._examples_of, self._examples_cached = made_from, self._examples()
            return self._examples_cached
        if point is None:
            return []
        if not isinstance(point, Mapping):
            raise PointError(f"point: expected a dict of values by name, got {type(point).__name__}")
        out = []
        resolve, convert = self._resolve, self._value
        for key, value in point.items():
            sym, kind, place = resolve(key)
            out.append((sym, kind, place, convert(value, sym, kind)))
        return out

    def _missing(self, names) -> None:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise PointError(f"no value for {shown}; give them in the spec or in the point")

    def _finite(self, cost, arrays) -> None:
        np = self._np
        if not math.isfinite(cost) or not all(bool(np.isfinite(np.asarray(a)).all()) for a in arrays):
            raise PointError("the network cannot be evaluated at this point: a value is not finite "
                             "(the values are too large for floating point)")

    def _run(self, inputs: list, params: list):
        """The compiled forward() and backward() on the backend's arrays (an input may be
        None): the cost as a float and the gradient arrays as NumPy arrays."""
        if self._to is not None:
            inputs = [None if a is None else self._to(a) for a in inputs]
            params = [self._to(a) for a in params]
        with self._np.errstate(all="ignore"):
            cost, cache = self._forward(*inputs, *params)
            grads = self._backward(*inputs, *params, cache)
        return float(cost), self._to_numpy(grads)

    def _to_numpy(self, arrays):
        if self._to is None:
            return arrays
        np = self._np
        return tuple(np.asarray(a.detach().numpy() if hasattr(a, "detach") else a, dtype=float) for a in arrays)

    def __repr__(self):
        return f"<Compiled {self.backend} code of {self.graph.describe()}>"

    def _position(self, key):
        """Where a parameter's gradient sits: a name (``_by_name``) or a symbol (``_index``)."""
        i = self._by_name.get(key) if isinstance(key, str) else None
        if i is not None:
            return i
        sym = self.graph.symbol(key) if isinstance(key, str) else key
        if sym not in self._index:
            raise PointError(f"{_shown(key)} is not a parameter of this network")
        return self._index[sym]


class _Layered(Compiled):
    """A layered network: arrays x (rows × inputs), y, and W, b per layer."""

    def __init__(self, derivation, namespace, backend):
        super().__init__(derivation, namespace, backend)
        np = self._np
        net = self.graph
        self._params = net.parameters
        self.names = [s.name for s in self._params]
        self._index = {s: i for i, s in enumerate(self._params)}
        self._inputs = {s: k for k, s in enumerate(net.inputs)}
        self._targets = {s: j for j, s in enumerate(net.targets)}
        values = net.values
        nan = float("nan")
        self._x0 = np.array([float(values.get(s, nan)) for s in net.inputs], dtype=float)
        self._y0 = np.array([float(values.get(s, nan)) for s in net.targets], dtype=float)
        self._p0 = np.array([float(values.get(s, nan)) for s in self._params], dtype=float)
        # index tables: layer l's W and b as positions in the parameter list (a shared
        # parameter has one position, used by several entries)
        self._widx, self._bidx = [], []
        index = self._index
        flat_w = np.fromiter((index[s] for s in net._w.values()), dtype=np.intp, count=len(net._w))
        flat_b = np.fromiter((index[s] for s in net._b.values()), dtype=np.intp, count=len(net._b))
        w_at = b_at = 0
        for l in range(1, net.L + 1):
            rows, cols = net.sizes[l], net.sizes[l - 1]
            self._widx.append(flat_w[w_at:w_at + rows * cols].reshape(rows, cols))
            self._bidx.append(flat_b[b_at:b_at + rows])
            w_at, b_at = w_at + rows * cols, b_at + rows
        self._by_name = {name: i for i, name in enumerate(self.names)}
        self._defaults = self._matrices(self._p0)
        self._incomplete = bool(np.isnan(self._x0).any() or np.isnan(self._y0).any() or np.isnan(self._p0).any())

    def _matrices(self, p):
        out = []
        for widx, bidx in zip(self._widx, self._bidx):
            out += [p[widx], p[bidx]]
        return out

    def _flatten(self, arrays):
        """Every parameter's gradient, in order: each layer's dW and db added at the
        parameters' positions (a shared one collects all its entries)."""
        np = self._np
        total = np.zeros(len(self._params))
        for l, (widx, bidx) in enumerate(zip(self._widx, self._bidx)):
            total += np.bincount(widx.ravel(), weights=np.asarray(arrays[2 * l], dtype=float).ravel(),
                                 minlength=total.shape[0])
            total += np.bincount(bidx, weights=np.asarray(arrays[2 * l + 1], dtype=float),
                                 minlength=total.shape[0])
        return total

    def _place(self, sym, kind):
        return (self._inputs if kind == "x" else self._targets if kind == "y" else self._index)[sym]

    def __call__(self, point=None) -> Result:
        np = self._np
        given = self._point(point)
        size = self._batch(given)
        p = None
        xs, ys = [], []
        for sym, kind, place, value in given:
            if kind == "x":
                xs.append((place, value))
            elif kind == "y":
                ys.append((place, value))
            else:
                if p is None:
                    p = self._p0.copy()
                p[place] = value
        x = self._rows(self._x0, xs, size)
        y = self._rows(self._y0, ys, size)
        params = self._defaults if p is None else self._matrices(p)
        if self._incomplete and (np.isnan(x).any() or np.isnan(y).any()
                                 or np.isnan(self._p0 if p is None else p).any()):
            net = self.graph
            q = self._p0 if p is None else p
            missing = [s.name for s, v in zip(net.inputs, x[0]) if v != v]
            missing += [s.name for s, v in zip(net.targets, y[0]) if v != v]
            missing += [s.name for s, v in zip(self._params, q) if v != v]
            self._missing(missing)
        cost, grads = self._run([x, y], params)
        self._finite(cost, grads)
        return Result(cost, Gradients(self, grads), size)

    def cost_differences(self, values, wrt, step: float) -> dict:
        """Float64 central differences (C(p + hₚ) − C(p − hₚ)) / 2hₚ, hₚ = step·max(1, |p|),
        of the cost at ``values`` ({symbol: number}, every leaf) for each input or
        parameter in ``wrt``: two forward passes of the compiled layers each, only the
        entries of W and b that hold the leaf changed (the check's float64 route)."""
        np = self._np
        net = self.graph
        x = np.array([[float(values[s]) for s in net.inputs]])
        y = np.array([[float(values[s]) for s in net.targets]])
        p = np.array([float(values[s]) for s in self._params])
        mats = self._matrices(p)
        where = self._entries
        forward = self._forward

        def cost():
            return float(forward(x, y, *mats)[0])

        out = {}
        with np.errstate(all="ignore"):
            for s in wrt:
                if s in self._inputs:
                    k = self._inputs[s]
                    base = x[0, k]
                    h = step * max(1.0, abs(base))
                    x[0, k] = base + h
                    up = cost()
                    x[0, k] = base - h
                    down = cost()
                    x[0, k] = base
                else:
                    i = self._index[s]
                    base = p[i]
                    h = step * max(1.0, abs(base))
                    for slot, flat in where[i]:
                        mats[slot].flat[flat] = base + h
                    up = cost()
                    for slot, flat in where[i]:
                        mats[slot].flat[flat] = base - h
                    down = cost()
                    for slot, flat in where[i]:
                        mats[slot].flat[flat] = base
                out[s] = (up - down) / (2 * h)
        return out

    @functools.cached_property
    def _entries(self) -> list:
        """For every parameter, the (matrix slot, flat positions) that hold it (built once)."""
        np = self._np
        found: list = [[] for _ in self._params]
        for l, (widx, bidx) in enumerate(zip(self._widx, self._bidx)):
            for slot, idx in ((2 * l, widx.ravel()), (2 * l + 1, bidx)):
                order = np.argsort(idx, kind="stable")
                ids, starts = np.unique(idx[order], return_index=True)
                for i, flat in zip(ids, np.split(order, starts[1:])):
                    found[int(i)].append((slot, flat))
        return found

    def _rows(self, base, given: list, size: int):
        """rows × n: the defaults in every row, with the given columns in place (an array
        of the batch, or a number in every row)."""
        np = self._np
        if size == 1:
            row = base.copy()
            for k, v in given:
                row[k] = v if type(v) is float else v[0]    # a batch of one example
                if not math.isfinite(row[k]):
                    raise PointError("point: the arrays along the batch axis must hold finite numbers")
            return row[None, :]
        out = np.empty((size, base.shape[0]), dtype=float)
        out[:] = base
        for k, v in given:
            out[:, k] = v
        if given and not np.isfinite(out).all():
            raise PointError("point: the arrays along the batch axis must hold finite numbers")
        return out


class _Graph(Compiled):
    """Any other graph: one array (or number) per leaf, in the graph's order."""

    def __init__(self, derivation, namespace, backend):
        super().__init__(derivation, namespace, backend)
        net = self.graph
        self._leaves = net.leaves
        self._order = {s: i for i, s in enumerate(self._leaves)}
        self._defaults = [float(net.values[s]) if s in net.values else None for s in self._leaves]
        grads = derivation.gradients
        # an input's copies in a coupled mini-batch (Graph.copies) report one summed gradient
        groups = net.sum_copies({f.of.name: [i] for i, f in enumerate(grads)})
        self.names = list(groups)
        self._groups = list(groups.values())
        self._index = {name: i for i, name in enumerate(self.names)}
        self._index.update({f.of: self._index[f.of.name] for f in grads if f.of.name in self._index})

    def _position(self, key):
        sym = key if isinstance(key, str) and key in self._index else (
            self.graph.symbol(key) if isinstance(key, str) else key)
        if sym not in self._index:
            raise PointError(f"{_shown(key)} has no reported gradient (an input or a parameter)")
        return self._index[sym]

    @staticmethod
    def _flatten(values):
        return values

    def _place(self, sym, kind):
        return self._order[sym]

    def __call__(self, point=None) -> Result:
        np = self._np
        given = self._point(point)
        args = list(self._defaults)
        for sym, kind, place, value in given:
            if type(value) is not float and not np.isfinite(value).all():
                raise PointError(f"point value of {sym.name}: expected finite numbers")
            args[place] = value
        missing = [s.name for s, v in zip(self._leaves, args) if v is None]
        if missing:
            self._missing(missing)
        size = self._batch(given)
        if self._to is not None:
            args = [self._to(a) for a in args]
        with np.errstate(all="ignore"):
            cost, cache = self._forward(*args)
            grads = self._backward(*args, cache)
        cost = _total(np, self._to_numpy((cost,))[0], size)
        totals = [_total(np, g, size) for g in self._to_numpy(grads)]
        totals = [math.fsum(totals[i] for i in group) for group in self._groups]
        self._finite(cost, totals)
        return Result(cost, Gradients(self, totals), size)


def _total(np, value, size) -> float:
    value = np.asarray(value, dtype=float)
    return float(value.sum()) if value.ndim else float(value) * size


def _in_range(value: int, sym) -> int:
    try:
        float(value)
    except OverflowError:
        raise PointError(f"point value of {sym.name}: number too large (at most about 1.8e308)") from None
    return value


def _shown(key) -> str:
    from ..notation.quoting import quote
    return quote(key.name if hasattr(key, "name") else str(key), 40)


__all__ = ["BACKENDS", "Compiled", "Gradients", "Result", "require"]
