"""An expression → Python code: the one compiler of the package.

Every number computed from a formula and every exported module is Python code printed
from SymPy expressions by one printer per target, each a SymPy code printer that
dispatches on the expression's class (``_print_Add``, ``_print_Function`` …) and differs
from its base only where the target does:

* :class:`FloatPrinter`: float code (a long sum one flat ``sum`` call);
* :class:`MpPrinter`: mpmath at the working precision (a sum of three or more terms one
  ``fdot``: a single rounding);
* :class:`ExactPrinter`: fractions;
* :class:`ArrayPrinter`: NumPy or PyTorch source for ``symbackprop code``, vectorised
  over a batch, every function one of the generated module's helpers.

The three numeric targets print our functions (activations and their primes, Step,
LogSigmoid, the softmax family) by their class's name, run in a namespace holding the
registry's implementations (:func:`namespace`); the array target calls the helper the
module defines. :func:`function` turns a list of (symbol, expression) into one compiled
function (each definition computed once: the definitions are its common
subexpressions); :class:`Program` is that function over named leaves, and
:func:`expression_function` one expression of its parents, as the cones use it.

The diagnosis of answers (:mod:`.programs`) writes guarded float code: a function has
no value at a kink or outside its domain (a logarithm of a number ≤ 0 …). Its functions
are here (:data:`GUARDED`, :func:`guarded_name`, :func:`guarded_activation`); its layout
is its own (values by index, invariant subexpressions shared by hundreds of programs,
each returned with a flag), and it adds a sum in the order of its arguments where the
printers order the terms as SymPy does, so its numbers are defined by its own writer.
"""

from __future__ import annotations

import importlib
import math
from fractions import Fraction

import sympy
from sympy.core.basic import _args_sortkey
from sympy.printing.pycode import MpmathPrinter, PythonCodePrinter

from ..ops import activations as _activations
from ..errors import PointError, SpecError, SymbackpropError
from ..notation.numerals import literal


class _Fast:
    """A code printer that writes the commonest definitions at once (:func:`_code`)."""

    def __init__(self, settings=None):
        super().__init__(settings)
        self._templates: dict = {}   # function → its code for the argument _ARGUMENT

    def template(self, func) -> str:
        """The printer's own text for ``func`` of a placeholder argument (made once)."""
        if func not in self._templates:
            self._templates[func] = super().doprint(func(_ARGUMENT))
        return self._templates[func]

    def doprint(self, expr, assign_to=None):
        code = _code(self, expr) if assign_to is None else None
        return code if code is not None else super().doprint(expr, assign_to)


class MpPrinter(_Fast, MpmathPrinter):
    """mpmath code where a sum of three or more terms is one ``fdot``: a single rounding
    and about three times faster than term-by-term arithmetic."""

    def _print_Add(self, expr, order=None):
        if len(expr.args) < 3:
            return super()._print_Add(expr, order)
        pairs = []
        for term in expr.args:
            if term.is_Mul and len(term.args) == 2:
                pairs.append("(%s, %s)" % (self._print(term.args[0]), self._print(term.args[1])))
            else:
                pairs.append("(%s, 1)" % self._print(term))
        return "fdot((%s,))" % ", ".join(pairs)


#: A sum of more terms than this is printed as one ``sum((…))`` call: Python compiles
#: ``a + b + c …`` into a nested tree that overflows its stack at a few thousand terms.
FLAT_SUM = 32


class _FlatSums(PythonCodePrinter):
    """Python code where a long sum is one flat ``sum`` call (same order, same rounding)."""

    def _print_Add(self, expr, order=None):
        if len(expr.args) <= FLAT_SUM:
            return super()._print_Add(expr, order)
        return "sum((%s,))" % ", ".join(self._print(term) for term in expr.args)


class FloatPrinter(_Fast, _FlatSums):
    """Float code: Python's own arithmetic, the registry's float functions."""


class ExactPrinter(FloatPrinter):
    """Fractions: a rational number is a ``Fraction`` (exact arithmetic throughout)."""

    def _print_Rational(self, expr):
        return "Fraction(%d, %d)" % (expr.p, expr.q)

    _print_Half = _print_Rational


def namespace(exprs, system: str) -> dict:
    """Implementations of every activation function (and σ′) that ``exprs`` use: a
    derivative may bring in another activation (softplus′ = σ)."""
    space = dict(_activations.NUMERIC_HELPERS[system])
    used = set()
    for expr in exprs:
        used.update(type(f) for f in expr.atoms(sympy.Function))
    for cls in sorted(used, key=lambda c: c.__name__):
        act = getattr(cls, "activation", None)
        if act is not None:
            space.update(act.namespace(system))
    if _activations.Softmax in used:
        space.update(_activations.get("softmax").namespace(system))
    space["Fraction"] = Fraction
    return space


