"""Regenerate the README picture of self-attention: the causal example's matrices (A as a
heat map with its masked cells, Q, K, V) above its adjoint matrices, as the HTML document
draws them.

    python docs/make_attention_picture.py      (needs Chromium)
"""

import subprocess
import tempfile
from pathlib import Path

import symbackprop as sb
from symbackprop.documents.pictures import attention as picture

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent / "examples" / "attention_causal.toml"
PAGE = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:8px;background:#fff}"
        "p{font:15px serif;margin:4px 0 10px 12px}</style></head><body>%s</body></html>")


def main():
    head = sb.load(SPEC)
    values = head.backward().evaluate()
    forward, adjoints = picture.figure(head, values), picture.gradients(head, values)
    body = ("<p>The matrices of the head (A with its masked cells)</p>" + forward.svg("the matrices")
            + "<p>The adjoint matrices at the point</p>" + adjoints.svg("the adjoints"))
    width = round(max(forward.width, adjoints.width) * picture.PX + 60)
    height = round((forward.height + adjoints.height) * picture.PX + 130)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "attention.html"
        page.write_text(PAGE % body, encoding="utf-8")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--screenshot=%s" % (HERE / "attention.png"), "--window-size=%d,%d" % (width, height),
                        page.as_uri()], check=True, capture_output=True)


if __name__ == "__main__":
    main()
