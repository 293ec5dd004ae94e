"""Pictures of an attention head: its matrices as grids of cells with their numbers.

The attention weights A are a heat map (white at 0, deep blue at 1; a masked cell is
grey and crossed out); Q, K and V, and the gradient matrices, are grids shaded by sign
and size (blue for positive, red for negative, deeper for larger). One layout, in grid
units, is drawn twice: as TikZ for LaTeX and as inline SVG for HTML and Markdown.
Panels go left to right and wrap onto a new row at :data:`ROW_UNITS`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from ...notation.numerals import length
from ...notation.printing import unicode_name
from ...notation.scripts import superscript
from ..model import Math, Table
from ..numbers import number

#: Width of a row of panels, in cells (a cell is :data:`CM` cm in LaTeX, :data:`PX` px in SVG).
ROW_UNITS = 16.0
CM = 1.05
PX = 52
#: Most tokens (or columns) drawn: a larger head's grids would be too small to read.
MOST = 10
GAP = 1.2            # between panels (cells)
TITLE = 1.0          # room above a grid for its title and column numbers (cells)
LEFT = 0.45          # room left of a grid for its row numbers (cells)
TITLE_CHAR = 0.16    # width of a character of a title (cells)


@dataclass(frozen=True)
class Panel:
    """One matrix: its title (LaTeX, Unicode), its cells (value or None, text) by row,
    and how it is shaded: ``weights`` (0 … 1) or ``signed``. A cell's text is its value
    divided by the panel's power of ten, which the title states (×10⁻²)."""

    title: tuple
    cells: tuple
    shade: str

    @property
    def size(self) -> tuple:
        return max(len(self.cells[0]) + LEFT, TITLE_CHAR * len(self.title[1])), len(self.cells) + TITLE

    @property
    def inset(self) -> float:
        """How far the grid's row numbers start right of the panel's left edge (a title
        wider than the grid centres it)."""
        return (self.size[0] - len(self.cells[0]) - LEFT) / 2


@dataclass(frozen=True)
class Grids:
    """Panels placed at (x, y) in cells, and the whole width and height."""

    panels: tuple
    width: float
    height: float
    name: str = "attention"

    def svg(self, title: str) -> str:
        return svg(self, title)

    def latex_figure(self, caption: str) -> str:
        return "\n".join([r"\begin{center}", tikz(self), r"\end{center}",
                          r"\begin{center}\begin{minipage}{0.9\linewidth}\small " + caption
                          + r"\end{minipage}\end{center}"])


def layout(panels, name: str = "attention") -> Grids | None:
    """The panels left to right, wrapping at :data:`ROW_UNITS`; None if any is too large."""
    if any(len(p.cells) > MOST or len(p.cells[0]) > MOST for p in panels):
        return None
    placed, x, y, row_h, width = [], 0.0, 0.0, 0.0, 0.0
    for p in panels:
        w, h = p.size
        if x > 0 and x + w > ROW_UNITS:
            x, y, row_h = 0.0, y + row_h + GAP / 2, 0.0
        placed.append((x, y, p))
        x += w + GAP
        row_h = max(row_h, h)
        width = max(width, x - GAP)
    return Grids(tuple(placed), width, y + row_h, name)


# --- the panels of a head ------------------------------------------------------------------

def _title(matrix: str, shape: tuple, power: int) -> tuple:
    tex = {"dQ": r"\partial C/\partial Q", "dK": r"\partial C/\partial K", "dV": r"\partial C/\partial V",
           "dA": r"\partial C/\partial A", "dS": r"\partial C/\partial S"}.get(matrix, matrix)
    txt = {"dQ": "∂C/∂Q", "dK": "∂C/∂K", "dV": "∂C/∂V", "dA": "∂C/∂A", "dS": "∂C/∂S"}.get(matrix, matrix)
    tex, txt = r"$%s$ \,(%d\,$\times$\,%d)" % (tex, *shape), "%s (%d × %d)" % (txt, *shape)
    if power:
        tex, txt = tex + r", $\times 10^{%d}$" % power, txt + ", ×10%s" % superscript(power)
    return tex, txt