def _rename(expr, names: dict):
    """``expr.xreplace(names)`` for symbols renamed to distinct symbols: the same
    expression, built without SymPy's evaluation of sums and products (nothing can
    combine), only their terms put in SymPy's order: the rebuild was a third of the
    compile time of a large derivation. Every symbol must be renamed: the code written
    from the result then holds only the plain names p<i>, v<i> (a name is never pasted
    into it)."""
    if expr.is_Symbol:
        if expr not in names:
            raise SymbackpropError(f"cannot compile the formulas: {expr.name} is neither an "
                                   "argument nor defined before it is used")
        return names[expr]
    if not expr.args:
        return expr
    args = tuple(_rename(a, names) for a in expr.args)
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    if expr.is_Add:
        return sympy.Add._from_args(sorted(args, key=_args_sortkey))
    if expr.is_Mul and not (len(args) == 2 and args[0].is_Rational and args[1].is_Add):
        if args[0].is_Number:
            return sympy.Mul._from_args(args[:1] + tuple(sorted(args[1:], key=_args_sortkey)))
        return sympy.Mul._from_args(tuple(sorted(args, key=_args_sortkey)))
    return expr.func(*args)   # 2·(a − y) distributes, as SymPy writes it


def function(args, body, outputs, modules, printer):
    """One Python function of ``args`` that computes the definitions ``body`` in order
    and returns the values of ``outputs``, printed by ``printer`` (whose :meth:`doprint`
    writes the commonest definitions at once, see :func:`_code`), run in the namespace
    of ``modules`` (the first has priority; a module name gives the namespace
    ``lambdify`` would give it). Written directly rather than by ``lambdify``, whose
    argument preprocessing sorts thousands of arguments symbolically."""
    namespace = {}
    for module in reversed(modules):
        namespace.update(_module_namespace(module) if isinstance(module, str) else module)
    lines = ["def _program(%s):" % ", ".join(a.name for a in args)]
    lines += ["    %s = %s" % (target.name, printer.doprint(expr)) for target, expr in body]
    lines.append("    return [%s]" % ", ".join(printer.doprint(o) for o in outputs))
    for module, names in (getattr(printer, "module_imports", None) or {}).items():
        for name in sorted(names):
            if name not in namespace:
                namespace[name] = getattr(importlib.import_module(module), name)
    exec(compile("\n".join(lines) + "\n", "<symbackprop program>", "exec"), namespace)
    return namespace["_program"]


_NAMESPACES: dict = {}


def _module_namespace(module: str) -> dict:
    """The names ``lambdify`` puts in scope for ``module`` ("math", "mpmath"), taken once
    from a trivial lambdified function."""
    if module not in _NAMESPACES:
        _NAMESPACES[module] = dict(sympy.lambdify([], 0, modules=module).__globals__)
    return dict(_NAMESPACES[module])


def _code(printer, expr) -> str | None:
    """``printer.doprint(expr)`` (None: print it as usual), written at once for the
    commonest definitions of a large derivation: a symbol (∂C/∂b = δ), a product of two
    (∂C/∂w = a·δ), a sum of such terms (z = Σ w·a + b), a function of a symbol (σ(z))
    and a product of two of these (Case 2's σ′(z)·Σ w·δ), each as the printer writes
    it or with the same value (a sum of two and a product of two do not depend on the
    order of their terms); a longer sum is added up in the order of its arguments, which
    may round differently in the last digit from the printer's order (both are fixed)."""
    if type(expr) is sympy.Symbol:
        return expr.name
    if expr.is_Mul and len(expr.args) == 2 and all(type(f) is sympy.Symbol for f in expr.args):
        return "%s*%s" % (expr.args[0].name, expr.args[1].name)
    if expr.is_Add and len(expr.args) >= 3:
        # Σ w·a + b as the printers write it, term by term in the order of the arguments
        terms = []
        for t in expr.args:
            if type(t) is sympy.Symbol:
                terms.append((t.name, "1"))
            elif t.is_Mul and len(t.args) == 2 and all(type(f) is sympy.Symbol for f in t.args):
                terms.append((t.args[0].name, t.args[1].name))
            else:
                return None
        if isinstance(printer, MpPrinter):
            return "fdot((%s,))" % ", ".join("(%s, %s)" % t for t in terms)
        code = [a if b == "1" else "%s*%s" % (a, b) for a, b in terms]
        return "sum((%s,))" % ", ".join(code) if len(code) > FLAT_SUM else " + ".join(code)
    if expr.is_Add and len(expr.args) == 2 and all(_simple(t) for t in expr.args):
        return "%s + %s" % tuple(_simple(t) for t in expr.args)   # w·x + b: one rounding each
    if expr.is_Mul and len(expr.args) == 2 and not expr.args[0].is_Number:
        # σ′(z)·Σ w·δ (Case 2): each factor written at once, or not at all
        factors = [_code(printer, f) for f in expr.args]
        if all(factors):
            return "(%s)*(%s)" % tuple(factors)
        return None
    if isinstance(expr, sympy.Function) and len(expr.args) == 1 and type(expr.args[0]) is sympy.Symbol:
        # σ(z): the printer's own text for the function of a placeholder, the name put in
        return printer.template(expr.func).replace(_ARGUMENT.name, expr.args[0].name)
    return None


