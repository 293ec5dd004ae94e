"""Self-attention (the ``[attention]`` builder): every gradient and adjoint of the graph's
sweep against an independent NumPy implementation of the matrix formulas of the backward
pass, and against torch autograd where torch is installed; the names DESIGN.md fixes; the
three-way check; the spec's shape errors."""

import math

import numpy as np
import pytest
from conftest import EXAMPLES

import symbackprop as sb

PLAIN = EXAMPLES / "attention.toml"
CAUSAL = EXAMPLES / "attention_causal.toml"


def matrices(head, values):
    """X, W_Q, W_K, W_V (and W_O, b_O, Y) as arrays from the head's values."""
    def grid(name):
        rows = head.matrices[name]
        return np.array([[float(values[s]) for s in row] for row in rows])
    out = {name: grid(name) for name in ("X", "W_Q", "W_K", "W_V", "Y")}
    if head.outputs is not None:
        out["W_O"], out["b_O"] = grid("W_O"), grid("b_O")[:, 0]
    return out


def numpy_backward(m, causal, d_k):
    """The forward pass and the backward pass in matrix form (the formulas the document
    states: dV = Aᵀ dO, dS = A ⊙ (dA − rowsum(dA ⊙ A)), dQ = dS K / √d_k, dK = dSᵀ Q / √d_k)."""
    X = m["X"]
    Q, K, V = X @ m["W_Q"], X @ m["W_K"], X @ m["W_V"]
    S = Q @ K.T / math.sqrt(d_k)
    if causal:
        S = np.where(np.triu(np.ones_like(S), 1) > 0, -np.inf, S)
    E = np.exp(S - S.max(axis=1, keepdims=True))
    A = E / E.sum(axis=1, keepdims=True)
    O = A @ V
    g = {}
    if "W_O" in m:  # a = σ(O W_Oᵀ + b_O), C = ½ Σ (a − y)²
        a = 1 / (1 + np.exp(-(O @ m["W_O"].T + m["b_O"])))
        dZ = (a - m["Y"]) * a * (1 - a)
        g["W_O"], g["b_O"] = dZ.T @ O, dZ.sum(axis=0)
        dO = dZ @ m["W_O"]
    else:           # C = ½ Σ (O − y)²
        dO = O - m["Y"]
    dV = A.T @ dO
    dA = dO @ V.T
    dS = A * (dA - (dA * A).sum(axis=1, keepdims=True))
    dQ = dS @ K / math.sqrt(d_k)
    dK = dS.T @ Q / math.sqrt(d_k)
    g.update(W_Q=X.T @ dQ, W_K=X.T @ dK, W_V=X.T @ dV)
    return {"A": A, "dO": dO, "dV": dV, "dA": dA, "dS": dS, "dQ": dQ, "dK": dK}, g


@pytest.fixture(scope="module", params=[PLAIN, CAUSAL], ids=["plain", "causal"])
def case(request):
    head = sb.load(request.param)
    return head, head.backward().evaluate()


def test_gradients_equal_the_matrix_formulas(case):
    head, v = case
    m = matrices(head, head.values)
    inner, grads = numpy_backward(m, head.mask == "causal", head.d_k)
    for name, expected in grads.items():
        got = np.array([[v.gradients[s.name] for s in row] for row in head.matrices[name]])
        np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-12, atol=1e-14,
                                   err_msg=name)
    for matrix in ("V", "Q", "K", "O"):
        got = np.array([[v.adjoints[s.name] for s in row] for row in head.matrices[matrix]])
        np.testing.assert_allclose(got, inner["d" + matrix], rtol=1e-12, atol=1e-14, err_msg=matrix)
    for matrix in ("A", "S"):   # masked entries are no nodes; the matrix form has dS = 0 there
        for t, row in enumerate(head.matrices[matrix]):
            for s, sym in enumerate(row):
                if sym is None:
                    assert head.masked(t + 1, s + 1) and inner["A"][t, s] == 0 and inner["dS"][t, s] == 0
                else:
                    assert v.adjoints[sym.name] == pytest.approx(inner["d" + matrix][t, s], rel=1e-12, abs=1e-14)
                    assert v[head.A(t + 1, s + 1).name] == pytest.approx(inner["A"][t, s], rel=1e-14)


