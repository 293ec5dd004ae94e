"""The reader: tokens of an answer → a SymPy expression, by recursive descent.

The grammar is the notation of hand-derived backprop answers, LaTeX or plain text::

    answer  := side (('=' | \\approx) side)*
    side    := [\\approx] expr                     (\\approx only before a number)
    expr    := ['+'|'-'] term (('+'|'-') term)*
    term    := product ((\\odot | \\circ) product)*           (entry by entry, vectors)
    product := signed (('*' | \\cdot | \\times | '/' | \\div) signed | power)*   (juxtaposition multiplies)
    signed  := ('+'|'-') signed | power
    power   := atom [^T | ^\\top] [('^' | '**') exponent]
    atom    := number | name | '(' expr ')' | '[' expr ']' | '{' expr '}'
             | \\frac{…}{…} | \\sqrt{…} | function [primes] [^n] argument | \\dot function argument
             | \\partial name   (only as ∂X/∂Y: ∂C/∂y is the adjoint of y; d-notation too)
             | (\\sum | \\prod)_index[^bound] product          (see :mod:`sums`)
             | \\mathbb{1}[x > y] | \\nabla_a C | \\num{number}

Before tokens, the text is prepared (:func:`lexer.prepare`: comments, ``\\[…\\]``, a
closing full stop, Unicode super- and subscripts) and d-notation is rewritten as ∂
(:mod:`dnotation`); every error position is mapped back to what was typed.

Numbers are exact rationals (``0.5`` is 1/2, ``2e-3`` is 1/500); each side remembers the
literal it is (:func:`number_literal`: also ``2.93 \\times 10^{-1}`` and ``\\num{0.2928}``),
so that a number answer is compared to the precision written. Names are
resolved by :class:`names.Vocabulary` (with a whole layer's vector or matrix for a
whole-layer question, :mod:`matrices`). Functions are σ (the network's activation), every
activation by the registry's names (:data:`activations.READER_NAMES`) and the network's
own (custom) activations by theirs, exp, e^{…}, ln, log (natural), sqrt, step, H, max,
min, cosh, sinh, sech (sech² is tanh′), diag; a prime on a function is its derivative
(σ′(z) is the amplifier of the reversed network). Every SymPy object is built here from
tokens: no text reaches ``sympify``, ``parse_expr``, ``eval`` or ``exec``.

Limits: nesting deeper than :data:`MAX_DEPTH`, exponents above :data:`MAX_EXPONENT`,
numbers of more than :data:`MAX_BITS` bits and sums that read more than
:data:`sums.MAX_WORK` tokens are errors, so that no answer can make the reader (or SymPy
after it) work for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.core.parameters import evaluate

from ..ops import activations
from .lexer import AnswerReadError, AnswerShapeError, Token, clip, prepare, quote, tokenize
from .names import GREEK, MAX_ENTRIES, WRAPPERS, ACCENTS, read_written
from . import matrices
from .dnotation import d_notation
from .sums import _BIG, MAX_INDEX, MAX_WORK, Sums  # noqa: F401 (limits re-exported)


#: Deepest nesting, counted in expressions, signs and atoms (a bracket costs two).
MAX_DEPTH = 100
#: Largest numeric exponent.
MAX_EXPONENT = 64
#: Largest number, in bits, that a power of numbers may produce.
MAX_BITS = 4096

#: The matrix environments read as a matrix written out.
_MATRICES = ("pmatrix", "bmatrix", "matrix", "Bmatrix")
_FRACS = {r"\frac", r"\dfrac", r"\tfrac", r"\cfrac"}
_TIMES = {r"\cdot", r"\times", r"\ast"}
_OPEN = {"(": ")", "[": "]", "{": "}", r"\{": r"\}", r"\lbrack": r"\rbrack", r"\lparen": r"\rparen"}
_UNSUPPORTED = {
    r"\otimes": "write an outer product as a column times a row, as in \\delta^{(2)} (a^{(1)})^T",
    r"\int": "integrals have no place in a gradient",
    r"\lim": "limits have no place in a gradient",
}
# Function names, written as a command or a word (case-insensitive for words).
_FUNCTIONS = {
    r"\sigma": "sigma", "sigma": "sigma",
    r"\exp": "exp", "exp": "exp", r"\ln": "log", "ln": "log", r"\log": "log", "log": "log",
    r"\sqrt": "sqrt", "sqrt": "sqrt", r"\max": "max", "max": "max", r"\min": "min", "min": "min",
    "step": "step", "heaviside": "step", r"\cosh": "cosh", "cosh": "cosh", r"\sinh": "sinh",
    "sinh": "sinh", "sech": "sech", r"\sech": "sech", "diag": "diag",
}
# Activations are named by the registry (activations.READER_NAMES) and by the network's
# own (custom) activations; these are what they are not.
_HADAMARD = {r"\odot", r"\circ"}
_INDICATOR = {r"\mathbb", r"\mathbf", r"\mathds", r"\mathbbm", r"\boldsymbol", r"\bm"}
_COMPARE = {">": ">", "<": "<", r"\gt": ">", r"\lt": "<", r"\geq": ">", r"\ge": ">",
            r"\leq": "<", r"\le": "<", r"\geqslant": ">", r"\leqslant": "<"}
_TRANSPOSE = {"T", r"\top", r"\intercal", r"\mathsf{T}", r"\mathrm{T}", r"\mathsf T"}


@dataclass
class Partial:
    """``∂X`` on its way to becoming ∂X/∂Y; never part of a finished expression."""

    of: sympy.Symbol
    position: int


class Reader(Sums):
    """One answer being read against a :class:`names.Vocabulary`."""

    def __init__(self, vocabulary, text: str):
        self.vocabulary = vocabulary
        self.typed = text
        self.text, self.origin = prepare(text)
        try:
            self.tokens: list[Token] = d_notation(tokenize(self.text, limit=8 * len(text) + 16))
        except AnswerReadError as exc:
            if exc.text == self.text:
                exc.position, exc.text = self.where(exc.position), text
            raise
        self.i = 0
        self.depth = 0
        #: where each network symbol was first written (for later errors)
        self.positions: dict = {}
        #: the index letters of the sums being read → their current value
        self.bindings: dict[str, int] = {}
        #: index letter → [names found, names missing] while an unbounded range is probed
        self.probing: dict[str, list] = {}
        self.work = 0
        #: for every side of the answer, the number literal it is (as written), or None
        self.literals: list = []
        #: when reading as written: {product: its factors in the order they were written}
        self.factors: dict | None = None

    def where(self, position: int) -> int:
        """The offset in the typed answer of an offset in the prepared text."""
        if not self.origin:
            return position
        return self.origin[max(0, min(position, len(self.origin) - 1))]

    # --- helpers ------------------------------------------------------------------------

    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, position: int | None = None):
        return AnswerReadError(message, self.peek.position if position is None else position,
                               self.text)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("the answer is nested too deeply (more than "
                             f"{MAX_DEPTH // 2} levels of brackets, signs or functions)")

    def leave(self):
        self.depth -= 1

    def expect(self, kind: str, opener: Token | None = None):
        tok = self.peek
        if tok.kind == kind or (tok.kind == "CMD" and tok.text == kind):
            self.i += 1
            return tok
        if opener is not None and tok.kind == "END":
            raise self.error(f"unbalanced {quote(opener.text)}: it is never closed", opener.position)
        if opener is not None:
            raise self.error(f"expected {quote(kind)} to close the {quote(opener.text)} at column "
                             f"{opener.position + 1}, found {tok.show()}")
        raise self.error(f"expected {quote(kind)}, found {tok.show()}")

    def finished(self, value, position):
        if isinstance(value, Partial):
            raise self.error("∂ must be written as a derivative: ∂C/∂x or "
                             r"\frac{\partial C}{\partial x}", value.position)
        return value

    # --- grammar ------------------------------------------------------------------------

    def read(self) -> list:
        """Every side of the answer (one unless it is a chain a = b = … or a ≈ number)."""
        parts = [self.side()]
        while self.peek.kind == "=" or _is(self.peek, r"\approx"):
            self.i += 1
            parts.append(self.side())
        tok = self.peek
        if tok.kind != "END":
            if tok.kind in (")", "]", "}") or (tok.kind == "CMD" and tok.text in (r"\}", r"\rbrack")):
                raise self.error(f"unbalanced {quote(tok.text)}: nothing opens it")
            raise self.error(f"unexpected {tok.show()}")
        return parts

    def side(self):
        approx = self.peek
        if _is(approx, r"\approx"):      # \approx 0.2928: a number to the digits written
            self.i += 1
        start = self.i
        value = self.expr()
        literal = number_literal(self.tokens[start:self.i])
        if literal is None and _is(approx, r"\approx"):
            raise self.error(r"\approx introduces a number, as in \approx 0.2928", approx.position)
        self.literals.append(literal)
        return value

    def expr(self):
        self.enter()
        start = self.peek.position
        terms = []
        sign = 1
        if self.peek.kind in ("+", "-"):
            sign = -1 if self.peek.kind == "-" else 1
            self.i += 1
        while True:
            position = self.peek.position
            term = self.finished(self.term(), position)
            terms.append(term if sign > 0 else -term)
            if self.peek.kind not in ("+", "-"):
                break
            sign = -1 if self.peek.kind == "-" else 1
            self.i += 1
        self.leave()
        if not terms:
            raise self.error("expected an expression", start)
        if any(matrices.is_matrix(t) for t in terms):
            return matrices.add(terms, self.error(_SHAPES, start))
        return sympy.Add(*terms)

    def _explicit(self, tok: Token):
        if tok.kind in ("*",) or (tok.kind == "CMD" and tok.text in _TIMES):
            return "*"
        if tok.kind == "/" or (tok.kind == "CMD" and tok.text == r"\div"):
            return "/"
        return None

    def _starts_atom(self, tok: Token) -> bool:
        if tok.kind in ("NUM", "WORD", "(", "["):
            return True
        if tok.kind == "{":
            return True
        if tok.kind == "CMD":
            return tok.text not in _TIMES and tok.text not in _HADAMARD and tok.text not in _COMPARE \
                and tok.text not in (r"\div", r"\}", r"\rbrack", r"\rparen", r"\approx", "\\\\", r"\end")
        return False

    def term(self):
        start = self.peek
        groups = [self.product()]
        while self.peek.kind == "CMD" and self.peek.text in _HADAMARD:
            self.i += 1
            groups.append(self.product())
        if len(groups) == 1:
            return groups[0]
        groups = [self.finished(g, start.position) for g in groups]
        return matrices.hadamard(groups, self.error(_SHAPES, start.position))

    def product(self):
        factors: list = []     # (value, inverted)
        first = self.signed()
        factors.append((first, False))
        while True:
            tok = self.peek
            op = self._explicit(tok)
            if op is not None:
                self.i += 1
                value = self.signed()
                if op == "/" and isinstance(value, Partial):
                    prev, inverted = factors[-1]
                    if not isinstance(prev, Partial) or inverted:
                        raise self.error("∂ in a denominator needs ∂X above it", value.position)
                    factors[-1] = (self.derivative(prev.of, value.of, prev.position), False)
                    continue
                factors.append((value, op == "/"))
            elif self._starts_atom(tok):
                factors.append((self.power(), False))
            else:
                break
        if len(factors) == 1:
            return factors[0][0]
        out = []
        for value, inverted in factors:
            value = self.finished(value, self.peek.position)
            if inverted:
                if matrices.is_matrix(value):
                    raise self.error("division by a vector or matrix", tok.position)
                if value == 0:
                    raise self.error("division by zero", tok.position)
                value = sympy.Pow(value, -1)
            out.append(value)
        if any(matrices.is_matrix(v) for v in out):
            return matrices.multiply(out, self.error(_SHAPES, tok.position))
        product = sympy.Mul(*out)
        if self.factors is not None:
            self.factors[product] = tuple(out)
        return product

    def signed(self):
        tok = self.peek
        if tok.kind in ("+", "-"):
            self.enter()
            self.i += 1
            value = self.finished(self.signed(), tok.position)
            self.leave()
            return -value if tok.kind == "-" else value
        return self.power()

    def power(self):
        base = self.atom()
        tok = self.peek
        if tok.kind == "^" and matrices.is_matrix(base):
            after = self._transpose_mark()
            if after is not None:
                self.i = after
                base = base.T
                tok = self.peek
        if tok.kind in ("^", "**"):
            self.i += 1
            if matrices.is_matrix(base):
                raise self.error("a power of a vector or matrix: write products out, or ⊙ "
                                 "for entry by entry", tok.position)
            exponent = self.exponent()
            base = self.make_power(self.finished(base, tok.position), exponent, tok.position)
            if self.peek.kind in ("^", "**"):
                raise self.error("a second exponent: use braces, as in {a^b}^c")
        return base

    def _transpose_mark(self):
        """The index after a transpose mark at ^ (^T, ^{T}, ^\\top, ^{\\mathsf{T}}), or None."""
        t, i = self.tokens, self.i + 1
        if t[i].kind == "{":
            depth, j = 1, i + 1
            while depth and t[j].kind != "END":
                depth += {"{": 1, "}": -1}.get(t[j].kind, 0)
                j += 1
            inner = "".join(x.text for x in t[i + 1:j - 1] if x.kind not in "{}")
            return j if inner in ("T", r"\top", r"\intercal", r"\mathsfT", r"\mathrmT") else None
        if (t[i].kind == "WORD" and t[i].text == "T") or (t[i].kind == "CMD" and t[i].text in _TRANSPOSE):
            return i + 1
        return None

    def exponent(self):
        tok = self.peek
        if tok.kind in ("-", "+"):
            self.enter()
            self.i += 1
            value = self.exponent()
            self.leave()
            return -value if tok.kind == "-" else value
        if tok.kind == "NUM":
            self.i += 1
            return _number(tok.text)
        if tok.kind == "'":
            raise self.error("a prime after a superscript: write it before, as in σ'(z)")
        return self.finished(self.atom(), tok.position)

    def make_power(self, base, exponent, position):
        if exponent.is_Number:
            if abs(exponent) > MAX_EXPONENT:
                raise self.error(f"the exponent {exponent} is too large (at most {MAX_EXPONENT})",
                                 position)
            if base.is_Number and base != 0:
                if base.is_Rational:
                    bits = max(abs(base.p).bit_length(), abs(base.q).bit_length())
                else:
                    bits = 64
                if bits * abs(float(exponent)) > MAX_BITS:
                    raise self.error("the number is too large", position)
            if base == 0 and exponent.is_negative:
                raise self.error("division by zero", position)
        return sympy.Pow(base, exponent)

    def atom(self):
        self.enter()
        try:
            return self._atom()
        finally:
            self.leave()

    def _atom(self):
        tok = self.peek
        kind = tok.kind
        if kind == "NUM":
            self.i += 1
            return _number(tok.text)
        if kind in ("(", "[", "{") or (kind == "CMD" and tok.text in _OPEN):
            return self.group()
        if kind == "WORD":
            named = self.function_named(tok.text)
            if named is not None:
                return self.function(named, tok)
            if tok.text == "H" and self.tokens[self.i + 1].kind == "(":
                return self.function("step", tok)
            return self.name()
        if kind == "CMD":
            command = tok.text
            if command in _FRACS:
                return self.fraction()
            if command == r"\partial":
                return self.partial()
            if command in _BIG:
                return self.big(command)
            if command == r"\dot":
                return self.dotted()
            if command == r"\nabla":
                return self.gradient()
            if command == r"\num":
                return self.siunitx_number()
            if command == r"\begin":
                return self.matrix()
            if command in _INDICATOR and self._indicator_one():
                return self.indicator()
            named = self.function_named(command)
            if named is not None and not (command in GREEK and (self.tokens[self.i + 1].kind == "_"
                                                                or self._tagged_name())):
                return self.function(named, tok)
            if command in WRAPPERS:
                word = self._wrapped_word()
                named = self.function_named(word) if word is not None else None
                if named is not None:
                    self.i += 4
                    return self.function(named, tok, skip=False)
                return self.name()
            if command in ACCENTS or command in GREEK:
                return self.name()
            if command in _UNSUPPORTED:
                raise self.error(f"{command} is not supported: {_UNSUPPORTED[command]}")
            if command in _TIMES or command == r"\div":
                raise self.error(f"{command} needs something to multiply on its left")
            if command == r"\approx":
                raise self.error(r"\approx stands before a number, or between a formula and its value")
            raise self.error(f"unknown command {clip(command)}")
        if kind == "END":
            raise self.error("the answer ends where an expression was expected")
        if kind in (")", "]", "}"):
            raise self.error(f"unbalanced {quote(tok.text)}: nothing opens it"
                             if self._unopened(tok) else f"expected an expression before {quote(tok.text)}")
        raise self.error(f"unexpected {tok.show()}")

    def _unopened(self, tok: Token) -> bool:
        opener = {")": "(", "]": "[", "}": "{"}[tok.kind]
        depth = 0
        for t in self.tokens[: self.i]:
            if t.kind == opener:
                depth += 1
            elif t.kind == tok.kind:
                depth -= 1
        return depth <= 0

    def _tagged_name(self) -> bool:
        """Whether the Greek letter here starts a name with a tagged layer, as a batch
        norm's variance \\sigma^{2(1)}_{1} (not the function σ)."""
        try:
            written, _ = read_written(self.tokens, self.i, self.text, self.bindings)
        except AnswerReadError:
            return False
        return isinstance(written.layer, tuple)

    def _wrapped_word(self):
        """The word in \\operatorname{word} (or \\mathrm …) at the current token, if any."""
        t = self.tokens
        if t[self.i + 1].kind == "{" and t[self.i + 2].kind == "WORD" and t[self.i + 3].kind == "}":
            return t[self.i + 2].text
        return None

    def group(self):
        opener = self.peek
        closer = _OPEN.get(opener.text, {"(": ")", "[": "]", "{": "}"}.get(opener.kind))
        self.i += 1
        if self.peek.kind == "END":
            raise self.error(f"unbalanced {quote(opener.text)}: it is never closed", opener.position)
        if self.peek.kind == "CMD" and self.peek.text == r"\partial":
            value = self.partial()
        else:
            value = self.expr()
        self.expect(closer, opener)
        return value

    def _environment(self, command: str) -> str:
        """The name in ``\\begin{name}`` or ``\\end{name}`` (the command already read)."""
        opener = self.peek
        self.expect("{")
        if self.peek.kind != "WORD":
            raise self.error(f"expected an environment's name after {command}")
        name = self.peek.text
        self.i += 1
        self.expect("}", opener)
        return name

    def matrix(self):
        """A matrix written out: ``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` (also
        bmatrix and matrix); a column is one entry per row."""
        begin = self.peek
        self.i += 1
        kind = self._environment(r"\begin")
        if kind not in _MATRICES:
            raise self.error(f"the environment {quote(kind)} is not read; write a matrix as "
                             r"\begin{pmatrix} … \end{pmatrix} or bmatrix", begin.position)
        rows, row = [], []
        while True:
            if self.peek.kind == "END":
                raise self.error(rf"\begin{{{kind}}} is never closed by \end{{{kind}}}", begin.position)
            entry = self.expr()
            if matrices.is_matrix(entry):
                raise self.error("a matrix entry is itself a vector or matrix", begin.position)
            row.append(entry)
            tok = self.peek
            if tok.kind == "&":
                self.i += 1
                continue
            if tok.kind == "CMD" and tok.text == "\\\\":
                self.i += 1
                rows.append(row)
                row = []
                if self.peek.kind == "CMD" and self.peek.text == r"\end":
                    break
                continue
            if tok.kind == "CMD" and tok.text == r"\end":
                rows.append(row)
                break
            if tok.kind == "END":
                raise self.error(rf"\begin{{{kind}}} is never closed by \end{{{kind}}}", begin.position)
            raise self.error(f"expected &, \\\\ or \\end{{{kind}}} in the matrix, got {tok.show()}")
        self.i += 1
        if self._environment(r"\end") != kind:
            raise self.error(rf"\begin{{{kind}}} is closed by another environment", begin.position)
        if any(len(r) != len(rows[0]) for r in rows):
            sizes = ", ".join(str(len(r)) for r in rows)
            raise self.error(f"the rows of the matrix have different lengths ({sizes})", begin.position)
        if len(rows) * len(rows[0]) > MAX_ENTRIES:
            raise self.error(f"matrix answers are read up to {MAX_ENTRIES} entries", begin.position)
        return sympy.ImmutableMatrix(rows)

    def name(self):
        tok = self.peek
        written, self.i = read_written(self.tokens, self.i, self.text, self.bindings)
        probed = [k for k in written.indices if k in self.probing]
        try:
            sym, power = self.vocabulary.resolve(written, self.text)
        except AnswerShapeError:
            raise
        except AnswerReadError:
            if written.base == "e" and written.sub is None and written.layer is None \
                    and not written.primes:
                value = sympy.E
                if written.number is not None:
                    value = sympy.exp(written.number)
                return value
            if probed:
                for k in probed:
                    self.probing[k][1] += 1
                return _MISSING
            raise
        for k in probed:
            self.probing[k][0] += 1
        if written.transposed:
            if not matrices.is_matrix(sym):
                raise self.error(f"{quote(written.shown(self.text))}: a transpose of a number",
                                 tok.position)
            sym = sym.T
        if matrices.is_matrix(sym):
            if power is not None:
                raise self.error("a power of a vector or matrix", tok.position)
            return sym
        self.positions.setdefault(sym, tok.position)
        if power is not None:
            return self.make_power(sym, sympy.Integer(power), tok.position)
        return sym

    # --- other notations ----------------------------------------------------------------

    def function_named(self, word):
        """What a word or command names as a function: an Activation (the network's own
        first, then the registry's), a name from _FUNCTIONS, or None."""
        key = word if word.startswith("\\") else word.lower()
        if key in ("sigma", r"\sigma"):
            return "sigma"
        own = getattr(self.vocabulary, "own_activations", {})     # a spec's names have none
        if key in own:
            return own[key]
        if key in _FUNCTIONS:
            return _FUNCTIONS[key]
        name = activations.READER_NAMES.get(key)
        if name is not None and name != "softmax":
            return activations.get(name)
        return None

    def siunitx_number(self):
        """\\num{0.2928} (siunitx): the number in the braces."""
        tok = self.peek
        t = self.tokens
        j = self.i + 2 + (t[self.i + 1].kind == "{" and t[self.i + 2].kind in ("+", "-"))
        if t[self.i + 1].kind != "{" or t[j].kind != "NUM" or t[j + 1].kind != "}":
            raise self.error(r"\num takes a number in braces, as in \num{0.2928}", tok.position)
        self.i = j + 2
        value = _number(t[j].text)
        return -value if t[self.i - 3].kind == "-" else value

    def gradient(self):
        """\\nabla_a C (Nielsen's BP1): the vector ∂C/∂a of the output layer;
        \\nabla_{a^{(l)}} C, \\nabla_{z^{(l)}} C … of a named layer."""
        tok = self.peek
        self.i += 1
        if self.peek.kind != "_":
            raise self.error(r"\nabla needs what it differentiates by, as in \nabla_a C", tok.position)
        self.i += 1
        braced = self.peek.kind == "{"
        if braced:
            self.i += 1
        t = self.tokens
        output = None
        if t[self.i].kind == "WORD" and t[self.i].text == "a" and t[self.i + 1].kind in ("}", "WORD", "CMD"):
            output = self.output_layer()
        if output is not None:
            self.i += 1
            by = output
        else:
            by = self.name()
        if braced:
            self.expect("}", tok)
        of = self.peek
        if of.kind != "WORD" or of.text != "C" or not hasattr(self.vocabulary, "adjoint"):
            raise self.error(r"\nabla_a C: expected the cost C after the subscript")
        self.i += 1
        return self.derivative(self.vocabulary.net.cost_symbol, by, tok.position)

    def output_layer(self):
        """The a of ∇_a C: the output layer's activations as one vector where whole layers
        are read by name, else None (a spec's declared names have no layers)."""
        layer = getattr(self.vocabulary, "output_layer", None)
        return layer() if layer is not None else None

    def dotted(self):
        """\\dot\\sigma(z), \\dot{\\sigma}(z): Newton's dot for σ′."""
        tok = self.peek
        self.i += 1
        braced = self.peek.kind == "{"
        if braced:
            self.i += 1
        inner = self.peek
        named = self.function_named(inner.text) if inner.kind in ("CMD", "WORD") else None
        if named is None:
            raise self.error(r"\dot marks the derivative of a function, as in \dot\sigma(z)",
                             tok.position)
        self.i += 1
        if braced:
            self.expect("}", inner)
        return self.function(named, inner, skip=False, primes=1)

    def _indicator_one(self) -> bool:
        t = self.tokens
        if t[self.i + 1].kind == "NUM" and t[self.i + 1].text == "1":
            return True
        return (t[self.i + 1].kind == "{" and t[self.i + 2].kind == "NUM" and t[self.i + 2].text == "1"
                and t[self.i + 3].kind == "}")

    def indicator(self):
        """\\mathbb{1}[z > 0], \\mathbb{1}_{z>0}: 1 where the condition holds (a step)."""
        tok = self.peek
        self.i += 2 if self.tokens[self.i + 1].kind == "NUM" else 4
        opener = self.peek
        if opener.kind == "_":
            self.i += 1
            opener = self.peek
        closer = {"[": "]", "(": ")", "{": "}", r"\{": r"\}"}.get(opener.text)
        if closer is None:
            raise self.error(rf"expected the condition of {tok.text}{{1}}, as in {tok.text}{{1}}[z > 0]")
        self.i += 1
        left = self.finished(self.expr(), opener.position)
        relation = self.peek
        if relation.text not in _COMPARE:
            raise self.error(f"expected > or < in the condition, found {relation.show()}")
        self.i += 1
        if self.peek.kind == "=":
            self.i += 1
        right = self.finished(self.expr(), opener.position)
        self.expect(closer, opener)
        difference = left - right if _COMPARE[relation.text] == ">" else right - left
        if matrices.is_matrix(difference):
            return difference.applyfunc(activations.Step)
        return activations.Step(difference)

    def partial(self):
        tok = self.peek
        self.i += 1
        nxt = self.peek
        if nxt.kind == "^":
            raise self.error("higher derivatives have no place in a gradient")
        if not (nxt.kind == "WORD" or (nxt.kind == "CMD" and (nxt.text in GREEK or nxt.text in ACCENTS
                                                            or nxt.text in WRAPPERS))):
            raise self.error("expected a name after ∂")
        of = self.name()
        if matrices.is_matrix(of):
            return Partial(of, tok.position)
        if not isinstance(of, sympy.Symbol):
            raise self.error("expected a name after ∂", nxt.position)
        return Partial(of, tok.position)

    def derivative(self, of, wrt, position):
        """∂(of)/∂(wrt); ∂C/∂ of a whole layer (∂C/∂W^{(2)}, ∂C/∂z^{(2)}) entry by entry."""
        if of is _MISSING or wrt is _MISSING:
            return _MISSING
        if matrices.is_matrix(of):
            raise self.error("∂ of a vector or matrix: write ∂C/∂ of one", position)
        if matrices.is_matrix(wrt):
            return wrt.applyfunc(lambda s: self.vocabulary.partial(of, s, position, self.text))
        return self.vocabulary.partial(of, wrt, position, self.text)

    def fraction(self):
        tok = self.peek
        self.i += 1
        numerator = self.fraction_argument(tok)
        denominator = self.fraction_argument(tok)
        if isinstance(numerator, Partial) and isinstance(denominator, Partial):
            return self.derivative(numerator.of, denominator.of, tok.position)
        numerator = self.finished(numerator, tok.position)
        denominator = self.finished(denominator, tok.position)
        if denominator == 0:
            raise self.error("division by zero", tok.position)
        return numerator / denominator

    def fraction_argument(self, command: Token):
        tok = self.peek
        if tok.kind == "{":
            return self.group()
        if tok.kind == "NUM" and len(tok.text) > 1 and tok.text[0].isdigit():
            # \frac12: LaTeX takes one digit as each argument
            if "e" in tok.text.lower():
                raise self.error(f"write a number in scientific notation in braces, as in "
                                 f"{command.text}{{{tok.text}}}{{…}}")
            self.tokens[self.i] = Token("NUM", tok.text[1:], tok.position + 1)
            return _number(tok.text[0])
        if tok.kind in ("NUM", "WORD", "CMD"):
            return self.atom()
        raise self.error(f"expected the argument of {command.text}, found {tok.show()}")

    # --- functions ----------------------------------------------------------------------

    def function(self, name, tok: Token, skip: bool = True, primes: int = 0):
        if skip:
            self.i += 1
        if name == "sqrt" and tok.kind == "CMD" and not primes:
            return self.square_root(tok)
        power = None
        while True:
            nxt = self.peek
            if nxt.kind == "'":
                primes += 1
                self.i += 1
            elif nxt.kind == "^" and power is None:
                raw_kind, value = self._function_superscript()
                if raw_kind == "primes":
                    primes += value
                elif raw_kind == "number":
                    power = value
                else:
                    raise self.error("a superscript on a function is a prime or a power")
            elif nxt.kind == "CMD" and nxt.text == r"\prime":
                primes += 1
                self.i += 1
            elif nxt.kind == "_":
                raise self.error(f"a subscript on {tok.text} is not supported")
            else:
                break
        arguments = self.arguments(tok)
        if name == "sech" and power == 2 and not primes:     # sech² = tanh′
            name, power, primes = activations.get("tanh"), None, 1
        if matrices.is_matrix(arguments[0]) and len(arguments) == 1 and name != "diag":
            value = arguments[0].applyfunc(lambda t: self.apply(name, primes, [t], tok))
        else:
            value = self.apply(name, primes, arguments, tok)
        if power is not None:
            if matrices.is_matrix(value):
                value = value.applyfunc(lambda t: self.make_power(t, sympy.Integer(power), tok.position))
            else:
                value = self.make_power(value, sympy.Integer(power), tok.position)
        return value

    def _function_superscript(self):
        from .names import _script, classify_superscript
        raw, j = _script(self.tokens, self.i + 1, self.text)
        kind, value = classify_superscript(raw)
        if kind in ("primes", "number"):
            self.i = j
        return kind, value

    def arguments(self, tok: Token) -> list:
        nxt = self.peek
        if nxt.kind in ("(", "[", "{") or (nxt.kind == "CMD" and nxt.text in _OPEN):
            closer = _OPEN.get(nxt.text, {"(": ")", "[": "]", "{": "}"}.get(nxt.kind))
            self.i += 1
            args = [self.expr()]
            while self.peek.kind == ",":
                self.i += 1
                args.append(self.expr())
            self.expect(closer, nxt)
            return args
        if self._starts_atom(nxt):
            return [self.finished(self.power(), nxt.position)]
        raise self.error(f"expected the argument of {tok.text}, found {nxt.show()}")

    def apply(self, name: str, primes: int, args: list, tok: Token):
        expected = 2 if name in ("max", "min") else 1
        if (name in ("max", "min") and len(args) < 2) or (name not in ("max", "min") and len(args) != expected):
            raise self.error(f"{tok.text} takes {'two or more arguments' if expected == 2 else 'one argument'}, "
                             f"got {len(args)}", tok.position)
        if primes > 1:
            raise self.error("second derivatives have no place in a gradient", tok.position)
        t = args[0]
        if isinstance(name, activations.Activation):
            if primes and name.prime is None:
                raise self.error(f"{tok.text}′ is not defined", tok.position)
            return name.prime(t) if primes else name.func(t)
        if name == "diag":
            if primes or not matrices.is_matrix(t) or 1 not in t.shape:
                raise self.error(r"\operatorname{diag} takes a vector", tok.position)
            return sympy.ImmutableMatrix(sympy.diag(*list(t)))
        if matrices.is_matrix(t):
            raise self.error(f"{tok.text} of a matrix", tok.position)
        if name == "sigma":
            act = self.vocabulary.activation_for(t)
            return act.prime(t) if primes else act.func(t)
        if name in ("cosh", "sinh", "sech"):
            if primes:
                raise self.error(f"a prime on {tok.text} is not supported", tok.position)
            plus, minus = sympy.exp(t), sympy.exp(-t)
            return {"cosh": (plus + minus) / 2, "sinh": (plus - minus) / 2,
                    "sech": 2 / (plus + minus)}[name]
        if name == "exp":
            return sympy.exp(t)
        if name == "log":
            if t == 0:
                raise self.error("the logarithm of 0", tok.position)
            return 1 / t if primes else sympy.log(t)
        if primes:
            raise self.error(f"a prime on {tok.text} is not supported", tok.position)
        if name == "sqrt":
            return sympy.sqrt(t)
        if name == "step":
            return activations.Step(t)
        if name == "max":
            return sympy.Max(*args)
        return sympy.Min(*args)

    def square_root(self, tok: Token):
        index = None
        if self.peek.kind == "[":
            opener = self.peek
            self.i += 1
            index = self.expr()
            self.expect("]", opener)
            if not (index.is_Integer and 2 <= index <= MAX_EXPONENT):
                raise self.error(r"\sqrt[n] needs a whole n from 2 to 64", opener.position)
        argument = self.finished(self.fraction_argument(tok), tok.position)
        return sympy.root(argument, index) if index is not None else sympy.sqrt(argument)


