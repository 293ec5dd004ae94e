"""Regenerate the README pictures: a page of the lecture's PDF, the top of its HTML, and
the diagrams of a 3-4-2 net (every edge labelled) and a wide 4-6-6-3 net (compact).

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
            diagrams(browser, tmp)
            browser.close()


def diagrams(browser, tmp: Path):
    """The reversed network of a 3-4-2 tanh net beside the forward drawing of a 4-6-6-3 one."""
    from symbackprop.documents import diagram
    small = sb.Network([3, 4, 2], activation="tanh", cost="mse")
    wide = sb.Network([4, 6, 6, 3], activation="relu", cost="mse")
    page_html = ('<!DOCTYPE html><html><body style="margin:8px; display:flex; gap:24px; align-items:flex-start">'
                 + diagram.svg(diagram.backward(small), "3-4-2") + diagram.svg(diagram.forward(wide), "4-6-6-3")
                 + "</body></html>")
    (tmp / "diagrams.html").write_text(page_html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1180, "height": 480})
    page.goto((tmp / "diagrams.html").as_uri())
    page.screenshot(path=str(HERE / "diagrams.png"))


if __name__ == "__main__":
    main()
