"""Derivation documents: LaTeX, Markdown, HTML (MathML), JSON and text.

Every format reads the :class:`~symbackprop.backward.Derivation` only. LaTeX, Markdown,
HTML and text share one format-neutral document (:mod:`.document`), so they say the same
thing in the same order; JSON lists the formulas themselves. Output is deterministic:
the same spec gives byte-identical text (no dates, no unordered iteration).

    >>> import symbackprop as sb
    >>> tex = sb.render(sb.load("examples/lecture.toml").backward(), "latex")
"""

from __future__ import annotations

from ..errors import RenderError

FORMATS = ("latex", "markdown", "html", "json", "text")
_DOCUMENT_FORMATS = ("latex", "markdown", "html")


def render(derivation, format: str = "latex", *, fragment: bool = False, closed: bool = False,
           point=None, check: bool = True) -> str:
    """The derivation as one document string.

    ``fragment`` gives only the body (LaTeX, Markdown, HTML) to paste into existing
    notes; ``closed`` adds the closed form of every ∂C/∂z and gradient (those too large
    to read are named and skipped); ``point`` overrides the spec's values; without
    ``check`` the numbers are shown without the three-way check.
    """
    if format not in FORMATS:
        raise RenderError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}")
    if fragment and format not in _DOCUMENT_FORMATS:
        raise RenderError(f"--fragment applies to {', '.join(_DOCUMENT_FORMATS)}, not {format}")
    if format == "json":
        from .json import render as to_json
        return to_json(derivation, closed=closed, point=point, check=check)
    from .document import build
    doc = build(derivation, closed=closed, point=point, check=check)
    if format == "latex":
        from .latex import render as emit
    elif format == "markdown":
        from .markdown import render as emit
    elif format == "html":
        from .html import render as emit
    else:
        from .text import render as emit
        return emit(doc)
    return emit(doc, fragment=fragment)


__all__ = ["FORMATS", "render"]
