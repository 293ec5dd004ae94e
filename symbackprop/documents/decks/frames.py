"""A deck of slides: frames of blocks, each shown from its step on, and the cutting of
frames to what fits one slide (:func:`fitted`): a block too tall for a slide is split,
and a frame too full continues on the next slide. Heights are estimated in millimetres of
a 16:9 Beamer slide (160 mm × 90 mm); the HTML slides keep the same proportions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Equations, Paragraph, Table

#: Height (mm) a slide has for its content, under its title, above its foot line.
HEIGHT = 65.0
#: Heights (mm) of a line of prose, of a displayed row (taller with a fraction), of a table row.
PROSE, ROW, TALL_ROW, TABLE_ROW = 3.8, 5.1, 7.8, 5.4
#: A displayed row with brackets around scripts (``\\left(``).
BRACKETED_ROW = 5.9
#: Characters of prose on one line of a slide.
CHARS = 110


@dataclass(frozen=True)
class Picture:
    """A drawing for a slide: its TikZ (steps as Beamer overlays ``<k->``), its SVG (steps
    as ``data-at="k"``), its ``title`` (the SVG's) and the ``height`` (mm) it may take."""

    tikz: str
    svg: str
    title: str
    height: float = 40.0


@dataclass(frozen=True)
class Shown:
    """A block of a frame, shown from step ``at`` on; ``only``: at that step only (the
    formula being computed, under a picture that keeps its place)."""

    block: object
    at: int = 1
    only: bool = False


@dataclass(frozen=True)
class Frame:
    title: str
    shown: tuple

    @property
    def steps(self) -> int:
        return max((s.at for s in self.shown), default=1)


@dataclass(frozen=True)
class Deck:
    title: str
    subtitle: str
    frames: tuple

    @property
    def pages(self) -> int:
        """Slides in all: a title slide, then every step of every frame."""
        return 1 + sum(f.steps for f in self.frames)


def height(block) -> float:
    """Estimated height (mm) of a block on a slide."""
    if isinstance(block, Picture):
        return block.height + 2
    if isinstance(block, Paragraph):
        chars = sum(len(p.text) if hasattr(p, "text") else len(p) for p in block.parts)
        fractions = any(r"\frac" in p.latex for p in block.parts if hasattr(p, "latex"))
        return PROSE * (1 + chars // CHARS) + (3.3 if fractions else 0.8)     # a fraction spaces its lines
    if isinstance(block, Equations):
        return 5 + sum(_row_height(row.lhs.latex + line) for row in block.rows for line in row.lines)
    if isinstance(block, Table):
        return 3 + TABLE_ROW * (1 + len(block.rows))
    return 0.0


def _row_height(tex: str) -> float:
    if r"\sum_{" in tex:           # a sum with its limits above and below
        return TALL_ROW + 2.5
    if r"\frac" in tex:
        return TALL_ROW
    return BRACKETED_ROW if r"\left" in tex else ROW


def pieces(block) -> list:
    """A block cut into pieces that each fit a slide (rows of equations and of tables)."""
    if height(block) <= HEIGHT or not isinstance(block, (Equations, Table)):
        return [block]
    rows = block.rows
    out, current = [], []
    for row in rows:
        trial = current + [row]
        made = Equations(tuple(trial)) if isinstance(block, Equations) else \
            Table(block.header, tuple(trial), block.align)
        if current and height(made) > HEIGHT:
            out.append(current)
            trial = [row]
        current = trial
    out.append(current)
    if isinstance(block, Equations):
        return [Equations(tuple(p)) for p in out]
    return [Table(block.header, tuple(p), block.align) for p in out]


def fitted(title: str, shown: list) -> list:
    """Frames titled ``title`` holding ``shown`` in order, a new frame (its steps counted
    again from 1) whenever the next block would overflow the slide. The blocks shown at
    one step only share one place: the tallest of them counts."""
    items = [Shown(p, s.at, s.only) for s in shown for p in pieces(s.block)]
    frames, current, used, only = [], [], 0.0, 0.0
    for s in items:
        h = height(s.block)
        extra = max(0.0, h - only) if s.only else h
        if current and used + extra > HEIGHT and not s.only:
            frames.append(current)
            current, used, only = [], 0.0, 0.0
            extra = h
        current.append(s)
        used += extra
        if s.only:
            only = max(only, h)
    if current:
        frames.append(current)
    out = []
    for i, frame in enumerate(frames):
        first = frame[0].at
        name = title if i == 0 else title + " (continued)"
        out.append(Frame(name, tuple(Shown(s.block, s.at - first + 1, s.only) for s in frame)))
    return out


def grouped(frame: Frame) -> list:
    """The frame's blocks in order, those shown at one step only gathered in a tuple: they
    share one place on the slide (Beamer's ``overprint``)."""
    out = []
    for s in frame.shown:
        if s.only and out and isinstance(out[-1], tuple):
            out[-1] += (s,)
        else:
            out.append((s,) if s.only else s)
    return out


def steps(blocks, first: int = 1) -> list:
    """Blocks shown one after another, from step ``first``."""
    return [Shown(b, first + i) for i, b in enumerate(blocks)]


def together(blocks, at: int = 1) -> list:
    return [Shown(b, at) for b in blocks]


def harvest(story, section: str) -> list:
    """The blocks a story's section adds (without its headings): the story's own words."""
    from ..model import Heading
    story.blocks = []
    getattr(story, section)()
    return [b for b in story.blocks if not isinstance(b, Heading)]


def prose(*parts) -> Paragraph:
    return Paragraph(tuple(parts))


__all__ = ["Deck", "Frame", "Picture", "Shown", "fitted", "grouped", "harvest", "height", "pieces", "prose", "steps",
           "together"]
