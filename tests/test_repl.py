"""What a REPL or Jupyter shows: short reprs, HTML and LaTeX displays, Formula everywhere,
docstrings with examples that run."""

import doctest
import importlib
import re
from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.answers.verdict import Verdict
from symbackprop.numeric.check import CheckReport
from symbackprop.numeric.values import Batch, Values
from symbackprop.numeric.update import Step

ROOT = Path(__file__).resolve().parent.parent
MAZUR = ROOT / "examples" / "shared_bias.toml"


@pytest.fixture(scope="module")
def mazur():
    return sb.load(MAZUR).backward()


def test_values_show_the_cost_and_the_first_gradients(mazur):
    v = mazur.evaluate()
    assert repr(v) == ("<Values: C = 0.298371; ∂C/∂w₁ = 0.000438568, ∂C/∂w₂ = 0.000877135, "
                       "∂C/∂b₁ = 0.0187256, … (10 gradients)>")
    assert v._repr_latex_().startswith(r"$C = 0.298371, \quad \frac{\partial C}{\partial w_1} = 0.000438568")
    page = v._repr_html_()
    assert page.count("<tr>") == 1 + 9 + 1 + 10          # header + 4 z, 4 a and C; header + 10 gradients
    assert "<td>0.3775</td>" in page and "<td>0.082167</td>" in page
    circuit = sb.load(ROOT / "examples" / "circuit.toml").backward().evaluate()
    assert repr(circuit) == "<Values: f = -12; ∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3>"


def test_a_batch_shows_its_total():
    b = sb.load(ROOT / "examples" / "minibatch.toml").backward().evaluate()
    assert repr(b).startswith("<Batch of 3 examples: L = 0.334876; ∂L/∂w⁽¹⁾₁₁ = -0.0059875, ")
    assert b._repr_latex_().startswith(r"$L = 0.334876, \quad \frac{\partial L}{\partial w^{(1)}_{11}}")
    assert "A mini-batch of 3 examples" in b._repr_html_()


def test_check_report_shows_its_summary(mazur):
    r = mazur.check()
    assert repr(r) == "<CheckReport passed: 12 gradients agree three ways (largest relative difference < 10⁻¹⁵)>"
    assert r._repr_latex_() == r"$\text{three-way check passed: 12 gradients agree}$"
    page = r._repr_html_()
    assert page.count("<td>ok</td>") == 12 and "<b>passed</b>" in page


def test_a_failed_check_says_so(mazur, monkeypatch):
    r = mazur.check()
    r.rows[0].ok = False
    r.passed = False
    assert repr(r).startswith("<CheckReport FAILED: 1 of 12 gradients disagree")
    assert "<b>MISMATCH</b>" in r._repr_html_() and "FAILED" in r._repr_latex_()


def test_verdict_shows_the_answer_as_read():
    net = sb.load(MAZUR)
    right = sb.check_answer(net, "w_5", r"(o_1 - t_1) o_1 (1 - o_1) h_1")
    assert repr(right) == "<Verdict w₅: equivalent; answer as read: h₁·o₁·(1 - o₁)·(o₁ - t₁)>"
    assert right._repr_latex_() == (r"$h_1 o_1 \left(1 - o_1\right) \left(o_1 - t_1\right) = "
                                    r"\frac{\partial C}{\partial w_5} = h_1 \delta_{o_1}$")
    wrong = sb.check_answer(net, "w_5", r"(o_1 - t_1) o_1 h_1")
    assert repr(wrong) == "<Verdict w₅: not equivalent; answer as read: h₁·o₁·(o₁ - t₁)>"
    assert r"\neq" in wrong._repr_latex_()
    page = wrong._repr_html_()
    assert "<b>not equivalent</b>" in page and page.count("<math") == 2


def test_verdict_html_escapes_what_the_user_typed():
    v = Verdict(wrt="<w>", verdict="undecided", answer="x", expected="y", reason="a < b & <script>")
    page = v._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;w&gt;" in page


def test_graph_and_network_display(mazur):
    g = sb.load(ROOT / "examples" / "circuit.toml")
    assert repr(g) == "Graph(3 inputs, 0 parameters, 2 defined nodes, output f)"
    assert g._repr_html_().startswith("<div>Graph(3 inputs, 0 parameters, 2 defined nodes, output f)</div>\n<math")
    net = sb.load(MAZUR)
    assert repr(net) == "Network(sizes=[2, 2, 2], activations=[sigmoid, sigmoid], cost=mse, notation=layered)"
    assert "<svg" in net._repr_html_() and net._repr_latex_().startswith("$C = ")
    assert repr(mazur) == ("<Derivation of Network(sizes=[2, 2, 2], activations=[sigmoid, sigmoid], cost=mse, "
                           "notation=layered): 25 formulas>")


def test_step_repr(mazur):
    assert repr(mazur.step(0.5, hold="biases")) == "<Step η = 0.5, held b_1, b_2: cost 0.298371 → 0.291028>"


def test_a_delta_displays_what_it_stands_for():
    d = sb.Network([2, 2, 2]).backward()
    f = d.dC_dz(1, 1)
    assert repr(f) == ("<Formula δ⁽¹⁾₁ = ∂C/∂z⁽¹⁾₁ = σ′(z⁽¹⁾₁)·(w⁽²⁾₁₁·δ⁽²⁾₁ + w⁽²⁾₂₁·δ⁽²⁾₂) "
                       "(delta, case=2)>")
    assert f._repr_latex_().startswith(r"$\displaystyle \delta^{(1)}_{1} = \frac{\partial C}{\partial z^{(1)}_{1}} = ")
    assert f._repr_html_().count("<mo>&#x0003D;</mo>") == 2
    assert f.latex().startswith(r"\delta^{(1)}_{1} = \sigma'")          # documents keep one "="
    adjoint = sb.load(ROOT / "examples" / "circuit.toml").backward().adjoint("q")
    assert repr(adjoint) == "<Formula ∂f/∂q = z (delta, case=1)>"     # already a ∂: said once


