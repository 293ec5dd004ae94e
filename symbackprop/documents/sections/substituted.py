"""The numbers, step by step: each formula three ways, as a worked example writes it.

    symbol = formula in symbols = the same formula with the numbers substituted = result

(``z_{h_1} = w_1 i_1 + w_2 i_2 + b_1 = 0.15 · 0.05 + 0.2 · 0.1 + 0.35 = 0.3775``), for the
forward pass, the cost, every ∂C/∂a of the output layer, every δ (any graph: every
adjoint) and every gradient. An amplifier σ′(z) is substituted by its value (the
amplifier table gives it), so that each line is arithmetic a reader can redo on a
calculator. Every number goes through :func:`numbers.number` (six significant digits);
a negative one is put in parentheses. A formula that is one symbol (∂C/∂b = δ) or a
constant has no middle line.

:func:`numbers_section` adds the section to a document (layered or any graph);
:func:`annotate` adds ``substituted`` to the formulas of the JSON document.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from ...ops.activations import ActivationPrime
from ...errors import PointError, RenderError
from ...numeric.values import resolve_point
from ...notation.printing import Latex, Text, ordered_factors, text, unicode_name
from .. import breaking
from ..model import Equations, Heading, M, Math, Row
from ..numbers import number


def prime_value(act, z, exact: bool):
    """σ′(z) at the number z: exactly when z is exact and the activation can, else in floats."""
    system = "exact" if exact and "exact" in act.numeric else "float"
    return act.numeric[system][1](z if system == "exact" else float(z))


def _prime_values(expr, numbers: dict) -> dict:
    """{σ′(z): its value} for every amplifier of ``expr`` whose argument has a value."""
    out = {}
    for prime in expr.atoms(ActivationPrime):
        v = _argument_value(prime.args[0], numbers)
        if v is not None:
            exact = not isinstance(v, float)
            out[prime] = prime_value(prime.activation, v, exact and "exact" in prime.activation.numeric)
    return out


def _argument_value(arg, numbers: dict):
    """The value of σ′'s argument: a named node's, or a formula's of named values (exact
    when they all are), else None."""
    if arg in numbers:
        return numbers[arg]
    if not arg.free_symbols or not all(s in numbers for s in arg.free_symbols):
        return None
    values = {s: numbers[s] for s in arg.free_symbols}
    if all(not isinstance(v, float) for v in values.values()):
        exact = arg.xreplace({s: sympy.Rational(str(v)) for s, v in values.items()})
        if exact.is_Rational:
            return Fraction(int(exact.p), int(exact.q))
    value = arg.xreplace({s: sympy.Float(float(v), 30) for s, v in values.items()})
    return float(value) if value.is_number and value.is_real else None


def parenthesized(value, latex: bool, bare: bool = False) -> str:
    """A number as a factor or a term: a negative one in parentheses (unless ``bare``,
    the argument of a function, which has its own)."""
    n = number(value)
    if bare:
        return n.latex if latex else n.text
    if latex:
        return "(%s)" % n.latex if n.latex.startswith("{-") else n.latex   # ({-0.5}): a unary minus
    return "(%s)" % n.text if n.text.startswith("-") else n.text


class _Numbers:
    """Mixin: a symbol or amplifier with a value prints as that value."""

    def __init__(self, values: dict, settings):
        super().__init__(settings)
        self.values = values
        self._outer: list = []

    def _print(self, expr, **kwargs):
        if isinstance(expr, (sympy.Symbol, ActivationPrime)) and expr in self.values:
            bare = bool(self._outer) and isinstance(self._outer[-1], sympy.Function)
            return parenthesized(self.values[expr], isinstance(self, Latex), bare)
        self._outer.append(expr)
        try:
            return super()._print(expr, **kwargs)
        finally:
            self._outer.pop()


class _Latex(_Numbers, Latex):
    pass


class _Text(_Numbers, Text):
    pass


class Substitution:
    """Prints expressions with the numbers of one point in place of their symbols."""

    def __init__(self, numbers: dict):
        self.numbers = numbers

    def _values(self, expr) -> dict:
        values = {s: self.numbers[s] for s in expr.free_symbols if s in self.numbers}
        values.update(_prime_values(expr, self.numbers))
        return values

    def latex(self, expr) -> str:
        return _Latex(self._values(expr), {"mul_symbol": "dot"}).doprint(expr)

    def text(self, expr) -> str:
        return _Text(self._values(expr), {"order": "none"}).doprint(expr)

    def tokens(self, expr) -> list:
        """The substituted expression as tokens for :func:`breaking.lines`: cut at the
        terms of a sum and the factors of a product when it is too wide for one line."""
        printer = _Latex(self._values(expr), {"mul_symbol": "dot"})
        tex = printer.doprint(expr)
        if _width(tex) <= breaking.LINE_WIDTH:
            return [_atom(tex)]
        return _cut(printer, expr, 0)

    def worth_showing(self, expr) -> bool:
        """Whether the middle line says more than the result: not for a constant, a
        lone symbol (∂C/∂b = δ) or a lone amplifier (∂f/∂z = σ′(z))."""
        return not (expr.is_Number or expr.is_Symbol or isinstance(expr, ActivationPrime))


#: Digits print wider than :func:`breaking.width` counts letters; numbers lines are
#: measured this much wider, so that they break before they reach the margin.
NUMBER_WIDTH = 1.1


def _width(tex: str) -> float:
    return NUMBER_WIDTH * breaking.width(tex)


def _atom(tex: str) -> breaking.Token:
    return breaking.Token(tex, _width(tex))


def _cut(printer, expr, depth: int) -> list:
    tex = printer.doprint(expr)
    if _width(tex) <= breaking.ATOM_WIDTH or not (expr.is_Add or expr.is_Mul):
        return [_atom(tex)]
    out = []
    if expr.is_Add:
        for i, term in enumerate(printer._as_ordered_terms(expr)):
            negative = term.could_extract_minus_sign()
            toks = _cut(printer, -term if negative else term, depth + 1)
            if i > 0 or negative:
                first = toks[0]
                toks[0] = breaking.Token(("- " if negative else "+ ") + first.latex, first.width + 2,
                                         i > 0, depth)
            out += toks
        return out
    factors = ordered_factors(expr)
    if any(f.is_Pow and f.exp.is_negative for f in factors):
        return [_atom(tex)]
    sign = ""
    if factors[0].is_Number and factors[0] < 0:
        sign, factors = "- ", ([-factors[0]] if factors[0] != -1 else []) + factors[1:]
    for i, factor in enumerate(factors):
        if factor.is_Add:
            toks = _cut(printer, factor, depth + 1)
            first, last = toks[0], toks[-1]
            toks[0] = breaking.Token(r"\bigl( " + first.latex, first.width + 1, first.breakable,
                                     first.depth, first.lead, first.join)
            toks[-1] = breaking.Token(toks[-1].latex + r" \bigr)", last.width + 1, last.breakable,
                                      last.depth, last.lead, last.join)
        else:
            toks = [_atom(printer.doprint(factor))]
        if i > 0:
            first = toks[0]
            toks[0] = breaking.Token(r"\cdot " + first.latex, first.width + 1, True, depth + 0.5)
        out += toks
    if sign:
        first = out[0]
        out[0] = breaking.Token(sign + first.latex, first.width + 2, first.breakable, first.depth,
                                first.lead, first.join)
    return out


# --- the document section --------------------------------------------------------------

def values_for(story):
    """(numbers, note): the values the section substitutes; a mini-batch shows its
    first example. An error when the spec lacks values: --numbers has nothing to show."""
    d = story.d
    if story.values is not None:
        return story.values.numbers, None
    graph = d.graph
    if graph.points:
        return d.evaluate(graph.points[0]).numbers, len(graph.points)
    try:
        resolve_point(graph, story.point)
    except PointError as exc:
        raise RenderError(f"--numbers needs a value for every input, target and parameter: {exc}") from None
    raise RenderError("--numbers: the point cannot be evaluated")  # pragma: no cover


class _Pending:
    """A row ``lhs = symbols = numbers = value`` whose lines are set once its group is
    known: one line when every row of the group fits, else in each row the symbols on
    their own line(s) and the arithmetic ``= numbers = value`` starting a line of its own,
    as a worked example sets it (the same layout for the whole group)."""

    def __init__(self, lhs: Math, symbolic: list, numbers: list, text_rhs: str, value):
        self.lhs, self.symbolic, self.numbers = lhs, symbolic, numbers
        self.tail = [] if value is None else [[breaking.atom(number(value).latex)]]
        self.text = " = ".join([text_rhs] + ([number(value).text] if value is not None else []))
        self.whole = breaking.equals([symbolic, numbers] + self.tail)

    @property
    def fits(self) -> bool:
        return sum(t.width for t in self.whole) <= breaking.LINE_WIDTH

    def row(self, split: bool) -> Row:
        if not split:
            return Row(self.lhs, tuple(breaking.lines(self.whole)), self.text)
        arithmetic = breaking.equals([self.numbers] + self.tail)
        first = arithmetic[0]
        arithmetic[0] = breaking.Token("= " + first.latex, first.width + 2, first.breakable, first.depth,
                                       first.lead, first.join)
        return Row(self.lhs, tuple(breaking.lines(self.symbolic)) + tuple(breaking.lines(arithmetic)), self.text)


def three_ways(story, sub: Substitution, lhs: Math, expr, value):
    """A row ``lhs = expr = expr with numbers = value`` (a :class:`_Pending`), or a plain
    row when the numbers would only repeat the value."""
    if expr.is_Number:      # ∂f/∂f = 1: nothing to compute
        value = None
    if not sub.worth_showing(expr):
        return story.row(lhs, [breaking.tokens(expr)], text(expr), value)
    return _Pending(lhs, breaking.tokens(expr), sub.tokens(expr), text(expr) + " = " + sub.text(expr), value)


def block(*groups) -> Equations:
    """One displayed block; within each group the rows share one layout."""
    rows = []
    for group in groups:
        split = not all(r.fits for r in group if isinstance(r, _Pending))
        rows += [r.row(split) if isinstance(r, _Pending) else r for r in group]
    return Equations(tuple(rows))


def worked(story, sub: Substitution, f):
    """A formula's row three ways (see :func:`three_ways`)."""
    return three_ways(story, sub, M(f.symbol), story.shown(f.expr), sub.numbers.get(f.symbol))


