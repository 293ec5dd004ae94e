"""Regenerate the README pictures: a page of the lecture's PDF and the top of its HTML;
the diagrams of a 3-4-2 net (every edge labelled) and a wide 4-6-6-3 net (compact); the
circuit f = (x + y) z with its values and gradients; the unrolled recurrent net.

    python docs/make_pictures.py      (needs pdflatex, pdftoppm and Chromium)
"""

import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import symbackprop as sb
from symbackprop.documents.formats import latex
from symbackprop.documents.numbers import evaluated
from symbackprop.documents.pictures import circuit, unrolled

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "examples" / "lecture.toml"
PAGE = 4  # the backward pass: Case 2, the amplifiers and the reversed network
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MARGIN = 0.4  # cm around a picture


def pdflatex(tmp: Path, name: str, tex: str, runs: int = 1) -> None:
    (tmp / f"{name}.tex").write_text(tex, encoding="utf-8")
    for _ in range(runs):
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                       cwd=tmp, check=True, capture_output=True)


def picture_page(pictures, titles) -> str:
    """A page exactly as large as the pictures, one above the other, each with its title."""
    width = max(p.width for p in pictures) + 2 * MARGIN + 0.6
    height = sum(p.height + 1.6 for p in pictures) + 2 * MARGIN
    body = "\n\\vspace{4mm}\n".join(
        "{\\small %s}\\par\\smallskip\n\\centering %s\\par" % (title, circuit.tikz(p, fit=False))
        for p, title in zip(pictures, titles))
    preamble = latex.PREAMBLE.replace(r"\usepackage[a4paper,margin=2cm]{geometry}",
                                      r"\usepackage[paperwidth=%.2fcm,paperheight=%.2fcm,margin=%.2fcm]{geometry}"
                                      % (width, height, MARGIN))
    return preamble + "\\pagestyle{empty}\n\\begin{document}\n" + body + "\n\\end{document}\n"


def graph_pictures(name: str, draw=circuit.pictures):
    d = sb.load(HERE.parent / "examples" / f"{name}.toml").backward()
    values, _ = evaluated(d)
    return draw(d, values)


def main():
    d = sb.load(SPEC).backward()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pdflatex(tmp, "lecture", sb.render(d, "latex"), runs=2)  # twice: longtable settles its widths
        subprocess.run(["pdftoppm", "-r", "100", "-f", str(PAGE), "-l", str(PAGE), "-singlefile",
                        "-png", "lecture.pdf", str(HERE / "lecture-pdf")], cwd=tmp, check=True)
        forward, reversed_ = graph_pictures("circuit")
        pdflatex(tmp, "circuit", picture_page(
            [forward, reversed_], ["Forward: each node's value on its wires",
                                   "Backward: local partials, gradients carried back"]))
        subprocess.run(["pdftoppm", "-r", "200", "-singlefile", "-png", "circuit.pdf", str(HERE / "circuit")],
                       cwd=tmp, check=True)
        for name, title in (("rnn", "An Elman network unrolled over 3 steps"),
                            ("lstm", "An LSTM unrolled over 3 steps: the cell state runs through the forget gate")):
            forward, _ = graph_pictures(name, unrolled.pictures)
            pdflatex(tmp, name, picture_page([forward], [title]))
            subprocess.run(["pdftoppm", "-r", "110", "-singlefile", "-png", f"{name}.pdf", str(HERE / name)],
                           cwd=tmp, check=True)
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
    from symbackprop.documents.pictures import diagram
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
