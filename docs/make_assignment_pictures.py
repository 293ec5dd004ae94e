"""Regenerate the README pictures of an assignment: the first page of one student's sheet
and of their key, for examples/homework.toml.

    python docs/make_assignment_pictures.py      (needs pdflatex and pdftoppm)
"""

import subprocess
import tempfile
from pathlib import Path

import symbackprop as sb

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "examples" / "homework.toml"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "homework"
        sb.assign(SPEC, ["ada"], out)
        for which, picture in (("sheets", "assignment-sheet"), ("keys", "assignment-key")):
            subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "ada.tex"],
                           cwd=out / which, check=True, capture_output=True)
            subprocess.run(["pdftoppm", "-r", "70", "-f", "1", "-l", "1", "-singlefile", "-png",
                            "ada.pdf", str(HERE / picture)], cwd=out / which, check=True)


if __name__ == "__main__":
    main()
