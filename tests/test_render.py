"""Derivation documents: exact strings, every format, the CLI, determinism, the vector form."""

import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import symbackprop as sb
from symbackprop.documents import breaking, vector
from symbackprop.documents.pictures import diagram
from symbackprop.documents.stories import generic
from symbackprop.documents.formats.latex import escape
from symbackprop.documents.numbers import bound, number

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".toml", ".json"))
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FORMATS = ("latex", "markdown", "html", "json", "text")


@pytest.fixture(scope="module")
def lecture_docs():
    d = sb.load(ROOT / "examples" / "lecture.toml").backward()
    return {fmt: sb.render(d, fmt) for fmt in FORMATS}


# --- pieces --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, tex, txt", [
    pytest.param(Fraction(4), "4", "4", id="integer"),
    pytest.param(Fraction(-2), "{-2}", "-2", id="negative-integer"),
    pytest.param(Fraction(-1, 2), r"{-\tfrac{1}{2}}", "-1/2", id="fraction"),
    pytest.param(0.9820137900379085, "0.982014", "0.982014", id="six-digits"),
    pytest.param(-0.0, "0", "0", id="negative-zero"),
    pytest.param(2.5e-20, r"2.5 \times 10^{-20}", "2.5×10⁻²⁰", id="exponent"),
])
def test_numbers_print_the_same_in_every_format(value, tex, txt):
    assert number(value).latex == tex
    assert number(value).text == txt


def test_latex_of_products_of_names_is_the_printers_and_other_objects_still_print():
    """The fast path for a name and a product of names writes what the printer writes:
    reading order (σ′, the rest, δ), a space between, \\cdot before a number-like name."""
    from symbackprop.notation.printing import Latex, latex
    a, d, w, s = sympy.symbols(r"a^{(1)}_{2} \delta^{(2)}_{1} w^{(2)}_{12} \frac{1}{2}")
    for expr in (a, d * a, w * d * a, a * s, 3 * a * d, -a * d, a ** 2 * d):
        assert latex(expr) == Latex({}).doprint(expr), expr
    assert latex(d * a) == r"a^{(1)}_{2} \delta^{(2)}_{1}"
    assert latex(a * s) == r"\frac{1}{2} a^{(1)}_{2}" and latex(s * d) == r"\frac{1}{2} \delta^{(2)}_{1}"
    alpha = sympy.Symbol(r"\alpha^{2}")
    assert latex(alpha * s) == Latex({}).doprint(alpha * s) == r"\alpha^{2} \cdot \frac{1}{2}"
    assert (latex(3), latex(0.5), latex(sympy.Matrix([[a]]))) == (
        "3", "0.5", r"\left[\begin{matrix}a^{(1)}_{2}\end{matrix}\right]")


def test_error_bounds_are_powers_of_ten():
    assert bound(1.2468e-15).latex == "< 10^{-14}"
    assert bound(0.0).text == "0"


def test_a_short_expression_is_one_line():
    x, y = sympy.symbols("x y")
    assert breaking.lines(breaking.tokens(x + y)) == ["x + y"]


def test_a_long_sum_breaks_before_its_terms():
    xs = sympy.symbols("x_{1:13}")
    lines = breaking.lines(breaking.tokens(sympy.Add(*[3 * x for x in xs]), limit=30), limit=30)
    assert len(lines) == 3     # in index order, x₁ … x₁₂: 26.2, 24.9 and 5.4 units, the next term never fits
    assert lines[1].startswith("+ 3 x_{7}") and lines[2] == "+ 3 x_{12}"
    assert all(breaking.width(line) <= 30 for line in lines)
    assert all(line.startswith("+ ") for line in lines[1:])
    assert sorted(" ".join(lines).replace("+ ", "").split()) == sorted(" ".join(
        sb.latex(3 * x) for x in xs).split())


def test_a_cut_group_gets_sized_delimiters_that_may_span_lines(lecture):
    expr = lecture.backward().dC_dw(1, 1, 1).closed
    lines = breaking.lines(breaking.tokens(expr))
    assert len(lines) > 10
    assert all(line.count(r"\left(") == line.count(r"\right)") for line in lines)
    text = " ".join(lines)
    for size in ("bigl", "Bigl", "biggl"):
        assert text.count("\\" + size + "(") == text.count("\\" + size[:-1] + "r)")


def test_width_counts_fractions_once_and_scripts_less():
    assert breaking.width(r"\frac{\partial C}{\partial z}") == pytest.approx(2.5)
    assert breaking.width("w^{(2)}_{11}") == pytest.approx(1 + 0.7 * 3 + 0.7 * 2)


