"""Array code of convolutional nets (codegen/conv.py): compile() on every backend and the
standalone `code` module give the cost and every gradient of the derivation's own
evaluate() (itself three-way checked), with no line per pixel; max pooling's ties go to
the first arg-max, as the graph's first_argmax says."""

import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symbackprop as sb
from symbackprop.builders.convnet import positions
from symbackprop.codegen.conv import ConvArrays
from symbackprop.codegen import source
from symbackprop.errors import PointError
from symbackprop.ops.costs import REGISTRY, Cost

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BACKENDS = ["numpy"] + [name for name in ("torch", "jax") if importlib.util.find_spec(name)]


def _values(shape, seed, scale=0.5):
    return (np.random.default_rng(seed).normal(scale=scale, size=shape)).round(3).tolist()


def _spec(input_shape, layers, cost, targets, *, points=1, seed=0):
    """A spec with random values for every layer and ``points`` examples."""
    rng_seed = seed
    shape = tuple(input_shape)
    built = []
    for layer in layers:
        layer = dict(layer)
        kind = layer.get("type", "dense")
        if kind == "conv":
            channels, kernel = layer["channels"], layer["kernel"]
            kernel = kernel if isinstance(kernel, list) else [kernel] * (len(shape) - 1)
            layer["K"] = _values((channels, shape[0], *kernel), rng_seed)
            layer["b"] = _values((channels,), rng_seed + 1, 0.1)
            stride = layer.get("stride", 1)
            stride = stride if isinstance(stride, list) else [stride] * len(kernel)
            pad = layer.get("padding", 0)
            shape = (channels,) + tuple((n + 2 * pad - k) // s + 1 for n, k, s in zip(shape[1:], kernel, stride))
        elif kind in ("maxpool", "avgpool"):
            k = layer["kernel"]
            s = layer.get("stride", k)
            shape = (shape[0],) + tuple((n - k) // s + 1 for n in shape[1:])
        elif kind in ("batchnorm", "layernorm"):
            count = shape[0] if kind == "batchnorm" else math.prod(shape)
            layer["gamma"] = (1 + np.array(_values((count,), rng_seed, 0.2))).round(3).tolist()
            layer["beta"] = _values((count,), rng_seed + 1, 0.1)
        else:
            layer["W"] = _values((layer["units"], math.prod(shape)), rng_seed)
            layer["b"] = _values((layer["units"],), rng_seed + 1, 0.1)
            shape = (layer["units"],)
        built.append(layer)
        rng_seed += 2
    examples = [{"x": _values(input_shape, 100 + seed + n, 1.0), "y": targets[n % len(targets)]}
                for n in range(points)]
    spec = {"input_shape": list(input_shape), "cost": cost, "layers": built}
    if points == 1:
        spec["point"] = examples[0]
    else:
        spec["points"] = examples
    return spec


CASES = {
    "conv1d_stride2_pad1": _spec([2, 7], [
        {"type": "conv", "channels": 3, "kernel": 3, "stride": 2, "padding": 1, "activation": "tanh"},
        {"type": "maxpool", "kernel": 2},
        {"units": 2, "activation": "identity"}], "mse", [[0.5, -0.2]]),
    "conv2d_2channels_stride2_pad1": _spec([2, 5, 5], [
        {"type": "conv", "channels": 2, "kernel": 3, "stride": 2, "padding": 1, "activation": "relu"},
        {"type": "avgpool", "kernel": 3},
        {"units": 3, "activation": "softmax"}], "cross_entropy", [[0, 0, 1]]),
    "two_convs_overlapping_maxpool": _spec([1, 6, 6], [
        {"type": "conv", "channels": 2, "kernel": [2, 3], "activation": "leaky_relu"},
        {"type": "maxpool", "kernel": 2, "stride": 1},
        {"type": "conv", "channels": 2, "kernel": [2, 1], "stride": [1, 2], "activation": "silu"},
        {"units": 2, "activation": "sigmoid"}], "binary_cross_entropy", [[1, 0]]),
    "layernorm": _spec([1, 4, 4], [
        {"type": "conv", "channels": 2, "kernel": 2},
        {"type": "layernorm", "activation": "softplus"},
        {"type": "avgpool", "kernel": 3},
        {"units": 2, "activation": "identity"}], "sse", [[0.3, -0.1]]),
    "batchnorm_3_examples": _spec([2, 4, 4], [
        {"type": "conv", "channels": 2, "kernel": 3, "padding": 1, "activation": "identity"},
        {"type": "batchnorm", "activation": "relu"},
        {"type": "maxpool", "kernel": 2},
        {"units": 3, "activation": "tanh"},
        {"type": "batchnorm", "eps": 0.001},
        {"type": "layernorm", "activation": "sigmoid"},
        {"units": 3, "activation": "softmax"}], "cross_entropy", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], points=3),
    "map_output_sigmoid": _spec([1, 5], [
        {"type": "conv", "channels": 2, "kernel": 2, "activation": "sigmoid"}], "mse",
        [[0.1, 0.9, 0.5, 0.2, 0.3, 0.7, 0.4, 0.6]]),
    "pool_output": _spec([2, 4, 4], [
        {"type": "conv", "channels": 1, "kernel": 3, "padding": 1, "activation": "sigmoid"},
        {"type": "avgpool", "kernel": 2}], "binary_cross_entropy", [[1, 0, 0, 1]]),
    "minibatch_without_batchnorm": _spec([1, 4, 4], [
        {"type": "conv", "channels": 2, "kernel": 3, "activation": "relu"},
        {"type": "maxpool", "kernel": 2},
        {"units": 2, "activation": "softmax"}], "cross_entropy", [[1, 0], [0, 1]], points=3),
}

SPECS = {**{name: EXAMPLES / f"{name}.toml" for name in ("cnn", "cnn1d", "batchnorm")}, **CASES}


def _derivation(spec):
    return sb.load(spec).backward()


def _close(got, want, rel=1e-10):
    """Every value within ``rel`` of the largest expected value (gradients that are 0 by
    a ReLU or a pool may come out as 0 or as rounding noise)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(np.abs(want).max(), 1e-300)
    assert np.abs(got - want).max() <= rel * scale, np.abs(got - want).max() / scale


@pytest.fixture(scope="module")
def derived():
    return {name: _derivation(spec) for name, spec in SPECS.items()}


#: JAX compiles each operation on first use (seconds per net): the examples and the widest case.
_JAX = ("cnn", "cnn1d", "batchnorm", "batchnorm_3_examples")


@pytest.mark.parametrize("name, backend", [(name, backend) for name in SPECS for backend in BACKENDS
                                             if backend != "jax" or name in _JAX])
def test_compiled_equals_evaluate(derived, name, backend):
    d = derived[name]
    expected = d.evaluate()
    fn = d.compile(backend)
    assert isinstance(fn, ConvArrays)
    got = fn()
    assert got.cost == pytest.approx(float(expected.cost), rel=1e-10)
    assert list(got.gradients) == list(expected.gradients)
    _close([got.gradients[k] for k in expected.gradients], [float(v) for v in expected.gradients.values()])


@pytest.mark.parametrize("lang", ["numpy", "torch"])
@pytest.mark.parametrize("name", list(SPECS))
def test_standalone_module_prints_evaluate(derived, name, lang, tmp_path):
    if lang == "torch" and "torch" not in BACKENDS:
        pytest.skip("torch is not installed")
    d = derived[name]
    expected = d.evaluate()
    path = tmp_path / "net.py"
    path.write_text(source(d, lang))
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["cost"] == pytest.approx(float(expected.cost), rel=1e-10)
    assert list(out["gradients"]) == list(expected.gradients)
    _close(list(out["gradients"].values()), [float(v) for v in expected.gradients.values()])


def test_every_cost_and_activation(derived):
    """The costs and activations the cases above cover: every registered cost, and the
    activations with code of their own."""
    nets = [d.graph for d in derived.values()]
    assert {net.cost_function.name for net in nets} == set(REGISTRY)
    acts = {act.name for net in nets for act in net.activations}
    assert {"relu", "tanh", "sigmoid", "softmax", "identity", "leaky_relu", "silu", "softplus"} <= acts


def test_a_batch_is_the_sum_of_its_points(derived):
    """Arrays along a leading axis: cost and gradients summed over the examples, each as
    evaluate() gives it at that point."""
    d = derived["conv2d_2channels_stride2_pad1"]
    net = d.graph
    rng = np.random.default_rng(5)
    names = [net.x(*index).name for index in positions(net.shapes[0])]
    columns = {name: rng.normal(size=4) for name in names}
    columns[net.y(1).name] = np.array([0.0, 1.0, 0.0, 1.0])
    columns[net.y(3).name] = 1 - columns[net.y(1).name]
    point = {**columns, net.K(1, 2, 1, 1, 3).name: 0.4}
    got = d.compile()(point)
    assert got.size == 4
    singles = [d.evaluate({k: (v[r] if isinstance(v, np.ndarray) else v) for k, v in point.items()}) for r in range(4)]
    assert got.cost == pytest.approx(sum(float(s.cost) for s in singles), rel=1e-10)
    _close([got.gradients[k] for k in singles[0].gradients],
           [sum(float(s.gradients[k]) for s in singles) for k in singles[0].gradients])


def test_a_coupled_batch_takes_its_examples_by_name(derived):
    """With a batch norm the examples are one graph: x^{(n)} by name; an array along a
    leading axis is a batch of such mini-batches, each normalized on its own."""
    d = derived["batchnorm"]
    net = d.graph
    fn = d.compile()
    name = net.x(1, 2, 2, n=2).name
    base = float(net.values[net.x(1, 2, 2, n=2)])
    shifted = {name: base + 0.3}
    one = fn(shifted)
    expected = d.evaluate(shifted)
    assert one.cost == pytest.approx(float(expected.cost), rel=1e-10)
    _close([one.gradients[k] for k in expected.gradients], [float(v) for v in expected.gradients.values()])
    both = fn({name: np.array([base, base + 0.3])})
    assert both.size == 2
    assert both.cost == pytest.approx(float(d.evaluate().cost) + float(expected.cost), rel=1e-10)
    key = "x_{1,2,2}"
    assert both.gradients[key] == pytest.approx(float(d.evaluate().gradients[key]) + float(expected.gradients[key]),
                                                rel=1e-10)


def test_the_module_takes_a_batch_of_coupled_batches(derived, tmp_path):
    """The `code` module's evaluate(values=…) with an array for one example's input: as compile()."""
    d = derived["batchnorm"]
    path = tmp_path / "bn.py"
    path.write_text(source(d, "numpy"))
    spec = importlib.util.spec_from_file_location("bn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    values = {"x^{(2)}_{1,2,2}": [0.1, 0.4], "K^{(2)}_{1,1,1,2}": 0.2}
    out = module.evaluate(values)
    expected = d.compile()({k: np.asarray(v) for k, v in values.items()})
    assert out["cost"] == pytest.approx(expected.cost, rel=1e-12)
    assert list(out["gradients"]) == list(expected.gradients)
    _close(list(out["gradients"].values()), [expected.gradients[k] for k in expected.gradients], rel=1e-12)


def _square_net(n):
    spec = _spec([1, n, n], [
        {"type": "conv", "channels": 2, "kernel": 3, "padding": 1, "activation": "relu"},
        {"type": "maxpool", "kernel": 2},
        {"type": "batchnorm"},
        {"units": 2, "activation": "softmax"}], "cross_entropy", [[1, 0], [0, 1]], points=2)
    return _derivation(spec)


@pytest.mark.parametrize("lang", ["numpy", "torch"])
def test_no_line_per_pixel(lang):
    """A 4×4 and an 8×8 input give modules of the same length; only the sizes differ."""
    small, large = source(_square_net(4), lang), source(_square_net(8), lang)
    assert len(small.splitlines()) == len(large.splitlines())
    passes = small[small.index("def forward"):small.index("def _merged")]
    assert not re.search(r"\bfor \w+ in\b|\bwhile\b", passes)


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_pool_ties_go_to_the_first_argmax(backend):
    """Windows of equal entries: the whole gradient goes to the first one in row-major
    order (first_argmax), in the compiled code as in the graph."""
    spec = {"input_shape": [1, 2, 4], "cost": "mse",
            "layers": [{"type": "maxpool", "kernel": 2},
                       {"units": 1, "activation": "identity", "W": [[2.0, -3.0]], "b": [0.5]}],
            "point": {"x": [[[0.5, 0.5, 0.1, 0.7], [0.5, 0.5, 0.7, 0.2]]], "y": [0.25]}}
    d = _derivation(spec)
    expected = {k: float(v) for k, v in d.evaluate().gradients.items()}
    got = d.compile(backend)().gradients
    delta = 2.0 * 0.5 + -3.0 * 0.7 + 0.5 - 0.25
    assert got["x_{1,1,1}"] == pytest.approx(2.0 * delta, rel=1e-12) == expected["x_{1,1,1}"]
    assert got["x_{1,1,4}"] == pytest.approx(-3.0 * delta, rel=1e-12) == expected["x_{1,1,4}"]
    for key in ("x_{1,1,2}", "x_{1,2,1}", "x_{1,2,2}", "x_{1,1,3}", "x_{1,2,3}", "x_{1,2,4}"):
        assert got[key] == 0.0 == expected[key]


def test_missing_values_name_the_leaves():
    spec = _spec([1, 3, 3], [{"type": "conv", "channels": 1, "kernel": 2}, {"units": 1, "activation": "identity"}],
                 "mse", [[0.2]])
    del spec["point"]["x"]
    fn = _derivation(spec).compile()
    with pytest.raises(PointError, match=r"no value for x_\{1,1,1\}"):
        fn()
    assert fn({f"x_{{1,{i},{j}}}": 0.1 * i - 0.05 * j for i in (1, 2, 3) for j in (1, 2, 3)}).size == 1


def test_a_cost_without_code_is_written_node_by_node():
    """A cost the registry has no array code for (built in Python): the node-by-node
    writer and layout, with the same numbers as evaluate()."""
    quartic = Cost("quartic", lambda a, y: sum((ai - yi) ** 4 for ai, yi in zip(a, y)), r"C = \sum_j (a_j - y_j)^4")
    net = sb.ConvNet((1, 3, 3), [sb.Conv(1, kernel=2, activation="tanh"), sb.Dense(1, "identity")], cost=quartic)
    rng = np.random.default_rng(3)
    net.values = {s: float(v) for s, v in zip(net.leaves, rng.normal(size=len(net.leaves)))}
    d = net.backward()
    fn = d.compile()
    assert not isinstance(fn, ConvArrays)
    expected = d.evaluate()
    assert fn().cost == pytest.approx(float(expected.cost), rel=1e-10)
    _close([fn().gradients[k] for k in expected.gradients], [float(v) for v in expected.gradients.values()])
    assert "forward(" in source(d) and "PARAMETER_ARRAYS" not in source(d)


@pytest.mark.parametrize("layer, n, message", [
    ({"type": "conv", "channels": 8, "kernel": 3, "activation": "relu"}, 24,
     "34,848 weight uses (kernel entries × window positions and dense weights, over 1 examples), above the "
     "limit of 20,000"),
    ({"units": 1}, 72, "the network has 5,185 parameters, above the limit of 5,000")])
def test_a_spec_above_the_limits_is_one_error_line(run_cli, tmp_path, monkeypatch, layer, n, message):
    """Every command of a spec derives and checks each weight use: a spec stops at the
    lower limits, before anything is built; the Python builder takes the net."""
    from symbackprop.builders import convnet
    monkeypatch.setattr(convnet.ConvNet, "_build", lambda self: pytest.fail("built"))
    spec = {"input_shape": [1, n, n], "cost": "mse", "layers": [layer]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(spec))
    why = " for a spec (its commands derive and check every use; sb.ConvNet builds larger nets for compile())"
    for command in (("eval",), ("derive", "--format", "text"), ("code",), ("check", "--wrt", "b^{(1)}_{1}",
                                                                          "--answer", "0")):
        assert run_cli(*command, path) == (2, "", f"error: {path}: {message}{why}\n")
    layers = [sb.Conv(8, kernel=3) if layer.get("type") == "conv" else sb.Dense(1)]
    convnet.refuse_large(convnet.map_shapes((1, n, n), layers), layers, 1)     # within the builder's limits


def test_the_lecture_cnn_at_28_by_28_is_within_the_builders_limits():
    from symbackprop.builders.convnet import map_shapes, refuse_large
    from symbackprop.errors import SpecError
    layers = [sb.Conv(8, kernel=3, activation="relu"), sb.Pool(2), sb.Dense(10, "softmax")]
    refuse_large(map_shapes((1, 28, 28), layers), layers, 1)
    with pytest.raises(SpecError, match="^the network has 23,210 parameters, above the limit of 20,000$"):
        refuse_large(map_shapes((1, 36, 36), layers), layers, 1)


@pytest.mark.parametrize("title", ['"""; raise SystemExit(3) #', "# coding: latin-1", "^^5c \\N{DIGIT ONE} '''"],
                         ids=["triple-quote", "coding", "tex-escape"])
