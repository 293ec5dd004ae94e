"""The Greek letters: one table for the names a spec may use, the answers and formulas
that read them, and the printers that write them.

:data:`LETTERS` maps each LaTeX command to its Unicode letter, as TeX sets it (``\\epsilon``
is ϵ, ``\\varepsilon`` ε; ``\\phi`` is ϕ, ``\\varphi`` φ), so that every letter prints as
itself and reads back as its own command. :func:`readings` gives what a written letter
may mean besides itself: the other form of the same letter (ε for a spec's ``\\epsilon``)
and, for a word of plain text (``delta``), the letter it spells.
"""

from __future__ import annotations

#: LaTeX command → Unicode letter.
LETTERS = {
    r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\epsilon": "ϵ",
    r"\varepsilon": "ε", r"\zeta": "ζ", r"\eta": "η", r"\theta": "θ", r"\vartheta": "ϑ",
    r"\iota": "ι", r"\kappa": "κ", r"\varkappa": "ϰ", r"\lambda": "λ", r"\mu": "μ",
    r"\nu": "ν", r"\xi": "ξ", r"\pi": "π", r"\varpi": "ϖ", r"\rho": "ρ", r"\varrho": "ϱ",
    r"\sigma": "σ", r"\varsigma": "ς", r"\tau": "τ", r"\upsilon": "υ", r"\phi": "ϕ",
    r"\varphi": "φ", r"\chi": "χ", r"\psi": "ψ", r"\omega": "ω",
    r"\Gamma": "Γ", r"\Delta": "Δ", r"\Theta": "Θ", r"\Lambda": "Λ", r"\Xi": "Ξ",
    r"\Pi": "Π", r"\Sigma": "Σ", r"\Upsilon": "Υ", r"\Phi": "Φ", r"\Psi": "Ψ", r"\Omega": "Ω",
}
#: Unicode letter → LaTeX command (the inverse of :data:`LETTERS`).
COMMANDS = {letter: command for command, letter in LETTERS.items()}
#: The two forms of one letter.
_FORMS = [(r"\epsilon", r"\varepsilon"), (r"\theta", r"\vartheta"), (r"\kappa", r"\varkappa"),
          (r"\pi", r"\varpi"), (r"\rho", r"\varrho"), (r"\sigma", r"\varsigma"),
          (r"\phi", r"\varphi")]
_OTHER_FORM = {a: b for a, b in _FORMS} | {b: a for a, b in _FORMS}


def readings(base: str) -> list[str]:
    """What a name's written ``base`` may mean, in order: itself, the other form of its
    letter (``\\varepsilon`` for ``\\epsilon``), and for a spelled-out word the letter
    (``delta`` is ``\\delta``)."""
    out = [base]
    if "\\" + base in LETTERS:
        out.append("\\" + base)
    if out[-1] in _OTHER_FORM:
        out.append(_OTHER_FORM[out[-1]])
    return out
