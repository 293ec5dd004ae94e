"""Time `d.compile()` of a small CNN against hand-written NumPy and torch autograd, measured
in the same run (ratios against the hand-written NumPy, never asserted).

The network of a first CNN lecture: a 1×28×28 input, a conv layer of 8 channels with a
3×3 kernel and ReLU, a 2×2 max pool, a dense layer of 10 units with softmax, cross-entropy.
Every route computes the cost and the gradients of every parameter and of the input:

* our compiled NumPy callable, given the point as a dict by name (the API: 784 inputs and
  10 targets, numbers or columns of a batch), and its forward() and backward() alone on
  the arrays;
* our compiled PyTorch callable, where torch is installed;
* a hand-written NumPy implementation for this net (channels last, im2col by a
  sliding-window view, the pool's taps as strided slices, ∂C/∂x by adding each kernel tap's
  window products back);
* torch autograd (``conv2d``, ``max_pool2d``, ``linear``, ``cross_entropy``).

Each at one example and at a batch of 256 (median CPU time per call, one thread, the
routes timed in turns). Then the time to build the network, derive it and compile it at
14×14 and 28×28.

    python benchmarks/conv.py [--quick]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

import symbackprop as sb  # noqa: E402
from timing import paired_times  # noqa: E402
from symbackprop.builders.convnet import positions  # noqa: E402


def network(n, seed=0):
    """The lecture's CNN on an n×n input, with random parameter values."""
    net = sb.ConvNet((1, n, n), [sb.Conv(8, kernel=3, activation="relu"), sb.Pool(2, mode="max"),
                                 sb.Dense(10, "softmax")], cost="cross_entropy")
    rng = np.random.default_rng(seed)
    net.values = {s: float(v) for s, v in zip(net.parameters, rng.normal(scale=0.1, size=len(net.parameters)))}
    return net


def arrays(net):
    """K, b, W, c as the hand-written code takes them."""
    v = net.values
    K = np.array([float(v[net.K(1, *i)]) for i in positions((8, 1, 3, 3))]).reshape(8, 1, 3, 3)
    b = np.array([float(v[net.b(1, o)]) for o in range(1, 9)])
    features = 8 * net.shapes[2][1] * net.shapes[2][2]
    W = np.array([float(v[net.w(3, j, k)]) for j in range(1, 11) for k in range(1, features + 1)]).reshape(10, -1)
    c = np.array([float(v[net.b(3, j)]) for j in range(1, 11)])
    return K, b, W, c