def _is(tok: Token, command: str) -> bool:
    return tok.kind == "CMD" and tok.text == command


def number_literal(span: list) -> str | None:
    """The number a side's tokens are, as written, or None for a formula: ``0.2928``,
    ``-2e-3``, ``2.93 \\times 10^{-1}`` and ``29.28 \\cdot 10^{-2}`` (scientific notation
    in LaTeX), ``\\num{0.2928}`` (siunitx, shown as the
    number). The text is rebuilt from the tokens, so it holds nothing but digits, signs
    and these commands."""
    kinds = [t.kind for t in span]
    signs = 0
    while signs < len(span) and kinds[signs] in "+-":
        signs += 1
    sign = "".join(t.text for t in span[:signs])
    rest, texts = span[signs:], [t.text for t in span[signs:]]
    if len(rest) == 1 and rest[0].kind == "NUM":
        return sign + texts[0]
    if len(rest) in (4, 5) and texts[0] == r"\num" and kinds[-1] == "}" and rest[-2].kind == "NUM":
        return sign + "".join(texts[2:-1])
    if len(rest) < 5 or rest[0].kind != "NUM" or "e" in texts[0].lower() \
            or texts[1] not in (r"\times", r"\cdot") or texts[2:4] != ["10", "^"]:
        return None
    power = texts[4:]
    if power[0] == "{" and power[-1] == "}":
        power = power[1:-1]
    if not (power and power[-1].isdigit() and "".join(power[:-1]) in ("", "-", "+")):
        return None
    return f"{sign}{texts[0]} {texts[1]} 10^{{{''.join(power)}}}"


