"""The command line, run in-process: exact output, exit codes, bad input."""

import json
import os
import stat
import re
import subprocess
import sys
from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.ops import activations
from symbackprop.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".toml", ".json"))


def test_demo_derives_and_checks_the_lecture_network(run_cli):
    code, out, err = run_cli("demo")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "The lecture's forward-pass example"
    assert "  z⁽²⁾₁ = w⁽²⁾₁₁·a⁽¹⁾₁ + w⁽²⁾₁₂·a⁽¹⁾₂ + b⁽²⁾₁ = 1.84482" in lines
    assert "  a⁽³⁾₂ = σ(z⁽³⁾₂) = 0.829124" in lines
    assert "Case 1: the output layer" in lines and "Case 2: the hidden layers" in lines
    assert "  δ⁽³⁾₁ = σ′(z⁽³⁾₁)·(a⁽³⁾₁ - y₁) = 0.145868" in lines
    assert "  δ⁽¹⁾₂ = σ′(z⁽¹⁾₂)·(w⁽²⁾₁₂·δ⁽²⁾₁ + w⁽²⁾₂₂·δ⁽²⁾₂) = -0.00320509" in lines
    assert "  w⁽²⁾₁₁     ∂C/∂w⁽²⁾₁₁ = a⁽¹⁾₁·δ⁽²⁾₁    0.0534479" in lines
    assert "  C = 1/2·(a⁽³⁾₁ - y₁)² + 1/2·(a⁽³⁾₂ - y₂)² = 0.205379" in lines
    assert any(line.startswith("Result: passed, 20 gradients") for line in lines)


def test_eval_json(run_cli):
    code, out, err = run_cli("eval", ROOT / "examples" / "lecture.toml", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert list(data) == ["cost", "layers", "gradients", "check"]
    assert data["cost"] == pytest.approx(0.20537890262600114, rel=1e-12)
    assert data["layers"][0] == {"z": [4.0, -2.0], "a": [pytest.approx(0.9820137900379085, rel=1e-14),
                                                        pytest.approx(0.11920292202211755, rel=1e-14)]}
    assert len(data["layers"]) == 3
    assert list(data["gradients"])[:3] == ["w^{(1)}_{11}", "w^{(1)}_{12}", "b^{(1)}_{1}"]
    assert len(data["gradients"]) == 18
    assert data["gradients"]["w^{(3)}_{11}"] == pytest.approx(0.12595991053765374, rel=1e-12)
    assert data["check"]["passed"] is True
    assert data["check"]["max_abs_error"] < 1e-15
    assert data["check"]["non_differentiable"] == []


def test_eval_exits_1_when_the_routes_disagree(run_cli, monkeypatch):
    """A wrong derivative rule (σ′ = σ in the hidden layers' compiled code) must be caught;
    the output layer's δ is compiled from σ(z)σ(−z) directly, so its 6 gradients pass."""
    sigmoid = activations.get("sigmoid")
    f, _ = sigmoid.numeric["float"]
    monkeypatch.setitem(sigmoid.numeric, "float", (f, f))
    code, out, _ = run_cli("eval", ROOT / "examples" / "lecture.toml")
    assert code == 1
    assert "three-way check FAILED (14 of 20)" in out
    assert "MISMATCH" in out


def test_relu_kink_is_reported_not_failed(tmp_path, run_cli):
    spec = tmp_path / "kink.toml"
    spec.write_text("inputs = 1\n[[layers]]\nunits = 1\nactivation = \"relu\"\nW = [[1]]\nb = [-1]\n"
                    "[[layers]]\nunits = 1\nactivation = \"identity\"\nW = [[2]]\nb = [0]\n"
                    "[point]\nx = [1]\ny = [3]\n")
    code, out, _ = run_cli("eval", spec, "--json")
    data = json.loads(out)
    assert code == 0 and data["check"]["passed"] is True
    assert data["check"]["non_differentiable"] == ["z^{(1)}_{1}"]
    assert data["gradients"] == {"w^{(1)}_{11}": 0.0, "b^{(1)}_{1}": 0.0, "w^{(2)}_{11}": 0.0, "b^{(2)}_{1}": -3.0}


def test_decimal_inputs_at_a_relu_kink_are_non_differentiable(tmp_path, run_cli):
    """0.4·0.5 − 0.5·1 − 0.9·0.1 − 0.61 is 0 in decimals and 1.7e-17 in binary floats."""
    spec = tmp_path / "flip.json"
    spec.write_text(json.dumps({"inputs": 3, "layers": [
        {"units": 1, "activation": "relu", "W": [[0.5, -1.0, -0.1]], "b": [-0.61]},
        {"units": 1, "activation": "identity", "W": [[1]], "b": [0]}],
        "point": {"x": [0.4, -0.5, 0.9], "y": [1.0]}}))
    code, out, _ = run_cli("eval", spec, "--json")
    data = json.loads(out)
    assert code == 0 and data["check"]["passed"] is True
    assert data["check"]["non_differentiable"] == ["z^{(1)}_{1}"]


def test_saturated_sigmoid_with_binary_cross_entropy_stays_exact():
    """C = softplus(z) − y·z; at z = 40 the naive ln(1 − σ(z)) is ln 0 in floats."""
    net = sb.Network([1, 1], activation="sigmoid", cost="binary_cross_entropy")
    d = net.backward()
    for z, y, cost, grad_b in ((40, 0, 40.0, 1.0), (30, 1, 9.357622968839737e-14, -9.357622968840e-14),
                               (-200, 1, 200.0, -1.0)):
        point = {"w^{(1)}_{11}": 1, "b^{(1)}_{1}": 0, "x_{1}": z, "y_{1}": y}
        values = d.evaluate(point)
        assert values.cost == pytest.approx(cost, rel=1e-12)
        assert values.gradients["b^{(1)}_{1}"] == pytest.approx(grad_b, rel=1e-3)
        assert d.check(point).passed


def test_softmax_cross_entropy_with_a_huge_logit_gap():
    net = sb.Network([1, 2], activation="softmax", cost="cross_entropy")
    point = {"w^{(1)}_{11}": 1, "b^{(1)}_{1}": 0, "w^{(1)}_{21}": -1, "b^{(1)}_{2}": 0,
             "x_{1}": 800, "y_{1}": 0, "y_{2}": 1}
    values = net.backward().evaluate(point)
    assert values.cost == 1600.0
    assert values.gradients == {"w^{(1)}_{11}": 800.0, "b^{(1)}_{1}": 1.0, "w^{(1)}_{21}": -800.0,
                                "b^{(1)}_{2}": -1.0}
    assert net.backward().check(point).passed


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_evaluates_and_passes(run_cli, example):
    net = sb.load(example)
    code, out, err = run_cli("eval", example, "--json")
    if not net.points and len(net.values) < len(net.parameters) + len(net.inputs) + len(net.targets):
        # a symbolic-only example: eval names what is missing
        assert code == 2 and out == "" and err.startswith(f"error: {example}: no value for ")
        return
    assert (code, err) == (0, "")
    assert json.loads(out)["check"]["passed"] is True


def test_every_subcommand_has_help_and_is_in_the_readme(capsys):
    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {"demo", "eval", "derive", "check", "grade", "code", "serve", "assign"}
    for name, subparser in sub.choices.items():
        assert subparser.format_help().startswith(f"usage: symbackprop {name}")
        assert f"symbackprop {name}" in readme


def test_usage_errors_are_one_line(run_cli):
    code, out, err = run_cli("eval")
    assert (code, out, err) == (2, "", "error: the following arguments are required: SPEC\n")
    code, _, err = run_cli("frobnicate")
    assert code == 2 and err.startswith("error: argument COMMAND: invalid choice: 'frobnicate'")


def test_the_console_script_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "symbackprop", "eval", "missing.toml"],
                          capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "error: missing.toml: no such file\n")


