"""Which network symbol a written name means, in every notation.

A name is read as a **base** (``w``, ``\\delta``, ``\\hat{y}``, ``h``), an optional
**subscript**, an optional **layer** (``^{(2)}``, ``^{[2]}``, or a bare ``^2`` where that
is not a power) and **primes**. Every name the network defines is split the same way, so
``w^{(2)}_{12}``, ``w^{[2]}_{12}``, ``w_{12}^{(2)}``, ``w^2_{12}`` and ``w^{(2)}_{1,2}``
all meet ``w^{(2)}_{12}``, and ``o1``, ``o_1``, ``o_{1}`` all meet ``o_1``. Subscripts
lose their braces, spaces and underscores (``z_{h_1}`` is ``z_{h1}``); commas count
only when they are needed to tell ``w_{1,11}`` from ``w_{11,1}``.

Greek letters are those of :mod:`symbackprop.notation.greek`; a letter may stand for its other
form (``\\varepsilon`` for a spec's ``\\epsilon``) and a word for the letter it spells
(``delta_1^(2)``). Under a sum, the index letters in a name's scripts are replaced by
their values, with their arithmetic (``h^{(t-1)}``, ``w_{k+1,2}``; :func:`indexed`).

Aliases: ``\\delta`` with the indices of a z means ∂C/∂z (``\\delta^{(2)}_1``,
``\\delta_5``, ``\\delta_{h_1}``); ``net_{h1}`` is z of neuron h₁ and ``out_{h1}`` its
activation (the worked-example style); ``C`` is the cost.

**The lecture's z, z′, z″.** Without indices, ``z`` is the pre-activation of the neuron
the answer is about: for ``--wrt w`` (or b) the neuron that w feeds, for ``--wrt z`` that
z, for ``--wrt a`` the z under that a. ``z'``, ``z''``, ``z'''`` are the neurons its
activation feeds, in order (the next layer's first, second, third neuron), as in the
lecture's ∂C/∂z = σ′(z)[w₃ ∂C/∂z′ + w₄ ∂C/∂z″]. ``a``, ``a'`` … and ``\\delta``,
``\\delta'`` … are the activations and adjoints of the same neurons.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

import sympy

from ..ops import activations
from ..notation.accents import MARKS
from ..core.graph import loose, part
from ..notation.greek import LETTERS, readings
from ..notation.quoting import suggest
from .lexer import AnswerReadError, Token, quote, tokenize

# Commands that wrap a word and mean nothing more.
WRAPPERS = {r"\mathrm", r"\text", r"\mathit", r"\operatorname", r"\textrm", r"\mathsf",
            r"\textit", r"\mathbf", r"\boldsymbol", r"\bm"}
# Greek letters that may start a name (every one a spec may use).
GREEK = frozenset(LETTERS)
# Accents a name may carry (every one a spec may use but \dot and \ddot, which mark a
# derivative: \dot\sigma).
ACCENTS = set(MARKS) - {r"\dot", r"\ddot"}

#: Most entries of a vector or matrix in an answer (a layer's W, δ, a …).
MAX_ENTRIES = 2_500

_LAYER = re.compile(r"^[(\[](\d+)[)\]]$")
# A layer tagged further, as a mini-batch's names are: (2)(1), the example; 2(1), a square.
_TAGS = re.compile(r"^(\d*)((?:\(\d+\)){2}|(?<=\d)\(\d+\)(?:\(\d+\))?)$")
#: A superscript naming one of several matrices, W^{(f)}_{11} (a gate's, attention's Q, K, V).
_TAG = re.compile(r"^\{?\(([A-Za-z])\)\}?$")


@dataclass(frozen=True)
class Written:
    """A name as written: see the module docstring. ``number`` is a bare numeric
    superscript (a layer or a power), ``number_first`` whether it came before the
    subscript; ``position`` is where the name starts in the answer."""

    base: str
    sub: str | None = None
    layer: int | None = None
    number: int | None = None
    number_first: bool = False
    primes: int = 0
    position: int = 0
    end: int = 0
    transposed: bool = False
    #: the index letters of the sums around it that its scripts used
    indices: tuple = ()

    def shown(self, text: str) -> str:
        return text[self.position:self.end] if text else self.base


def read_written(tokens: list[Token], i: int, text: str, bindings: dict | None = None):
    """Read a name starting at ``tokens[i]``: returns (Written, index after it).

    ``bindings`` (index letter → value, for the sums around the name) are put into its
    scripts, with their arithmetic (:func:`indexed`). Stops before a superscript that is
    not a layer, a prime or a bare number: that is a power, for the caller.
    """
    start = tokens[i].position
    base, inner, i = _read_base(tokens, i, text, bindings)
    sub = layer = number = None
    number_first = False
    primes = 0
    transposed = False
    used = ()
    if inner is not None:        # \hat{y_1}: the accent covers the whole name
        sub, layer, number, primes = inner.sub, inner.layer, inner.number, inner.primes
        number_first, used = inner.number_first, inner.indices
    while True:
        tok = tokens[i]
        if tok.kind == "_":
            if sub is not None:
                raise AnswerReadError("a second subscript on one name", tok.position, text)
            raw, i = _script(tokens, i + 1, text)
            raw, letters = indexed(raw, bindings)
            sub, used = normalize(raw, tok.position + 1, text), used + letters
        elif tok.kind == "^" and layer is None and number is None:
            raw, j = _script(tokens, i + 1, text)
            raw, letters = indexed(raw, bindings)
            kind, value = classify_superscript(raw)
            if kind != "power":
                used += letters
            if kind == "layer":
                layer = value
            elif kind == "layer_T":
                layer, transposed = value, True
            elif kind == "primes":
                primes += value
            elif kind == "number":
                number = value
                number_first = sub is None
            elif _tag(raw) and (sub is not None or tokens[j].kind == "_"):
                base += f"^{{({_tag(raw)})}}"       # W^{(f)}_{11}: a gate's weight
            else:
                break
            i = j
        elif tok.kind == "'":
            primes += 1
            i += 1
        else:
            break
    if sub is None and base[-1:] in "0123456789" and base[-1:] and not base.startswith("\\"):
        stem = base.rstrip("0123456789")
        if stem:
            base, sub = stem, base[len(stem):]
    end = tokens[i - 1].position + len(tokens[i - 1].text)
    return Written(base, sub, layer, number, number_first if number is not None else False,
                   primes, start, end, transposed, tuple(dict.fromkeys(used))), i


# In a script: a command (kept), or a run of single letters and whole numbers joined by + and −.
_RUN = re.compile(r"\\[A-Za-z]+|(?:[A-Za-z]|[0-9]+)(?:\s*[-+−]\s*(?:[A-Za-z]|[0-9]+))*")
_TERM = re.compile(r"([-+−]?)\s*([A-Za-z]|[0-9]+)")


def indexed(raw, bindings):
    """A script's raw text with the index letters of the sums around it replaced by their
    values, and the letters used: ``(t-1)`` with t = 3 is ``(2)``, ``k+1,2`` with k = 1 is
    ``2,2``, ``kj`` is two indices. A run of letters and whole numbers joined by + and −
    (``t-1``) is one index, computed in integers when every letter in it is bound;
    commands (``\\alpha``) are left alone."""
    if not bindings or raw is None:
        return raw, ()
    used = []

    def value(match):
        run = match.group(0)
        if run.startswith("\\"):
            return run
        terms = _TERM.findall(run)
        letters = [t for _, t in terms if t.isalpha()]
        bound = [t for t in letters if t in bindings]
        used.extend(bound)
        if not bound:
            return run
        if len(bound) < len(letters):       # n-k with only k bound: put in k, compute nothing
            return re.sub(r"[A-Za-z]", lambda m: str(bindings.get(m.group(0), m.group(0))), run)
        return str(sum((-1 if sign in ("-", "−") else 1) * (bindings[t] if t.isalpha() else int(t))
                       for sign, t in terms))

    return _RUN.sub(value, raw), tuple(used)


def _read_base(tokens, i, text, bindings=None):
    """(base, the name inside an accent or None, index after the base)."""
    tok = tokens[i]
    if tok.kind == "WORD":
        return tok.text, None, i + 1
    if tok.kind == "CMD" and tok.text in WRAPPERS:
        word, j = _braced_word(tokens, i + 1, text)
        return word, None, j
    if tok.kind == "CMD" and tok.text in ACCENTS:
        nxt = tokens[i + 1]
        if nxt.kind == "{":
            inner, j = read_written(tokens, i + 2, text, bindings)
            if tokens[j].kind != "}":
                raise AnswerReadError(f"expected '}}' to close {tok.text}{{…}}, found "
                                      f"{tokens[j].show()}", tokens[j].position, text)
            accent = "\\hat" if tok.text == r"\widehat" else tok.text
            return "%s{%s}" % (accent, inner.base), inner, j + 1
        if nxt.kind == "WORD" or (nxt.kind == "CMD" and nxt.text in GREEK):
            accent = "\\hat" if tok.text == r"\widehat" else tok.text
            return "%s{%s}" % (accent, nxt.text), None, i + 2
        raise AnswerReadError(f"expected a letter after {tok.text}", nxt.position, text)
    if tok.kind == "CMD" and tok.text in GREEK:
        return tok.text, None, i + 1
    raise AnswerReadError(f"expected a name, found {tok.show()}", tok.position, text)


def _braced_word(tokens, i, text):
    if tokens[i].kind != "{":
        if tokens[i].kind == "WORD":
            return tokens[i].text, i + 1
        raise AnswerReadError(f"expected '{{' after {tokens[i - 1].text}", tokens[i].position, text)
    words = []
    j = i + 1
    while tokens[j].kind in ("WORD", "NUM", "_"):
        words.append(tokens[j].text)
        j += 1
    if tokens[j].kind != "}" or not words:
        raise AnswerReadError(f"expected a word in {tokens[i - 1].text}{{…}}", tokens[j].position, text)
    return "".join(words), j + 1


def _script(tokens, i, text):
    """The raw text of a sub- or superscript: a {group} or a single token."""
    tok = tokens[i]
    if tok.kind == "{":
        depth, j = 1, i + 1
        while depth:
            kind = tokens[j].kind
            if kind == "END":
                raise AnswerReadError("unbalanced '{': it is never closed", tok.position, text)
            depth += {"{": 1, "}": -1}.get(kind, 0)
            j += 1
        raw = text[tok.position + 1: tokens[j - 1].position]
        if not raw.strip():
            raise AnswerReadError("an empty script", tok.position, text)
        return raw, j
    if tok.kind in ("NUM", "WORD", "'"):
        return tok.text, i + 1
    if tok.kind == "CMD" and (tok.text == r"\prime" or tok.text in GREEK):
        return tok.text, i + 1
    if tok.kind == "(":
        # ^(2), ^(t-1) in plain text: a layer if it is (digits) once the indices of the
        # sums around it are put in, else a power for the caller
        j = i + 1
        while tokens[j].kind in ("NUM", "WORD", "+", "-"):
            j += 1
        if tokens[j].kind == ")" and j > i + 1:
            return text[tok.position: tokens[j].position + 1], j + 1
        return None, i
    if tok.kind in ("-", "+"):
        return None, i
    raise AnswerReadError(f"expected a sub- or superscript, found {tok.show()}", tok.position, text)


def normalize(raw: str, position: int, text: str) -> str:
    """A subscript without braces, spaces, underscores or wrapping commands."""
    try:
        tokens = tokenize(raw)
    except AnswerReadError as exc:
        raise AnswerReadError(exc.reason, position + exc.position, text) from None
    parts = []
    for tok in tokens:
        if tok.kind in ("NUM", "WORD", ",", "'"):
            parts.append(tok.text)
        elif tok.kind == "CMD" and tok.text not in WRAPPERS:
            parts.append(tok.text)
        elif tok.kind in ("{", "}", "_", "END"):
            continue
        else:
            raise AnswerReadError(f"unexpected {tok.show()} in a subscript",
                                  position + tok.position, text)
    return "".join(parts)


def _tag(raw) -> str | None:
    """The letter of a superscript such as (f) that names one of several matrices, or None."""
    m = _TAG.match("".join(raw.split())) if raw is not None else None
    return m.group(1) if m else None


def classify_superscript(raw):
    """('layer', l) for (l) or [l]; ('primes', n); ('number', n) for a bare integer;
    ('power', None) otherwise."""
    if raw is None:
        return "power", None
    compact = "".join(raw.split()).replace("{", "").replace("}", "")
    m = _LAYER.match(compact)
    if m:
        return "layer", int(m.group(1))
    m = _TAGS.match(compact)
    if m:       # a layer and an example, z^{(2)(1)}, or a square's layer, \sigma^{2(1)}
        return "layer", (m.group(1),) + tuple(int(t) for t in re.findall(r"\d+", m.group(2)))
    for mark in ("T", r"\top", r"\intercal", r"\mathsfT"):
        m = _LAYER.match(compact[: -len(mark)]) if compact.endswith(mark) else None
        if m:
            return "layer_T", int(m.group(1))
    primes = compact.replace(r"\prime", "'")
    if primes and set(primes) == {"'"}:
        return "primes", len(primes)
    if re.fullmatch(r"[0-9]{1,4}", compact):
        return "number", int(compact)
    return "power", None


def name_key(name: str):
    """(base, layer, subscript) of one of the network's own names, or None."""
    try:
        tokens = tokenize(name)
        written, i = read_written(tokens, 0, name)
    except AnswerReadError:
        return None
    if tokens[i].kind != "END":
        return None
    layer = written.layer if written.layer is not None else written.number
    return written.base, layer, written.sub


