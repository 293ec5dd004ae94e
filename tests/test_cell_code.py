"""Recurrent cells and attention as array code: d.compile() and `symbackprop code` give the
numbers of d.evaluate() (the derivation's own, three-way checked elsewhere), for one point
and for a batch, with a loop over the steps rather than one line per node."""

import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

import sympy  # noqa: E402

import symbackprop as sb  # noqa: E402
from symbackprop.ops import activations  # noqa: E402
from symbackprop.cli import main  # noqa: E402
from symbackprop.codegen import source  # noqa: E402
from symbackprop.errors import PointError  # noqa: E402

EXAMPLES = Path(__file__).parent.parent / "examples"
STEMS = ["rnn", "lstm", "gru", "attention", "attention_causal"]
REL = 1e-10
BACKENDS = ["numpy", "torch", "jax"]

#: Runs a module as __main__ in an isolated interpreter where importing symbackprop fails.
RUNNER = ("import sys, runpy; sys.modules['symbackprop'] = None; "
          "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')")


def close(a, b, rel=REL):
    a, b = float(a), float(b)
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def assert_matches(out_cost, out_gradients, expected_cost, expected_gradients):
    assert close(out_cost, expected_cost), (out_cost, float(expected_cost))
    assert list(out_gradients) == list(expected_gradients)
    for name, g in expected_gradients.items():
        assert close(out_gradients[name], g), (name, out_gradients[name], float(g))


def _randomised(net, seed):
    """Random values for every input, target and parameter (targets in (0.1, 0.9), so every
    cost is defined); a held copy h̄ is computed by the net from the others."""
    rng = random.Random(seed)
    held = getattr(net, "held", {})
    net.values = {s: rng.uniform(0.1, 0.9) if net.nodes[s].kind == "y" else rng.uniform(-1, 1)
                  for s in net.leaves if s not in held}
    return net


def _built():
    """The nets built here: gated cells of 2 inputs, 3 units and 4 steps (with and without
    truncate = 2, with h0 and c0), Elman nets, and heads with and without mask and dense output."""
    nets = {}
    for cell in ("lstm", "gru"):
        for cut in (None, 2):
            nets[f"{cell}-truncate{cut}"] = sb.Recurrent(2, 3, 2, 4, cell=cell, truncate=cut)
        init = {"h0": [0.3, -0.2, 0.5]}
        if cell == "lstm":
            init["c0"] = [-0.4, 0.1, 0.2]
        nets[f"{cell}-initial-truncate2"] = sb.Recurrent(2, 3, 2, 4, cell=cell, truncate=2, **init)
        nets[f"{cell}-initial"] = sb.Recurrent(2, 3, 2, 4, cell=cell, **init)
    nets["lstm-c0-only"] = sb.Recurrent(2, 3, 2, 4, cell="lstm", c0=[0.2, -0.3, 0.1])
    nets["lstm-softmax-ce"] = sb.Recurrent(2, 3, 3, 4, cell="lstm", output_activation="softmax",
                                           cost="cross_entropy")
    nets["gru-sigmoid-bce"] = sb.Recurrent(2, 3, 2, 4, cell="gru", output_activation="sigmoid",
                                           cost="binary_cross_entropy")
    nets["elman-silu-truncate2"] = sb.Recurrent(2, 3, 2, 5, activation="silu", truncate=2, h0=[0.1, 0.2, -0.3])
    nets["elman-sigmoid-softmax"] = sb.Recurrent(2, 3, 2, 4, activation="sigmoid", output_activation="softmax",
                                                 cost="binary_cross_entropy")
    swish = activations.Activation.custom("swish", lambda t: t * sympy.tanh(t))
    nets["elman-custom-softplus-sse"] = sb.Recurrent(2, 3, 2, 3, activation=swish, output_activation="softplus",
                                                     cost="sse")
    nets["elman-leaky-relu"] = sb.Recurrent(2, 3, 1, 3, activation={"name": "leaky_relu", "alpha": 0.2})
    nets["gru-tanh-sse"] = sb.Recurrent(2, 3, 2, 3, cell="gru", output_activation="tanh", cost="sse")
    for mask in (None, "causal"):
        tag = mask or "nomask"
        nets[f"attention-{tag}"] = sb.Attention(4, 3, 2, 3, mask=mask)
        nets[f"attention-{tag}-dense"] = sb.Attention(4, 3, 2, 3, mask=mask, outputs=2,
                                                      output_activation="sigmoid", cost="binary_cross_entropy")
    nets["attention-nomask-relu-sse"] = sb.Attention(3, 2, 2, 2, outputs=2, output_activation="relu", cost="sse")
    nets["attention-causal-softmax"] = sb.Attention(4, 3, 2, 2, mask="causal", outputs=3,
                                                    output_activation="softmax", cost="cross_entropy")
    return {name: _randomised(net, seed) for seed, (name, net) in enumerate(sorted(nets.items()))}


