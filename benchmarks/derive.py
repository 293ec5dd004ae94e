"""One-step derivation of every ∂C/∂w against naive `sympy.diff` of the closed-form cost.

For [n] * (L + 1) networks this measures, in one run:

* the one-step route: build the network and its Derivation (every z, a, δ and every
  ∂C/∂w, ∂C/∂b, ∂C/∂x as one-step formulas), best of three with a cold SymPy cache;
* the naive route: `sympy.diff(C_closed, w)` for each weight, where C_closed is the
  cost fully substituted in x, y, w, b; timed on a seeded sample of weights per layer
  and extrapolated to all weights of that layer (an exhaustive run takes minutes to
  hours: about 100 s for the 192 weights of [8, 8, 8, 8]).

It prints both, their ratio, and time per weight, so that growth with depth and width
can be read off. Target: the one-step route grows linearly with the number of weights,
and is at least 1,000x faster than the naive route for [8, 8, 8, 8].

    python benchmarks/derive.py [--sample 2]
    python benchmarks/derive.py --html 32,32,32,32

With ``--html`` it times ``symbackprop derive --format html`` of that network (seeded
random values, as benchmarks/eval_large.py writes them) in a fresh process, with and
without ``--no-check`` (target: under 10 s for [32]*4).
"""

import argparse
import random
import time

import sympy
from sympy.core.cache import clear_cache

import symbackprop as sb
from symbackprop.numeric.check import cost_from

SIZES = ([2, 2, 2, 2], [4, 4, 4], [4, 4, 4, 4], [8, 8, 8], [8, 8, 8, 8], [16, 16, 16], [16, 16, 16, 16],
         [32, 32, 32, 32], [64, 64, 64])
NAIVE_MAX_NODES = 400_000


def one_step(sizes) -> float:
    best = float("inf")
    for _ in range(3):
        clear_cache()
        start = time.perf_counter()
        sb.Network(sizes).backward()
        best = min(best, time.perf_counter() - start)
    return best


def naive(sizes, sample: int, rng) -> float | None:
    net = sb.Network(sizes)
    d = net.backward()
    if d.tree_size(net.cost_symbol) > NAIVE_MAX_NODES:
        return None
    cost = cost_from(net, 1)
    total = 0.0
    for l in range(1, net.L + 1):
        weights = [net.w(l, j, k) for j in range(1, sizes[l] + 1) for k in range(1, sizes[l - 1] + 1)]
        chosen = rng.sample(weights, min(sample, len(weights)))
        clear_cache()
        start = time.perf_counter()
        for w in chosen:
            sympy.diff(cost, w)
        per_weight = (time.perf_counter() - start) / len(chosen)
        total += per_weight * len(weights)
    return total


def html(sizes) -> None:
    import json
    import sys
    import tempfile
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from eval_large import sized_spec, timed_cpu
    with tempfile.TemporaryDirectory() as tmp:
        spec, out = Path(tmp) / "net.json", Path(tmp) / "net.html"
        spec.write_text(json.dumps(sized_spec(sizes)))
        for extra in ([], ["--no-check"]):
            wall, cpu = timed_cpu([sys.executable, "-m", "symbackprop", "derive", str(spec), "--format", "html",
                                   "-o", str(out)] + extra)
            print(f"derive --format html {' '.join(extra)} {sizes}: {cpu:.2f} s CPU ({wall:.2f} s wall), "
                  f"{out.stat().st_size / 1e6:.1f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2, help="weights timed per layer (naive route)")
    parser.add_argument("--html", metavar="N,N,…", help="time derive --format html of this network")
    args = parser.parse_args()
    if args.html:
        html([int(n) for n in args.html.split(",")])
        return
    rng = random.Random(0)
    print(f"{'network':<22}{'weights':>8}{'one-step s':>12}{'us/weight':>11}{'naive s (extrap.)':>19}{'ratio':>10}")
    for sizes in SIZES:
        n_weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        fast = one_step(sizes)
        slow = naive(sizes, args.sample, rng)
        slow_text = "too large" if slow is None else f"{slow:.3g}"
        ratio = "" if slow is None else f"{slow / fast:.0f}x"
        print(f"{str(sizes):<22}{n_weights:>8}{fast:>12.4f}{fast / n_weights * 1e6:>11.1f}{slow_text:>19}{ratio:>10}")


if __name__ == "__main__":
    main()
