"""The reader: tokens of an answer → a SymPy expression, by recursive descent.

The grammar is the notation of hand-derived backprop answers, LaTeX or plain text::

    answer  := expr ('=' expr)*
    expr    := ['+'|'-'] term (('+'|'-') term)*
    term    := signed (('*' | \\cdot | \\times | '/' | \\div) signed | power)*   (juxtaposition multiplies)
    signed  := ('+'|'-') signed | power
    power   := atom [('^' | '**') exponent]
    atom    := number | name | '(' expr ')' | '[' expr ']' | '{' expr '}'
             | \\frac{…}{…} | \\sqrt{…} | function [primes] [^n] argument
             | \\partial name   (only as ∂X/∂Y: ∂C/∂y is the adjoint of y)

Numbers are exact rationals (``0.5`` is 1/2, ``2e-3`` is 1/500). Names are resolved by
:class:`names.Vocabulary`; functions are σ (the network's activation), sigmoid, tanh,
ReLU, softplus, SiLU, exp, e^{…}, ln, log (natural), sqrt, step, max, min; a prime on a
function is its derivative (σ′(z) is the amplifier of the reversed network). Every
SymPy object is built here from tokens: no text reaches ``sympify``, ``parse_expr``,
``eval`` or ``exec``.

Limits: nesting deeper than :data:`MAX_DEPTH`, exponents above :data:`MAX_EXPONENT` and
numbers of more than :data:`MAX_BITS` bits are errors, so that no answer can make the
reader (or SymPy after it) work for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

from .. import activations
from .lexer import AnswerReadError, Token, clip, quote, tokenize
from .names import GREEK, WRAPPERS, ACCENTS, read_written

#: Deepest nesting, counted in expressions, signs and atoms (a bracket costs two).
MAX_DEPTH = 100
#: Largest numeric exponent.
MAX_EXPONENT = 64
#: Largest number, in bits, that a power of numbers may produce.
MAX_BITS = 4096

_FRACS = {r"\frac", r"\dfrac", r"\tfrac", r"\cfrac"}
_TIMES = {r"\cdot", r"\times", r"\ast"}
_OPEN = {"(": ")", "[": "]", "{": "}", r"\{": r"\}", r"\lbrack": r"\rbrack", r"\lparen": r"\rparen"}
_UNSUPPORTED = {
    r"\sum": "write the sum out term by term",
    r"\prod": "write the product out factor by factor",
    r"\nabla": "answers are scalars: write one component",
    r"\odot": "answers are scalars: write one component",
    r"\otimes": "answers are scalars: write one component",
    r"\int": "integrals have no place in a gradient",
    r"\lim": "limits have no place in a gradient",
}
# Function names, written as a command or a word (case-insensitive for words).
_FUNCTIONS = {
    r"\sigma": "sigma", "sigma": "sigma", r"\tanh": "tanh", "tanh": "tanh",
    r"\exp": "exp", "exp": "exp", r"\ln": "log", "ln": "log", r"\log": "log", "log": "log",
    r"\sqrt": "sqrt", "sqrt": "sqrt", r"\max": "max", "max": "max", r"\min": "min", "min": "min",
    "sigmoid": "sigmoid", "logistic": "sigmoid", "relu": "relu", "step": "step",
    "heaviside": "step", "softplus": "softplus", "silu": "silu", "swish": "silu",
}
_REGISTERED = {"sigmoid", "tanh", "relu", "softplus", "silu"}


@dataclass
class Partial:
    """``∂X`` on its way to becoming ∂X/∂Y; never part of a finished expression."""

    of: sympy.Symbol
    position: int


class Reader:
    """One answer being read against a :class:`names.Vocabulary`."""

    def __init__(self, vocabulary, text: str):
        self.vocabulary = vocabulary
        self.text = text
        self.tokens: list[Token] = tokenize(text)
        self.i = 0
        self.depth = 0
        #: where each network symbol was first written (for later errors)
        self.positions: dict = {}

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
        """Every side of the answer (one unless it is a chain a = b = …)."""
        parts = [self.expr()]
        while self.peek.kind == "=":
            self.i += 1
            parts.append(self.expr())
        tok = self.peek
        if tok.kind != "END":
            if tok.kind in (")", "]", "}") or (tok.kind == "CMD" and tok.text in (r"\}", r"\rbrack")):
                raise self.error(f"unbalanced {quote(tok.text)}: nothing opens it")
            raise self.error(f"unexpected {tok.show()}")
        return parts

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
            return tok.text not in _TIMES and tok.text not in (r"\div", r"\}", r"\rbrack", r"\rparen")
        return False

    def term(self):
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
                    factors[-1] = (self.vocabulary.partial(prev.of, value.of, prev.position,
                                                           self.text), False)
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
                if value == 0:
                    raise self.error("division by zero", tok.position)
                value = sympy.Pow(value, -1)
            out.append(value)
        return sympy.Mul(*out)

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
        if tok.kind in ("^", "**"):
            self.i += 1
            exponent = self.exponent()
            base = self.make_power(self.finished(base, tok.position), exponent, tok.position)
            if self.peek.kind in ("^", "**"):
                raise self.error("a second exponent: use braces, as in {a^b}^c")
        return base

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
            if tok.text.lower() in _FUNCTIONS:
                return self.function(_FUNCTIONS[tok.text.lower()], tok)
            return self.name()
        if kind == "CMD":
            command = tok.text
            if command in _FRACS:
                return self.fraction()
            if command == r"\partial":
                return self.partial()
            if command in _FUNCTIONS:
                return self.function(_FUNCTIONS[command], tok)
            if command in WRAPPERS:
                word = self._wrapped_word()
                if word is not None and word.lower() in _FUNCTIONS:
                    self.i += 4
                    return self.function(_FUNCTIONS[word.lower()], tok, skip=False)
                return self.name()
            if command in ACCENTS or command in GREEK:
                return self.name()
            if command in _UNSUPPORTED:
                raise self.error(f"{command} is not supported: {_UNSUPPORTED[command]}")
            if command in _TIMES or command == r"\div":
                raise self.error(f"{command} needs something to multiply on its left")
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

    def name(self):
        tok = self.peek
        written, self.i = read_written(self.tokens, self.i, self.text)
        try:
            sym, power = self.vocabulary.resolve(written, self.text)
        except AnswerReadError:
            if written.base == "e" and written.sub is None and written.layer is None \
                    and not written.primes:
                value = sympy.E
                if written.number is not None:
                    value = sympy.exp(written.number)
                return value
            raise
        self.positions.setdefault(sym, tok.position)
        if power is not None:
            return self.make_power(sym, sympy.Integer(power), tok.position)
        return sym

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
        if not isinstance(of, sympy.Symbol):
            raise self.error("expected a name after ∂", nxt.position)
        return Partial(of, tok.position)

    def fraction(self):
        tok = self.peek
        self.i += 1
        numerator = self.fraction_argument(tok)
        denominator = self.fraction_argument(tok)
        if isinstance(numerator, Partial) and isinstance(denominator, Partial):
            return self.vocabulary.partial(numerator.of, denominator.of, tok.position, self.text)
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

    def function(self, name: str, tok: Token, skip: bool = True):
        if skip:
            self.i += 1
        if name == "sqrt" and tok.kind == "CMD":
            return self.square_root(tok)
        primes, power = 0, None
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
            elif nxt.kind == "_":
                raise self.error(f"a subscript on {tok.text} is not supported")
            else:
                break
        arguments = self.arguments(tok)
        value = self.apply(name, primes, arguments, tok)
        if power is not None:
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
        if name == "sigma":
            act = self.vocabulary.activation_for(t)
            return act.prime(t) if primes else act.func(t)
        if name in _REGISTERED:
            act = activations.get(name)
            return act.prime(t) if primes else act.func(t)
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


def _number(text: str):
    value = Fraction(text)
    return sympy.Rational(value.numerator, value.denominator)


def read(vocabulary, text: str):
    """The sides of an answer as SymPy expressions, and where each name was written."""
    reader = Reader(vocabulary, text)
    return reader.read(), reader.positions
