"""HTML: one self-contained file, math as MathML (latex2mathml), diagrams as inline SVG.

No script, no web font, no link: the page renders offline in any browser with MathML
Core (Chromium 109+, Firefox, Safari). Displays are ``align*`` so that latex2mathml
lays their lines out as a table.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

from ..errors import RenderError
from . import diagram
from .model import (Document, Equations, Figure, Heading, Math, Paragraph, Table, aligned, cell_parts,
                    inline_parts, walk)

STYLE = """body { font-family: Georgia, "Times New Roman", serif; max-width: 58em; margin: 2em auto;
  padding: 0 1em; line-height: 1.5; color: #111; }
h1 { font-size: 1.7em; } h2 { font-size: 1.35em; margin-top: 1.6em; } h3 { font-size: 1.1em; }
math[display="block"] { margin: 0.8em 0; max-width: 100%; }
math[display="block"] mtd { padding: 0.15em 0; }
mtd[columnalign="left"] { text-align: left; } mtd[columnalign="right"] { text-align: right; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ccc; }
th { border-bottom: 2px solid #333; text-align: left; }
td.r { text-align: right; } td.c { text-align: center; }
figure { margin: 1em 0; text-align: center; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #333; max-width: 45em; margin: 0.3em auto; }"""


#: Operator names that TeX sets apart by a thin space (``y \ln a``); latex2mathml writes
#: them as plain identifiers, which MathML sets flush against the factor before them.
_OPERATORS = re.compile(r"(?<!<mo>&#x02061;</mo>)<mi>(ln|log|exp|tanh|sin|cos)</mi>")


def math(tex: str, display: bool = False) -> str:
    try:
        out = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own types for unsupported input
        raise RenderError(f"cannot convert to MathML: {tex[:60]!r}: {exc}") from None
    return _OPERATORS.sub(r'<mspace width="0.1667em"></mspace><mi>\1</mi><mspace width="0.1667em"></mspace>', out)


def inline(parts) -> str:
    return inline_parts(parts, math, lambda text: html.escape(text, quote=False))


def equations(block: Equations) -> str:
    if not block.rows:
        return ""
    return math(r"\begin{align*}" + aligned(block, r" \\ ") + r"\end{align*}", display=True)


def table(block: Table) -> str:
    out = ["<table>", "<thead><tr>" + "".join("<th>%s</th>" % inline(cell_parts(c))
                                              for c in block.header) + "</tr></thead>", "<tbody>"]
    for row in block.rows:
        cells = "".join('<td class="%s">%s</td>' % (a, inline(cell_parts(c)))
                        for a, c in zip(block.align, row))
        out.append("<tr>" + cells + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def figure(block: Figure) -> str:
    title = "".join(p.text if isinstance(p, Math) else p for p in block.caption)
    picture = block.diagram.svg(title) if hasattr(block.diagram, "svg") else diagram.svg(block.diagram, title)
    return ("<figure>\n" + picture + "\n<figcaption>"
            + inline(block.caption) + "</figcaption>\n</figure>")


def heading(block: Heading) -> str:
    level = block.level + 1
    return "<h%d>%s</h%d>" % (level, html.escape(block.title), level)


def body(doc: Document) -> str:
    return walk(doc, {Heading: heading, Paragraph: lambda block: "<p>" + inline(block.parts) + "</p>",
                      Equations: equations, Table: table, Figure: figure}, separator="\n")


def network_html(net) -> str:
    """A network for Jupyter: what it is, its cost as MathML, and its forward diagram."""
    from ..printing import latex
    return ("<div>" + html.escape(net.describe()) + "<br>" + math("C = " + latex(net.cost))
            + "</div>\n" + diagram.svg(diagram.forward(net), net.title or "the network"))


def render(doc: Document, *, fragment: bool = False) -> str:
    if fragment:
        return body(doc)
    title = html.escape(doc.title)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n" + body(doc) + "</body>\n</html>\n")


__all__ = ["body", "math", "network_html", "render"]
