"""LSTM and GRU cells (``[recurrent] cell = "lstm" | "gru"``) and truncated backpropagation
through time: the gradients against a NumPy BPTT written here from the equations (and
PyTorch's LSTMCell where it is installed), the three-way check, the names DESIGN fixes,
and the spec's one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

import symbackprop as sb
from symbackprop.errors import SpecError

GATES = {"lstm": "fioc", "gru": "zrh"}


def sigmoid(u):
    return 1 / (1 + np.exp(-u))


def random_net(cell, n_in, n_h, n_out, T, *, seed, h0=False, c0=False, truncate=None):
    """A net and its values: parameters, inputs and targets drawn from a seeded generator."""
    rng = np.random.default_rng(seed)
    P = {}
    for g in GATES[cell]:
        P["W" + g], P["U" + g], P["b" + g] = (rng.uniform(-1, 1, (n_h, n_h)), rng.uniform(-1, 1, (n_h, n_in)),
                                              rng.uniform(-1, 1, n_h))
    P["V"], P["c"] = rng.uniform(-1, 1, (n_out, n_h)), rng.uniform(-1, 1, n_out)
    P["x"], P["y"] = rng.uniform(-1, 1, (T, n_in)), rng.uniform(-1, 1, (T, n_out))
    P["h0"] = rng.uniform(-1, 1, n_h) if h0 else np.zeros(n_h)
    P["c0"] = rng.uniform(-1, 1, n_h) if c0 else np.zeros(n_h)
    net = sb.Recurrent(inputs=n_in, hidden=n_h, outputs=n_out, steps=T, cell=cell, truncate=truncate,
                       h0=list(P["h0"]) if h0 else None, c0=list(P["c0"]) if c0 else None)
    values = {}
    for g in GATES[cell]:
        for j in range(n_h):
            values[net.b(j + 1, g)] = P["b" + g][j]
            for k in range(n_h):
                values[net.W(j + 1, k + 1, g)] = P["W" + g][j, k]
            for k in range(n_in):
                values[net.U(j + 1, k + 1, g)] = P["U" + g][j, k]
    for j in range(n_out):
        values[net.c(j + 1)] = P["c"][j]
        for k in range(n_h):
            values[net.V(j + 1, k + 1)] = P["V"][j, k]
    for t in range(T):
        values.update({net.x(t + 1, k + 1): P["x"][t, k] for k in range(n_in)})
        values.update({net.y(t + 1, j + 1): P["y"][t, j] for j in range(n_out)})
    net.values = {**net.values, **values}
    return net, P


def lstm_bptt(P, truncate=None):
    """C = Σ_t ½‖V h⁽ᵗ⁾ + c − y⁽ᵗ⁾‖² and its gradients, by hand; with ``truncate`` = k the
    carried state's gradient is dropped after every k steps (the state is held there)."""
    T = len(P["x"])
    h, cs, cache = [P["h0"]], [P["c0"]], []
    C = 0.0
    for t in range(T):
        x, hp = P["x"][t], h[-1]
        f, i, o = (sigmoid(P["W" + g] @ hp + P["U" + g] @ x + P["b" + g]) for g in "fio")
        cand = np.tanh(P["Wc"] @ hp + P["Uc"] @ x + P["bc"])
        c = f * cs[-1] + i * cand
        hn = o * np.tanh(c)
        e = P["V"] @ hn + P["c"] - P["y"][t]
        C += 0.5 * e @ e
        cache.append((x, hp, cs[-1], f, i, o, cand, c, e))
        h.append(hn)
        cs.append(c)
    G = {key: np.zeros_like(value) for key, value in P.items()}
    dh_next, dc_next = np.zeros_like(P["h0"]), np.zeros_like(P["c0"])
    for t in reversed(range(T)):
        x, hp, cp, f, i, o, cand, c, e = cache[t]
        if truncate and (t + 1) % truncate == 0:
            dh_next, dc_next = dh_next * 0, dc_next * 0
        G["V"] += np.outer(e, h[t + 1])
        G["c"] += e
        dh = P["V"].T @ e + dh_next
        dc = dh * o * (1 - np.tanh(c) ** 2) + dc_next
        ds = {"f": dc * cp * f * (1 - f), "i": dc * cand * i * (1 - i),
              "o": dh * np.tanh(c) * o * (1 - o), "c": dc * i * (1 - cand ** 2)}
        dh_next = sum(P["W" + g].T @ ds[g] for g in "fioc")
        dc_next = dc * f
        for g in "fioc":
            G["W" + g] += np.outer(ds[g], hp)
            G["U" + g] += np.outer(ds[g], x)
            G["b" + g] += ds[g]
    return C, G


