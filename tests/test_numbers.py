"""--numbers (each formula in symbols, with the numbers substituted, and its value), one
gradient-descent step (--learning-rate, --hold) and derive's format from the -o extension.

The reference is Matt Mazur's worked example, "A Step by Step Backpropagation Example":
a 2-2-2 sigmoid network with squared error, one bias shared by each layer, η = 0.5, the
biases held fixed. examples/shared_bias.toml is that network."""

import json
import math
import re
from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.errors import RenderError, SpecError

from conftest import require_tool
from test_render_tools import CHROMIUM, CHROMIUM_ARGS, compile_tex

ROOT = Path(__file__).resolve().parent.parent
MAZUR = ROOT / "examples" / "shared_bias.toml"

#: Mazur's published values after one step (his post prints them to 8-9 digits).
PUBLISHED = {"w_1": 0.149780716, "w_2": 0.19956143, "w_3": 0.24975114, "w_4": 0.29950229,
             "w_5": 0.35891648, "w_6": 0.408666186, "w_7": 0.511301270, "w_8": 0.561370121}


# --- an independent reference: the network in plain Python ---------------------------------

def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def mazur_forward(p):
    """(h, o, cost) of Mazur's network for the parameter dict p (w_1 … w_8, b_1, b_2)."""
    i1, i2, t1, t2 = 0.05, 0.10, 0.01, 0.99
    h1 = _sigmoid(p["w_1"] * i1 + p["w_2"] * i2 + p["b_1"])
    h2 = _sigmoid(p["w_3"] * i1 + p["w_4"] * i2 + p["b_1"])
    o1 = _sigmoid(p["w_5"] * h1 + p["w_6"] * h2 + p["b_2"])
    o2 = _sigmoid(p["w_7"] * h1 + p["w_8"] * h2 + p["b_2"])
    return (h1, h2), (o1, o2), 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2


def mazur_gradients(p):
    """Every ∂E/∂p by the chain rule as his post writes it out, the shared biases summed."""
    i1, i2, t1, t2 = 0.05, 0.10, 0.01, 0.99
    (h1, h2), (o1, o2), _ = mazur_forward(p)
    d_o1 = (o1 - t1) * o1 * (1 - o1)
    d_o2 = (o2 - t2) * o2 * (1 - o2)
    d_h1 = (d_o1 * p["w_5"] + d_o2 * p["w_7"]) * h1 * (1 - h1)
    d_h2 = (d_o1 * p["w_6"] + d_o2 * p["w_8"]) * h2 * (1 - h2)
    return {"w_1": d_h1 * i1, "w_2": d_h1 * i2, "w_3": d_h2 * i1, "w_4": d_h2 * i2,
            "w_5": d_o1 * h1, "w_6": d_o1 * h2, "w_7": d_o2 * h1, "w_8": d_o2 * h2,
            "b_1": d_h1 + d_h2, "b_2": d_o1 + d_o2}


START = {"w_1": 0.15, "w_2": 0.20, "w_3": 0.25, "w_4": 0.30, "w_5": 0.40, "w_6": 0.45,
         "w_7": 0.50, "w_8": 0.55, "b_1": 0.35, "b_2": 0.60}


def reference_step(eta, held=()):
    g = mazur_gradients(START)
    after = {n: v if n in held else v - eta * g[n] for n, v in START.items()}
    return after, mazur_forward(after)[2]


@pytest.fixture(scope="module")
def mazur():
    return sb.load(MAZUR).backward()


# --- the example is Mazur's network ----------------------------------------------------------

def test_the_shared_bias_example_is_mazurs_network(mazur):
    v = mazur.evaluate()
    assert v["z_{h_1}"] == pytest.approx(0.3775, abs=1e-15)
    assert float(v["h_1"]) == pytest.approx(0.593269992, abs=5e-10)
    assert float(v["o_1"]) == pytest.approx(0.75136507, abs=5e-9)
    assert float(v["o_2"]) == pytest.approx(0.772928465, abs=5e-10)
    assert float(v.cost) == pytest.approx(0.298371109, abs=5e-10)
    assert float(v.gradients["w_5"]) == pytest.approx(0.082167041, abs=5e-10)
    assert float(v.gradients["w_1"]) == pytest.approx(0.000438568, abs=5e-10)
    for name, g in mazur_gradients(START).items():
        assert float(v.gradients[name]) == pytest.approx(g, rel=1e-12, abs=1e-15)


