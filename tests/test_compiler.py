"""The one expression compiler (numeric/compiler.py): every target's code computes the
value the expression has, found another way (SymPy's own evaluation, Python's sum)."""

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from symbackprop.codegen.writer import Lang
from symbackprop.numeric import compiler
from symbackprop.ops import activations

p, q, r = sympy.symbols("p q r")
SIGMOID = activations.get("sigmoid").func
TANH = activations.get("tanh").func
POINT = {p: sympy.Rational(3, 7), q: sympy.Rational(-5, 4), r: sympy.Rational(9, 2)}


def _reference(expr, digits=40):
    """The expression's value from SymPy's own evaluation (σ written out), at ``digits``."""
    plain = expr.replace(SIGMOID, lambda u: 1 / (1 + sympy.exp(-u))).replace(TANH, sympy.tanh)
    return plain.subs(POINT).evalf(digits)


@pytest.mark.parametrize("expr", [
    pytest.param(SIGMOID(p) * q + sympy.log(r), id="activation-and-log"),
    pytest.param(TANH(q) * TANH(p) + r ** 2 - p / r, id="product-power-quotient"),
    pytest.param(SIGMOID(q), id="activation-of-one-symbol"),
    pytest.param(p * q + q * r + r * p + p, id="affine-sum"),
])
def test_expression_function_in_float_and_mp(expr):
    parents = tuple(sorted(expr.free_symbols, key=sympy.default_sort_key))   # as the cones give them
    f = compiler.expression_function(expr, parents, "float")
    assert f(*[float(POINT[s]) for s in parents]) == pytest.approx(float(_reference(expr)), rel=1e-14)
    with mpmath.workdps(40):
        g = compiler.expression_function(expr, parents, "mp")
        value = g(*[mpmath.mpf(POINT[s].p) / POINT[s].q for s in parents])
        assert abs(value - mpmath.mpf(str(_reference(expr, 45)))) < mpmath.mpf(10) ** -35


def test_exact_program_gives_the_fraction():
    body = [(sympy.Symbol("s"), sympy.Rational(1, 2) * p * q + r)]
    program = compiler.Program(body, [p, q, r], [sympy.Symbol("s")], "exact")
    value = program({s: Fraction(v.p, v.q) for s, v in POINT.items()})[sympy.Symbol("s")]
    assert value == Fraction(3, 7) * Fraction(-5, 4) / 2 + Fraction(9, 2)


def test_a_long_sum_is_one_flat_sum_in_float_and_array_code():
    """More terms than FLAT_SUM: both printers write one ``sum`` in the order of the
    arguments, so the float program and the NumPy code add up bit for bit as Python's
    ``sum`` over the terms in that order does."""
    xs = sympy.symbols("x0:%d" % (compiler.FLAT_SUM + 8))
    expr = sympy.Add(*xs)
    values = {x: 1.0 / (k + 3) * (-1) ** k for k, x in enumerate(xs)}
    expected = sum(values[t] for t in expr.args)
    program = compiler.Program([(sympy.Symbol("s"), expr)], list(xs), [sympy.Symbol("s")], "float")
    assert program(values)[sympy.Symbol("s")] == expected
    printer = compiler.ArrayPrinter({x: x.name for x in xs}, None, Lang("numpy"))
    code = printer.code(expr)
    assert code.startswith("sum((")
    assert eval(code, {"np": np}, {x.name: np.float64(v) for x, v in values.items()}) == expected


def test_array_printer_calls_the_modules_helpers():
    class Helpers:
        def __init__(self):
            self.asked = []

        def activation(self, act):
            self.asked.append(act.name)
            return act.name

        def need(self, name):
            self.asked.append(name)
            return name

    helpers = Helpers()
    printer = compiler.ArrayPrinter({p: "p", q: "q"}, helpers, Lang("torch"))
    code = printer.code(SIGMOID(p) + activations.Step(q) + sympy.exp(q))
    namespace = {"sigmoid": lambda t: 1 / (1 + math.exp(-t)), "step": lambda t: 1.0 if t > 0 else 0.0,
                 "torch": type("T", (), {"exp": staticmethod(math.exp)})}
    at = {"p": 0.25, "q": -1.5}
    assert eval(code, namespace, at) == pytest.approx(1 / (1 + math.exp(-0.25)) + math.exp(-1.5), rel=1e-15)
    assert sorted(helpers.asked) == ["sigmoid", "step"]
