"""Plain text for terminals: Unicode symbols (w⁽²⁾₁₁, δ⁽¹⁾₂, ∂C/∂w), one formula a line."""

from __future__ import annotations

from ..model import Document, Equations, Figure, Heading, Math, Paragraph, Table, cell_parts, walk

WIDTH = 88


def inline(parts) -> str:
    return "".join(p.text if isinstance(p, Math) else p for p in parts)


def wrap(text: str, indent: str = "") -> str:
    lines, current = [], indent
    for word in text.split(" "):
        if len(current) + len(word) + 1 > WIDTH and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += word + " "
    lines.append(current.rstrip())
    return "\n".join(lines)


def table(block: Table) -> str:
    cells = [[inline(cell_parts(c)) for c in block.header]]
    cells += [[inline(cell_parts(c)) for c in row] for row in block.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(block.header))]

    def line(row):
        out = []
        for text, w, a in zip(row, widths, block.align):
            out.append(text.rjust(w) if a == "r" else text.ljust(w))
        return ("  " + "  ".join(out)).rstrip()
    rule = "  " + "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def heading(block: Heading) -> str:
    underline = "-" if block.level == 1 else "·"
    return block.title + "\n" + underline * len(block.title)


def equations(block: Equations) -> str:
    return "\n".join("  %s = %s" % (row.lhs.text, row.text) if row.lhs.latex else "  " + row.text
                     for row in block.rows)


def figure(block: Figure) -> str:
    return wrap("[diagram in the latex, markdown and html formats] " + inline(block.caption))


#: What this format declares (see :data:`symbackprop.documents.FORMATS`).
EXTENSIONS = (".txt",)
FRAGMENT = False
READS = "document"


def render(doc: Document, *, fragment: bool = False) -> str:
    """The whole document (a text document has no preamble to leave out: ``fragment``
    is refused before it gets here)."""
    title = doc.title + "\n" + "=" * len(doc.title) + "\n\n"
    return title + walk(doc, {Heading: heading, Paragraph: lambda block: wrap(inline(block.parts)),
                              Equations: equations, Table: table, Figure: figure})


__all__ = ["render"]