def _loose(sub):
    return None if sub is None else sub.replace(",", "")


class Vocabulary:
    """The names one graph defines, as an answer may write them. :class:`LayeredVocabulary`
    adds a layered net's own: the cost C, whole layers, and the neuron an answer is about
    (for the lecture's z, z′ …); :func:`vocabulary` chooses by the builder's kind."""

    #: whether a name without indices may mean a whole layer (W^{(2)}, δ^{(2)} …)
    names_layers = False
    #: what the message of an unknown name adds
    hint = ""

    def __init__(self, reference, about=None, *, layers: bool = False, flip: bool = False):
        #: whether a layer's name without indices (W^{(2)}, δ^{(2)}, a^{(1)}, x) is its
        #: matrix or vector; ``flip``: W^{(l)} read as its transpose (for a diagnosis)
        self.layers = layers
        self.flip = flip
        self.reference = reference
        net = self.net = reference.net
        self._exact: dict = {}
        self._loose: dict = {}
        for sym, node in net.nodes.items():
            if not self._named(node):
                continue
            key = name_key(sym.name)
            if key is None:
                continue
            self._exact.setdefault(key, sym)
            loose = (key[0], key[1], _loose(key[2]))
            self._loose.setdefault(loose, set()).add(sym)
        self.neuron = None       # the z the answer is about
        self.next = []           # the z's its activation feeds
        if about is not None:
            self._about(about)

    def _named(self, node) -> bool:
        """Whether a node is found by its own name (a graph's output is: f, L …)."""
        return True

    def _about(self, node_symbol):
        """Sets :attr:`neuron` and :attr:`next` for an answer about ``node_symbol``: on
        a graph there is no such neuron."""

    # --- lookups ------------------------------------------------------------------------

    def lookup(self, base, layer, sub, where=None, text=""):
        """The symbol with this key, or None; an ambiguous loose match is an error."""
        sym = self._exact.get((base, layer, sub))
        if sym is None and layer is None and sub is None:
            sym = self._cost_named(base)
        if sym is not None:
            return sym
        found = self._loose.get((base, layer, _loose(sub)), set())
        if layer is None and sub is not None and not found:
            found = self._in_any_layer(base, sub)
            if len(found) != 1:
                return None
        if sub is not None and "," in sub:
            # written with a comma: w_{1,51} may not meet w_{15,1} (only names without a
            # comma of their own, such as w_{11} for w_{1,1}, are met loosely)
            found = {s for s in found if "," not in (name_key(s.name)[2] or "")}
        if len(found) == 1:
            return next(iter(found))
        if len(found) > 1 and where is not None:
            names = ", ".join(sorted(s.name for s in found))
            raise AnswerReadError(f"the name is ambiguous here: it could be {names}; "
                                  "separate the indices with a comma", where, text)
        return None


    def _cost_named(self, base):
        """The cost, where a bare name is one of its other names; a graph's has its own."""
        return None

    def _in_any_layer(self, base, sub) -> set:
        """The nodes a name may mean with its layer left out; a graph has no layers."""
        return set()

    def resolve(self, written: Written, text: str):
        """(symbol, power) for a written name: the node symbol (or adjoint, for δ) and a
        numeric power read from a bare superscript (None when there is none). The base
        is read as written, else as the other form of its Greek letter or as the letter a
        word spells (``delta_1^(2)``; :func:`greek.readings`)."""
        for base in readings(written.base):
            found = self._resolve(replace(written, base=base), text)
            if found is not None:
                return found
        shown = written.shown(text)
        absent = self.net.absent(written.base, written.sub)
        if absent:
            raise AnswerReadError(f"unknown name {quote(shown)}: {absent}", written.position, text)
        hint = suggest(shown, self.reference.names(), self.net.what, key=loose)
        if not hint.startswith("did you mean"):
            hint += self.hint
        raise AnswerReadError(f"unknown name {quote(shown)}; {hint}", written.position, text)

    def _resolve(self, written: Written, text: str):
        base = written.base
        if self.layers:
            whole = self.layer_object(written, text)
            if whole is not None:
                return whole, None
        for layer, power in self._layer_choices(written):
            sym = self._resolve_base(base, layer, written, text)
            if sym is not None:
                if written.primes:
                    raise AnswerReadError(
                        "primes only mark the lecture's z′, z″ (and a′, δ′) written without "
                        f"indices; {quote(written.shown(text))} names a node already",
                        written.position, text)
                return sym, power
        if written.sub is None and written.layer is None and written.number is None:
            sym = self._contextual(base, written, text)
            if sym is not None:
                return sym, None
        if written.sub is None and written.layer is None and written.number is not None:
            sym = self._contextual(base, written, text)
            if sym is not None:
                return sym, written.number
        return None

    def layer_object(self, written, text=""):
        """A whole layer's vector or matrix for a name without indices; a graph has none."""
        return None

    def is_kernel(self, nodes) -> bool:
        """Whether a whole answer's nodes are one convolution kernel (a rotated answer is
        then named); a graph has none."""
        return False

    def amplifiers(self, layer, rows):
        """σ′(z) of each row of a whole layer's answer (its ``missing_sigma_prime`` is tried
        with them), or None where the rows have no one amplifier each."""
        return None

    @staticmethod
    def _layer_choices(written):
        if written.layer is not None:
            return [(written.layer, None)]
        if written.number is None:
            return [(None, None)]
        as_layer, as_power = (written.number, None), (None, written.number)
        return [as_layer, as_power] if written.number_first else [as_power, as_layer]

    def _resolve_base(self, base, layer, written, text):
        where = written.position
        if base in (r"\delta",):
            z = self.lookup("z", layer, written.sub, where, text)
            if z is not None and self.net.nodes[z].kind == "z":
                return self.reference.adjoint(z)
            return self.lookup(base, layer, written.sub, where, text)    # a graph's own δ
        if base == "net":
            return self.lookup("z", layer, written.sub, where, text)
        if base == "out":
            sym = self.lookup("a", layer, written.sub, where, text)
            if sym is None and written.sub and layer is None:
                stem = written.sub.rstrip("0123456789")
                sym = self.lookup(stem, None, written.sub[len(stem):] or None, where, text)
            return sym
        return self.lookup(base, layer, written.sub, where, text)

    def _contextual(self, base, written, text):
        if base not in ("z", "a", r"\delta", "net", "out"):
            return None
        if self.neuron is None:
            raise AnswerReadError(f"{quote(written.shown(text))} without indices names the neuron "
                                  "the answer is about, and this --wrt has none (or more than "
                                  "one); write the indices", written.position, text)
        if written.primes == 0:
            z = self.neuron
        elif written.primes <= len(self.next):
            z = self.next[written.primes - 1]
        else:
            where = (f"{self.neuron.name} feeds only {len(self.next)} neuron(s)"
                     if self.next else f"{self.neuron.name} is in the output layer")
            raise AnswerReadError(f"{quote(written.shown(text))} is not defined here: {where}",
                                  written.position, text)
        node = self.net.nodes[z]
        if base in ("z", "net"):
            return z
        if base in ("a", "out"):
            return self.net.a(self.net.layer_of[z], node.index[0])
        return self.reference.adjoint(z)

    # --- functions of names -------------------------------------------------------------

    def adjoint(self, sym, position, text):
        """∂C/∂(sym)."""
        if sym in self.reference.adjoints:
            return self.reference.adjoint(sym)
        raise AnswerReadError(f"∂C/∂{sym.name} is not defined: ∂C/∂ takes a node of the "
                              "network (an input, target, weight, bias, z or a)", position, text)

    def partial(self, of, wrt, position, text):
        """∂(of)/∂(wrt): ∂C/∂· is the adjoint; otherwise a one-step partial derivative
        (wrt feeds of directly) or the derivative of of's closed form by a leaf."""
        net = self.net
        if of == wrt:
            return sympy.S.One
        if of == net.cost_symbol:
            return self.adjoint(wrt, position, text)
        node = net.nodes.get(of)
        if node is None or node.expr is None:
            raise AnswerReadError(f"∂{of.name}/∂{wrt.name}: {of.name} is not defined by the "
                                  "network (use ∂C/∂·, or a node's one-step partial)", position, text)
        if wrt in node.expr.free_symbols:
            from ..core.graph import local_partial
            return local_partial(net, node, wrt)
        if net.nodes.get(wrt) is not None and net.nodes[wrt].expr is None:
            closed = self.reference.derivation.closed(of, limit=20_000)
            return sympy.diff(closed, wrt)
        raise AnswerReadError(f"∂{of.name}/∂{wrt.name}: {wrt.name} does not feed {of.name} "
                              "directly; write the chain rule out", position, text)

    def activation_for(self, argument):
        """The activation a generic σ means when applied to ``argument``: on a graph, the
        one that the graph itself passes ``argument`` through, if only one; else the
        logistic sigmoid, which is what σ means by itself."""
        net = self.net
        uses = {net.nodes[c].activation.name: net.nodes[c].activation
                for c in (net.nodes[argument].consumers if argument in net.nodes else ())
                if net.nodes[c].op == "activation"}
        return next(iter(uses.values())) if len(uses) == 1 else activations.get("sigmoid")

    @functools.cached_property
    def own_activations(self) -> dict:
        """word → the network's own activation it names (the first of that name)."""
        own: dict = {}
        for node in self.net.nodes.values():
            act = node.activation
            if act is not None and act.name != "softmax":
                for word in activations.reader_names(act):
                    if word not in ("sigma", r"\sigma"):
                        own.setdefault(word, act)
        return own

    def output_layer(self):
        """The output layer's activations as one vector (∇_a C); a graph has none."""
        return None


