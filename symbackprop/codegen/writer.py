"""The derivation as a standalone Python module (NumPy or PyTorch), readable line by line.

The module does not import symbackprop. It has

* ``forward(...)``: the forward pass, one line per formula, returning the cost (summed
  over the rows of a batch) and the values the backward pass reads;
* ``backward(...)``: the adjoints in the order of the sweep, commented with the
  lecture's Case 1 / Case 2, the amplifier σ′(z), the sums of shared parameters and,
  for a recurrent net, the steps of backpropagation through time; then every gradient;
* ``evaluate(values=None)``: ``{"cost": …, "gradients": {name: …}}`` at the spec's values,
  with ``values`` (by name) given instead; an array along a leading axis is a batch of
  examples whose cost and gradients are summed (L = Σₙ Cⁿ); a parameter takes one number.

A layered network is written layer by layer with matrices (δ^{(l)} = (W^{(l+1)})ᵀ δ^{(l+1)}
⊙ σ′(z^{(l)})), a recurrent net as a loop over its steps (:mod:`.cells`) and an attention
head in matrix form (:mod:`.attention`), each with arrays along the batch; any other graph
node by node, vectorised over the batch. Identifiers are
derived from the math names (a mapping comment lists them); user text reaches the source
only in escaped one-line comments and in ``repr`` string literals, and never on the first two
lines (where Python reads an encoding declaration). Numbers use the stable
forms of :func:`numeric.stable_definitions` (σ without overflow, 1 − σ(z) as σ(−z),
log-softmax, log-sigmoid). The same source, without the spec's values, is what
:mod:`compiled` runs.
"""

from __future__ import annotations

import keyword
import re

import sympy

from ..ops import activations as _activations
from ..notation.numerals import literal
from ..numeric.compiler import ArrayPrinter
from ..numeric.values import stable_definitions
from ..notation.printing import text as _text

LANGS = ("numpy", "torch")

#: Identifiers the generated module defines or uses itself (and every registered
#: activation's name: see :class:`Names`).
_TAKEN = {"np", "torch", "math", "json", "forward", "backward", "evaluate", "cache", "VALUES", "NAMES",
          "LEAVES", "GRADIENTS", "INPUTS", "TARGETS", "WEIGHTS", "BIASES", "PARAMETERS",
          "float", "int", "sum", "abs", "max", "min", "dict", "zip", "step", "softmax", "log_softmax",
          "softmax_complement", "log_softmax_complement", "log_sigmoid", "stack_last", "softmax_entry",
          "log_softmax_entry", "softmax_complement_entry", "log_softmax_complement_entry"}


# --- text that reaches the source --------------------------------------------------------

def comment(text: str) -> str:
    """A one-line comment: every character that is not printable (a line break, a form
    feed, U+2028 …) written as an escape, so user text cannot end the comment."""
    out = []
    for ch in str(text):
        if ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append("\\x%02x" % code if code < 0x100 else ("\\u%04x" % code if code < 0x10000 else "\\U%08x" % code))
    return "# " + "".join(out) if out else "#"


_GREEK_COMMAND = re.compile(r"\\([A-Za-z]+)")


def identifier(name: str) -> str:
    """A Python identifier from a math name: ``w^{(1)}_{11}`` → ``w_1_11``, ``\\delta_{j}``
    → ``delta_j``, ``z_{h_1}`` → ``z_h_1``; ASCII letters, digits and single underscores."""
    text = _GREEK_COMMAND.sub(lambda m: "_" + m.group(1) + "_", name)
    text = text.replace("'", "_prime_")
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text:
        text = "v"
    if text[0].isdigit():
        text = "v_" + text
    return text


def _helper_prefixes() -> tuple:
    """How the activations' functions that no spec name may take begin: ``custom_…``, and
    the name of each activation with options (``leaky_relu_1_10``)."""
    return ("custom_", *(name for name, options in _activations.OPTIONS.items() if options))


class Names:
    """Unique identifiers, handed out in a fixed order (deterministic): a clash with a
    keyword, a name the module uses itself, or an earlier identifier gets a suffix. The
    activations' functions are named by the registry (``sigmoid``, ``leaky_relu_1_10`` for
    an activation with options, ``custom_…`` and ``…_prime``): no other name takes those."""

    def __init__(self, taken=()):
        self.used = set(_TAKEN) | set(_activations.REGISTRY) | set(taken)

    def new(self, base: str) -> str:
        base = identifier(base)
        if base.startswith(_helper_prefixes()) or base.endswith("_prime"):
            base = "n_" + base   # the helpers' names
        candidate, n = base, 1
        while candidate in self.used or keyword.iskeyword(candidate):
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        return candidate


# --- languages ------------------------------------------------------------------------

