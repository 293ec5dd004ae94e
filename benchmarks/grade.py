"""How long grading a class takes: N answers on the lecture network, graded by the CLI.

    python benchmarks/grade.py            # 1,000 answers, HTML report
    python benchmarks/grade.py --n 200 --format csv

The answers cycle through right and wrong answers to every weight, bias and input of
the lecture's 2-2-2-2 network (examples/lecture.toml), with distinct numeric
coefficients so that no two rows are the same text. Prints the wall time, the time per
answer, and the verdict counts; exits 1 when the time is above --limit seconds.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "lecture.toml"


def questions():
    """(wrt, [answer templates]) for the lecture network; {c} is 1 in a right answer."""
    out = []
    for l, prev in ((1, "x_{k}"), (2, "a^{{(1)}}_{k}"), (3, "a^{{(2)}}_{k}")):
        for j in (1, 2):
            for k in (1, 2):
                a = prev.format(k=k)
                other = prev.format(k=3 - k)
                d = r"\delta^{(%d)}_{%d}" % (l, j)
                wrt = "w^{(%d)}_{%d%d}" % (l, j, k)
                templates = [
                    "%s %s" % (a, d),
                    r"\frac{{c}}{{{c}}} %s \cdot %s" % (a, d),
                    "{c} %s %s" % (a, d),
                    "- %s %s" % (a, d),
                    "%s %s" % (other, d),
                    r"{c} \cdot %s %s + 0 \cdot %s" % (a, d, other),
                ]
                if l == 3:
                    templates.append(r"{c} %s \sigma'(z^{(3)}_{%d}) (a^{(3)}_{%d} - y_{%d})" % (a, j, j, j))
                    templates.append(r"{c} %s (a^{(3)}_{%d} - y_{%d})" % (a, j, j))
                else:
                    nxt = l + 1
                    templates.append(r"{c} %s \sigma'(z) (w^{(%d)}_{1%d} \delta' + w^{(%d)}_{2%d} \delta'')"
                                     % (a, nxt, j, nxt, j))
                    templates.append(r"{c} %s \sigma'(z) w^{(%d)}_{1%d} \delta'" % (a, nxt, j))
                out.append((wrt, templates))
        for j in (1, 2):
            out.append(("b^{(%d)}_{%d}" % (l, j), [r"{c} \delta^{(%d)}_{%d}" % (l, j),
                                                  r"\frac{{c}}{2} \delta^{(%d)}_{%d}" % (l, j)]))
    out.append(("x_1", [r"{c} (w^{(1)}_{11}\delta^{(1)}_1 + w^{(1)}_{21}\delta^{(1)}_2)",
                        r"{c} w^{(1)}_{11}\delta^{(1)}_1"]))
    return out


def rows(n: int):
    pool = []
    for wrt, templates in questions():
        for t in templates:
            pool.append((wrt, t))
    for i in range(n):
        wrt, template = pool[i % len(pool)]
        c = 1 + (i // len(pool)) % 3
        yield str(i + 1), wrt, template.replace("{c}", str(c))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of answers (default 1000)")
    parser.add_argument("--format", default="html", choices=["csv", "json", "html"])
    parser.add_argument("--limit", type=float, default=60.0, help="fail above this many seconds")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from symbackprop.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.csv"
        with answers.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "wrt", "answer"])
            writer.writerows(rows(args.n))
        report = Path(tmp) / f"report.{args.format}"
        start = time.perf_counter()
        code = cli(["grade", str(SPEC), str(answers), "-o", str(report)])
        elapsed = time.perf_counter() - start
    per = 1000 * elapsed / max(args.n, 1)
    print(f"graded {args.n} answers in {elapsed:.2f} s ({per:.1f} ms per answer), exit code {code}")
    return 0 if code == 0 and elapsed <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
