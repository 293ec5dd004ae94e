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
from .frames import Deck
from .graph import GraphDeck
from .layered import LayeredDeck

#: The deck of each kind of graph; a kind not listed gets the deck of any graph.
DECKS = {"graph": GraphDeck, "layered": LayeredDeck}


def build(derivation, *, point=None) -> Deck:
    """The deck of a derivation, by the kind of its graph (:data:`DECKS`)."""
    return part(DECKS, derivation.graph)(derivation, point=point).build()


__all__ = ["DECKS", "build"]
