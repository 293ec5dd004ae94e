"""Specs: every field, notation and shared name; every kind of bad input as one message."""

import json
import re

import pytest
import sympy

import symbackprop as sb
from symbackprop.errors import SpecError

from conftest import EXAMPLES

GOOD = """
inputs = 2
[[layers]]
units = 2
W = [[1, -2], [-1, 1]]
b = [1, 0]
[[layers]]
units = 1
activation = "identity"
[point]
x = [1, -1]
y = [0]
"""


def write(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


BAD = [
    pytest.param("inputs = 2\n[[layers]\nunits = 1\n", "spec.toml: invalid TOML: ", id="malformed-toml"),
    pytest.param("inputs = 2\nlayer = []\n", "spec.toml: layer: unknown field; expected one of: title, inputs, "
                 "targets, cost, notation, layers, point", id="unknown-top-field"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 2\nw = [[1, 2], [3, 4]]\n",
                 "spec.toml: layers[1].w: unknown field; expected one of: units, activation, W, b, "
                 "weight_names, bias_names, neuron_names", id="unknown-layer-field"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 2\nW = [[1, 2], [3, 4], [5, 6]]\n",
                 "spec.toml: layers[1].W: expected 2 rows (one per unit), got 3", id="W-rows"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 2\nW = [[1, 2], [3]]\n",
                 "spec.toml: layers[1].W[2]: expected 2 entries (one per unit of the previous layer), got 1",
                 id="W-columns"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 1\n[point]\nx = [1, 2, 3]\n",
                 "spec.toml: point.x: expected 2 numbers, got 3", id="x-length"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 1\nactivation = \"sigmod\"\n",
                 "spec.toml: layers[1].activation: unknown activation 'sigmod'; expected one of: identity, "
                 "leaky_relu, relu, sigmoid, silu, softmax, softplus, tanh", id="unknown-activation"),
    pytest.param("inputs = 2\ncost = \"l2\"\n[[layers]]\nunits = 1\n",
                 "spec.toml: cost: unknown cost 'l2'; expected one of: binary_cross_entropy, cross_entropy, "
                 "mse, sse", id="unknown-cost"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 2\nbias_names = [\"b\", \"b\"]\nb = [1, 2]\n",
                 "spec.toml: layers[1].b[2]: b is shared, but layers[1].b[1] gives it 1 and layers[1].b[2] "
                 "gives 2", id="shared-name-two-values"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 0\n",
                 "spec.toml: layers[1].units: expected a positive whole number, got 0", id="zero-width"),
    pytest.param("inputs = -3\n[[layers]]\nunits = 1\n",
                 "spec.toml: inputs: expected a positive whole number, got -3", id="negative-width"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nb = [\"one\"]\n",
                 "spec.toml: layers[1].b[1]: expected a number, got 'one'", id="non-numeric"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nb = [true]\n",
                 "spec.toml: layers[1].b[1]: expected a number, got True", id="boolean"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nb = [nan]\n",
                 "spec.toml: layers[1].b[1]: expected a finite number, got nan", id="nan"),
    pytest.param("inputs = 2\n", "spec.toml: layers: expected at least one [[layers]] table", id="no-layers"),
    pytest.param("[[layers]]\nunits = 1\n", "spec.toml: inputs: missing: give a count or a list of names",
                 id="no-inputs"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 2\nactivation = \"softmax\"\n[[layers]]\nunits = 1\n",
                 "spec.toml: layers[1].activation: softmax is only supported on the output layer",
                 id="hidden-softmax"),
    pytest.param("inputs = 1\ncost = \"binary_cross_entropy\"\n[[layers]]\nunits = 1\nactivation = \"relu\"\n",
                 "spec.toml: cost binary_cross_entropy takes the logarithm of the outputs, but output "
                 "activation relu can be outside (0, 1); use sigmoid", id="log-of-relu"),
    pytest.param("inputs = [\"x 1\"]\n[[layers]]\nunits = 1\n",
                 "spec.toml: inputs[1]: 'x 1' is not a valid symbol name (letters, digits, _ ^ { } ( ) [ ] , ' "
                 "and LaTeX commands; no spaces)", id="bad-name"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nweight_names = [[\"\\\\input{passwd}\"]]\n",
                 "spec.toml: layers[1].weight_names[1][1]: '\\input{passwd}' uses \\input; a name may use only "
                 "Greek letters", id="latex-injection"),
    pytest.param("inputs = 2\n[[layers]]\nunits = 1\nweight_names = [[\"x_1\", \"w\"]]\n",
                 "spec.toml: the names 'x_{1}' and 'x_1' are the same symbol written two ways",
                 id="braces-clash"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nweight_names = [[\"\\\\delta^{(1)}_{1}\"]]\n",
                 "spec.toml: the name '\\delta^{(1)}_{1}' is used for both a parameter and a ∂C/∂z symbol",
                 id="adjoint-clash"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nweight_names = [[\"e\"]]\n",
                 "spec.toml: the name 'e' is reserved for Euler's number", id="reserved-e"),
    pytest.param("inputs = 100000\n[[layers]]\nunits = 100000\n",
                 "spec.toml: layer 0 width 100000 is above the limit of 10,000 units", id="too-wide"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nW = [[\"1" + "1" * 400 + "/3\"]]\n",
                 "spec.toml: layers[1].W[1][1]: expected a number, got", id="long-fraction"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nW = [[\"1e-99999999\"]]\n",
                 "spec.toml: layers[1].W[1][1]: number too small (powers of ten below 1e-400 are not read)",
                 id="huge-exponent"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nW = [[1" + "0" * 400 + "]]\n",
                 "spec.toml: layers[1].W[1][1]: number too large (at most about 1.8e308)", id="huge-integer"),
    pytest.param("inputs = 1\ntitle = \"a\\u0000b\"\n[[layers]]\nunits = 1\n",
                 "spec.toml: title: expected one line of text (at most 200 characters, no control characters)",
                 id="control-character-title"),
    pytest.param("inputs = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n[[layers]]\nunits = 1\n",
                 "spec.toml: invalid TOML: nested too deeply", id="deep-nesting"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nactivation = {alpha = 0.1}\n",
                 "spec.toml: layers[1].activation: an activation table needs a name", id="activation-without-name"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nactivation = {name = \"leaky_relu\", beta = 1}\n",
                 "spec.toml: layers[1].activation: activation 'leaky_relu' has no option 'beta' (its options: alpha)",
                 id="unknown-option"),
    pytest.param("inputs = [\"h\"]\n[[layers]]\nunits = 1\nneuron_names = [\"h\"]\n",
                 "spec.toml: the name 'h' is used for both an input and an activation", id="name-clash"),
    pytest.param("inputs = 1\nnotation = \"greek\"\n[[layers]]\nunits = 1\n",
                 "spec.toml: notation: unknown notation 'greek'; expected one of: layered, bracket, lecture",
                 id="unknown-notation"),
    pytest.param("inputs = 1\n[[layers]]\nunits = 1\nactivation = {name = \"leaky_relu\", alpha = 2}\n",
                 "spec.toml: layers[1].activation: leaky_relu: alpha must be a number in [0, 1) with at most 12 decimals, got 2",
                 id="bad-alpha"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_spec_is_one_clear_error(tmp_path, run_cli, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        sb.load(path)
    assert str(info.value).replace(str(path), "spec.toml").startswith(message)
    code, out, err = run_cli("eval", path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err


def test_missing_file_and_bad_json(tmp_path, run_cli):
    code, _, err = run_cli("eval", tmp_path / "none.toml")
    assert (code, err) == (2, f"error: {tmp_path / 'none.toml'}: no such file\n")
    path = write(tmp_path, '{"inputs": 2, "layers": [', "spec.json")
    code, _, err = run_cli("eval", path)
    assert code == 2 and err == f"error: {path}: invalid JSON at line 1, column 26: Expecting value\n"


def test_json_spec_equals_toml_spec(tmp_path):
    toml_net = sb.load(write(tmp_path, GOOD))
    data = {"inputs": 2, "layers": [{"units": 2, "W": [[1, -2], [-1, 1]], "b": [1, 0]},
                                    {"units": 1, "activation": "identity"}],
            "point": {"x": [1, -1], "y": [0]}}
    json_net = sb.load(write(tmp_path, json.dumps(data), "spec.json"))
    dict_net = sb.load(data)
    assert toml_net.values == json_net.values == dict_net.values
    assert toml_net.describe() == json_net.describe()


def test_missing_values_are_named():
    net = sb.load({"inputs": 1, "layers": [{"units": 1}]})
    with pytest.raises(sb.PointError, match=r"no value for x_\{1\}, y_\{1\}, w\^\{\(1\)\}_\{11\}, b\^\{\(1\)\}_\{1\}; give them in the spec or in the point"):
        net.backward().evaluate()
    values = net.backward().evaluate({"w^{(1)}_{11}": 2, "b^(1)_1": 0, "x_1": 1, "y_1": 0})
    assert values.cost == pytest.approx(0.5 * (1 / (1 + 2.718281828459045 ** -2)) ** 2)


def test_notations():
    layered = sb.Network([2, 2, 2, 2])
    assert [s.name for s in (layered.w(2, 1, 2), layered.b(3, 1), layered.z(1, 2), layered.a(2, 1),
                             layered.delta(3, 2), layered.x(1), layered.y(2))] == [
        "w^{(2)}_{12}", "b^{(3)}_{1}", "z^{(1)}_{2}", "a^{(2)}_{1}", r"\delta^{(3)}_{2}", "x_{1}", "y_{2}"]
    bracket = sb.Network([2, 2], notation="bracket")
    assert bracket.w(1, 2, 1).name == "w^{[1]}_{21}"
    lecture = sb.Network([2, 2, 2, 2], notation="lecture")
    assert [lecture.z(l, j).name for l in (1, 2, 3) for j in (1, 2)] == [f"z_{{{n}}}" for n in range(1, 7)]
    assert [lecture.w(l, j, k).name for l in (1, 2, 3) for j in (1, 2) for k in (1, 2)] == \
        [f"w_{{{n}}}" for n in range(1, 13)]
    assert lecture.a(3, 1).name == "y_{1}" and lecture.y(1).name == r"\hat{y}_{1}"
    assert lecture.delta(3, 1).name == r"\frac{\partial C}{\partial z_{5}}"
    wide = sb.Network([12, 1])
    assert wide.w(1, 1, 10).name == "w^{(1)}_{1,10}" and wide.w(1, 1, 9).name == "w^{(1)}_{19}"


def test_shared_bias_gradient_is_summed_over_its_uses():
    net = sb.load({"inputs": ["i_1", "i_2"], "targets": ["t_1"],
                   "layers": [{"units": 2, "bias_names": ["b_1", "b_1"], "neuron_names": ["h_1", "h_2"],
                               "weight_names": [["w_1", "w_2"], ["w_3", "w_4"]]},
                              {"units": 1, "neuron_names": ["o_1"]}]})
    d = net.backward()
    b1 = net.symbol("b_1")
    assert net.parameters.count(b1) == 1
    f = d.gradient("b_1")
    assert f.expr == sympy.Symbol(r"\delta_{h_1}") + sympy.Symbol(r"\delta_{h_2}")
    assert f.latex() == r"\frac{\partial C}{\partial b_1} = \delta_{h_1} + \delta_{h_2}"
    assert d.dC_dz(1, 1).latex() == r"\delta_{h_1} = \sigma'\left(z_{h_1}\right) w^{(2)}_{11} \delta_{o_1}"
    rng_values = {"i_1": 0.5, "i_2": -0.3, "t_1": 0.2, "w_1": 0.1, "w_2": -0.4, "w_3": 0.7, "w_4": 0.2,
                  "b_1": 0.35, "w^{(2)}_{11}": 0.6, "w^{(2)}_{12}": -0.9, "b^{(2)}_{1}": 0.1}
    report = d.check(rng_values)
    assert report.passed
    values = report.values
    assert values.gradients["b_1"] == pytest.approx(values[net.delta(1, 1)] + values[net.delta(1, 2)])
    assert list(values.gradients).count("b_1") == 1


def test_symbol_lookup_is_loose_about_braces_and_lists_names():
    net = sb.Network([1, 1])
    assert net.symbol("w^(1)_11") == net.w(1, 1, 1)
    with pytest.raises(SpecError) as info:
        net.symbol("q")
    assert str(info.value) == "unknown name 'q'; this network has 6 names, e.g. x_{1}, y_{1}, w^{(1)}_{11}"


def test_spec_text_is_never_evaluated(tmp_path, run_cli):
    sentinel = tmp_path / "pwned"
    path = write(tmp_path, "inputs = 1\n[[layers]]\nunits = 1\nactivation = {name = \"leaky_relu\", alpha = "
                 f"\"__import__('os').system('touch {sentinel}') and 0\"}}\n")
    code, out, err = run_cli("eval", path)
    assert code == 2 and out == "" and not sentinel.exists()
    assert err.startswith(f"error: {path}: layers[1].activation: leaky_relu: alpha must be a number in [0, 1) with at most 12 decimals, got ")
    path = write(tmp_path, "inputs = 1\n[[layers]]\nunits = 1\nactivation = {name = \"leaky_relu\", alpha = [1]}\n")
    assert run_cli("eval", path)[2] == (f"error: {path}: layers[1].activation: leaky_relu: alpha must be a "
                                         "number in [0, 1) with at most 12 decimals, got [1]\n")
    assert sb.activations.get({"name": "leaky_relu", "alpha": "1/3"}).options == {"alpha": sympy.Rational(1, 3)}
    assert sb.activations.get({"name": "leaky_relu", "alpha": 0.01}).options == {"alpha": sympy.Rational(1, 100)}


def test_compiled_code_holds_only_plain_names():
    """A symbol that is neither an argument nor defined is refused, never pasted into code."""
    from symbackprop.numeric.compiler import Program
    x, y, v = sympy.symbols("x y v")
    with pytest.raises(sb.SymbackpropError, match=r"^cannot compile the formulas: print\(1\) is neither an "
                                                  r"argument nor defined before it is used$"):
        Program([(v, sympy.Symbol("print(1)") * x * y)], [x, y], [v])
    assert Program([(v, x * y + 1)], [x, y], [v])({x: 2.0, y: 3.0}) == {v: 7.0}


def test_no_generic_text_to_code_route_in_the_package():
    """User text may reach SymPy only through the project's own readers."""
    from pathlib import Path
    for path in sorted((Path(sb.__file__).parent).rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#")[0]
            where = f"{path.name}:{number}"
            assert "parse_expr(" not in code and "parse_latex(" not in code, where
            # kinds.py runs the module the code writers write (user text there only in escaped
            # comments and repr literals: see test_code.py::test_user_text_cannot_inject_code);
            # programs.py compiles the diagnosis's candidate mistakes and numeric/compiler.py the
            # derivation's definitions: code each writes itself from expression trees
            # (compiler.py renames every symbol p<i>, v<i> first; never user text)
            forbidden = r"(?<!def )\beval\(|__import__\(" if path.name == "kinds.py" \
                else r"(?<!def )\beval\(|\bexec\(|__import__\("
            if path.name not in ("programs.py", "compiler.py") or "exec(compile(" not in code:
                assert re.search(forbidden, code) is None, where
            assert "sympify(" not in code or "strict=True" in code, where
            assert "nsimplify(" not in code or path.name == "diagnose.py", where


# --- limits: refused from the sizes, before anything is built --------------------------

def _batch(points):
    return {"inputs": 16, "layers": [{"units": 16}] * 4, "points": [{"x": [0] * 16, "y": [0] * 16}] * points}


#: (spec, message, the step it is refused before: building a node, or deriving)
LIMITS = [
    pytest.param({"inputs": 2, "layers": [{"units": 2501}]},
                 "the network has 5,002 weights, above the limit of 5,000", "_add", id="weights"),
    pytest.param({"inputs": 2, "layers": [{"units": 100}, {"units": 2}, {"units": 101}]},
                 "the output layer has 101 units, above the limit of 100", "_add", id="outputs"),
    pytest.param({"inputs": 10, "layers": [{"units": 10}] * 21},
                 "21 layers × 2,100 weights = 44,100, above the limit of 20,000 for layers × weights", "_add",
                 id="depth"),
    pytest.param({"recurrent": {"inputs": 20, "hidden": 20, "outputs": 20, "steps": 100}},
                 "recurrent: 100 steps × 1,200 weights = 120,000 weight uses, above the limit of 5,000 for a spec "
                 "(every command documents or checks the net node by node; from Python, sb.Recurrent builds up to "
                 "100,000 for d.compile())", "_add", id="recurrent"),
    pytest.param({"attention": {"tokens": 32, "d_model": 16, "d_k": 16}},
                 "attention: the head has 57,344 products, above the limit of 20,000 for a spec (every command "
                 "documents or checks the head node by node; from Python, sb.Attention builds up to 70,000 for "
                 "d.compile())", "_add", id="attention"),
    pytest.param(_batch(10), "points: 10 examples × 1,088 gradients = 10,880 to check, above the limit "
                             "of 10,000", "backward", id="mini-batch"),
    pytest.param({"inputs": ["x"], "define": [f"v_{{{n}}} = x" for n in range(1, 2002)]},
                 "define: 2,001 definitions, above the limit of 2,000", "_add", id="definitions"),
    pytest.param({"inputs": ["x"], "define": ["v = " + " + ".join(["x"] * 2499)] * 11},
                 "define: 109,967 characters of definitions, above the limit of 100,000", "_add",
                 id="define-characters"),
]


@pytest.mark.parametrize("spec, message, before", LIMITS)
def test_a_spec_above_a_limit_is_refused_before_the_work(tmp_path, run_cli, monkeypatch, spec, message, before):
    from symbackprop.core import graph
    monkeypatch.setattr(graph.Graph, before, lambda *a: pytest.fail(f"{before} ran"))
    path = tmp_path / "big.json"
    path.write_text(json.dumps(spec))
    for command in (("eval",), ("derive", "--format", "text"), ("code",)):
        assert run_cli(*command, path) == (2, "", f"error: {path}: {message}\n")


def test_a_batch_at_the_limit_is_read():
    net = sb.load(_batch(9))
    assert len(net.points) == 9 and len(net.parameters) == 1_088


def test_more_answers_than_one_run_grades_are_refused_before_grading(tmp_path, run_cli, monkeypatch):
    from symbackprop.answers import grade
    monkeypatch.setattr(grade, "grade", lambda *a, **k: pytest.fail("graded"))
    answers = tmp_path / "answers.csv"
    answers.write_text("id,wrt,answer\n" + "s,w^{(1)}_{11},x_1\n" * 10_001)
    spec = EXAMPLES / "lecture.toml"
    assert run_cli("grade", spec, answers) == (
        2, "", f"error: {answers}: more than 10,000 answers, the limit of one run; grade them in parts\n")
    answers.write_text("id,wrt,answer\n" + "s,w^{(1)}_{11},x_1\n" * 10_000)
    assert len(grade.read_rows(answers)) == 10_000


def test_eval_names_the_missing_values_before_deriving(tmp_path, run_cli, monkeypatch):
    from symbackprop.core import graph
    monkeypatch.setattr(graph.Graph, "backward", lambda *a: pytest.fail("derived"))
    path = write(tmp_path, "[recurrent]\ninputs = 2\nhidden = 6\noutputs = 2\nsteps = 50\n")
    assert run_cli("eval", path) == (2, "", f"error: {path}: no value for W_{{11}}, W_{{12}}, W_{{13}}, "
                                            "W_{14}, W_{15}, W_{16}, W_{21}, W_{22} and 260 more; "
                                            "give them in the spec or in the point\n")

