"""Code from a derivation: the standalone NumPy or PyTorch module (:mod:`.writer` and each
kind's writer, chosen in :mod:`.kinds`), and the same code run in-process as
``d.compile()`` (:mod:`.compiled`)."""

from .kinds import compile_derivation, source
from .writer import LANGS, Names, comment, identifier

__all__ = ["LANGS", "Names", "comment", "compile_derivation", "identifier", "source"]