def panel(head, matrix: str, value_of, title: str | None = None, shade: str = "signed") -> Panel:
    """A matrix of the head (by its name in ``head.matrices``) with each entry's value
    (``value_of(symbol)``, None without values): its name is shown where there is no value."""
    values = [[None if s is None else value_of(s) for s in row] for row in head.matrices[matrix]]
    largest = max((abs(float(v)) for row in values for v in row if v is not None), default=0.0)
    power = _power(largest)
    rows = []
    for row, vs in zip(head.matrices[matrix], values):
        cells = []
        for sym, v in zip(row, vs):
            if sym is None:
                cells.append((None, None))
            elif v is None:
                cells.append((None, unicode_name(sym.name)))
            else:
                cells.append((float(v), _cell(float(v) / 10 ** power, largest / 10 ** power, shade)))
        rows.append(tuple(cells))
    return Panel(_title(title or matrix, (len(rows), len(rows[0])), power), tuple(rows), shade)


def figure(head, values) -> Grids | None:
    """A (a heat map) and Q, K, V, with the values at the point if there are any."""
    numbers = getattr(values, "numbers", None)
    value_of = (lambda s: numbers.get(s)) if numbers is not None else (lambda s: None)
    return layout([panel(head, m, value_of) for m in ("Q", "K", "V")] + [panel(head, "A", value_of, shade="weights")])


def gradients(head, values) -> Grids | None:
    """The adjoint matrices dA and dS (masked cells crossed out) and dQ, dK, dV at the point."""
    numbers = getattr(values, "numbers", None)
    if numbers is None:
        return None
    value_of = lambda s: numbers.get(head.adjoint_symbol(s))   # noqa: E731
    return layout([panel(head, m, value_of, "d" + m) for m in ("A", "S", "Q", "K", "V")], "attention-gradients")


def caption(head, values) -> tuple:
    parts = ["The matrices of the head. ", Math("A", "A"), " as a heat map (white at 0, deep blue at 1",
             "; each row sums to 1" if getattr(values, "numbers", None) is not None else "", ")"]
    if head.mask:
        parts.append(", its masked cells grey and crossed out (left out of the softmax)")
    parts += ["; ", Math("Q", "Q"), ", ", Math("K", "K"), " and ", Math("V", "V"),
              " shaded blue where positive and red where negative, deeper for larger. Row ", Math("t", "t"),
              " is token ", Math("t", "t"), "."]
    if getattr(values, "numbers", None) is None:
        parts.append(" Without values for every leaf, each cell shows its entry's name.")
    return tuple(parts)


def gradients_caption(head) -> tuple:
    parts = ["The adjoint matrices at the given point, shaded by sign and size: ",
             Math(r"\partial C/\partial A", "∂C/∂A"), " and ", Math(r"\partial C/\partial S", "∂C/∂S"),
             " (", Math("T \\times T", "T × T"), ")"]
    if head.mask:
        parts.append(", masked cells crossed out: no node, no adjoint")
    parts += [", then ", Math(r"\partial C/\partial Q", "∂C/∂Q"), ", ", Math(r"\partial C/\partial K", "∂C/∂K"),
              " and ", Math(r"\partial C/\partial V", "∂C/∂V"), ". A panel whose title ends in a power of ten "
              "shows its entries divided by it."]
    return tuple(parts)


def value_table(head, matrix: str, value_of) -> Table:
    """A matrix's values as a table: one row per row, masked cells written as masked."""
    rows = head.matrices[matrix]
    i_, k_ = ("j", "k") if matrix == "W_O" else ("i", "k")
    header = ("",) + tuple(Math("%s = %d" % (k_, k), "%s = %d" % (k_, k)) for k in range(1, len(rows[0]) + 1))
    body = []
    for i, row in enumerate(rows, start=1):
        cells = [Math("%s = %d" % (i_, i), "%s = %d" % (i_, i))]
        for sym in row:
            v = None if sym is None else value_of(sym)
            cells.append("masked" if sym is None else number(v) if v is not None else Math(sym.name, unicode_name(sym.name)))
        body.append(tuple(cells))
    label = {"W_Q": ("W_Q", "W_Q"), "W_K": ("W_K", "W_K"), "W_V": ("W_V", "W_V"), "W_O": ("W_O", "W_O")}.get(
        matrix, (matrix, matrix))
    header = (Math(r"\partial C/\partial %s" % label[0], "∂C/∂%s" % label[1]),) + header[1:]
    return Table(header, tuple(body), "l" + "r" * len(rows[0]))