def affine_row(sub: Substitution, f):
    """z = Σ w·a + b in the order of its edges (as the forward pass writes it)."""
    node = f.derivation.graph.nodes[f.symbol]
    sym_toks, num_toks, sym_txt, num_txt = [], [], [], []
    for i, (w, a) in enumerate(list(node.terms) + [(node.bias, None)]):
        s = w.name if a is None else "%s %s" % (w.name, a.name)
        n = parenthesized(sub.numbers[w], True) if a is None else \
            r"%s \cdot %s" % (parenthesized(sub.numbers[w], True), parenthesized(sub.numbers[a], True))
        plus = "+ " if i else ""
        sym_toks.append(breaking.Token(plus + s, breaking.width(s) + (2 if i else 0), i > 0, 0))
        num_toks.append(breaking.Token(plus + n, _width(n) + (2 if i else 0), i > 0, 0))
        sym_txt.append(unicode_name(w.name) if a is None else "%s·%s" % (unicode_name(w.name), unicode_name(a.name)))
        num_txt.append(parenthesized(sub.numbers[w], False) if a is None else
                       "%s·%s" % (parenthesized(sub.numbers[w], False), parenthesized(sub.numbers[a], False)))
    return _Pending(Math(f.symbol.name, unicode_name(f.symbol.name)), sym_toks, num_toks,
                    " + ".join(sym_txt) + " = " + " + ".join(num_txt), sub.numbers[f.symbol])


