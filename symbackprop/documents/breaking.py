"""Long formulas broken across lines, by us rather than by a TeX package.

Why: a closed form of a three-layer network is thousands of characters of LaTeX, and
``\\left( … \\right)`` pairs cannot span a line break. So an expression too wide for a
line is cut into *tokens* along its own structure: the terms of a sum, the factors of
a product, the argument of σ(·). A group that is cut gets sized delimiters
(``\\bigl( … \\bigr)``, larger for outer groups) which may open on one line and close on
another; anything narrow enough stays one token printed by :func:`printing.latex`.
:func:`lines` then fills lines greedily, breaking before a ``+``, ``-``, ``=`` or
``\\cdot`` at the shallowest depth it can. The same lines feed ``align*`` (LaTeX,
MathML) and ``aligned`` (Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..ops.activations import ActivationFunction, ActivationPrime, Softmax
from ..notation.elision import Elided
from ..notation.printing import Latex, latex, ordered_factors

#: Width budget of one line, in the rough units of :func:`width` (about 0.6 em: one unit
#: is 6.6 pt in an 11 pt article, so the 17 cm text width of A4 with 2 cm margins holds
#: about 73 units; the budget leaves room for the ``&\\quad`` indent, and a row's
#: left-hand side is taken off it, see :func:`budget`).
LINE_WIDTH = 66
#: Sub-expressions at most this wide are never cut.
ATOM_WIDTH = 24
#: A cut group whose first piece is at most this wide (``\\bigl( 1``) never ends a line.
KEEP_WIDTH = 8

_SIZES = (r"\bigl", r"\Bigl", r"\biggl", r"\Biggl")
_ZERO = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr",
         "big", "Big", "operatorname", "mathrm", "displaystyle", "tfrac", "hat", ",", ";", "!",
         "mathbf", "boldsymbol", "text"}


@dataclass(frozen=True)
class Token:
    """A piece of a formula. ``lead`` is printed only when the piece starts a new line
    (``\\cdot`` before a factor); ``join`` only when it continues one. ``depth`` ranks
    the break before it (0 is the outermost); ``breakable`` says whether a line may
    start here."""

    latex: str
    width: float
    breakable: bool = False
    depth: int = 0
    lead: str = ""
    join: str = ""
    keep: bool = False      # opens a group: never the last piece of a line


def budget(lhs_latex: str, limit: float = LINE_WIDTH) -> float:
    """The width left for a row's right-hand side once its left-hand side is set."""
    return max(limit - width(lhs_latex), limit * 2 / 3)


def width(tex: str) -> float:
    """Estimated printed width of a LaTeX fragment (subscripts count 0.7)."""
    total, i, n = 0.0, 0, len(tex)
    while i < n:
        ch = tex[i]
        if ch == "\\":
            j = i + 1
            while j < n and tex[j].isalpha():
                j += 1
            name = tex[i + 1:j] if j > i + 1 else tex[i + 1:i + 2]
            i = j if j > i + 1 else i + 2
            if name == "frac":
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                total += max(width(top), width(bottom)) + 0.5
            elif name == "quad":
                total += 2
            elif name not in _ZERO:
                total += 1
        elif ch in "^_":
            body, i = _group(tex, i + 1)
            total += 0.7 * width(body)
        elif ch in "{} ":
            i += 1
        elif ch in "+-=<>":
            total += 2
            i += 1
        else:
            total += 1
            i += 1
    return total