def gru_bptt(P, truncate=None):
    """The GRU of d2l (h̃ = tanh(W_h (r ⊙ h) + U_h x + b_h)) by hand, as :func:`lstm_bptt`."""
    T = len(P["x"])
    h, cache, C = [P["h0"]], [], 0.0
    for t in range(T):
        x, hp = P["x"][t], h[-1]
        z, r = (sigmoid(P["W" + g] @ hp + P["U" + g] @ x + P["b" + g]) for g in "zr")
        cand = np.tanh(P["Wh"] @ (r * hp) + P["Uh"] @ x + P["bh"])
        hn = z * hp + (1 - z) * cand
        e = P["V"] @ hn + P["c"] - P["y"][t]
        C += 0.5 * e @ e
        cache.append((x, hp, z, r, cand, e))
        h.append(hn)
    G = {key: np.zeros_like(value) for key, value in P.items()}
    dh_next = np.zeros_like(P["h0"])
    for t in reversed(range(T)):
        x, hp, z, r, cand, e = cache[t]
        if truncate and (t + 1) % truncate == 0:
            dh_next = dh_next * 0
        G["V"] += np.outer(e, h[t + 1])
        G["c"] += e
        dh = P["V"].T @ e + dh_next
        ds = {"z": dh * (hp - cand) * z * (1 - z), "h": dh * (1 - z) * (1 - cand ** 2)}
        dgated = P["Wh"].T @ ds["h"]
        ds["r"] = dgated * hp * r * (1 - r)
        dh_next = dh * z + dgated * r + P["Wz"].T @ ds["z"] + P["Wr"].T @ ds["r"]
        for g, source in (("z", hp), ("r", hp), ("h", r * hp)):
            G["W" + g] += np.outer(ds[g], source)
            G["U" + g] += np.outer(ds[g], x)
            G["b" + g] += ds[g]
    return C, G


def by_name(net, G, cell):
    """The reference gradients keyed as the net names its parameters."""
    n_in, n_h, n_out = net.sizes
    out = {}
    for g in GATES[cell]:
        for j in range(n_h):
            out[net.b(j + 1, g).name] = G["b" + g][j]
            out.update({net.W(j + 1, k + 1, g).name: G["W" + g][j, k] for k in range(n_h)})
            out.update({net.U(j + 1, k + 1, g).name: G["U" + g][j, k] for k in range(n_in)})
    for j in range(n_out):
        out[net.c(j + 1).name] = G["c"][j]
        out.update({net.V(j + 1, k + 1).name: G["V"][j, k] for k in range(n_h)})
    return out


REFERENCE = {"lstm": lstm_bptt, "gru": gru_bptt}


@pytest.mark.parametrize("cell, sizes, options", [
    pytest.param("lstm", (1, 2, 1, 3), {}, id="lstm-zero-state"),
    pytest.param("lstm", (2, 3, 2, 4), {"h0": True, "c0": True}, id="lstm-h0-c0"),
    pytest.param("gru", (1, 2, 1, 3), {}, id="gru-zero-state"),
    pytest.param("gru", (2, 3, 2, 4), {"h0": True}, id="gru-h0"),
    pytest.param("lstm", (1, 2, 1, 5), {"truncate": 2, "h0": True, "c0": True}, id="lstm-truncate-2"),
    pytest.param("gru", (2, 2, 1, 6), {"truncate": 3}, id="gru-truncate-3"),
])
def test_gradients_match_numpy_bptt(cell, sizes, options):
    net, P = random_net(cell, *sizes, seed=sum(sizes), **options)
    cost, G = REFERENCE[cell](P, options.get("truncate"))
    values = net.backward().evaluate()
    assert float(values.cost) == pytest.approx(cost, rel=1e-12)
    expected = by_name(net, G, cell)
    got = {name: float(v) for name, v in values.gradients.items() if name in expected}
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-13), name


