"""Time the compiled code of an LSTM and of an attention head against torch autograd and JAX.

Two nets, each for one example and for a batch of 256, measured in the same run (CPU time
per forward + backward call, medians of repeated calls timed in turns, one thread):

* an LSTM of 16 units over 50 steps, 8 inputs and 8 outputs per step (identity outputs,
  mse on every step's output, C = Σ_t C⁽ᵗ⁾);
* one head of self-attention over 32 tokens of 16 dimensions (d_model = d_k = d_v = 16),
  mse of O against the targets.

For each: ``d.compile()`` called with the point as a dict by name (numpy and torch
backends), its forward() and backward() given the arrays directly (what the call spends
beyond assembling the arrays from names), a hand-written PyTorch module differentiated by
autograd (``.backward()``), and JAX ``jit(value_and_grad)`` of a hand-written function
(warm: its compile is not timed). Ratios are against torch autograd (below 1: faster).
The costs of every route are compared first and their largest difference printed. The
time to build each net, derive its backward pass and compile it is printed too.

    python benchmarks/cells.py [--quick]
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
from symbackprop.errors import SymbackpropError  # noqa: E402

STEPS, INPUTS, HIDDEN, OUTPUTS = 50, 8, 16, 8
TOKENS, WIDTH = 32, 16
GATES = "fioc"


def built(make):
    """The net, and the seconds to build it, derive its backward pass and compile it."""
    start = time.perf_counter()
    net = make()
    rng = random.Random(0)
    net.values = {s: rng.uniform(-0.5, 0.5) for s in net.parameters}
    t_build = time.perf_counter()
    d = net.backward()
    t_derive = time.perf_counter()
    d.compile()
    t_compile = time.perf_counter()
    return net, d, (t_build - start, t_derive - t_build, t_compile - t_derive)



# --- the LSTM ----------------------------------------------------------------------------------

def lstm_parameters(net):
    """Each gate's W, U, b, then V and c, as NumPy arrays of the net's values."""
    v = net.values
    out = {}
    for g in GATES:
        out["W_" + g] = np.array([[v[net.W(j, k, g)] for k in range(1, HIDDEN + 1)] for j in range(1, HIDDEN + 1)])
        out["U_" + g] = np.array([[v[net.U(j, k, g)] for k in range(1, INPUTS + 1)] for j in range(1, HIDDEN + 1)])
        out["b_" + g] = np.array([v[net.b(j, g)] for j in range(1, HIDDEN + 1)])
    out["V"] = np.array([[v[net.V(j, k)] for k in range(1, HIDDEN + 1)] for j in range(1, OUTPUTS + 1)])
    out["c"] = np.array([v[net.c(j)] for j in range(1, OUTPUTS + 1)])
    return {k: np.asarray(a, dtype=float) for k, a in out.items()}


def lstm_cost(xp, sigmoid, p, x, y):
    """C = Σ_t ½‖V h⁽ᵗ⁾ + c − y⁽ᵗ⁾‖², summed over the examples (x: examples × steps × inputs)."""
    h = xp.zeros((x.shape[0], HIDDEN), dtype=x.dtype)
    c = xp.zeros((x.shape[0], HIDDEN), dtype=x.dtype)
    C = 0.0
    for t in range(x.shape[1]):
        xt = x[:, t]
        f, i, o = (sigmoid(h @ p["W_" + g].T + xt @ p["U_" + g].T + p["b_" + g]) for g in "fio")
        cand = xp.tanh(h @ p["W_c"].T + xt @ p["U_c"].T + p["b_c"])
        c = f * c + i * cand
        h = o * xp.tanh(c)
        C = C + 0.5 * ((h @ p["V"].T + p["c"] - y[:, t]) ** 2).sum()
    return C


def lstm_point(net, x, y):
    point = {}
    for t in range(1, STEPS + 1):
        point.update({net.x(t, k).name: x[:, t - 1, k - 1] for k in range(1, INPUTS + 1)})
        point.update({net.y(t, j).name: y[:, t - 1, j - 1] for j in range(1, OUTPUTS + 1)})
    return point


# --- the attention head ------------------------------------------------------------------------

def attention_parameters(net):
    v = net.values
    return {m: np.array([[float(v[s]) for s in row] for row in net.matrices[m]]) for m in ("W_Q", "W_K", "W_V")}


def attention_cost(xp, softmax, p, x, y):
    """C = ½‖A V − Y‖² with A = softmax of each row of Q Kᵀ / √d_k (x: examples × tokens × d_model)."""
    Q, K, V = x @ p["W_Q"], x @ p["W_K"], x @ p["W_V"]
    A = softmax((Q @ K.swapaxes(-1, -2)) / WIDTH ** 0.5)
    return 0.5 * ((A @ V - y) ** 2).sum()


def attention_point(net, x, y):
    point = {}
    for t in range(1, TOKENS + 1):
        point.update({net.x(t, i).name: x[:, t - 1, i - 1] for i in range(1, WIDTH + 1)})
        point.update({net.y(t, j).name: y[:, t - 1, j - 1] for j in range(1, WIDTH + 1)})
    return point


# --- the routes ---------------------------------------------------------------------------------

def torch_route(cost, params):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    tp = {k: torch.tensor(a, requires_grad=True) for k, a in params.items()}
    softmax = (lambda s: torch.softmax(s, dim=-1))

    def run(x, y):
        for a in tp.values():
            a.grad = None
        C = cost(torch, softmax if cost is attention_cost else torch.sigmoid, tp, torch.as_tensor(x),
                 torch.as_tensor(y))
        C.backward()
        return float(C.detach())
    return run


def jax_route(cost, params):
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    second = jax.nn.softmax if cost is attention_cost else jax.nn.sigmoid
    step = jax.jit(jax.value_and_grad(lambda p, x, y: cost(jnp, second, p, x, y)))
    jp = {k: jnp.asarray(a) for k, a in params.items()}

    def run(x, y):
        C, grads = step(jp, x, y)
        jax.block_until_ready(grads)
        return float(C)
    return run


def compare(label, net, d, params, cost, point_of, shape_x, shape_y, rows, repeat, number):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (rows,) + shape_x)
    y = rng.uniform(-1, 1, (rows,) + shape_y)
    point = point_of(net, x, y)
    if rows == 1:
        point = {k: float(v[0]) for k, v in point.items()}
    routes = []
    for backend in ("numpy", "torch"):
        try:
            fn = d.compile(backend)
        except SymbackpropError:
            continue
        routes.append((f"compiled {backend}, a dict by name", lambda fn=fn: fn(point).cost))
        inputs, params_arrays = _arrays(fn, point)
        forward, backward = fn._forward, fn._backward

        def kernel(forward=forward, backward=backward, inputs=inputs, params_arrays=params_arrays):
            C, cache = forward(*inputs, *params_arrays)
            backward(*inputs, *params_arrays, cache)
            return float(C)
        routes.append((f"compiled {backend}, its arrays", kernel))
    for name, make in (("torch autograd", torch_route), ("JAX jit(value_and_grad), warm", jax_route)):
        run = make(cost, params)
        if run is not None:
            routes.append((name, lambda run=run: run(x, y)))
    costs = [run() for _, run in routes]          # one call each before timing (JAX compiles here)
    spread = max(abs(c - costs[0]) for c in costs) / abs(costs[0])
    times = paired_times([run for _, run in routes], repeat, number)
    base = dict(zip([n for n, _ in routes], times)).get("torch autograd")
    print(f"\n{label}, {rows} example{'s' if rows > 1 else ''} (costs agree to {spread:.1e} relative)")
    print(f"  {'route':36} {'ms per call':>12} {'/ torch autograd':>17}")
    for (name, _), t in zip(routes, times):
        ratio = f"{t / base:.2f}" if base else "-"
        print(f"  {name:36} {t * 1e3:12.3f} {ratio:>17}")


def _arrays(fn, point):
    """The compiled callable's forward() arguments for ``point`` (as its __call__ builds them)."""
    entries = fn._point(point)
    size = fn._batch(entries)
    given = {}
    for sym, kind, place, value in entries:
        if place is not None and kind != "param":
            flat, values = given.setdefault(place[0], ([], []))
            flat.append(place[1])
            values.append(value)
    inputs = fn._inputs(given, size, [])
    params = [fn._p0[idx] for idx in fn._pidx]
    if fn._to is not None:
        inputs = [None if a is None else fn._to(a) for a in inputs]
        params = [fn._to(a) for a in params]
    return inputs, params


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    lstm, d_lstm, t_lstm = built(lambda: sb.Recurrent(INPUTS, HIDDEN, OUTPUTS, STEPS, cell="lstm"))
    head, d_head, t_head = built(lambda: sb.Attention(TOKENS, WIDTH, WIDTH, WIDTH))
    for label, t in ((f"LSTM {INPUTS}-{HIDDEN}-{OUTPUTS} over {STEPS} steps", t_lstm),
                     (f"attention {TOKENS} tokens × {WIDTH}", t_head)):
        print(f"{label}: build {t[0]:.2f} s, backward() {t[1]:.2f} s, compile {t[2]:.2f} s")
    for rows, number in ((1, 5), (256, 1)):
        compare(f"LSTM {HIDDEN} units × {STEPS} steps", lstm, d_lstm, lstm_parameters(lstm), lstm_cost,
                lstm_point, (STEPS, INPUTS), (STEPS, OUTPUTS), rows, repeat, number)
        compare(f"attention {TOKENS} tokens × {WIDTH} dims", head, d_head, attention_parameters(head),
                attention_cost, attention_point, (TOKENS, WIDTH), (TOKENS, WIDTH), rows, repeat, number * 4)


if __name__ == "__main__":
    main()