_ARGUMENT = sympy.Symbol("_argument_")


def _simple(term) -> str | None:
    """A symbol or a product of two, as code; else None."""
    if type(term) is sympy.Symbol:
        return term.name
    if term.is_Mul and len(term.args) == 2 and all(type(f) is sympy.Symbol for f in term.args):
        return "%s*%s" % (term.args[0].name, term.args[1].name)
    return None


#: The numeric targets' printers, by number system.
PRINTERS = {"float": FloatPrinter, "mp": MpPrinter, "exact": ExactPrinter}


def printer_for(system: str):
    """A fresh printer for the number system ``system`` (float, mp or exact)."""
    settings = {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True}
    return PRINTERS.get(system, FloatPrinter)(settings)


class Program:
    """``definitions`` (symbol, expr) compiled into one function of ``leaves`` that
    returns the values of ``outputs`` (all in the same order as given)."""

    def __init__(self, definitions, leaves, outputs, system: str = "float"):
        plain = {s: sympy.Symbol("p%d" % i) for i, s in enumerate(leaves)}
        body = []
        for i, (symbol, expr) in enumerate(definitions):
            target = sympy.Symbol("v%d" % i)
            body.append((target, _rename(expr, plain)))
            plain[symbol] = target
        outs = [plain[s] for s in outputs]
        modules = [namespace([e for _, e in body], system), "mpmath" if system == "mp" else "math"]
        printer = printer_for(system)
        self.leaves = tuple(leaves)
        self.outputs = tuple(outputs)
        self.system = system
        self._index = None
        try:
            #: the generated function: leaf values in the order of ``leaves`` → the outputs
            self.function = function([plain[s] for s in leaves], body, outs, modules, printer)
        except NotImplementedError as exc:  # a custom function SymPy cannot write as code
            raise SymbackpropError(f"cannot compile the formulas to {system} code: {exc}") from None

    @property
    def index(self) -> dict:
        """{symbol: position} of every output, then every leaf, as :meth:`run` and the
        arguments lay them out one after the other (built once)."""
        if self._index is None:
            self._index = {s: i for i, s in enumerate(self.outputs + self.leaves)}
        return self._index

    def __call__(self, values: dict) -> dict:
        return dict(zip(self.outputs, self.run([values[s] for s in self.leaves])))

    def run(self, args) -> list:
        """The outputs, in order, for the leaf values ``args`` in the order of ``leaves``."""
        try:
            return self.function(*args)
        except NameError as exc:
            raise SymbackpropError(f"cannot evaluate the formulas: {exc} (a custom function "
                                   "without a numeric implementation)") from None
        except (OverflowError, ValueError, ZeroDivisionError) as exc:
            reason = exc.args[-1] if exc.args else type(exc).__name__
            raise PointError(f"the network cannot be evaluated at this point: {reason}") from None


# --- array code (symbackprop code) ---------------------------------------------------

#: Our functions other than activations, and the helper of the generated module each
#: calls (the numeric targets call the registry's implementation of the same name as
#: the class: ``activations.NUMERIC_HELPERS``).
ARRAY_HELPERS = {_activations.Step: "step", _activations.LogSigmoid: "log_sigmoid",
                 _activations.Softmax: "softmax_entry",
                 _activations.SoftmaxComplement: "softmax_complement_entry",
                 _activations.LogSoftmax: "log_softmax_entry",
                 _activations.LogSoftmaxComplement: "log_softmax_complement_entry"}

class ArrayPrinter(_FlatSums):
    """Python code of one expression in the generated module's identifiers (``names``:
    symbol → identifier), vectorised: every function goes to the array module (``lang.xp``)
    or a helper of the module (``helpers.activation``, ``helpers.need``), a long sum is
    one flat ``sum``."""

    def __init__(self, names: dict, helpers, lang):
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

    def _print_Float(self, expr):
        return literal(expr)

    def _print_Exp1(self, expr):
        return repr(math.e)

    def _print_Pi(self, expr):
        return repr(math.pi)

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        if expr.is_number:   # a constant such as √2 (torch.sqrt takes no int): its float
            return literal(expr)
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
        for kind, helper in ARRAY_HELPERS.items():
            if isinstance(expr, kind):
                return "%s(%s)" % (self._helpers.need(helper), args)
        raise SpecError(f"cannot write code for the function {cls.__name__}")


