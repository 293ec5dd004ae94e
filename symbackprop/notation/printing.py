"""Printing formulas as LaTeX and as Unicode text.

Symbol names are already LaTeX (see :mod:`naming`), so the LaTeX printer writes them
verbatim; in products it puts the forward-pass factor first and the δ (or ∂C/∂·) last,
as the lecture writes ∂C/∂w = a · ∂C/∂z. The text printer turns the same names into
Unicode (w⁽²⁾₁₁, δ⁽¹⁾₂, ∂C/∂w₅) for terminals.
"""

from __future__ import annotations

import functools
import re

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from . import accents, greek, scripts
from .elision import joined
from ..ops.activations import ActivationFunction, ActivationPrime, Softmax, Step


def _is_adjoint(expr) -> bool:
    return expr.is_Symbol and (expr.name.startswith("\\delta") or expr.name.startswith("\\frac{\\partial"))


def _rank(expr) -> int:
    if expr.is_Number:
        return 0
    if isinstance(expr, ActivationPrime):
        return 1
    return 3 if _is_adjoint(expr) else 2


def _factor_rank(expr) -> tuple:
    return (_rank(expr), sympy.default_sort_key(expr))


def ordered_factors(expr: sympy.Mul) -> list:
    """The factors of a product in reading order: number, σ′(z), the rest, δ (SymPy's
    sort key orders factors of one rank; a · δ needs none)."""
    ranks = [_rank(f) for f in expr.args]
    if len(set(ranks)) == len(ranks):
        return [f for _, f in sorted(zip(ranks, expr.args), key=lambda pair: pair[0])]
    return sorted(expr.args, key=_factor_rank)


class Latex(LatexPrinter):
    """SymPy's LaTeX printer, with verbatim symbol names and lecture-order products; the
    natural logarithm is written ``\\ln``, as the cost registry writes it. The setting
    ``decimals`` ({Rational: text}) writes those numbers as the decimals they were typed
    as (``0.5 (a - y)``, not ``\\frac{a - y}{2}``)."""

    _default_settings = {**LatexPrinter._default_settings, "decimals": {}}

    def __init__(self, settings=None):
        super().__init__({"ln_notation": True, **(settings or {})})

    def _print_Rational(self, expr):
        written = self._settings["decimals"].get(abs(expr))
        if written is None:
            return super()._print_Rational(expr)
        return "-" + written if expr < 0 else written

    def _print_Symbol(self, expr, style="plain"):
        return expr.name

    def parenthesize_super(self, s):
        """A power of a symbol: SymPy protects a name that has a superscript; a prime is
        one too (``x'_{1}^{2}`` is TeX's double superscript, ``z''^{2}`` latex2mathml's)."""
        if "'" in s and "^" not in s:
            return self._add_parens(s) if self._settings["parenthesize_super"] else "{%s}" % s
        return super().parenthesize_super(s)

    def _print_Elided(self, expr):
        return joined(self._print, expr, r"\cdots")

    def _as_ordered_terms(self, expr, order=None):
        """The terms of a sum in printing order, sorted once per sum: a long sum is
        printed whole and then cut term by term (:mod:`documents.breaking`)."""
        order = order or self.order
        if order == "old":
            return super()._as_ordered_terms(expr, order)
        if order == "none":
            return list(affine_last(super()._as_ordered_terms(expr, order)))
        return list(_ordered_terms(expr, order))

    def _print_Mul(self, expr):
        if not expr.is_Mul:  # SymPy prints a negative power (1/x) through _print_Mul
            return super()._print_Mul(expr)
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient.is_Rational and abs(coefficient) in self._settings["decimals"]:
            sign = "- " if coefficient < 0 else ""
            return sign + self._print(abs(coefficient)) + " " + self.parenthesize(
                rest, PRECEDENCE["Mul"], strict=True)
        factors = ordered_factors(expr)
        if factors[0] == -1:
            return "- " + self._print(sympy.Mul(*factors[1:], evaluate=False))
        saved = self._settings["order"]
        self._settings["order"] = "none"
        try:
            return super()._print_Mul(sympy.Mul(*factors, evaluate=False))
        finally:
            self._settings["order"] = saved


@functools.lru_cache(maxsize=4096)
def _ordered_terms(expr, order) -> tuple:
    """SymPy's order of the terms (see :func:`_sorted_terms`), with an affine sum's lone
    name last: Σ w·a + b as the lecture writes z, in closed forms too (``σ(w x + b)``,
    not SymPy's ``σ(b + w x)``), where every other term is a product."""
    return affine_last(_sorted_terms(expr, order))


def affine_last(terms) -> tuple:
    """The terms with the lone name of an affine sum moved last (see :func:`_ordered_terms`);
    an adjoint is no bias: a sum of adjoints keeps its order."""
    terms = tuple(terms)
    lone = [t for t in terms if t.is_Symbol and not _is_adjoint(t)]
    if len(lone) == 1 and len(terms) > 1 and all(t.is_Mul and not t.could_extract_minus_sign()
                                                 for t in terms if t is not lone[0]):
        return tuple(t for t in terms if t is not lone[0]) + (lone[0],)
    return terms