# --- shading ---------------------------------------------------------------------------------

def _power(largest: float) -> int:
    """The power of ten a panel's numbers are written in: 0 for a largest |value| in
    [0.1, 100), else the one that brings it into [1, 10)."""
    if largest == 0 or 0.1 <= largest < 100:
        return 0
    return math.floor(math.log10(largest))


def _cell(v: float, largest: float, shade: str) -> str:
    """A value in at most 6 characters: 3 decimals for weights and below 1, else 2 (1 from 10 on)."""
    if v == 0:
        return "0"
    decimals = 3 if shade == "weights" or largest < 1 else 2 if largest < 10 else 1
    out = "%.*f" % (decimals, v)
    return "0" if float(out) == 0 else out


def _scale(panel_: Panel) -> float:
    values = [abs(v) for row in panel_.cells for v, _ in row if v is not None]
    return max(values) if values else 0.0


def _shade(panel_: Panel, v) -> tuple:
    """(colour name, percent) of a cell: blue!p for weights; blue or red by sign."""
    if v is None:
        return "white", 0
    if panel_.shade == "weights":
        return "blue", round(70 * min(max(v, 0.0), 1.0))
    top = _scale(panel_)
    share = abs(v) / top if top else 0.0
    return ("blue" if v >= 0 else "red"), round(55 * share)


_RGB = {"blue": (0x1f, 0x4e, 0xd8), "red": (0xd6, 0x2a, 0x2a), "white": (255, 255, 255)}


def _hex(colour: str, percent: int) -> str:
    r, g, b = _RGB[colour]
    mix = lambda c: round(255 + (c - 255) * percent / 100)   # noqa: E731 - TikZ's colour!p!white
    return "#%02x%02x%02x" % (mix(r), mix(g), mix(b))


def _ink(colour: str, percent: int) -> bool:
    """Whether a cell is dark enough for white text."""
    return percent >= 55


# --- TikZ -------------------------------------------------------------------------------------

def _cm(v: float) -> str:
    return length(v * CM, 2)


def _tex_number(txt: str) -> str:
    if "e" in txt:
        mantissa, exponent = txt.split("e")
        txt = r"%s{\cdot}10^{%d}" % (mantissa, int(exponent))
    return "$%s$" % txt


def tikz(grids: Grids) -> str:
    out = [r"\begin{tikzpicture}[font=\footnotesize]"]
    for x0, y0, p in grids.panels:
        n_cols = len(p.cells[0])
        gx, gy = x0 + p.inset + LEFT, y0 + TITLE
        out.append(r"\node[anchor=south] at (%s,%s) {%s};" % (_cm(gx + n_cols / 2), _cm(-(y0 + 0.45)), p.title[0]))
        for k in range(n_cols):
            out.append(r"\node[font=\scriptsize,text=black!60] at (%s,%s) {%d};" % (
                _cm(gx + k + 0.5), _cm(-(gy - 0.22)), k + 1))
        for i, row in enumerate(p.cells):
            out.append(r"\node[font=\scriptsize,text=black!60,anchor=east] at (%s,%s) {%d};" % (
                _cm(gx - 0.05), _cm(-(gy + i + 0.5)), i + 1))
            for k, (v, txt) in enumerate(row):
                out.extend(_tikz_cell(p, gx + k, gy + i, v, txt))
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


