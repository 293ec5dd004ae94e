"""The answer page's server (`symbackprop serve`) through Starlette's TestClient: the JSON
API on a single spec and on a class (an assignment folder made here by hand, as DESIGN.md
"Assignments" fixes it), the limits, the teacher's endpoints, and the stored checks read
back by `grade` verdict for verdict."""

import csv
import io
import json
import sqlite3
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import symbackprop as sb

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient

from symbackprop.serve import app as serve_app
from symbackprop.serve.app import Limiter, close, create_app, make_server

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "examples" / "shared_bias.toml"
RIGHT = "(o_1 - t_1) o_1 (1 - o_1) h_1"
SIGN = "-(o_1 - t_1) o_1 (1 - o_1) h_1"
#: Each variant of the hand-made class: the shared-bias net at another input.
VARIANTS = {"ann": "x = [0.05, 0.10]", "bob": "x = [1.5, -2.0]"}


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    db = tmp_path_factory.mktemp("single") / "checks.db"
    server = make_server(SHARED, db, workers=2)
    with TestClient(create_app(server)) as client:
        yield server, client, db
    close(server)


def make_class(folder: Path) -> Path:
    """An assignment folder: a manifest and one variant spec per student."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SHARED.read_text()
    students = {}
    for name, x in VARIANTS.items():
        (folder / "variants").mkdir(exist_ok=True)
        (folder / "variants" / f"{name}.toml").write_text(text.replace("x = [0.05, 0.10]", x))
        students[name] = {"spec": f"variants/{name}.toml", "email": f"{name}@example.org"}
    manifest = {"title": "Homework 3", "questions": [
        {"id": "q1", "wrt": "w_5", "kind": "formula", "points": 2},
        {"id": "q2", "wrt": "w_1", "kind": "number", "points": 1}], "students": students}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    folder = make_class(base / "hw3")
    server = make_server(folder, base / "checks.db", workers=1)
    with TestClient(create_app(server)) as client:
        yield server, client, folder
    close(server)


def tokens(folder: Path) -> dict:
    with open(folder / "links.csv", newline="") as handle:
        return {row["student"]: row["token"] for row in csv.DictReader(handle)}


# --- a single spec ------------------------------------------------------------------------

def test_preview_reads_the_answer_back_as_mathml(single):
    _, client, _ = single
    reply = client.post("/api/preview", json={"answer": RIGHT, "wrt": "w_5"}).json()
    assert reply["ok"] is True
    assert reply["latex"] == r"h_1 o_1 \left(1 - o_1\right) \left(o_1 - t_1\right)"
    assert reply["mathml"].startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    assert "<msub><mi>h</mi><mn>1</mn></msub>" in reply["mathml"]


def test_preview_of_an_unreadable_answer_is_the_readers_line_with_its_column(single):
    _, client, _ = single
    reply = client.post("/api/preview", json={"answer": "h_1 (o_1 - t_1", "wrt": "w_5"}).json()
    assert reply == {"ok": False, "error": "answer, column 5: unbalanced '(': it is never closed",
                     "column": 5, "line": 1}
    reply = client.post("/api/preview", json={"answer": "h_1 o_9", "wrt": "w_5"}).json()
    assert reply["ok"] is False and reply["column"] == 5 and "o_9" in reply["error"]


def test_check_gives_verdict_feedback_score_and_a_counterexample(single):
    _, client, _ = single
    right = client.post("/api/check", json={"student": "ann", "wrt": "w_5", "answer": RIGHT}).json()
    assert (right["verdict"], right["score"], right["max"]) == ("equivalent", 1.0, 1.0)
    assert right["feedback"] == "Correct: your answer equals the derivative asked for."
    wrong = client.post("/api/check", json={"student": "ann", "wrt": "w_5", "answer": SIGN}).json()
    assert (wrong["verdict"], wrong["diagnosis"], wrong["score"]) == ("not_equivalent", "sign_error", 0.0)
    assert wrong["feedback"].startswith("Check the signs")
    point = wrong["counterexample"]["point"]
    net = sb.load(SHARED)
    expected = float(net.backward().evaluate(point).gradients["w_5"])
    assert wrong["counterexample"]["answer"] == pytest.approx(-expected, rel=1e-12)
    assert "expected" not in wrong["counterexample"] and "expected" not in wrong
    bad = client.post("/api/check", json={"student": "ann", "wrt": "w_5", "answer": "h_1 (o_1"}).json()
    assert bad["verdict"] == "error" and bad["error"] == "answer, column 5: unbalanced '(': it is never closed"
    # any wrt of the spec is a question worth 1 point, also one not listed on the page
    node = client.post("/api/check", json={"student": "ann", "wrt": "h_1",
                                           "answer": "w_5 (o_1 - t_1) o_1 (1 - o_1) + w_7 (o_2 - t_2) o_2 (1 - o_2)"})
    assert node.json()["verdict"] == "equivalent" and node.json()["max"] == 1.0


@pytest.mark.parametrize("body, message", [
    pytest.param(b"{not json", "the request body is not JSON: Expecting property name enclosed in double quotes at column 2", id="malformed"),
    pytest.param(b"[1, 2]", "the request body must be a JSON object", id="not-an-object"),
    pytest.param(b"[" * 30_000 + b"]" * 30_000, "the request body nests too deeply", id="deep"),
    pytest.param(b'{"answer": "\xff"}', "the request body is not UTF-8", id="not-utf8"),
    pytest.param(b'{"wrt": "w_5", "answer": "h_1"}', 'missing field "student"', id="no-student"),
    pytest.param(b'{"student": "ann", "answer": "h_1"}', 'missing field "id" or "wrt"', id="no-question"),
    pytest.param(b'{"student": "ann", "wrt": "w_5"}', 'missing field "answer"', id="no-answer"),
    pytest.param(b'{"student": "ann", "wrt": "w_5", "answer": 5}', 'field "answer": expected a string', id="not-a-string"),
    pytest.param(b'{"student": "", "wrt": "w_5", "answer": "h_1"}',
                 "student: expected a name of 1 to 100 printable characters", id="empty-name"),
])
def test_malformed_requests_are_400_with_one_line(single, body, message):
    _, client, _ = single
    reply = client.post("/api/check", content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert reply.json() == {"error": message}


def test_a_body_over_64_kB_is_413(single):
    _, client, _ = single
    big = json.dumps({"student": "ann", "wrt": "w_5", "answer": "h_1 + " * 11_000})
    assert len(big) > 64 * 1024
    for path in ("/api/check", "/api/preview"):
        reply = client.post(path, content=big, headers={"Content-Type": "application/json"})
        assert reply.status_code == 413
        assert reply.json() == {"error": "the request body is larger than 64 kB"}


def test_a_check_past_its_limit_is_undecided_and_the_next_one_is_served(single, monkeypatch):
    server, client, _ = single
    replaced = server.pool.replaced
    monkeypatch.setattr(serve_app, "CHECK_LIMIT", 0)
    slow = client.post("/api/check", json={"student": "slow", "wrt": "w_5", "answer": RIGHT}).json()
    assert slow["verdict"] == "undecided"
    assert slow["reason"] == "the check ran past 0 s and was stopped"
    assert (slow["score"], slow["max"]) == (0.5, 1.0)
    assert server.pool.replaced == replaced + 1
    monkeypatch.setattr(serve_app, "CHECK_LIMIT", 10.0)
    again = client.post("/api/check", json={"student": "slow", "wrt": "w_5", "answer": RIGHT}).json()
    assert again["verdict"] == "equivalent"


def test_every_check_is_in_the_database_before_its_reply(single):
    _, client, db = single
    client.post("/api/check", json={"student": "dora", "wrt": "w_6", "answer": "=HYPERLINK(1)"})
    with sqlite3.connect(db) as other:      # another connection sees it committed
        rows = other.execute("SELECT student, wrt, answer, verdict FROM checks WHERE student = 'dora'").fetchall()
        mode = other.execute("PRAGMA journal_mode").fetchone()[0]
    assert rows == [("dora", "w_6", "=HYPERLINK(1)", "error")]
    assert mode == "wal"


def test_submissions_need_the_teacher_token_and_defuse_formulas(single):
    server, client, _ = single
    client.post("/api/check", json={"student": "=cmd|' /C calc'!A0", "wrt": "w_5", "answer": SIGN})
    assert client.get("/api/submissions.csv").status_code == 403
    assert client.get("/api/submissions.csv", params={"token": "guess"}).status_code == 403
    assert client.get("/teacher").status_code == 403
    reply = client.get("/api/submissions.csv", headers={"Authorization": f"Bearer {server.teacher}"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[0] == ["student", "id", "wrt", "answer", "verdict", "score", "max", "time"]
    evil = [r for r in rows if r[0].startswith("'=cmd")]
    assert evil and evil[0][3] == "'" + SIGN and evil[0][4] == "not_equivalent"
    assert not [cell for row in rows[1:] for cell in row if cell[:1] in ("=", "+", "@")]


def test_the_stored_checks_read_back_by_grade_agree_verdict_for_verdict(single, run_cli, tmp_path):
    server, client, _ = single
    answers = [("eve", "w_5", RIGHT), ("eve", "w_5", SIGN), ("eve", "w_1", "-(o_1 - t_1)"),
               ("fay", "b_2", "(o_1 - t_1) o_1 (1 - o_1) + (o_2 - t_2) o_2 (1 - o_2)"),
               ("fay", "b_2", "2 (o_1 - t_1) o_1 (1 - o_1) + 2 (o_2 - t_2) o_2 (1 - o_2)"),
               ("fay", "w_8", "h_2 (o_2 - t_2) o_2 (1 - o_2)"), ("fay", "w_8", "h_2 \\delta"),
               ("+gus", "w_2", "i_2 h_1 (1 - h_1) (w_5 (o_1 - t_1) o_1 (1 - o_1) + w_7 (o_2 - t_2) o_2 (1 - o_2))")]
    for student, wrt, answer in answers:
        assert client.post("/api/check", json={"student": student, "wrt": wrt, "answer": answer}).status_code == 200
    table = client.get("/api/submissions.csv", params={"token": server.teacher}).text
    (tmp_path / "submissions.csv").write_text(table)
    code, _, err = run_cli("grade", SHARED, tmp_path / "submissions.csv", "-o", tmp_path / "report.csv")
    assert code == 0, err
    # a check the page stopped at its time limit (the test above) is undecided there,
    # and decided by grade, which has no time limit: compared are all the others
    served = [r for r in csv.DictReader(io.StringIO(table)) if r["student"] != "slow"]
    with open(tmp_path / "report.csv", newline="") as handle:
        graded = [r for r in csv.DictReader(handle) if r["student"] != "slow"]
    assert len(graded) == len(served) >= len(answers)
    assert [r["verdict"] for r in graded] == [r["verdict"] for r in served]
    assert {r["verdict"] for r in served} >= {"equivalent", "not_equivalent", "error"}
    mine = [r for r in graded if r["student"] in ("eve", "fay", "'+gus")]
    assert [r["answer"] for r in mine] == ["'" + a if a[0] in "-+" else a for _, _, a in answers]
    # a row graded once is worth what the page said it scored
    for page, batch in zip(served, graded):
        if not batch["replaced_by"]:
            assert Fraction(batch["score"]) == Fraction(page["score"])


def test_the_summary_counts_answers_and_names_the_common_mistakes(single):
    server, client, _ = single
    for _ in range(2):
        client.post("/api/check", json={"student": "hal", "wrt": "w_7", "answer": "-h_1 (o_2 - t_2) o_2 (1 - o_2)"})
    page = client.get("/teacher", params={"token": server.teacher}).text
    assert '<meta http-equiv="refresh" content="10">' in page
    row = page[page.index("<tr><td>w_7</td>"):].split("</tr>")[0]
    assert row.startswith("<tr><td>w_7</td><td>2</td><td>0</td><td>2</td><td>0</td><td>0</td>")
    assert "<li><code>sign_error</code> ×2<br><small>Check the signs" in row
    assert "<li><code>-h_1 (o_2 - t_2) o_2 (1 - o_2)</code> ×2</li>" in row


def test_the_page_is_served_whole_by_the_app(single):
    _, client, _ = single
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert '<script src="/static/page.js"></script>' in text and "http" not in text.split("<body")[1].replace(
        'xmlns="http://www.w3.org/1998/Math/MathML"', "").replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert text.count('name="question"') == 10          # w_1 … w_8, b_1, b_2
    assert "<svg" in text and 'id="student"' in text
    for name in ("page.js", "page.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


# --- a class ------------------------------------------------------------------------------

def test_links_are_written_once_and_kept_on_a_restart(klass):
    server, _, folder = klass
    links = tokens(folder)
    assert sorted(links) == ["ann", "bob"] and len(set(links.values())) == 2
    assert all(len(t) == 32 and int(t, 16) >= 0 for t in links.values())
    before = (folder / "links.csv").stat().st_mtime_ns
    again = make_server(folder, folder.parent / "other.db", workers=1)
    try:
        assert again.tokens == server.tokens
    finally:
        close(again)
    assert (folder / "links.csv").stat().st_mtime_ns == before


def test_a_student_is_graded_against_their_own_variant(klass):
    _, client, folder = klass
    links = tokens(folder)
    values = {name: float(sb.load(folder / "variants" / f"{name}.toml").backward().evaluate().gradients["w_1"])
              for name in VARIANTS}
    assert abs(values["ann"] - values["bob"]) > 1e-3
    for name, other in (("ann", "bob"), ("bob", "ann")):
        mine = client.post("/api/check", json={"student": links[name], "id": "q2",
                                                "answer": f"{values[name]:.6f}"}).json()
        theirs = client.post("/api/check", json={"student": links[name], "id": "q2",
                                                  "answer": f"{values[other]:.6f}"}).json()
        assert (mine["verdict"], mine["max"]) == ("equivalent", 1.0)
        assert theirs["verdict"] == "not_equivalent" and "counterexample" not in theirs
    formula = client.post("/api/check", json={"student": links["ann"], "id": "q1", "answer": RIGHT}).json()
    assert (formula["verdict"], formula["score"], formula["max"]) == ("equivalent", 2.0, 2.0)


def test_no_request_speaks_for_another_student(klass):
    server, client, folder = klass
    links = tokens(folder)
    for student in ("ann", "nobody", ""):
        reply = client.post("/api/check", json={"student": student, "id": "q1", "answer": RIGHT})
        assert reply.status_code == 403
        assert reply.json() == {"error": "unknown student: open the personal link your teacher gave you"}
    assert client.post("/api/preview", json={"answer": RIGHT, "wrt": "w_5"}).status_code == 400
    assert client.post("/api/check", json={"student": links["ann"], "wrt": "w_2", "answer": "1"}).status_code == 400
    page = client.get(f"/s/{links['ann']}").text
    assert "ann" in page and "bob" not in page and links["bob"] not in page
    assert page.count('name="question"') == 2
    assert client.get("/s/not-a-token").status_code == 404
    home = client.get("/").text
    assert "personal link" in home and links["ann"] not in home
    assert client.get("/api/submissions.csv").status_code == 403
    table = client.get("/api/submissions.csv", params={"token": server.teacher}).text
    assert links["ann"] not in table            # stored under the student's name, not the token


def test_checks_per_student_are_limited_with_a_429(klass, monkeypatch):
    server, client, folder = klass
    links = tokens(folder)
    monkeypatch.setattr(server, "checks", Limiter(2))
    codes = [client.post("/api/check", json={"student": links["bob"], "id": "q1", "answer": "h_1"}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    reply = client.post("/api/check", json={"student": links["bob"], "id": "q1", "answer": "h_1"})
    assert reply.json() == {"error": "too many checks: at most 30 a minute; wait a little"}
    assert client.post("/api/check", json={"student": links["ann"], "id": "q1", "answer": "h_1"}).status_code == 200


def test_limiter_forgets_after_a_minute():
    now = [0.0]
    limiter = Limiter(2, clock=lambda: now[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a"), limiter.allow("b")] == [True, True, False, True]
    now[0] = 59.9
    assert limiter.allow("a") is False
    now[0] = 60.0
    assert limiter.allow("a") is True


# --- the command line ---------------------------------------------------------------------

def test_serve_without_the_extra_is_one_error_line(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    code, out, err = run_cli("serve", SHARED)
    assert (code, out) == (2, "")
    assert err == "error: serve needs uvicorn, which is not installed: pip install 'symbackprop[serve]'\n"


def test_serve_refuses_a_bad_folder_before_serving(run_cli, tmp_path):
    (tmp_path / "manifest.json").write_text('{"questions": []}')
    code, out, err = run_cli("serve", tmp_path, "--db", tmp_path / "x.db")
    assert (code, out) == (2, "")
    assert err == (f"error: {tmp_path / 'manifest.json'}: expected an object with a list \"questions\" and an "
                   "object \"students\" (as `symbackprop assign` writes it)\n")
    (tmp_path / "manifest.json").write_text('{"questions": [{"id": "q1", "wrt": "w_5", "tolerance": [1]}], '
                                            '"students": {"ann": {"spec": "ann.toml"}}}')
    code, out, err = run_cli("serve", tmp_path, "--db", tmp_path / "x.db")
    assert (code, out) == (2, "")
    assert err == (f"error: {tmp_path / 'manifest.json'}: questions[1].tolerance: expected a number or a "
                   "percentage such as \"1%\"\n")


def test_grade_reads_a_defused_cell_as_it_was_typed():
    from symbackprop.answers.grade import parse_rows, undefuse
    rows = parse_rows("student,id,wrt,answer\n'=ann,'+q,w_5,'-h_1\nbob,q2,w_5,'h_1\n")
    assert [(r.student, r.id, r.answer) for r in rows] == [("=ann", "+q", "-h_1"), ("bob", "q2", "'h_1")]
    assert [undefuse(c) for c in ("'@x", "'\tx", "''-x", "'x", "-x")] == ["@x", "\tx", "''-x", "'x", "-x"]


def test_serve_on_a_port_in_use_is_one_error_line(run_cli, tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli("serve", SHARED, "--port", port, "--db", tmp_path / "x.db")
    assert (code, out) == (2, "")
    assert err == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not (tmp_path / "x.db").exists()


def test_a_slow_check_does_not_stall_the_others_and_its_worker_is_replaced(tmp_path):
    """A check whose worker must first load a large network (seconds) runs past a 0.5 s
    limit, while a check on the loaded network is answered meanwhile by the other worker."""
    large = tmp_path / "large.toml"
    large.write_text('inputs = 20\ncost = "mse"\n' + '[[layers]]\nunits = 20\nactivation = "sigmoid"\n' * 3)
    import threading
    import time
    from symbackprop.serve.pool import Pool, Timeout
    pool = Pool(2, preload=[str(SHARED)])
    try:
        fast_job = ("check", str(SHARED), "ann", "w_5", "w_5", RIGHT, "1", "formula")
        assert pool.run_blocking(fast_job, 60)["verdict"] == "equivalent"     # both started
        assert pool.run_blocking(fast_job, 60)["verdict"] == "equivalent"
        slow_job = ("check", str(large), "ann", "w", "w^{(1)}_{11}", "1", "1", "formula")
        slow = {}

        def run_slow():
            began = time.monotonic()
            try:
                pool.run_blocking(slow_job, 0.5)
            except Timeout:
                slow["timeout"] = True
            slow["done"] = time.monotonic() - began
        thread = threading.Thread(target=run_slow)
        thread.start()
        time.sleep(0.05)
        began = time.monotonic()
        assert pool.run_blocking(fast_job, 60)["verdict"] == "equivalent"
        fast = time.monotonic() - began
        thread.join(60)
        assert slow["timeout"] is True and slow["done"] >= 0.5 > fast
        assert pool.replaced == 1
        for _ in range(2):                                  # the new worker, and the other
            assert pool.run_blocking(fast_job, 120)["verdict"] == "equivalent"
    finally:
        pool.close()


def test_a_whole_layer_is_previewed_as_a_matrix_and_a_broken_variant_is_an_error_row():
    from symbackprop.serve.work import check, preview
    lecture = str(ROOT / "examples" / "lecture.toml")
    read = preview(lecture, "W^{(3)}", r"\delta^{(3)} (a^{(2)})^T")
    assert read["ok"] is True and read["latex"].startswith(r"\left[\begin{matrix}a^{(2)}_{1} \delta^{(3)}_{1} & ")
    assert preview(lecture, "W^{(3)}", r"\delta^{(3)} (a^{(2)}") == {
        "ok": False, "error": "answer, column 14: unbalanced '(': it is never closed", "column": 14, "line": 1}
    assert check("/no/such/variant.toml", "ann", "q1", "w_5", RIGHT, "2", "formula") == {
        "verdict": "error", "error": "/no/such/variant.toml: no such file", "score": "0", "max": "2",
        "feedback": "This answer could not be graded automatically; it will be checked by hand."}


def test_serve_with_a_database_it_cannot_open_is_one_error_line(run_cli, tmp_path):
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "missing" / "x.db"
    code, out, err = run_cli("serve", SHARED, "--port", port, "--db", db)
    assert (code, out) == (2, "")
    assert err == f"error: --db {db}: cannot open the database: unable to open database file\n"
