"""The derivation document of a convolutional network
(:class:`~symbackprop.builders.convnet.ConvNet`), told as a CNN lecture tells it; what is
generic (the chain rule, every adjoint as the graph's sum, the numbers, the check) is the
story of any graph (:mod:`.generic`).

1. the maps: the shape of every layer's output and its parameters, and the grids;
2. the forward pass layer by layer: the layer's formula (the sliding window), one output
   entry written out as its sum, the rest as the map of values;
3. the backward pass: every adjoint as the graph's sum over its consumers;
4. the compact forms: ∂C/∂K as the correlation of the input with the δ map, ∂C/∂x as
   the full convolution of the (dilated) δ map with the flipped kernel, max pooling routing
   δ to the arg-max, average pooling spreading it, a norm's three paths; each compared
   with the graph's sums at the point.
"""

from __future__ import annotations

from ...builders.layers import Conv, Dense, Norm, geometry
from ...notation.numerals import rough
from .. import breaking
from ..model import Equations, Figure, Heading, Math, Row, S, Table
from ..pictures import grids
from .generic import GraphStory
from .maps import MapNumbers, conv_compact, norm_compact, plain, pool_compact


def _row(lhs_tex, lines) -> Row:
    """A displayed row from its LaTeX; its text (Unicode) is read off the LaTeX."""
    return Row(Math(lhs_tex, plain(lhs_tex)), tuple(lines), plain(" ".join(lines)))


def _shape(shape) -> str:
    return "×".join(str(s) for s in shape)


def _dims(shape) -> Math:
    """A shape as math: 2 × 4 × 4."""
    return Math(r" \times ".join(str(s) for s in shape), _shape(shape))


def _tex_number(value) -> str:
    text = str(value)
    if "/" in text:
        p, q = text.split("/")
        return r"\tfrac{%s}{%s}" % (p, q) if q != "100000" else r"10^{-5}" if p == "1" else r"%s \cdot 10^{-5}" % p
    return text