class Lang:
    """How the generated code spells array operations in one language."""

    def __init__(self, name: str):
        self.name = name
        self.xp = "np" if name == "numpy" else "torch"

    def header(self) -> str:
        return "import numpy as np" if self.name == "numpy" else "import torch"

    def rowsum(self, expr: str, axis: int = 1) -> str:
        """Σ along ``axis``, kept as an axis of length 1."""
        expr = expr if expr.isidentifier() else f"({expr})"
        if self.name == "numpy":
            return f"{expr}.sum(axis={axis}, keepdims=True)"
        return f"{expr}.sum(dim={axis}, keepdim=True)"

    def stack(self, items: str, axis) -> str:
        """``items`` (a list's text) stacked along a new ``axis``."""
        return f"np.stack({items}, axis={axis})" if self.name == "numpy" else f"torch.stack({items}, dim={axis})"

    def colsum(self, expr: str) -> str:
        return f"{expr}.sum(axis=0)" if self.name == "numpy" else f"{expr}.sum(dim=0)"

    def total(self, expr: str) -> str:
        return f"{self.xp}.sum({expr})"


_HELPERS_NUMPY = {
    "sigmoid_pair": '''def sigmoid_pair(z):
    """(σ(z), σ(−z)) = (a, 1 − a), each without cancellation (1 − a is not computed as a difference)."""
    return 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(z))''',
    "stack_last": '''def stack_last(*zs):
    """The arguments side by side along a last axis (numbers broadcast to the batch)."""
    return np.stack(np.broadcast_arrays(*[np.asarray(z, dtype=float) for z in zs]), axis=-1)''',
    "softmax": '''def softmax(z):
    """softmax along the last axis, shifted by the largest entry (no overflow)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)''',
    "_others": '''def _others(z):
    """(Σ_{i≠j} e^{z_i − m}, Σ_i e^{z_i − m}) for every j: each sum without the j-th term."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    n = z.shape[-1]
    return e @ (1.0 - np.eye(n)), e.sum(axis=-1, keepdims=True)''',
    "log_softmax": '''def log_softmax(z):
    """ln softmax(z), as (z_j − m) − ln(1 + Σ_{i≠argmax} e^{z_i − m}) (no 1 + tiny rounding)."""
    m = z.max(axis=-1, keepdims=True)
    e = np.exp(z - m)
    top = np.arange(z.shape[-1]) == z.argmax(axis=-1)[..., None]
    return (z - m) - np.log1p(np.where(top, 0.0, e).sum(axis=-1, keepdims=True))''',
    "softmax_complement": '''def softmax_complement(z):
    """1 − softmax_j(z) = Σ_{i≠j} e^{z_i} / Σ_i e^{z_i}, without the cancellation of 1 − a_j."""
    others, total = _others(z)
    return others / total''',
    "log_softmax_complement": '''def log_softmax_complement(z):
    """ln(1 − softmax_j(z))."""
    others, total = _others(z)
    return np.log(others) - np.log(total)''',
    "log_sigmoid": '''def log_sigmoid(z):
    """ln σ(z) = min(z, 0) − ln(1 + e^{−|z|}), finite where σ(z) rounds to 0 or 1."""
    return np.where(z > 0, 0.0 * z, z) - np.log1p(np.exp(-np.abs(z)))''',
    "step": '''def step(z):
    """step(z) = 1 for z > 0, else 0 (so ReLU′(0) = 0)."""
    return (np.asarray(z) > 0) * 1.0''',
}

_HELPERS_TORCH = {
    "sigmoid_pair": '''def sigmoid_pair(z):
    """(σ(z), σ(−z)) = (a, 1 − a), without overflow or cancellation."""
    return torch.sigmoid(z), torch.sigmoid(-z)''',
    "stack_last": '''def stack_last(*zs):
    """The arguments side by side along a last axis (numbers broadcast to the batch)."""
    zs = [torch.as_tensor(z, dtype=torch.float64) for z in zs]
    return torch.stack(torch.broadcast_tensors(*zs), dim=-1)''',
    "softmax": '''def softmax(z):
    """softmax along the last axis, shifted by the largest entry (no overflow)."""
    return torch.softmax(z, dim=-1)''',
    "_others": '''def _others(z):
    """(Σ_{i≠j} e^{z_i − m}, Σ_i e^{z_i − m}) for every j: each sum without the j-th term."""
    e = torch.exp(z - z.amax(dim=-1, keepdim=True))
    n = z.shape[-1]
    return e @ (1.0 - torch.eye(n, dtype=z.dtype)), e.sum(dim=-1, keepdim=True)''',
    "log_softmax": '''def log_softmax(z):
    """ln softmax(z)."""
    return torch.log_softmax(z, dim=-1)''',
    "softmax_complement": '''def softmax_complement(z):
    """1 − softmax_j(z) = Σ_{i≠j} e^{z_i} / Σ_i e^{z_i}, without the cancellation of 1 − a_j."""
    others, total = _others(z)
    return others / total''',
    "log_softmax_complement": '''def log_softmax_complement(z):
    """ln(1 − softmax_j(z))."""
    others, total = _others(z)
    return torch.log(others) - torch.log(total)''',
    "log_sigmoid": '''def log_sigmoid(z):
    """ln σ(z), finite where σ(z) rounds to 0 or 1."""
    return torch.nn.functional.logsigmoid(torch.as_tensor(z, dtype=torch.float64))''',
    "step": '''def step(z):
    """step(z) = 1 for z > 0, else 0 (so ReLU′(0) = 0)."""
    return (torch.as_tensor(z) > 0) * 1.0''',
}

