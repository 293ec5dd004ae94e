"""How long grading a class takes: N answers on the lecture network, graded by the CLI.

    python benchmarks/grade.py            # 1,000 answers, HTML report and totals
    python benchmarks/grade.py --n 200 --format csv
    python benchmarks/grade.py --first-wrong   # also: the first wrong answer at [16]*4

The answers cycle through right and wrong answers to every weight, bias and input of
the lecture's 2-2-2-2 network (examples/lecture.toml), with distinct numeric
coefficients so that no two rows are the same text, from 25 students with points and a
kept column; the per-student totals are written too. Prints the wall time, the time
per answer, and the verdict counts; exits 1 when the time is above --limit seconds.

``--first-wrong`` times (CPU) the first wrong answer to each of several questions of a
[16]*4 sigmoid network, once an answer to another question has built the network's
reference: the diagnosis then builds and evaluates every candidate mistake of the
question (target: under 0.3 s each, --first-wrong-limit).
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
        yield (str(i + 1), f"student {i % 25 + 1}", wrt, template.replace("{c}", str(c)),
               str(1 + i % 3), f"section {i % 2 + 1}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of answers (default 1000)")
    parser.add_argument("--format", default="html", choices=["csv", "json", "html"])
    parser.add_argument("--limit", type=float, default=60.0, help="fail above this many seconds")
    parser.add_argument("--first-wrong", action="store_true",
                        help="also time the first wrong answer to questions of a [16]*4 network")
    parser.add_argument("--first-wrong-limit", type=float, default=0.3,
                        help="fail when a first wrong answer takes longer (CPU seconds)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from symbackprop.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.csv"
        with answers.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "student", "wrt", "answer", "points", "section"])
            writer.writerows(rows(args.n))
        report = Path(tmp) / f"report.{args.format}"
        start = time.perf_counter()
        code = cli(["grade", str(SPEC), str(answers), "-o", str(report),
                    "--totals", str(Path(tmp) / "totals.csv")])
        elapsed = time.perf_counter() - start
    per = 1000 * elapsed / max(args.n, 1)
    print(f"graded {args.n} answers in {elapsed:.2f} s ({per:.1f} ms per answer), exit code {code}")
    ok = code == 0 and elapsed <= args.limit
    if args.first_wrong:
        worst = first_wrong()
        ok = ok and worst <= args.first_wrong_limit
    return 0 if ok else 1


#: (wrt, a wrong answer) at [16]*4; the last two have no diagnosis (every candidate is tried).
FIRST_WRONG = [
    ("w^{(1)}_{11}", r"x_1 \delta^{(1)}_2"),
    ("w^{(2)}_{11}", r"-a^{(1)}_1 \delta^{(2)}_1"),
    ("w^{(3)}_{11}", r"a^{(2)}_1 (a^{(3)}_1 - y_1)"),
    ("b^{(1)}_{3}", r"2 \delta^{(1)}_2"),
    ("w^{(2)}_{57}", r"a^{(1)}_5 \delta^{(2)}_5"),
    ("x_1", r"w^{(1)}_{11} \delta^{(1)}_1"),
    ("x_{16}", "x_1"),
]


def first_wrong() -> float:
    """CPU time of the first wrong answer to each question of FIRST_WRONG; the worst."""
    import symbackprop as sb
    from symbackprop.answers import check_answer
    net = sb.Network([16] * 4, activation="sigmoid", cost="mse")
    start = time.process_time()
    # a wrong answer to another question: builds the reference and the 40-digit program
    # that confirms counterexamples (once per network)
    check_answer(net, "w^{(3)}_{12}", r"a^{(2)}_1 \delta^{(3)}_1")
    print(f"[16]*4: the network's reference and a first wrong answer to another question "
          f"{time.process_time() - start:.2f} s (once per network)")
    worst = 0.0
    for wrt, answer in FIRST_WRONG:
        start = time.process_time()
        v = check_answer(net, wrt, answer)
        elapsed = time.process_time() - start
        worst = max(worst, elapsed)
        print(f"  first wrong answer to {wrt}: {elapsed:.3f} s ({v.verdict}, {v.diagnosis})")
    print(f"  worst {worst:.3f} s")
    return worst


if __name__ == "__main__":
    sys.exit(main())
