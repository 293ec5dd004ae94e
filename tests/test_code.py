"""`symbackprop code`: a standalone module that runs without symbackprop and gives eval's numbers."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy")

import symbackprop as sb  # noqa: E402
from symbackprop.cli import main  # noqa: E402
from symbackprop.codegen import Names, comment, identifier, source  # noqa: E402

EXAMPLES = sorted(p for p in (Path(__file__).parent.parent / "examples").glob("*.toml"))
WITH_VALUES = [p for p in EXAMPLES if p.stem != "wide"]
REL = 1e-9

#: Runs a module as __main__ in an isolated interpreter where importing symbackprop fails.
RUNNER = ("import sys, runpy; sys.modules['symbackprop'] = None; "
          "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')")


def run_isolated(module: Path, *extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([sys.executable, "-I", "-c", RUNNER, str(module), *extra], capture_output=True,
                          text=True, cwd=module.parent, env=env, timeout=120)


def export(spec, tmp_path, *options, name="module.py") -> Path:
    out = tmp_path / name
    assert main(["code", str(spec), "-o", str(out), *options]) == 0
    return out


def eval_json(spec, capsys) -> dict:
    main(["eval", str(spec), "--json"])
    return json.loads(capsys.readouterr().out)


def close(a, b):
    return abs(a - b) <= REL * max(abs(a), abs(b), 1e-12)


@pytest.mark.parametrize("lang", ["numpy", "torch"])
@pytest.mark.parametrize("path", WITH_VALUES, ids=lambda p: p.stem)
def test_exported_module_matches_eval_in_a_fresh_interpreter(path, lang, tmp_path, capsys):
    """The NumPy module everywhere, the torch module where torch is installed."""
    if lang == "torch":
        pytest.importorskip("torch")
    module = export(path, tmp_path, "--lang", lang)
    text = module.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+symbackprop", text, re.M)
    done = run_isolated(module)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    expected = eval_json(path, capsys)
    assert close(out["cost"], expected["cost"])
    assert list(out["gradients"]) == list(expected["gradients"])
    for name, g in expected["gradients"].items():
        assert close(out["gradients"][name], g), (name, out["gradients"][name], g)


def test_a_spec_without_values_exports_and_its_module_says_what_is_missing(tmp_path):
    module = export(EXAMPLES[[p.stem for p in EXAMPLES].index("wide")], tmp_path)
    done = run_isolated(module)
    assert done.returncode == 1
    assert done.stderr.startswith("error: no value for x_{1}, x_{2}, x_{3}, y_{1}, y_{2}, w^{(1)}_{11}")
    assert done.stdout == ""


def _spec(stem):
    return EXAMPLES[[p.stem for p in EXAMPLES].index(stem)]


def test_values_and_batches_given_to_evaluate(tmp_path):
    """evaluate(values) in the exported module: the spec's values by default, a batch of
    arrays summed, as d.compile() and d.evaluate() give them."""
    net = sb.load(_spec("lecture"))
    d = net.backward()
    module = export(_spec("lecture"), tmp_path)
    script = tmp_path / "use.py"
    script.write_text("import json, os, sys\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
                      "import module\n"
                      "print(json.dumps([module.evaluate({'x_{1}': 0.25}),\n"
                      "                  module.evaluate({'x_{1}': [1.0, 0.5, -2.0], 'y_{2}': 0.5})]))\n")
    done = run_isolated(script)
    assert done.returncode == 0, done.stderr
    single, batch = json.loads(done.stdout)
    v = d.evaluate({"x_{1}": 0.25})
    assert close(single["cost"], float(v.cost))
    singles = [d.evaluate({"x_{1}": x, "y_{2}": 0.5}) for x in (1.0, 0.5, -2.0)]
    assert close(batch["cost"], sum(float(s.cost) for s in singles))
    for name in batch["gradients"]:
        assert close(batch["gradients"][name], sum(float(s.gradients[name]) for s in singles))


def test_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path):
    for stem in ("rnn", "softmax", "residual"):
        outputs = []
        for seed in ("0", "12345"):
            env = {**os.environ, "PYTHONHASHSEED": seed,
                   "PYTHONPATH": str(Path(__file__).parent.parent)}
            done = subprocess.run([sys.executable, "-m", "symbackprop", "code", str(_spec(stem))],
                                  capture_output=True, env=env, timeout=120)
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
        assert outputs[0] == outputs[1]
        assert outputs[0] == source(sb.load(_spec(stem)).backward()).encode("utf-8")


def test_comments_follow_the_derivation():
    lecture = source(sb.load(_spec("lecture")).backward())
    assert "    # Case 1, the output layer 3: δ^(3) = ∂C/∂a^(3) ⊙ σ′(z^(3))\n" in lecture
    assert ("    # Case 2, hidden layer 1: δ^(1) = (W^(2))ᵀ δ^(2) ⊙ σ′(z^(1)), the amplifier σ′(z^(1))\n"
            "    delta1 = (delta2 @ W2) * (a1 * abar1)  # σ′(z) = a(1 − a)\n") in lecture
    shared = source(sb.load(_spec("shared_bias")).backward())
    assert "BIASES = [\n    ['b_1', 'b_1'],\n    ['b_2', 'b_2'],\n]" in shared
    assert "# a name used on several edges is one shared parameter: its gradient is the sum over its uses" in shared
    rnn = source(sb.load(_spec("rnn")).backward())
    # a recurrent net loops over the steps (tests/test_cell_code.py checks its numbers)
    assert ("        # BPTT: ∂C/∂h^(t) collects a term from step t's output and one from step t + 1\n"
            "        dh = dh_out[:, t] if dh_next is None else dh_out[:, t] + dh_next\n") in rnn
    assert ("        # the shared W, U, b: this step's term (∂C/∂W_jk gets ∂C/∂z^(t)_j h^(t-1)_k)\n"
            "        dW, dU, db = step_gradients(dW, dU, db, dz, xt, h)\n") in rnn
    circuit = source(sb.load(_spec("circuit")).backward())
    assert "    # Case 1 (feeds the output): ∂f/∂q = z\n    d_q = z\n" in circuit
    assert "#   q: q\n" in circuit and "#   d_q: ∂f/∂q\n" in circuit


def test_identifiers_from_math_names():
    assert identifier("w^{(1)}_{11}") == "w_1_11"
    assert identifier("w^{(1)}_{1,10}") == "w_1_1_10"
    assert identifier(r"\delta^{(2)}_{1}") == "delta_2_1"
    assert identifier("z_{h_1}") == "z_h_1"
    assert identifier("x'") == "x_prime"
    assert identifier(r"\hat{y}_{1}") == "hat_y_1"
    assert identifier("1") == "v_1"
    names = Names()
    assert [names.new(n) for n in ("a^{(1)}_{1}", "a_{1,1}", r"\lambda", "np", "sigmoid_prime", "x")] == \
        ["a_1_1", "a_1_1_2", "lambda_2", "np_2", "n_sigmoid_prime", "x"]


def test_user_text_cannot_inject_code(tmp_path, capsys):
    title = "T\"\"\" ''' \\ \" ; import os; os.system('echo pwned') # ${x}"
    spec = tmp_path / "evil.toml"
    spec.write_text('title = %s\ninputs = ["x"]\nparameters = ["w"]\ndefine = ["f = w x"]\noutput = "f"\n'
                    "[point]\nx = 2\nw = 3\n" % json.dumps(title), encoding="utf-8")
    module = export(spec, tmp_path)
    text = module.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "pwned" in line]
    assert lines == ["# " + title]
    tree = ast.parse(text)
    assert not any(isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "system"
                   for node in ast.walk(tree))
    done = run_isolated(module)
    assert done.returncode == 0 and "pwned" not in done.stdout
    assert json.loads(done.stdout) == {"cost": 6.0, "gradients": {"w": 2.0, "x": 3.0}}


def test_comments_escape_what_would_end_a_line():
    assert comment("a\nb\u2028c\x0cd\re") == "# a\\x0ab\\u2028c\\x0cd\\x0de"
    assert "\n" not in comment("x\n" * 3)


def test_cli_errors_are_one_line_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "m.py"
    cases = [
        (["code", str(_spec("lecture")), "--lang", "jax", "-o", str(out)],
         "error: argument --lang: invalid choice: 'jax' (choose from 'numpy', 'torch')\n"),
        (["code", str(_spec("lecture")), "-o", str(tmp_path / "m.txt")],
         f"error: -o {tmp_path / 'm.txt'}: the module is Python source; give a file name ending in .py\n"),
        (["code", str(tmp_path / "missing.toml"), "-o", str(out)],
         f"error: {tmp_path / 'missing.toml'}: no such file\n"),
    ]
    for argv, message in cases:
        assert main(argv) == 2
        assert capsys.readouterr().err == message
    assert list(tmp_path.iterdir()) == []


def test_o_refuses_the_spec_itself(tmp_path, capsys):
    spec = tmp_path / "net.py"   # a spec named .py is still the spec: never overwritten
    spec.write_bytes(_spec("circuit").read_bytes())
    before = spec.read_bytes()
    assert main(["code", str(spec), "-o", str(spec)]) == 2
    assert capsys.readouterr().err == (f"error: -o {spec}: is the spec this command reads; "
                                       "write the output to another file\n")
    assert spec.read_bytes() == before


def test_stdout_without_o(capsys):
    assert main(["code", str(_spec("circuit"))]) == 0
    assert capsys.readouterr().out == source(sb.load(_spec("circuit")).backward())


def test_torch_source_is_written_without_torch_installed():
    text = source(sb.load(_spec("rnn")).backward(), "torch")
    assert text.count("import torch\n") == 1 and "numpy" not in text.replace("NumPy", "")
    ast.parse(text)


@pytest.mark.parametrize("stem", ["lecture", "circuit"])
def test_a_reader_that_stops_early_gets_no_traceback(stem, tmp_path):
    module = export(Path(__file__).parent.parent / "examples" / f"{stem}.toml", tmp_path)
    proc = subprocess.run(f'"{sys.executable}" -I "{module}" | head -n 1', shell=True, capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert proc.stdout == "{\n" and proc.stderr == ""


# --- hostile titles and names: the module runs as written, or the spec is refused ----------

#: The module's first two lines, the same for every spec: Python reads an encoding
#: declaration only there, so no title or name can decide how the file is decoded.
PREAMBLE = {"numpy": ["# Standalone NumPy code of a backpropagation, written by `symbackprop code`;",
                      "# it does not import symbackprop."],
            "torch": ["# Standalone PyTorch code of a backpropagation, written by `symbackprop code`;",
                      "# it does not import symbackprop."]}

#: A name that becomes `\n` + `u'x',open('PWNED','w')` if the file is read as unicode_escape.
PWN = "\\nu'x',open('PWNED','w')"

#: Titles the spec reader accepts: encoding declarations, quotes, backslashes, invisible characters.
TITLES = ["coding: unicode_escape", "-*- coding: rot13 -*-", "vim: set fileencoding=utf-7 :",
          "fileencoding=utf-16", "coding=latin-1", "# -*- coding: utf-16 -*-", 'T""" x', "T''' x",
          "back\\slash\\", "\\N{BULLET} \\u0041 \\x00 \\", "\ufeffa byte order mark", "zero\u200bwidth"]