#: An entry-wise helper for graphs written node by node: name → (rowwise helper).
_ENTRY = {"softmax_entry": "softmax", "log_softmax_entry": "log_softmax",
          "softmax_complement_entry": "softmax_complement",
          "log_softmax_complement_entry": "log_softmax_complement"}

#: What each helper calls.
_NEEDS = {"softmax_complement": ("_others",), "log_softmax_complement": ("_others",),
          **{entry: (row, "stack_last") for entry, row in _ENTRY.items()}}


def _entry_helper(name: str) -> str:
    row = _ENTRY[name]
    return (f'def {name}(j, *zs):\n    """Entry j (1-based) of {row} of the arguments."""\n'
            f"    return {row}(stack_last(*zs))[..., j - 1]")


def _form(act) -> str:
    """How a layer of matrices keeps the activation (:attr:`activations.Code.form`)."""
    return act.code.form if act.code is not None else "elementwise"


class Helpers:
    """The helper functions a module needs, collected while its code is printed, and
    written in a fixed order."""

    def __init__(self, lang: Lang, printer_factory):
        self.lang = lang
        self._printer_factory = printer_factory
        self.names: dict = {}        # activation → identifier of its function
        self.sources: dict = {}      # helper name → source, in insertion order
        self._pending: list = []

    def need(self, name: str) -> str:
        """A fixed helper (softmax, step …) and what it calls."""
        if name in self.sources:
            return name
        for dep in _NEEDS.get(name, ()):
            self.need(dep)
        table = _HELPERS_NUMPY if self.lang.name == "numpy" else _HELPERS_TORCH
        self.sources[name] = _entry_helper(name) if name in _ENTRY else table[name]
        return name

    def activation(self, act) -> str:
        """The identifier of an elementwise activation's function (its derivative is the
        same with ``_prime``), defined on first use after the functions it calls."""
        if act.func in self.names:
            return self.names[act.func]
        name, f, prime = self._custom(act) if act.code is None else self._registered(act)
        self.sources[name] = f
        self.sources[name + "_prime"] = prime
        return name

    def _registered(self, act):
        """A registry activation: the code its entry carries."""
        code, lang = act.code, self.lang
        name = self.names[act.func] = code.name or act.name
        for callee in code.calls:
            if callee in _activations.REGISTRY:
                self.activation(_activations.get(callee))
            else:
                self.need(callee)
        return (name, _function(name, code.f_doc, code.body("f", lang.name, lang.xp)),
                _function(name + "_prime", code.prime_doc, code.body("prime", lang.name, lang.xp)))

    def _custom(self, act):
        """A custom activation: its SymPy expression and derivative, printed as code."""
        name = base = "custom_" + identifier(act.name)
        number = 1
        while name in self.sources:      # "my act" and "my-act": one identifier
            number += 1
            name = "%s_%d" % (base, number)
        self.names[act.func] = name
        z = sympy.Symbol("z", real=True)
        printer = self._printer_factory({z: "z"})
        f = "return " + printer.code(act.template(z)) + " + 0.0 * z"
        prime = "return " + printer.code(act.prime_closed(z)) + " + 0.0 * z"
        return (name, _function(name, f"{act.name} (a custom activation)", f),
                _function(name + "_prime", f"the derivative of {act.name}", prime))

    def text(self) -> str:
        return "\n\n\n".join(self.sources.values())


def _function(name: str, doc: str, body: str) -> str:
    """``def name(z):`` with its docstring and body."""
    return f'def {name}(z):\n    """{_doc(doc)}"""\n    ' + body


def _doc(text: str) -> str:
    """Text for a docstring the generator writes (never user text: escaped all the same)."""
    return comment(text)[2:].replace("\\", "\\\\").replace('"', "'")


# --- printing expressions ------------------------------------------------------------------

def _printer(names, helpers, lang):
    """The printer of one expression in the module's identifiers (:mod:`numeric.compiler`)."""
    return ArrayPrinter(names, helpers, lang)


# --- the module ---------------------------------------------------------------------------

def _preamble(L: Lang, net) -> list:
    """The module's first lines. The first two are the same for every spec, so no title or
    name can be read as an encoding declaration (``# coding: …`` on line 1 or 2 would tell
    Python how to decode the whole file); user text follows as escaped comments."""
    lang = "NumPy" if L.name == "numpy" else "PyTorch"
    lines = [f"# Standalone {lang} code of a backpropagation, written by `symbackprop code`;",
             "# it does not import symbackprop."]
    if net.title:
        lines.append(comment(net.title))
    return lines + [comment(f"Backpropagation of {net.describe()}.")]


def _values_literal(net) -> list:
    """Lines of ``VALUES = {…}``: every leaf with a value; a mini-batch's inputs and
    targets as one list over its examples."""
    values = dict(net.values)
    lines = ["VALUES = {"]
    batch = {}
    if net.points:
        for sym in net.leaves:
            if any(sym in p for p in net.points):
                batch[sym] = [p.get(sym, values.get(sym)) for p in net.points]
    for sym in net.leaves:
        if sym in batch:
            if any(v is None for v in batch[sym]):
                continue
            lines.append("    %r: [%s]," % (sym.name, ", ".join(literal(v) for v in batch[sym])))
        elif sym in values:
            lines.append("    %r: %s," % (sym.name, literal(values[sym])))
    lines.append("}")
    return lines


