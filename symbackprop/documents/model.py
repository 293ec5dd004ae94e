"""The format-neutral document: headings, prose with inline math, equations, tables, figures.

A story (:mod:`.stories`) builds it from a Derivation once; each format (LaTeX, Markdown, HTML,
text) only walks these blocks. Math is carried twice, as LaTeX and as Unicode text, so
that the text format never has to parse LaTeX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..notation.printing import latex, text, unicode_name


@dataclass(frozen=True)
class Math:
    """Inline math: ``latex`` for TeX, Markdown and MathML; ``text`` for terminals."""

    latex: str
    text: str


@dataclass(frozen=True)
class Heading:
    title: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """Prose: a tuple of plain strings and :class:`Math`."""

    parts: tuple


@dataclass(frozen=True)
class Row:
    """One displayed equation ``lhs = …``: ``lines`` are the LaTeX lines of the right-hand
    side (already broken), ``text`` is the whole right-hand side in Unicode."""

    lhs: Math
    lines: tuple
    text: str


@dataclass(frozen=True)
class Equations:
    rows: tuple


@dataclass(frozen=True)
class Table:
    """``header`` and every row are tuples of cells; a cell is a string, a Math or a
    tuple of both (prose). ``align`` has one of l, r, c per column."""

    header: tuple
    rows: tuple
    align: str


@dataclass(frozen=True)
class Figure:
    """A picture (:mod:`.pictures`: a layered diagram or a circuit, each drawn by its own
    ``svg`` and ``latex_figure``) and its caption (prose parts)."""

    diagram: object
    caption: tuple


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple


def M(expr) -> Math:
    """A SymPy expression as inline math."""
    return Math(latex(expr), text(expr))


def S(name: str) -> Math:
    """A symbol name (LaTeX) as inline math."""
    return Math(name, unicode_name(name))


def partial(of: str, wrt: str) -> Math:
    """∂of/∂wrt as a fraction."""
    return Math(r"\frac{\partial %s}{\partial %s}" % (of, wrt),
                "∂%s/∂%s" % (unicode_name(of), unicode_name(wrt)))


def slash(of: str, wrt: str) -> Math:
    """∂of/∂wrt on one line, for table cells (a stacked fraction would touch the next row)."""
    return Math(r"\partial %s / \partial %s" % (of, wrt), "∂%s/∂%s" % (unicode_name(of), unicode_name(wrt)))


def flat(tex: str) -> str:
    """``\\frac{\\partial C}{\\partial w}`` written on one line, ``\\partial C / \\partial w``."""
    return re.sub(r"\\frac\{\\partial ([^{}]*)\}\{\\partial ((?:[^{}]|\{[^{}]*\})*)\}",
                  r"\\partial \1 / \\partial \2", tex)


def walk(doc: Document, writers: dict, separator: str = "\n\n") -> str:
    """Every block through the writer for its class, in order (dispatch on the block's
    class, as SymPy's printers do); a block written as "" is left out."""
    out = [writers[type(block)](block) for block in doc.blocks]
    return separator.join(part for part in out if part) + "\n"


def aligned(block: Equations, newline: str, indent: str = "") -> str:
    """The rows of an align environment: ``lhs &= first line``, then continuation lines
    ``&\\quad …``; ``newline`` ends a line (it holds the ``\\\\``)."""
    rows = []
    for row in block.rows:
        first, *rest = row.lines
        if not row.lhs.latex:              # a gap: the rows left out
            rows.append(indent + "& " + first)
            continue
        rows.append(indent + "%s &= %s" % (row.lhs.latex, first)
                    + "".join(newline + indent + r"&\quad " + line for line in rest))
    return newline.join(rows)


def inline_parts(parts, write_math, write_text) -> str:
    """Prose: each :class:`Math` through ``write_math`` (its LaTeX), the rest through ``write_text``."""
    return "".join((write_math(p.latex) if p.latex else "") if isinstance(p, Math) else write_text(p)
                   for p in parts)


def cell_parts(cell) -> tuple:
    """A table cell as prose parts."""
    if isinstance(cell, tuple):
        return cell
    return (cell,)


__all__ = ["Document", "Equations", "Figure", "Heading", "M", "Math", "Paragraph", "Row", "S", "Table",
           "aligned", "cell_parts", "flat", "inline_parts", "partial", "slash", "walk"]