# --- guarded float code (the diagnosis of answers, :mod:`.programs`) ----------------------

#: A ReLU, step, max, min or |·| argument closer than this to its kink makes a point unusable.
KINK = 1e-7


class Undefined(Exception):
    """The expression has no (usable) value at this point."""


def _kinked(fn, what):
    """``fn`` with no value within :data:`KINK` of its kink at 0."""
    def checked(t):
        if abs(t) < KINK:
            raise Undefined(f"at the kink of {what}")
        return fn(t)
    return checked


def _log(t):
    if t <= 0:
        raise Undefined("logarithm of a number ≤ 0")
    return math.log(t)


def _sqrt(t):
    if t < 0:
        raise Undefined("square root of a negative number")
    return math.sqrt(t)


def _power(base, e):
    if base < 0:
        raise Undefined("a negative number to a fractional power")
    if base == 0 and e <= 0:
        raise Undefined("0 to a power ≤ 0")
    return base ** e


def _step(t):
    if abs(t) < KINK:
        raise Undefined("at the jump of step")
    return 1 if t > 0 else 0


def _max(*items):
    items = sorted(items)
    if len(items) > 1 and items[-1] - items[-2] < KINK:
        raise Undefined("at the kink of max/min")
    return items[-1]


def _min(*items):
    items = sorted(items)
    if len(items) > 1 and items[1] - items[0] < KINK:
        raise Undefined("at the kink of max/min")
    return items[0]


def _abs(t):
    if abs(t) < KINK:
        raise Undefined("at the kink of |·|")
    return abs(t)


#: The guarded code's own names: every function undefined where its argument is outside
#: its domain or at its kink (the writer in :mod:`.programs` adds the activations').
GUARDED = {"_Undefined": Undefined, "_isfinite": math.isfinite, "_sum": sum,
           "_prod": math.prod, "_exp": math.exp, "_log": _log, "_tanh": math.tanh,
           "_sqrt": _sqrt, "_pow": _power, "_step": _step, "_max": _max,
           "_min": _min, "_abs": _abs, "_nan": math.nan}

#: A function of one of these classes, and its name in :data:`GUARDED` (log, Step and
#: Heaviside of one argument only).
_GUARDED_CALLS = ((sympy.exp, "_exp"), (sympy.log, "_log"), (sympy.tanh, "_tanh"),
                  ((_activations.Step, sympy.Heaviside), "_step"), (sympy.Max, "_max"),
                  (sympy.Min, "_min"), (sympy.Abs, "_abs"))
_ONE_ARGUMENT = (sympy.log, _activations.Step, sympy.Heaviside)


def guarded_name(expr) -> str | None:
    """The name in :data:`GUARDED` of the function ``expr`` applies; None if it has none."""
    if isinstance(expr, _ONE_ARGUMENT) and len(expr.args) != 1:
        return None
    for kind, name in _GUARDED_CALLS:
        if isinstance(expr, kind):
            return name
    return None


def guarded_activation(act, prime: bool):
    """The registry's float function of ``act`` (its derivative with ``prime``), undefined
    at the kink of a kinked activation."""
    f, fp = act.numeric["float"]
    fn = fp if prime else f
    return _kinked(fn, act.name) if act.kinked else fn


def expression_function(expr, parents, system: str):
    """f(*values of ``parents``, the free symbols of ``expr``) computing ``expr`` in
    ``system``: a symbol is its value, an activation of one symbol the registry's own
    function, anything else a compiled :class:`Program`."""
    if expr.is_Symbol:                       # identity(z) is z
        return _same
    act = getattr(expr, "activation", None)
    if isinstance(expr, _activations.ActivationFunction) and expr.args[0].is_Symbol and system in act.numeric:
        return act.numeric[system][0]
    plain = [sympy.Symbol("p%d" % k) for k in range(len(parents))]
    body = expr.xreplace(dict(zip(parents, plain)))
    program = Program([(sympy.Symbol("v"), body)], plain, [sympy.Symbol("v")], system)
    return _first(program.function)


def _first(fn):
    return lambda *args: fn(*args)[0]


def _same(value):
    return value


__all__ = ["ArrayPrinter", "ExactPrinter", "FloatPrinter", "GUARDED", "KINK", "MpPrinter", "PRINTERS", "Program",
           "Undefined", "expression_function", "function", "guarded_activation", "guarded_name",
           "namespace", "printer_for"]