def _group(tex: str, i: int) -> tuple[str, int]:
    """The argument starting at ``tex[i]``: a braced group or one character."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        if tex[i] == "\\":
            j = i + 1
            while j < len(tex) and tex[j].isalpha():
                j += 1
            return tex[i:max(j, i + 2)], max(j, i + 2)
        return tex[i], i + 1
    depth, j = 0, i
    while j < len(tex):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1:j], j + 1
        j += 1
    return tex[i + 1:], len(tex)


def atom(tex: str, **kw) -> Token:
    return Token(tex, width(tex), **kw)


class _Cutter:
    def __init__(self):
        self.printer = Latex({})

    def cut(self, expr, depth: int = 0) -> tuple[list[Token], int]:
        """Tokens of ``expr`` and the nesting height of the cut groups inside it."""
        tex = latex(expr)
        if width(tex) <= ATOM_WIDTH:
            return [atom(tex)], 0
        if expr.is_Add:
            return self._add(self.printer._as_ordered_terms(expr), depth)
        if isinstance(expr, Elided):
            return self._add(expr.shown, depth, dots=True)
        if expr.is_Mul:
            return self._mul(expr, depth)
        if isinstance(expr, (ActivationFunction, ActivationPrime)) and len(expr.args) == 1:
            act = expr.activation
            name = act.latex + ("'" if isinstance(expr, ActivationPrime) else "")
            return self._wrap(name, expr.args[0], "", depth)
        if isinstance(expr, Softmax):
            return self._arguments(r"\operatorname{softmax}_{%s}" % expr.args[0], expr.args[1:], depth)
        if isinstance(expr, sympy.log) and len(expr.args) == 1:
            return self._wrap(r"\ln", expr.args[0], "", depth)
        if expr.is_Pow and expr.exp.is_Integer and expr.exp > 1:
            return self._wrap("", expr.base, "^{%s}" % expr.exp, depth)
        if expr.is_Pow and expr.exp.is_Integer and expr.exp < 0:
            return self._fraction(sympy.S.One, [expr], depth)
        return [atom(tex)], 0

    def _arguments(self, head: str, args, depth: int) -> tuple[list[Token], int]:
        """``head(arg₁, arg₂, …)`` with a place to break after each comma."""
        out, height = [], 0
        for i, arg in enumerate(args):
            toks, h = self.cut(arg, depth + 1)
            if i > 0:
                first = toks[0]
                toks[0] = Token(first.latex, first.width + 1, True, depth + 0.75, first.lead, first.join, first.keep)
                last = out[-1]
                out[-1] = Token(last.latex + ",", last.width + 0.5, last.breakable, last.depth, last.lead,
                                last.join, last.keep)
            out += toks
            height = max(height, h)
        return self._enclose(head, out, "", height)

    def _enclose(self, head: str, tokens: list, tail: str, height: int) -> tuple[list[Token], int]:
        size = _SIZES[min(height, len(_SIZES) - 1)]
        opened = atom(head + size + "(")
        first = tokens[0]
        tokens[0] = Token(opened.latex + " " + first.latex, opened.width + first.width,
                          first.breakable, first.depth, first.lead, first.join,
                          keep=len(tokens) > 1 and first.width <= KEEP_WIDTH)
        last = tokens[-1]
        close = size[:-1] + "r)" + tail
        tokens[-1] = Token(last.latex + " " + close, last.width + width(close), last.breakable,
                           last.depth, last.lead, last.join, keep=False if len(tokens) > 1 else last.keep)
        return tokens, height + 1

    def _fraction(self, numerator, denominators, depth: int) -> tuple[list[Token], int]:
        """A quotient too wide for one line: the numerator, then ``/`` and the denominator
        in sized parentheses (a stacked fraction cannot break)."""
        below = sympy.Mul(*[f.base ** -f.exp for f in denominators])
        top, h1 = self.cut(numerator, depth) if numerator != 1 else ([atom("1")], 0)
        tex = latex(below)
        if width(tex) <= ATOM_WIDTH and not below.is_Add and not below.is_Mul:
            bottom, h2 = [atom(tex)], 0
        else:
            bottom, h2 = self._wrap("", below, "", depth + 1)
        first = bottom[0]
        short = len(top) == 1 and top[0].width <= ATOM_WIDTH     # a short numerator stays with its "/"
        bottom[0] = Token("/ " + first.latex, first.width + 1, not short, depth + 0.5, first.lead, first.join,
                          first.keep)
        return top + bottom, max(h1, h2)

    def _wrap(self, head: str, inner, tail: str, depth: int) -> tuple[list[Token], int]:
        tokens, height = self.cut(inner, depth + 1)
        return self._enclose(head, tokens, tail, height)

    def _add(self, terms, depth, dots: bool = False):
        """The terms of a sum (``dots``: the shown terms of an :class:`Elided`, ``⋯``
        before the last)."""
        out, height = [], 0
        for i, term in enumerate(terms):
            if dots and i == len(terms) - 1:
                out.append(Token(r"+ \cdots", 3, True, depth))
            negative = term.could_extract_minus_sign()
            body = -term if negative else term
            tokens, h = self.cut(body, depth)
            if i > 0 or negative:
                sign = "- " if negative else "+ "
                first = tokens[0]
                tokens[0] = Token(sign + first.latex, first.width + 2, i > 0, depth, keep=first.keep)
            out += tokens
            height = max(height, h)
        return out, height

    def _mul(self, expr, depth):
        factors = ordered_factors(expr)
        out, height, sign = [], 0, ""
        if factors[0].is_Number and factors[0] < 0:
            sign = "- "
            rest = -factors[0]
            factors = ([rest] if rest != 1 else []) + factors[1:]
        over = [f for f in factors if f.is_Pow and f.exp.is_negative]
        if over:
            top = sympy.Mul(*[f for f in factors if f not in over])
            toks, h = self._fraction(top, over, depth)
            if sign:
                first = toks[0]
                toks[0] = Token(sign + first.latex, first.width + 2, first.breakable, first.depth,
                                first.lead, first.join, first.keep)
            return toks, h
        for i, factor in enumerate(factors):
            if factor.is_Rational and factor.q != 1:
                tokens, h = [atom(r"\frac{%d}{%d}" % (factor.p, factor.q))], 0
            elif factor.is_Add or isinstance(factor, Elided):
                tokens, h = self._wrap("", factor, "", depth + 1)
            else:
                tokens, h = self.cut(factor, depth + 1)
            if i > 0:
                first = tokens[0]
                tokens[0] = Token(first.latex, first.width, True, depth + 0.5, lead=r"\cdot ", keep=first.keep)
            out += tokens
            height = max(height, h)
        if sign:
            first = out[0]
            out[0] = Token(sign + first.latex, first.width + 2, first.breakable, first.depth,
                           first.lead, first.join, first.keep)
        return out, height


def tokens(expr, limit: float = LINE_WIDTH * 2 / 3) -> list[Token]:
    """The tokens of a SymPy expression: one token when it fits on the narrowest line
    (see :func:`budget`)."""
    tex = latex(expr)
    if width(tex) <= limit:
        return [atom(tex)]
    return _Cutter().cut(sympy.sympify(expr, strict=True))[0]


def equals(pieces: list[list[Token]]) -> list[Token]:
    """Right-hand sides joined by ``=``: ``expr = value``, each a place to break."""
    out: list[Token] = []
    for i, piece in enumerate(pieces):
        if i > 0:
            first = piece[0]
            piece = [Token("= " + first.latex, first.width + 2, True, -1, keep=first.keep)] + piece[1:]
        out += piece
    return out


def lines(toks: list[Token], limit: float = LINE_WIDTH) -> list[str]:
    """Greedy line filling: when a piece does not fit, the line breaks at its shallowest
    late break (the piece itself counts), never right after a group's narrow opening."""
    result, current = [], []
    for tok in toks:
        current.append(tok)
        while len(current) > 1 and _width(current) > limit:
            candidates = [i for i in range(1, len(current))
                          if current[i].breakable and not current[i - 1].keep]
            if not candidates:
                break
            late = [i for i in candidates if _width(current[:i]) >= limit / 3] or candidates
            best = min(late, key=lambda i: (current[i].depth, -i))
            result.append(current[:best])
            current = current[best:]
    if current:
        result.append(current)
    return [_join(line, start=(n > 0)) for n, line in enumerate(result)]


def _width(toks) -> float:
    return sum(t.width for t in toks)


def _join(line: list[Token], start: bool) -> str:
    parts = []
    for i, tok in enumerate(line):
        prefix = tok.lead if (i == 0 and start) else tok.join
        parts.append(prefix + tok.latex)
    return " ".join(parts)


__all__ = ["ATOM_WIDTH", "LINE_WIDTH", "Token", "atom", "budget", "equals", "lines", "tokens", "width"]
