"""Derivation documents: LaTeX, Markdown, HTML (MathML), JSON and text, and slides.

Every format reads the :class:`~symbackprop.core.derivation.Derivation` only. LaTeX, Markdown,
HTML and text share one format-neutral document (:mod:`.model`), told by the story of the
graph's kind (:mod:`.stories`), so they say the same thing in the same order; JSON lists
the formulas themselves (:mod:`.formats`). The slides (Beamer, HTML) tell the same story's
blocks a step at a time (:mod:`.decks`). Output is deterministic:
the same spec gives byte-identical text (no dates, no unordered iteration).

    >>> import symbackprop as sb
    >>> tex = sb.render(sb.load("examples/lecture.toml").backward(), "latex")
"""

from __future__ import annotations

from importlib import import_module

from ..errors import RenderError

#: The formats, each a module of :mod:`.formats` declaring its ``EXTENSIONS``, whether it
#: writes a ``FRAGMENT`` and what it ``READS``: a new format is its module and its name here.
FORMATS = ("latex", "markdown", "html", "json", "text", "beamer", "slides")


def writer(format: str):
    """The module that writes ``format``."""
    return import_module(".formats." + format, __name__)


def extensions() -> dict:
    """File extension → format, as the format modules declare them (``derive -o``)."""
    return {ext: name for name in FORMATS for ext in writer(name).EXTENSIONS}


#: The options of :func:`render`, with their defaults.
OPTIONS = {"fragment": False, "closed": False, "point": None, "numbers": False,
           "learning_rate": None, "hold": None, "check": True, "full": False, "steps": None}


def render(derivation, format: str = "latex", **options) -> str:
    r"""The derivation as one document string, in ``format`` (one of :data:`FORMATS`).

    Options (keyword arguments; any other name is an error that lists these):

    * ``fragment``: only the body (LaTeX, Markdown, HTML), to paste into existing notes;
    * ``closed``: add the closed form of every ∂C/∂z and gradient (those too large to
      read are named and skipped);
    * ``point``: a dict {name or symbol: number} overriding the spec's values;
    * ``numbers``: add "The numbers, step by step": every formula in symbols, with the
      numbers substituted, and its value (JSON: ``substituted`` on every formula);
    * ``learning_rate``: add one step of gradient descent p ← p − η ∂C/∂p and the cost
      before and after (JSON: ``update``);
    * ``hold``: parameters the step keeps fixed: names, a comma-separated string, or the
      group words ``weights`` and ``biases`` of a layered network;
    * ``check``: ``False`` shows the numbers without the three-way check (faster on a
      large network);
    * ``full``: every neuron of a wide layered network (by default a layer of more than
      six units shows neurons 1, 2 and the last, see :mod:`.stories.representative`);
    * ``steps``: draw only the first k steps of an unrolled recurrent net (its pictures;
      the caption says which steps are left out); the formulas keep every step.

        >>> import symbackprop as sb
        >>> d = sb.load("examples/shared_bias.toml").backward()
        >>> page = sb.render(d, "markdown", numbers=True, learning_rate=0.5, hold="b_1,b_2")
        >>> r"0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35" in page
        True
    """
    unknown = [name for name in options if name not in OPTIONS]
    if unknown:
        from ..notation.quoting import quote
        raise RenderError(f"unknown option {quote(unknown[0])}; the options are: {', '.join(OPTIONS)}")
    opts = {**OPTIONS, **options}
    fragment = opts.pop("fragment")
    if format not in FORMATS:
        raise RenderError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}")
    module = writer(format)
    if fragment and not module.FRAGMENT:
        bodies = [name for name in FORMATS if writer(name).FRAGMENT]
        raise RenderError(f"--fragment applies to {', '.join(bodies)}, not {format}")
    if opts["learning_rate"] is None and opts["hold"]:
        raise RenderError("--hold applies to a gradient-descent step: give a learning rate too")
    if module.READS == "derivation":
        if opts.pop("steps") is not None:
            raise RenderError(f"--steps applies to the documents with pictures, not {format}")
        return module.render(derivation, **opts)
    from .stories import build
    return module.render(build(derivation, **opts), fragment=fragment)


__all__ = ["FORMATS", "OPTIONS", "extensions", "render", "writer"]