def _tikz_cell(p: Panel, x: float, y: float, v, txt) -> list:
    corner, far = "(%s,%s)" % (_cm(x), _cm(-y)), "(%s,%s)" % (_cm(x + 1), _cm(-(y + 1)))
    if txt is None:   # masked
        return [r"\fill[black!15] %s rectangle %s;" % (corner, far),
                r"\draw[black!45] %s -- %s (%s,%s) -- (%s,%s);" % (corner, far, _cm(x), _cm(-(y + 1)),
                                                                   _cm(x + 1), _cm(-y)),
                r"\draw[black!60] %s rectangle %s;" % (corner, far)]
    colour, percent = _shade(p, v)
    fill = "white" if percent == 0 else "%s!%d!white" % (colour, percent)
    label = _tex_number(txt) if v is not None else "$%s$" % _name_tex(txt)
    ink = "white" if _ink(colour, percent) else "black"
    return [r"\fill[%s] %s rectangle %s;" % (fill, corner, far),
            r"\draw[black!60] %s rectangle %s;" % (corner, far),
            r"\node[text=%s] at (%s,%s) {%s};" % (ink, _cm(x + 0.5), _cm(-(y + 0.5)), label)]


def _name_tex(txt: str) -> str:
    """A cell's entry name (Unicode, e.g. Q₁,₂) back as LaTeX, Q_{1,2}."""
    from ...notation.scripts import READ_SUBSCRIPT
    base = "".join(ch for ch in txt if ch not in READ_SUBSCRIPT and ch != ",")
    sub = "".join(READ_SUBSCRIPT.get(ch, ch) for ch in txt[len(base):])
    return "%s_{%s}" % (base, sub) if sub else base


# --- SVG ---------------------------------------------------------------------------------------

def _px(v: float) -> str:
    return length(v * PX, 1)


def svg(grids: Grids, title: str) -> str:
    """Inline SVG (no blank line inside, so that Markdown keeps it as one HTML block)."""
    pad = 0.2
    w, h = grids.width + 2 * pad, grids.height + 2 * pad
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="grids %s" role="img" viewBox="0 0 %s %s" '
           'width="%s" height="%s" font-family="serif" font-size="14">' % (
               grids.name, _px(w), _px(h), _px(w), _px(h)),
           "<title>%s</title>" % html.escape(title)]
    for x0, y0, p in grids.panels:
        out.extend(_svg_panel(p, x0 + pad, y0 + pad))
    out.append("</svg>")
    return "\n".join(out)


def _svg_panel(p: Panel, x0: float, y0: float) -> list:
    n_cols = len(p.cells[0])
    gx, gy = x0 + p.inset + LEFT, y0 + TITLE
    out = ['<text x="%s" y="%s" text-anchor="middle" font-size="15">%s</text>' % (
        _px(gx + n_cols / 2), _px(y0 + 0.45), html.escape(p.title[1]))]
    for k in range(n_cols):
        out.append('<text x="%s" y="%s" text-anchor="middle" font-size="11" fill="#777">%d</text>' % (
            _px(gx + k + 0.5), _px(gy - 0.1), k + 1))
    for i, row in enumerate(p.cells):
        out.append('<text x="%s" y="%s" text-anchor="end" font-size="11" fill="#777">%d</text>' % (
            _px(gx - 0.08), _px(gy + i + 0.6), i + 1))
        for k, (v, txt) in enumerate(row):
            out.extend(_svg_cell(p, gx + k, gy + i, v, txt))
    return out


def _svg_cell(p: Panel, x: float, y: float, v, txt) -> list:
    box = 'x="%s" y="%s" width="%s" height="%s"' % (_px(x), _px(y), _px(1), _px(1))
    if txt is None:
        return ['<rect %s fill="#d9d9d9" stroke="#999"/>' % box,
                '<path d="M%s,%s L%s,%s M%s,%s L%s,%s" stroke="#8c8c8c"/>' % (
                    _px(x), _px(y), _px(x + 1), _px(y + 1), _px(x), _px(y + 1), _px(x + 1), _px(y))]
    colour, percent = _shade(p, v)
    ink = "#fff" if _ink(colour, percent) else "#111"
    shown = txt.replace("-", "−") if v is not None else txt
    return ['<rect %s fill="%s" stroke="#999"/>' % (box, _hex(colour, percent)),
            '<text x="%s" y="%s" text-anchor="middle" font-size="%d" fill="%s">%s</text>' % (
                _px(x + 0.5), _px(y + 0.62), 13 if len(shown) <= 6 else 11, ink, html.escape(shown))]


__all__ = ["Grids", "Panel", "caption", "figure", "gradients", "gradients_caption", "layout", "panel", "value_table"]