def test_a_hostile_title_stays_a_comment_of_the_module(derived, title, tmp_path, run_cli):
    """The title reaches the module's head as text: the module runs and prints evaluate()."""
    spec = dict(CASES["conv1d_stride2_pad1"], title=title)
    path, out = tmp_path / "net.json", tmp_path / "net.py"
    path.write_text(json.dumps(spec))
    assert run_cli("code", path, "-o", out)[0] == 0
    run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    expected = derived["conv1d_stride2_pad1"].evaluate()
    assert json.loads(run.stdout)["cost"] == pytest.approx(float(expected.cost), rel=1e-12)


def test_a_title_of_two_lines_is_one_error_line_naming_the_spec_once(run_cli, tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(dict(CASES["conv1d_stride2_pad1"], title="a\nb")))
    assert run_cli("code", path) == (2, "", f"error: {path}: title: expected one line of text (at most 200 "
                                            "characters, no control characters); character 2 is a control "
                                            "character (U+000A)\n")


def test_new_values_are_the_compiled_codes_defaults():
    """net.values = … after compile(): the names not given take the new values, as in evaluate()."""
    net = sb.load(CASES["conv1d_stride2_pad1"])
    d = net.backward()
    fn = d.compile()
    before = fn().cost
    net.values = {**net.values, net.x(1, 2): 2.5, net.parameters[0]: -0.75}
    expected = d.evaluate()
    assert fn().cost != pytest.approx(before)
    assert fn().cost == pytest.approx(float(expected.cost), rel=1e-10)
    _close([fn().gradients[k] for k in expected.gradients], [float(v) for v in expected.gradients.values()])


def test_a_tensor_that_requires_grad_is_one_point_error(derived):
    torch = pytest.importorskip("torch")
    fn = derived["conv1d_stride2_pad1"].compile()
    with pytest.raises(PointError) as exc:
        fn({"x_{1,1}": torch.tensor([1.0, 2.0], requires_grad=True)})
    # the reason in brackets is torch's own words
    assert re.fullmatch(r"point value of x_\{1,1\}: a Tensor that NumPy cannot read \(.*requires grad.*\)",
                        str(exc.value)), str(exc.value)
    plain = fn({"x_{1,1}": torch.tensor([1.0, 2.0])})
    assert plain.cost == pytest.approx(fn({"x_{1,1}": np.array([1.0, 2.0])}).cost, rel=1e-15)