class LayeredVocabulary(Vocabulary):
    """A layered net's names: besides its nodes' own, C for the cost (and the cost's other
    names), a name with its layer left out, whole layers by name (when :attr:`layers`),
    and the lecture's bare z, z′ … of the neuron the answer is about."""

    names_layers = True
    hint = r" (and \delta for ∂C/∂z)"

    def _named(self, node) -> bool:
        return node.kind != "C"          # C is the cost whatever the spec calls it

    def _about(self, node_symbol):
        net = self.net
        node = net.nodes[node_symbol]
        zs = []
        if node.kind == "z":
            zs = [node_symbol]
        elif node.kind == "a":
            zs = [s for s, n in net.nodes.items()
                  if n.kind == "z" and net.layer_of.get(s) == net.layer_of.get(node_symbol)
                  and n.index == node.index]
        elif node.kind == "param":
            zs = sorted({z for z, _ in net.uses(node_symbol)}, key=lambda z: self._position(z))
        if len(zs) == 1:
            self.neuron = zs[0]
            z = net.nodes[zs[0]]
            a = net.a(net.layer_of[zs[0]], z.index[0])
            self.next = sorted((c for c in net.nodes[a].consumers if net.nodes[c].kind == "z"),
                               key=lambda s: self._position(s))

    def _position(self, z):
        node = self.net.nodes[z]
        return (self.net.layer_of.get(z), node.index)

    def lookup(self, base, layer, sub, where=None, text=""):
        if base == "C" and layer is None and sub is None:
            return self.net.cost_symbol
        return super().lookup(base, layer, sub, where, text)

    def _cost_named(self, base):
        if base in getattr(self.net.cost_function, "names", ("C",)):
            return self.net.cost_symbol       # ∂E/∂w, ∂L/∂w: the cost's other names
        return None

    def _in_any_layer(self, base, sub) -> set:
        # a layer left out where only one layer has the name (z_k of a one-layer net)
        return {s for (b, l, t), syms in self._loose.items()
                if b == base and t == _loose(sub) and l is not None for s in syms}

    def layer_object(self, written, text=""):
        """A whole layer's vector or matrix for a name without indices: W^{(l)} (also
        w^{(l)}, W^l), b^{(l)}, z^{(l)}, a^{(l)} (a^{(0)} is x), δ^{(l)}, and x, y; None
        for anything else."""
        net = self.net
        if written.sub is not None or written.primes:
            return None
        base = written.base.replace(r"\mathbf", "")
        layer = written.layer if written.layer is not None else written.number
        if isinstance(layer, tuple):
            return None
        if layer is None:
            if base == "x":
                return sympy.ImmutableMatrix(list(net.inputs))
            if base == "y":
                return sympy.ImmutableMatrix(list(net.targets))
            return None
        if not 0 <= layer <= net.L:
            raise AnswerReadError(f"{quote(written.shown(text))}: the network has layers 1 to "
                                  f"{net.L}", written.position, text)
        n = net.sizes[layer]
        entries = n * (net.sizes[layer - 1] if base in ("w", "W") and layer >= 1 else 1)
        if entries > MAX_ENTRIES:
            raise AnswerReadError(f"{quote(written.shown(text))} has {entries} entries; vector and "
                                  f"matrix answers are read up to {MAX_ENTRIES}", written.position, text)
        if base in ("w", "W") and layer >= 1:
            m = sympy.ImmutableMatrix(n, net.sizes[layer - 1],
                                      lambda j, k: net.w(layer, j + 1, k + 1))
            return m.T if self.flip else m
        if base == "a":
            return sympy.ImmutableMatrix([net.a(layer, j) if layer else net.x(j)
                                          for j in range(1, n + 1)])
        if layer == 0:
            return None
        if base == "b":
            return sympy.ImmutableMatrix([net.b(layer, j) for j in range(1, n + 1)])
        if base == "z":
            return sympy.ImmutableMatrix([net.z(layer, j) for j in range(1, n + 1)])
        if base == r"\delta":
            return sympy.ImmutableMatrix([self.reference.adjoint(net.z(layer, j))
                                          for j in range(1, n + 1)])
        return None

    def amplifiers(self, layer, rows):
        net = self.net
        if layer is None or not 1 <= layer <= net.L:
            return None
        act = net.activations[layer - 1]
        if not act.elementwise or act.is_identity:
            return None
        return [act.prime(net.z(layer, i + 1)) for i in range(rows)]

    def output_layer(self):
        if not self.layers:
            return None
        net = self.net
        return sympy.ImmutableMatrix([net.a(net.L, j) for j in range(1, net.sizes[net.L] + 1)])

    def activation_for(self, argument):
        """The activation a generic σ means when applied to ``argument``.

        1. A named z (``z^{(2)}_1``, ``net_{h1}``, the lecture's bare ``z``), or a written-out
           pre-activation Σ w·a + b that is, after expansion, exactly one neuron's one-step
           definition of z: that neuron's layer activation (when it is elementwise).
        2. Otherwise, the network's single elementwise activation, if it has only one.
        3. Otherwise (mixed activations and an argument that is no neuron's z: ambiguous),
           the activation of the neuron the answer is about (the one ``--wrt`` feeds),
           when that is elementwise: the σ′(z) of ∂C/∂z = σ′(z)·Σ w δ is that neuron's.
        4. Otherwise the logistic sigmoid, which is what σ means by itself.
        """
        net = self.net
        z = self._neuron_of(argument)
        if z is not None:
            node = net.nodes[z]
            act = net.nodes[net.a(net.layer_of[z], node.index[0])].activation
            if act.elementwise:
                return act
        distinct = {a.name: a for a in net.activations if a.elementwise}
        if len(distinct) == 1 and len({a.describe() for a in net.activations if a.elementwise}) == 1:
            return next(iter(distinct.values()))
        if self.neuron is not None:
            node = net.nodes[self.neuron]
            act = net.nodes[net.a(net.layer_of[self.neuron], node.index[0])].activation
            if act.elementwise:
                return act
        return activations.get("sigmoid")

    def _neuron_of(self, argument):
        """The z symbol ``argument`` stands for (a z itself, or Σ w·a + b written out), or
        None."""
        node = self.net.nodes.get(argument) if isinstance(argument, sympy.Symbol) else None
        if node is not None:
            return argument if node.kind == "z" else None
        if isinstance(argument, sympy.Symbol) or not isinstance(argument, sympy.Expr) \
                or argument.is_Number:
            return None
        forms = self.z_forms
        try:
            key = sympy.expand(argument)
        except Exception:       # pragma: no cover - expand of a readable answer
            return None
        return forms.get(key)

    @functools.cached_property
    def z_forms(self) -> dict:
        """expanded one-step definition of z → z symbol (None where two neurons of
        different activations share a definition)."""
        forms: dict = {}
        net = self.net
        for sym, node in net.nodes.items():
            if node.kind != "z" or node.expr is None:
                continue
            key = sympy.expand(node.expr)
            if key in forms and forms[key] is not None:
                other = net.nodes[forms[key]]
                same = (net.nodes[net.a(net.layer_of[forms[key]], other.index[0])].activation.describe()
                        == net.nodes[net.a(net.layer_of[sym], node.index[0])].activation.describe())
                if not same:
                    forms[key] = None
                continue
            forms[key] = sym
        return forms


