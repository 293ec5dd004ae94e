"""symbackprop: backpropagation derived symbolically, as the lecture derives it.

    >>> import symbackprop as sb
    >>> net = sb.Network([2, 2, 2], activation="sigmoid", cost="mse")
    >>> d = net.backward()
    >>> print(d.dC_dz(1, 1))
    δ⁽¹⁾₁ = σ′(z⁽¹⁾₁)·(w⁽²⁾₁₁·δ⁽²⁾₁ + w⁽²⁾₂₁·δ⁽²⁾₂)
"""

from importlib.metadata import PackageNotFoundError, version

from . import activations, costs
from .activations import Activation
from .backward import Derivation, Formula
from .costs import Cost
from .errors import (AnswerError, PointError, RenderError, SpecError, SymbackpropError,
                     TooLargeError)
from .graph import Graph
from .network import Network
from .recurrent import Recurrent
from .printing import latex, text
from .spec import load

#: The registry's elementwise activations, callable on SymPy expressions: ``sb.sigmoid(z)``.
globals().update(activations.elementwise())

try:
    __version__ = version("symbackprop")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


def check_answer(net, wrt, answer, *, policy=None):
    """Compare a hand-derived answer (LaTeX or plain text) with the derived formula;
    ``policy`` (:class:`symbackprop.answers.Policy`) overrides the spec's ``[grading]``."""
    from .answers import check_answer as _check_answer
    return _check_answer(net, wrt, answer, policy=policy)


def render(derivation, format="latex", **options):
    """The derivation as a document: latex, markdown, html, json or text. Options:
    ``fragment``, ``closed``, ``point``, ``numbers``, ``learning_rate``, ``hold`` (see
    :func:`symbackprop.documents.render`); any other name is an error that lists them.

        >>> d = load("examples/shared_bias.toml").backward()
        >>> render(d, "text", numbers=True).count("= 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775")
        1
    """
    from .documents import render as _render
    return _render(derivation, format, **options)


__all__ = ["activations", "costs", "Activation", "AnswerError", "Cost", "Derivation", "Formula", "Graph",
           "Network", "PointError", "Recurrent", "RenderError", *activations.elementwise(),
           "SpecError", "SymbackpropError", "TooLargeError", "check_answer", "latex",
           "load", "render", "text", "__version__"]