def test_gradients_equal_torch_autograd(case):
    torch = pytest.importorskip("torch")
    head, v = case
    m = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in matrices(head, head.values).items()}
    X = m["X"]
    S = (X @ m["W_Q"]) @ (X @ m["W_K"]).T / math.sqrt(head.d_k)
    if head.mask == "causal":
        S = S.masked_fill(torch.triu(torch.ones(head.tokens, head.tokens, dtype=torch.bool), 1), float("-inf"))
    O = torch.softmax(S, dim=1) @ (X @ m["W_V"])
    if head.outputs is not None:
        O = torch.sigmoid(O @ m["W_O"].T + m["b_O"])
    (0.5 * ((O - m["Y"]) ** 2).sum()).backward()
    for name in ("W_Q", "W_K", "W_V") + (("W_O", "b_O") if head.outputs else ()):
        got = np.array([[v.gradients[s.name] for s in row] for row in head.matrices[name]])
        np.testing.assert_allclose(got.reshape(m[name].shape), m[name].grad.numpy(), rtol=1e-12, atol=1e-14)


def test_names_are_those_of_the_design():
    head = sb.load(CAUSAL)
    assert [p.name for p in head.parameters] == (
        [f"W^{{(Q)}}_{{{i}{k}}}" for i in (1, 2) for k in (1, 2)]
        + [f"W^{{(K)}}_{{{i}{k}}}" for i in (1, 2) for k in (1, 2)]
        + [f"W^{{(V)}}_{{{i}{k}}}" for i in (1, 2) for k in (1, 2)]
        + ["W^{(O)}_{11}", "W^{(O)}_{12}", "b^{(O)}_{1}"])
    assert [x.name for x in head.inputs] == [f"x_{{{t},{i}}}" for t in (1, 2, 3) for i in (1, 2)]
    assert [y.name for y in head.targets] == ["y_{1,1}", "y_{2,1}", "y_{3,1}"]
    assert head.kind == "attention" and head.roles[head.A(3, 2)] == ("A", 3, 2)
    assert head.A(1, 2) is None and head.S(1, 3) is None and head.A(2, 2).name == "A_{2,2}"


def test_causal_rows_leave_out_later_tokens():
    head = sb.load(CAUSAL)
    assert [[s is not None for s in row] for row in head.matrices["A"]] == [
        [True, False, False], [True, True, False], [True, True, True]]
    # the second row's softmax is over S_{2,1} and S_{2,2} only, and O_{2,k} sums two terms
    assert str(head.nodes[head.A(2, 1)].expr) == "softmax_1(S_{2,1}, S_{2,2})"
    assert str(head.nodes[head.entry("O", 2, 1)].expr) == "A_{2,1}*V_{1,1} + A_{2,2}*V_{2,1}"


def test_softmax_jacobian_comes_from_the_rule_table():
    d = sb.load(PLAIN).backward()
    assert str(d.adjoint("S_{3,1}")) == ("∂C/∂S₃,₁ = A₃,₁·(1 - A₃,₁)·∂C/∂A₃,₁ - A₃,₁·A₃,₂·∂C/∂A₃,₂ "
                                        "- A₃,₁·A₃,₃·∂C/∂A₃,₃")
    assert str(d.gradient("W^{(V)}_{11}")) == "∂C/∂W^(V)₁₁ = x₁,₁·∂C/∂V₁,₁ + x₂,₁·∂C/∂V₂,₁ + x₃,₁·∂C/∂V₃,₁"


