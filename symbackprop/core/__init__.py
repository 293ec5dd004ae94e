"""The core: a graph of named scalar nodes (:mod:`.graph`) and the one reverse sweep that
turns it into a :class:`~.derivation.Derivation` of formulas. It imports no consumer
but through thin delegating methods.
"""
