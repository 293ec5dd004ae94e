"""Convolution, pooling, batch norm and layer norm (builders/convnet.py): every gradient
against an independent NumPy implementation written here (convolution forward and
backward by loops, max-pool routing to the first arg-max, batch norm's textbook backward),
against torch autograd when installed, and the spec's shape errors word for word."""

import importlib.util
import json

import numpy as np
import pytest
import sympy

import symbackprop as sb
from symbackprop.codegen import source
from symbackprop.errors import SpecError

# --- an independent reference: loops over every entry ---------------------------------------

def conv_forward(x, K, b, stride, pad):
    """x (C, H, W), K (O, C, kh, kw): the cross-correlation with zero padding."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    O, C, kh, kw = K.shape
    H = (xp.shape[1] - kh) // stride + 1
    W = (xp.shape[2] - kw) // stride + 1
    z = np.zeros((O, H, W))
    for o in range(O):
        for i in range(H):
            for j in range(W):
                z[o, i, j] = b[o] + sum(K[o, c, p, q] * xp[c, i * stride + p, j * stride + q]
                                        for c in range(C) for p in range(kh) for q in range(kw))
    return z


def conv_backward(x, K, dz, stride, pad):
    """dK, db, dx of a cross-correlation, each entry the sum of its uses."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    dK, dxp = np.zeros_like(K), np.zeros_like(xp)
    O, C, kh, kw = K.shape
    for o in range(O):
        for i in range(dz.shape[1]):
            for j in range(dz.shape[2]):
                for c in range(C):
                    for p in range(kh):
                        for q in range(kw):
                            dK[o, c, p, q] += xp[c, i * stride + p, j * stride + q] * dz[o, i, j]
                            dxp[c, i * stride + p, j * stride + q] += K[o, c, p, q] * dz[o, i, j]
    dx = dxp[:, pad:dxp.shape[1] - pad, pad:dxp.shape[2] - pad]
    return dK, dz.sum(axis=(1, 2)), dx


