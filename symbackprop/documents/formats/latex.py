"""LaTeX: a standalone article (amsmath, booktabs, longtable, TikZ) or only its body.

Only packages of Debian's texlive-latex-base, -latex-recommended and -pictures are used,
and the output is ASCII, so that both ``pdflatex`` and ``lualatex`` compile it. Long
right-hand sides arrive already broken into lines (:mod:`breaking`); ``align*`` sets
them, with ``\\allowdisplaybreaks`` so that a long display may continue on the next page.
"""

from __future__ import annotations

import unicodedata

from ..model import (Document, Equations, Figure, Heading, Paragraph, Table, aligned, cell_parts, inline_parts,
                    walk)

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{array,booktabs,longtable}
\usepackage{tikz}
\usetikzlibrary{shapes.geometric}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
"""

FRAGMENT_NOTE = (r"% Body of a symbackprop derivation. Needs in the preamble:" "\n"
                 r"% \usepackage{amsmath,amssymb,array,booktabs,longtable,tikz}" "\n"
                 r"% \usetikzlibrary{shapes.geometric}" "\n")

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}", "^": r"\^{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_UNICODE = {"\u2013": "--", "\u2014": "---", "\u2018": "`", "\u2019": "'", "\u201c": "``",
            "\u201d": "''", "\u2026": r"\dots{}", "\u2212": "-", "\u00a0": "~", "\u2192": r"$\to$",
            "\u2044": "/", "\u2215": "/"}
#: Everything :func:`escape` writes that is not a plain character: the only places where
#: ``\ { } ^ % # $ & ~ _`` may appear in escaped prose.
ESCAPES = frozenset(_SPECIAL.values()) | frozenset(_UNICODE.values())


def escape(text: str) -> str:
    """Prose as ASCII LaTeX. The text is normalised first (NFKC: full-width and small
    forms become ASCII, ``½`` becomes 1⁄2), then each character is written: TeX's
    specials escaped, dashes, quotes and a few symbols as LaTeX, accented letters as
    their base letter, spaces and line breaks as a space, anything else as ``?``. So
    nothing in the text can reach TeX as a command, a group, a ``^^`` code or a comment."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _UNICODE:          # before NFKC, which would flatten … and the no-break space
            out.append(_UNICODE[ch])
            continue
        plain = unicodedata.normalize("NFKC", ch)
        if "\u2044" in plain and out and out[-1][-1:].isdigit():
            out.append(" ")         # 1½ → 1 1/2
        out.extend(_char(c) for c in plain)
    return "".join(out)


def _char(ch: str) -> str:
    """One normalised character as ASCII LaTeX."""
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch in _UNICODE:
        return _UNICODE[ch]
    if " " <= ch <= "~":
        return ch
    if ch.isspace():
        return " "
    if ord(ch) < 128 or not ch.isprintable():
        return "?"
    base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    base = "".join(_SPECIAL.get(c, c) for c in base if " " < c <= "~")   # ≮ is < and a stroke
    return base or "?"


def inline(parts) -> str:
    return inline_parts(parts, lambda tex: "$%s$" % tex, escape)


def equations(block: Equations) -> str:
    if not block.rows:
        return ""
    return "\\begin{align*}\n" + aligned(block, " \\\\\n", "  ") + "\n\\end{align*}"


def table(block: Table) -> str:
    spec = "".join(block.align)
    head = " & ".join(inline(cell_parts(c)) for c in block.header) + r" \\"
    out = [r"{\renewcommand{\arraystretch}{1.5}", r"\begin{longtable}{%s}" % spec, r"\toprule", head, r"\midrule", r"\endhead",
           r"\bottomrule", r"\endlastfoot"]
    for row in block.rows:
        out.append(" & ".join(inline(cell_parts(c)) for c in row) + r" \\")
    out.append(r"\end{longtable}}")
    return "\n".join(out)


def figure(block: Figure) -> str:
    return block.diagram.latex_figure(inline(block.caption))     # each picture places itself


def heading(block: Heading) -> str:
    command = "section" if block.level == 1 else "subsection"
    return "\\%s{%s}" % (command, escape(block.title))


def body(doc: Document) -> str:
    return walk(doc, {Heading: heading, Paragraph: lambda block: inline(block.parts),
                      Equations: equations, Table: table, Figure: figure})


#: What this format declares (see :data:`symbackprop.documents.FORMATS`).
EXTENSIONS = (".tex",)
FRAGMENT = True
READS = "document"


def render(doc: Document, *, fragment: bool = False) -> str:
    if fragment:
        return FRAGMENT_NOTE + "\n" + body(doc)
    return (PREAMBLE + "\n" + r"\title{%s}" % escape(doc.title) + "\n" + r"\author{}" + "\n" + r"\date{}" + "\n\n"
            + r"\begin{document}" + "\n" + r"\maketitle" + "\n\n" + body(doc) + r"\end{document}" + "\n")


__all__ = ["ESCAPES", "PREAMBLE", "body", "escape", "render"]
