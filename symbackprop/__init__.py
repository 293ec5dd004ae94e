"""symbackprop: backpropagation derived symbolically, as the lecture derives it.

    >>> import symbackprop as sb
    >>> net = sb.Network([2, 2, 2], activation="sigmoid", cost="mse")
    >>> d = net.backward()
    >>> print(d.dC_dz(1, 1))
    δ⁽¹⁾₁ = σ′(z⁽¹⁾₁)·(w⁽²⁾₁₁·δ⁽²⁾₁ + w⁽²⁾₂₁·δ⁽²⁾₂)
"""

import importlib

from .errors import (AnswerError, PointError, RenderError, SpecError, SymbackpropError,
                     TooLargeError)

#: Public names and the module that defines each, imported on first use (PEP 562): the
#: command line starts without SymPy or importlib.metadata, so that Ctrl-C while it starts
#: is already its one-line error.
_HOMES = {"Activation": "ops.activations", "Derivation": "core.derivation",
          "Formula": "core.derivation", "Cost": "ops.costs", "Graph": "core.graph",
          "Network": "builders.network", "Recurrent": "builders.recurrent",
          "Attention": "builders.attention",
          "ConvNet": "builders.convnet", "Conv": "builders.layers", "Pool": "builders.layers",
          "Norm": "builders.layers", "Dense": "builders.layers",
          "latex": "notation.printing", "text": "notation.printing", "load": "loading",
          "assign": "assignments.assignment", "Assignment": "assignments.assignment"}
#: The registries, by their short names: ``sb.activations.get("tanh")``.
_REGISTRIES = {"activations": "ops.activations", "costs": "ops.costs"}

_NAMES = ["activations", "costs", "Activation", "AnswerError", "Assignment", "Attention", "Conv", "ConvNet",
          "Cost", "Dense", "Derivation", "Formula", "Norm", "Pool",
          "Graph", "Network", "PointError", "Recurrent", "RenderError", "SpecError",
          "SymbackpropError", "TooLargeError", "assign", "check_answer", "latex", "load", "render", "text",
          "__version__"]


def _elementwise() -> dict:
    """The registry's elementwise activations, callable on SymPy expressions: ``sb.sigmoid(z)``."""
    return importlib.import_module(".ops.activations", __name__).elementwise()


def __getattr__(name):
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    elif name in _REGISTRIES:
        value = importlib.import_module(f".{_REGISTRIES[name]}", __name__)
    elif name == "__version__":
        value = _version()
    elif name == "__all__":      # the names below and every registered elementwise activation
        value = _NAMES + sorted(_elementwise())
    elif not name.startswith("_"):
        try:  # a submodule: sb.numeric, sb.documents …
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            value = _elementwise().get(name)
            if value is None:
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("symbackprop")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def __dir__():
    return sorted(set(globals()) | set(__getattr__("__all__")))


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