# --- one step of gradient descent ---------------------------------------------------------------

def test_one_step_with_the_biases_held_reproduces_mazurs_weights(mazur):
    s = mazur.step(0.5, hold="b_1,b_2")
    assert s.held == ("b_1", "b_2")
    for name, published in PUBLISHED.items():
        digits = len(repr(published).split(".")[1])
        assert round(float(s.after[name]), digits) == published, name
    assert s.after["b_1"] == 0.35 and s.after["b_2"] == 0.6
    assert round(float(s.cost_before), 9) == 0.298371109
    assert round(float(s.cost_after), 7) == 0.2910278


def test_one_step_matches_a_plain_python_reference(mazur):
    for held in ((), ("b_1", "b_2")):
        after, cost = reference_step(0.5, held)
        s = mazur.step(0.5, hold=list(held))
        assert float(s.cost_after) == pytest.approx(cost, rel=1e-12)
        for name, value in after.items():
            assert float(s.after[name]) == pytest.approx(value, rel=1e-12), name
    s = mazur.step(0.5)
    assert round(float(s.cost_after), 9) == round(reference_step(0.5)[1], 9) == 0.285750887
    assert s.cost_after < mazur.step(0.5, hold="biases").cost_after < s.cost_before


def test_hold_takes_names_and_the_group_words(mazur):
    assert mazur.step(0.5, hold="biases").after == mazur.step(0.5, hold=["b_1", "b_2"]).after
    weights = mazur.step(0.5, hold="weights")
    assert weights.held == tuple(n for n in START if n.startswith("w"))
    assert [n for n, v in weights.after.items() if v != weights.before[n]] == ["b_1", "b_2"]
    assert mazur.step(0.5, hold="w_{5}").held == ("w_5",)     # braces may be left out or added


def test_hold_names_an_unknown_parameter_with_close_matches(mazur):
    with pytest.raises(SpecError) as exc:
        mazur.step(0.5, hold="b_3")
    assert str(exc.value) == "--hold: unknown parameter 'b_3'; did you mean w_3, b_2 or b_1?"
    with pytest.raises(SpecError) as exc:
        mazur.step(0.5, hold="i_1")
    assert str(exc.value) == "--hold 'i_1': is an input, not a parameter; only parameters are updated"


def test_learning_rate_must_be_a_positive_number(mazur):
    for bad, message in ((0, "learning rate: expected a positive number, got 0"),
                         ("fast", "learning rate: expected a number, got 'fast'")):
        with pytest.raises(SpecError) as exc:
            mazur.step(bad)
        assert str(exc.value) == message


def test_a_step_needs_values(run_cli):
    code, out, err = run_cli("derive", ROOT / "examples" / "wide.toml", "--learning-rate", "0.1")
    assert (code, out) == (2, "")
    assert err.startswith("error: a gradient-descent step needs a value for every input, target and parameter: "
                          "no value for x_{1}, x_{2}, x_{3}, y_{1}, y_{2}, w^{(1)}_{11}") and err.count("\n") == 1


def test_a_graph_without_parameters_has_nothing_to_step():
    with pytest.raises(SpecError, match="this graph has none"):
        sb.load(ROOT / "examples" / "circuit.toml").backward().step(0.1)