def _sorted_terms(expr, order) -> tuple:
    """SymPy's order of the terms, with the numbers in names read as numbers (y₂ before
    y₁₀): the terms are ordered as if every number in a name had four digits."""
    names = expr.free_symbols
    if not any(_LONG_NUMBER.search(s.name) for s in names):
        return tuple(expr.as_ordered_terms(order=order))
    padded = {s: sympy.Symbol(_NUMBER.sub(lambda m: m.group(0).zfill(4), s.name)) for s in names}
    renamed = {term.xreplace(padded): term for term in expr.args}
    if len(renamed) != len(expr.args):
        return tuple(expr.as_ordered_terms(order=order))
    return tuple(renamed[t] for t in sympy.Add(*renamed).as_ordered_terms(order=order))


_NUMBER = re.compile(r"\d+")
#: A name whose numbers do not all have one digit: only there does the padding change the order.
_LONG_NUMBER = re.compile(r"\d\d")


def affine(terms, bias, tex: bool = True) -> str:
    """z = Σ w·a + b in the order of its edges, the bias last, as the lecture writes it
    (``w_{11} x_{1} + w_{12} x_{2} + b_{1}``; text: ``w₁₁·x₁ + w₁₂·x₂ + b₁``)."""
    if tex:
        return " + ".join(["%s %s" % (w.name, a.name) for w, a in terms] + [bias.name])
    return " + ".join(["%s·%s" % (unicode_name(w.name), unicode_name(a.name)) for w, a in terms]
                      + [unicode_name(bias.name)])


def latex(expr, **settings) -> str:
    """LaTeX of a SymPy expression with this project's symbol names."""
    if not settings and isinstance(expr, sympy.Basic):
        if type(expr) is sympy.Symbol:
            return expr.name
        if expr.is_Mul and all(type(f) is sympy.Symbol and _LETTER.match(f.name) for f in expr.args):
            # a · δ, as the printer writes a product of names: in reading order, a space between
            return " ".join(f.name for f in ordered_factors(expr))
    return Latex(settings).doprint(expr)


#: A name the printer puts after another with a space only: not one SymPy reads as a
#: number (a digit, ``\frac{1}{2}``), after which it writes ``\cdot``.
_LETTER = re.compile(r"[A-Za-z]|\\(?!frac)")


_SUP = scripts.PRINTED_SUPERSCRIPT
_SUB = scripts.SUBSCRIPT | {",": ","}      # w₁,₁₀: the comma between two indices stays on the line
_WORDS = {r"\partial": "∂"} | greek.LETTERS


def _script(body: str, table: dict, mark: str) -> str:
    body = unicode_name(body)
    if all(ch in table or ch in table.values() for ch in body):  # z_{o_1} → zₒ₁
        return "".join(table.get(ch, ch) for ch in body)
    if table is _SUP and len(body) == 3 and body[0] + body[2] == "()" and body[1] in scripts.PRINTED_GATE:
        return "".join(scripts.PRINTED_GATE[ch] for ch in body)  # a gate's parameter: W⁽ᶠ⁾₁₁
    if body[:1] + body[-1:] in ("[]", "()"):  # bracket notation w^[2]₁₁; W^(Q)₁₁
        return mark + body
    return mark + (body if len(body) == 1 else "(" + body + ")")


_GROUP = r"\{((?:[^{}]|\{[^{}]*\})*)\}"
_PARTIAL = re.compile(r"\\frac\{\\partial ([^{}]*)\}" + r"\{\\partial (.*)\}")
#: An accent or a font command and its argument: a {group}, a Greek letter or a digit.
_ACCENT = re.compile("(%s)" % "|".join(re.escape(c) for c in [*accents.MARKS, *accents.FONTS, r"\operatorname"])
                     + r"(?![A-Za-z])\s*(?:" + _GROUP + r"|(\\[A-Za-z]+)|([0-9]))")
_SUP_GROUP = re.compile(r"\^" + _GROUP)
_SUB_GROUP = re.compile(r"_" + _GROUP)
_SUP_ONE = re.compile(r"\^([^{(\[])")   # "^(" is the fallback of a group written whole
_SUB_ONE = re.compile(r"_([^{(])")
#: Every word of _WORDS at once: they are disjoint and their characters have no backslash.
_WORD = re.compile("|".join(re.escape(word) + r"(?![A-Za-z])" for word in _WORDS))


