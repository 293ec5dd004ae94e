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
⊙ σ′(z^{(l)})); any other graph node by node, vectorised over the batch. Identifiers are
derived from the math names (a mapping comment lists them); user text reaches the source
only in escaped one-line comments and in ``repr`` string literals, and never on the first two
lines (where Python reads an encoding declaration). Numbers use the stable
forms of :func:`numeric.stable_definitions` (σ without overflow, 1 − σ(z) as σ(−z),
log-softmax, log-sigmoid). The same source, without the spec's values, is what
:mod:`compiled` runs.
"""

from __future__ import annotations

import keyword
import math
import re
from fractions import Fraction

import sympy
from sympy.printing.pycode import PythonCodePrinter

from . import activations as _activations
from . import costs as _costs
from .errors import SpecError
from .numerals import literal

LANGS = ("numpy", "torch")

#: Identifiers the generated module defines or uses itself.
_TAKEN = {"np", "torch", "math", "json", "forward", "backward", "evaluate", "cache", "VALUES", "NAMES",
          "LEAVES", "GRADIENTS", "INPUTS", "TARGETS", "WEIGHTS", "BIASES", "PARAMETERS",
          "float", "int", "sum", "abs", "max", "min", "dict", "zip", "step", "softmax", "log_softmax",
          "softmax_complement", "log_softmax_complement", "log_sigmoid", "stack_last", "softmax_entry",
          "log_softmax_entry", "softmax_complement_entry", "log_softmax_complement_entry",
          "sigmoid", "tanh", "relu", "identity", "softplus", "silu", "leaky_relu"}


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


class Names:
    """Unique identifiers, handed out in a fixed order (deterministic): a clash with a
    keyword, a name the module uses itself, or an earlier identifier gets a suffix."""

    def __init__(self, taken=()):
        self.used = set(_TAKEN) | set(taken)

    def new(self, base: str) -> str:
        base = identifier(base)
        if base.startswith(("custom_", "leaky_relu")) or base.endswith("_prime"):
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

    def rowsum(self, expr: str) -> str:
        if self.name == "numpy":
            expr = expr if expr.isidentifier() else f"({expr})"
            return f"{expr}.sum(axis=1, keepdims=True)"
        expr = expr if expr.isidentifier() else f"({expr})"
        return f"{expr}.sum(dim=1, keepdim=True)"

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


#: Elementwise registry activations: name → (f body, f′ body, f′ doc), in z; {xp} is the array module.
_KNOWN = {
    "sigmoid": ("return 1 / (1 + {xp}.exp(-z))",
                "return sigmoid(z) * sigmoid(-z)", "σ′(z) = σ(z)·σ(−z), the same as σ(z)(1 − σ(z)) without cancellation"),
    "tanh": ("return {xp}.tanh(z)",
             "e = {xp}.exp(-2.0 * {xp}.abs(z))\n    return 4.0 * e / ((1.0 + e) * (1.0 + e))",
             "tanh′(z) = sech²(z) = 1 − tanh²(z), written without cancellation"),
    "relu": ("return {xp}.where(z > 0, z, 0.0 * z)", "return step(z)", "ReLU′(z) = step(z), 0 at z = 0"),
    "identity": ("return z", "return 0.0 * z + 1.0", "id′(z) = 1"),
    "softplus": ("return {xp}.where(z > 0, z, 0.0 * z) + {xp}.log1p({xp}.exp(-{xp}.abs(z)))",
                 "return sigmoid(z)", "softplus′(z) = σ(z)"),
    "silu": ("return z * sigmoid(z)", "return sigmoid(z) * (1.0 + z * sigmoid(-z))",
             "SiLU′(z) = σ(z)(1 + z(1 − σ(z)))"),
}
_KNOWN_DOC = {"sigmoid": "σ(z) = 1/(1 + e^{−z}): every digit for either sign of z (e^{−z} = ∞ gives the limit 0)",
              "tanh": "tanh(z)", "relu": "ReLU(z) = max(z, 0)", "identity": "id(z) = z",
              "softplus": "softplus(z) = ln(1 + e^z), without overflow", "silu": "SiLU(z) = z·σ(z)"}
#: Which helpers a registry activation's code calls.
_CALLS = {"relu": ("step",), "softplus": ("sigmoid",), "silu": ("sigmoid",)}


def _is_sigmoid(act) -> bool:
    return act.elementwise and act.name == "sigmoid" and not act.func.__name__.startswith("Custom_")


def _is_registry(act) -> bool:
    if act.func.__name__.startswith("Custom_"):
        return False
    return act.name in _KNOWN or act.name == "leaky_relu"


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
        same with ``_prime``), defined on first use."""
        key = act.func
        if key in self.names:
            return self.names[key]
        xp = self.lang.xp
        if _is_registry(act) and act.name in _KNOWN:
            name = act.name
            self.names[key] = name
            for dep in _CALLS.get(name, ()):
                if dep == "step":
                    self.need("step")
                else:
                    self.activation(_activations.get(dep))
            body, prime, prime_doc = _KNOWN[name]
            f_doc = _KNOWN_DOC[name]
        elif _is_registry(act):  # leaky ReLU with its slope
            alpha = act.options["alpha"]
            name = "leaky_relu" if alpha == sympy.Rational(1, 100) else "leaky_relu_%d_%d" % (alpha.p, alpha.q)
            self.names[key] = name
            a = literal(alpha)
            body = f"return {xp}.where(z > 0, z, {a} * z)"
            prime = f"return {xp}.where(z > 0, 1.0 + 0.0 * z, {a} + 0.0 * z)"
            f_doc = f"leaky ReLU with slope α = {alpha} below 0"
            prime_doc = f"LReLU′(z) = 1 for z > 0, else α = {alpha}"
        else:  # a custom activation: its SymPy expression, printed as code
            name = base = "custom_" + identifier(act.name)
            number = 1
            while name in self.sources:      # "my act" and "my-act": one identifier
                number += 1
                name = "%s_%d" % (base, number)
            self.names[key] = name
            z = sympy.Symbol("z", real=True)
            printer = self._printer_factory({z: "z"})
            body = "return " + printer.code(act.template(z)) + " + 0.0 * z"
            prime = "return " + printer.code(act.prime_closed(z)) + " + 0.0 * z"
            f_doc = f"{act.name} (a custom activation)"
            prime_doc = f"the derivative of {act.name}"
        self.sources[name] = (f'def {name}(z):\n    """{_doc(f_doc)}"""\n    ' + body.replace("{xp}", xp))
        self.sources[name + "_prime"] = (f'def {name}_prime(z):\n    """{_doc(prime_doc)}"""\n    '
                                         + prime.replace("{xp}", xp))
        return name

    def text(self) -> str:
        return "\n\n\n".join(self.sources.values())