def test_three_way_check_and_compiled_code_agree():
    head = sb.load(CAUSAL)
    d = head.backward()
    report = d.check()
    assert report.passed
    v = d.evaluate()
    out = d.compile()({})
    assert out.cost == pytest.approx(v.cost, rel=1e-14) and v.cost == pytest.approx(0.2895761913117177, rel=1e-14)
    for name, value in v.gradients.items():
        assert out.gradients[name] == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_check_answer_on_a_value_weight():
    head = sb.load(PLAIN)

    spelled = (r"x_{1,1} \frac{\partial C}{\partial V_{1,1}} + x_{2,1} \frac{\partial C}{\partial V_{2,1}}"
               r" + x_{3,1} \frac{\partial C}{\partial V_{3,1}}")
    assert sb.check_answer(head, "W^{(V)}_{11}", spelled).verdict == "equivalent"
    one_token = r"x_{1,1} \frac{\partial C}{\partial V_{1,1}}"
    assert sb.check_answer(head, "W^{(V)}_{11}", one_token).verdict == "not_equivalent"



def test_the_python_builder_matches_the_spec():
    spec = sb.load(PLAIN)
    head = sb.Attention(tokens=3, d_model=2, d_k=2, d_v=2, values=spec.values)
    assert head.describe() == "Attention(tokens=3, d_model=2, d_k=2, d_v=2, mask=None, cost=mse)"
    assert head.backward().evaluate().gradients == spec.backward().evaluate().gradients


@pytest.mark.parametrize("change, message", [
    pytest.param({"W_Q": [[1, 0], [0, 1], [1, 1]]},
                 "spec: attention.W_Q: W_Q is d_model × d_k = 2 × 2, got 3 × 2", id="W_Q-rows"),
    pytest.param({"W_V": [[1, 0, 2], [0, 1, 2]]},
                 "spec: attention.W_V: W_V is d_model × d_v = 2 × 2, got 2 × 3", id="W_V-columns"),
    pytest.param({"W_O": [[1, 0, 1]]},
                 "spec: attention.W_O: W_O is outputs × d_v = 1 × 2, got 1 × 3", id="W_O"),
    pytest.param({"mask": "future"}, "spec: attention.mask: expected \"causal\" (or no mask), got future",
                 id="mask"),
    pytest.param({"d_k": 0}, "spec: attention.d_k: expected a positive whole number, got 0", id="d_k"),
])
def test_wrong_shapes_name_the_matrix_and_the_sizes(change, message):
    table = {"tokens": 3, "d_model": 2, "d_k": 2, "d_v": 2, **change}
    with pytest.raises(sb.SpecError) as info:
        sb.load({"attention": table})
    assert str(info.value) == message


