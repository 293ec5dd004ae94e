"""How an answer is shown back: LaTeX and Unicode text of the expression as read.

The project's printers (:mod:`symbackprop.printing`) are used as they are, with one guard:
SymPy's LaTeX printer prints a negative power (1/(1 + e^{-z})) by passing the power
itself to ``_print_Mul``, which the project's printer reorders as if it were a product;
here such a call goes straight to SymPy's own ``_print_Mul``.
"""

from __future__ import annotations

from sympy.printing.latex import LatexPrinter

from ..printing import Latex, text

__all__ = ["latex", "text"]


class _AnswerLatex(Latex):
    def _print_Mul(self, expr):
        if not expr.is_Mul:
            return LatexPrinter._print_Mul(self, expr)
        return super()._print_Mul(expr)


def latex(expr) -> str:
    """LaTeX of an expression with the project's symbol names."""
    return _AnswerLatex({}).doprint(expr)
