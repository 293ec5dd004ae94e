"""`symbackprop serve` as a real uvicorn process on 127.0.0.1: the page driven in Debian's
Chromium with playwright (type, see the preview change, submit, see the verdict), and a
check that survives ``kill -9`` of the server."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import require_tool
from test_render_tools import CHROMIUM, CHROMIUM_ARGS

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parent.parent
LECTURE = ROOT / "examples" / "lecture.toml"
#: Seconds the server may take to start (spawning its workers imports SymPy).
START_WAIT = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server process on a free port; (base URL, process, database path)."""
    folder = tmp_path_factory.mktemp("served")
    db = folder / "checks.db"
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-m", "symbackprop", "serve", str(LECTURE), "--port", str(port),
                                "--db", str(db)], cwd=folder, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WAIT
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {process.stderr.read() if process.poll() is not None else 'timeout'}")
            time.sleep(0.3)
        printed = [process.stdout.readline() for _ in range(5)]
        assert printed[0] == f"serving \"The lecture's forward-pass example\" at {url}/\n"
        assert printed[1].startswith("teacher token: ") and len(printed[1].strip()) == len("teacher token: ") + 24
        assert printed[2].startswith(f"class summary: {url}/teacher?token=")
        yield url, process, db
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        process.stdout.close()
        process.stderr.close()


def test_the_page_in_chromium_previews_and_checks_keyboard_only(server):
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    url, _, _ = server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in (1200, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                problems = []
                page.on("console", lambda m, seen=problems: seen.append(m.text)
                        if m.type in ("error", "warning") else None)
                page.goto(url + "/")
                page.keyboard.press("Tab")                         # the name field comes first
                page.keyboard.type("Ann")
                page.keyboard.press("Tab")                         # the questions: arrows pick one
                for _ in range(12):
                    page.keyboard.press("ArrowDown")
                assert page.eval_on_selector("input[name=question]:checked", "e => e.dataset.wrt") == "w^{(3)}_{11}"
                page.keyboard.press("Tab")
                assert page.evaluate("document.activeElement.id") == "answer"
                page.keyboard.type(r"a^{(2)}_1 (a^{(3)}_1 - y_1")
                page.wait_for_selector(".preview .problem")
                assert page.inner_text(".preview div.problem") == "answer, column 11: unbalanced '(': it is never closed"
                assert page.inner_text(".preview pre") == "a^{(2)}_1 (a^{(3)}_1 - y_1\n          ^"
                page.keyboard.type(r") a^{(3)}_1 (1 - a^{(3)}_1)")
                page.wait_for_selector(".preview math")
                assert page.inner_text(".preview").startswith("Read as:")
                page.keyboard.press("Control+Enter")
                page.wait_for_selector(".result .verdict")
                assert page.inner_text(".result .verdict") == "Right (1 of 1)"
                assert page.get_attribute("#result", "class") == "result equivalent"
                page.fill("#answer", r"a^{(2)}_1 (a^{(3)}_1 - y_1)")
                page.keyboard.press("Tab")
                page.keyboard.press("Enter")                       # the button, by keyboard
                page.wait_for_selector(".result.not_equivalent .counterexample")
                assert page.inner_text(".result .verdict") == "Not right (0 of 1)"
                assert page.inner_text(".result .feedback").startswith("An activation's derivative is missing")
                assert "your answer gives" in page.inner_text(".result .counterexample")
                width_now, client = page.evaluate("[document.documentElement.scrollWidth, "
                                                  "document.documentElement.clientWidth]")
                assert width_now <= client == width
                assert page.locator(".network svg").count() == 1
                assert problems == []
                page.close()
        finally:
            browser.close()


def test_a_check_answered_survives_kill_9(server):
    url, process, db = server
    request = urllib.request.Request(url + "/api/check", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"student": "kim", "wrt": "b^{(3)}_{1}",
                                                      "answer": r"(a^{(3)}_1 - y_1) a^{(3)}_1 (1 - a^{(3)}_1)"}).encode())
    with urllib.request.urlopen(request, timeout=60) as reply:
        assert json.load(reply)["verdict"] == "equivalent"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    with sqlite3.connect(db) as reopened:
        rows = reopened.execute("SELECT student, wrt, verdict FROM checks WHERE student = 'kim'").fetchall()
    assert rows == [("kim", "b^{(3)}_{1}", "equivalent")]
