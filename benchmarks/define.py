"""How long reading a ``define`` spec takes: a random graph of N nodes, loaded by the CLI's reader.

Each node is a sum of products of up to three earlier nodes or leaves (20 inputs and 20
parameters), some through σ or tanh, so that every line of the spec names earlier names. Reading
should grow linearly with the number of lines: 2,000 nodes about twice the time of 1,000. For
each size this prints the spec's size, the load time (best of --repeat), the ratio to the
first size, and the time of ``backward()``.

    python benchmarks/define.py [--nodes 1000 2000] [--repeat 1] [--write SPEC]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from sympy.core.cache import clear_cache

import symbackprop as sb

LEAVES = 20


def spec(nodes: int, seed: int = 0) -> dict:
    """A random graph spec (as the JSON a .json spec holds) with ``nodes`` definitions."""
    rng = random.Random(seed)
    inputs = [f"x_{i}" for i in range(1, LEAVES + 1)]
    params = [f"w_{i}" for i in range(1, LEAVES + 1)]
    names = inputs + params
    define = []
    for n in range(1, nodes + 1):
        terms = []
        for _ in range(rng.randint(1, 3)):
            term = " ".join(rng.sample(names, rng.randint(1, 2)))
            terms.append(rng.choice([term, term, f"\\sigma({term})", f"\\tanh({term})"]))
        name = f"v_{{{n}}}"
        define.append(f"{name} = " + " + ".join(terms))
        names.append(name)
    point = {s: round(rng.uniform(-1, 1), 3) for s in inputs + params}
    return {"title": f"A random graph of {nodes} nodes", "inputs": inputs, "parameters": params,
            "define": define, "point": point}


def load_time(path: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        clear_cache()
        start = time.perf_counter()
        sb.load(path)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--write", type=Path, help="also write the last spec to this file")
    args = parser.parse_args()
    print(f"{'nodes':>6}{'kB':>8}{'load s':>10}{'ratio to first':>16}{'backward s':>12}")
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in args.nodes:
            path = Path(tmp) / f"graph{nodes}.json"
            path.write_text(json.dumps(spec(nodes)))
            seconds = load_time(path, args.repeat)
            base = base or seconds
            graph = sb.load(path)
            start = time.perf_counter()
            graph.backward()
            backward = time.perf_counter() - start
            print(f"{nodes:>6}{path.stat().st_size / 1000:>8.0f}{seconds:>10.2f}"
                  f"{seconds / base:>15.1f}x{backward:>12.2f}")
            if args.write:
                args.write.write_text(path.read_text())


if __name__ == "__main__":
    main()