BUILT = _built()
NETS = {**{stem: sb.load(EXAMPLES / f"{stem}.toml") for stem in STEMS}, **BUILT}


def _derivation(name):
    return NETS[name].backward()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(NETS))
def test_compiled_matches_evaluate(name, backend):
    pytest.importorskip(backend)
    d = _derivation(name)
    out = d.compile(backend)()
    expected = d.evaluate()
    assert_matches(out.cost, out.gradients, expected.cost, expected.gradients)


def _batch(net, size, seed):
    """A batch of random inputs and targets (and initial states): {name: array}."""
    rng = np.random.default_rng(seed)
    held = getattr(net, "held", {})
    point = {}
    for s in net.leaves:
        kind = net.nodes[s].kind
        if kind == "x" and s not in held:
            point[s.name] = rng.uniform(-1, 1, size)
        elif kind == "y":
            point[s.name] = rng.uniform(0.1, 0.9, size)
    return point


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["lstm", "gru", "rnn", "attention", "attention_causal", "lstm-initial-truncate2",
                                  "gru-initial-truncate2", "attention-causal-dense", "lstm-softmax-ce"])
def test_a_batch_is_the_sum_of_its_examples(name, backend):
    pytest.importorskip(backend)
    net = NETS[name]
    d = net.backward()
    point = _batch(net, 5, seed=len(name))
    point[net.parameters[0].name] = 0.25          # a parameter given: one number for every example
    out = d.compile(backend)(point)
    assert out.size == 5
    singles = [d.evaluate({k: (float(v[n]) if isinstance(v, np.ndarray) else v) for k, v in point.items()})
               for n in range(5)]
    assert close(out.cost, sum(float(v.cost) for v in singles))
    for g in out.gradients:
        assert close(out.gradients[g], sum(float(v.gradients[g]) for v in singles)), g


def test_truncation_cuts_the_gradient_where_the_graph_does():
    """truncate = 2 changes W's gradient (the steps after step 2 no longer reach step 2 and
    before) but not V's (its terms are each step's own): the compiled numbers follow."""
    whole = sb.Recurrent(2, 3, 2, 4, cell="lstm")
    cut = sb.Recurrent(2, 3, 2, 4, cell="lstm", truncate=2)
    cut.values = _randomised(whole, 7).values
    a, b = whole.backward().compile()(), cut.backward().compile()()
    assert close(a.cost, b.cost)
    assert close(a.gradients["V_{11}"], b.gradients["V_{11}"])
    assert not close(a.gradients["W^{(f)}_{11}"], b.gradients["W^{(f)}_{11}"], 1e-6)
    assert close(b.gradients["W^{(f)}_{11}"], cut.backward().evaluate().gradients["W^{(f)}_{11}"])


def test_a_held_copy_given_in_a_point_is_recomputed():
    net = NETS["lstm-truncate2"]
    d = net.backward()
    held = next(iter(net.held))
    x = net.x(1, 1)
    out = d.compile()({x.name: 0.5, held.name: 123.0})
    expected = d.evaluate({x: 0.5, held: 123.0})
    assert_matches(out.cost, out.gradients, expected.cost, expected.gradients)


