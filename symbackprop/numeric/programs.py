"""Many small float programs compiled into Python functions: what the diagnosis of a
wrong answer evaluates (hundreds of mistaken formulas per question, at every point).

Each program is a list of steps ``(symbol, expression)`` that replace the point's value
of ``symbol``, then a result (a symbol or an expression). One call evaluates every
program at one point and returns their results in order, None where a program is
undefined there: a logarithm of a number ≤ 0, a division by zero, an overflow, or a
ReLU-type function, a step, max, min or |·| within :data:`KINK` of its kink.

The code is written by a small writer of its own from the expression trees, never from
text: a symbol is an index ``e[i]`` into the point's values, a number a float literal, a
function one of the writer's own names. Every expression is written once however many
programs share it; a definition recomputed unchanged is a call of a function written
once; a subexpression of none of the ``mutable`` symbols (σ′(z) of a forward value) is
computed once per point before the programs run; with ``linear``, a program that changes
one symbol whose downstream tail is linear in it (the backward pass is linear in the
adjoints) moves the result by (new − old)·∂result/∂symbol, the sensitivity computed once
per symbol and point by running the tail with the value raised by 1. A program with an
expression the writer has no form for is evaluated by the ``walk`` given (a tree walk).
"""

from __future__ import annotations

import math

from ..ops.activations import ActivationFunction, ActivationPrime, FirstArgmax, Softmax, get
from ..notation.numerals import literal
from .compiler import GUARDED, KINK, Undefined, guarded_activation, guarded_name

#: Sums and products with more terms than this are written as one call on a tuple (flat
#: code: Python's compiler recurses once per binary operator).
_FLAT = 8


class _Uncompiled(Exception):
    """An expression the code writer has no form for: the tree walk evaluates it."""