def test_a_mini_batch_steps_along_its_summed_gradient():
    net = sb.load(ROOT / "examples" / "minibatch.toml")
    d = net.backward()
    s = d.step(0.5)
    batch = d.evaluate()
    assert s.examples == 3
    for p in net.parameters:
        summed = sum(float(v.gradients[p.name]) for v in batch.examples)
        assert float(s.after[p.name]) == pytest.approx(float(net.values[p]) - 0.5 * summed, rel=1e-13)
    moved = {p: s.after[p.name] for p in net.parameters}
    after = sum(float(d.evaluate({**pt, **moved}).cost) for pt in net.points)
    assert float(s.cost_after) == pytest.approx(after, rel=1e-13)
    assert float(s.cost_after) < float(s.cost_before) == pytest.approx(float(batch.cost))


def test_an_exact_spec_steps_exactly(tmp_path):
    spec = tmp_path / "exact.toml"
    spec.write_text('inputs = 1\ncost = "mse"\n[[layers]]\nunits = 1\nactivation = "identity"\n'
                    'W = [[2]]\nb = [1]\n[point]\nx = [3]\ny = [4]\n')
    s = sb.load(spec).backward().step("1/10")
    # z = 2·3 + 1 = 7, ∂C/∂w = x (z − y) = 9, ∂C/∂b = 3: w = 2 − 9/10, b = 1 − 3/10
    from fractions import Fraction
    assert s.after == {"w^{(1)}_{11}": Fraction(11, 10), "b^{(1)}_{1}": Fraction(7, 10)}
    assert s.cost_after == Fraction(1, 2) * (Fraction(11, 10) * 3 + Fraction(7, 10) - 4) ** 2


def test_eval_json_adds_the_update_object(run_cli):
    code, out, err = run_cli("eval", MAZUR, "--json", "--learning-rate", "0.5", "--hold", "b_1,b_2")
    assert (code, err) == (0, "")
    update = json.loads(out)["update"]
    assert list(update) == ["learning_rate", "parameters", "cost_after"]
    assert update["learning_rate"] == 0.5
    assert list(update["parameters"]) == ["w_1", "w_2", "b_1", "w_3", "w_4", "w_5", "w_6", "b_2", "w_7", "w_8"]
    after, cost = reference_step(0.5, ("b_1", "b_2"))
    assert update["parameters"] == pytest.approx(after, rel=1e-12)
    assert update["cost_after"] == pytest.approx(cost, rel=1e-12)
    code, out, _ = run_cli("eval", MAZUR, "--json")
    assert "update" not in json.loads(out)


def test_eval_prints_the_step(run_cli):
    code, out, err = run_cli("eval", MAZUR, "--learning-rate", "0.5", "--hold", "biases")
    assert code == 0
    tail = out.splitlines()[-12:]
    assert tail[0] == "One step of gradient descent, η = 0.5: p ← p − η ∂C/∂p (held: b₁, b₂)"
    assert tail[6] == "  w₅            0.4 →      0.358916"
    assert tail[3] == "  b₁           0.35 →          held"
    assert tail[-1] == "Cost before: C = 0.298371; after: C = 0.291028"


@pytest.mark.parametrize("argv, message", [
    (("--learning-rate", "0.5", "--hold", "w_9"), "error: --hold: unknown parameter 'w_9'; did you mean "),
    (("--hold", "b_1"), "error: --hold keeps parameters fixed during a step: give --learning-rate too\n"),
    (("--learning-rate", "-1"), "error: learning rate: expected a positive number, got -1\n"),
])
def test_step_errors_are_one_line_and_write_nothing(run_cli, tmp_path, argv, message):
    for command in (("eval", MAZUR), ("derive", MAZUR, "-o", tmp_path / "out.tex")):
        code, out, err = run_cli(*command, *argv)
        assert (code, out) == (2, "")
        assert err.startswith(message) and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


# --- the numbers, step by step ---------------------------------------------------------------------

