"""Checking hand-derived answers against the derivation.

A linear pipeline, one module per stage:

* :mod:`lexer`: answer text → tokens (limits, positions, :class:`AnswerReadError`);
* :mod:`dnotation`: dC/dz as ∂C/∂z, a rewrite of tokens;
* :mod:`names`: written names → network symbols, in every notation;
* :mod:`reader`: tokens → a SymPy expression (recursive descent; nothing is evaluated),
  with :mod:`sums` for ∑ and ∏ and :mod:`matrices` for whole-layer vectors and matrices;
* :mod:`reference`: the network's definitions and their values at seeded points;
* :mod:`evaluate`: numbers from an expression tree;
* :mod:`symbolic`: a cheap symbolic proof of equality;
* :mod:`compare`: the verdict, with a counterexample;
* :mod:`diagnose`: the name of the mistake;
* :mod:`verdict`: all of the above for one answer (:func:`check_answer`), and
  :mod:`layers` for a whole layer's answer, entry by entry; both return an
  :mod:`outcome` (:class:`Verdict`);
* :mod:`policy`: the teacher's settings (tolerance, closed forms, credit, feedback,
  their own mistakes);
* :mod:`grade` and :mod:`report`: a CSV of answers → a CSV, JSON or HTML report.
"""

from ..reading.lexer import AnswerReadError
from .policy import Policy, Tolerance
from .outcome import Verdict
from .verdict import check_answer, read_answer

__all__ = ["AnswerReadError", "Policy", "Tolerance", "Verdict", "check_answer", "read_answer"]
