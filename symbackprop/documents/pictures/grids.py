"""Pictures of a convolutional network's maps as grids of numbers: the input, the first
kernel and every layer's output map with their values (forward), and the δ maps and the
input's gradient (backward). The window of the entry the document writes out (the top
left one) is drawn with a thick border. Drawn as inline SVG and as TikZ from one layout.

Readable up to :data:`READABLE` rows or columns and :data:`CHANNELS` channels a map: a
larger map is drawn as a box with its shape, further channels are counted in the title.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ...builders.layers import Conv, geometry
from ..model import Math

READABLE = 8
CHANNELS = 4
CELL = 0.92          # cm
WIDTH = 16.5         # cm of a line of panels
GAP = 0.45
TITLE = 0.5
PX = 38              # px per cm


@dataclass(frozen=True)
class Panel:
    """One grid: a title (LaTeX and text), its rows of values (None: too large, ``shape``
    shown instead) and the highlighted (row, col, rows, cols) window."""

    title_tex: str
    title_text: str
    values: tuple | None
    shape: tuple
    window: tuple | None = None


@dataclass
class Grids:
    """Panels placed in lines: ``placed`` is [(x, y, panel)] in cm from the top left."""

    name: str
    panels: list

    def __post_init__(self):
        self.placed, x, y, line = [], 0.0, 0.0, 0.0
        for panel in self.panels:
            w, h = _size(panel)
            if x > 0 and x + w > WIDTH:
                x, y, line = 0.0, y + line + GAP, 0.0
            self.placed.append((x, y, panel))
            x, line = x + w + GAP, max(line, h)
        self.width = max(px + _size(p)[0] for px, _, p in self.placed)
        self.height = y + line

    def svg(self, title: str) -> str:
        w, h = (self.width + 0.4) * PX, (self.height + 0.4) * PX
        out = ['<svg xmlns="http://www.w3.org/2000/svg" class="grids %s" role="img" viewBox="0 0 %.0f %.0f" '
               'width="%.0f" height="%.0f" font-family="sans-serif">' % (self.name, w, h, w, h),
               "<title>%s</title>" % html.escape(title)]
        for x, y, panel in self.placed:
            out += _svg_panel(x + 0.2, y + 0.2, panel)
        out.append("</svg>")
        return "".join(out)

    def latex_figure(self, caption: str) -> str:
        """A TikZ picture for each line of panels, so that a tall figure breaks across pages."""
        lines = []
        for y0 in sorted({y for _, y, _ in self.placed}):   # one picture a line: pages break between
            lines += [r"\begin{center}", r"\begin{tikzpicture}[x=1cm,y=-1cm]"]
            for x, y, panel in self.placed:
                if y == y0:
                    lines += _tikz_panel(x, 0.0, panel)
            lines += [r"\end{tikzpicture}", r"\end{center}"]
        lines.append(r"\begin{center}\begin{minipage}{0.9\linewidth}\small " + caption + r"\end{minipage}\end{center}")
        return "\n".join(lines)


def _size(panel) -> tuple:
    if panel.values is None:
        return max(2.4, 0.19 * len(panel.title_text) + 0.2), TITLE + 1.2
    rows, cols = len(panel.values), len(panel.values[0])
    return max(cols * CELL, 0.19 * len(panel.title_text) + 0.2, 1.2), TITLE + rows * CELL


def _number(v) -> str:
    if v is None:
        return ""
    s = "%.2f" % v
    return "0.00" if s == "-0.00" else s


def _svg_panel(x, y, panel) -> list:
    out = ['<text x="%.1f" y="%.1f" font-size="12">%s</text>' % (x * PX, (y + 0.35) * PX, html.escape(panel.title_text))]
    y0 = y + TITLE
    if panel.values is None:
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f4f4f4" stroke="#555"/>'
                   % (x * PX, y0 * PX, 2.2 * PX, 1.1 * PX))
        out.append('<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>'
                   % ((x + 1.1) * PX, (y0 + 0.65) * PX, "×".join(map(str, panel.shape))))
        return out
    for i, row in enumerate(panel.values):
        for j, v in enumerate(row):
            cx, cy = (x + j * CELL) * PX, (y0 + i * CELL) * PX
            fill = _shade(v)
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#999"/>'
                       % (cx, cy, CELL * PX, CELL * PX, fill))
            out.append('<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>'
                       % (cx + CELL * PX / 2, cy + CELL * PX * 0.62, _number(v)))
    if panel.window is not None:
        r, c, h, w = panel.window
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#c00" stroke-width="3"/>'
                   % ((x + c * CELL) * PX, (y0 + r * CELL) * PX, w * CELL * PX, h * CELL * PX))
    return out


def _shade(v) -> str:
    """Positive entries blue, negative red, 0 white, by magnitude (up to 1)."""
    if v is None or v == 0:
        return "#ffffff"
    t = min(abs(v), 1.0)
    light = int(255 - 90 * t)
    return "#%02x%02xff" % (light, light) if v > 0 else "#ff%02x%02x" % (light, light)


def _tikz_panel(x, y, panel) -> list:
    out = [r"\node[anchor=south west,inner sep=0pt,font=\footnotesize] at (%.2f,%.2f) {%s};"
           % (x, y + TITLE - 0.12, panel.title_tex)]
    y0 = y + TITLE
    if panel.values is None:
        out.append(r"\draw[fill=black!5] (%.2f,%.2f) rectangle (%.2f,%.2f);" % (x, y0, x + 2.2, y0 + 1.1))
        out.append(r"\node[font=\footnotesize] at (%.2f,%.2f) {$%s$};" % (x + 1.1, y0 + 0.55,
                                                                          r"\times".join(map(str, panel.shape))))
        return out
    for i, row in enumerate(panel.values):
        for j, v in enumerate(row):
            cx, cy = x + j * CELL, y0 + i * CELL
            out.append(r"\draw[draw=black!40,fill=%s] (%.2f,%.2f) rectangle (%.2f,%.2f);"
                       % (_tikz_shade(v), cx, cy, cx + CELL, cy + CELL))
            out.append(r"\node[font=\scriptsize] at (%.2f,%.2f) {$%s$};" % (cx + CELL / 2, cy + CELL / 2, _number(v)))
    if panel.window is not None:
        r, c, h, w = panel.window
        out.append(r"\draw[red!80!black,line width=1.4pt] (%.2f,%.2f) rectangle (%.2f,%.2f);"
                   % (x + c * CELL, y0 + r * CELL, x + (c + w) * CELL, y0 + (r + h) * CELL))
    return out


def _tikz_shade(v) -> str:
    if v is None or v == 0:
        return "white"
    t = int(min(abs(v), 1.0) * 35)
    return "blue!%d" % t if v > 0 else "red!%d" % t


# --- what is drawn ---------------------------------------------------------------------------

def _channel_panels(maps, base, l, n, tex, text, adjoint=False, window=None) -> list:
    g = maps.net
    shape = g.shapes[l if base != "x" else 0]
    channels = shape[0] if len(shape) > 1 else 1
    shown = min(channels, CHANNELS)
    more = " (%d more channels)" % (channels - shown) if channels > shown else ""
    out = []
    for c in range(1, shown + 1):
        spatial = shape[1:] if len(shape) > 1 else shape
        large = any(s > READABLE for s in spatial)
        values = None if large else tuple(tuple(r) for r in maps.grid(base, l, n, c, adjoint))
        label = ", channel %d" % c if len(shape) > 1 else ""
        out.append(Panel("$%s$%s%s" % (tex, label, more if c == shown else ""),
                         "%s%s%s" % (text, label, more if c == shown else ""), values, spatial,
                         window if c == 1 else None))
    return out


def _window(layer, before) -> tuple | None:
    """The top-left window of a conv or pool layer on its input, as (row, col, rows, cols)."""
    if isinstance(layer, Conv) or hasattr(layer, "mode") and layer.type.endswith("pool"):
        kernel, _, pad = geometry(layer, before)
        if len(kernel) == 1:
            return (0, 0, 1, max(kernel[0] - pad, 1))
        return (0, 0, max(kernel[0] - pad, 1), max(kernel[1] - pad, 1))
    return None


def forward(g, maps) -> Grids:
    n = g.examples[0]
    first = g.layers[0]
    panels = _channel_panels(maps, "x", 0, n, "x", "x", window=_window(first, g.shapes[0]))
    if isinstance(first, Conv):
        panels += _kernel_panels(g, maps)
    for l in range(1, len(g.layers) + 1):
        following = g.layers[l] if l < len(g.layers) else None
        win = _window(following, g.shapes[l]) if following is not None else None
        win = win or ((0, 0, 1, 1) if l == 1 else None)
        panels += _channel_panels(maps, "a", l, n, "a^{(%d)}" % l, "a(%d)" % l, window=win)
    return Grids("forward", panels)


def _kernel_panels(g, maps) -> list:
    """The first layer's kernels, one panel per (output, input) channel pair, the first
    :data:`CHANNELS` pairs."""
    kernel = geometry(g.layers[0], g.shapes[0])[0]
    pairs = [(o, c) for o in range(1, g.shapes[1][0] + 1) for c in range(1, g.shapes[0][0] + 1)]
    out = []
    for o, c in pairs[:CHANNELS]:
        if max(kernel) > READABLE:
            values = None
        elif len(kernel) == 2:
            values = tuple(tuple(maps.value(g.K(1, o, c, p, q)) for q in range(1, kernel[1] + 1))
                           for p in range(1, kernel[0] + 1))
        else:
            values = (tuple(maps.value(g.K(1, o, c, p)) for p in range(1, kernel[0] + 1)),)
        more = " (%d more)" % (len(pairs) - CHANNELS) if len(pairs) > CHANNELS and (o, c) == pairs[CHANNELS - 1] else ""
        out.append(Panel("$K^{(1)}_{%d,%d}$%s" % (o, c, more), "K(1) out %d, in %d%s" % (o, c, more), values, kernel))
    return out


def backward(g, maps) -> Grids:
    n = g.examples[0]
    panels = []
    for l in range(len(g.layers), 0, -1):
        if ("z", l, n) in g.maps and l < len(g.layers) and g.named_adjoint(next(iter(g.maps[("z", l, n)].values()))):
            panels += _channel_panels(maps, "z", l, n, r"\delta^{(%d)}" % l, "δ(%d)" % l, adjoint=True)
        elif l < len(g.layers):
            panels += _channel_panels(maps, "a", l, n, r"\partial %s/\partial a^{(%d)}" % (g.cost_symbol.name, l),
                                      "∂%s/∂a(%d)" % (g.cost_symbol.name, l), adjoint=True)
    panels += _channel_panels(maps, "x", 0, n, r"\partial %s/\partial x" % g.cost_symbol.name,
                              "∂%s/∂x" % g.cost_symbol.name, adjoint=True)
    return Grids("backward", panels)


def forward_caption(g) -> tuple:
    return ("The maps at the given point%s, each channel a grid of its values (blue positive, red "
            "negative): the input x, the first layer's kernels, and each layer's output. The thick "
            "border marks the window of the entry written out below." % _example(g),
            _summary(g))


def backward_caption(g) -> tuple:
    return ("The backward pass as maps%s: the " % _example(g), Math(r"\delta", "δ"),
            " map of each layer (the adjoint of its pre-activation ", Math("z", "z"), "; of a pooling layer's "
            "output) and the input's gradient, last layer first.", _summary(g))


def _example(g) -> str:
    return " (example 1 of the mini-batch)" if g.examples != (None,) else ""


def _summary(g) -> str:
    large = [s for s in g.shapes if len(s) > 1 and (s[0] > CHANNELS or any(d > READABLE for d in s[1:]))]
    if not large:
        return ""
    return (" Maps above %d by %d or with more than %d channels are summarized: a larger map is drawn as a box "
            "with its shape, and only its first %d channels." % (READABLE, READABLE, CHANNELS, CHANNELS))


__all__ = ["CHANNELS", "Grids", "READABLE", "backward", "forward"]
