"""Numbers from an answer's expression tree, by walking it: no code is generated.

An answer is a small tree of Add, Mul, Pow, numbers, network symbols and a few
functions. Walking it with the values of a point (every leaf and every definition, from
:mod:`reference`) costs microseconds and needs no compilation, which is what grading a
thousand answers wants. Two number systems: ``float`` (``math``) and ``mp`` (mpmath at
the working precision, to confirm a counterexample beyond float round-off).

The diagnosis evaluates hundreds of mistaken formulas per question at every point with
compiled code (:class:`symbackprop.numeric.programs.Programs`, the same float functions and the
same undefined points); :func:`walk` is its fallback for what that code writer has no
form for.

A point where the answer is undefined (a logarithm of a negative number, a division by
zero, an overflow) or where a ReLU-type function is within :data:`KINK` of its kink
raises :class:`Undefined`: the comparison skips that point.
"""

from __future__ import annotations

import math

import mpmath
import sympy

from ..ops.activations import ActivationFunction, ActivationPrime, FirstArgmax, Softmax, Step

from ..numeric.programs import KINK, Undefined   # one kink margin, one "no value here" for both


class _System:
    def __init__(self, name, exp, log, tanh, number):
        self.name, self.exp, self.log, self.tanh, self.number = name, exp, log, tanh, number


FLOAT = _System("float", math.exp, math.log, math.tanh, float)
MP = _System("mp", mpmath.exp, mpmath.log, mpmath.tanh, lambda x: mpmath.mpf(x.p) / x.q
             if isinstance(x, sympy.Rational) else mpmath.mpf(float(x)))


def evaluate(expr, values, system: str = "float"):
    """The value of ``expr`` where ``values`` maps symbols to numbers."""
    return _Walk(values, FLOAT if system == "float" else MP).value(expr)


class _Walk:
    def __init__(self, values, system: _System):
        self.values = values
        self.system = system
        self.memo: dict = {}

    def value(self, expr):
        if expr in self.memo:
            return self.memo[expr]
        try:
            out = self._value(expr)
        except OverflowError:       # Python's own words ("math range error") mean nothing here
            raise Undefined("too large for floating point") from None
        except ZeroDivisionError:
            raise Undefined("division by zero") from None
        except ValueError as exc:
            raise Undefined(str(exc)) from None
        if isinstance(out, complex):
            raise Undefined("not a real number")
        if self.system is FLOAT and not math.isfinite(out):
            raise Undefined("not finite")
        if self.system is MP and not mpmath.isfinite(out):
            raise Undefined("not finite")
        self.memo[expr] = out
        return out

    def _value(self, expr):
        if expr.is_Symbol:
            try:
                return self.values[expr]
            except KeyError:
                raise Undefined(f"no value for {expr.name}") from None
        if expr.is_Number or expr.is_NumberSymbol:
            return self._number(expr)
        if expr.is_Add:
            total = 0
            for arg in expr.args:
                total = total + self.value(arg)
            return total
        if expr.is_Mul:
            product = 1
            for arg in expr.args:
                product = product * self.value(arg)
            return product
        if expr.is_Pow:
            return self._power(expr)
        return self._function(expr)

    def _number(self, expr):
        s = self.system
        if expr.is_Rational:
            return s.number(expr) if s is MP else expr.p / expr.q
        if expr.is_NumberSymbol:
            return s.number(expr.evalf(30)) if s is MP else float(expr)
        return s.number(expr) if s is MP else float(expr)

    def _function(self, expr):
        """exp, log, tanh, softmax and the activations; then the kinked functions."""
        s = self.system
        if isinstance(expr, sympy.exp):
            return s.exp(self.value(expr.args[0]))
        if isinstance(expr, sympy.log):
            t = self.value(expr.args[0])
            if t <= 0:
                raise Undefined("logarithm of a number ≤ 0")
            return s.log(t)
        if isinstance(expr, sympy.tanh):
            return s.tanh(self.value(expr.args[0]))
        if isinstance(expr, Softmax):
            zs = [self.value(z) for z in expr.args[1:]]
            from ..ops.activations import get
            return get("softmax").numeric[s.name][0](int(expr.args[0]), *zs)
        if isinstance(expr, (ActivationFunction, ActivationPrime)):
            act = expr.activation
            t = self.value(expr.args[0])
            if act.kinked and abs(t) < KINK:
                raise Undefined("at the kink of ReLU")
            f, fp = act.numeric[s.name if s.name in act.numeric else "float"]
            if isinstance(expr, ActivationPrime):
                return fp(t)
            return f(t)
        return self._kinked(expr)

    def _kinked(self, expr):
        """step, max, min, |·| and Heaviside: undefined within :data:`KINK` of a kink."""
        if isinstance(expr, FirstArgmax):
            return self.value(expr.as_steps())
        if isinstance(expr, Step):
            t = self.value(expr.args[0])
            if abs(t) < KINK:
                raise Undefined("at the jump of step")
            return 1 if t > 0 else 0
        if isinstance(expr, (sympy.Max, sympy.Min)):
            items = sorted(self.value(arg) for arg in expr.args)
            if len(items) > 1 and (items[-1] - items[-2] < KINK if isinstance(expr, sympy.Max)
                                   else items[1] - items[0] < KINK):
                raise Undefined("at the kink of max/min")
            return items[-1] if isinstance(expr, sympy.Max) else items[0]
        if isinstance(expr, sympy.Abs):
            t = self.value(expr.args[0])
            if abs(t) < KINK:
                raise Undefined("at the kink of |·|")
            return abs(t)
        if isinstance(expr, sympy.Heaviside):
            t = self.value(expr.args[0])
            if abs(t) < KINK:
                raise Undefined("at the jump of step")
            return 1 if t > 0 else 0
        if expr is sympy.I:
            raise Undefined("not a real number")
        raise Undefined(f"cannot evaluate {type(expr).__name__}")

    def _power(self, expr):
        base = self.value(expr.base)
        exponent = expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            if base == 0 and n < 0:
                raise Undefined("division by zero")
            return base ** n
        if exponent.is_Rational and exponent.q == 2:
            if base < 0:
                raise Undefined("square root of a negative number")
            root = mpmath.sqrt(base) if self.system is MP else math.sqrt(base)
            return root ** exponent.p if exponent.p > 0 else 1 / root ** (-exponent.p)
        e = self.value(exponent)
        if base < 0:
            raise Undefined("a negative number to a fractional power")
        if base == 0 and e <= 0:
            raise Undefined("0 to a power ≤ 0")
        return base ** e


def walk(values, steps, result):
    """A program of :class:`~symbackprop.numeric.programs.Programs` (steps, then a result) by the
    tree walk: None where it is undefined."""
    from collections import ChainMap
    try:
        new: dict = {}
        env = ChainMap(new, values)
        for sym, expr in steps:
            new[sym] = evaluate(expr, env)
        value = evaluate(result, env)
    except Undefined:
        return None
    return value
