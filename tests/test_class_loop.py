"""One loop for a class: `symbackprop assign` makes the folder, `symbackprop serve` serves it
(Starlette's TestClient), each student checks answers behind their personal link, and
`symbackprop grade DIR` grades the stored checks (`/api/submissions.csv`) exactly as the
page did: verdict, score, max and feedback, row by row."""

import csv
import io
import re
import socket
from fractions import Fraction
from types import SimpleNamespace

import pytest
from conftest import EXAMPLES

import symbackprop as sb

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from latex2mathml.converter import convert
from starlette.testclient import TestClient

from symbackprop.answers.compare import spec_point
from symbackprop.answers.diagnose import mistakes
from symbackprop.assignments.checks import right_value, target_of
from symbackprop.assignments.sheets import leaf_values, number_tex
from symbackprop.assignments.variants import key_number
from symbackprop.serve.app import close, create_app, make_server

ROSTER = "student,name\nada,Ada Lovelace\ngrace,Grace Hopper\nalan,Alan Turing\n"
STUDENTS = ["ada", "grace", "alan"]
#: The questions of examples/homework.toml as `assign` numbers them.
QUESTIONS = {"q1": "w^{(2)}_{11}", "q2": "w^{(1)}_{11}", "q3": "w^{(1)}_{11}", "q4": "b^{(1)}_{2}"}
CLOSED = (r"(a^{(2)}_1 - y_1) a^{(2)}_1 (1 - a^{(2)}_1) w^{(2)}_{11} a^{(1)}_1 (1 - a^{(1)}_1) x_1")
ANOTHER = "This is the value of another student's variant, not of yours"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from symbackprop.cli import main
    root = tmp_path_factory.mktemp("loop")
    (root / "roster.csv").write_text(ROSTER)
    folder = root / "hw3"
    assert main(["assign", str(EXAMPLES / "homework.toml"), "--roster", str(root / "roster.csv"),
                 "-o", str(folder)]) == 0
    assert not (folder / "links.csv").exists()
    server = make_server(folder, root / "checks.db", workers=1)
    with TestClient(create_app(server)) as client:
        yield SimpleNamespace(server=server, client=client, folder=folder, root=root,
                              links=_links(folder), nets={s: sb.load(folder / "students" / f"{s}.toml")
                                                          for s in STUDENTS})
    close(server)


def _links(folder) -> dict:
    with open(folder / "links.csv", newline="") as handle:
        return {row["student"]: row["token"] for row in csv.DictReader(handle)}


def _key(net, qid) -> str:
    return key_number(right_value(net, SimpleNamespace(wrt=QUESTIONS[qid])))


def _mistaken(net, qid) -> str:
    """The number a known mistake (the first the diagnosis knows) gives for the question."""
    ref, target = target_of(net, SimpleNamespace(wrt=QUESTIONS[qid]))
    at = spec_point(ref)
    return next(key_number(m.values[at]) for m in mistakes(ref, target) if m.values[at] is not None)


def _answers(t, student: str) -> list:
    """(id, answer, the verdict both must give, what its feedback must say) of one student."""
    net, other = t.nets[student], t.nets[STUDENTS[(STUDENTS.index(student) + 1) % 3]]
    near = float(_key(net, "q4")) + 0.0004              # right only within q4's tolerance
    return [("q1", r"a^{(1)}_1 \delta^{(2)}_1", "equivalent", "Correct"),
            ("q1", r"-a^{(1)}_1 \delta^{(2)}_1", "not_equivalent", "Check the signs"),
            ("q2", r"x_1 \delta^{(1)}_1", "not_equivalent", "asks you to expand"),
            ("q2", CLOSED, "equivalent", "Correct"),
            ("q3", _mistaken(net, "q3"), "not_equivalent", ""),
            ("q3", _key(other, "q3"), "not_equivalent", ANOTHER),
            ("q3", _key(net, "q3"), "equivalent", "Correct"),
            ("q4", r"\delta^{(1)}_2", "error", "Question q4 asks for a number"),
            ("q4", "0.5 (", "error", "could not be read"),
            ("q4", f"{near:.6f}", "equivalent", "Correct")]