def _number(text: str):
    value = Fraction(text)
    return sympy.Rational(value.numerator, value.denominator)


_SHAPES = "the vectors and matrices do not fit"
# what a name that does not exist stands for while the range of a sum's index is probed
_MISSING = sympy.Dummy("missing")


def written_decimals(text: str) -> dict:
    """{value: the decimal as typed} for the decimals of a readable answer that are not
    whole (``0.5``, ``2.5e-1``), so that a formula is shown with them as written."""
    prepared, _ = prepare(text)
    out: dict = {}
    for tok in tokenize(prepared, limit=8 * len(text) + 16):
        if tok.kind == "NUM" and not tok.text.isdigit():
            value = _number(tok.text)
            if not value.is_Integer:
                out.setdefault(value, tok.text)
    return out


def read(vocabulary, text: str, *, literals: list | None = None, factors: dict | None = None):
    """The sides of an answer as SymPy expressions, and where each name was written
    (offsets into ``text``). ``literals``, when given, receives for each side the number
    literal it is, as written (or None). With ``factors`` (a dict to fill), the sides are
    read as written: unevaluated, the terms of a sum in their order, and ``factors``
    receives each product's factors in theirs (SymPy sorts a product's arguments)."""
    reader = Reader(vocabulary, text)
    reader.factors = factors
    try:
        if factors is not None:
            with evaluate(False):
                parts = reader.read()
        else:
            parts = reader.read()
    except AnswerReadError as exc:
        if exc.text == reader.text:
            exc.position = reader.where(exc.position)
            exc.text = text
        raise
    if literals is not None:
        literals[:] = reader.literals
    return parts, {s: reader.where(p) for s, p in reader.positions.items()}
