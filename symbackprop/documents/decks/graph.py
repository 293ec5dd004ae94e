"""The slides of any graph (a circuit, a residual block, an unrolled recurrent net): the
graph; the forward pass node by node and the backward pass adjoint by adjoint on the
CS231n picture (:mod:`..pictures.wires`: each value above its wire, each gradient below
it), the formula being computed under it; every gradient. The words and formulas are the
story's of the graph's kind (:data:`..stories.STORIES`)."""

from __future__ import annotations

from ...core.graph import part
from ..model import Equations, Figure, M, Math
from ..numbers import number
from ..pictures import circuit, wires
from ..sections.substituted import Substitution, block, values_for, worked
from ..stories import STORIES
from .frames import Deck, Picture, Shown, fitted, harvest, prose, steps, together

#: Heights (mm) of the graph's pictures on a slide.
GRAPH_HEIGHT, WIRED_HEIGHT = 42.0, 44.0
#: Widest circuit (cm) whose numbers stay readable on a slide; a wider graph's passes are
#: told in formulas, one a step.
WIDEST = 26.0


class GraphDeck:
    """The slides of a graph (:data:`..decks.DECKS`)."""

    def __init__(self, derivation, *, point=None):
        self.d = derivation
        self.g = derivation.graph
        self.story = part(STORIES, self.g)(derivation, point=point, check=False)
        numbers = values_for(self.story)[0] if self.story.values is not None else None
        self.sub = Substitution(numbers) if numbers else None

    def build(self) -> Deck:
        frames = self.graph() + self.forward() + self.backward() + self.gradients()
        title = self.g.title or self.story.TITLE
        return Deck(title, "" if title == self.story.TITLE else self.story.TITLE, tuple(frames))

    def row(self, f) -> Equations:
        """A formula's row: worked with its numbers when there are values."""
        if self.sub is not None:
            return block([worked(self.story, self.sub, f)])
        return Equations((self.story.formula_row(f),))

    def graph(self) -> list:
        blocks = []
        for b in harvest(self.story, "graph_section"):
            if isinstance(b, Figure):
                b = Picture(circuit.tikz(b.diagram, fit=False), b.diagram.svg("The graph"), "The graph", GRAPH_HEIGHT)
            blocks.append(b)
        return fitted("The graph", together(blocks))

    @property
    def forward_steps(self) -> dict:
        """The leaves at step 1, then each defined node at its own step, in order."""
        out = {s: 1 for s in self.g.leaves}
        out.update({s: i + 2 for i, s in enumerate(self.g.defined)})
        return out

    @property
    def backward_steps(self) -> dict:
        """Each named adjoint at its own step, in sweep order; one written in place (never
        named) with the last of its consumers."""
        order = [f.of for f in self.d.select("delta")]
        out = {s: i + 1 for i, s in enumerate(order)}
        for s in reversed(self.g.defined):
            if s not in out:
                later = [out[c] for c in self.g.nodes[s].consumers if c in out]
                out[s] = max(later, default=1)
        return out

    def wired(self, forward: dict, backward: dict):
        """The CS231n picture with its numbers at these steps, or None when the graph is too
        large for its numbers to be read on a slide."""
        picture = wires.wired(self.d, self.story.values, forward, backward)
        return picture if picture is not None and picture.plain.width <= WIDEST else None

    def leaves_line(self):
        """The values of the leaves the output uses: what the forward pass starts from."""
        parts = ["The leaves"]
        for s in self.g.leaves:
            v = self.story.value(s)
            if v is None or s not in self.g.used and not self.g.nodes[s].consumers:
                continue
            n = number(v)
            parts += [": " if len(parts) == 1 else ", ", Math("%s = %s" % (M(s).latex, n.latex),
                                                               "%s = %s" % (M(s).text, n.text))]
        return prose(*parts, ".")

    def forward(self) -> list:
        picture = self.wired(self.forward_steps, {})
        rows = [self.row(self.d.node(s)) for s in self.g.defined]
        if picture is None:
            return fitted("The forward pass", steps(rows))
        shown = [Shown(Picture(picture.tikz(), picture.svg("The forward pass"), "The forward pass",
                               WIRED_HEIGHT))]
        if self.sub is not None:
            shown.append(Shown(self.leaves_line(), 1, True))
        shown += [Shown(r, i + 2, True) for i, r in enumerate(rows)]
        return fitted("The forward pass", shown)

    def backward(self) -> list:
        everything = {s: 1 for s in self.forward_steps}
        picture = self.wired(everything, self.backward_steps)
        rows = [self.row(f) for f in self.d.select("delta")]
        if picture is None:
            return fitted("The backward pass", steps(rows))
        shown = [Shown(Picture(picture.tikz(), picture.svg("The backward pass"), "The backward pass",
                               WIRED_HEIGHT))]
        shown += [Shown(r, i + 1, True) for i, r in enumerate(rows)]
        return fitted("The backward pass", shown)

    def gradients(self) -> list:
        blocks = harvest(self.story, "gradient_section")
        if self.sub is not None:
            grads = self.story.worked_gradients()
            blocks = [b if not isinstance(b, Equations) or i != 1 else
                      block(*([worked(self.story, self.sub, f)] for f in grads)) for i, b in enumerate(blocks)]
        return fitted("The gradients", together(blocks))


__all__ = ["GraphDeck"]