def pool_forward(a, k, mode):
    C, H, W = a.shape
    out = np.zeros((C, H // k, W // k))
    for c in range(C):
        for i in range(H // k):
            for j in range(W // k):
                window = a[c, i * k:i * k + k, j * k:j * k + k]
                out[c, i, j] = window.max() if mode == "max" else window.mean()
    return out


def pool_backward(a, k, mode, dout):
    da = np.zeros_like(a)
    for c in range(a.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                window = a[c, i * k:i * k + k, j * k:j * k + k]
                if mode == "max":   # the first arg-max, in row-major order
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    da[c, i * k + p, j * k + q] += dout[c, i, j]
                else:
                    da[c, i * k:i * k + k, j * k:j * k + k] += dout[c, i, j] / k ** 2
    return da


def softmax_ce(z, y):
    e = np.exp(z - z.max())
    a = e / e.sum()
    return -np.sum(y * np.log(a)), a - y


def batchnorm_backward(x, gamma, dy, eps, axes):
    """The textbook backward of y = γ x̂ + β, x̂ = (x − μ)/√(σ² + ε), over ``axes``:
    through x̂ directly, through the variance and through the mean."""
    m = np.prod([x.shape[a] for a in axes])
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    dxhat = dy * gamma
    dvar = np.sum(dxhat * (x - mu) * -0.5 * (var + eps) ** -1.5, axis=axes, keepdims=True)
    dmu = np.sum(-dxhat / np.sqrt(var + eps), axis=axes, keepdims=True) \
        + dvar * np.mean(-2 * (x - mu), axis=axes, keepdims=True)
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    return dx, np.sum(dy * xhat, axis=axes), np.sum(dy, axis=axes)


# --- specs -----------------------------------------------------------------------------------

RNG = np.random.default_rng(19)
X = RNG.normal(size=(1, 4, 4)).round(3)
K = RNG.normal(scale=0.5, size=(2, 1, 3, 3)).round(3)
B = np.array([0.1, -0.05])
W = RNG.normal(scale=0.5, size=(3, 2)).round(3)
BD = np.array([0.0, 0.1, -0.1])
Y = np.array([0.0, 1.0, 0.0])


def cnn_spec(pool="maxpool", **conv):
    K_ = conv.pop("K", K)
    return {"input_shape": [1, 4, 4], "cost": "cross_entropy",
            "layers": [{"type": "conv", "channels": 2, "kernel": [3, 3], "activation": "relu",
                        "K": np.asarray(K_).tolist(), "b": B.tolist(), **conv},
                       {"type": pool, "kernel": 2},
                       {"units": 3, "activation": "softmax", "W": W.tolist(), "b": BD.tolist()}],
            "point": {"x": X.tolist(), "y": Y.tolist()}}


def cnn_reference(mode, x=X, y=Y):
    z = conv_forward(x, K, B, 1, 0)
    a = np.maximum(z, 0)
    p = pool_forward(a, 2, mode)
    cost, dzd = softmax_ce(W @ p.reshape(-1) + BD, y)
    dp = (W.T @ dzd).reshape(p.shape)
    dz = pool_backward(a, 2, mode, dp) * (z > 0)
    dK, db, dx = conv_backward(x, K, dz, 1, 0)
    return cost, {"K": dK, "b1": db, "x": dx, "w": np.outer(dzd, p.reshape(-1)), "b3": dzd}


def gradients(spec):
    values = sb.load(spec).backward().evaluate()
    return float(values.cost), {k: float(v) for k, v in values.gradients.items()}


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_cnn_gradients_match_loops(mode):
    cost, grads = gradients(cnn_spec(mode + "pool"))
    ref_cost, ref = cnn_reference(mode)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for (o, c, p, q), v in np.ndenumerate(ref["K"]):
        assert grads["K^{(1)}_{%d,%d,%d,%d}" % (o + 1, c + 1, p + 1, q + 1)] == pytest.approx(v, abs=1e-12)
    for (c, i, j), v in np.ndenumerate(ref["x"]):
        assert grads["x_{%d,%d,%d}" % (c + 1, i + 1, j + 1)] == pytest.approx(v, abs=1e-12)
    for (j, k), v in np.ndenumerate(ref["w"]):
        assert grads["w^{(3)}_{%d%d}" % (j + 1, k + 1)] == pytest.approx(v, abs=1e-12)
    assert [grads["b^{(1)}_{%d}" % o] for o in (1, 2)] == pytest.approx(ref["b1"], abs=1e-12)
    assert [grads["b^{(3)}_{%d}" % j] for j in (1, 2, 3)] == pytest.approx(ref["b3"], abs=1e-12)


def test_stride_and_padding_match_loops():
    """Stride 3 and padding 1: a 4×4 input padded to 6×6 gives a 2×2 map."""
    spec = cnn_spec("avgpool", stride=3, padding=1)
    net = sb.load(spec)
    assert net.shapes == ((1, 4, 4), (2, 2, 2), (2, 1, 1), (3,))
    _, grads = gradients(spec)
    z = conv_forward(X, K, B, 3, 1)
    a = np.maximum(z, 0)
    p = pool_forward(a, 2, "avg")
    Wd = np.array(spec["layers"][2]["W"])
    _, dzd = softmax_ce(Wd @ p.reshape(-1) + BD, Y)
    dz = pool_backward(a, 2, "avg", (Wd.T @ dzd).reshape(p.shape)) * (z > 0)
    dK, _, dx = conv_backward(X, K, dz, 3, 1)
    for (o, c, p_, q), v in np.ndenumerate(dK):
        assert grads["K^{(1)}_{%d,%d,%d,%d}" % (o + 1, c + 1, p_ + 1, q + 1)] == pytest.approx(v, abs=1e-12)
    for (c, i, j), v in np.ndenumerate(dx):
        assert grads["x_{%d,%d,%d}" % (c + 1, i + 1, j + 1)] == pytest.approx(v, abs=1e-12)


def test_conv_1d_names_and_values():
    """1-D: x_{c,i}, K^{(l)}_{o,c,p}; mse on a dense identity output."""
    spec = {"input_shape": [2, 5], "layers": [
        {"type": "conv", "channels": 1, "kernel": 2, "stride": 1, "K": [[[0.5, -1.0], [2.0, 0.25]]], "b": [0.5]},
        {"units": 1, "activation": "identity", "W": [[1.0, 2.0, 3.0, 4.0]], "b": [0.0]}],
        "point": {"x": [[1, 2, 3, 4, 5], [0, 1, 0, -1, 2]], "y": [1]}}
    _, grads = gradients(spec)
    x = np.array(spec["point"]["x"], float)
    Kk = np.array(spec["layers"][0]["K"])
    z = conv_forward(x[:, None, :], Kk[:, :, None, :], [0.5], 1, 0)[0, 0]
    out = np.dot([1, 2, 3, 4], z)
    dz = (out - 1) * np.array([1.0, 2, 3, 4])     # mse: C = ½ (a − y)²
    dK, _, dx = conv_backward(x[:, None, :], Kk[:, :, None, :], dz[None, None, :], 1, 0)
    assert grads["K^{(1)}_{1,2,1}"] == pytest.approx(dK[0, 1, 0, 0])
    assert grads["K^{(1)}_{1,1,2}"] == pytest.approx(dK[0, 0, 0, 1])
    assert grads["x_{2,3}"] == pytest.approx(dx[1, 0, 2])
    assert grads["x_{1,5}"] == pytest.approx(dx[0, 0, 4])


BN_X = [[[[0.2, -0.4], [0.9, 0.1]]], [[[-0.3, 0.5], [0.05, 0.7]]], [[[0.6, -0.8], [0.35, -0.1]]]]
BN_K = [[[[1.0, -0.5], [0.25, 0.75]]], [[[-0.6, 0.4], [0.3, 0.2]]]]


def batchnorm_spec():
    return {"input_shape": [1, 3, 3], "cost": "mse", "layers": [
        {"type": "conv", "channels": 2, "kernel": 2, "K": BN_K, "b": [0.1, -0.2]},
        {"type": "batchnorm", "gamma": [1.5, 0.8], "beta": [0.1, -0.3], "activation": "tanh"},
        {"units": 1, "activation": "identity", "W": [[0.5, -0.25, 0.3, 0.1, -0.4, 0.2, 0.6, -0.1]], "b": [0.05]}],
        "points": [{"x": _grid(n), "y": [0.5 * n - 0.5]} for n in range(3)]}


def _grid(n):
    return (np.arange(9).reshape(1, 3, 3) * (0.1 + 0.07 * n) - 0.3 * n + np.array(BN_X[n][0][0]).sum()).round(3).tolist()


def batchnorm_reference(spec):
    """The batch's cost L, and dK, dγ, dβ and each example's dx, by NumPy (N, …) arrays."""
    xs = np.array([p["x"] for p in spec["points"]])                 # (N, 1, 3, 3)
    Kk, bk = np.array(BN_K), np.array([0.1, -0.2])
    z = np.stack([conv_forward(x, Kk, bk, 1, 0) for x in xs])       # (N, 2, 2, 2)
    g, be = np.array([1.5, 0.8]).reshape(1, 2, 1, 1), np.array([0.1, -0.3]).reshape(1, 2, 1, 1)
    mu, var = z.mean(axis=(0, 2, 3), keepdims=True), z.var(axis=(0, 2, 3), keepdims=True)
    u = g * (z - mu) / np.sqrt(var + 1e-5) + be
    a = np.tanh(u)
    Wd = np.array(spec["layers"][2]["W"][0])
    out = a.reshape(3, -1) @ Wd + 0.05
    y = np.array([p["y"][0] for p in spec["points"]])
    dout = out - y                                                  # L = Σₙ ½ (oⁿ − yⁿ)²
    du = (dout[:, None] * Wd).reshape(a.shape) * (1 - a ** 2)
    dz, dgamma, dbeta = batchnorm_backward(z, g, du, 1e-5, (0, 2, 3))
    dK = sum(conv_backward(x, Kk, d, 1, 0)[0] for x, d in zip(xs, dz))
    dx = np.stack([conv_backward(x, Kk, d, 1, 0)[2] for x, d in zip(xs, dz)])
    return float(0.5 * np.sum(dout ** 2)), dK, dgamma, dbeta, dx


def test_batchnorm_textbook_backward():
    spec = batchnorm_spec()
    net = sb.load(spec)
    assert net.examples == (1, 2, 3) and net.cost_symbol.name == "L"
    cost, grads = gradients(spec)
    ref_cost, dK, dgamma, dbeta, dx = batchnorm_reference(spec)
    assert cost == pytest.approx(ref_cost, abs=1e-12)
    assert [grads[r"\gamma^{(2)}_{%d}" % c] for c in (1, 2)] == pytest.approx(dgamma, abs=1e-10)
    assert [grads[r"\beta^{(2)}_{%d}" % c] for c in (1, 2)] == pytest.approx(dbeta, abs=1e-10)
    for (o, c, p, q), v in np.ndenumerate(dK):
        assert grads["K^{(1)}_{%d,%d,%d,%d}" % (o + 1, c + 1, p + 1, q + 1)] == pytest.approx(v, abs=1e-10)
    # an input's gradient is the sum over the examples, under its own name x_{c,i,j}
    inputs = {name: v for name, v in grads.items() if name.startswith("x")}
    assert list(inputs) == ["x_{1,%d,%d}" % (i, j) for i in (1, 2, 3) for j in (1, 2, 3)]
    for (c, i, j), v in np.ndenumerate(dx.sum(axis=0)):
        assert inputs["x_{%d,%d,%d}" % (c + 1, i + 1, j + 1)] == pytest.approx(v, abs=1e-10)
    examples = net.backward().evaluate().coupled_examples
    assert [float(e["gradients"]["x_{1,2,3}"]) for e in examples] == pytest.approx(dx[:, 0, 1, 2], abs=1e-10)
    assert sum(float(e["cost"]) for e in examples) == pytest.approx(ref_cost, abs=1e-12)


def test_batchnorm_eval_json_sums_the_checked_copies(run_cli, tmp_path):
    """eval --json: L, the parameters' and inputs' totals, each example's own input gradients;
    every copy's gradient passes the three-way check and the total is their sum."""
    spec = batchnorm_spec()
    path = tmp_path / "bn.json"
    path.write_text(json.dumps(spec))
    code, out, err = run_cli("eval", "--json", path)
    assert code == 0, err
    data = json.loads(out)
    ref_cost, _, _, _, dx = batchnorm_reference(spec)
    assert list(data)[:2] == ["cost", "nodes"] and list(data)[-2:] == ["check", "examples"]
    assert data["cost"] == pytest.approx(ref_cost, abs=1e-12)
    assert data["gradients"]["x_{1,3,1}"] == pytest.approx(dx[:, 0, 2, 0].sum(), abs=1e-12)
    assert not [name for name in data["gradients"] if "^" in name and name.startswith("x")]
    assert [list(e) for e in data["examples"]] == [["cost", "gradients"]] * 3
    assert [e["gradients"]["x_{1,3,1}"] for e in data["examples"]] == pytest.approx(dx[:, 0, 2, 0], abs=1e-12)
    assert sum(e["cost"] for e in data["examples"]) == pytest.approx(data["cost"], rel=1e-14)
    report = sb.load(spec).backward().check()
    rows = {r.name: r for r in report.rows}
    assert report.passed and all(rows["x^{(%d)}_{1,3,1}" % n].ok for n in (1, 2, 3))
    assert sum(rows["x^{(%d)}_{1,3,1}" % n].recursion for n in (1, 2, 3)) == data["gradients"]["x_{1,3,1}"]


def test_conv_batch_without_batchnorm_is_a_minibatch(run_cli, tmp_path):
    """[[points]] without a batch norm: L = Σₙ Cⁿ, parameters' and inputs' totals, and
    ``examples`` with each example's own values, as a layered mini-batch."""
    spec = cnn_spec("avgpool")
    second = (X[:, ::-1, :] * 0.5).round(3)
    spec["points"] = [spec.pop("point"), {"x": second.tolist(), "y": [1.0, 0.0, 0.0]}]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(spec))
    code, out, err = run_cli("eval", "--json", path)
    assert code == 0, err
    data = json.loads(out)
    refs = [cnn_reference("avg"), cnn_reference("avg", second, np.array([1.0, 0.0, 0.0]))]
    assert list(data) == ["cost", "gradients", "check", "examples"] and data["check"]["passed"] is True
    assert data["cost"] == pytest.approx(refs[0][0] + refs[1][0], rel=1e-12)
    assert data["gradients"]["K^{(1)}_{1,1,2,3}"] == pytest.approx(refs[0][1]["K"][0, 0, 1, 2] + refs[1][1]["K"][0, 0, 1, 2], abs=1e-12)
    assert data["gradients"]["x_{1,4,2}"] == pytest.approx(refs[0][1]["x"][0, 3, 1] + refs[1][1]["x"][0, 3, 1], abs=1e-12)
    assert [e["gradients"]["x_{1,4,2}"] for e in data["examples"]] == pytest.approx([r[1]["x"][0, 3, 1] for r in refs], abs=1e-12)
    assert [e["cost"] for e in data["examples"]] == pytest.approx([r[0] for r in refs], rel=1e-12)


@pytest.mark.parametrize("batchnorm", [True, False])
def test_compiled_and_code_keys_match_eval(batchnorm, tmp_path):
    """compile() and the `code` module report eval's gradients under eval's names."""
    spec = batchnorm_spec() if batchnorm else {**cnn_spec(), "points": [{"x": X.tolist(), "y": Y.tolist()}] * 2}
    spec.pop("point", None)
    d = sb.load(spec).backward()
    expected = {k: float(v) for k, v in d.evaluate().gradients.items()}
    compiled = d.compile()().gradients
    assert list(compiled) == list(expected)
    assert [compiled[k] for k in expected] == pytest.approx(list(expected.values()), abs=1e-12)
    path = tmp_path / "net.py"
    path.write_text(source(d, "numpy"))
    module_spec = importlib.util.spec_from_file_location("net", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    exported = module.evaluate()["gradients"]
    assert list(exported) == list(expected)
    assert list(exported.values()) == pytest.approx(list(expected.values()), abs=1e-12)


def test_layernorm_against_torch():
    torch = pytest.importorskip("torch")
    spec = {"input_shape": [1, 3, 3], "cost": "mse", "layers": [
        {"type": "conv", "channels": 2, "kernel": 2, "K": BN_K, "b": [0.1, -0.2]},
        {"type": "layernorm", "gamma": [1.0, 0.5, 1.5, 0.8, 1.2, 0.9, 1.1, 0.7],
         "beta": [0.1, 0.0, -0.1, 0.2, 0.0, 0.05, -0.05, 0.1], "activation": "relu"},
        {"type": "maxpool", "kernel": 2},
        {"units": 1, "activation": "identity", "W": [[0.5, -0.25]], "b": [0.05]}],
        "point": {"x": _grid(1), "y": [0.3]}}
    _, grads = gradients(spec)
    x = torch.tensor([spec["point"]["x"]], dtype=torch.float64, requires_grad=True)
    Kt = torch.tensor(BN_K, dtype=torch.float64, requires_grad=True)
    g = torch.tensor(spec["layers"][1]["gamma"], dtype=torch.float64, requires_grad=True)
    z = torch.nn.functional.conv2d(x, Kt, torch.tensor([0.1, -0.2], dtype=torch.float64))
    u = torch.nn.functional.layer_norm(z, (2, 2, 2), g.reshape(2, 2, 2),
                                       torch.tensor(spec["layers"][1]["beta"], dtype=torch.float64).reshape(2, 2, 2))
    p = torch.nn.functional.max_pool2d(torch.relu(u), 2)
    out = p.reshape(-1) @ torch.tensor([0.5, -0.25], dtype=torch.float64) + 0.05
    (0.5 * (out - 0.3) ** 2).backward()
    assert grads["K^{(1)}_{2,1,1,2}"] == pytest.approx(Kt.grad[1, 0, 0, 1].item(), abs=1e-9)
    assert grads[r"\gamma^{(2)}_{5}"] == pytest.approx(g.grad[4].item(), abs=1e-9)
    assert grads["x_{1,3,2}"] == pytest.approx(x.grad[0, 0, 2, 1].item(), abs=1e-9)


def test_max_pool_routes_to_the_first_argmax():
    """A tie: the first maximum of the window (row-major) gets the whole gradient, as in PyTorch."""
    from symbackprop.core.graph import local_partial
    net = sb.ConvNet((1, 2, 2), [sb.Pool(2), sb.Dense(1, "identity")])
    node = net.nodes[net.a(1, 1, 1, 1)]
    assert node.group == tuple(net.x(1, i, j) for i in (1, 2) for j in (1, 2))
    tie = {s: 1.0 for s in node.group}
    assert [local_partial(net, node, s).subs(tie) for s in node.group] == [1, 0, 0, 0]
    higher = {**tie, net.x(1, 2, 1): 2.0}
    assert [local_partial(net, node, s).subs(higher) for s in node.group] == [0, 0, 1, 0]


def test_max_pool_partial_prints_as_the_first_argmax_indicator():
    """∂max/∂x_k is the indicator 𝟏[x_k = max(window)] in print, the product of steps in value."""
    import sympy
    from symbackprop.answers.evaluate import Undefined, evaluate
    from symbackprop.core.graph import local_partial
    from symbackprop.notation.printing import latex, text
    from symbackprop.ops.activations import FirstArgmax, Step
    net = sb.ConvNet((1, 2, 2), [sb.Pool(2), sb.Dense(1, "identity")])
    node = net.nodes[net.a(1, 1, 1, 1)]
    x11, x12, x21, x22 = node.group
    partial = local_partial(net, node, x21)
    assert partial == FirstArgmax(3, x11, x12, x21, x22)
    assert partial.as_steps() == Step(x21 - x11) * Step(x21 - x12) * (1 - Step(x22 - x21))
    assert latex(partial) == (r"\mathbf{1}\left[x_{1,2,1} = \max\left(x_{1,1,1}, x_{1,1,2}, x_{1,2,1}, "
                              r"x_{1,2,2}\right)\right]")
    assert text(partial) == "𝟏[x₁,₂,₁ = max(x₁,₁,₁, x₁,₁,₂, x₁,₂,₁, x₁,₂,₂)]"
    point = {x11: 0.5, x12: -1.0, x21: 2.0, x22: 1.5}
    assert [evaluate(local_partial(net, node, s), point) for s in node.group] == [0, 0, 1, 0]
    assert partial.subs(point) == 1 and sympy.N(partial.subs({**point, x22: 3.0})) == 0
    with pytest.raises(Undefined, match="at the jump of step"):
        evaluate(partial, {**point, x22: 2.0})          # a tie with a later entry: a kink


def test_eval_json_and_three_way_check(run_cli, tmp_path):
    path = tmp_path / "cnn.json"
    path.write_text(json.dumps(cnn_spec("maxpool")))
    code, out, err = run_cli("eval", "--json", path)
    assert code == 0, err
    data = json.loads(out)
    ref_cost, ref = cnn_reference("max")
    assert data["cost"] == pytest.approx(ref_cost, rel=1e-12)
    assert data["gradients"]["K^{(1)}_{2,1,3,1}"] == pytest.approx(ref["K"][1, 0, 2, 0], abs=1e-12)
    assert data["check"]["passed"] is True


@pytest.mark.parametrize("change, message", [
    ({"kernel": 5}, "spec: layers[1] (conv): kernel 5 is larger than the input 4"),
    ({"kernel": 7, "padding": 1},
     "spec: layers[1] (conv): kernel 7 is larger than the padded input 6 (input 4 + 2·padding 1)"),
    ({"stride": 2}, "spec: layers[1] (conv): stride 2 skips the end: input 4 − kernel 3 = 1 is not a multiple of 2"),
    ({"K": [[[[1, 2], [3, 4]]]] * 2},
     "spec: layers[1].K[1][1]: expected 3 entries (one per kernel row), got 2 entries; the whole shape is 2×1×3×3"),
])
def test_shape_errors(change, message):
    with pytest.raises(SpecError) as exc:
        sb.load(cnn_spec(**change))
    assert str(exc.value) == message


@pytest.mark.parametrize("eps, message", [
    (float("nan"), "layers[2].eps: expected a finite number, got nan"),
    (-1, "layers[2].eps: expected a positive number, got -1"),
    (0, "layers[2].eps: expected a positive number, got 0")])
def test_a_norm_from_python_takes_a_positive_eps_as_the_spec_does(eps, message):
    """Python's Norm is checked as a spec's ``eps``: the shift keeps 1/√(σ² + ε) finite."""
    with pytest.raises(SpecError) as exc:
        sb.ConvNet((1, 4, 4), [sb.Conv(1, kernel=3), sb.Norm("layer", eps=eps), sb.Dense(1)])
    assert str(exc.value) == message
    net = sb.ConvNet((1, 4, 4), [sb.Conv(1, kernel=3), sb.Norm("layer", eps=0.001), sb.Dense(1)])
    assert net.epsilons[1] == sympy.Rational(1, 1000)


def test_batchnorm_needs_a_batch():
    spec = batchnorm_spec()
    spec["point"] = spec.pop("points")[0]
    with pytest.raises(SpecError) as exc:
        sb.load(spec)
    assert str(exc.value) == ("spec: points: a batch norm normalizes over the examples of a mini-batch: "
                              "give [[points]] (two or more examples), not [point]")


def test_a_tie_in_a_max_pool_window_is_reported_as_non_differentiable():
    """Two equal maxima in a window: the check leaves finite differences out upstream of it."""
    spec = {"input_shape": [1, 2, 2], "layers": [{"type": "maxpool", "kernel": 2},
                                                {"units": 1, "activation": "identity", "W": [[2.0]], "b": [0.0]}],
            "point": {"x": [[[0.5, 0.5], [0.1, -0.2]]], "y": [0.0]}}
    d = sb.load(spec).backward()
    report = d.check()
    assert report.passed
    assert report.kinks == ["a^{(1)}_{1,1,1}"]
    assert [float(d.evaluate().gradients[n]) for n in ("x_{1,1,1}", "x_{1,1,2}")] == [2.0, 0.0]


@pytest.mark.parametrize("layers, message", [
    ([sb.Conv(0), sb.Dense(1)], "layers[1].channels: expected a whole number ≥ 1, got 0"),
    ([sb.Pool(2, mode="min"), sb.Dense(1)], "layers[1].mode: expected 'max' or 'avg', got 'min'"),
    ([sb.Dense(2), sb.Conv(1)], "layers[2] (conv): needs a map of channels × positions, but the layer before gives 2 features"),
    ([sb.Norm("batch"), sb.Dense(1)], "a batch norm normalizes over the examples of a mini-batch: give [[points]] "
                                      "(examples=N), not one [point]"),
])
def test_python_layers_are_checked(layers, message):
    with pytest.raises(SpecError) as exc:
        sb.ConvNet((1, 4, 4), layers)
    assert str(exc.value) == message
