"""Regenerate the README's picture of the answer page: `symbackprop serve` on the lecture's
network, a wrong answer typed and checked, at 1200 px.

    python docs/make_serve_picture.py      (needs the serve extra and Chromium)
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "examples" / "lecture.toml"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=str(HERE.parent))
        server = subprocess.Popen([sys.executable, "-m", "symbackprop", "serve", str(SPEC), "--port", str(port),
                                   "--db", str(Path(tmp) / "checks.db")], env=env, stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(180):
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(url)
                page.fill("#student", "Ann")
                page.check("input[value='w^{(3)}_{11}']")
                page.focus("#answer")
                page.keyboard.type(r"a^{(2)}_1 (a^{(3)}_1 - y_1) a^{(3)}_1 (1 + a^{(3)}_1)")
                page.wait_for_selector(".preview math")
                page.keyboard.press("Control+Enter")
                page.wait_for_selector(".result .verdict")
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(HERE / "serve.png"), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()