def test_import_is_light():
    code = ("import sys, symbackprop, symbackprop.cli; "
            "print([m for m in ('sympy', 'numpy', 'torch', 'importlib.metadata') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]"


#: A real SIGINT, sent by the process to itself when it first imports ``sys.argv[1]``; then
#: ``python -m symbackprop`` with the rest of the arguments.
SIGINT_AT_IMPORT = """
import importlib.abc, os, runpy, signal, sys
target = sys.argv.pop(1)
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target_module=None):
        if name == target:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
runpy.run_module("symbackprop", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("module", ["symbackprop.cli", "sympy", "symbackprop.documents"])
def test_ctrl_c_at_start_is_one_line_and_writes_nothing(tmp_path, module):
    out = tmp_path / "d.html"
    done = subprocess.run([sys.executable, "-c", SIGINT_AT_IMPORT, module, "derive",
                           str(ROOT / "examples" / "lecture.toml"), "-o", str(out)],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "error: interrupted\n")
    assert list(tmp_path.iterdir()) == []


def test_softmax_cross_entropy_case_1_reduces_to_a_minus_y():
    net = sb.Network([2, 3], activation="softmax", cost="cross_entropy")
    point = {"x_{1}": 0.3, "x_{2}": -1.2, "y_{1}": 0, "y_{2}": 1, "y_{3}": 0}
    point.update({p.name: 0.1 * i - 0.4 for i, p in enumerate(net.parameters)})
    d = net.backward()
    assert d.dC_dz(1, 1).case == 1
    values = d.evaluate(point)
    for j in (1, 2, 3):
        assert values.delta(1, j) == pytest.approx(values.a(1, j) - point[f"y_{{{j}}}"], abs=1e-15)
    assert d.check(point).passed


def test_closed_form_of_a_deep_network_is_refused_quickly():
    d = sb.Network([16] * 5).backward()
    f = d.dC_dw(1, 1, 1)
    assert f.closed_size > 10**7
    with pytest.raises(sb.TooLargeError, match=r"the closed form of \\frac\{\\partial C\}\{\\partial "
                       r"w\^\{\(1\)\}_\{11\}\} would have about .* nodes, above the limit of 200000"):
        f.closed
    assert d.dC_db(4, 1).closed_size < f.closed_size


def test_large_network_check_samples_the_symbolic_route(monkeypatch):
    import random

    from symbackprop.numeric import check as check_module
    net = sb.Network([8, 8, 8, 8])
    rng = random.Random(3)
    point = {s: rng.uniform(-1, 1) for s in net.parameters + net.inputs + net.targets}
    # beyond forward mode's budget: a seeded sample of the closed forms only
    with monkeypatch.context() as m:
        m.setattr(check_module, "FORWARD_WORK", 224 * 448 - 1)
        report = net.backward().check(point)
    assert report.passed
    assert re.fullmatch(r"12 of 224 gradients \(seeded sample of \d+ eligible, seed 0\); \d+ not eligible: "
                        r"their closed-form cost has more than 5000 nodes or is nested more than 40 nodes deep",
                        report.symbolic_note)
    assert sum(r.symbolic is not None for r in report.rows) == 12
    assert all(r.finite_difference is not None for r in report.rows)
    # within it (224 gradients × 448 edges): a sample by the closed form, the rest in forward mode
    report = net.backward().check(point)
    assert report.passed
    assert re.fullmatch(r"all 224 gradients: 12 by the closed-form cost \(a seeded sample of \d+, seed 0\), "
                        r"212 by sympy.diff node by node, forward mode", report.symbolic_note)
    assert [r.symbolic_route for r in report.rows].count("closed form") == 12
    assert all(r.symbolic is not None for r in report.rows)


def test_output_files_keep_permissions_and_devices_stay_devices(tmp_path, run_cli):
    lecture = ROOT / "examples" / "lecture.toml"
    target = tmp_path / "notes.tex"
    target.write_text("old")
    target.chmod(0o640)
    assert run_cli("derive", lecture, "-o", target)[0] == 0
    assert (target.stat().st_mode & 0o777) == 0o640
    assert target.read_text().startswith("\\documentclass")
    link = tmp_path / "link.tex"
    link.symlink_to(target)
    assert run_cli("derive", lecture, "--format", "markdown", "-o", link)[0] == 0
    assert link.is_symlink() and target.read_text().startswith("# The lecture's forward-pass example")
    assert run_cli("derive", lecture, "-o", os.devnull)[0] == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert run_cli("derive", lecture, "-o", "") == (2, "", "error: the output path is empty\n")
    code, _, err = run_cli("derive", lecture, "-o", tmp_path)
    assert code == 2 and err == f"error: {tmp_path}: is a directory, expected a file name\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.tex", "notes.tex"]  # no temporary left


def test_values_beyond_floating_point_are_one_error(tmp_path, run_cli):
    spec = tmp_path / "huge.toml"
    spec.write_text("inputs = 1\ncost = \"binary_cross_entropy\"\n[[layers]]\nunits = 1\nW = [[1e308]]\n"
                    "b = [1e308]\n[point]\nx = [1e308]\ny = [1]\n")
    message = ("the network cannot be evaluated at this point: z^{(1)}_{1} is inf "
               "(the values are too large for floating point)\n")
    assert run_cli("eval", spec) == (2, "", f"error: {spec}: {message}")
    assert run_cli("derive", spec) == (2, "", f"error: {message}")


def test_saturated_outputs_keep_the_document_whole(tmp_path, run_cli):
    spec = tmp_path / "sat.toml"
    spec.write_text("inputs = 1\ncost = \"binary_cross_entropy\"\n[[layers]]\nunits = 1\nW = [[40]]\nb = [0]\n"
                    "[point]\nx = [1]\ny = [1]\n")
    code, out, _ = run_cli("derive", spec, "--format", "text")
    assert code == 0
    assert "The vector form is not evaluated at this point: in plain floating point the" in out
    assert "Result: passed, 3 gradients" in out


def test_read_only_outputs_are_refused(tmp_path, run_cli, monkeypatch):
    """A file the user may not write is not replaced (rename only needs the directory).
    Tests run as root here, who may write anything, so the permission check is simulated."""
    import symbackprop.io
    locked = tmp_path / "locked.tex"
    locked.write_text("keep")
    monkeypatch.setattr(symbackprop.io.os, "access", lambda path, mode: False)
    assert run_cli("derive", ROOT / "examples" / "lecture.toml", "-o", locked) == (
        2, "", f"error: {locked}: cannot write: Permission denied\n")
    assert locked.read_text() == "keep"


def test_a_trailing_slash_is_a_directory_path(tmp_path, run_cli):
    target = f"{tmp_path}/new.tex/"
    assert run_cli("derive", ROOT / "examples" / "lecture.toml", "-o", target) == (
        2, "", f"error: {target}: is a directory path, expected a file name\n")
    assert list(tmp_path.iterdir()) == []


def test_small_inputs_are_not_kinks():
    d = sb.Network([1, 1], activation="relu").backward()
    report = d.check({"w^{(1)}_{11}": 1, "b^{(1)}_{1}": 0, "x_{1}": 1e-20, "y_{1}": 1})
    assert report.passed and report.kinks == []
    assert all(r.finite_difference is not None for r in report.rows)