def test_truncation_drops_only_the_carried_gradient():
    """truncate = 2 over 4 steps of an LSTM: the held copies carry the forward values, so the
    cost is the full net's, and the gradient differs from the untruncated one."""
    full, _ = random_net("lstm", 1, 2, 1, 4, seed=7)
    cut, _ = random_net("lstm", 1, 2, 1, 4, seed=7, truncate=2)
    assert [s.name for s in cut.held] == [r"\bar{h}^{(2)}_{1}", r"\bar{h}^{(2)}_{2}", r"\bar{c}^{(2)}_{1}",
                                           r"\bar{c}^{(2)}_{2}"]
    a, b = full.backward().evaluate(), cut.backward().evaluate()
    assert float(a.cost) == pytest.approx(float(b.cost), rel=1e-14)
    assert float(b[r"\bar{h}^{(2)}_{1}"]) == pytest.approx(float(a["h^{(2)}_{1}"]), rel=1e-14)
    assert float(a.gradients["V_{11}"]) == pytest.approx(float(b.gradients["V_{11}"]), rel=1e-12)
    assert abs(float(a.gradients["U^{(i)}_{11}"]) - float(b.gradients["U^{(i)}_{11}"])) > 1e-6
    assert repr(cut) == ("Recurrent(cell=lstm, inputs=1, hidden=2, outputs=1, steps=4, truncate=2, "
                        "output_activation=identity, cost=mse)")


def test_held_states_follow_a_new_point():
    """A point that changes a weight changes the held state: the check stays consistent."""
    net, _ = random_net("gru", 1, 2, 1, 4, seed=3, truncate=2)
    moved = {"W^{(z)}_{11}": 0.9, "x^{(1)}_{1}": -0.7}
    values = net.backward().evaluate(moved)
    assert float(values[r"\bar{h}^{(2)}_{1}"]) == pytest.approx(float(values["h^{(2)}_{1}"]), rel=1e-14)
    assert net.backward().check(moved, symbolic_limit=1).passed   # recursion against finite differences


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_three_way_check_with_every_symbolic_gradient(cell):
    net, _ = random_net(cell, 1, 1, 1, 2, seed=11, h0=True)
    report = net.backward().check(symbolic_limit=100_000)
    assert report.passed
    assert report.routes["symbolic"] == report.routes["finite_differences"] == len(net.parameters) + 3


def test_torch_lstm_cell_agrees():
    torch = pytest.importorskip("torch")
    net, P = random_net("lstm", 2, 3, 1, 3, seed=5, h0=True, c0=True)
    cell = torch.nn.LSTMCell(2, 3).double()
    order = "ifco"  # PyTorch's rows: input, forget, cell (g), output
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(np.vstack([P["U" + g] for g in order])))
        cell.weight_hh.copy_(torch.tensor(np.vstack([P["W" + g] for g in order])))
        cell.bias_ih.copy_(torch.tensor(np.concatenate([P["b" + g] for g in order])))
        cell.bias_hh.zero_()
    V, c = torch.tensor(P["V"], requires_grad=True), torch.tensor(P["c"], requires_grad=True)
    h, s = torch.tensor(P["h0"])[None], torch.tensor(P["c0"])[None]
    C = 0
    for t in range(3):
        h, s = cell(torch.tensor(P["x"][t])[None], (h, s))
        C = C + 0.5 * ((h[0] @ V.T + c - torch.tensor(P["y"][t])) ** 2).sum()
    C.backward()
    got = net.backward().evaluate().gradients
    H = 3
    for row, g in enumerate(order):
        rows = slice(row * H, (row + 1) * H)
        for j in range(H):
            assert float(got[net.b(j + 1, g).name]) == pytest.approx(cell.bias_ih.grad[rows][j].item(), rel=1e-9)
            for k in range(H):
                assert float(got[net.W(j + 1, k + 1, g).name]) == pytest.approx(
                    cell.weight_hh.grad[rows][j, k].item(), rel=1e-9)
    assert float(got["V_{12}"]) == pytest.approx(V.grad[0, 1].item(), rel=1e-9)


def test_parameter_names_are_designs():
    lstm = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3, cell="lstm")
    gru = sb.Recurrent(inputs=1, hidden=2, outputs=1, steps=3, cell="gru")
    assert [p.name for p in lstm.parameters][:7] == ["W^{(f)}_{11}", "W^{(f)}_{12}", "W^{(f)}_{21}",
                                                      "W^{(f)}_{22}", "U^{(f)}_{11}", "U^{(f)}_{21}", "b^{(f)}_{1}"]
    assert [p.name for p in lstm.parameters if p.name.startswith("b")] == [
        "b^{(f)}_{1}", "b^{(f)}_{2}", "b^{(i)}_{1}", "b^{(i)}_{2}", "b^{(o)}_{1}", "b^{(o)}_{2}",
        "b^{(c)}_{1}", "b^{(c)}_{2}"]
    assert [p.name for p in gru.parameters if p.name.startswith("U")] == [
        "U^{(z)}_{11}", "U^{(z)}_{21}", "U^{(r)}_{11}", "U^{(r)}_{21}", "U^{(h)}_{11}", "U^{(h)}_{21}"]
    assert len(lstm.parameters) == 4 * (4 + 2 + 2) + 3 and len(gru.parameters) == 3 * 8 + 3
    assert (type(lstm).__name__, lstm.kind, gru.kind) == ("LSTM", "lstm", "gru")
    assert lstm.o(2, 1).name == r"\hat{y}^{(2)}_{1}" and lstm.gate("o", 2, 1).name == "o^{(2)}_{1}"