def test_prose_escapes_to_ascii_latex():
    assert escape("50% of x_1 & café — ∑") == r"50\% of x\_1 \& cafe --- ?"


def test_text_printer_writes_small_powers_as_superscripts(lecture):
    assert sb.text(lecture.cost) == "1/2·(a⁽³⁾₁ - y₁)² + 1/2·(a⁽³⁾₂ - y₂)²"


# --- the lecture document -------------------------------------------------------------------

def test_latex_follows_the_lecture(lecture_docs):
    tex = lecture_docs["latex"]
    sections = [line for line in tex.splitlines() if line.startswith(r"\section")]
    assert sections == [r"\section{The network}", r"\section{The chain rule split}",
                        r"\section{Forward pass}", r"\section{Backward pass}",
                        r"\section{Summary: every gradient}", r"\section{Vector form}",
                        r"\section{Three-way check}"]
    assert r"  z^{(1)}_{1} &= w^{(1)}_{11} x_{1} + w^{(1)}_{12} x_{2} + b^{(1)}_{1} = 4" in tex
    assert r"  z^{(1)}_{2} &= w^{(1)}_{21} x_{1} + w^{(1)}_{22} x_{2} + b^{(1)}_{2} = {-2}" in tex
    assert (r"  \delta^{(2)}_{1} &= \sigma'\left(z^{(2)}_{1}\right) \left(w^{(3)}_{11} "
            r"\delta^{(3)}_{1} + w^{(3)}_{21} \delta^{(3)}_{2}\right) = 0.0544268") in tex
    assert r"\frac{\partial C}{\partial a^{(3)}_{1}} &= a^{(3)}_{1} - y_{1} = 0.617705" in tex
    # table cells write ∂C/∂w on one line: a stacked fraction would touch the next row
    assert (r"$w^{(2)}_{11}$ & $\partial C / \partial w^{(2)}_{11} = a^{(1)}_{1} "
            r"\delta^{(2)}_{1}$ & $0.0534479$ \\") in tex
    # the slide's reference numbers: a = σ(z) per layer
    for a in ("0.982014", "0.119203", "0.863518", "0.110737", "0.617705", "0.829124"):
        assert "= %s" % a in tex
    assert tex.isascii()
    assert "Case 1" in tex and "Case 2" in tex


def test_partial_derivatives_never_print_as_d(lecture_docs):
    for fmt in ("latex", "markdown", "json"):
        doc = lecture_docs[fmt]
        assert r"\partial" in doc
        assert r"\frac{d" not in doc and r"\mathrm{d}" not in doc and r"\frac{\mathrm{d}" not in doc
    assert "∂C/∂w⁽¹⁾₁₁ = x₁·δ⁽¹⁾₁" in lecture_docs["text"]


def test_markdown_uses_dollar_math(lecture_docs):
    md = lecture_docs["markdown"]
    assert md.startswith("# The lecture's forward-pass example\n\n## The network\n")
    assert "$$\n\\begin{aligned}\n" in md and "\\begin{align*}" not in md
    assert "| $w^{(2)}_{11}$ | $\\partial C / \\partial w^{(2)}_{11} = a^{(1)}_{1} \\delta^{(2)}_{1}$ | $0.0534479$ |" in md
    assert md.count("<svg") == 2 and md.count("</svg>") == 2
    svg = md[md.index("<svg"):md.index("</svg>")]
    assert "\n\n" not in svg


def test_html_is_self_contained(lecture_docs):
    page = lecture_docs["html"]
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert "<script" not in page.lower()
    urls = [part.split('"')[0] for part in page.split("http")[1:]]
    assert urls and all(u.startswith("://www.w3.org/") for u in urls)
    assert page.count("<math") > 100
    assert page.count("<svg") == 2
    assert "\\frac" not in page  # all math converted


def test_json_lists_every_formula(lecture):
    d = lecture.backward()
    data = json.loads(sb.render(d, "json"))
    assert [f["symbol"] for f in data["formulas"]] == [f.symbol.name for f in d.formulas]
    values = d.evaluate()
    for entry, f in zip(data["formulas"], d.formulas):
        assert entry["latex"] == f.latex()
        assert entry["srepr"] == sympy.srepr(f.expr)
        assert entry["value"] == float(values.numbers[f.symbol])
    delta = data["formulas"][[f["symbol"] for f in data["formulas"]].index(r"\delta^{(1)}_{2}")]
    assert (delta["kind"], delta["layer"], delta["neuron"], delta["case"]) == ("delta", 1, 2, 2)
    w = next(f for f in data["formulas"] if f["symbol"] == r"\frac{\partial C}{\partial w^{(3)}_{12}}")
    assert (w["layer"], w["neuron"], w["input"]) == (3, 1, 2)
    assert w["uses"] == [{"dz": "a^{(2)}_{2}", "delta": r"\delta^{(3)}_{1}"}]
    assert data["check"]["passed"] is True
    assert data["vector_form"][0] == r"\delta^{(L)} = \nabla_{a} C \odot \sigma'(z^{(L)})"