def test_numbers_write_each_formula_three_ways_in_latex(mazur):
    tex = sb.render(mazur, "latex", numbers=True)
    section = tex[tex.index(r"\section{The numbers, step by step}"):tex.index(r"\section{Vector form}")]
    for line in (
        r"z_{h_1} &= w_1 i_1 + w_2 i_2 + b_1 = 0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 = 0.3775",
        r"z_{o_1} &= w_5 h_1 + w_6 h_2 + b_2 = 0.4 \cdot 0.59327 + 0.45 \cdot 0.596884 + 0.6 = 1.10591",
        r"h_1 &= \sigma\left(z_{h_1}\right) = \sigma\left(0.3775\right) = 0.59327",
        r"\frac{\partial C}{\partial o_1} &= o_1 - t_1 = 0.751365 - 0.01 = 0.741365",
        r"\delta_{o_1} &= \sigma'\left(z_{o_1}\right) \left(o_1 - t_1\right) = 0.186816 \cdot "
        r"\left(0.751365 - 0.01\right) = 0.138499",
        # too wide for one line: the symbols, then the arithmetic on a line of its own
        r"\delta_{h_1} &= \sigma'\left(z_{h_1}\right) \left(w_5 \delta_{o_1} + w_7 \delta_{o_2}\right) \\" "\n"
        r"  &\quad = 0.241301 \cdot \left(0.4 \cdot 0.138499 + 0.5 \cdot ({-0.0380982})\right) = 0.00877135",
        r"\frac{\partial C}{\partial w_5} &= h_1 \delta_{o_1} = 0.59327 \cdot 0.138499 = 0.082167",
        r"\frac{\partial C}{\partial b_2} &= \delta_{o_1} + \delta_{o_2} = 0.138499 + ({-0.0380982}) = 0.1004",
    ):
        assert line in section, line
    # every δ and every gradient, once each
    assert section.count(r"\delta_{") and len(re.findall(r"^  \\delta_\{[oh]_\d\} &=", section, re.M)) == 4
    assert len(re.findall(r"^  \\frac\{\\partial C\}\{\\partial [wb]_\d\} &=", section, re.M)) == 10
    assert r"\section{The numbers" not in sb.render(mazur, "latex")


def test_numbers_in_every_format(mazur):
    text = sb.render(mazur, "text", numbers=True)
    assert "  zₕ₁ = w₁·i₁ + w₂·i₂ + b₁ = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775\n" in text
    assert "  δₒ₁ = σ′(zₒ₁)·(o₁ - t₁) = 0.186816·(0.751365 - 0.01) = 0.138499\n" in text
    assert "  ∂C/∂w₅ = h₁·δₒ₁ = 0.59327·0.138499 = 0.082167\n" in text
    markdown = sb.render(mazur, "markdown", numbers=True)
    assert r"w_1 i_1 + w_2 i_2 + b_1 = 0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35 = 0.3775" in markdown
    html = sb.render(mazur, "html", numbers=True)
    assert "<h2>The numbers, step by step</h2>" in html
    assert html.count("<mn>0.3775</mn>") == sb.render(mazur, "html").count("<mn>0.3775</mn>") + 2
    formulas = {f["symbol"]: f for f in json.loads(sb.render(mazur, "json", numbers=True))["formulas"]}
    assert formulas["z_{h_1}"]["substituted"] == {"latex": r"0.05 \cdot 0.15 + 0.1 \cdot 0.2 + 0.35",
                                                  "text": "0.05·0.15 + 0.1·0.2 + 0.35"}
    assert formulas[r"\frac{\partial C}{\partial w_5}"]["substituted"]["text"] == "0.59327·0.138499"
    assert formulas[r"\delta_{o_1}"]["substituted"]["text"] == "0.186816·(0.751365 - 0.01)"
    assert "substituted" not in json.loads(sb.render(mazur, "json"))["formulas"][0]


def test_numbers_on_a_graph():
    text = sb.render(sb.load(ROOT / "examples" / "sigmoid_neuron.toml").backward(), "text", numbers=True)
    section = text[text.index("The numbers, step by step"):]
    assert "  z = w₀·x₀ + w₁·x₁ + w₂ = 2·(-1) + (-3)·(-2) + (-3) = 1\n" in section
    assert "  ∂f/∂f = 1\n" in section                     # a constant: nothing to substitute
    assert "  ∂f/∂z = σ′(z) = 0.196612\n" in section      # a lone amplifier: its value once
    assert "  ∂f/∂w₂ = ∂f/∂z = 0.196612\n" in section
    assert "  f = σ(z) = σ(1) = 0.731059\n" in section
    assert "  ∂f/∂w₀ = x₀·∂f/∂z = (-1)·0.196612 = -0.196612\n" in section


