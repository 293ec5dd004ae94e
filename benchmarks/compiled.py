"""Time `d.compile()` against hand-written NumPy backpropagation, measured in the same run.

Three figures (medians of repeated calls, one thread):

* one point at [16]*4 (Network([16, 16, 16, 16]), sigmoid, mse): the compiled callable,
  given the point as a dict by name, against a hand-written NumPy forward and backward
  pass given the arrays (target: within 3×);
* a batch of 1,000 points at [64]*4: the same, with every input and target a column of
  1,000 values (target: within 1.5×);
* where PyTorch or JAX is installed, the same network by torch autograd and by JAX
  ``jit(value_and_grad)`` (warm), in the same turns (target: the compiled callable
  faster than torch autograd at one point);
* the first compile of [256]*3 (Network([256, 256, 256]), 131,328 weights: above the
  builder's MAX_WEIGHTS, raised here for the measurement), target < 2 s; building the
  network and its derivation is timed apart.

    python benchmarks/compiled.py [--quick]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import symbackprop as sb  # noqa: E402
from timing import paired_times  # noqa: E402
import symbackprop.builders.network  # noqa: E402


def network(sizes, seed=0):
    net = sb.Network(sizes, activation="sigmoid", cost="mse")
    rng = random.Random(seed)
    net.values = {s: rng.uniform(-1, 1) for s in net.parameters}
    return net


def matrices(net):
    """W^{(l)} and b^{(l)} of the spec's values, as the hand-written code takes them."""
    v = net.values
    Ws, bs = [], []
    for l in range(1, net.L + 1):
        Ws.append(np.array([[float(v[net.w(l, j, k)]) for k in range(1, net.sizes[l - 1] + 1)]
                            for j in range(1, net.sizes[l] + 1)]))
        bs.append(np.array([float(v[net.b(l, j)]) for j in range(1, net.sizes[l] + 1)]))
    return Ws, bs


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def hand_backprop(x, y, Ws, bs):
    """Hand-written NumPy backpropagation: x, y are (rows, n); returns C and ∂C/∂W, ∂C/∂b
    summed over the rows."""
    acts = [x]
    for W, b in zip(Ws, bs):
        acts.append(sigmoid(acts[-1] @ W.T + b))
    a = acts[-1]
    C = 0.5 * np.sum((a - y) ** 2)
    delta = (a - y) * a * (1 - a)
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dWs[l] = delta.T @ acts[l]
        dbs[l] = delta.sum(axis=0)
        if l:
            a_prev = acts[l]
            delta = (delta @ Ws[l]) * a_prev * (1 - a_prev)
    return C, dWs, dbs


def torch_autograd(Ws, bs):
    """The same network in PyTorch, its gradients by autograd (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    Wt = [torch.tensor(W, requires_grad=True) for W in Ws]
    bt = [torch.tensor(b, requires_grad=True) for b in bs]

    def run(x, y):
        a = torch.as_tensor(x)
        for W, b in zip(Wt, bt):
            a = torch.sigmoid(a @ W.T + b)
        C = 0.5 * torch.sum((a - torch.as_tensor(y)) ** 2)
        grads = torch.autograd.grad(C, Wt + bt)
        return float(C.detach()), grads
    return run


def jax_grad(Ws, bs):
    """The same network in JAX, jit(value_and_grad), warm (None without jax)."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def cost(params, x, y):
        a = x
        for W, b in params:
            a = jax.nn.sigmoid(a @ W.T + b)
        return 0.5 * jnp.sum((a - y) ** 2)
    step = jax.jit(jax.value_and_grad(cost))
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(Ws, bs)]

    def run(x, y):
        C, grads = step(params, x, y)
        jax.block_until_ready(grads)
        return float(C), grads
    return run



def compare(sizes, rows, repeat, number, seed=1):
    net = network(sizes)
    d = net.backward()
    fn = d.compile()
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (rows, sizes[0]))
    Y = rng.uniform(0, 1, (rows, sizes[-1]))
    if rows == 1:
        point = {s.name: float(X[0, k]) for k, s in enumerate(net.inputs)}
        point.update({s.name: float(Y[0, j]) for j, s in enumerate(net.targets)})
    else:
        point = {s.name: X[:, k].copy() for k, s in enumerate(net.inputs)}
        point.update({s.name: Y[:, j].copy() for j, s in enumerate(net.targets)})
    Ws, bs = matrices(net)
    C_hand, dWs, _ = hand_backprop(X, Y, Ws, bs)
    out = fn(point)
    assert abs(out.cost - C_hand) <= 1e-9 * abs(C_hand), (out.cost, C_hand)
    g = out.gradients[net.w(1, 1, 1).name]
    assert abs(g - dWs[0][0, 0]) <= 1e-9 * max(abs(g), 1e-12), (g, dWs[0][0, 0])
    fns = [lambda: hand_backprop(X, Y, Ws, bs), lambda: fn(point)]
    others = [("torch autograd", torch_autograd(Ws, bs)), ("JAX jit(grad), warm", jax_grad(Ws, bs))]
    others = [(name, run) for name, run in others if run is not None]
    for name, run in others:
        C_other, _ = run(X, Y)       # the same cost, and a first (compiling) call before timing
        assert abs(C_other - C_hand) <= 1e-9 * abs(C_hand), (name, C_other, C_hand)
        fns.append(lambda run=run: run(X, Y))
    times = paired_times(fns, repeat, number)
    return times[0], times[1], {name: t for (name, _), t in zip(others, times[2:])}


def first_compile(sizes):
    limit = symbackprop.builders.network.MAX_WEIGHTS
    symbackprop.builders.network.MAX_WEIGHTS = 10 ** 7
    try:
        start = time.perf_counter()
        net = sb.Network(sizes)
        built = time.perf_counter() - start
        start = time.perf_counter()
        d = net.backward()
        derived = time.perf_counter() - start
        start = time.perf_counter()
        d.compile()
        compiled = time.perf_counter() - start
    finally:
        symbackprop.builders.network.MAX_WEIGHTS = limit
    return built, derived, compiled


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; skip [256]*3")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    t_hand, t_comp, others = compare([16] * 4, 1, repeat, 200)
    print(f"one point, [16]*4:        hand NumPy {t_hand * 1e6:8.1f} µs   compiled {t_comp * 1e6:8.1f} µs   "
          f"ratio {t_comp / t_hand:5.2f}x  (target within 3x)")
    for name, t in others.items():
        target = "  (target below 1)" if name.startswith("torch") else ""
        print(f"                          {name} {t * 1e6:8.1f} µs   ratio {t / t_hand:5.2f}x; "
              f"compiled / {name.split()[0]} {t_comp / t:5.2f}x{target}")
    t_hand, t_comp, others = compare([64] * 4, 1000, repeat, 10)
    print(f"batch of 1,000, [64]*4:   hand NumPy {t_hand * 1e3:8.2f} ms   compiled {t_comp * 1e3:8.2f} ms   "
          f"ratio {t_comp / t_hand:5.2f}x  (target within 1.5x)")
    for name, t in others.items():
        print(f"                          {name} {t * 1e3:8.2f} ms   ratio {t / t_hand:5.2f}x")
    if not args.quick:
        built, derived, compiled = first_compile([256, 256, 256])
        print(f"first compile, [256]*3:   {compiled:.2f} s (target < 2 s); building the network "
              f"{built:.1f} s and its derivation {derived:.1f} s are apart")


if __name__ == "__main__":
    main()
