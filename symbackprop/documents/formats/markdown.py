"""Markdown in the dialect of lecture notes: ``$…$`` inline, ``$$…$$`` display.

Typora, Obsidian, Jupyter and GitHub render this math. Displays use ``aligned`` inside
``$$``; tables are pipe tables; diagrams are inline SVG (an HTML block without blank
lines, which Markdown passes through unchanged).
"""

from __future__ import annotations

import re
import unicodedata

from ..model import (Document, Equations, Figure, Heading, Math, Paragraph, Table, aligned, cell_parts,
                    inline_parts, walk)

#: Markdown's inline syntax, written literally: backslash escapes (CommonMark allows one
#: before any ASCII punctuation) and entities for HTML. With ``[`` and ``]`` escaped no
#: link, image, footnote or wiki link can open, so ``!`` and ``( )`` stay as they are.
_ESCAPE = {"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "{": "\\{", "}": "\\}", "[": "\\[", "]": "\\]",
           "#": "\\#", "+": "\\+", "|": "\\|", "$": "\\$", "~": "\\~", "^": "\\^",
           "&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: A line that starts with one of these (after spaces) could open a list or a heading
#: underline; that mark is escaped as well (``1\. ``, ``\- ``).
_LINE_START = re.compile(r"^( *)(\d{1,9}(?=[.)])|(?=[-=]))(.)")


def escape(text: str) -> str:
    """Prose as literal Markdown text: on one line (control characters become spaces),
    with every character that Markdown, its math or HTML would read escaped, so that a
    title such as ``![t](http://x/y.png)`` or ``<img src=x>`` stays text."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    text = "".join(_ESCAPE.get(ch, ch) for ch in text)
    return _LINE_START.sub(r"\1\2\\\3", text, count=1)


def inline(parts) -> str:
    return inline_parts(parts, lambda tex: "$%s$" % tex, escape)


def equations(block: Equations) -> str:
    if not block.rows:
        return ""
    return "$$\n\\begin{aligned}\n" + aligned(block, " \\\\\n") + "\n\\end{aligned}\n$$"


def table(block: Table) -> str:
    marks = {"l": ":--", "r": "--:", "c": ":-:"}

    def line(cells):
        return "| " + " | ".join(inline(cell_parts(c)) for c in cells) + " |"
    out = [line(block.header), "|" + "|".join(marks[a] for a in block.align) + "|"]
    out += [line(row) for row in block.rows]
    return "\n".join(out)


def figure(block: Figure) -> str:
    caption = inline(block.caption)
    title = " ".join(p.text if isinstance(p, Math) else p for p in block.caption)
    picture = block.diagram.svg(title)
    return picture + "\n\n" + "*" + caption + "*"


def heading(block: Heading) -> str:
    return "#" * (block.level + 1) + " " + escape(block.title)


def body(doc: Document) -> str:
    return walk(doc, {Heading: heading, Paragraph: lambda block: inline(block.parts),
                      Equations: equations, Table: table, Figure: figure})


#: What this format declares (see :data:`symbackprop.documents.FORMATS`).
EXTENSIONS = (".md", ".markdown")
FRAGMENT = True
READS = "document"


def render(doc: Document, *, fragment: bool = False) -> str:
    if fragment:
        return body(doc)
    return "# " + escape(doc.title) + "\n\n" + body(doc)


__all__ = ["body", "escape", "render"]
