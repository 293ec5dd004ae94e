"""d-notation read as ∂: a token rewrite before parsing.

``\\frac{dC}{dz}``, ``dC/dz'``, ``\\frac{\\mathrm{d} C}{\\mathrm{d} z}``: where both the top
and the bottom of a fraction (or both sides of a ``/``) begin with a d, each d becomes a
``\\partial`` token, and the reader's ∂X/∂Y takes it from there. A lone ``d`` elsewhere,
or a name such as ``d_1``, is left alone.
"""

from __future__ import annotations

from .lexer import Token
from .names import ACCENTS, GREEK, WRAPPERS

_FRACS = {r"\frac", r"\dfrac", r"\tfrac", r"\cfrac"}


def _d_form(tokens, j):
    """The tokens that replace a d of d-notation at ``tokens[j]`` (``dC``, ``d C``,
    ``\\mathrm{d} C``) and how many tokens it takes, or None."""
    tok = tokens[j]
    nxt = tokens[j + 1] if j + 1 < len(tokens) else None

    def starts_name(t):
        return t is not None and (t.kind == "WORD" or (t.kind == "CMD" and (
            t.text in GREEK or t.text in ACCENTS or t.text in WRAPPERS)))
    partial = Token("CMD", r"\partial", tok.position)
    if tok.kind == "WORD" and tok.text == "d" and starts_name(nxt):
        return [partial], 1
    if tok.kind == "WORD" and len(tok.text) > 1 and tok.text[0] == "d" and tok.text[1].isalpha():
        return [partial, Token("WORD", tok.text[1:], tok.position + 1)], 1
    if tok.kind == "CMD" and tok.text in (r"\mathrm", r"\text", r"\operatorname", r"\mathit", r"\textrm"):
        if j + 3 < len(tokens) and tokens[j + 1].kind == "{" and tokens[j + 2].kind == "WORD" \
                and tokens[j + 2].text == "d" and tokens[j + 3].kind == "}" and starts_name(tokens[j + 4]):
            return [partial], 4
        if nxt is not None and nxt.kind == "WORD" and nxt.text == "d" and starts_name(tokens[j + 2]):
            return [partial], 2
    return None


def _closers(tokens) -> dict:
    """For every '{' token, the index after its matching '}' (unmatched: the end)."""
    out, stack = {}, []
    for k, tok in enumerate(tokens):
        if tok.kind == "{":
            stack.append(k)
        elif tok.kind == "}" and stack:
            out[stack.pop()] = k + 1
    for k in stack:
        out[k] = len(tokens)
    return out


_NAMEISH = {"WORD", "NUM", "_", "^", "{", "}", "'", "(", ")"}


def d_notation(tokens):
    """d-notation as ∂: \\frac{dC}{dz}, dC/dz, \\frac{\\mathrm{d}C}{\\mathrm{d}z} become
    \\partial tokens where both the top and the bottom begin with a d."""
    edits = {}
    closers = None
    for j, tok in enumerate(tokens):
        if tok.kind == "CMD" and tok.text in _FRACS and tokens[j + 1].kind == "{":
            if closers is None:
                closers = _closers(tokens)
            k = closers[j + 1]
            if k < len(tokens) and tokens[k].kind == "{":
                top, bottom = _d_form(tokens, j + 2), _d_form(tokens, k + 1)
                if top and bottom:
                    edits[j + 2], edits[k + 1] = top, bottom
        elif tok.kind == "/" and j + 1 < len(tokens):
            bottom = _d_form(tokens, j + 1)
            if not bottom:
                continue
            s = j
            while s > 0 and (tokens[s - 1].kind in _NAMEISH or (tokens[s - 1].kind == "CMD" and (
                    tokens[s - 1].text in GREEK or tokens[s - 1].text in WRAPPERS))):
                s -= 1
            for start in range(s, j):
                top = _d_form(tokens, start)
                if top and start not in edits:
                    edits[start], edits[j + 1] = top, bottom
                    break
    if not edits:
        return tokens
    out, j = [], 0
    while j < len(tokens):
        if j in edits:
            replacement, width = edits[j]
            out += replacement
            j += width
        else:
            out.append(tokens[j])
            j += 1
    return out
