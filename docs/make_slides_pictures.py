"""Regenerate the README pictures of the slides: the lecture's reversed network with every
gradient in (Beamer, pdflatex), and the circuit's backward pass half way (HTML slides in
Chromium).

    python docs/make_slides_pictures.py      (needs pdflatex, pdftoppm, playwright and Chromium)
"""

import subprocess
import tempfile
from pathlib import Path

import symbackprop as sb

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
MARK = "The backward pass: the reversed network"


def beamer_slide(tmp: Path):
    """The last overlay of the reversed network: every gradient back to the inputs."""
    tex = sb.render(sb.load(EXAMPLES / "lecture.toml").backward(), "beamer")
    (tmp / "slides.tex").write_text(tex, encoding="utf-8")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "slides.tex"],
                   cwd=tmp, check=True, capture_output=True)
    text = subprocess.run(["pdftotext", "slides.pdf", "-"], cwd=tmp, check=True, capture_output=True,
                          text=True).stdout.split("\f")
    page = max(i for i, p in enumerate(text, start=1) if p.startswith(MARK) and "The inputs" in p)
    subprocess.run(["pdftoppm", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile", "-png",
                    "slides.pdf", str(HERE / "slides-beamer")], cwd=tmp, check=True)


def html_slide(tmp: Path):
    """The circuit's backward pass, its second step, at 1280 × 720."""
    from playwright.sync_api import sync_playwright
    target = tmp / "circuit.html"
    target.write_text(sb.render(sb.load(EXAMPLES / "circuit.toml").backward(), "slides"), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 960, "height": 540})
        page.goto(target.as_uri() + "#7")
        page.screenshot(path=str(HERE / "slides-html.png"))
        browser.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        beamer_slide(Path(tmp))
        html_slide(Path(tmp))
