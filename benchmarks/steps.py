"""Derivation time against the number of steps of an unrolled recurrent net.

An unrolled net has one node per unit and step, so building it and deriving its backward
pass (``backward()``: every adjoint and gradient as a one-step formula) should grow
linearly with the steps. For an LSTM (and a GRU and an Elman net) of ``--hidden`` units and
``--inputs`` inputs it prints, at 10, 20, 40 and 80 steps, the time to build the net and the
time of ``backward()`` (CPU time, best of ``--repeat`` runs, SymPy's cache cleared before each), and
the ratio per doubling of the steps (2.0 is linear).

    python benchmarks/steps.py [--hidden 2] [--inputs 1] [--repeat 3] [--cells lstm,gru,elman]
"""

import argparse
import time

from sympy.core.cache import clear_cache

import symbackprop as sb
from symbackprop.builders import recurrent


def timed(cell, steps, hidden, inputs):
    clear_cache()
    start = time.process_time()
    net = sb.Recurrent(inputs, hidden, 1, steps, cell=cell)
    built = time.process_time()
    net.backward()
    return built - start, time.process_time() - built


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=2)
    parser.add_argument("--inputs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cells", default="lstm,gru,elman")
    parser.add_argument("--steps", default="10,20,40,80")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    recurrent.MAX_WEIGHT_USES = recurrent.MAX_STEPS = 10 ** 9   # measure past the limits
    print(f"{'cell':6} {'steps':>5} {'build s':>8} {'backward s':>10} {'× per doubling':>15}")
    for cell in args.cells.split(","):
        previous = None
        for n in steps:
            runs = [timed(cell, n, args.hidden, args.inputs) for _ in range(args.repeat)]
            build = min(r[0] for r in runs)
            back = min(r[1] for r in runs)
            ratio = f"{back / previous:.2f}" if previous else ""
            print(f"{cell:6} {n:5d} {build:8.3f} {back:10.3f} {ratio:>15}", flush=True)
            previous = back


if __name__ == "__main__":
    main()
