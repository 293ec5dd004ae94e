"""Growth of the derivation on graphs: an Elman network unrolled over more and more steps.

The sweep visits every node once and writes each adjoint in one step, so the derivation
should grow linearly with the number of nodes: unrolling over 80 steps should take about
8x the time of 10 steps. For each number of steps this prints the number of nodes, the
derivation time (best of three, cold SymPy cache), the ratio to the 10-step baseline
measured in the same run, and the time of one evaluation with the three-way check.

    python benchmarks/graph.py [--hidden 4] [--steps 10 20 40 80]
"""

import argparse
import random
import time

from sympy.core.cache import clear_cache

import symbackprop as sb


def derive(steps: int, hidden: int) -> tuple[float, int]:
    best = float("inf")
    for _ in range(3):
        clear_cache()
        start = time.perf_counter()
        rnn = sb.Recurrent(inputs=2, hidden=hidden, outputs=1, steps=steps, activation="tanh")
        rnn.backward()
        best = min(best, time.perf_counter() - start)
    return best, len(rnn.nodes)


def check(steps: int, hidden: int) -> float:
    rnn = sb.Recurrent(inputs=2, hidden=hidden, outputs=1, steps=steps, activation="tanh")
    rng = random.Random(0)
    rnn.values = {s: round(rng.uniform(-0.5, 0.5), 3) for s in rnn.leaves}
    start = time.perf_counter()
    report = rnn.backward().check()
    assert report.passed, report.summary()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=4)
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 20, 40, 80])
    args = parser.parse_args()
    print(f"{'steps':>6}{'nodes':>8}{'derive s':>11}{'ratio to first':>16}{'check s':>10}")
    base = None
    for steps in args.steps:
        seconds, nodes = derive(steps, args.hidden)
        base = base or seconds
        print(f"{steps:>6}{nodes:>8}{seconds:>11.4f}{seconds / base:>15.1f}x{check(steps, args.hidden):>10.2f}")


if __name__ == "__main__":
    main()
