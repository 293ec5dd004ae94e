"""Exported code: the derivation as a standalone NumPy or PyTorch module (:mod:`.writer`)."""

from .writer import LANGS, Names, comment, identifier, source

__all__ = ["LANGS", "Names", "comment", "identifier", "source"]