#: Titles it refuses (one line of text): line breaks, a form feed, NUL, a direction override.
REFUSED_TITLES = ["a\nb", "a\rb", "\x0cform feed", "a\u2028b", "a\u2029b", "a\x85b", "a\x00b",
                  "\u202eright to left", "\ud800"]
#: Names any spec accepts, a graph's formulas included: module-level names, keywords, \nu.
NAMES = ["\\nu", "\\nu_{1}", "np", "torch", "sum", "float", "sys", "cache", "evaluate", "VALUES",
         "PARAMETERS", "lambda", "\\lambda", "import"]
#: Names a layered spec accepts (no formula has to read them): quotes, calls, commas.
LAYER_NAMES = [PWN, "x'", "\\nu_{open('PWNED','w')}", "open('PWNED','w')", "x.y", "a[0]", "f(x)",
               "x,y", "\\xi'\\nu'"]
#: Names no spec accepts: a double quote, \n, \N, \u, NUL, a line break.
REFUSED_NAMES = ['x"', "x\\n", "\\N", "\\u0041", "x\x00", "x\ny"]


def _layered(title, name):
    return {"title": title, "inputs": [name], "cost": "mse",
            "layers": [{"units": 1, "activation": "sigmoid", "W": [[2]], "b": [1]}],
            "point": {"x": [1], "y": [0]}}