def test_json_closed_forms(lecture):
    data = json.loads(sb.render(lecture.backward(), "json", closed=True))
    w = next(f for f in data["formulas"] if f["symbol"] == r"\frac{\partial C}{\partial w^{(3)}_{11}}")
    closed = w["closed"]["latex"]
    # the affine sums in the lecture's order, w·a + b (SymPy keeps them as b + w·a)
    assert closed.startswith(r"\left(1 - \sigma\left(w^{(3)}_{11} \sigma\left(w^{(2)}_{11} \sigma\left("
                             r"w^{(1)}_{11} x_{1} + w^{(1)}_{12} x_{2} + b^{(1)}_{1}\right)")
    assert "a^{(" not in closed and "delta" not in closed and "z^{(" not in closed
    assert w["closed"]["srepr"] == sympy.srepr(lecture.backward().dC_dw(3, 1, 1).closed)
    assert "closed" not in data["formulas"][0]


def test_closed_forms_too_long_to_help_are_named_and_shown_one_step(lecture, monkeypatch):
    d = lecture.backward()
    tex = sb.render(d, "latex", closed=True)
    assert r"\subsection{Closed forms}" in tex
    assert generic.CLOSED_LINES == 15
    assert ("Not in closed form, because fully substituted each would take more than 15 lines, which no "
            r"longer helps a reader: $\delta^{(2)}_{1}$, $\delta^{(2)}_{2}$, $\delta^{(1)}_{1}$, $\delta^{(1)}_{2}$. "
            "Their one-step form, in the quantities computed before them:") in tex
    assert (r"  \delta^{(3)}_{1} &= \biggl( 1 - \sigma\Bigl( w^{(3)}_{11} \sigma\bigl( "
            r"w^{(2)}_{11} \sigma\left(w^{(1)}_{11} x_{1} + w^{(1)}_{12} x_{2} + b^{(1)}_{1}"
            r"\right) \\" "\n" r"  &\quad + w^{(2)}_{12} \sigma\left(w^{(1)}_{21} x_{1} + w^{(1)}_{22} x_{2} "
            r"+ b^{(1)}_{2}\right) + b^{(2)}_{1} \bigr) \\") in tex
    # a limit on tree nodes skips before building, with the same message
    monkeypatch.setattr(generic, "CLOSED_PRINT_LIMIT", d.dC_dz(3, 1).closed_size)
    small = sb.render(d, "latex", closed=True)
    assert r"$\delta^{(2)}_{1}$" in small.split("Not in closed form")[1].split("\n")[0]
    assert r"\delta^{(3)}_{1} &= \biggl( 1 - \sigma" in small


#: A cut group's opening, alone at the end of a line: ``\cdot \bigl( 1`` (then a break).
_LONE_OPENER = re.compile(r"\\(?:big|Big|bigg|Bigg)l\( \S{1,4}(?: \\\\)?$")


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "[[layers]]" in p.read_text()], ids=lambda p: p.stem)
def test_closed_lines_never_end_on_a_lone_opening(path):
    tex = sb.render(sb.load(path).backward(), "latex", closed=True)
    lines = [line for line in tex.splitlines() if line.startswith("  ")]
    assert len(lines) > 40
    assert [line for line in lines if _LONE_OPENER.search(line)] == []
    # and every line fits its budget (the left-hand side taken off the first)
    for line in lines:
        if r"\node" in line or r"\draw" in line or "pmatrix" in line:
            continue
        lhs, _, rhs = line.partition("&")
        rhs = rhs.lstrip("=").replace(r"\quad", "").rstrip("\\ ")
        assert breaking.width(rhs) <= breaking.budget(lhs.strip()) + 1, line[:80]