#: The exported module's command-line entry: its values as JSON, or one error line.
_MAIN = '''if __name__ == "__main__":
    import json
    import sys
    try:
        result = evaluate()
    except KeyError as exc:
        sys.exit(f"error: {exc.args[0]}")
    try:
        print(json.dumps(result, indent=1, allow_nan=False))
    except ValueError:
        sys.exit("error: a value is not finite (the values are too large for floating point)")
    except BrokenPipeError:            # python module.py | head: the reader has gone
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)'''


def _evaluate_common(L: Lang) -> str:
    xp = L.xp
    if L.name == "numpy":
        array = "np.asarray(value, dtype=float)"
        quiet = 'np.errstate(over="ignore", under="ignore", invalid="ignore")'
        quiet_doc = ("e^{−z} may overflow to ∞ where σ(z) is 0 to the last digit: no warning for that; values\n"
                     "    too large give ∞ − ∞ = nan, which the result shows (and the script names as not finite).")
    else:
        array = "torch.as_tensor(value, dtype=torch.float64)"
        quiet = "torch.no_grad()"
        quiet_doc = "No autograd graph: the gradients are the derivation's own."
    return f'''def _merged(values):
    """The spec's values with ``values`` (by name) given instead."""
    merged = dict(VALUES)
    for name, value in (values or {{}}).items():
        if name not in NAMES:
            raise KeyError(f"unknown name {{name!r}}")
        if name in PARAMETERS and _array(value).ndim:
            raise TypeError(f"the value of {{name}} is an array, but a parameter takes one number "
                            "(it is shared by every example)")
        merged[name] = value
    missing = [name for name in NAMES if name not in merged]
    if missing:
        raise KeyError(f"no value for {{', '.join(missing)}}")
    return merged


def _quiet():
    """{quiet_doc}"""
    return {quiet}


def _array(value):
    """A number, or an array along the batch axis, as this module's arrays."""
    return {array}


def _rows(arrays):
    """The batch size: the length of the arrays given, which must agree (1 for numbers only)."""
    sizes = sorted({{int(a.shape[0]) for a in arrays if a.ndim}})
    if len(sizes) > 1:
        raise ValueError(f"the arrays along the batch axis have different lengths: {{sizes}}")
    return sizes[0] if sizes else 1


def _total(value, rows):
    """A value summed over the batch (a number is the same in every row)."""
    value = _array(value)
    return float({xp}.sum(value)) if value.ndim else float(value) * rows'''


class OutputLayer:
    """The output layer's activation, cost and Case 1 in matrix form (one row per example),
    shared by every writer with matrices: ``a{Lh} = f(z{Lh})``, ``C`` from the cost
    registry's :class:`costs.OutputCode` and ``delta{Lh}`` = ∂C/∂z. A writer using it has
    ``helpers`` and ``lang``, and (for a cost without code) ``_custom_cost``."""

    def _activated(self, l, act):
        """``a{l}`` from ``z{l}`` (and ``abar{l}`` = 1 − a for a sigmoid): the lines and the
        names they add to the cache."""
        form = _form(act)
        if form == "sigmoid":
            return ([f"    a{l}, abar{l} = {self.helpers.need('sigmoid_pair')}(z{l})"
                     "  # a = σ(z) and 1 − a = σ(−z), 1 − a not computed as a difference"],
                    [f"z{l}", f"a{l}", f"abar{l}"])
        if form == "softmax":
            return [f"    a{l} = {self.helpers.need('softmax')}(z{l})"], [f"z{l}", f"a{l}"]
        return [f"    a{l} = {self.helpers.activation(act)}(z{l})"], [f"z{l}", f"a{l}"]

    def _case1(self, act, Lh) -> str:
        """The comment over the output layer's δ."""
        return f"Case 1, the output layer {Lh}: δ^({Lh}) = ∂C/∂a^({Lh}) ⊙ {self._prime_text(act, Lh)}"

    def _output(self, Lh, act, cost):
        """The cost's lines (forward) and Case 1's lines (backward) for the output layer:
        (forward lines, names they add to the cache, backward lines). A registry cost
        brings its code for the output activation's form; any other is printed."""
        form = _form(act)
        fwd = [comment(f"the cost: {cost.text}").replace("# ", "    # ", 1)]
        back = ["    " + comment(self._case1(act, Lh))]
        code = cost.code.get(form, cost.code.get("elementwise"))
        if code is None:
            fwd += self._custom_cost(Lh, cost)
            return fwd, ["g"], back + self._delta_from_g(form, act, Lh, "g")
        names = self._output_names(Lh)
        for helper in code.helpers:
            self.helpers.need(helper)
        fwd += ["    " + line.format(**names) for line in code.before]
        note = f"  # {code.note}" if code.note else ""
        fwd.append(f"    C = {code.scale}{self.lang.total(code.summand.format(**names))}{note}")
        extra = [name.format(**names) for name in code.cache]
        if code.grad is None:
            return fwd, extra, back + ["    " + line.format(**names) for line in code.delta]
        g = code.grad.format(**names)
        if form == "softmax":   # the Jacobian reads ∂C/∂a twice: one name for it
            back.append(f"    g = {g}  # ∂C/∂a")
            g = "g"
        return fwd, extra, back + self._delta_from_g(form, act, Lh, g)

    def _output_names(self, Lh) -> dict:
        """What a cost's :class:`costs.OutputCode` may name, at output layer ``Lh``."""
        return {"a": f"a{Lh}", "z": f"z{Lh}", "abar": f"abar{Lh}", "e": f"e{Lh}", "delta": f"delta{Lh}",
                "y_sum": self.lang.rowsum("y"), "xp": self.lang.xp}

    def _prime_text(self, act, l):
        if not act.elementwise:
            return f"the softmax Jacobian at z^({l})"
        return f"{act.text}′(z^({l}))"

    def _delta_from_g(self, form, act, Lh, g):
        """δ at the output layer from ∂C/∂a (``g``): through f′(z), or the softmax Jacobian."""
        a, z = f"a{Lh}", f"z{Lh}"
        if form == "softmax":
            return ["    # through the full Jacobian: δ_k = Σ_j ∂C/∂a_j · a_j([j = k] − a_k)",
                    f"    delta{Lh} = {a} * ({g} - {self.lang.rowsum(f'{g} * {a}')})"]
        f = self.helpers.activation(act)
        return [f"    delta{Lh} = {g} * {f}_prime({z})"]


