"""The stories a document tells, one per kind of graph (:attr:`Graph.kind`): the story of
any graph (:mod:`.generic`) is the base; a builder whose structure the lecture tells
otherwise has a story of its own that overrides what differs (:mod:`.layered`: Case 1 /
Case 2, the amplifier diagram, the vector form; :mod:`.unrolled`: a recurrent net's steps,
backpropagation through time; :mod:`.gates`: an LSTM's or GRU's cell;
:mod:`.attention`: one head of self-attention in matrices; :mod:`.convolutional`: maps,
sliding windows, the flipped kernel)."""

from __future__ import annotations

from ...core.graph import part
from ..model import Document
from .attention import AttentionStory
from .generic import GraphStory
from .layered import LayeredStory
from .unrolled import RecurrentStory
from .gates import GatedStory
from .convolutional import ConvStory

#: The story of each kind of graph; a kind not listed gets the story of any graph.
STORIES = {"graph": GraphStory, "layered": LayeredStory, "recurrent": RecurrentStory,
           "gated": GatedStory, "attention": AttentionStory, "convolutional": ConvStory}


def build(derivation, *, closed: bool = False, point=None, **extras) -> Document:
    """The document of a derivation, told by the story of its graph's kind. ``extras``:
    ``numbers`` (:mod:`..sections.substituted`), ``learning_rate`` and ``hold``
    (:mod:`..sections.descent`), ``check`` (False: the numbers without the three-way check)."""
    story = part(STORIES, derivation.graph)
    return story(derivation, closed=closed, point=point, **extras).build()


__all__ = ["STORIES", "build"]