def test_a_negative_argument_keeps_one_pair_of_parentheses():
    text = sb.render(sb.load(ROOT / "examples" / "lecture.toml").backward(), "text", numbers=True)
    assert "  a⁽¹⁾₂ = σ(z⁽¹⁾₂) = σ(-2) = 0.119203\n" in text
    assert "  z⁽²⁾₂ = w⁽²⁾₂₁·a⁽¹⁾₁ + w⁽²⁾₂₂·a⁽¹⁾₂ + b⁽²⁾₂ = (-2)·0.982014 + (-1)·0.119203 + 0 = -2.08323\n" in text


def test_numbers_of_a_mini_batch_show_its_first_example():
    text = sb.render(sb.load(ROOT / "examples" / "minibatch.toml").backward(), "text", numbers=True)
    assert "The mini-batch's first example of 3 is shown" in text.replace("\n", " ")
    assert "  z⁽¹⁾₁ = w⁽¹⁾₁₁·x₁ + w⁽¹⁾₁₂·x₂ + b⁽¹⁾₁ = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775\n" in text


def test_numbers_without_values_are_an_error(run_cli, tmp_path):
    target = tmp_path / "wide.tex"
    code, out, err = run_cli("derive", ROOT / "examples" / "wide.toml", "--numbers", "-o", target)
    assert (code, out) == (2, "")
    assert err.startswith("error: --numbers needs a value for every input, target and parameter: no value for x_{1}")
    assert err.count("\n") == 1 and not target.exists()


def test_the_update_section(mazur):
    text = sb.render(mazur, "text", numbers=True, learning_rate=0.5, hold="b_1,b_2")
    section = text[text.index("One step of gradient descent"):]
    assert "With the learning rate η = 0.5, every parameter moves against its gradient" in section
    assert "Held fixed: b₁, b₂." in section.replace("\n", " ")
    assert "  w₅⁺ = w₅ - η·∂C/∂w₅ = 0.4 - 0.5·0.082167 = 0.358916\n" in section
    assert "  w₇⁺ = w₇ - η·∂C/∂w₇ = 0.5 - 0.5·(-0.0226025) = 0.511301\n" in section
    assert "b₁⁺" not in section
    assert "C = 0.298371; after it, C = 0.291028" in section.replace("\n", " ")
    tex = sb.render(mazur, "latex", numbers=True, learning_rate=0.5, hold="b_1,b_2")
    assert r"{w_5}^{+} &= w_5 - \eta \frac{\partial C}{\partial w_5} = 0.4 - 0.5 \cdot 0.082167 = 0.358916" in tex
    update = json.loads(sb.render(mazur, "json", learning_rate=0.5, hold="biases"))["update"]
    assert update["cost_after"] == pytest.approx(reference_step(0.5, ("b_1", "b_2"))[1], rel=1e-12)


def test_render_options_are_checked(mazur):
    with pytest.raises(RenderError) as exc:
        sb.render(mazur, "latex", numbrs=True)
    assert str(exc.value) == ("unknown option 'numbrs'; the options are: fragment, closed, point, numbers, "
                              "learning_rate, hold, check, full, steps")
    with pytest.raises(RenderError, match="give a learning rate too"):
        sb.render(mazur, "text", hold="b_1")
    with pytest.raises(RenderError, match="unknown option 'colour'"):
        mazur.to_latex(colour=True)


def test_numbers_documents_are_byte_identical_across_runs(mazur):
    for fmt in ("latex", "html", "json", "text"):
        first = sb.render(mazur, fmt, numbers=True, learning_rate=0.5, hold="biases")
        assert first == sb.render(sb.load(MAZUR).backward(), fmt, numbers=True, learning_rate=0.5, hold="biases")


# --- files: the format from the extension ---------------------------------------------------------