@functools.lru_cache(maxsize=65536)
def unicode_name(name: str) -> str:
    """``w^{(2)}_{11}`` → ``w⁽²⁾₁₁``; ``\\frac{\\partial C}{\\partial z_{3}}`` → ``∂C/∂z₃``
    (a pure function of the name, so cached: a document converts each name once)."""
    m = _PARTIAL.fullmatch(name)
    if m:
        return "∂%s/∂%s" % (unicode_name(m.group(1)), unicode_name(m.group(2)))
    name = _ACCENT.sub(_accent, name)
    name = _SUP_GROUP.sub(lambda g: _script(g.group(1), _SUP, "^"), name)
    name = _SUB_GROUP.sub(lambda g: _script(g.group(1), _SUB, "_"), name)
    name = _SUP_ONE.sub(lambda g: _script(g.group(1), _SUP, "^"), name)
    name = _SUB_ONE.sub(lambda g: _script(g.group(1), _SUB, "_"), name)
    name = _WORD.sub(lambda g: _WORDS[g.group(0)], name)
    return name.replace("\\", "")


def _accent(g) -> str:
    """An accent as its combining mark after the argument (ŷ); a font, the argument."""
    command, argument = g.group(1), unicode_name(next(a for a in g.groups()[1:] if a is not None))
    return argument + accents.MARKS.get(command, "")


class Text(StrPrinter):
    """Readable one-line Unicode: σ′(z⁽¹⁾₁)·(w⁽²⁾₁₁·δ⁽²⁾₁ + …); ``decimals`` as for
    :class:`Latex`."""

    _default_settings = {**StrPrinter._default_settings, "decimals": {}}
    #: our functions' ``_sympystr`` (SymPy's own string of them: the REPL's) is not this
    #: printer's: it writes them with Unicode scripts by its ``_print_X`` methods
    printmethod = "_symbackprop_text"

    def _print_Rational(self, expr):
        written = self._settings["decimals"].get(abs(expr))
        if written is None:
            return super()._print_Rational(expr)
        return "-" + written if expr < 0 else written

    def _print_Symbol(self, expr):
        return unicode_name(expr.name)

    def _fname(self, expr):
        return expr.activation.text

    def _print_ActivationFunction(self, expr):
        return "%s(%s)" % (self._fname(expr), self._print(expr.args[0]))

    def _print_ActivationPrime(self, expr):
        return "%s′(%s)" % (self._fname(expr), self._print(expr.args[0]))

    def _print_Elided(self, expr):
        return joined(self._print, expr, "⋯")

    def _as_ordered_terms(self, expr, order=None):
        """The terms of a sum in the order the LaTeX printer writes them (one order in
        every output)."""
        if (order or self.order) == "old":
            return super()._as_ordered_terms(expr, "old")
        terms = list(_ordered_terms(expr, None))
        positive = [t for t in terms if not t.could_extract_minus_sign()]
        if positive and terms[0] is not positive[0]:      # y - o, not -o + y
            terms.remove(positive[0])
            terms.insert(0, positive[0])
        return terms

    def _print_Step(self, expr):
        return "step(%s)" % self._print(expr.args[0])

    def _print_FirstArgmax(self, expr):
        """𝟏[x = max(x, y, …)]: 1 when x is the (first) maximum of its window."""
        return "𝟏[%s = max(%s)]" % (self._print(expr.member), ", ".join(self._print(x) for x in expr.window))

    def _print_Softmax(self, expr):
        return "softmax%s(%s)" % (_script(str(expr.args[0]), _SUB, "_"),
                                  ", ".join(self._print(z) for z in expr.args[1:]))

    def _print_Mul(self, expr):
        factors = ordered_factors(expr)
        if factors[0].is_Number and factors[0] < 0:
            rest = factors[1:] if factors[0] == -1 else [-factors[0]] + factors[1:]
            return "-" + self.parenthesize(sympy.Mul(*rest, evaluate=False), 40)
        over = [f.base if f.exp == -1 else sympy.Pow(f.base, -f.exp)
                for f in factors if f.is_Pow and f.exp.is_negative]
        top = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        text = "·".join(self.parenthesize(f, 40) for f in top) if top else "1"
        if len(over) == 1:
            text += "/" + self.parenthesize(over[0], 50)
        elif over:
            text += "/(" + "·".join(self.parenthesize(f, 40) for f in over) + ")"
        return text

    def _print_log(self, expr):
        return "ln(%s)" % self._print(expr.args[0])

    def _print_Pow(self, expr):
        """Small whole powers as superscripts: (a − y)², e⁻¹ stays for the product printer."""
        exp = expr.exp
        if exp.is_Integer and 2 <= exp <= 9:
            return self.parenthesize(expr.base, 60) + scripts.superscript(exp)
        return super()._print_Pow(expr)


# StrPrinter dispatches on the class name; the activation classes are made at run time,
# so route every subclass to the two generic methods.
def _dispatch_generic(printer_class):
    original = printer_class._print

    def _print(self, expr, **kwargs):
        if isinstance(expr, ActivationFunction):
            return self._print_ActivationFunction(expr)
        if isinstance(expr, ActivationPrime):
            return self._print_ActivationPrime(expr)
        return original(self, expr, **kwargs)
    printer_class._print = _print


_dispatch_generic(Text)


def text(expr, **settings) -> str:
    """One-line Unicode text of a SymPy expression."""
    return Text({"order": "none", **settings}).doprint(expr)


__all__ = ["affine", "latex", "text", "unicode_name", "Latex", "Text", "Softmax", "Step"]