def _about_whole(message, position, text) -> AnswerReadError:
    """An error about a whole parameter named in ``--wrt`` (said as it is, not as an
    unknown name)."""
    error = AnswerReadError(message, position, text)
    error.about_whole = True
    return error


class MapVocabulary(Vocabulary):
    """A convolutional net's names: besides its nodes' own, a whole parameter by name
    (when :attr:`layers`): a kernel ``K^{(l)}`` (one input and one output channel; else one
    of its kernels, ``K^{(l)}_{o,c}``) as a matrix, a 1-D kernel as a column; a bias
    ``b^{(l)}``, γ, β as a column over the channels; a dense layer's ``W^{(l)}``."""

    names_layers = True

    def layer_object(self, written, text=""):
        if written.primes or written.layer is None:
            return None
        base = "w" if written.base in ("W", r"\mathbf{W}") else written.base
        entries = self.net.maps.get((base, written.layer, None))
        if not entries or base not in ("K", "w", "b", r"\gamma", r"\beta"):
            return None
        shape = tuple(max(index[axis] for index in entries) for axis in range(len(next(iter(entries)))))
        fixed = () if written.sub is None else tuple(int(i) for i in re.findall(r"\d+", written.sub))
        if len(fixed) >= len(shape) or (written.sub is not None and base != "K"):
            return None             # one entry, named as the node it is
        if any(not 1 <= i <= n for i, n in zip(fixed, shape)):
            raise _about_whole(f"{quote(written.shown(text))}: the kernels of layer {written.layer} "
                                  f"run over {' × '.join(map(str, shape[:len(fixed)]))}",
                                  written.position, text)
        rest = shape[len(fixed):]
        free = [n for n in rest if n > 1]
        if base == "K" and len(rest) > 2 and len(free) > 2 or len(free) > 2:
            channels = " × ".join(map(str, shape[:2]))
            raise _about_whole(f"{quote(written.shown(text))} holds {channels} kernels (output × input "
                                  f"channels); write one of them as a matrix, e.g. K^{{({written.layer})}}_{{1,1}}",
                                  written.position, text)
        if len(rest) > 2:           # K^{(l)} of one input and one output channel: its p × q kernel
            fixed, rest = fixed + (1,) * (len(rest) - 2), rest[-2:]
        if rest[0] * (rest[1] if len(rest) > 1 else 1) > MAX_ENTRIES:
            raise _about_whole(f"{quote(written.shown(text))} has too many entries; vector and "
                                  f"matrix answers are read up to {MAX_ENTRIES}", written.position, text)
        cols = rest[1] if len(rest) > 1 else 1
        return sympy.ImmutableMatrix(rest[0], cols, lambda i, j: entries[fixed + ((i + 1, j + 1) if len(rest) > 1
                                                                                   else (i + 1,))])

    def is_kernel(self, nodes) -> bool:
        """Whether the matrix of nodes is one kernel (its mistakes include the flip)."""
        return self.net.roles.get(nodes[0]) == "kernel"


#: The builder's kind → the vocabulary of its names.
VOCABULARIES = {"graph": Vocabulary, "layered": LayeredVocabulary, "convolutional": MapVocabulary}


def vocabulary(reference, about=None, *, layers: bool = False, flip: bool = False) -> Vocabulary:
    """The names of the reference's network, for answers about the node ``about``."""
    return part(VOCABULARIES, reference.net)(reference, about, layers=layers, flip=flip)
