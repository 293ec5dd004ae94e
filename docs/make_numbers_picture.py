"""Regenerate the README picture of --numbers: the page of Mazur's worked example
(examples/shared_bias.toml) where every formula is written with its numbers.

    python docs/make_numbers_picture.py      (needs pdflatex and pdftoppm)
"""

import subprocess
import tempfile
from pathlib import Path

import symbackprop as sb

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "examples" / "shared_bias.toml"
MARK = "Forward pass, with numbers"


def main():
    d = sb.load(SPEC).backward()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tex = sb.render(d, "latex", numbers=True, learning_rate=0.5, hold="biases")
        (tmp / "numbers.tex").write_text(tex, encoding="utf-8")
        for _ in range(2):  # twice, so that longtable settles its column widths
            subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "numbers.tex"],
                           cwd=tmp, check=True, capture_output=True)
        page = 1
        while MARK not in subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "numbers.pdf", "-"],
                                         cwd=tmp, check=True, capture_output=True, text=True).stdout:
            page += 1
        subprocess.run(["pdftoppm", "-r", "100", "-f", str(page), "-l", str(page), "-singlefile",
                        "-png", "numbers.pdf", str(HERE / "numbers-pdf")], cwd=tmp, check=True)


if __name__ == "__main__":
    main()
