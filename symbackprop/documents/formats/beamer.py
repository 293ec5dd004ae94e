"""Beamer slides for a lecture (:mod:`..decks`): 16:9, each block uncovered at its step,
the formula being computed under a picture in an ``overprint`` (it keeps its place), the
pictures' parts as TikZ overlays. Only packages of Debian's texlive-latex-base,
-latex-recommended and -pictures are used and the output is ASCII, so that both
``pdflatex`` and ``lualatex`` compile it; a picture is scaled to fit its share of the
slide (``\\fitpicture``)."""

from __future__ import annotations

from ..decks import build
from ..decks.frames import Deck, Frame, Picture, grouped
from ..model import Equations, Paragraph, Table, cell_parts
from .latex import equations, escape, inline

PREAMBLE = r"""\documentclass[aspectratio=169,11pt]{beamer}
\usepackage{amsmath,amssymb}
\usepackage{array,booktabs}
\usepackage{tikz}
\usetikzlibrary{shapes.geometric}
\setbeamertemplate{navigation symbols}{}
\setbeamertemplate{footline}{\hfill\usebeamerfont{page number in head/foot}\insertframenumber\kern6mm\vskip3mm}
\setbeamersize{text margin left=6mm,text margin right=6mm}
% the text of a slide: small, displays close to the text around them
\newcommand{\slidesize}{\small\setlength{\abovedisplayskip}{2pt}\setlength{\belowdisplayskip}{2pt}%
  \setlength{\abovedisplayshortskip}{0pt}\setlength{\belowdisplayshortskip}{2pt}\setlength{\jot}{1pt}}
\newsavebox{\picturebox}
% \fitpicture{height}{picture}: the picture scaled to the height, then down to the line's width
\newcommand{\fitpicture}[2]{\sbox{\picturebox}{#2}%
  \sbox{\picturebox}{\resizebox{!}{#1}{\usebox{\picturebox}}}%
  \ifdim\wd\picturebox>\linewidth\sbox{\picturebox}{\resizebox{\linewidth}{!}{\usebox{\picturebox}}}\fi
  \centerline{\usebox{\picturebox}}}
"""


def table(block: Table) -> str:
    head = " & ".join(inline(cell_parts(c)) for c in block.header) + r" \\"
    rows = [" & ".join(inline(cell_parts(c)) for c in row) + r" \\" for row in block.rows]
    return "\n".join([r"\begin{center}{\renewcommand{\arraystretch}{1.25}",
                      r"\begin{tabular}{%s}" % "".join(block.align), r"\toprule", head, r"\midrule"]
                     + rows + [r"\bottomrule", r"\end{tabular}}\end{center}"])


def picture(block: Picture) -> str:
    return "\\fitpicture{%smm}{%%\n%s%%\n}" % (int(block.height), block.tikz)


WRITERS = {Paragraph: lambda b: inline(b.parts) + "\\par", Equations: equations, Table: table, Picture: picture}


def frame(f: Frame) -> str:
    out = [r"\begin{frame}[t]{%s}" % escape(f.title), r"\slidesize"]
    for item in grouped(f):
        if isinstance(item, tuple):
            out.append(r"\begin{overprint}")
            for s in item:
                out += [r"\onslide<%d>" % s.at, WRITERS[type(s.block)](s.block)]
            out.append(r"\end{overprint}")
        else:
            out += [r"\begin{uncoverenv}<%d->" % item.at, WRITERS[type(item.block)](item.block),
                    r"\end{uncoverenv}"]
    out.append(r"\end{frame}")
    return "\n".join(out)


def document(deck: Deck) -> str:
    head = (PREAMBLE + "\n" + r"\title{%s}" % escape(deck.title) + "\n"
            + r"\subtitle{%s}" % escape(deck.subtitle) + "\n" + r"\author{}" + "\n" + r"\date{}" + "\n\n")
    frames = [r"\begin{frame}" + "\n" + r"\titlepage" + "\n" + r"\end{frame}"] + [frame(f) for f in deck.frames]
    return head + r"\begin{document}" + "\n\n" + "\n\n".join(frames) + "\n\n" + r"\end{document}" + "\n"


#: What this format declares (see :data:`symbackprop.documents.FORMATS`).
EXTENSIONS = ()
FRAGMENT = False
READS = "derivation"


def render(derivation, **options) -> str:
    return document(build(derivation, "beamer", **options))


__all__ = ["PREAMBLE", "document", "render"]