def test_a_quotient_and_a_softmax_break_at_their_own_structure():
    zs = sympy.symbols("z_{1:5}")
    w = sympy.symbols("w_{1:9}")
    s = sb.activations.get("softmax").func(2, *[sum(wi * zi for wi, zi in zip(w[i:i + 4], zs)) for i in (0, 4, 0, 4)])
    lines = breaking.lines(breaking.tokens(-zs[0] / s), 40)
    assert len(lines) > 2
    assert lines[0].startswith(r"- z_{1} / \Bigl( \operatorname{softmax}_{2}\bigl( ")
    assert all(breaking.width(line) <= 40 + 1 for line in lines)
    assert "".join(lines).count(r"\Bigl(") == "".join(lines).count(r"\Bigr)") == 1


def test_symbolic_document_without_values():
    d = sb.Network([2, 3, 1], activation="tanh", cost="mse").backward()
    text = sb.render(d, "text")
    assert "Three-way check" not in text and "value" not in text.split("Summary")[1].split("\n")[3]
    assert "δ⁽¹⁾₁ = tanh′(z⁽¹⁾₁)·w⁽²⁾₁₁·δ⁽²⁾₁" in text


def test_softmax_document_uses_the_jacobian():
    d = sb.load(ROOT / "examples" / "softmax.toml").backward()
    text = sb.render(d, "text")
    assert "∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ)" in text
    back = diagram.backward(d.network)
    assert sum(n.kind == "jacobian" for n in back.nodes) == 3
    sources = [e for e in back.edges if e.source.startswith("b3n")]
    assert len(sources) == 9


#: ∂C/∂a at a = softmax output, y = the target, by cost (mse is ½Σ(a − y)²).
COST_GRADIENTS = {"mse": lambda a, y: a - y, "sse": lambda a, y: 2 * (a - y),
                  "binary_cross_entropy": lambda a, y: (1 - y) / (1 - a) - y / a}