def hand_backprop(x, y, K, b, W, c):
    """Hand-written NumPy as one would write it for this net: x (rows, 1, n, n), y (rows,
    10); channels last, im2col by a sliding-window view and one matrix product, the pool's
    four taps as strided slices, ∂C/∂x by adding each tap's window products back (a loop
    over the 9 taps). Returns the cost summed over the rows and ∂C/∂K, ∂C/∂b, ∂C/∂W,
    ∂C/∂c, ∂C/∂x."""
    rows, n = x.shape[0], x.shape[2]
    m = n - 2
    cols = sliding_window_view(x[:, 0], (3, 3), axis=(1, 2)).reshape(rows * m * m, 9)
    z = (cols @ K.reshape(8, 9).T + b).reshape(rows, m, m, 8)                # (rows, i, j, o)
    a = np.maximum(z, 0.0)
    taps = [a[:, p::2, q::2] for p in (0, 1) for q in (0, 1)]                # the window in row-major order
    pooled = np.maximum(np.maximum(taps[0], taps[1]), np.maximum(taps[2], taps[3]))
    firsts, taken = [], np.zeros(pooled.shape, dtype=bool)
    for tap in taps:                                                         # the first arg-max of each window
        first = (tap == pooled) & ~taken
        taken |= first
        firsts.append(first)
    h = pooled.transpose(0, 3, 1, 2).reshape(rows, -1)                      # (channel, row, col) order
    s = h @ W.T + c
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    C = -np.sum(y * logp)
    d = np.exp(logp) * y.sum(axis=1, keepdims=True) - y
    dW, dc = d.T @ h, d.sum(axis=0)
    dp = (d @ W).reshape(rows, 8, m // 2, m // 2).transpose(0, 2, 3, 1)
    da = np.zeros_like(a)
    for (p, q), first in zip([(0, 0), (0, 1), (1, 0), (1, 1)], firsts):
        da[:, p::2, q::2] = first * dp
    dz = (da * (z > 0)).reshape(-1, 8)
    dK = (dz.T @ cols).reshape(8, 1, 3, 3)
    db = dz.sum(axis=0)
    dcols = (dz @ K.reshape(8, 9)).reshape(rows, m, m, 9)
    dx = np.zeros((rows, n, n))
    for p in range(3):
        for q in range(3):
            dx[:, p:p + m, q:q + m] += dcols[..., 3 * p + q]
    return C, dK, db, dW, dc, dx[:, None]


def torch_autograd(K, b, W, c):
    """The same network in PyTorch, its gradients by autograd (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    F = torch.nn.functional
    params = [torch.tensor(a, requires_grad=True) for a in (K, b, W, c)]

    def run(x, y):
        xt = torch.tensor(x, requires_grad=True)
        a = F.max_pool2d(F.relu(F.conv2d(xt, params[0], params[1])), 2)
        logp = F.log_softmax(F.linear(a.flatten(1), params[2], params[3]), dim=1)
        C = -(torch.as_tensor(y) * logp).sum()
        grads = torch.autograd.grad(C, params + [xt])
        return float(C.detach()), grads
    return run



def compare(d, rows, repeat, number, seed=1):
    """{route: seconds per call} at a batch of ``rows`` examples, every route's cost and
    one gradient compared with the hand-written code first."""
    net = d.graph
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (rows,) + net.shapes[0])
    y = np.eye(10)[rng.integers(0, 10, rows)]
    K, b, W, c = arrays(net)
    C_hand, dK, *_, dx = hand_backprop(x, y, K, b, W, c)
    flat = x.reshape(rows, -1)
    if rows == 1:
        point = {net.x(*i).name: float(flat[0, k]) for k, i in enumerate(positions(net.shapes[0]))}
        point.update({net.y(j).name: float(y[0, j - 1]) for j in range(1, 11)})
    else:
        point = {net.x(*i).name: flat[:, k].copy() for k, i in enumerate(positions(net.shapes[0]))}
        point.update({net.y(j).name: y[:, j - 1].copy() for j in range(1, 11)})
    routes = {"hand-written NumPy": lambda: hand_backprop(x, y, K, b, W, c)}
    fn = d.compile("numpy")
    params = [K, b, W, c]
    routes["compiled NumPy, point by name"] = lambda: fn(point)
    routes["compiled NumPy forward+backward on arrays"] = lambda: fn._backward(x, y, *params, fn._forward(x, y, *params)[1])
    checks = {"compiled NumPy, point by name": fn(point)}
    try:
        import torch
        torch.set_num_threads(1)
        ft = d.compile("torch")
        routes["compiled PyTorch, point by name"] = lambda: ft(point)
        checks["compiled PyTorch, point by name"] = ft(point)
    except Exception:       # torch not installed
        pass
    for name, out in checks.items():
        assert abs(out.cost - C_hand) <= 1e-9 * abs(C_hand), (name, out.cost, C_hand)
        g = out.gradients[net.K(1, 2, 1, 2, 3).name]
        assert abs(g - dK[1, 0, 1, 2]) <= 1e-9 * max(abs(g), 1e-12), (name, g, dK[1, 0, 1, 2])
        g, want = out.gradients[net.x(1, 5, 7).name], dx[:, 0, 4, 6].sum()
        assert abs(g - want) <= 1e-9 * max(abs(g), 1e-12), (name, g, want)
    autograd = torch_autograd(K, b, W, c)
    if autograd is not None:
        C_torch, _ = autograd(x, y)
        assert abs(C_torch - C_hand) <= 1e-9 * abs(C_hand), (C_torch, C_hand)
        routes["torch autograd"] = lambda: autograd(x, y)
    times = paired_times(list(routes.values()), repeat, number)
    return dict(zip(routes, times))


def build_times(n):
    """Seconds to build the n×n network, derive it (backward()) and compile it."""
    start = time.perf_counter()
    net = network(n)
    built = time.perf_counter() - start
    start = time.perf_counter()
    d = net.backward()
    derived = time.perf_counter() - start
    start = time.perf_counter()
    d.compile()
    compiled = time.perf_counter() - start
    return d, (built, derived, compiled)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 9
    print("| input | build | backward() | compile() |")
    print("|---|---|---|---|")
    for n in (14, 28):
        d, (built, derived, compiled) = build_times(n)
        print(f"| 1×{n}×{n} ({len(d.graph.nodes):,} nodes) | {built:.1f} s | {derived:.1f} s | {compiled:.2f} s |")
    print()
    print("| route (1×28×28, conv 8×3×3, max pool 2, dense 10) | one example | ratio | batch of 256 | ratio |")
    print("|---|---|---|---|---|")
    one = compare(d, 1, repeat, 20)
    batch = compare(d, 256, repeat, 1)
    base_one, base_batch = one["hand-written NumPy"], batch["hand-written NumPy"]
    for name in one:
        print(f"| {name} | {one[name] * 1e3:.2f} ms | {one[name] / base_one:.1f}× | "
              f"{batch[name] * 1e3:.1f} ms | {batch[name] / base_batch:.1f}× |")


if __name__ == "__main__":
    main()
