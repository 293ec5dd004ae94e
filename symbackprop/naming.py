"""The one place where notations live: how every symbol of a network is written.

Names are LaTeX strings and are used verbatim everywhere: as SymPy symbol names, in
documents, and as JSON keys. Three notations are built in:

* ``layered`` (default): ``x_{k}``, ``y_{j}``, ``w^{(l)}_{jk}``, ``b^{(l)}_{j}``,
  ``z^{(l)}_{j}``, ``a^{(l)}_{j}``, ``\\delta^{(l)}_{j}``;
* ``bracket``: the same with ``^{[l]}``;
* ``lecture``: neurons numbered through the whole network (z_1 … z_n), weights
  w_1 … w_m in row-major layer order, outputs y_j and targets ŷ_j, and ∂C/∂z_n
  written out as a fraction.

Where an index reaches 10, the two indices of a weight are separated by a comma
(``w^{(1)}_{1,10}``). A spec may name weights, biases and neurons itself; those names
take precedence.
"""

from __future__ import annotations

import re

from .errors import SpecError

NOTATIONS = ("layered", "bracket", "lecture")

_NAME = re.compile(r"^[A-Za-z\\][A-Za-z0-9_^{}()\[\],'\\.]*$")
_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
          "pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta "
          "Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
#: The LaTeX commands a name may use: Greek letters and accents, nothing that acts.
COMMANDS = frozenset(_GREEK + ("varkappa hat widehat bar overline tilde widetilde vec dot ddot check breve "
                               "mathrm mathbf mathit mathsf mathcal mathbb boldsymbol ell prime").split())


def check_name(name, where: str) -> str:
    """A user-given symbol name: a short LaTeX-like word with balanced braces."""
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 64:
        raise SpecError(f"{where}: '{name}' is not a valid symbol name "
                        "(letters, digits, _ ^ { } ( ) [ ] , ' and LaTeX commands; no spaces)")
    unknown = sorted(set(re.findall(r"\\([A-Za-z]+)", name)) - COMMANDS)
    if unknown or re.search(r"\\[^A-Za-z]", name):
        bad = "\\" + unknown[0] if unknown else "a backslash not followed by a letter"
        raise SpecError(f"{where}: '{name}' uses {bad}; a name may use only Greek letters and "
                        + ", ".join("\\" + c for c in sorted(COMMANDS - set(_GREEK))))
    depth = 0
    for ch in name:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        raise SpecError(f"{where}: '{name}' has unbalanced braces")
    return name


def indices(*ks: int) -> str:
    """``11`` for (1, 1); ``1,10`` once an index reaches 10."""
    sep = "," if any(k >= 10 for k in ks) else ""
    return sep.join(str(k) for k in ks)


def partial(of: str, wrt: str) -> str:
    return r"\frac{\partial %s}{\partial %s}" % (of, wrt)


class Notation:
    """Names for one network. ``sizes`` includes the input layer; ``custom[l]`` holds a
    layer's own names: ``weights`` (rows × columns), ``biases``, ``neurons``."""

    def __init__(self, style: str, sizes, *, inputs=None, targets=None, custom=None):
        if style not in NOTATIONS:
            raise SpecError(f"unknown notation {style!r}; expected one of: {', '.join(NOTATIONS)}")
        self.style = style
        self.sizes = tuple(sizes)
        self.L = len(self.sizes) - 1
        self._inputs = list(inputs) if inputs else None
        self._targets = list(targets) if targets else None
        self._custom = custom or {}
        self._first = [0, 0]
        for n in self.sizes[1:]:
            self._first.append(self._first[-1] + n)
        self._first_weight = [0, 0]
        for l in range(1, self.L + 1):
            self._first_weight.append(self._first_weight[-1] + self.sizes[l] * self.sizes[l - 1])

    def _layer(self, l: int) -> str:
        return "^{[%d]}" % l if self.style == "bracket" else "^{(%d)}" % l

    def _own(self, l: int, key: str):
        return self._custom.get(l, {}).get(key)

    def x(self, k: int) -> str:
        if self._inputs:
            return self._inputs[k - 1]
        return "x_{%d}" % k

    def y(self, j: int) -> str:
        if self._targets:
            return self._targets[j - 1]
        if self.style == "lecture":
            return r"\hat{y}_{%d}" % j
        return "y_{%d}" % j

    def w(self, l: int, j: int, k: int) -> str:
        own = self._own(l, "weights")
        if own:
            return own[j - 1][k - 1]
        if self.style == "lecture":
            return "w_{%d}" % (self._first_weight[l] + (j - 1) * self.sizes[l - 1] + k)
        return "w%s_{%s}" % (self._layer(l), indices(j, k))

    def b(self, l: int, j: int) -> str:
        own = self._own(l, "biases")
        if own:
            return own[j - 1]
        if self.style == "lecture":
            return "b_{%d}" % (self._first[l] + j)
        return "b%s_{%d}" % (self._layer(l), j)

    def a(self, l: int, j: int) -> str:
        if l == 0:
            return self.x(j)
        own = self._own(l, "neurons")
        if own:
            return own[j - 1]
        if self.style == "lecture":
            return "y_{%d}" % j if l == self.L else "a_{%d}" % (self._first[l] + j)
        return "a%s_{%d}" % (self._layer(l), j)

    def z(self, l: int, j: int) -> str:
        own = self._own(l, "neurons")
        if own:
            return "z_{%s}" % own[j - 1]
        if self.style == "lecture":
            return "z_{%d}" % (self._first[l] + j)
        return "z%s_{%d}" % (self._layer(l), j)

    def delta(self, l: int, j: int) -> str:
        own = self._own(l, "neurons")
        if own:
            return r"\delta_{%s}" % own[j - 1]
        if self.style == "lecture":
            return partial("C", self.z(l, j))
        return r"\delta%s_{%d}" % (self._layer(l), j)

    @staticmethod
    def gradient(name: str) -> str:
        """The name of ∂C/∂(name)."""
        return partial("C", name)