@pytest.mark.parametrize("name", STEMS + ["lstm-initial-truncate2", "gru-initial", "attention-causal-dense"])
@pytest.mark.parametrize("lang", ["numpy", "torch"])
def test_the_standalone_module_gives_the_same_numbers(name, lang, tmp_path):
    if lang == "torch":
        pytest.importorskip("torch")
    net = NETS[name]
    d = net.backward()
    module = tmp_path / "module.py"
    if name in STEMS:
        assert main(["code", str(EXAMPLES / f"{name}.toml"), "--lang", lang, "-o", str(module)]) == 0
    else:
        module.write_text(source(d, lang), encoding="utf-8")
    point = {k: v.tolist() for k, v in _batch(net, 3, seed=1).items()}
    script = tmp_path / "use.py"
    script.write_text("import json, os, sys\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
                      "import module\n"
                      f"print(json.dumps([module.evaluate(), module.evaluate({point!r})]))\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    single, batch = json.loads(done.stdout)
    expected = d.evaluate()
    assert_matches(single["cost"], single["gradients"], expected.cost,
                   {k: float(v) for k, v in expected.gradients.items()})
    singles = [d.evaluate({k: v[n] for k, v in point.items()}) for n in range(3)]
    assert close(batch["cost"], sum(float(v.cost) for v in singles))
    for g in batch["gradients"]:
        assert close(batch["gradients"][g], sum(float(v.gradients[g]) for v in singles)), g


@pytest.mark.parametrize("lang", ["numpy", "torch"])
def test_the_module_refuses_batch_arrays_of_different_lengths(lang, tmp_path):
    """Two inputs with 3 and 2 examples: one ValueError naming both lengths, not a
    broadcasting error from inside forward()."""
    pytest.importorskip(lang)
    net = NETS["lstm-initial-truncate2"]
    module = tmp_path / f"lengths_{lang}.py"
    module.write_text(source(net.backward(), lang), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(module.stem, module)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    x1, x2 = (s.name for s in net.inputs[:2])
    with pytest.raises(ValueError, match=r"^the arrays along the batch axis have different lengths: \[2, 3\]$"):
        loaded.evaluate({x1: [0.1, 0.2, 0.3], x2: [0.4, 0.5]})


def test_the_module_as_a_script_prints_the_evaluated_json(tmp_path, capsys):
    module = tmp_path / "module.py"
    assert main(["code", str(EXAMPLES / "lstm.toml"), "-o", str(module)]) == 0
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(module)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    expected = sb.load(EXAMPLES / "lstm.toml").backward().evaluate()
    assert_matches(out["cost"], out["gradients"], expected.cost, {k: float(v) for k, v in expected.gradients.items()})


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_the_code_does_not_grow_with_the_steps(cell):
    """The loop runs over the steps: the compiled text is the same for 3 steps and 12."""
    texts = [source(sb.Recurrent(2, 3, 1, steps, cell=cell, truncate=2).backward(), lang, standalone=False)
             for steps in (3, 12) for lang in ("numpy", "torch")]
    assert texts[0] == texts[2] and texts[1] == texts[3]
    assert "for t in range(x.shape[1]):" in texts[0]


@pytest.mark.parametrize("mask", [None, "causal"])
def test_the_code_does_not_grow_with_the_tokens(mask):
    texts = [source(sb.Attention(tokens, 3, 2, mask=mask, outputs=1).backward(), standalone=False)
             for tokens in (2, 9)]
    assert texts[0] == texts[1]


def test_comments_name_the_derivation_formulas():
    lstm = source(NETS["lstm"].backward())
    assert "# ∂C/∂c^(t) = ∂C/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂C/∂c^(t+1) ⊙ f^(t+1)\n" in lstm
    assert "# f = σ(W_f h^(t-1) + U_f x^(t) + b_f): left out while c^(t-1) = 0 (step 1 without c0)\n" in lstm
    gru = source(NETS["gru-truncate2"].backward())
    assert "        # ∂C/∂z = ∂C/∂h^(t) ⊙ (h^(t-1) − h̃), ∂C/∂h̃ = ∂C/∂h^(t) ⊙ (1 − z)\n" in gru
    assert "        if h is None or t % 2 == 0:\n" in gru
    att = source(NETS["attention_causal"].backward())
    assert ("    # the softmax Jacobian ∂A_ts/∂S_ts' = A_ts(δ_ss' − A_ts'): dS = A ⊙ (dA − rowsum(dA ⊙ A)) "
            "(a masked entry has A = 0, so dS = 0)\n    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))\n") in att
    assert "    dV = A.swapaxes(-1, -2) @ dO\n" in att


def test_a_custom_cost_is_written_node_by_node():
    from symbackprop.ops.costs import Cost
    quartic = Cost.custom("quartic", lambda a, y: sum((ai - yi) ** 4 for ai, yi in zip(a, y)))
    net = _randomised(sb.Recurrent(1, 2, 1, 3, cell="gru", cost=quartic), 3)
    d = net.backward()
    text = source(d)
    assert "for t in range" not in text
    out, expected = d.compile()(), d.evaluate()
    assert_matches(out.cost, out.gradients, expected.cost, expected.gradients)


def test_a_missing_value_is_named():
    net = sb.Recurrent(1, 2, 1, 2, cell="lstm")
    d = net.backward()
    with pytest.raises(PointError) as expected:
        d.evaluate({"x^{(1)}_{1}": 0.5})
    with pytest.raises(PointError) as compiled:
        d.compile()({"x^{(1)}_{1}": 0.5})
    assert str(compiled.value) == str(expected.value)
    assert str(compiled.value).startswith("no value for W^{(f)}_{11}, W^{(f)}_{12}")


def test_a_batch_entry_that_is_not_finite_is_refused():
    d = NETS["attention"].backward()
    with pytest.raises(PointError, match="finite"):
        d.compile()({"x_{1,1}": np.array([0.5, np.nan])})


def test_a_batch_of_one_example_is_that_example():
    d = NETS["lstm"].backward()
    out = d.compile()({"x^{(1)}_{1}": np.array([0.25]), "y^{(2)}_{1}": -0.5})
    expected = d.evaluate({"x^{(1)}_{1}": 0.25, "y^{(2)}_{1}": -0.5})
    assert out.size == 1
    assert_matches(out.cost, out.gradients, expected.cost, expected.gradients)


def test_a_mini_batch_spec_runs_its_examples(tmp_path):
    """[[points]] on a truncated LSTM: compiled and exported, the totals of evaluate()'s examples
    (each example with its own held copies)."""
    text = (EXAMPLES / "lstm.toml").read_text(encoding="utf-8")
    text = text.replace("steps = 3\n", "steps = 3\ntruncate = 2\n").replace(
        "[point]\nx = [[1.0], [0.5], [-1.0]]\ny = [[0.5], [0.2], [0.1]]\n",
        "[[points]]\nx = [[1.0], [0.5], [-1.0]]\ny = [[0.5], [0.2], [0.1]]\n"
        "[[points]]\nx = [[0.2], [-0.5], [0.3]]\ny = [[0.1], [0.4], [-0.1]]\n")
    spec = tmp_path / "batch.toml"
    spec.write_text(text, encoding="utf-8")
    net = sb.load(spec)
    assert len(net.points) == 2 and net.truncate == 2
    d = net.backward()
    expected = d.evaluate()
    out = d.compile()()
    assert out.size == 2
    assert_matches(out.cost, out.gradients, expected.cost, expected.gradients)
    module = tmp_path / "module.py"
    assert main(["code", str(spec), "-o", str(module)]) == 0
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(module)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    exported = json.loads(done.stdout)
    assert_matches(exported["cost"], exported["gradients"], expected.cost,
                   {k: float(v) for k, v in expected.gradients.items()})


def test_c0_on_a_cell_without_one_is_one_error_naming_the_cell():
    with pytest.raises(sb.SpecError) as exc:
        sb.Recurrent(2, 2, 1, 3, c0=[1.0, 2.0])
    assert str(exc.value) == "c0 is the initial cell state of an LSTM; an elman cell has none"


@pytest.mark.parametrize("name", ["lstm-initial-truncate2", "attention-causal-dense"])
def test_new_values_are_the_compiled_codes_defaults(name):
    """net.values = … after compile(): the names not given take the new values, as in evaluate()."""
    net = sb.Recurrent(2, 3, 2, 4, cell="lstm", truncate=2, h0=[0.3, -0.2, 0.5], c0=[-0.4, 0.1, 0.2]) \
        if name.startswith("lstm") else sb.Attention(4, 3, 2, 3, mask="causal", outputs=2,
                                                     output_activation="sigmoid", cost="binary_cross_entropy")
    _randomised(net, 1)
    d = net.backward()
    fn = d.compile()
    before = fn().cost
    _randomised(net, 2)
    expected = d.evaluate()
    assert not close(before, expected.cost)
    out = fn()
    assert_matches(out.cost, out.gradients, expected.cost, expected.gradients)


def test_a_module_at_values_too_large_says_so_in_one_line(tmp_path):
    """x = 1e308 overflows the scores (∞ − ∞ in the softmax): the script's stderr is one
    error line, with no NumPy warning before it."""
    spec = {"cost": "mse", "attention": {"tokens": 3, "d_model": 2, "d_k": 2, "d_v": 2,
                                         "W_Q": [[0.5, -0.3], [0.2, 0.8]], "W_K": [[0.4, 0.1], [-0.6, 0.3]],
                                         "W_V": [[1.0, -0.5], [0.3, 0.7]]},
            "point": {"x": [[1e308, 1e308]] * 3, "y": [[0.5, 0.0], [0.0, 0.5], [1.0, 0.5]]}}
    path, module = tmp_path / "huge.json", tmp_path / "huge.py"
    path.write_text(json.dumps(spec), encoding="utf-8")
    assert main(["code", str(path), "-o", str(module)]) == 0
    done = subprocess.run([sys.executable, str(module)], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", "error: a value is not finite (the values are too large for floating point)\n")