@pytest.mark.parametrize("suffix, start", [(".tex", r"\documentclass"), (".md", "# A worked example"),
                                           (".html", "<!DOCTYPE html>"), (".json", "{"),
                                           (".txt", "A worked example with shared biases\n====")])
def test_derive_takes_the_format_from_the_extension(run_cli, tmp_path, suffix, start):
    target = tmp_path / ("notes" + suffix)
    assert run_cli("derive", MAZUR, "-o", target) == (0, "", "")
    assert target.read_text(encoding="utf-8").startswith(start)


def test_an_explicit_format_wins_and_other_extensions_stay_latex(run_cli, tmp_path):
    assert run_cli("derive", MAZUR, "--format", "markdown", "-o", tmp_path / "a.html")[0] == 0
    assert (tmp_path / "a.html").read_text(encoding="utf-8").startswith("# A worked example")
    assert run_cli("derive", MAZUR, "-o", tmp_path / "b.notes")[0] == 0
    assert (tmp_path / "b.notes").read_text(encoding="utf-8").startswith(r"\documentclass")


def test_an_output_naming_the_spec_is_refused_whatever_its_extension(run_cli, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"inputs": 1, "cost": "mse", "layers": [{"units": 1, "activation": "sigmoid"}]}))
    before = spec.read_bytes()
    code, out, err = run_cli("derive", spec, "--numbers", "-o", spec)
    assert (code, out) == (2, "")
    assert err == f"error: -o {spec}: is the spec this command reads; write the output to another file\n"
    assert spec.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["spec.json"]


# --- in the real tools ----------------------------------------------------------------------------

NUMBERED = ["shared_bias", "lecture", "softmax", "minibatch", "rnn", "sigmoid_neuron", "residual"]


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_numbers_documents_compile_without_overfull_lines(engine, tmp_path):
    require_tool(engine)
    for name in NUMBERED:
        d = sb.load(ROOT / "examples" / f"{name}.toml").backward()
        tex = sb.render(d, "latex", numbers=True, learning_rate=0.5)
        log = compile_tex(engine, tex, tmp_path, name)
        overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
        assert all(x <= 20 for x in overfull), (name, overfull)


def wide_spec():
    """A 4-6-6-3 tanh/sigmoid net with values: sums of six products in every hidden δ."""
    sizes, layers = [4, 6, 6, 3], []
    for l in range(1, 4):
        W = [[((7 * j + 3 * k + l) % 11 - 5) / 5 for k in range(sizes[l - 1])] for j in range(sizes[l])]
        b = [((5 * j + l) % 7 - 3) / 4 for j in range(sizes[l])]
        layers.append({"units": sizes[l], "activation": "tanh" if l < 3 else "sigmoid", "W": W, "b": b})
    return {"title": "A 4-6-6-3 network", "inputs": 4, "cost": "mse", "layers": layers,
            "point": {"x": [0.5, -1.25, 0.75, 2.0], "y": [0, 1, 0.5]}}


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_a_wide_network_with_numbers_stays_within_the_page(engine, tmp_path):
    require_tool(engine)
    tex = sb.render(sb.load(wide_spec()).backward(), "latex", numbers=True, learning_rate=0.1)
    assert tex.count(r"&\quad = ") >= 12          # every hidden δ sets its arithmetic on a line of its own
    log = compile_tex(engine, tex, tmp_path, "wide")
    assert re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log) == []


def test_numbers_document_opens_in_chromium(tmp_path):
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    target = tmp_path / "numbers.html"
    target.write_text(sb.render(sb.load(MAZUR).backward(), "html", numbers=True, learning_rate=0.5,
                                hold="biases"), encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            problems = []
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(target.as_uri())
            headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
            width = page.evaluate("document.documentElement.scrollWidth")
            text = page.inner_text("body")
        finally:
            browser.close()
    assert problems == []
    assert "The numbers, step by step" in headings and "One step of gradient descent" in headings
    assert width <= 1000
    assert "0.3775" in text and "0.358916" in text