class ConvStory(GraphStory):
    """The document of a convolutional network."""

    TITLE = "Backpropagation through a convolutional network, derived"
    SECTIONS = ("graph", "forward", "chain_rule", "backward", "compact", "gradient",
                "numbers", "batch", "check", "descent")

    @property
    def maps(self):
        numbers = getattr(self.values, "numbers", None)
        return MapNumbers(self.net, numbers) if numbers is not None else None

    def source(self, l, n=None) -> str:
        """The name of the map layer l reads: x, or a^{(l-1)}."""
        return "x" if l == 1 else "a^{(%d)}" % (l - 1)

    # --- 1. the maps ------------------------------------------------------------------

    def graph_section(self):
        g = self.net
        self.add(Heading("The network and its maps"))
        batch = len(g.examples) > 1 or g.examples != (None,)
        self.p("Every entry of every map is a node of the graph. The input ", Math("x", "x"),
               " has shape ", _dims(g.shapes[0]), " (channels by %s); each layer's output map and its "
               "parameters:" % ("rows by columns" if len(g.shapes[0]) == 3 else "length"))
        rows = [("0", "input", "", _dims(g.shapes[0]), "")]
        for l, layer in enumerate(g.layers, start=1):
            rows.append((str(l), layer.type, _settings(layer, g.shapes[l - 1], g.activations[l - 1].name),
                         _dims(g.shapes[l]), _parameters(g, l)))
        self.add(Table(("layer", "type", "settings", "output shape", "parameters"), tuple(rows), "lllll"))
        if batch:
            self.p("A batch norm normalizes over the %d examples of the mini-batch, so the examples are one "
                   "graph: every name of example n carries its number, as in " % len(g.examples),
                   Math("x^{(n)}_{c,i,j}", "x⁽ⁿ⁾_c,i,j"), " and ", Math("z^{(l)(n)}_{o,i,j}", "z⁽ˡ⁾⁽ⁿ⁾_o,i,j"),
                   ", and the output is the total ", Math(r"L = \sum_n C^{(n)}", "L = Σₙ C⁽ⁿ⁾"), ".")
        if self.maps is not None:
            self.add(Figure(grids.forward(g, self.maps), grids.forward_caption(g)))

    # --- 2. the forward pass ----------------------------------------------------------

    def forward_section(self):
        self.add(Heading("The forward pass"))
        g = self.net
        for l, layer in enumerate(g.layers, start=1):
            self.add(Heading("Layer %d: %s" % (l, layer.type), 2))
            getattr(self, "forward_" + type(layer).__name__.lower())(l, layer)
        self.p("The cost:")
        costs = [s for s, n in g.nodes.items() if n.op == "cost"]
        rows = [self.formula_row(self.d.node(s)) for s in costs[:1]]
        if g.cost_symbol not in costs:
            rows.append(self.formula_row(self.d.node(g.cost_symbol)))
        self.add(Equations(tuple(rows)))

    def first(self, base, l):
        n = self.net.examples[0]
        entries = self.net.maps[(base, l, n)]
        return entries[min(entries)]

    def written_out(self, l, base="z"):
        """One output entry as its sum, and the rest as the map."""
        sym = self.first(base, l)
        self.p("One entry written out, the window at the top left:")
        self.add(Equations((self.formula_row(self.d.node(sym)),)))
        count = len(self.net.maps[(base, l, self.net.examples[0])])
        if count > 1:
            others = "The other entry slides" if count == 2 else "The other %d entries slide" % (count - 1)
            self.p(others + " the same window over the map (every entry is a node of the graph, with its "
                   "value in the numbers section).")

    def forward_conv(self, l, layer):
        g = self.net
        kernel, stride, pad = geometry(layer, g.shapes[l - 1])
        two = len(kernel) == 2
        src = self.source(l)
        idx = [_index(v, k, s, pad) for v, k, s in zip("ij", "pq", stride)]
        sums = r"\sum_{c=1}^{%d} \sum_{p=1}^{%d}%s" % (g.shapes[l - 1][0], kernel[0],
                                                     r" \sum_{q=1}^{%d}" % kernel[1] if two else "")
        K = "K^{(%d)}_{o,c,p%s}" % (l, ",q" if two else "")
        out = "z^{(%d)}_{o,i%s}" % (l, ",j" if two else "")
        rhs = r"%s %s \, %s_{c,%s} + b^{(%d)}_{o}" % (sums, K, src, ",".join(idx), l)
        self.p("A cross-correlation (the kernel is not flipped, as in PyTorch's Conv2d): output channel ",
               Math("o", "o"), " at position ", Math("(i, j)" if two else "i", "(i, j)" if two else "i"),
               " is the sum of the kernel times the window of the input under it, with stride %d%s:" % (
                   stride[0], ", padding %d (entries outside the input are 0 and left out of the sum)" % pad
                   if pad else ""))
        self.add(Equations((_row(out, [rhs]),
                            _row("a^{(%d)}_{o,i%s}" % (l, ",j" if two else ""), [r"%s\left(%s\right)" % (_act(g, l), out)]))))
        self.p("The output map is ", _dims(g.shapes[l]), ": along each dimension ",
               Math(r"(\text{input} + 2 \cdot \text{padding} - \text{kernel}) / \text{stride} + 1",
                    "(input + 2·padding − kernel)/stride + 1"), " positions.")
        self.written_out(l)

    def forward_pool(self, l, layer):
        g = self.net
        kernel, stride, _ = geometry(layer, g.shapes[l - 1])
        two = len(kernel) == 2
        src = self.source(l)
        idx = ",".join(_index(v, k, s, 0) for v, k, s in zip("ij", "pq", stride))
        out = "a^{(%d)}_{c,i%s}" % (l, ",j" if two else "")
        if layer.mode == "max":
            rhs = r"\max_{p%s} %s_{c,%s}" % (",q" if two else "", src, idx)
            self.p("Each channel separately, the largest entry of each window (no padding). Its derivative "
                   "is 1 for the first maximum of the window (row by row, as PyTorch routes it) and 0 for "
                   "the others; at a tie the cost is not differentiable.")
        else:
            rhs = r"\frac{1}{%d} \sum_{p%s} %s_{c,%s}" % (kernel[0] * (kernel[1] if two else 1),
                                                        ",q" if two else "", src, idx)
            self.p("Each channel separately, the mean of each window (no padding):")
        self.add(Equations((_row(out, [rhs]),)))
        self.written_out(l, "a")

    def forward_norm(self, l, layer):
        g = self.net
        src = self.source(l)
        over = ("over the examples of the mini-batch and the positions of each channel c"
                if layer.mode == "batch" else "over all the entries of one example")
        m = "m"
        c = "_{c}" if layer.mode == "batch" else ""
        eps = self.net.epsilons[l - 1]
        self.p("Normalized %s (m entries, biased variance, " % over,
               Math(r"\varepsilon = %s" % _tex_number(eps), "ε = %s" % eps), "), then scaled by ",
               Math(r"\gamma", "γ"), " and shifted by ", Math(r"\beta", "β"), "; the activation applies after them:")
        j = "c" if layer.mode == "batch" else "j"
        self.add(Equations((
            _row(r"\mu^{(%d)}%s" % (l, c), [r"\frac{1}{%s} \sum %s" % (m, src)]),
            _row(r"\sigma^{2(%d)}%s" % (l, c), [r"\frac{1}{%s} \sum \left(%s - \mu^{(%d)}%s\right)^{2}"
                                                     % (m, src, l, c)]),
            _row(r"\hat{x}^{(%d)}" % l, [r"\frac{%s - \mu^{(%d)}%s}{\sqrt{\sigma^{2(%d)}%s + \varepsilon}}"
                                              % (src, l, c, l, c)]),
            _row("z^{(%d)}" % l, [r"\gamma^{(%d)}_{%s} \, \hat{x}^{(%d)} + \beta^{(%d)}_{%s}" % (l, j, l, l, j)]),
            _row("a^{(%d)}" % l, [r"%s\left(z^{(%d)}\right)" % (_act(g, l), l)]))))
        for base in (r"\mu", r"\sigma^{2}", r"\hat{x}", "z"):
            key = (base, l, g.examples[0] if base in (r"\hat{x}", "z") or layer.mode == "layer" else None)
            entries = g.maps.get(key)
            if entries:
                self.add(Equations((self.formula_row(self.d.node(entries[min(entries)])),)))

    def forward_dense(self, l, layer):
        g = self.net
        if len(g.shapes[l - 1]) > 1:
            self.p("The map before is flattened in (channel, row, column) order: entry k of the vector is "
                   "the k-th entry in that order, and ", Math("w^{(%d)}_{jk}" % l, "w⁽%d⁾ⱼₖ" % l),
                   " multiplies it.")
        sym = self.first("z", l)
        self.add(Equations((self.formula_row(self.d.node(sym)),)))

    # --- 3. the backward pass -----------------------------------------------------------

    def backward_section(self):
        self.add(Heading("The backward pass"))
        adjoints = self.d.select("delta")
        self.p("Every adjoint in one step, as the graph's sum over the entry's consumers (a kernel entry is "
               "used at every window position, an input entry by every window that covers it):")
        self.add(Equations(tuple(self.formula_row(f) for f in adjoints)))
        self.fan_out(adjoints)
        if self.maps is not None:
            self.add(Figure(grids.backward(self.net, self.maps), grids.backward_caption(self.net)))

    def split_width(self, lhs: str) -> float:
        """The split's lines within the row's budget (a batch graph's names are long)."""
        return breaking.budget(lhs)

    def fan_out(self, adjoints):
        """How many entries fan out, and the widest one (listing them all would fill pages)."""
        g = self.net
        fans = [(len([c for c in g.nodes[f.of].consumers if c in g.used]), f.of) for f in adjoints]
        fans = [(n, s) for n, s in fans if n > 1]
        if not fans:
            return
        n, widest = max(fans, key=lambda t: t[0])
        self.p("Fan-out: %d of the %d entries feed several consumers, so each of their adjoints is a sum "
               "with one term per consumer; the widest, " % (len(fans), len(adjoints)), S(widest.name),
               ", feeds %d." % n)

    # --- 4. the compact forms -------------------------------------------------------------

    def compact_section(self):
        g = self.net
        self.add(Heading("The compact forms"))
        self.p("The sums above, collected per map as a CNN lecture writes them; ",
               Math(r"\delta^{(l)}_{o,i,j} = \frac{\partial %s}{\partial z^{(l)}_{o,i,j}}" % self.C,
                    "δ⁽ˡ⁾ = ∂%s/∂z⁽ˡ⁾" % self.C), " is the ", Math(r"\delta", "δ"), " map of a layer.")
        for l, layer in enumerate(g.layers, start=1):
            compact = getattr(self, "compact_" + type(layer).__name__.lower())(l, layer)
            if compact is not None and self.maps is not None:
                self.agreement(compact)

    def agreement(self, compact: dict):
        worst = max(abs(v - self.maps.adjoint(s)) for s, v in compact.items())
        self.p("Computed from the compact form%s at the given point, the %d values agree with the graph's "
               "sums to within %s." % ("s" if len(compact) > 1 else "", len(compact), rough(worst)))

    def compact_conv(self, l, layer):
        g = self.net
        kernel, stride, pad = geometry(layer, g.shapes[l - 1])
        two = len(kernel) == 2
        src = self.source(l)
        C = self.C
        ij, pq = ("i,j", "p,q") if two else ("i", "p")
        idx = ",".join(_index(v, k, s, pad) for v, k, s in zip("ij", "pq", stride))
        self.add(Heading("Layer %d: convolution" % l, 2))
        self.p("The kernel's gradient is the correlation of the layer's input with its ", Math(r"\delta", "δ"),
               " map (each kernel entry meets every input entry its window position puts under it), and the "
               "bias collects ", Math(r"\delta", "δ"), ":")
        self.add(Equations((
            _row(r"\frac{\partial %s}{\partial K^{(%d)}_{o,c,%s}}" % (C, l, pq), [r"\sum_{%s} %s_{c,%s} \, \delta^{(%d)}_{o,%s}" % (ij, src, idx, l, ij)]),
            _row(r"\frac{\partial %s}{\partial b^{(%d)}_{o}}" % (C, l), [r"\sum_{%s} \delta^{(%d)}_{o,%s}" % (ij, l, ij)]))))
        zeros = "%d zero%s" % (stride[0] - 1, "" if stride[0] == 2 else "s")
        dil = (" dilated by the stride (%s between its entries, written " % zeros,
               Math(r"\tilde{\delta}", "δ̃"), ")") if max(stride) > 1 else (" (written ", Math(r"\tilde{\delta}", "δ̃"), ")")
        edge = "rows and columns" if two else "entries at each end"
        crop = ", and the outer %d %s cropped (the padding)" % (pad, edge) if pad else ""
        self.p("The input's gradient is the full convolution of the ", Math(r"\delta", "δ"), " map", *dil,
               ", taken as 0 outside its entries (padded by kernel - 1 zeros), with the kernel flipped "
               "(rotated by 180 degrees)%s: an input entry at offset p inside a window meets the kernel entry p, "
               "which read from the output's side is the flipped kernel." % crop)
        flipped = "K^{(%d)}_{o,c,%s}" % (l, ",".join("%d-%s" % (k + 1, v) for k, v in zip(kernel, "pq")))
        self.add(Equations((_row(r"\frac{\partial %s}{\partial %s_{c,%s}}" % (C, src, "u,v" if two else "u"), [r"\sum_{o} \sum_{%s} %s \, \tilde{\delta}^{(%d)}_{o,%s}" % (
                                     pq, flipped, l, ",".join("%s+%s-%d" % (u, v, k - pad)
                                                              for u, v, k in zip("uv", "pq", kernel)))]),)))
        if self.maps is None:
            return None
        return conv_compact(g, self.maps, l)

    def compact_pool(self, l, layer):
        self.add(Heading("Layer %d: %s" % (l, layer.type), 2))
        if layer.mode == "max":
            self.p("Max pooling routes each entry's adjoint to the arg-max of its window (the first maximum, "
                   "row by row) and sends 0 to the other entries: only the maximum changed the output.")
        else:
            self.p("Average pooling spreads each entry's adjoint evenly over its window: every entry of a "
                   "window of m gets 1/m of it.")
        return pool_compact(self.net, self.maps, l) if self.maps is not None else None

    def compact_norm(self, l, layer):
        C = self.C
        self.add(Heading("Layer %d: %s" % (l, layer.type), 2))
        src = self.source(l)
        h = r"\frac{\partial %s}{\partial \hat{x}_{i}}" % C
        self.p("With ", Math(h + r" = \gamma \, \frac{\partial %s}{\partial z_{i}}" % C, "∂%s/∂x̂ᵢ = γ ∂%s/∂zᵢ" % (C, C)),
               ", an input entry ", Math("%s_{i}" % src, src + "ᵢ"), " reaches the cost by three paths: through ",
               Math(r"\hat{x}_{i}", "x̂ᵢ"), " directly, through the variance and through the mean (m entries "
               "per mean):")
        self.add(Equations((
            _row(r"\frac{\partial %s}{\partial \sigma^{2}}" % C, [r"-\frac{1}{2} \left(\sigma^{2} + \varepsilon\right)^{-3/2} \sum_{k} %s \left(%s_{k} - \mu\right)"
                  % (h.replace("_{i}", "_{k}"), src)]),
            _row(r"\frac{\partial %s}{\partial \mu}" % C, [r"-\frac{1}{\sqrt{\sigma^{2} + \varepsilon}} \sum_{k} %s" % h.replace("_{i}", "_{k}")]),
            _row(r"\frac{\partial %s}{\partial %s_{i}}" % (C, src), [r"\frac{%s}{\sqrt{\sigma^{2} + \varepsilon}} + \frac{\partial %s}{\partial \sigma^{2}} \, "
                  r"\frac{2 \left(%s_{i} - \mu\right)}{m} + \frac{\partial %s}{\partial \mu} \, \frac{1}{m}"
                  % (h, C, src, C)]))))
        self.p("Collected, the compact form:")
        self.add(Equations((_row(r"\frac{\partial %s}{\partial %s_{i}}" % (C, src), [r"\frac{1}{m \sqrt{\sigma^{2} + \varepsilon}} \left(m \, %s - \sum_{k} %s "
                                  r"- \hat{x}_{i} \sum_{k} %s \, \hat{x}_{k}\right)" % (
                                      h, h.replace("_{i}", "_{k}"), h.replace("_{i}", "_{k}"))]),)))
        if self.maps is None:
            return None
        compact, paths = norm_compact(self.net, self.maps, l)
        (k, index), direct, via_var, via_mean = paths[0]
        sym = self.net.maps[("x", 0, k)][index] if l == 1 else self.net.maps[("a", l - 1, k)][index]
        self.p("At the point, for ", S(sym.name), ": the three paths give %s, %s and %s, "
               "together %s." % (rough(direct), rough(via_var), rough(via_mean), rough(direct + via_var + via_mean)))
        return compact

    def compact_dense(self, l, layer):
        return None


