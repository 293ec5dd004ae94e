"""Code from a derivation: the standalone NumPy or PyTorch module (:mod:`.writer`), and the
same code run in-process as ``d.compile()`` (:mod:`.compiled`)."""

from .writer import LANGS, Names, comment, identifier, source

__all__ = ["LANGS", "Names", "comment", "identifier", "source"]
