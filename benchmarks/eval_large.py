"""Time `symbackprop eval` (three-way check included) on Network([16, 16, 16, 16, 16]).

Writes a spec with seeded random values, runs the command in a fresh process (import
included), and prints the wall time next to a baseline measured in the same run: the
time to start Python and import sympy, the floor any command pays.

    python benchmarks/eval_large.py [--width 16] [--depth 4]
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
    rng = random.Random(seed)
    layers = []
    for _ in range(depth):
        layers.append({"units": width, "activation": "sigmoid",
                       "W": [[round(rng.uniform(-1, 1), 4) for _ in range(width)] for _ in range(width)],
                       "b": [round(rng.uniform(-1, 1), 4) for _ in range(width)]})
    return {"inputs": width, "cost": "mse", "layers": layers,
            "point": {"x": [round(rng.uniform(-1, 1), 4) for _ in range(width)],
                      "y": [round(rng.uniform(0, 1), 4) for _ in range(width)]}}


def timed(argv) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(argv)}\n{done.stderr}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=4, help="number of weight layers")
    args = parser.parse_args()
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