@pytest.fixture(scope="module")
def checked(served):
    """Every student's answers checked on the page, with the replies in order."""
    replies = []
    for student in STUDENTS:
        for qid, answer, *_ in _answers(served, student):
            reply = served.client.post("/api/check", json={"student": served.links[student], "id": qid,
                                                           "answer": answer})
            assert reply.status_code == 200, reply.text
            replies.append((student, qid, answer, reply.json()))
    return replies


def test_each_personal_link_shows_that_students_questions_and_numbers(served):
    for student, net in served.nets.items():
        page = served.client.get(f"/s/{served.links[student]}").text
        assert re.findall(r'value="(q\d)" data-wrt="([^"]*)" data-kind="(\w+)"', page) == [
            ("q1", "w^{(2)}_{11}", "formula"), ("q2", "w^{(1)}_{11}", "formula"),
            ("q3", "w^{(1)}_{11}", "number"), ("q4", "b^{(1)}_{2}", "number")]
        assert re.findall(r"<small>\(([^)]*)\)</small>", page) == [
            "a formula; 2 points", "a formula in closed form, no δ; 2 points",
            "its value at your numbers; 1 point", "its value at your numbers, within ±0.0005; 1 point"]
        # the picture carries this student's own weights and biases …
        drawn = [label.removeprefix("+") for label in re.findall(r">([^<>]*)</text>", page)
                 if re.fullmatch(r"[+-]?\d+(\.\d+)?", label)]
        params = [number_tex(net.values[s]) for s, node in net.nodes.items() if node.kind == "param"]
        assert sorted(drawn) == sorted(params) and len(params) == 9
        # … and the list below it every input's and target's value
        listed = re.findall(r"<li>(.*?)</li>", page.split('<ul class="numbers">')[1].split("</ul>")[0])
        assert listed == [f"{convert(n.latex)} = {convert(v.latex)}" for n, v in leaf_values(net, net.values)]
        assert len(listed) == 12                        # x₁ x₂ y₁ and the 9 parameters
        for other in STUDENTS:
            if other != student:
                assert other not in page and served.links[other] not in page
    pages = {served.client.get(f"/s/{served.links[s]}").text.split("<aside")[1] for s in STUDENTS}
    assert len(pages) == 3                              # three variants, three pictures


def test_the_page_and_grade_dir_agree_cell_by_cell(served, checked, run_cli):
    t = served
    table = t.client.get("/api/submissions.csv", headers={"Authorization": f"Bearer {t.server.teacher}"}).text
    stored = list(csv.DictReader(io.StringIO(table)))
    # the student column is the roster's id (what the manifest and grade DIR use), never the token
    assert [r["student"] for r in stored] == [s for s, *_ in checked]
    assert not any(token in table for token in t.links.values())
    (t.root / "submissions.csv").write_text(table)
    code, out, err = run_cli("grade", t.folder, t.root / "submissions.csv", "-o", t.root / "report.csv")
    assert (code, err) == (0, "")
    with open(t.root / "report.csv", newline="") as handle:
        graded = list(csv.DictReader(handle))
    assert len(graded) == len(stored) == len(checked) == 30
    expected = [a for s in STUDENTS for a in _answers(t, s)]
    for (student, qid, answer, page), row, batch, (_, _, verdict, said) in zip(checked, stored, graded, expected):
        assert (batch["student"], batch["id"]) == (student, qid) == (row["student"], row["id"])
        assert page["verdict"] == row["verdict"] == batch["verdict"] == verdict, (student, qid, answer)
        assert Fraction(page["max"]) == Fraction(row["max"]) and Fraction(page["score"]) == Fraction(row["score"])
        if batch["replaced_by"]:            # grade counts the last answer to a question only
            assert (batch["score"], batch["max"]) == ("0", "0")
        else:
            assert (Fraction(page["score"]), Fraction(page["max"])) == (Fraction(batch["score"]),
                                                                        Fraction(batch["max"]))
        assert (page.get("diagnosis") or "") == batch["diagnosis"]
        # grade also says an answer was answered again later; the rest is the page's sentence
        feedback = re.sub(r"^Not counted: line \d+ answers this question again, and the last answer "
                          r"counts\. ", "", batch["feedback"])
        assert feedback == page["feedback"] and said in page["feedback"], (student, qid, answer)
        assert (ANOTHER in page["feedback"]) == (said == ANOTHER)
    scores = [(p["score"], p["max"]) for *_, p in checked]
    assert scores[:10] == [(2, 2), (0, 2), (0, 2), (2, 2), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (1, 1)]


