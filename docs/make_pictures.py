"""Regenerate the README pictures: a page of the lecture's PDF and the top of its HTML.

    python docs/make_pictures.py      (needs pdflatex, pdftoppm and Chromium)
"""

import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import symbackprop as sb

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "examples" / "lecture.toml"
PAGE = 4  # the backward pass: Case 2, the amplifiers and the reversed network
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main():
    d = sb.load(SPEC).backward()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "lecture.tex").write_text(sb.render(d, "latex"), encoding="utf-8")
        for _ in range(2):  # twice, so that longtable settles its column widths
            subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "lecture.tex"],
                           cwd=tmp, check=True, capture_output=True)
        subprocess.run(["pdftoppm", "-r", "100", "-f", str(PAGE), "-l", str(PAGE), "-singlefile",
                        "-png", "lecture.pdf", str(HERE / "lecture-pdf")], cwd=tmp, check=True)
        (tmp / "lecture.html").write_text(sb.render(d, "html"), encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1000, "height": 1250})
            page.goto((tmp / "lecture.html").as_uri())
            page.screenshot(path=str(HERE / "lecture-html.png"))
            browser.close()


if __name__ == "__main__":
    main()