def _doc(text: str) -> str:
    """Text for a docstring the generator writes (never user text: escaped all the same)."""
    return comment(text)[2:].replace("\\", "\\\\").replace('"', "'")


# --- printing expressions ------------------------------------------------------------------

class _Printer(PythonCodePrinter):
    """Python code of one expression in the generated module's identifiers, vectorised:
    every function goes to the array module or a helper, a long sum is one flat ``sum``."""

    def __init__(self, names: dict, helpers: Helpers, lang: Lang):
        super().__init__({"fully_qualified_modules": False, "allow_unknown_functions": False})
        self._names = names
        self._helpers = helpers
        self._lang = lang

    def code(self, expr) -> str:
        return self.doprint(expr)

    def _module_format(self, fqn, register=True):
        """math.tanh, math.sin … from the array module (np.tanh, torch.tanh)."""
        if fqn.startswith("math."):
            return self._lang.xp + "." + fqn[len("math."):]
        return super()._module_format(fqn, register)

    def _print_Symbol(self, expr):
        try:
            return self._names[expr]
        except KeyError:
            raise SpecError(f"cannot write code for the symbol {expr.name!r}: it has no value") from None

    _print_Dummy = _print_Symbol

    def _print_Add(self, expr, order=None):
        if len(expr.args) <= 32:
            return super()._print_Add(expr, order)
        return "sum((%s,))" % ", ".join(self._print(t) for t in expr.args)

    def _print_Float(self, expr):
        return literal(expr)

    def _print_Exp1(self, expr):
        return repr(math.e)

    def _print_Pi(self, expr):
        return repr(math.pi)

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        if exp == sympy.S.Half:
            return "%s.sqrt(%s)" % (self._lang.xp, self._print(base))
        if exp == -1:
            return "1/%s" % self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Pow"])
        return "%s**%s" % (self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Pow"]),
                           self.parenthesize(exp, sympy.printing.precedence.PRECEDENCE["Pow"]))

    def _print_exp(self, expr):
        return "%s.exp(%s)" % (self._lang.xp, self._print(expr.args[0]))

    def _print_log(self, expr):
        return "%s.log(%s)" % (self._lang.xp, self._print(expr.args[0]))

    def _nested(self, fn, args):
        out = self._print(args[-1])
        for arg in reversed(args[:-1]):
            out = "%s.%s(%s, %s)" % (self._lang.xp, fn, self._print(arg), out)
        return out

    def _print_Max(self, expr):
        return self._nested("maximum", expr.args)

    def _print_Min(self, expr):
        return self._nested("minimum", expr.args)

    def _print_Piecewise(self, expr):
        out = None
        for value, cond in reversed(expr.args):
            if cond == sympy.true:
                out = self._print(value)
            else:
                out = "%s.where(%s, %s, %s)" % (self._lang.xp, self._print(cond), self._print(value),
                                                out if out is not None else "float('nan')")
        return out

    def _print_Heaviside(self, expr):
        """H(x): 1 for x > 0, 0 for x < 0, H(0) as SymPy gives it (½ unless stated)."""
        x = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        return "((%s > 0) * 1.0 + (%s == 0) * %s)" % (x, x, literal(h0))

    def _print_Function(self, expr):
        cls = type(expr)
        args = ", ".join(self._print(a) for a in expr.args)
        if isinstance(expr, _activations.ActivationFunction):
            return "%s(%s)" % (self._helpers.activation(cls.activation), args)
        if isinstance(expr, _activations.ActivationPrime):
            return "%s_prime(%s)" % (self._helpers.activation(cls.activation), args)
        special = {_activations.Step: "step", _activations.LogSigmoid: "log_sigmoid",
                   _activations.Softmax: "softmax_entry", _activations.SoftmaxComplement: "softmax_complement_entry",
                   _activations.LogSoftmax: "log_softmax_entry",
                   _activations.LogSoftmaxComplement: "log_softmax_complement_entry"}
        for kind, helper in special.items():
            if isinstance(expr, kind):
                return "%s(%s)" % (self._helpers.need(helper), args)
        raise SpecError(f"cannot write code for the function {cls.__name__}")