SPEC = """cost = "mse"
[recurrent]
cell = "%s"
inputs = 1
hidden = 2
outputs = 1
steps = 3
%s
"""


@pytest.mark.parametrize("cell, extra, message", [
    ("lstm", "W_f = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]",
     "recurrent.W_f: expected a 2 × 2 matrix (hidden × hidden), got 3 × 2"),
    ("gru", "U_r = [[0.1, 0.2], [0.3, 0.4]]", "recurrent.U_r: expected a 2 × 1 matrix (hidden × inputs), got 2 × 2"),
    ("lstm", "b_o = [1]", "recurrent.b_o: expected 2 numbers (one per hidden unit), got 1 numbers"),
    ("lstm", "W = [[0.1, 0.2], [0.3, 0.4]]",
     "recurrent.W: not a parameter of the lstm cell; it has W_c, U_c, b_c, W_f, U_f, b_f, W_i, U_i, b_i, W_o, U_o, b_o"),
    ("gru", "W_f = [[0.1, 0.2], [0.3, 0.4]]",
     "recurrent.W_f: not a parameter of the gru cell; it has W_h, U_h, b_h, W_r, U_r, b_r, W_z, U_z, b_z"),
    ("gru", "c0 = [0, 0]", 'recurrent.c0: only an LSTM has a cell state (cell = "lstm")'),
    ("lstm", "truncate = 0", "recurrent.truncate: expected a positive whole number of steps, got 0"),
    ("peephole", "", "recurrent.cell: expected one of: elman, lstm, gru; got 'peephole'"),
])
def test_spec_errors_name_the_field(tmp_path, cell, extra, message):
    path = tmp_path / "net.toml"
    path.write_text(SPEC % (cell, extra))
    with pytest.raises(SpecError) as info:
        sb.load(str(path))
    assert str(info.value) == f"{path}: {message}"


def test_elman_refuses_gate_fields_and_keeps_its_default():
    with pytest.raises(SpecError, match=r"recurrent.W_z: not a parameter of the elman cell; it has W, U, b"):
        sb.load({"recurrent": {"inputs": 1, "hidden": 1, "outputs": 1, "steps": 2, "W_z": [[1]]}})
    assert sb.Recurrent(inputs=1, hidden=1, outputs=1, steps=2).kind == "recurrent"


def test_torch_gru_cell_agrees_with_one_hidden_unit():
    """PyTorch's GRUCell applies r after W_hn h (r ⊙ (W h)); the GRU here, as d2l, before
    (W (r ⊙ h)). With one hidden unit the two are the same net, so the gradients agree;
    with two they differ, and the test shows it."""
    torch = pytest.importorskip("torch")
    for hidden, same in ((1, True), (2, False)):
        net, P = random_net("gru", 2, hidden, 1, 3, seed=9, h0=True)
        cell = torch.nn.GRUCell(2, hidden).double()
        order = "rzh"   # PyTorch's rows: reset, update, new
        with torch.no_grad():
            cell.weight_ih.copy_(torch.tensor(np.vstack([P["U" + g] for g in order])))
            cell.weight_hh.copy_(torch.tensor(np.vstack([P["W" + g] for g in order])))
            cell.bias_ih.copy_(torch.tensor(np.concatenate([P["b" + g] for g in order])))
            cell.bias_hh.zero_()
        h, C = torch.tensor(P["h0"])[None], 0
        for t in range(3):
            h = cell(torch.tensor(P["x"][t])[None], h)
            C = C + 0.5 * ((h[0] @ torch.tensor(P["V"]).T + torch.tensor(P["c"]) - torch.tensor(P["y"][t])) ** 2).sum()
        C.backward()
        got = net.backward().evaluate().gradients
        theirs = cell.weight_hh.grad[2 * hidden:3 * hidden]   # W_hn, W^{(h)} here
        ours = [[float(got[net.W(j + 1, k + 1, "h").name]) for k in range(hidden)] for j in range(hidden)]
        assert np.allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12) is same
