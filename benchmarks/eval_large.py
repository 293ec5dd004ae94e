"""Time `symbackprop eval` (three-way check included) on Network([16, 16, 16, 16, 16]).

Writes a spec with seeded random values, runs the command in a fresh process (import
included), and prints the wall time next to a baseline measured in the same run: the
time to start Python and import sympy, the floor any command pays.

    python benchmarks/eval_large.py [--width 16] [--depth 4]
    python benchmarks/eval_large.py --sizes 16,16,16,16 64,64,64 100,100,1

With ``--sizes`` each network (layer sizes, inputs first) is timed in the same run, with
its number of gradients P and the growth exponent log(t₂/t₁)/log(P₂/P₁) between the
first and each later one (target: at most 1.2 from [16]*4 to [64]*3, each under 10 s).
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def spec(width: int, depth: int, seed: int = 0) -> dict:
    return sized_spec([width] * (depth + 1), seed)


def sized_spec(sizes, seed: int = 0) -> dict:
    """A sigmoid/mse network of these layer sizes (inputs first), seeded random values."""
    rng = random.Random(seed)
    layers = []
    for m, n in zip(sizes, sizes[1:]):
        layers.append({"units": n, "activation": "sigmoid",
                       "W": [[round(rng.uniform(-1, 1), 4) for _ in range(m)] for _ in range(n)],
                       "b": [round(rng.uniform(-1, 1), 4) for _ in range(n)]})
    return {"inputs": sizes[0], "cost": "mse", "layers": layers,
            "point": {"x": [round(rng.uniform(-1, 1), 4) for _ in range(sizes[0])],
                      "y": [round(rng.uniform(0, 1), 4) for _ in range(sizes[-1])]}}


def gradients(sizes) -> int:
    """P: every weight, bias and input."""
    return sum(m * n + n for m, n in zip(sizes, sizes[1:])) + sizes[0]


def timed(argv) -> float:
    return timed_cpu(argv)[0]


def timed_cpu(argv) -> tuple:
    """(wall, CPU) seconds of a command in a fresh process (CPU: user + system of the
    child, which on a shared machine is the figure that does not depend on the load)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(argv)}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def several(all_sizes) -> None:
    import math
    baseline = timed([sys.executable, "-c", "import sympy"])
    print(f"python + import sympy (baseline): {baseline:.2f} s")
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for sizes in all_sizes:
            path = Path(tmp) / "net.json"
            path.write_text(json.dumps(sized_spec(sizes)))
            wall, total = timed_cpu([sys.executable, "-m", "symbackprop", "eval", str(path), "--json"])
            p = gradients(sizes)
            growth = "" if first is None else \
                f"  growth exponent vs {first[0]}: {math.log(total / first[2]) / math.log(p / first[1]):.2f}"
            print(f"eval --json {sizes}: P = {p:,}: {total:.2f} s CPU ({wall:.2f} s wall){growth}")
            if first is None:
                first = (sizes, p, total)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=4, help="number of weight layers")
    parser.add_argument("--sizes", nargs="+", metavar="N,N,…", help="layer sizes, inputs first")
    args = parser.parse_args()
    if args.sizes:
        several([[int(n) for n in s.split(",")] for s in args.sizes])
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.json"
        path.write_text(json.dumps(spec(args.width, args.depth)))
        n_params = args.depth * args.width * (args.width + 1)
        baseline = timed([sys.executable, "-c", "import sympy"])
        import_time = timed([sys.executable, "-c", "import symbackprop"])
        total = timed([sys.executable, "-m", "symbackprop", "eval", str(path), "--json"])
    print(f"network [{args.width}] * {args.depth + 1}: {n_params} parameters")
    print(f"python + import sympy (baseline): {baseline:.2f} s")
    print(f"python + import symbackprop:      {import_time:.2f} s  ({import_time / baseline:.2f}x baseline)")
    print(f"symbackprop eval --json:          {total:.2f} s  ({total / baseline:.1f}x baseline; target < 10 s)")


if __name__ == "__main__":
    main()
