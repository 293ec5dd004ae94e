"""One base error for everything a user can get wrong.

The command line turns any :class:`SymbackpropError` into a single ``error: …`` line
and exit code 2; anything else is a bug and keeps its traceback.
"""


class SymbackpropError(Exception):
    """Base class: the message is a complete sentence fit for one line of output."""


class SpecError(SymbackpropError):
    """A network spec (file, dict or constructor arguments) is malformed."""


class PointError(SymbackpropError):
    """Values for evaluation are missing, unknown or not numbers."""


class TooLargeError(SymbackpropError):
    """A closed form is too large to build, print or evaluate."""


class AnswerError(SymbackpropError):
    """A hand-derived answer cannot be read or compared."""


class RenderError(SymbackpropError):
    """A document cannot be produced in the requested format."""