def _graph(title, name):
    return {"title": title, "inputs": [name], "parameters": ["w"], "define": [f"f = w {name} + w"],
            "output": "f", "point": {name: 2, "w": 3}}


def _cases():
    for title in TITLES:
        yield pytest.param(_layered(title, PWN), False, id=f"layered-title-{title!r}")
        yield pytest.param(_graph(title, "\\nu"), False, id=f"graph-title-{title!r}")
    for title in REFUSED_TITLES:
        yield pytest.param(_layered(title, "x"), True, id=f"refused-title-{title!r}")
    for name in NAMES:
        yield pytest.param(_layered("coding: unicode_escape", name), False, id=f"layered-name-{name!r}")
        yield pytest.param(_graph("coding: unicode_escape", name), False, id=f"graph-name-{name!r}")
    for name in LAYER_NAMES:
        yield pytest.param(_layered("coding: unicode_escape", name), False, id=f"layered-name-{name!r}")
    for name in REFUSED_NAMES:
        yield pytest.param(_layered("x", name), True, id=f"refused-name-{name!r}")


@pytest.mark.parametrize("lang", ["numpy", "torch"])
@pytest.mark.parametrize("spec, refused", list(_cases()))
def test_hostile_titles_and_names_run_nothing(spec, refused, lang, tmp_path, capsys):
    """The module, run in an empty folder, creates nothing there and gives eval's numbers;
    or the spec is refused with one error line and nothing is written. (Without torch, the
    torch module is compiled, not run.)"""
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    folder = tmp_path / "run"
    folder.mkdir()
    module = folder / "module.py"
    code = main(["code", str(path), "--lang", lang, "-o", str(module)])
    err = capsys.readouterr().err
    if refused:
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and err.endswith("\n")
        assert list(folder.iterdir()) == []
        return
    assert (code, err) == (0, "")
    assert module.read_text(encoding="utf-8").splitlines()[:2] == PREAMBLE[lang]
    compile(module.read_bytes(), str(module), "exec")   # as Python reads a file: bytes, then its encoding
    if lang == "torch":
        pytest.importorskip("torch")
    done = run_isolated(module)
    assert (done.returncode, done.stderr) == (0, "")
    assert list(folder.iterdir()) == [module]
    out = json.loads(done.stdout)
    expected = eval_json(path, capsys)
    assert close(out["cost"], expected["cost"])
    assert list(out["gradients"]) == list(expected["gradients"])
    for name, g in expected["gradients"].items():
        assert close(out["gradients"][name], g), (name, out["gradients"][name], g)