@pytest.mark.parametrize("cost", sorted(COST_GRADIENTS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_softmax_output_shows_its_cost_gradient_in_every_format(tmp_path, run_cli, cost, fmt):
    spec = tmp_path / "softmax.toml"
    spec.write_text((ROOT / "examples" / "softmax.toml").read_text()
                    .replace('cost = "cross_entropy"', f'cost = "{cost}"'))
    code, out, err = run_cli("eval", spec, "--json")
    assert code == 0, err
    a3 = json.loads(out)["layers"][-1]["a"][2]
    shown = number(COST_GRADIENTS[cost](a3, 1))
    code, doc, err = run_cli("derive", spec, "--format", fmt)
    assert (code, err) == (0, "")
    if fmt in ("text", "latex", "markdown"):
        name, value = ("∂C/∂a⁽²⁾₃ = ", shown.text) if fmt == "text" else \
            (r"\frac{\partial C}{\partial a^{(2)}_{3}} &= ", shown.latex)
        row = next(line for line in doc.splitlines() if line.strip().startswith(name))
        assert row.endswith(f" = {value}"), row
    elif fmt == "html":
        assert f"<mn>{shown.text.lstrip('-')}</mn>" in doc
    else:
        assert json.loads(doc)["check"]["passed"] is True


def test_numbers_only_functions_evaluate_like_the_expressions_they_stand_for():
    z = (sympy.Rational(-1, 3), sympy.Rational(1, 2), sympy.Integer(2))
    softmax = [sympy.exp(zi) / sum(sympy.exp(zk) for zk in z) for zi in z]
    assert abs(sympy.N(sb.activations.SoftmaxComplement(3, *z), 30) - sympy.N(1 - softmax[2], 30)) < 1e-28
    assert abs(sympy.N(sb.activations.LogSoftmax(1, *z), 30) - sympy.N(sympy.log(softmax[0]), 30)) < 1e-28
    assert abs(sympy.N(sb.activations.LogSoftmaxComplement(2, *z), 30)
               - sympy.N(sympy.log(1 - softmax[1]), 30)) < 1e-28
    assert abs(sympy.N(sb.activations.LogSigmoid(sympy.Integer(-3)), 30)
               - sympy.N(-sympy.log(1 + sympy.exp(3)), 30)) < 1e-28


def test_named_example_reproduces_the_worked_example():
    d = sb.load(ROOT / "examples" / "shared_bias.toml").backward()
    text = sb.render(d, "text")
    assert "zₕ₁ = w₁·i₁ + w₂·i₂ + b₁ = 0.3775" in text
    assert "C = 1/2·(o₁ - t₁)² + 1/2·(o₂ - t₂)² = 0.298371" in text
    assert "b₁ on 2 edges" in text
    assert "  w₅         ∂C/∂w₅ = h₁·δₒ₁        0.082167\n" in text
    assert "  b₁         ∂C/∂b₁ = δₕ₁ + δₕ₂    0.0187256\n" in text


def test_fragment_is_only_the_body(lecture):
    d = lecture.backward()
    tex = sb.render(d, "latex", fragment=True)
    assert tex.startswith("% Body of a symbackprop derivation.")
    assert r"\documentclass" not in tex and r"\begin{document}" not in tex
    assert "<html" not in sb.render(d, "html", fragment=True)
    assert not sb.render(d, "markdown", fragment=True).startswith("# ")


def test_unknown_format_and_misplaced_fragment_are_render_errors(lecture):
    with pytest.raises(sb.RenderError, match="unknown format 'pdf'; expected one of: latex, markdown"):
        sb.render(lecture.backward(), "pdf")
    with pytest.raises(sb.RenderError, match="--fragment applies to latex, markdown, html, not json"):
        sb.render(lecture.backward(), "json", fragment=True)


def test_python_conveniences_and_jupyter(lecture):
    d = lecture.backward()
    assert d.to_latex() == sb.render(d, "latex")
    assert d.to_markdown(fragment=True) == sb.render(d, "markdown", fragment=True)
    assert d.to_html() == sb.render(d, "html")
    f = d.dC_dz(1, 1)
    assert f._repr_html_().startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    assert d._repr_html_() == sb.render(d, "html", fragment=True)
    net_html = lecture._repr_html_()
    assert "<svg" in net_html and "<math" in net_html


# --- diagrams -----------------------------------------------------------------------------------

def test_forward_diagram_labels_every_edge_with_its_weight(lecture):
    fwd = diagram.forward(lecture)
    assert [n.kind for n in fwd.nodes].count("neuron") == 6
    assert [e.label for e in fwd.edges][:4] == ["w^{(1)}_{11}", "w^{(1)}_{12}", "w^{(1)}_{21}", "w^{(1)}_{22}"]
    assert len(fwd.edges) == 12 and not fwd.compact


def test_reversed_diagram_runs_right_to_left_with_amplifiers(lecture):
    back = diagram.backward(lecture)
    nodes = {n.key: n for n in back.nodes}
    assert [n.kind for n in back.nodes].count("amplifier") == 6
    assert nodes["b2n1"].above == r"\sigma'(z^{(2)}_{1})"
    assert nodes["b2n1"].below == r"\delta^{(2)}_{1}"
    assert nodes["b4n1"].label == r"\partial C / \partial a^{(3)}_{1}"
    weighted = [e for e in back.edges if e.label]
    assert all(nodes[e.source].x > nodes[e.target].x for e in back.edges)
    assert sorted(e.label for e in weighted) == sorted(e.label for e in diagram.forward(lecture).edges)
    tikz = diagram.tikz(back)
    assert tikz.count("shape border rotate=180") == 6
    svg = diagram.svg(back, "reversed")
    assert svg.count("<polygon") == 6 and "δ⁽²⁾₁" in svg and "σ′(z⁽²⁾₁)" in svg


def test_wide_layers_get_a_compact_drawing():
    net = sb.load(ROOT / "examples" / "wide.toml")
    fwd = diagram.forward(net)
    assert fwd.compact
    assert sum(n.kind == "dots" for n in fwd.nodes) == 1
    assert sum(n.kind == "neuron" for n in fwd.nodes) == diagram.SHOWN + 1 + 2
    assert all(e.label == "" for e in fwd.edges)


FIVE_NETS = {
    "2-2-2": lambda: sb.Network([2, 2, 2], activation="sigmoid", cost="mse"),
    "3-4-2": lambda: sb.Network([3, 4, 2], activation="tanh", cost="mse"),
    "4-6-6-3": lambda: sb.Network([4, 6, 6, 3], activation="relu", cost="mse"),
    "8-8-4": lambda: sb.Network([8, 8, 4], activation="sigmoid", cost="mse"),
    "softmax": lambda: sb.load(ROOT / "examples" / "softmax.toml"),
}


@pytest.mark.parametrize("name", FIVE_NETS)
def test_diagram_labels_never_overlap_each_other_or_a_node(name):
    net = FIVE_NETS[name]()
    for d in (diagram.forward(net), diagram.backward(net)):
        assert diagram.overlaps(d) == [], (name, d.name)
        texts = [lab.tex for lab in d.labels]
        weights = [e.label for e in d.edges if e.label]
        assert sorted(t for t in texts if t in set(weights)) == sorted(weights)
        assert len(texts) == len(set((lab.x, lab.y) for lab in d.labels))


def test_the_overlap_check_finds_an_overlap():
    net = FIVE_NETS["2-2-2"]()
    d = diagram.forward(net)
    edge = next(lab for lab in d.labels if lab.size == "edge")
    moved = diagram.Label(edge.x + 0.1, edge.y, "w", "edge", edge.w, edge.h)
    import dataclasses
    assert diagram.overlaps(dataclasses.replace(d, labels=d.labels + (moved,))) == [
        ("label:" + edge.tex, "label:w")]
    bias = next(lab for lab in d.labels if lab.tex.startswith("+"))
    on_node = diagram.Label(bias.x, bias.y + 0.3, "x", "side", 0.5, 0.3)
    assert diagram.overlaps(dataclasses.replace(d, labels=(on_node,)))[0][0] == "label:x"


def test_which_pairs_carry_weights_on_their_edges():
    assert diagram.forward(FIVE_NETS["3-4-2"]()).unlabelled == ()
    wide = diagram.forward(FIVE_NETS["4-6-6-3"]())
    assert wide.compact and wide.unlabelled == (1, 2, 3)
    assert [n.key for n in wide.nodes if n.x == wide.nodes[-1].x] == ["f3n1", "f3n2", "f3n3"]
    assert [n.key for n in wide.nodes if n.kind == "dots"] == ["f1dots", "f2dots"]
    medium = diagram.forward(sb.Network([2, 5, 2], activation="sigmoid", cost="mse"))
    assert not medium.compact and medium.unlabelled == ()
    tangle = diagram.forward(sb.Network([5, 5, 1], activation="sigmoid", cost="mse"))
    assert tangle.unlabelled == (1,)
    # labels of the edges at one input stand in one column, one column per input
    d = diagram.forward(FIVE_NETS["3-4-2"]())
    xs = {lab.tex: lab.x for lab in d.labels if lab.size == "edge"}
    assert len({xs["w^{(1)}_{%d%d}" % (j, 1)] for j in range(1, 5)}) == 1
    assert len({round(xs["w^{(1)}_{1%d}" % k], 6) for k in range(1, 4)}) == 3


def test_diagram_headers_in_one_style_and_the_specs_own_names():
    net = sb.load(ROOT / "examples" / "wide.toml")
    assert [h for _, h in diagram.forward(net).headers] == [
        r"\text{input}", r"a = \operatorname{ReLU}(z)", "a = z"]
    assert [h for _, h in diagram.backward(net).headers] == [
        r"\partial C / \partial x", r"\times \operatorname{ReLU}'(z)", r"\times 1", r"\partial C / \partial a^{(2)}"]
    soft = sb.load(ROOT / "examples" / "softmax.toml")
    back = diagram.backward(soft)
    assert [h for _, h in back.headers][2] == r"\times \partial a / \partial z"
    assert {n.key: n for n in back.nodes}["b2n3"].above == r"\sum_i \partial a_i / \partial z^{(2)}_{3}"
    assert "softmax′" not in diagram.svg(back, "t") and "Σᵢ ∂aᵢ/∂z⁽²⁾₃" in diagram.svg(back, "t")
    named = diagram.backward(sb.load(ROOT / "examples" / "shared_bias.toml"))
    assert [h for _, h in named.headers][0] == r"\text{inputs}"
    assert [h for _, h in named.headers][-1] == r"\text{from the cost}"
    assert [n.label for n in named.nodes if n.kind == "source"] == [r"\partial C / \partial o_1",
                                                                   r"\partial C / \partial o_2"]


def test_wide_net_gets_weight_tables_and_a_factor_table_per_input():
    d = sb.Network([4, 6, 6, 3], activation="relu", cost="mse").backward()
    text = sb.render(d, "text")
    assert ("The edges into layers 1, 2 and 3 carry no labels (too many to read); the tables below name "
            "the weight on each edge.") in " ".join(text.split())
    assert "The weights into layer 2, on the edges of the drawing:" in text
    assert "  a⁽²⁾₆        w⁽²⁾₆₁  w⁽²⁾₆₂  w⁽²⁾₆₃  w⁽²⁾₆₄  w⁽²⁾₆₅  w⁽²⁾₆₆\n" in text
    factor = text.split("The forward-pass factor")[1].split("Backward pass")[0]
    rows = [line for line in factor.splitlines() if line.startswith("      ")]
    assert len(rows) == 4 + 6 + 6
    assert "      2  w⁽²⁾₁₃, …, w⁽²⁾₆₃          a⁽¹⁾₃\n" in factor
    huge = sb.render(sb.Network([8, 8, 4], activation="sigmoid", cost="mse").backward(), "text")
    assert ("The forward network: each neuron adds its bias and applies its activation. Compact drawing: a "
            "layer of more than 5 units shows its first 2 units, an ellipsis and its last unit; the labels beside the "
            "neurons are left out. The edges into layers 1 and 2 carry no labels (too many to read); there, the "
            "edge from unit k to unit j carries the weight in row j, column k of the layer's weight matrix.") \
        in " ".join(huge.split())


# --- notation and prose ---------------------------------------------------------------------------

def test_lecture_notation_names_targets_and_outputs_alike_in_the_cost_and_its_expansion(run_cli):
    d = sb.load(ROOT / "examples" / "softmax.toml", notation="lecture").backward()
    text = sb.render(d, "text")
    hat = "y\u0302"        # ŷ: y and a combining circumflex, as the names are written
    assert ("The cost of one example, the cross-entropy: C = −Σⱼ {0}ⱼ ln yⱼ; for this network\n\n"
            "  C = -{0}₁·ln(y₁) - {0}₂·ln(y₂) - {0}₃·ln(y₃)\n").format(hat) in text
    tex = sb.render(d, "latex")
    assert r"$C = -\sum_j \hat{y}_j \ln y_j$" in tex
    assert r"\log" not in tex and r"\ln{\left(y_{1} \right)}" in tex
    assert "cost (" not in text and "cross_entropy" not in text


def test_prose_names_costs_and_activations_in_words():
    text = sb.render(sb.load(ROOT / "examples" / "lecture.toml").backward(), "text")
    assert "The cost of one example, the mean squared error: C = ½ Σⱼ (a⁽³⁾ⱼ − yⱼ)²" in text
    assert "Layer 1 (sigmoid)" in text
    leaky = sb.render(sb.Network([1, 1, 1], activation=["leaky_relu", "sigmoid"],
                                 cost="binary_cross_entropy").backward(), "text")
    assert "leaky ReLU (alpha=1/100)" in leaky and "binary cross-entropy" in leaky and "leaky_relu" not in leaky


def test_the_notation_paragraph_speaks_only_of_names_that_appear():
    named = sb.render(sb.load(ROOT / "examples" / "shared_bias.toml").backward(), "text")
    assert "Notation (" not in named and "w_jk" not in named
    assert ("A named neuron h₁ has the pre-activation zₕ₁ and δₕ₁ = ∂C/∂zₕ₁. The other names are the spec's "
            "own.") in " ".join(named.split())
    default = sb.render(sb.load(ROOT / "examples" / "lecture.toml").backward(), "text")
    assert "Notation (layered): w_jk (layer l) is the weight to neuron j" in default
    assert "spec's own" not in default


def test_html_math_has_no_scroll_box_and_space_around_ln():
    from symbackprop.documents.formats import html
    assert "overflow" not in html.STYLE
    out = html.math(r"\hat{y}_{1} \ln{\left(y_{1} \right)}")
    assert '</mover><mrow><mn>1</mn></mrow></msub><mspace width="0.1667em"></mspace><mi>ln</mi>' in out


# --- the vector form equals the scalar form -----------------------------------------------------

@pytest.mark.parametrize("path", [p for p in EXAMPLES if "[point]" in p.read_text() and "[[layers]]" in p.read_text()
                                  and "input_shape" not in p.read_text()],   # layered nets, not a ConvNet
                         ids=lambda p: p.stem)
def test_vector_form_gives_the_scalar_gradients(path):
    d = sb.load(path).backward()
    values = d.evaluate()
    vv = vector.evaluate(d.network, values.numbers)
    assert list(vv.gradients) == list(values.gradients)
    for name, g in values.gradients.items():
        assert vv.gradients[name] == pytest.approx(float(g), rel=1e-12, abs=1e-15), name


def test_vector_form_at_another_point(lecture):
    d = lecture.backward()
    point = {"x_{1}": 0.3, "x_{2}": 0.7, "w^{(2)}_{12}": -0.4, "y_{1}": 1}
    values = d.evaluate(point)
    vv = vector.evaluate(lecture, values.numbers)
    assert vv.delta[3] == pytest.approx([float(values.delta(3, 1)), float(values.delta(3, 2))], rel=1e-12)
    for name, g in values.gradients.items():
        assert vv.gradients[name] == pytest.approx(float(g), rel=1e-12, abs=1e-15)


def test_vector_form_in_the_document(lecture_docs):
    tex = lecture_docs["latex"]
    assert r"\delta^{(l)} &= \bigl((W^{(l+1)})^{\top} \delta^{(l+1)}\bigr) \odot \sigma'(z^{(l)})" in tex
    assert r"\delta^{(3)} &= \begin{pmatrix} 0.145868 \\ {-0.0242093} \end{pmatrix}" in tex
    assert r"\frac{\partial C}{\partial W^{(l)}} &= \delta^{(l)} \, (a^{(l-1)})^{\top}" in tex


# --- snapshot and determinism -------------------------------------------------------------------

def test_lecture_latex_snapshot(lecture_docs):
    """The lecture's LaTeX, checked by hand once; a diff here is a review, not noise."""
    path = SNAPSHOTS / "lecture.tex"
    if os.environ.get("SYMBACKPROP_UPDATE_SNAPSHOTS") == "1":
        path.write_text(lecture_docs["latex"], encoding="utf-8")
    assert lecture_docs["latex"] == path.read_text(encoding="utf-8")


_DIGESTS = """
import hashlib, sys
import symbackprop as sb
for path in sys.argv[1:]:
    d = sb.load(path).backward()
    for fmt in ("latex", "markdown", "html", "json", "text"):
        print(path, fmt, hashlib.sha256(sb.render(d, fmt).encode()).hexdigest())
"""


def test_output_is_byte_identical_across_processes():
    paths = [str(ROOT / "examples" / "shared_bias.toml"), str(ROOT / "examples" / "softmax.toml")]
    runs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", _DIGESTS, *paths], env=env, capture_output=True,
                             text=True, check=True).stdout
        runs.append(out)
    assert runs[0] == runs[1]
    assert len(runs[0].splitlines()) == 10


# --- command line --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_derives_in_every_format(run_cli, path):
    for fmt in FORMATS:
        code, out, err = run_cli("derive", path, "--format", fmt)
        assert (code, err) == (0, ""), fmt
        assert out.endswith("\n") and len(out) > 1000


def test_derive_output_file_is_written_whole(run_cli, tmp_path, lecture_docs):
    target = tmp_path / "lecture.tex"
    code, out, err = run_cli("derive", ROOT / "examples" / "lecture.toml", "-o", target)
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == lecture_docs["latex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lecture.tex"]


def test_failed_derive_leaves_the_output_file_alone(run_cli, tmp_path):
    target = tmp_path / "out.md"
    target.write_text("previous", encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("inputs = 2\n[[layers]]\nunits = 0\n", encoding="utf-8")
    code, out, err = run_cli("derive", bad, "--format", "markdown", "-o", target)
    assert code == 2 and out == ""
    assert err == f"error: {bad}: layers[1].units: expected a positive whole number, got 0\n"
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "out.md"]


def test_unwritable_output_is_one_error_line(run_cli, tmp_path):
    target = tmp_path / "missing" / "out.tex"
    code, out, err = run_cli("derive", ROOT / "examples" / "lecture.toml", "-o", target)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {target}: cannot write: ") and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    pytest.param(["derive", "nope.toml"], "error: nope.toml: no such file\n", id="missing-file"),
    pytest.param(["derive", "examples/lecture.toml", "--format", "json", "--fragment"],
                 "error: --fragment applies to latex, markdown, html, not json\n", id="fragment-json"),
    pytest.param(["derive", "examples/lecture.toml", "--format", "pdf"],
                 "error: argument --format: invalid choice: 'pdf' (choose from 'latex', 'markdown', "
                 "'html', 'json', 'text', 'beamer', 'slides')\n", id="format"),
])
def test_bad_derive_input_is_one_error_line(run_cli, argv, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run_cli(*argv)
    assert (code, out, err) == (2, "", message)


def test_notation_override(run_cli):
    code, out, _ = run_cli("derive", ROOT / "examples" / "lecture.toml", "--notation", "lecture")
    assert code == 0
    assert (r"  \frac{\partial C}{\partial z_{3}} &= \sigma'\left(z_{3}\right) \left(w_{9} "
            r"\frac{\partial C}{\partial z_{5}} + w_{11} \frac{\partial C}{\partial z_{6}}\right)") in out
    assert r"\hat{y}_{1}" in out
    code, out, _ = run_cli("derive", ROOT / "examples" / "lecture.toml", "--notation", "bracket",
                           "--format", "text")
    assert "  δ^[3]₁ = σ′(z^[3]₁)·(a^[3]₁ - y₁) = 0.145868\n" in out
    assert sb.load(ROOT / "examples" / "lecture.toml", notation="bracket").notation.style == "bracket"