def numbers_section(story) -> None:
    """The section "The numbers, step by step" (with ``numbers=True``; else nothing). The
    story gives its blocks: ``forward_numbers``, ``backward_numbers`` (lists of
    :class:`Equations`, see :func:`block`) and ``worked_gradients`` (formulas)."""
    if not story.numbers:
        return
    numbers, examples = values_for(story)
    sub = Substitution(numbers)
    story.add(Heading("The numbers, step by step"))
    parts = ["Each formula three ways: in symbols, with the numbers substituted, and its value "
             "(to six significant digits); an amplifier ", Math(r"\sigma'(z)", "σ′(z)"),
             " is replaced by its value."]
    if examples:
        parts.append(" The mini-batch's first example of %d is shown; the others follow the same lines." % examples)
    story.p(*parts)
    story.add(Heading("Forward pass, with numbers", 2))
    story.add(*story.forward_numbers(sub))
    story.add(Heading("Backward pass, with numbers", 2))
    story.add(*story.backward_numbers(sub))
    story.add(Heading("Gradients, with numbers", 2))
    story.add(block(*([worked(story, sub, f)] for f in story.worked_gradients())))


def annotate(document: dict, derivation, *, point=None, numbers: bool = False) -> None:
    """With ``numbers``, every formula of the JSON document gets ``substituted``:
    {``latex``, ``text``} of its right-hand side with the numbers in place (null for a
    lone symbol or a constant)."""
    if not numbers:
        return
    graph = derivation.graph
    if graph.runs_examples(point):
        values = derivation.evaluate(graph.points[0]).numbers
    else:
        try:
            resolve_point(graph, point)
        except PointError as exc:
            raise RenderError(f"--numbers needs a value for every input, target and parameter: {exc}") from None
        values = derivation.evaluate(point).numbers
    sub = Substitution(values)
    for entry, f in zip(document["formulas"], derivation.formulas):
        entry["substituted"] = ({"latex": sub.latex(f.expr), "text": sub.text(f.expr)}
                                if sub.worth_showing(f.expr) else None)


__all__ = ["Substitution", "affine_row", "annotate", "block", "numbers_section", "parenthesized", "prime_value",
           "three_ways", "worked"]
