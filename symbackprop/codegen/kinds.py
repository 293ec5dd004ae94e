"""Each kind of graph's code, one table each, looked up along the builder's classes
(:func:`graph.part`): the writer of the module that ``symbackprop code`` writes, and the
layout with which ``d.compile()`` runs that module's ``forward`` and ``backward``.

This module stands above the writers and layouts it names (:mod:`.writer`, :mod:`.cells`,
:mod:`.attention`, :mod:`.conv`, :mod:`.compiled`): they import nothing from here, so the
arrows of the package point one way.
"""

from __future__ import annotations

import builtins
import weakref

from ..core.graph import part
from ..errors import SpecError
from . import attention, cells, conv
from .compiled import Compiled, _Graph, _Layered, require
from .writer import LANGS, Lang, _GraphWriter, _LayeredWriter, _RecurrentWriter

def _arrays(arrays, nodes):
    """The part written with arrays where the graph's cost has registry code for the output
    layer (any other cost is printed node by node from its expression, by ``nodes``)."""
    def chosen(derivation, *args):
        return (arrays if derivation.graph.cost_function.code else nodes)(derivation, *args)
    return chosen


#: Each kind of graph's writer: ``writer(derivation, lang)`` with ``.module(standalone)``.
WRITERS = {"graph": _GraphWriter, "layered": _LayeredWriter,
           "recurrent": _arrays(cells.CellWriter, _RecurrentWriter),
           "attention": _arrays(attention.AttentionWriter, _GraphWriter),
           "convolutional": _arrays(conv.ConvWriter, _GraphWriter)}

#: The compiled code's array layout for each kind of graph.
LAYOUTS = {"graph": _Graph, "layered": _Layered, "recurrent": _arrays(cells.Steps, _Graph),
           "attention": _arrays(attention.Tokens, _Graph), "convolutional": _arrays(conv.ConvArrays, _Graph)}


def source(derivation, lang: str = "numpy", *, standalone: bool = True) -> str:
    """The module's text: with ``standalone``, the exported module (names, the spec's
    values, ``evaluate``); without, only the helpers, ``forward`` and ``backward``, which
    :func:`compile_derivation` runs."""
    if lang not in LANGS:
        raise SpecError(f"unknown language {lang!r}; expected one of: {', '.join(LANGS)}")
    return part(WRITERS, derivation.graph)(derivation, Lang(lang)).module(standalone)


#: {derivation: {backend: Compiled}}: each derivation compiled once per backend.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compile_derivation(derivation, backend: str = "numpy") -> Compiled:
    """The derivation as a :class:`.compiled.Compiled` callable (see :mod:`.compiled`),
    compiled once per derivation and backend."""
    require(backend)
    done = _COMPILED.setdefault(derivation, {})
    if backend not in done:
        done[backend] = _compile(derivation, backend)
    return done[backend]


def _compile(derivation, backend: str) -> Compiled:
    lang = "torch" if backend == "torch" else "numpy"
    text = source(derivation, lang, standalone=False)
    if backend == "jax":
        text = text.replace("import numpy as np", "import jax.numpy as np", 1)
    namespace: dict = {"__name__": "symbackprop_compiled"}
    exec(builtins.compile(text, f"<symbackprop {backend} code>", "exec"), namespace)
    return part(LAYOUTS, derivation.graph)(derivation, namespace, backend)


__all__ = ["LAYOUTS", "WRITERS", "compile_derivation", "source"]
