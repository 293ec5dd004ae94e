"""The numbers of a convolutional network's maps, read off an evaluation, and the compact
forms of its backward pass computed from them (the lecture's formulas, independent of the
graph's per-entry sums, which they are then compared with).

* :func:`conv_compact`: ∂C/∂K as the correlation of the input with the δ map, ∂C/∂x as
  the full convolution of the (dilated, for stride > 1) δ map with the flipped kernel;
* :func:`pool_compact`: max pooling routes δ to the first arg-max, average pooling
  spreads it evenly;
* :func:`norm_compact`: the backward pass of a batch or layer norm as its three paths
  (through x̂ directly, via the variance, via the mean).

Each returns the compact values by symbol, so the story can state the largest difference
from the graph's own values.
"""

from __future__ import annotations

import itertools
import math
import re

from ...builders.convnet import norm_groups, positions
from ...builders.layers import geometry


#: LaTeX of the story's own formulas → Unicode, after fractions and roots (for the text format).
_PLAIN = ((r"\\sum_\{([^{}]*)\}\^\{([^{}]*)\}", r"Σ[\1..\2] "), (r"\\sum_\{([^{}]*)\}", r"Σ[\1] "),
          (r"\\sum", "Σ"), (r"\\operatorname\{([^{}]*)\}", r"\1"), (r"\\tilde\{\\delta\}", "δ̃"),
          (r"\\hat\{x\}", "x̂"), (r"\\left|\\right", ""), (r"\\, ?", ""), (r"\\max", "max"), (r"\\cdot", "·"),
          (r"\\times", "×"), (r"\\text\{([^{}]*)\}", r"\1"), (r"\\partial ?", "∂"), (r"\\delta", "δ"),
          (r"\\mu", "μ"), (r"\\sigma", "σ"), (r"\\gamma", "γ"), (r"\\beta", "β"), (r"\\varepsilon", "ε"),
          (r"\^\{2\}", "²"), (r"\^\{-3/2\}", "^(−3/2)"), (r"\{|\}", ""), (r"  +", " "))


def _group(tex: str, i: int) -> tuple:
    """The brace group starting at tex[i] == "{": (its content, the index after it)."""
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1:j], j + 1
    return tex[i + 1:], len(tex)


def _wrapped(text: str) -> str:
    return text if re.fullmatch(r"[\w∂μσγβεδ²^()_,.+\-]*", text) and "+" not in text and " " not in text \
        else "(%s)" % text


def plain(tex: str) -> str:
    """A formula of the story in Unicode: ``\\frac{1}{m} \\sum_{k} x_{k}`` → ``1/m Σ[k] x_k``."""
    for command, form in ((r"\frac", "%s/%s"), (r"\sqrt", "√%s")):
        while command + "{" in tex:
            i = tex.index(command + "{")
            first, j = _group(tex, i + len(command))
            if form.count("%s") == 2:
                second, j = _group(tex, j)
                out = form % (_wrapped(plain(first)), _wrapped(plain(second)))
            else:
                out = form % _wrapped(plain(first))
            tex = tex[:i] + out + tex[j:]
    for pattern, out in _PLAIN:
        tex = re.sub(pattern, out, tex)
    return tex.strip()


class MapNumbers:
    """Values and adjoints of a :class:`~symbackprop.builders.convnet.ConvNet` at one
    evaluation: ``value(sym)`` and ``adjoint(sym)`` (∂C/∂sym), floats or None."""

    def __init__(self, net, numbers):
        self.net, self.numbers = net, numbers

    def value(self, sym):
        v = self.numbers.get(sym)
        return None if v is None else float(v)

    def adjoint(self, sym):
        node = self.net.nodes[sym]
        key = self.net.gradient_symbol(sym) if node.is_leaf else self.net.adjoint_symbol(sym)
        v = self.numbers.get(key)
        return None if v is None else float(v)

    def grid(self, base, l, n, channel=None, adjoint=False):
        """The entries of one channel of a map as rows (a list of lists of floats)."""
        net = self.net
        entries = net.maps[(base, l if base != "x" else 0, n)]
        shape = net.shapes[l if base != "x" else 0]
        read = self.adjoint if adjoint else self.value
        if len(shape) == 1:
            return [[read(entries[(j,)]) for j in range(1, shape[0] + 1)]]
        if len(shape) == 2:
            return [[read(entries[(channel, i)]) for i in range(1, shape[1] + 1)]]
        return [[read(entries[(channel, i, j)]) for j in range(1, shape[2] + 1)] for i in range(1, shape[1] + 1)]


def previous(net, l, n):
    """The entries feeding layer l: the input map, or layer l − 1's output map."""
    return net.maps[("x", 0, n)] if l == 1 else net.maps[("a", l - 1, n)]