class _LayeredWriter(OutputLayer):
    """A layered network, layer by layer with matrices: one row per example."""

    def __init__(self, derivation, lang: Lang):
        self.d = derivation
        self.net = derivation.graph
        self.lang = lang
        self.helpers = Helpers(lang, lambda names: _printer(names, self.helpers, lang))

    def _act(self, l):
        act = self.net.activations[l - 1]
        return None if not act.elementwise else self.helpers.activation(act)

    def params(self) -> list:
        return [p for l in range(1, self.net.L + 1) for p in (f"W{l}", f"b{l}")]

    def module(self, standalone: bool) -> str:
        L = self.lang
        fwd_lines, cache = self._forward()
        bwd = self._backward(["CACHE"])
        # the cache holds only what backward() reads (fewer arrays alive, less memory traffic)
        body = "\n".join(bwd[5:])
        cache = [name for name in cache if re.search(r"\b%s\b" % name, body)] or ["a0"]
        fwd_lines[-1] = f"    return C, ({', '.join(cache)},)"
        bwd[4] = f"    {', '.join(cache)}, = cache"
        if not standalone:
            parts = [L.header(), self.helpers.text(), "\n".join(fwd_lines), "\n".join(bwd)]
            return "\n\n\n".join(p for p in parts if p) + "\n"
        head = self._head()
        tables = self._tables()
        parts = ["\n".join(head), L.header(), self.helpers.text(), "\n".join(tables),
                 "\n".join(fwd_lines), "\n".join(bwd), _evaluate_common(L), self._evaluate(), _MAIN]
        return "\n\n\n".join(p for p in parts if p) + "\n"

    def _head(self) -> list:
        net = self.net
        lines = _preamble(self.lang, net) + [
            "# forward() and backward() follow the derivation line by line, with matrices:",
            "# one row per example, z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)} as z = a @ W.T + b.",
            "# evaluate(values=None) -> {\"cost\": ..., \"gradients\": {name: ...}} at the spec's values;",
            "# an array along a leading axis is a batch, whose cost and gradients are summed.",
            "#",
            "# Names (identifier: names in the derivation):"]
        for l in range(1, net.L + 1):
            n, m = net.sizes[l], net.sizes[l - 1]
            lines.append(comment(f"  W{l}[j-1, k-1]: {net.w(l, 1, 1).name} ... {net.w(l, n, m).name}"
                                 f" (WEIGHTS[{l - 1}] lists them); b{l}[j-1]: {net.b(l, 1).name} ..."
                                 f" {net.b(l, n).name} (BIASES[{l - 1}])"))
            lines.append(comment(f"  z{l}[:, j-1], a{l}[:, j-1], delta{l}[:, j-1]: {net.z(l, 1).name}, "
                                 f"{net.a(l, 1).name}, {net.delta(l, 1).name} ... (j = 1 ... {n})"))
        lines.append(comment(f"  x[:, k-1]: {net.x(1).name} ... (INPUTS); y[:, j-1]: {net.y(1).name} ... (TARGETS)"))
        return lines

    def _tables(self) -> list:
        net = self.net
        lines = ["INPUTS = [%s]" % ", ".join(repr(s.name) for s in net.inputs),
                 "TARGETS = [%s]" % ", ".join(repr(s.name) for s in net.targets),
                 "# WEIGHTS[l-1][j-1][k-1] names the weight W{l}[j-1, k-1]; a name used twice is one shared parameter",
                 "WEIGHTS = ["]
        for l in range(1, net.L + 1):
            rows = []
            for j in range(1, net.sizes[l] + 1):
                rows.append("[%s]" % ", ".join(repr(net.w(l, j, k).name) for k in range(1, net.sizes[l - 1] + 1)))
            lines.append("    [%s]," % ", ".join(rows))
        lines.append("]")
        lines.append("BIASES = [")
        for l in range(1, net.L + 1):
            lines.append("    [%s]," % ", ".join(repr(net.b(l, j).name) for j in range(1, net.sizes[l] + 1)))
        lines.append("]")
        lines.append("# every distinct parameter, in order: the keys of evaluate()'s gradients")
        lines.append("PARAMETERS = [%s]" % ", ".join(repr(s.name) for s in net.parameters))
        lines.append("NAMES = INPUTS + TARGETS + PARAMETERS")
        lines.append("# the spec's values (a list is one value per example of a mini-batch)")
        lines += _values_literal(net)
        return lines

    # --- forward: every layer, then the cost --------------------------------------------

    def _forward(self):
        net = self.net
        out = net.activations[-1]
        args = ", ".join(["x", "y"] + self.params())
        lines = [f"def forward({args}):",
                 '    """The forward pass, one row per example: the cost C (summed over the rows) and',
                 '    the values backward() reads."""',
                 "    a0 = x"]
        cache = []
        for l in range(1, net.L + 1):
            layer, kept = self._layer(l, net.activations[l - 1])
            lines += layer
            cache += kept
        cost_lines, extra, self._delta_lines = self._output(net.L, out, net.cost_function)
        lines += cost_lines
        cache += extra
        lines.append(f"    return C, ({', '.join(cache)},)")
        return lines, cache

    def _layer(self, l, act):
        """Layer l's forward lines and the names they add to the cache."""
        lines = [comment(f"layer {l} ({act.describe()}): z^({l}) = W^({l}) a^({l - 1}) + b^({l}), "
                         f"a^({l}) = {act.text}(z^({l}))").replace("# ", "    # ", 1),
                 f"    z{l} = a{l - 1} @ W{l}.T + b{l}"]
        activated, kept = self._activated(l, act)
        return lines + activated, kept

    def _custom_cost(self, Lh, cost):
        """A cost without code: its SymPy expression and ∂C/∂a_j (``g``), printed column by column."""
        net, L = self.net, self.lang
        node = net.nodes[net.cost_symbol]
        names = {}
        for j, (a, y) in enumerate(zip(net.outputs, net.targets)):
            names[a] = f"a{Lh}[:, {j}]"
            names[y] = f"y[:, {j}]"
        printer = _printer(names, self.helpers, L)
        lines = [f"    C = {L.total(printer.code(node.expr) + f' + 0.0 * a{Lh}[:, 0]')}"]
        cols = ", ".join(f"{printer.code(node.partials[a])} + 0.0 * a{Lh}[:, {j}]"
                         for j, a in enumerate(net.outputs))
        lines.append("    g = " + L.stack(f"[{cols}]", 1) + "  # ∂C/∂a_j, one column per output")
        return lines

    # --- backward: δ from the output layer back, then the gradients ----------------------

    def _backward(self, cache):
        net, L = self.net, self.lang
        args = ", ".join(["x", "y"] + self.params() + ["cache"])
        lines = [f"def backward({args}):",
                 '    """The backward pass: δ from the output layer back (the sweep), then ∂C/∂W and',
                 '    ∂C/∂b, each summed over the rows."""',
                 "    a0 = x",
                 f"    {', '.join(cache)}, = cache"]
        lines += self._delta_lines
        for l in range(net.L - 1, 0, -1):
            act = net.activations[l - 1]
            lines.append("    " + comment(f"Case 2, hidden layer {l}: δ^({l}) = (W^({l + 1}))ᵀ δ^({l + 1}) ⊙ "
                                        f"{act.text}′(z^({l})), the amplifier {act.text}′(z^({l}))"))
            if _form(act) == "sigmoid":
                lines.append(f"    delta{l} = (delta{l + 1} @ W{l + 1}) * (a{l} * abar{l})  # σ′(z) = a(1 − a)")
            else:
                lines.append(f"    delta{l} = (delta{l + 1} @ W{l + 1}) * {self._act(l)}_prime(z{l})")
        lines.append("    # ∂C/∂w^(l)_jk = δ^(l)_j a^(l-1)_k and ∂C/∂b^(l)_j = δ^(l)_j, summed over the examples")
        outs = []
        for l in range(net.L, 0, -1):
            lines.append(f"    dW{l} = delta{l}.T @ a{l - 1}")
            lines.append(f"    db{l} = {L.colsum(f'delta{l}')}")
        for l in range(1, net.L + 1):
            outs += [f"dW{l}", f"db{l}"]
        lines.append(f"    return {', '.join(outs)}")
        return lines

    def _evaluate(self) -> str:
        net, L = self.net, self.lang
        if L.name == "numpy":
            mat = "np.array([[float(v[n]) for n in row] for row in names], dtype=float)"
            vec = "np.array([float(v[n]) for n in names], dtype=float)"
            cols = "np.stack([np.broadcast_to(c, (rows,)) for c in cols], axis=1)"
        else:
            mat = "torch.tensor([[float(v[n]) for n in row] for row in names], dtype=torch.float64)"
            vec = "torch.tensor([float(v[n]) for n in names], dtype=torch.float64)"
            cols = "torch.stack([torch.broadcast_to(c, (rows,)) for c in cols], dim=1)"
        params = self.params()
        unpack = "\n".join(f"    W{l}, b{l} = _matrix(v, WEIGHTS[{l - 1}]), _vector(v, BIASES[{l - 1}])"
                           for l in range(1, net.L + 1))
        grads = ", ".join(f"d{p}" for p in params)
        pairs = ", ".join(f"(WEIGHTS[{l - 1}], BIASES[{l - 1}], dW{l}, db{l})" for l in range(1, net.L + 1))
        return f'''def _matrix(v, names):
    return {mat}


def _vector(v, names):
    return {vec}


def _columns(v, names, rows):
    cols = [_array(v[n]) for n in names]
    return {cols}


def evaluate(values=None):
    """{{"cost": C, "gradients": {{name: ∂C/∂name}}}} at the spec's values, with ``values``
    (a dict by name) given instead; arrays along a leading axis are a batch (summed)."""
    v = _merged(values)
    rows = _rows([_array(v[n]) for n in INPUTS + TARGETS])
    x, y = _columns(v, INPUTS, rows), _columns(v, TARGETS, rows)
{unpack}
    with _quiet():
        C, cache = forward(x, y, {", ".join(params)})
        {grads} = backward(x, y, {", ".join(params)}, cache)
    # a name used on several edges is one shared parameter: its gradient is the sum over its uses
    gradients = dict.fromkeys(PARAMETERS, 0.0)
    for w_names, b_names, dW, db in ({pairs},):
        for j, row in enumerate(w_names):
            gradients[b_names[j]] += float(db[j])
            for k, name in enumerate(row):
                gradients[name] += float(dW[j, k])
    return {{"cost": float(C), "gradients": gradients}}'''''