def _printer(names, helpers, lang):
    return _Printer(names, helpers, lang)


# --- the module ---------------------------------------------------------------------------

def source(derivation, lang: str = "numpy", *, standalone: bool = True) -> str:
    """The module's text: with ``standalone``, the exported module (names, the spec's
    values, ``evaluate``); without, only the helpers, ``forward`` and ``backward``, which
    :mod:`compiled` runs."""
    if lang not in LANGS:
        raise SpecError(f"unknown language {lang!r}; expected one of: {', '.join(LANGS)}")
    L = Lang(lang)
    net = derivation.graph
    if net.layered:
        writer = _LayeredWriter(derivation, L)
    else:
        writer = _GraphWriter(derivation, L)
    return writer.module(standalone)


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
        quiet = 'np.errstate(over="ignore", under="ignore")'
        quiet_doc = "e^{−z} may overflow to ∞ where σ(z) is 0 to the last digit: no warning for that."
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
    """The batch size: the length of the arrays given (1 for numbers only)."""
    return max([int(a.shape[0]) for a in arrays if a.ndim] + [1])


def _total(value, rows):
    """A value summed over the batch (a number is the same in every row)."""
    value = _array(value)
    return float({xp}.sum(value)) if value.ndim else float(value) * rows'''


class _LayeredWriter:
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
        net, L = self.net, self.lang
        out = net.activations[-1]
        args = ", ".join(["x", "y"] + self.params())
        lines = [f"def forward({args}):",
                 '    """The forward pass, one row per example: the cost C (summed over the rows) and',
                 '    the values backward() reads."""',
                 "    a0 = x"]
        cache = []
        for l in range(1, net.L + 1):
            act = net.activations[l - 1]
            lines.append(comment(f"layer {l} ({act.describe()}): z^({l}) = W^({l}) a^({l - 1}) + b^({l}), "
                                 f"a^({l}) = {act.text}(z^({l}))").replace("# ", "    # ", 1))
            lines.append(f"    z{l} = a{l - 1} @ W{l}.T + b{l}")
            if _is_sigmoid(act):
                lines.append(f"    a{l}, abar{l} = {self.helpers.need('sigmoid_pair')}(z{l})"
                             "  # a = σ(z) and 1 − a = σ(−z), 1 − a not computed as a difference")
            elif act.elementwise:
                lines.append(f"    a{l} = {self._act(l)}(z{l})")
            else:
                lines.append(f"    a{l} = {self.helpers.need('softmax')}(z{l})")
            cache += [f"z{l}", f"a{l}"] + ([f"abar{l}"] if _is_sigmoid(act) else [])
        cost_lines, extra, self._delta_lines = self._output(net.L, out, net.cost_function)
        lines += cost_lines
        cache += extra
        lines.append(f"    return C, ({', '.join(cache)},)")
        return lines, cache

    def _output(self, Lh, act, cost):
        """The cost's lines (forward) and Case 1's lines (backward) for the output layer:
        (forward lines, names they add to the cache, backward lines)."""
        L, h = self.lang, self.helpers
        a, z = f"a{Lh}", f"z{Lh}"
        name = cost.name if _costs.REGISTRY.get(cost.name) is cost else None
        fwd = [comment(f"the cost: {cost.text}").replace("# ", "    # ", 1)]
        extra = []
        back = ["    " + comment(f"Case 1, the output layer {Lh}: δ^({Lh}) = ∂C/∂a^({Lh}) ⊙ {self._prime_text(act, Lh)}")]
        kind = "sigmoid" if _is_sigmoid(act) else \
            ("softmax" if not act.elementwise else "other")
        if name is None:
            fwd_c, g = self._custom_cost(Lh, cost)
            fwd += fwd_c
            extra.append("g")
            back += self._delta_from_g(kind, act, Lh, "g")
            return fwd, extra, back
        if kind == "sigmoid":
            if name in ("mse", "sse"):
                k = "0.5 * " if name == "mse" else ""
                fwd.append(f"    e{Lh} = (1 - y) * {a} - y * abar{Lh}  # a − y, as a difference of complements")
                fwd.append(f"    C = {k}{L.total(f'e{Lh} ** 2')}")
                extra.append(f"e{Lh}")
                two = "" if name == "mse" else "2 * "
                back.append(f"    # ∂C/∂a = {'' if name == 'mse' else '2·'}(a − y), σ′(z) = a·(1 − a)")
                back.append(f"    delta{Lh} = {two}e{Lh} * ({a} * abar{Lh})")
            elif name == "cross_entropy":
                h.need("log_sigmoid")
                fwd.append(f"    C = -{L.total(f'y * log_sigmoid({z})')}")
                back.append("    # ∂C/∂a = −y/a, σ′(z) = a·(1 − a): their product is −y·(1 − a)")
                back.append(f"    delta{Lh} = -y * abar{Lh}")
            else:
                h.need("log_sigmoid")
                fwd.append(f"    C = -{L.total(f'y * log_sigmoid({z}) + (1 - y) * log_sigmoid(-{z})')}"
                           "  # ln a = ln σ(z), ln(1 − a) = ln σ(−z)")
                back.append("    # ∂C/∂a = −y/a + (1 − y)/(1 − a), σ′(z) = a·(1 − a): their product is a − y")
                back.append(f"    delta{Lh} = (1 - y) * {a} - y * abar{Lh}")
            return fwd, extra, back
        if kind == "softmax":
            if name in ("mse", "sse", "binary_cross_entropy"):
                fwd.append(f"    abar{Lh} = {h.need('softmax_complement')}({z})  # 1 − a, without cancellation")
                extra.append(f"abar{Lh}")
            if name in ("mse", "sse"):
                k = "0.5 * " if name == "mse" else ""
                fwd.append(f"    e{Lh} = (1 - y) * {a} - y * abar{Lh}  # a − y, as a difference of complements")
                fwd.append(f"    C = {k}{L.total(f'e{Lh} ** 2')}")
                extra.append(f"e{Lh}")
                back.append(f"    g = {'' if name == 'mse' else '2 * '}e{Lh}  # ∂C/∂a")
            elif name == "cross_entropy":
                h.need("log_softmax")
                fwd.append(f"    C = -{L.total(f'y * log_softmax({z})')}  # ln a = log-softmax(z)")
                back.append("    # through the full Jacobian ∂a_j/∂z_k = a_j([j = k] − a_k) with ∂C/∂a_j = −y_j/a_j:")
                back.append("    # δ_k = a_k Σ_j y_j − y_k")
                back.append(f"    delta{Lh} = {a} * {L.rowsum('y')} - y")
                return fwd, extra, back
            else:
                h.need("log_softmax")
                h.need("log_softmax_complement")
                fwd.append(f"    C = -{L.total(f'y * log_softmax({z}) + (1 - y) * log_softmax_complement({z})')}")
                back.append(f"    g = -y / {a} + (1 - y) / abar{Lh}  # ∂C/∂a")
            back += self._delta_from_g(kind, act, Lh, "g", comment_first=False)
            return fwd, extra, back
        # any other elementwise output activation
        f = self._act(Lh)
        if name in ("mse", "sse"):
            k = "0.5 * " if name == "mse" else ""
            fwd.append(f"    C = {k}{L.total(f'({a} - y) ** 2')}")
            g = f"({a} - y)" if name == "mse" else f"2 * ({a} - y)"
        elif name == "cross_entropy":
            fwd.append(f"    C = -{L.total(f'y * {L.xp}.log({a})')}")
            g = f"(-y / {a})"
        else:
            fwd.append(f"    C = -{L.total(f'y * {L.xp}.log({a}) + (1 - y) * {L.xp}.log(1 - {a})')}")
            g = f"(-y / {a} + (1 - y) / (1 - {a}))"
        back.append(f"    delta{Lh} = {g} * {f}_prime({z})")
        return fwd, extra, back

    def _prime_text(self, act, l):
        if not act.elementwise:
            return f"the softmax Jacobian at z^({l})"
        return f"{act.text}′(z^({l}))"

    def _delta_from_g(self, kind, act, Lh, g, comment_first=True):
        a, z = f"a{Lh}", f"z{Lh}"
        if kind == "softmax":
            return ["    # through the full Jacobian: δ_k = Σ_j ∂C/∂a_j · a_j([j = k] − a_k)",
                    f"    delta{Lh} = {a} * ({g} - {self.lang.rowsum(f'{g} * {a}')})"]
        f = self.helpers.activation(act)
        return [f"    delta{Lh} = {g} * {f}_prime({z})"]

    def _custom_cost(self, Lh, cost):
        """A cost outside the registry: its SymPy expression and ∂C/∂a_j, printed column by column."""
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
        stack = "np.stack([%s], axis=1)" if L.name == "numpy" else "torch.stack([%s], dim=1)"
        lines.append("    g = " + stack % cols + "  # ∂C/∂a_j, one column per output")
        return lines, "g"

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
            if _is_sigmoid(act):
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
    """Any other graph (a circuit, a residual block, a recurrent net, a mini-batch):
    node by node, each line vectorised over the batch."""

    def __init__(self, derivation, lang: Lang):
        self.d = derivation
        self.net = derivation.graph
        self.lang = lang
        self.helpers = Helpers(lang, lambda names: _printer(names, self.helpers, lang))

    def module(self, standalone: bool) -> str:
        from .numeric import stable_definitions
        d, net, L = self.d, self.net, self.lang
        names = Names()
        ident: dict = {}
        shown: list = []
        for sym in net.leaves:
            ident[sym] = names.new(identifier(sym.name))
            shown.append((ident[sym], sym.name))
        for sym in net.defined:
            ident[sym] = names.new(identifier(sym.name))
            shown.append((ident[sym], sym.name))
        formulas = {f.symbol: f for f in d.formulas}
        defs = stable_definitions(net, d.definitions())
        defined = set(net.defined)
        forward, backward = [], []
        for symbol, expr in defs:
            if symbol in defined or (symbol not in formulas):
                forward.append((symbol, expr))
            else:
                backward.append((symbol, expr))
        for symbol, _ in forward:
            if symbol not in ident:   # the complement 1 − a of a softmax entry
                base = symbol.name[2:] if symbol.name.startswith("c_") else symbol.name
                ident[symbol] = names.new("one_minus_" + identifier(base))
                shown.append((ident[symbol], "1 − " + base))
        cost = net.cost_symbol
        for symbol, _ in backward:
            f = formulas[symbol]
            ident[symbol] = names.new("d_" + identifier(f.of.name))
            shown.append((ident[symbol], f"∂{cost.name}/∂{f.of.name}"))
        printer = _printer(ident, self.helpers, L)
        leaves = [ident[s] for s in net.leaves]
        fwd_names = [ident[s] for s, _ in forward]
        fwd = [f"def forward({', '.join(leaves)}):",
               '    """The forward pass: every node from the nodes before it (numbers, or arrays along',
               f'    the batch axis). Returns the output {_doc(cost.name)} and the values backward() reads."""']
        for symbol, expr in forward:
            f = formulas.get(symbol)
            if f is not None:
                fwd.append("    " + comment(f.text()))
            else:
                fwd.append("    # the complement 1 − a of a softmax entry, without cancellation")
            fwd.append(f"    {ident[symbol]} = {printer.code(expr)}")
        fwd.append(f"    return {ident[cost]}, ({', '.join(fwd_names)},)")
        grads = [f for f in d.gradients]
        bwd = [f"def backward({', '.join(leaves + ['cache'])}):",
               '    """The backward pass: the adjoints in the order of the sweep, then every gradient."""',
               f"    {', '.join(fwd_names)}, = cache"]
        recurrent = hasattr(net, "steps")
        step = None
        for symbol, expr in backward:
            f = formulas[symbol]
            node = net.nodes.get(f.of)
            if f.kind == "delta":
                if recurrent and f.case == 2 and node.index and node.index[0] != step:
                    step = node.index[0]
                    bwd.append(f"    # BPTT, step {step}: ∂C/∂h^({step}) collects a term from step {step}'s output"
                               + (f" and one from step {step + 1}" if step < net.steps else ""))
                label = {1: "Case 1 (feeds the output): ", 2: "Case 2 (through later adjoints): "}.get(f.case, "")
                amp = [p for p in expr.atoms(_activations.ActivationPrime)]
                if amp:
                    label += "amplifier " + ", ".join(sorted(_text(p) for p in amp)) + "; "
                bwd.append("    " + comment(label + f.text()))
            else:
                uses = len(f.uses)
                if uses > 1 and node.kind == "param":
                    what = f"shared by {uses} uses: its gradient is the sum over them"
                    if recurrent:
                        what += " (backpropagation through time: one term per step it is used in)"
                    bwd.append("    " + comment(f"{f.of.name} is {what}"))
                elif uses > 1:
                    bwd.append("    " + comment(f"{f.of.name} feeds {uses} nodes: the sum over its uses"))
                bwd.append("    " + comment(f.text()))
            bwd.append(f"    {ident[symbol]} = {printer.code(expr)}")
        bwd.append(f"    return ({', '.join(ident[f.symbol] for f in grads)},)")
        head = _preamble(L, net) + [
            "# forward() and backward() follow the derivation line by line (each line's formula is",
            "# the comment above it); evaluate(values=None) -> {\"cost\": ..., \"gradients\": {name: ...}}",
            "# at the spec's values; an array along a leading axis is a batch, whose cost and",
            "# gradients are summed.",
            "#",
            "# Names (identifier: name in the derivation):"]
        head += [comment(f"  {i}: {n}") for i, n in shown]
        tables = ["# the leaves, in the order forward() takes them",
                  "LEAVES = [%s]" % ", ".join(repr(s.name) for s in net.leaves),
                  "# the keys of evaluate()'s gradients",
                  "GRADIENTS = [%s]" % ", ".join(repr(f.of.name) for f in grads),
                  "# the parameters: one number each, shared by every example of a batch",
                  "PARAMETERS = [%s]" % ", ".join(repr(s.name) for s in net.parameters),
                  "NAMES = LEAVES",
                  "# the spec's values (a list is one value per example of a mini-batch)"]
        tables += _values_literal(net)
        evaluate = '''def evaluate(values=None):
    """{"cost": C, "gradients": {name: ∂C/∂name}} at the spec's values, with ``values``
    (a dict by name) given instead; arrays along a leading axis are a batch (summed)."""
    v = _merged(values)
    args = [_array(v[name]) for name in LEAVES]
    rows = _rows(args)
    with _quiet():
        C, cache = forward(*args)
        grads = backward(*args, cache)
    return {"cost": _total(C, rows),
            "gradients": {name: _total(g, rows) for name, g in zip(GRADIENTS, grads)}}'''''
        parts = ["\n".join(head), L.header(), self.helpers.text(), "\n".join(tables), "\n".join(fwd),
                 "\n".join(bwd), _evaluate_common(L), evaluate, _MAIN]
        if not standalone:
            parts = [L.header(), self.helpers.text(), "\n".join(fwd), "\n".join(bwd)]
        return "\n\n\n".join(p for p in parts if p) + "\n"


def _text(expr) -> str:
    from .printing import text
    return text(expr)


__all__ = ["LANGS", "Names", "comment", "identifier", "source"]
