"""How the answer page holds up under a class: `symbackprop serve` started on 127.0.0.1
(a free port, a fresh database), then C concurrent clients each sending N checks.

    python benchmarks/serve_load.py                 # 50 clients x 20 checks
    python benchmarks/serve_load.py --clients 10 --checks 5

Each client is one student (a thread with its own connection) answering questions of
the lecture's network (examples/lecture.toml) in turn, right and wrong answers with
distinct coefficients so that no two checks are the same text. Prints the throughput
(checks a second over the wall time) and the p50/p95/max latency of a check, then reads
`/api/submissions.csv` with the teacher's token and verifies that every check answered
is stored, with the verdict the client was given. Exits 1 when one is missing or differs.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "lecture.toml"
#: (wrt, an answer with a coefficient k: right when k is 1)
QUESTIONS = [
    ("w^{(3)}_{11}", "{k} a^{{(2)}}_1 (a^{{(3)}}_1 - y_1) a^{{(3)}}_1 (1 - a^{{(3)}}_1)"),
    ("b^{(3)}_{2}", "{k} (a^{{(3)}}_2 - y_2) a^{{(3)}}_2 (1 - a^{{(3)}}_2)"),
    ("w^{(3)}_{21}", "{k} a^{{(2)}}_1 \\delta^{{(3)}}_2"),
    ("b^{(2)}_{1}", "{k} a^{{(2)}}_1 (1 - a^{{(2)}}_1) (w^{{(3)}}_{{11}} \\delta^{{(3)}}_1 + w^{{(3)}}_{{21}} \\delta^{{(3)}}_2)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, db: Path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    server = subprocess.Popen([sys.executable, "-m", "symbackprop", "serve", str(SPEC), "--port", str(port),
                               "--db", str(db)], env=env, stdout=subprocess.PIPE, text=True)
    teacher = None
    for line in server.stdout:
        if line.startswith("teacher token: "):
            teacher = line.split(": ", 1)[1].strip()
            break
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            return server, teacher
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start within 120 s")


def client(port: int, n: int, checks: int, out: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for i in range(checks):
        wrt, template = QUESTIONS[(n + i) % len(QUESTIONS)]
        k = 1 if (n + i) % 3 == 0 else 1 + (n * checks + i) / 1000
        body = json.dumps({"student": f"student{n:02d}", "wrt": wrt, "answer": template.format(k=k)})
        began = time.perf_counter()
        conn.request("POST", "/api/check", body, {"Content-Type": "application/json"})
        reply = conn.getresponse()
        data = json.loads(reply.read())
        out.append((time.perf_counter() - began, reply.status, f"student{n:02d}",
                    template.format(k=k), data.get("verdict")))
    conn.close()


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--checks", type=int, default=20, help="checks per client")
    args = parser.parse_args(argv)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server, teacher = start(port, Path(tmp) / "checks.db")
        try:
            results: list = []
            threads = [threading.Thread(target=client, args=(port, n, args.checks, results))
                       for n in range(args.clients)]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
            url = f"http://127.0.0.1:{port}/api/submissions.csv?token={teacher}"
            stored = list(csv.DictReader(io.StringIO(urllib.request.urlopen(url, timeout=60).read().decode())))
        finally:
            server.terminate()
            server.wait(30)
    latencies = [r[0] for r in results]
    statuses = {r[1] for r in results}
    verdicts = statistics.multimode([r[4] for r in results])
    total = args.clients * args.checks
    print(f"{total} checks by {args.clients} concurrent clients in {wall:.1f} s: "
          f"{total / wall:.1f} checks/s")
    print(f"latency: p50 {percentile(latencies, 50) * 1000:.0f} ms, p95 {percentile(latencies, 95) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms; HTTP statuses {sorted(statuses)}; most common verdict {verdicts}")
    answered = sorted((r[2], r[3].lstrip("'"), r[4]) for r in results if r[1] == 200)
    kept = sorted((r["student"], r["answer"].lstrip("'"), r["verdict"]) for r in stored)
    ok = len(results) == total and statuses == {200} and answered == kept
    print(f"stored: {len(stored)} of {len(answered)} answered checks, verdicts "
          + ("all as answered" if ok else "NOT all as answered"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