def test_a_point_of_the_wrong_shape_is_one_error_line(run_cli, tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(PLAIN.read_text().replace("x = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]", "x = [[1.0, 0.0]]"))
    code, out, err = run_cli("eval", spec)
    assert (code, out) == (2, "")
    assert err == f"error: {spec}: point.x: x is tokens × d_model = 3 × 2, got 1 × 2\n"


def test_a_log_cost_needs_a_probability_output():
    with pytest.raises(sb.SpecError, match="cost cross_entropy takes the logarithm"):
        sb.Attention(tokens=2, d_model=1, d_k=1, cost="cross_entropy")


def test_the_docstring_examples_run(monkeypatch):
    import doctest
    import importlib

    from conftest import ROOT
    monkeypatch.chdir(ROOT)
    module = importlib.import_module("symbackprop.builders.attention")
    result = doctest.testmod(module, extraglobs={"sb": sb}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 14 and result.failed == 0


# --- the document -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def causal_text():
    return sb.render(sb.load(CAUSAL).backward(), "text", check=False)


def test_the_story_writes_the_softmax_jacobian_once_and_the_matrix_form(causal_text):
    assert causal_text.count("∂A_ij/∂S_ik = A_ij (δ_jk − A_ik)") == 1
    for line in ("dV = Aᵀ dO   (T × d_v)", "dA = dO Vᵀ   (T × T)", "dS = A ⊙ (dA − rowsum(dA ⊙ A))   (T × T)",
                 "dQ = dS K / √d_k   (T × d_k)", "dK = dSᵀ Q / √d_k   (T × d_k)", "dW_Q = Xᵀ dQ   (d_model × d_k)"):
        assert "\n  %s\n" % line in causal_text, line
    # index forms from the graph's sums, and the graph's own entries below them
    assert "  ∂C/∂Sₜ,ₛ = A_{t,s} (∂C/∂A_{t,s} − Σ_{s'} A_{t,s'} ∂C/∂A_{t,s'})" in causal_text
    assert "  ∂C/∂V₃,₁ = A₃,₃·∂C/∂O₃,₁ = -0.0157581\n" in causal_text
    # the masked entries are named and left out
    assert "The entries S₁,₂, S₁,₃, S₂,₃ and the same entries of A are left out" in " ".join(causal_text.split())
    assert "S₁,₂ =" not in causal_text and "∂C/∂A₁,₂" not in causal_text


def test_the_story_states_the_numeric_check_of_the_matrix_form(causal_text):
    assert ("computed with these matrix products from the forward values and dO equal the graph's sums to "
            "12 significant digits in all 45 entries.") in " ".join(causal_text.split())


def test_the_matrix_check_says_when_the_sums_differ():
    from symbackprop.documents.stories.attention import AttentionStory
    head = sb.load(PLAIN)
    story = AttentionStory(head.backward(), check=False)
    assert story.matrix_check()[-1] == "equal the graph's sums to 12 significant digits in all 48 entries."
    dv = head.adjoint_symbol(head.entry("V", 2, 1))
    story.values.numbers[dv] = story.values.numbers[dv] * (1 + 1e-6)
    assert story.matrix_check()[-1].startswith("differ from the graph's sums: the largest relative difference is 1e-06")


def test_the_matrix_form_equals_the_independent_numpy_route():
    from symbackprop.numeric.attention import matrix_backward
    head = sb.load(CAUSAL)
    ours, theirs = matrix_backward(head, head.backward().evaluate())
    inner, grads = numpy_backward(matrices(head, head.values), True, head.d_k)
    np.testing.assert_allclose(ours["dS"], inner["dS"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(ours["dW_Q"], grads["W_Q"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(theirs["dK"], inner["dK"], rtol=1e-12, atol=1e-16)


def test_the_pictures_show_a_its_masked_cells_and_the_adjoints():
    from symbackprop.documents.pictures import attention as picture
    head = sb.load(CAUSAL)
    values = head.backward().evaluate()
    grids = picture.figure(head, values)
    A = next(p for _, _, p in grids.panels if p.title[1] == "A (3 × 3)")
    assert [[text for _, text in row] for row in A.cells] == [
        ["1.000", None, None], ["0.507", "0.493", None], ["0.403", "0.264", "0.333"]]
    tex = picture.tikz(grids)
    assert tex.count(r"\fill[black!15]") == 3
    dS = next(p for _, _, p in picture.gradients(head, values).panels if p.title[1].startswith("∂C/∂S"))
    assert dS.title[1] == "∂C/∂S (3 × 3), ×10⁻²"
    assert [text for _, text in dS.cells[1]] == ["3.27", "-3.27", None]
    # every panel inside the picture, none overlapping, every number at most 6 characters
    boxes = [(x, y, x + p.size[0], y + p.size[1]) for x, y, p in grids.panels]
    assert all(0 <= a[0] and a[2] <= grids.width + 1e-9 for a in boxes)
    assert all(a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
               for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert max(len(t) for _, _, p in grids.panels for row in p.cells for _, t in row if t) <= 6


def test_without_values_the_document_is_symbolic_and_cells_show_names():
    head = sb.Attention(tokens=2, d_model=1, d_k=1, mask="causal")
    doc = sb.render(head.backward(), "text")
    assert "numeric check" not in doc and "∂A_ij/∂S_ik = A_ij (δ_jk − A_ik)" in doc
    from symbackprop.documents.pictures import attention as picture
    grids = picture.figure(head, None)
    assert [t for _, t in grids.panels[3][2].cells[1]] == ["A₂,₁", "A₂,₂"]


def test_json_describes_the_head():
    import json
    doc = json.loads(sb.render(sb.load(CAUSAL).backward(), "json", check=False))
    head = doc["attention"]
    assert (head["kind"], head["tokens"], head["d_k"], head["mask"], head["outputs"]) == ("attention", 3, 2, "causal", 1)
    assert head["matrices"]["A"] == [["A_{1,1}", None, None], ["A_{2,1}", "A_{2,2}", None],
                                     ["A_{3,1}", "A_{3,2}", "A_{3,3}"]]
    assert head["matrices"]["W_O"] == [["W^{(O)}_{11}", "W^{(O)}_{12}"]]


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_the_latex_document_compiles(engine, tmp_path, causal_latex):
    from conftest import require_tool
    require_tool(engine)
    from test_render_tools import compile_tex
    log = compile_tex(engine, causal_latex, tmp_path, "attention")
    assert "Overfull" not in log


@pytest.fixture(scope="module")
def causal_latex():
    return sb.render(sb.load(CAUSAL).backward(), "latex", check=False)


def test_the_html_document_has_both_pictures():
    html = sb.render(sb.load(CAUSAL).backward(), "html", check=False)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="grids attention"') == 1
    assert html.count('class="grids attention-gradients"') == 1
    for fmt in ("markdown",):
        assert sb.render(sb.load(CAUSAL).backward(), fmt, check=False).count("<svg") == 2


def test_check_on_the_command_line_names_a_diagonal_only_softmax_wrong(run_cli):
    full = (r"A_{3,1} (\frac{\partial C}{\partial A_{3,1}} - A_{3,1} \frac{\partial C}{\partial A_{3,1}}"
            r" - A_{3,2} \frac{\partial C}{\partial A_{3,2}} - A_{3,3} \frac{\partial C}{\partial A_{3,3}})")
    code, out, err = run_cli("check", CAUSAL, "--wrt", "S_{3,1}", "--answer", full)
    assert (code, err) == (0, "") and out.startswith("S_{3,1}: equivalent")
    diagonal = r"A_{3,1} (1 - A_{3,1}) \frac{\partial C}{\partial A_{3,1}}"
    code, out, err = run_cli("check", CAUSAL, "--wrt", "S_{3,1}", "--answer", diagonal)
    assert (code, err) == (1, "") and out.startswith("S_{3,1}: not equivalent")
    assert "answer = -0.01517823163, expected = -0.008604948688" in out


@pytest.mark.parametrize("wrt, answer, code", [
    pytest.param("S_{3,1}", r"A_{3,1} (1 - A_{3,1}) \frac{\partial C}{\partial A_{3,1}}", "softmax_diagonal_only",
                 id="diagonal-only"),
    pytest.param("Q_{3,1}", r"K_{1,1} \frac{\partial C}{\partial S_{3,1}} + K_{2,1} \frac{\partial C}{\partial S_{3,2}}"
                 r" + K_{3,1} \frac{\partial C}{\partial S_{3,3}}", "missing_scale", id="no-scale-Q"),
    pytest.param("K_{1,1}", r"Q_{1,1} \frac{\partial C}{\partial S_{1,1}} + Q_{2,1} \frac{\partial C}{\partial S_{2,1}}"
                 r" + Q_{3,1} \frac{\partial C}{\partial S_{3,1}}", "missing_scale", id="no-scale-K"),
])
def test_the_attention_mistakes_are_named(wrt, answer, code):
    verdict = sb.check_answer(sb.load(CAUSAL), wrt, answer)
    assert (verdict.verdict, verdict.diagnosis) == ("not_equivalent", code)
    from symbackprop.answers.feedback import SENTENCES, sentence
    assert sentence(code) == SENTENCES[code]


def test_the_scaled_answer_is_right():
    right = (r"\frac{1}{\sqrt{2}} (Q_{1,1} \frac{\partial C}{\partial S_{1,1}} + Q_{2,1} \frac{\partial C}{\partial S_{2,1}}"
             r" + Q_{3,1} \frac{\partial C}{\partial S_{3,1}})")
    assert sb.check_answer(sb.load(CAUSAL), "K_{1,1}", right).verdict == "equivalent"