class _GraphWriter:
    """Any other graph (a circuit, a residual block, a mini-batch): node by node, each line
    vectorised over the batch."""

    def __init__(self, derivation, lang: Lang):
        self.d = derivation
        self.net = derivation.graph
        self.lang = lang
        self.helpers = Helpers(lang, lambda names: _printer(names, self.helpers, lang))
        self.formulas = {f.symbol: f for f in derivation.formulas}

    def module(self, standalone: bool) -> str:
        forward, backward = self._passes()
        ident, shown = self._identifiers(forward, backward)
        printer = _printer(ident, self.helpers, self.lang)
        fwd = self._forward(forward, ident, printer)
        bwd = self._backward(forward, backward, ident, printer)
        L = self.lang
        if not standalone:
            parts = [L.header(), self.helpers.text(), "\n".join(fwd), "\n".join(bwd)]
        else:
            parts = ["\n".join(self._head(shown)), L.header(), self.helpers.text(), "\n".join(self._tables()),
                     "\n".join(fwd), "\n".join(bwd), _evaluate_common(L),
                     _COUPLED_EVALUATE if self.net.copies else _GRAPH_EVALUATE, _MAIN]
        return "\n\n\n".join(p for p in parts if p) + "\n"

    def _passes(self):
        """The stable definitions, split into the forward pass (every node, and the
        complements 1 − a the numbers use) and the backward pass (the adjoints)."""
        net = self.net
        defined = set(net.defined)
        forward, backward = [], []
        for symbol, expr in stable_definitions(net, self.d.definitions()):
            if symbol in defined or symbol not in self.formulas:
                forward.append((symbol, expr))
            else:
                backward.append((symbol, expr))
        return forward, backward

    def _identifiers(self, forward, backward):
        """symbol → identifier, and (identifier, name) for the module's list of names."""
        net, names = self.net, Names()
        ident: dict = {}
        shown: list = []
        for sym in net.leaves + net.defined:
            ident[sym] = names.new(identifier(sym.name))
            shown.append((ident[sym], sym.name))
        for symbol, _ in forward:
            if symbol not in ident:   # the complement 1 − a of a softmax entry
                base = symbol.name[2:] if symbol.name.startswith("c_") else symbol.name
                ident[symbol] = names.new("one_minus_" + identifier(base))
                shown.append((ident[symbol], "1 − " + base))
        for symbol, _ in backward:
            f = self.formulas[symbol]
            ident[symbol] = names.new("d_" + identifier(f.of.name))
            shown.append((ident[symbol], f"∂{net.cost_symbol.name}/∂{f.of.name}"))
        return ident, shown

    def _forward(self, forward, ident, printer) -> list:
        net = self.net
        leaves = [ident[s] for s in net.leaves]
        lines = [f"def forward({', '.join(leaves)}):",
                 '    """The forward pass: every node from the nodes before it (numbers, or arrays along',
                 f'    the batch axis). Returns the output {_doc(net.cost_symbol.name)} and the values backward() reads."""']
        for symbol, expr in forward:
            f = self.formulas.get(symbol)
            if f is not None:
                lines.append("    " + comment(f.text()))
            else:
                lines.append("    # the complement 1 − a of a softmax entry, without cancellation")
            lines.append(f"    {ident[symbol]} = {printer.code(expr)}")
        lines.append(f"    return {ident[net.cost_symbol]}, ({', '.join(ident[s] for s, _ in forward)},)")
        return lines

    def _backward(self, forward, backward, ident, printer) -> list:
        net = self.net
        lines = [f"def backward({', '.join([ident[s] for s in net.leaves] + ['cache'])}):",
                 '    """The backward pass: the adjoints in the order of the sweep, then every gradient."""',
                 f"    {', '.join(ident[s] for s, _ in forward)}, = cache"]
        for symbol, expr in backward:
            f = self.formulas[symbol]
            comments = self._delta_comments(f, expr) if f.kind == "delta" else self._gradient_comments(f)
            lines += ["    " + comment(text) for text in comments]
            lines.append(f"    {ident[symbol]} = {printer.code(expr)}")
        lines.append(f"    return ({', '.join(ident[f.symbol] for f in self.d.gradients)},)")
        return lines

    def _delta_comments(self, f, expr) -> list:
        """An adjoint's comment: its case, its amplifiers σ′(z) and its formula."""
        label = {1: "Case 1 (feeds the output): ", 2: "Case 2 (through later adjoints): "}.get(f.case, "")
        amp = [p for p in expr.atoms(_activations.ActivationPrime)]
        if amp:
            label += "amplifier " + ", ".join(sorted(_text(p) for p in amp)) + "; "
        return [label + f.text()]

    def _gradient_comments(self, f) -> list:
        """A gradient's comments: the sum over the uses of a shared parameter or node, its formula."""
        uses = len(f.uses)
        if uses > 1 and self.net.nodes[f.of].kind == "param":
            return [f"{f.of.name} is shared by {uses} uses: its gradient is the sum over them{self._shared_note}",
                    f.text()]
        if uses > 1:
            return [f"{f.of.name} feeds {uses} nodes: the sum over its uses", f.text()]
        return [f.text()]

    _shared_note = ""

    def _head(self, shown) -> list:
        lines = _preamble(self.lang, self.net) + [
            "# forward() and backward() follow the derivation line by line (each line's formula is",
            "# the comment above it); evaluate(values=None) -> {\"cost\": ..., \"gradients\": {name: ...}}",
            "# at the spec's values; an array along a leading axis is a batch, whose cost and",
            "# gradients are summed.",
            "#",
            "# Names (identifier: name in the derivation):"]
        return lines + [comment(f"  {i}: {n}") for i, n in shown]

    def _tables(self) -> list:
        net = self.net
        lines = ["# the leaves, in the order forward() takes them",
                 "LEAVES = [%s]" % ", ".join(repr(s.name) for s in net.leaves),
                 "# the keys of evaluate()'s gradients",
                 "GRADIENTS = [%s]" % ", ".join(repr(f.of.name) for f in self.d.gradients),
                 "# the parameters: one number each, shared by every example of a batch",
                 "PARAMETERS = [%s]" % ", ".join(repr(s.name) for s in net.parameters),
                 "NAMES = LEAVES",
                 "# the spec's values (a list is one value per example of a mini-batch)"]
        if net.copies:
            lines[4:4] = ["# each example's copy of an input: evaluate() sums their gradients under its name",
                          "COPIES = {%s}" % ", ".join(f"{leaf.name!r}: {name!r}" for name, leaves in net.copies.items()
                                                     for leaf in leaves)]
        return lines + _values_literal(net)