@pytest.mark.parametrize("stem, parameter", [("lecture", "w^{(1)}_{11}"), ("residual", "w_1")])
def test_a_parameter_given_an_array_is_refused_by_name(stem, parameter, tmp_path):
    """A parameter is shared by every example: an array for it raised NumPy's TypeError
    ('only 0-dimensional arrays can be converted …') in a layered module and was taken for
    a batch in a graph's; a number, or a 0-d array, is its value."""
    module = export(_spec(stem), tmp_path)
    script = tmp_path / "use.py"
    script.write_text("import json, os, sys\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
                      "import numpy as np\nimport module\n"
                      f"name = {parameter!r}\n"
                      "for value in ([1.0, 2.0], np.array([0.5]), [[1.0]]):\n"
                      "    try:\n"
                      "        module.evaluate({name: value})\n"
                      "    except TypeError as exc:\n"
                      "        print(exc)\n"
                      "print(json.dumps([module.evaluate({name: 0.5})['cost'],\n"
                      "                  module.evaluate({name: np.array(0.5)})['cost']]))\n")
    done = run_isolated(script)
    assert done.returncode == 0, done.stderr
    *messages, costs = done.stdout.splitlines()
    assert messages == [f"the value of {parameter} is an array, but a parameter takes one number "
                        "(it is shared by every example)"] * 3
    expected = float(sb.load(_spec(stem)).backward().evaluate({parameter: 0.5}).cost)
    assert [close(c, expected) for c in json.loads(costs)] == [True, True]


def test_a_custom_activation_name_cannot_end_its_comment(tmp_path, monkeypatch):
    """The Case 1 / Case 2 comments wrote an activation's text unescaped: a custom
    activation named with a line break ran its second line in d.compile() and in the module."""
    from symbackprop.ops.activations import Activation
    monkeypatch.chdir(tmp_path)
    act = Activation.custom("sq\nopen('PWNED', 'w') #", lambda t: t**2 / 2 + t)
    d = sb.Network([1, 1, 1], activation=[act, act]).backward()
    text = source(d)
    assert "\nopen(" not in text
    assert ("    # Case 2, hidden layer 1: δ^(1) = (W^(2))ᵀ δ^(2) ⊙ sq\\x0aopen('PWNED', 'w') #′(z^(1)), "
            "the amplifier sq\\x0aopen('PWNED', 'w') #′(z^(1))\n") in text
    values = {s.name: 0.3 for s in d.graph.leaves}
    assert close(d.compile()(values).cost, float(d.evaluate(values).cost))
    assert list(tmp_path.iterdir()) == []
