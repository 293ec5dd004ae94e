"""The lecture's slides for a layered network, in the lecture's order: the network; the
split ∂C/∂w = ∂z/∂w · ∂C/∂z; the forward pass, a layer a step; ∂z/∂w; Case 1; Case 2, a
layer a step; the reversed network with its σ′(z) amplifiers, the gradients appearing
from the output backwards; the summary. The words and formulas are the layered story's
(:mod:`..stories.layered`); with values, every formula is worked with its numbers, as
``--numbers`` writes it."""

from __future__ import annotations

from ..model import Equations, Math, Paragraph, S, slash
from ..numbers import number
from ..pictures import diagram
from ..sections.substituted import Substitution, affine_row, block, values_for, worked
from ..stories.layered import LayeredStory
from .frames import Deck, Picture, Shown, fitted, harvest, prose, steps, together

#: Heights (mm) of the network's pictures on a slide.
NETWORK_HEIGHT, REVERSED_HEIGHT = 48.0, 38.0


def drawing(d, title: str, height: float, stages=()) -> Picture:
    """A picture of :mod:`..pictures.diagram` whose labels ``stages`` ((LaTeX, step)
    pairs) appear at their steps."""
    tikz, svg = diagram.tikz(d).split("\n"), d.svg(title).split("\n")
    for tex, at in stages:
        tikz = [line.replace(r"\node[", r"\node<%d->[" % at, 1)
                if line.startswith(r"  \node[") and line.endswith("{$%s$};" % tex) else line for line in tikz]
        svg = [line.replace("<text ", '<text data-at="%d" ' % at, 1)
               if line.startswith("<text ") and line.endswith(">%s</text>" % diagram._esc(tex)) else line
               for line in svg]
    return Picture("\n".join(tikz), "\n".join(svg), title, height)


class LayeredDeck:
    """The slides of a layered network (:data:`..decks.DECKS`)."""

    def __init__(self, derivation, *, point=None):
        self.d = derivation
        self.story = LayeredStory(derivation, point=point, check=False)
        self.net = derivation.network
        numbers = values_for(self.story)[0] if self.story.values is not None else None
        self.sub = Substitution(numbers) if numbers else None

    def build(self) -> Deck:
        frames = []
        for name in ("network", "split", "forward", "factor", "case1", "case2", "reversed", "summary"):
            frames += getattr(self, name)()
        title = self.net.title or self.story.TITLE
        return Deck(title, "" if title == self.story.TITLE else self.story.TITLE, tuple(frames))

    def network(self) -> list:
        blocks = harvest(self.story, "network_section")
        picture = drawing(diagram.forward(self.net), "The network", NETWORK_HEIGHT)
        cost = [b for b in blocks if isinstance(b, Equations)][:1]
        return fitted("The network", together([blocks[0], picture]) + together(cost, 2))

    def split(self) -> list:
        return fitted("The chain rule split", steps(harvest(self.story, "split_section")))

    def forward(self) -> list:
        """A layer a step, then the cost."""
        net, d, sub, story = self.net, self.d, self.sub, self.story
        shown = []
        for l in range(1, net.L + 1):
            units = [j for j in story.units(l) if j is not None]   # a wide layer: its representatives
            if sub is not None:
                rows = block([affine_row(sub, d.forward(l, j)) for j in units],
                             [worked(story, sub, d.activation(l, j)) for j in units])
            else:
                rows = Equations(tuple(story.z_row(l, j) for j in units)
                                 + tuple(story.formula_row(d.activation(l, j)) for j in units))
            shown.append(Shown(rows, l))
        cost = block([worked(story, sub, d.cost)]) if sub is not None else \
            [b for b in harvest(story, "forward_section") if isinstance(b, Equations)][-1]
        shown.append(Shown(cost, net.L + 1))
        return fitted("The forward pass", shown)

    def factor(self) -> list:
        blocks = harvest(self.story, "factor_section")
        return fitted("The forward-pass factor", together(blocks))

    def case1(self) -> list:
        blocks = harvest(self.story, "output_layer")
        worked_ = self.story.backward_numbers(self.sub)[:2] if self.sub is not None else None
        shown, at, e = [], 1, 0
        for b in blocks:
            if isinstance(b, Equations):
                at += 1
                b = worked_[e] if worked_ else b
                e += 1
            shown.append(Shown(b, at))
        return fitted("Case 1: the output layer", shown)

    def case2(self) -> list:
        if self.net.L < 2:
            return []
        blocks = harvest(self.story, "hidden_layers")
        if self.sub is not None:
            blocks = blocks[:1] + self.story.backward_numbers(self.sub)[2:]
        return fitted("Case 2: the hidden layers", steps(blocks))

    def reversed(self) -> list:
        """The reversed network: ∂C/∂a enters at step 1, then each layer's amplifiers put
        out their δ, from the output backwards, then ∂C/∂x."""
        net, story = self.net, self.story
        L = net.L
        stages = []
        for l in range(L, 0, -1):
            at = L - l + 2
            act = net.activations[l - 1]
            for j in range(1, net.sizes[l] + 1):
                z = net.z(l, j).name
                stages += [(r"%s'(%s)" % (diagram._act_latex(act), z), at), (r"\sum_i \partial a_i / \partial %s" % z, at),
                           (net.delta(l, j).name, at)]
        picture = drawing(diagram.backward(net), "The reversed network", REVERSED_HEIGHT, stages)
        lines = [self._values_line("From the cost: ", [(slash("C", g.of.name), story._cost_gradient_value(g.expr)
                                                         if story.values is not None else None)
                                                        for g in story.cost_gradients() if g is not None])]
        for l in range(L, 0, -1):
            lines.append(self._values_line("Layer %d: " % l, [(S(f.symbol.name), story.value(f.symbol))
                                                               for f in story.layer_deltas(l) if f is not None]))
        lines.append(self._values_line("The inputs: ", [(slash("C", f.of.name), story.value(f.symbol))
                                                        for f in self.d.select("x")]))
        return fitted("The backward pass: the reversed network", [Shown(picture)] + steps(lines))

    def _values_line(self, head: str, pairs) -> Paragraph:
        """``head`` and each name with its value (the first two, …, the last of a wide layer)."""
        shown = diagram._shown(len(pairs))
        parts = [head]
        for i, j in enumerate(shown):
            parts.append(", " if i else "")
            if j is None:
                parts.append(Math(r"\dots", "…"))
                continue
            name, value = pairs[j - 1]
            if value is None:
                parts.append(name)
            else:
                v = number(value)
                parts.append(Math("%s = %s" % (name.latex, v.latex), "%s = %s" % (name.text, v.text)))
        return prose(*parts)

    def summary(self) -> list:
        blocks = harvest(self.story, "summary_section")
        return fitted("Summary: every gradient", together(blocks[:1]) + together(blocks[1:2], 2)
                      + together(blocks[2:], 3))


__all__ = ["LayeredDeck", "drawing"]