class _RecurrentWriter(_GraphWriter):
    """A recurrent net: node by node, its comments telling the steps of backpropagation
    through time."""

    _shared_note = " (backpropagation through time: one term per step it is used in)"

    def _backward(self, forward, backward, ident, printer) -> list:
        self._step = None
        return super()._backward(forward, backward, ident, printer)

    def _delta_comments(self, f, expr) -> list:
        """Before the first adjoint of a step's hidden state, where its terms come from."""
        node = self.net.nodes.get(f.of)
        out = []
        if f.case == 2 and node.index and node.index[0] != self._step:
            step = self._step = node.index[0]
            out.append(f"BPTT, step {step}: ∂C/∂h^({step}) collects a term from step {step}'s output"
                       + (f" and one from step {step + 1}" if step < self.net.steps else ""))
        return out + super()._delta_comments(f, expr)


#: The exported module's evaluate() for a graph written node by node.
_GRAPH_EVALUATE = '''def evaluate(values=None):
    """{"cost": C, "gradients": {name: ∂C/∂name}} at the spec's values, with ``values``
    (a dict by name) given instead; arrays along a leading axis are a batch (summed)."""
    v = _merged(values)
    args = [_array(v[name]) for name in LEAVES]
    rows = _rows(args)
    with _quiet():
        C, cache = forward(*args)
        grads = backward(*args, cache)
    return {"cost": _total(C, rows),
            "gradients": {name: _total(g, rows) for name, g in zip(GRADIENTS, grads)}}'''

#: evaluate() of a mini-batch built as one graph: an input's copies summed (Graph.copies).
_COUPLED_EVALUATE = _GRAPH_EVALUATE.replace(
    '''    return {"cost": _total(C, rows),
            "gradients": {name: _total(g, rows) for name, g in zip(GRADIENTS, grads)}}''', '''    gradients = {}
    for name, g in zip(GRADIENTS, grads):
        key = COPIES.get(name, name)
        gradients[key] = gradients.get(key, 0.0) + _total(g, rows)
    return {"cost": _total(C, rows), "gradients": gradients}''')

__all__ = ["LANGS", "Lang", "Names", "comment", "identifier"]
