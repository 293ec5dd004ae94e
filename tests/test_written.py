"""Definitions of a graph shown as their author wrote them: terms and factors in the
order typed, ½ in front, decimals as typed; the mathematics is SymPy's evaluated form."""

import pytest
import sympy

import symbackprop as sb
from symbackprop.notation.written import evaluated, written_latex, written_text
from symbackprop.reading.formula import Declared, read_as_written

GATE = {"title": "A gate", "inputs": ["x", "h_0", "y"], "parameters": ["w_z", "u_z", "b_z"],
        "define": ["z = \\sigma(w_z x + u_z h_0 + b_z)", "h_1 = (1 - z) h_0 + z x",
                   "C = \\frac{1}{2} (h_1 - y)^2"],
        "output": "C",
        "point": {"x": 0.5, "h_0": -1, "y": 0.25, "w_z": 2, "u_z": -1, "b_z": 0.1}}


@pytest.mark.parametrize("formula, tex, txt", [
    pytest.param(r"\sigma(w_z x + u_z h_0 + b_z)", r"\sigma\left(w_z x + u_z h_0 + b_z\right)",
                 "σ(w_z·x + u_z·h₀ + b_z)", id="gate"),
    pytest.param(r"\frac{1}{2} (h_1 - y)^2", r"\frac{1}{2} \left(h_1 - y\right)^{2}", "1/2·(h₁ - y)²", id="half"),
    pytest.param("0.5 (h_1 - y)^2", r"0.5 \left(h_1 - y\right)^{2}", "0.5·(h₁ - y)²", id="decimal"),
    pytest.param("x - 2 y w_z", "x - 2 y w_z", "x - 2·y·w_z", id="minus"),
    pytest.param(r"\frac{x}{y} + e^{-x}", r"\frac{x}{y} + e^{- x}", "x/y + exp(-x)", id="quotient"),
])
def test_a_formula_prints_as_written(formula, tex, txt):
    names = Declared({sympy.Symbol(n): None for n in ("w_z", "x", "u_z", "h_0", "b_z", "h_1", "y")})
    written = read_as_written(formula, names)
    assert written_latex(*written) == tex
    assert written_text(*written) == txt
    from symbackprop.reading.formula import read_formula
    assert evaluated(written[0]) == read_formula(formula, names)


def test_a_graph_document_shows_its_definitions_as_written():
    d = sb.load(GATE).backward()
    page = sb.render(d, "text", check=False)
    assert "  z = σ(w_z·x + u_z·h₀ + b_z) = " in page
    assert "  h₁ = (1 - z)·h₀ + z·x = " in page
    assert "  C = 1/2·(h₁ - y)² = " in page      # the output node keeps its written form too
    assert r"z &= \sigma\left(w_z x + u_z h_0 + b_z\right) = " in sb.render(d, "latex", check=False)


def test_the_mathematics_is_unchanged():
    d = sb.load(GATE).backward()
    v = d.evaluate()
    z = 1 / (1 + sympy.exp(-(2 * 0.5 - 1 * -1 + 0.1)))
    h1 = (1 - z) * -1 + z * 0.5
    assert v["C"] == pytest.approx(float((h1 - 0.25) ** 2 / 2))
    assert d.check().passed


def test_numbers_give_a_value_for_the_amplifier_of_any_argument():
    spec = {"inputs": ["x"], "parameters": ["w", "b"], "define": ["f = \\sigma(w x + b)", "C = f^2"],
            "output": "C", "point": {"x": 1, "w": 0.5, "b": 0.25}}
    page = sb.render(sb.load(spec).backward(), "text", numbers=True, check=False)
    s = 1 / (1 + 2.718281828459045 ** -0.75)
    assert f"  ∂C/∂b = σ′(w·x + b)·∂C/∂f = {s * (1 - s):.6g}·{2 * s:.6g} = " in page


def test_no_negative_zero():
    from symbackprop.notation.numerals import rough, short
    assert (short(-0.0), rough(-0.0), short(-1.5)) == ("0", "0", "-1.5")


def test_a_name_unicode_cannot_subscript_gets_a_real_subscript_in_the_picture():
    from symbackprop.documents.pictures.circuit import _tspans
    assert _tspans("w_z", 13) == 'w<tspan dy="3.2" font-size="9.4">z</tspan><tspan dy="-3.2"></tspan>'
    assert _tspans("×w_(zh)", 11).startswith('×w<tspan dy="2.8" font-size="7.9">zh</tspan>')
    assert _tspans("z₁", 13) == 'z<tspan dy="3.2" font-size="9.4">1</tspan><tspan dy="-3.2"></tspan>'
    d = sb.load(GATE).backward()
    assert "w_z" in sb.render(d, "text", check=False)       # the terminal keeps w_z