def test_a_wrong_number_reveals_no_other_number(served, checked):
    for _, qid, _, page in checked:
        if qid in ("q3", "q4") and page["verdict"] == "not_equivalent":
            assert "counterexample" not in page and "expected" not in page


def test_a_student_token_never_reaches_another_students_data(served):
    t = served
    ada, grace = t.links["ada"], t.links["grace"]
    # another student named instead of a token, or beside one: refused or ignored
    for who in ("grace", "ada", grace[:-1], grace.upper()):
        reply = t.client.post("/api/check", json={"student": who, "id": "q3", "answer": "1"})
        assert (reply.status_code, reply.json()) == (
            403, {"error": "unknown student: open the personal link your teacher gave you"})
    for path in ("/api/submissions.csv", "/teacher"):
        assert t.client.get(path, params={"token": ada}).status_code == 403
        assert t.client.get(path, headers={"Authorization": f"Bearer {ada}"}).status_code == 403
    page = t.client.get(f"/s/{ada}", params={"student": "grace", "token": grace}).text
    assert "Answers of <strong>ada</strong>" in page and "grace" not in page and grace not in page
    # a preview reads the answer back, never compares it
    reply = t.client.post("/api/preview", json={"student": ada, "id": "q1", "answer": "a^{(1)}_1"}).json()
    assert reply["ok"] is True and "counterexample" not in reply and "expected" not in reply


def test_links_are_written_once(served):
    t = served
    text = (t.folder / "links.csv").read_text()
    lines = text.splitlines()
    assert lines[0] == "student,token,path"
    assert [line.split(",")[0] for line in lines[1:]] == STUDENTS
    assert all(line.split(",")[2] == "/s/" + line.split(",")[1] for line in lines[1:])
    before = (t.folder / "links.csv").stat().st_mtime_ns
    again = make_server(t.folder, t.root / "again.db", workers=1)
    try:
        assert again.tokens == t.server.tokens
    finally:
        close(again)
    assert (t.folder / "links.csv").read_text() == text
    assert (t.folder / "links.csv").stat().st_mtime_ns == before


@pytest.mark.parametrize("manifest, message", [
    pytest.param('{"title": "t", "questions": [], "students": {"ann": {"spec": "../ann.toml"}}}',
                 "students.'ann'.spec: '../ann.toml' is outside the folder", id="outside"),
    pytest.param('{"questions": [{"id": "q1", "wrt": "w_5", "kind": "essay"}], "students": {"ann": {"spec": "a"}}}',
                 "questions[1].kind: expected \"formula\" or \"number\", got 'essay'", id="kind"),
    pytest.param('{"questions": [', "not JSON: Expecting value (line 1, column 16)", id="not-json"),
])
def test_grade_and_serve_read_a_manifest_alike(manifest, message, run_cli, tmp_path):
    (tmp_path / "hw" / "sub").mkdir(parents=True)
    (tmp_path / "hw" / "manifest.json").write_text(manifest)
    (tmp_path / "answers.csv").write_text("student,id,answer\nann,q1,1\n")
    expected = f"error: {tmp_path / 'hw' / 'manifest.json'}: {message}\n"
    assert run_cli("grade", tmp_path / "hw", tmp_path / "answers.csv") == (2, "", expected)
    with socket.socket() as probe:                      # a free port: serve binds it, then reads the folder
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run_cli("serve", tmp_path / "hw", "--db", tmp_path / "x.db", "--port", port) == (2, "", expected)
    assert not (tmp_path / "hw" / "links.csv").exists()