def conv_compact(net, nums: MapNumbers, l: int) -> dict:
    """{symbol: compact value}: ∂C/∂K^{(l)} by correlation, ∂C/∂a^{(l-1)} by the full
    convolution of the dilated δ map with the flipped kernel (cropped by the padding)."""
    layer, before, after = net.layers[l - 1], net.shapes[l - 1], net.shapes[l]
    kernel, stride, pad = geometry(layer, before)
    out = {}
    for (o, c) in itertools.product(range(1, after[0] + 1), range(1, before[0] + 1)):
        for p in positions(kernel):
            total = 0.0
            for n in net.examples:
                a, z = previous(net, l, n), net.maps[("z", l, n)]
                for at in positions(after[1:]):
                    src = tuple((i - 1) * s + q - pad for i, s, q in zip(at, stride, p))
                    if all(1 <= v <= m for v, m in zip(src, before[1:])):
                        total += nums.value(a[(c,) + src]) * nums.adjoint(z[(o,) + at])
            out[net.K(l, o, c, *p)] = total
    for n in net.examples:
        a, z = previous(net, l, n), net.maps[("z", l, n)]
        dilated = _dilated(nums, z, after, stride)
        for index in positions(before):
            c, at = index[0], index[1:]
            total = 0.0
            for o in range(1, after[0] + 1):
                for p in positions(kernel):      # the flipped kernel: K at (k + 1 − p)
                    flipped = tuple(k + 1 - q for k, q in zip(kernel, p))
                    # the full convolution: the dilated δ padded by k − 1 on every side
                    r = tuple(u + pad + q - 1 - (k - 1) for u, q, k in zip(at, p, kernel))
                    delta = dilated.get((o,) + r, 0.0)
                    total += nums.value(net.K(l, o, c, *flipped)) * delta
            out[a[index]] = total
    return out


def _dilated(nums, z, after, stride) -> dict:
    """δ with stride − 1 zeros between its entries: {(o, r…): value}, r 1-based."""
    return {(idx[0],) + tuple((i - 1) * s + 1 for i, s in zip(idx[1:], stride)): nums.adjoint(sym)
            for idx, sym in z.items()}


def pool_compact(net, nums: MapNumbers, l: int) -> dict:
    """{a^{(l-1)} entry: compact value}: max routes δ to the first arg-max of each window,
    average spreads δ/|window| over it."""
    layer = net.layers[l - 1]
    out = {}
    for n in net.examples:
        a = previous(net, l, n)
        for sym in a.values():
            out[sym] = 0.0
        for index, sym in net.maps[("a", l, n)].items():
            window = net.nodes[sym].group
            delta = nums.adjoint(sym)
            if layer.mode == "max":
                values = [nums.value(s) for s in window]
                first = values.index(max(values))
                out[window[first]] += delta
            else:
                for s in window:
                    out[s] += delta / len(window)
    return out


def norm_compact(net, nums: MapNumbers, l: int) -> tuple[dict, list]:
    """({a^{(l-1)} entry: compact value}, [(group, paths)]): the three paths of each entry,
    h = ∂C/∂x̂ = γ ∂C/∂z:  h/√(σ²+ε) + ∂C/∂σ² · 2(x − μ)/m + ∂C/∂μ / m, with
    ∂C/∂σ² = −½ (σ²+ε)^{−3/2} Σ h (x − μ) and ∂C/∂μ = −Σ h / √(σ²+ε)."""
    eps = float(net.epsilons[l - 1])
    out, paths = {}, []
    for n, c, members in norm_groups(net, l):
        xs = [nums.value(previous(net, l, k)[index]) for k, index in members]
        m = len(xs)
        mu = sum(xs) / m
        var = sum((x - mu) ** 2 for x in xs) / m
        root = math.sqrt(var + eps)
        hs = []
        for k, index in members:
            z = net.maps[("z", l, k)][index]
            gamma = net.nodes[z].terms[0][0]
            hs.append(nums.value(gamma) * nums.adjoint(z))
        d_var = -0.5 * (var + eps) ** -1.5 * sum(h * (x - mu) for h, x in zip(hs, xs))
        d_mu = -sum(hs) / root
        for (k, index), h, x in zip(members, hs, xs):
            direct, via_var, via_mean = h / root, d_var * 2 * (x - mu) / m, d_mu / m
            out[previous(net, l, k)[index]] = direct + via_var + via_mean
            paths.append(((k, index), direct, via_var, via_mean))
    return out, paths


__all__ = ["MapNumbers", "conv_compact", "plain", "norm_compact", "pool_compact", "previous"]
