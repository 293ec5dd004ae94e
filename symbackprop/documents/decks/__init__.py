"""Slides: the derivation as a lecture tells it, one frame at a time, each frame's content
appearing step by step (Beamer overlays, the HTML slides' steps).

A deck (:mod:`.frames`) is made of the blocks of the format-neutral document
(:mod:`..model`), taken from the story of the graph's kind (:mod:`..stories`), each given
the step at which it appears, and of pictures whose parts appear at their steps. The deck
of each kind of graph is in :data:`DECKS` (:mod:`.layered`: the lecture's order;
:mod:`.graph`: any graph, the CS231n circuit). Frames are cut to what fits one slide.
"""

from __future__ import annotations

from ...core.graph import part
from ...errors import RenderError
from .frames import Deck
from .graph import GraphDeck
from .layered import LayeredDeck

#: The deck of each kind of graph; a kind not listed gets the deck of any graph.
DECKS = {"graph": GraphDeck, "layered": LayeredDeck}


#: The document options a deck takes; the others (closed forms, a step of gradient descent)
#: belong to the documents.
TAKES = ("point", "numbers", "check")


def build(derivation, format: str, *, point=None, **options) -> Deck:
    """The deck of a derivation, by the kind of its graph (:data:`DECKS`). A deck shows the
    numbers whenever the spec has values; ``closed``, ``learning_rate`` and ``hold`` are
    an error naming the formats that take them."""
    given = [name for name in ("closed", "learning_rate", "hold") if options.get(name)]
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise RenderError(f"{flag} applies to the documents (latex, markdown, html, json, text), not {format}")
    return part(DECKS, derivation.graph)(derivation, point=point).build()


__all__ = ["DECKS", "build"]
