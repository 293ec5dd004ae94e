"""Unicode superscripts and subscripts: one table for the printer that writes them, the
reader that reads them back and the pictures that set them smaller.

:data:`SUPERSCRIPT` and :data:`SUBSCRIPT` map each ASCII character to its Unicode
superscript or subscript, for every one the project writes or reads. Each use takes a
view of them:

* the Unicode printer (:func:`printing.unicode_name`, w⁽²⁾₁₁, δₕ₁, zₒ₁) raises only
  :data:`PRINTED_SUPERSCRIPT`, numbers with their signs and brackets and the power n (a
  raised letter other than n stays ``^x``), and lowers every character of
  :data:`SUBSCRIPT`;
* the answer reader turns a run of any of them back into ``^{…}`` or ``_{…}``
  (:data:`READ_SUPERSCRIPT`, :data:`READ_SUBSCRIPT`): the printer's own text, and the
  raised letters notes use (Wᵀ, aⁱ) and the documents write (h⁽ᵗ⁾);
* pictures set every one of them as smaller raised or lowered text (:data:`SCRIPTS`);
* :func:`superscript` raises a whole number (10⁻⁵, (a − y)², Wˡ's layer numbers).
"""

from __future__ import annotations

#: ASCII character → its Unicode superscript.
SUPERSCRIPT = dict(zip("0123456789()+-=nTijklt" "fcozrh", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻⁼ⁿᵀⁱʲᵏˡᵗ" "ᶠᶜᵒᶻʳʰ"))
#: ASCII character → its Unicode subscript.
SUBSCRIPT = dict(zip("0123456789()+-=aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₍₎₊₋₌ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))

#: What the Unicode printer raises: digits, signs, brackets and n.
PRINTED_SUPERSCRIPT = {ch: SUPERSCRIPT[ch] for ch in "0123456789()+-=n"}
#: What the Unicode printer raises inside parentheses: a gate's letter (W⁽ᶠ⁾₁₁, b⁽ᶻ⁾₁).
PRINTED_GATE = {ch: SUPERSCRIPT[ch] for ch in "()fiozrhc"}
#: Unicode superscript → the ASCII character it raises.
READ_SUPERSCRIPT = {raised: ch for ch, raised in SUPERSCRIPT.items()}
#: Unicode subscript → the ASCII character it lowers.
READ_SUBSCRIPT = {lowered: ch for ch, lowered in SUBSCRIPT.items()}
#: Every superscript and subscript character.
SCRIPTS = frozenset(READ_SUPERSCRIPT) | frozenset(READ_SUBSCRIPT)


def superscript(n: int) -> str:
    """A whole number raised: ``-5`` → ``⁻⁵``."""
    return "".join(SUPERSCRIPT[ch] for ch in str(n))


__all__ = ["PRINTED_GATE", "PRINTED_SUPERSCRIPT", "READ_SUBSCRIPT", "READ_SUPERSCRIPT", "SCRIPTS", "SUBSCRIPT",
           "SUPERSCRIPT", "superscript"]
