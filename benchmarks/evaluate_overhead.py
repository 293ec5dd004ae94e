"""Per-call overhead of ``d.evaluate()`` over its own compiled function.

For each network, in one run: the first ``evaluate`` (compile + call), then warm medians
of ``d.evaluate()`` (spec values), ``d.evaluate(point)`` (a point that overrides every
input) and the bare compiled function called with its arguments already converted.
The overhead is the ratio of a warm call to the bare function.

    python benchmarks/evaluate_overhead.py [--repeat 200]
"""

import argparse
import random
import statistics
import time

import symbackprop as sb
from symbackprop.numeric import values as numeric

SIZES = ([16, 16, 16, 16], [64, 64, 64, 64], [64, 64, 64])


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def network(sizes, seed: int = 0):
    rng = random.Random(seed)
    layers = [{"units": n, "activation": "sigmoid",
               "W": [[round(rng.uniform(-1, 1), 4) for _ in range(m)] for _ in range(n)],
               "b": [round(rng.uniform(-1, 1), 4) for _ in range(n)]} for m, n in zip(sizes, sizes[1:])]
    return sb.load({"inputs": sizes[0], "cost": "mse", "layers": layers,
                    "point": {"x": [round(rng.uniform(-1, 1), 4) for _ in range(sizes[0])],
                              "y": [round(rng.uniform(0, 1), 4) for _ in range(sizes[-1])]}})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(f"{'network':<20}{'first s':>9}{'bare us':>10}{'evaluate() us':>15}{'x bare':>8}"
          f"{'evaluate(pt) us':>17}{'x bare':>8}")
    for sizes in SIZES:
        net = network(sizes)
        d = net.backward()
        start = time.perf_counter()
        d.evaluate()
        first = time.perf_counter() - start
        prog = numeric.program(d, "float")
        values = numeric.resolve_point(net)
        converted = [float(values[s]) for s in prog.leaves]
        bare = median_time(lambda: prog.function(*converted), args.repeat)
        warm = median_time(d.evaluate, args.repeat)
        point = {s.name: 0.25 for s in net.inputs}
        warm_point = median_time(lambda: d.evaluate(point), args.repeat)
        print(f"{str(sizes):<20}{first:>9.2f}{bare * 1e6:>10.0f}{warm * 1e6:>15.0f}{warm / bare:>8.2f}"
              f"{warm_point * 1e6:>17.0f}{warm_point / bare:>8.2f}")


if __name__ == "__main__":
    main()