def test_dC_da_is_a_formula_like_its_siblings():
    net = sb.Network([2, 2, 2])
    d = net.backward()
    out, hidden = d.dC_da(2, 1), d.dC_da(1, 2)
    assert isinstance(out, sb.Formula) and isinstance(hidden, sb.Formula)
    assert (out.kind, net.layer_of[out.of], out.index, out.of) == ("da", 2, (1,), net.a(2, 1))
    assert out.latex() == r"\frac{\partial C}{\partial a^{(2)}_{1}} = a^{(2)}_{1} - y_{1}"
    assert str(hidden) == "∂C/∂a⁽¹⁾₂ = w⁽²⁾₁₂·δ⁽²⁾₁ + w⁽²⁾₂₂·δ⁽²⁾₂"
    assert d.dC_da(2, 1) is out
    assert out.closed == d.closed(net.a(2, 1)) - net.y(1)          # in the leaves, as every closed form
    identity = sb.Network([1, 1], activation="identity").backward()
    # an estimate, as for every formula: ∂C/∂a = δ when σ′ = 1
    assert identity.dC_da(1, 1).closed_size == identity.dC_dz(1, 1).closed_size == 9
    with pytest.raises(sb.SpecError, match="for an input use dC_dx"):
        d.dC_da(0, 1)


def test_a_closed_form_is_a_sympy_expression_and_prints_as_a_formula():
    """f.closed stays a SymPy expression; the REPL's string of it names the activation as
    the documents do (σ, not SymPy's class name Sigmoid) with the names a point takes;
    f.text(closed=True) writes it as the formula, as f.latex(closed=True) does."""
    import sympy
    f = sb.Network([1, 1], activation="sigmoid").backward().dC_dw(1, 1, 1)
    assert isinstance(f.closed, sympy.Expr)
    assert repr(f.closed) == ("x_{1}*(1 - σ(b^{(1)}_{1} + w^{(1)}_{11}*x_{1}))*(-y_{1} + "
                              "σ(b^{(1)}_{1} + w^{(1)}_{11}*x_{1}))*σ(b^{(1)}_{1} + w^{(1)}_{11}*x_{1})")
    assert repr(f.expr) == "\\delta^{(1)}_{1}*x_{1}"
    relu = sb.Network([1, 1, 1], activation="relu").backward()
    assert str(relu.dC_dz(1, 1).expr) == "\\delta^{(2)}_{1}*w^{(2)}_{11}*ReLU′(z^{(1)}_{1})"
    assert "step(b^{(1)}_{1} + w^{(1)}_{11}*x_{1})" in str(relu.dC_dw(1, 1, 1).closed)
    pretty = sympy.pretty(sb.Network([1, 1], activation="tanh").backward().dC_dw(1, 1, 1).closed)
    assert "tanh" in pretty and "Tanh" not in pretty
    # the formula writes z as the lecture does, w·x + b
    assert f.text(closed=True) == ("∂C/∂w⁽¹⁾₁₁ = x₁·(1 - σ(w⁽¹⁾₁₁·x₁ + b⁽¹⁾₁))·(σ(w⁽¹⁾₁₁·x₁ + b⁽¹⁾₁) - y₁)"
                                   "·σ(w⁽¹⁾₁₁·x₁ + b⁽¹⁾₁)")
    assert f.text() == str(f) == "∂C/∂w⁽¹⁾₁₁ = x₁·δ⁽¹⁾₁"


PUBLIC = [sb.Derivation, sb.Formula, Values, Batch, CheckReport, Verdict, Step, sb.Network, sb.Graph,
          sb.Recurrent, sb.ConvNet]
#: Plumbing the builders and the sweep call; not what a reader of the REPL reaches for.
INTERNAL = {"reserved", "resolve_values", "values", "depth", "cut", "used", "upstream", "named_adjoint",
            "adjoint_symbol", "gradient_symbol", "gradient_kind"}


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_every_public_method_has_a_docstring_with_an_example(cls):
    missing = []
    for name, member in vars(cls).items():
        if name.startswith("_") or name in INTERNAL:
            continue
        function = member.fget if isinstance(member, property) else member
        if callable(function) and ">>>" not in (function.__doc__ or ""):
            missing.append(name)
    assert missing == []


@pytest.mark.parametrize("module", ["symbackprop.core.derivation", "symbackprop.numeric.values", "symbackprop.numeric.check",
                                    "symbackprop.answers.verdict", "symbackprop.builders.network", "symbackprop.core.graph",
                                    "symbackprop.builders.recurrent", "symbackprop.builders.convnet",
                                    "symbackprop.numeric.update", "symbackprop.documents.summaries", "symbackprop.documents",
                                    "symbackprop.loading", "symbackprop.answers.outcome"])
def test_the_docstring_examples_run(module, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(module), extraglobs={"sb": sb},
                             optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_render_documents_its_options():
    doc = sb.documents.render.__doc__
    for option in sb.documents.OPTIONS:
        assert re.search(r"``%s``" % option, doc), option
    assert "learning_rate" in sb.render.__doc__