def _index(v, k, s, pad) -> str:
    """The input index under kernel offset k of output position v: s(v − 1) + k − pad."""
    base = "%s+%s-1" % (v, k) if s == 1 else "%d(%s-1)+%s" % (s, v, k)
    return base + ("-%d" % pad if pad else "")


def _act(g, l) -> str:
    return r"\operatorname{%s}" % g.activations[l - 1].name


def _settings(layer, before, act) -> tuple:
    if isinstance(layer, Conv):
        kernel, stride, pad = geometry(layer, before)
        return ("kernel ", _dims(kernel), ", stride ", _dims(stride), ", padding %d, %s" % (pad, act))
    if isinstance(layer, Norm):
        return ("eps ", Math(_tex_number(layer.eps), str(layer.eps)), ", " + act)
    if isinstance(layer, Dense):
        return act
    kernel, stride, _ = geometry(layer, before)
    return ("kernel ", _dims(kernel), ", stride ", _dims(stride))


def _parameters(g, l) -> tuple | str:
    layer, before, after = g.layers[l - 1], g.shapes[l - 1], g.shapes[l]
    if isinstance(layer, Conv):
        kernel = geometry(layer, before)[0]
        return (Math("K", "K"), " ", _dims((after[0], before[0]) + kernel), ", ", Math("b", "b"), " %d" % after[0])
    if isinstance(layer, Dense):
        return (Math("w", "w"), " ", _dims((after[0], _size(before))), ", ", Math("b", "b"), " %d" % after[0])
    if isinstance(layer, Norm):
        count = before[0] if layer.mode == "batch" else _size(before)
        return (Math(r"\gamma", "γ"), " %d, " % count, Math(r"\beta", "β"), " %d" % count)
    return ""


def _size(shape) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


__all__ = ["ConvStory"]