class Programs:
    """Programs over the values of ``symbols`` (see the module docstring); ``definitions``
    maps a symbol to its own definition (recognised in steps, by identity, as unchanged)."""

    #: Programs per compiled function (one huge function compiles slowly).
    CHUNK = 64

    def __init__(self, symbols, definitions=None, mutable=(), *, linear: bool = False, walk=None):
        self.symbols = tuple(symbols)
        self.walk = walk
        self.linear = linear
        self._sensitivities: dict = {}
        self.definitions = definitions or {}
        self.mutable = frozenset(mutable)
        self._index = {s: i for i, s in enumerate(self.symbols)}
        self._code: dict = {}             # expr → (code, invariant)
        self._constants: dict = {}        # invariant expr → its number in k
        self._constant_code: list[str] = []
        self._shared: dict = {}           # symbol → function computing its own definition
        self._shared_code: list[str] = []
        self._tails: dict = {}
        self._namespace = dict(GUARDED)
        self._functions: dict = {}
        self._blocks: list[str] = []
        self._walked: dict[int, tuple] = {}   # program number → (steps, result) for the tree walk
        self._count = 0
        self._fn = None

    def __len__(self):
        return self._count

    # --- writing ------------------------------------------------------------------------

    def _name(self, sym) -> str:
        try:
            return "e[%d]" % self._index[sym]
        except KeyError:
            raise _Uncompiled(sym) from None

    def _function(self, key, make) -> str:
        if key not in self._functions:
            name = "_f%d" % len(self._functions)
            self._namespace[name] = make()
            self._functions[key] = name
        return self._functions[key]

    def code(self, expr) -> str:
        """Python source for ``expr``; an invariant subexpression is one entry of k."""
        code, invariant = self._emit(expr)
        if not invariant or expr.is_Symbol or expr.is_Number or expr.is_NumberSymbol:
            return code
        number = self._constants.get(expr)
        if number is None:
            number = self._constants[expr] = len(self._constant_code)
            self._constant_code.append(code)
        return "k[%d]" % number

    def _emit(self, expr):
        cached = self._code.get(expr)
        if cached is None:
            cached = self._code[expr] = self._write(expr)
        return cached

    def _parts(self, args):
        """The code of each argument, and whether all of them are invariant."""
        emitted = [self._emit(arg) for arg in args]
        if all(inv for _, inv in emitted):
            return [c for c, _ in emitted], True
        return [self.code(arg) for arg in args], False

    def _write(self, expr):
        if expr.is_Symbol:
            return self._name(expr), expr not in self.mutable
        if expr.is_Number:
            value = float(expr.p) / float(expr.q) if expr.is_Rational else float(expr)
            if not math.isfinite(value):
                raise _Uncompiled(expr)
            return "(%s)" % literal(value), True
        if expr.is_NumberSymbol:
            return "(%s)" % literal(expr), True       # π, e: finite floats
        if expr.is_Add or expr.is_Mul:
            parts, inv = self._parts(expr.args)
            if len(parts) > _FLAT:
                code = "%s((%s,))" % ("_sum" if expr.is_Add else "_prod", ", ".join(parts))
                if inv:
                    return code, inv
                name = "_g%d" % len(self._shared_code)     # a long sum: written once
                self._shared_code.append("def %s(e, k):\n    return %s\n" % (name, code))
                return "%s(e, k)" % name, inv
            return "(%s)" % (" + " if expr.is_Add else " * ").join(parts), inv
        if expr.is_Pow:
            exponent = expr.exp
            if exponent.is_Integer:
                (base,), inv = self._parts([expr.base])
                return "(%s ** %d)" % (base, int(exponent)), inv
            if exponent.is_Rational and exponent.q == 2:
                (base,), inv = self._parts([expr.base])
                root = "_sqrt(%s)" % base
                return ("(%s ** %d)" % (root, exponent.p) if exponent.p > 0
                        else "(1.0 / %s ** %d)" % (root, -exponent.p)), inv
            (base, e), inv = self._parts([expr.base, exponent])
            return "_pow(%s, %s)" % (base, e), inv
        if isinstance(expr, FirstArgmax):
            return self._write(expr.as_steps())     # the product of steps it stands for
        if isinstance(expr, Softmax):
            fn = self._function("softmax", lambda: get("softmax").numeric["float"][0])
            parts, inv = self._parts(expr.args[1:])
            return "%s(%d, %s)" % (fn, int(expr.args[0]), ", ".join(parts)), inv
        if isinstance(expr, (ActivationFunction, ActivationPrime)):
            act = expr.activation
            prime = isinstance(expr, ActivationPrime)
            name = self._function((act.name, id(act), prime), lambda: guarded_activation(act, prime))
        else:
            name = guarded_name(expr)
            if name is None:
                raise _Uncompiled(expr)
        parts, inv = self._parts(expr.args)
        return "%s(%s)" % (name, ", ".join(parts)), inv

    def _shared_definition(self, sym) -> str:
        """The name of the function computing ``sym``'s own definition (written once)."""
        name = self._shared.get(sym)
        if name is None:
            name = self._shared[sym] = "_d%d" % len(self._shared)
            self._shared_code.append("def %s(e, k):\n    return %s\n"
                                     % (name, self.code(self.definitions[sym])))
        return name

    def _tail(self, symbols, result) -> str:
        """A function recomputing unchanged definitions in order, returning the result
        and restoring the point's values: one per distinct tail, shared by programs."""
        key = (tuple(symbols), result)
        name = self._tails.get(key)
        if name is None:
            name = self._tails[key] = "_t%d" % len(self._tails)
            body = ["        %s = %s(e, k)" % (self._name(s), self._shared_definition(s)) for s in symbols]
            restore = "; ".join("e[%d] = v[%d]" % ((self._index[s],) * 2) for s in symbols)
            self._shared_code.append("\n".join(
                ["def %s(e, v, k):" % name, "    try:"] + body
                + ["        return %s" % self.code(result), "    finally:", "        " + restore, ""]))
        return name

    def _sensitivity(self, i, tail, g) -> int:
        """The number in J of ∂(result)/∂(symbol i) through a tail, computed once per call
        by running the tail with the symbol's value raised by 1 (exact where the tail is
        linear in it)."""
        key = (i, tail, g)
        if key not in self._sensitivities:
            self._sensitivities[key] = len(self._sensitivities)
        return self._sensitivities[key]

    def add(self, steps, result) -> int:
        """Add a program; its number (the position of its result in every call's list)."""
        number = self._count
        self._count += 1
        self._fn = None
        try:
            head = []
            for sym, expr in steps:        # the changed definitions, then the unchanged tail
                if self.definitions.get(sym) is expr:
                    break
                head.append((sym, expr))
            tail = [sym for sym, _ in steps[len(head):]]
            if any(self.definitions.get(sym) is not expr for sym, expr in steps[len(head):]):
                head, tail = list(steps), []     # changed and unchanged interleaved
            if (self.linear and len(head) == 1 and tail and result.is_Symbol
                    and result in self._index):
                # one changed definition: the result moves by (new − old)·∂result/∂s
                (sym, expr), = head
                i, g = self._index[sym], self._index[result]
                j = self._sensitivity(i, self._tail(tail, result), g)
                head, value = [], "(v[%d] + (%s - v[%d]) * J[%d])" % (g, self.code(expr), i, j)
            else:
                value = ("%s(e, v, k)" % self._tail(tail, result)) if tail else self.code(result)
            assign = ["e[%d] = %s" % (self._index[sym], self.code(expr)) for sym, expr in head]
            restore = ["e[%d] = v[%d]" % (i, i)
                       for i in dict.fromkeys(self._index[sym] for sym, _ in head)]
            fast = "    " + "; ".join(assign + ["out.append(%s)" % value] + restore)
            safe = ["    try:"] + ["        " + a for a in assign] + [
                "        r = %s" % value,
                "    except (_Undefined, ArithmeticError, ValueError, TypeError):",
                "        r = None",
                "    out.append(r)"] + (["    " + "; ".join(restore)] if restore else [])
        except _Uncompiled:
            self._walked[number] = (list(steps), result)
            fast = "    out.append(None)"
            safe = [fast]
        self._blocks.append((fast, "\n".join(safe)))
        return number

    def _compile(self):
        """The programs in chunks of straight-line code, one line each; a chunk where one
        program raises runs again as its safe version (each program in a try), compiled
        only then."""
        source = list(self._shared_code)
        self._chunks = []
        for start in range(0, len(self._blocks), self.CHUNK):
            name = "_p%d" % len(self._chunks)
            self._chunks.append((start, min(start + self.CHUNK, len(self._blocks))))
            source.append("def %s(e, v, k, J, out):" % name)
            source += [fast for fast, _ in self._blocks[start:start + self.CHUNK]]
            source.append("")
        source.append("def _fast(e):\n    return [%s]\n" % ", ".join(self._constant_code))
        sens = ["def _sens(e, v, k):", "    J = []"]
        for (i, tail, g) in self._sensitivities:
            sens += ["    try:", "        e[%d] = v[%d] + 1.0" % (i, i),
                     "        J.append(%s(e, v, k) - v[%d])" % (tail, g),
                     "    except (_Undefined, ArithmeticError, ValueError, TypeError):",
                     "        J.append(_nan)", "    e[%d] = v[%d]" % (i, i)]
        source.append("\n".join(sens + ["    return J", ""]))
        # The source holds only what this writer emits: e[i], k[i], v[i], J[i], float
        # literals, and the names of its own namespace; never text of an answer or a spec.
        self.source = "\n".join(source)
        namespace = dict(self._namespace)
        exec(compile(self.source, "<diagnosis programs>", "exec"), namespace)
        self._namespace_compiled = namespace
        self._fast_chunks = [namespace["_p%d" % i] for i in range(len(self._chunks))]
        self._safe_chunks: dict = {}
        self._fast = namespace["_fast"]
        self._sens = namespace["_sens"]
        self._slow = None
        self._fn = self._call

    def _safe(self, i):
        if i not in self._safe_chunks:
            start, stop = self._chunks[i]
            source = "\n".join(["def _safe(e, v, k, J, out):"]
                               + [safe for _, safe in self._blocks[start:stop]] + [""])
            namespace = self._namespace_compiled
            exec(compile(source, "<diagnosis programs>", "exec"), namespace)
            self._safe_chunks[i] = namespace.pop("_safe")
        return self._safe_chunks[i]

    def _call(self, row, k) -> list:
        out: list = []
        e = list(row)
        J = self._sens(e, row, k)
        for i, chunk in enumerate(self._fast_chunks):
            mark = len(out)
            try:
                chunk(e, row, k, J, out)
            except (Undefined, ArithmeticError, ValueError, TypeError):
                del out[mark:]
                e = list(row)
                self._safe(i)(e, row, k, J, out)
        return [r if r is not None and _finite(r) else None for r in out]

    def _constant_values(self, row) -> list:
        """The invariant subexpressions at one point; NaN where one is undefined (the
        programs using it give None)."""
        try:
            return self._fast(row)
        except (Undefined, ArithmeticError, ValueError, TypeError):
            pass
        if self._slow is None:
            source = "_each = [%s]\n" % ", ".join("lambda e: " + c for c in self._constant_code)
            namespace = dict(self._namespace)
            exec(compile(source, "<diagnosis constants>", "exec"), namespace)
            self._slow = namespace["_each"]
        out = []
        for fn in self._slow:
            try:
                out.append(fn(row))
            except (Undefined, ArithmeticError, ValueError, TypeError):
                out.append(math.nan)
        return out

    # --- running ------------------------------------------------------------------------

    def run(self, values: dict) -> list:
        """Every program's result at the point ``values`` (symbol → float)."""
        if self._fn is None:
            self._compile()
        row = [values[s] for s in self.symbols]
        out = self._fn(row, self._constant_values(row))
        for number, (steps, result) in self._walked.items():
            out[number] = self.walk(values, steps, result) if self.walk is not None else None
        return out


def _finite(r) -> bool:
    try:
        return math.isfinite(r)
    except TypeError:         # a complex number
        return False


__all__ = ["KINK", "Programs", "Undefined"]
