"""Pictures of a recurrent net unrolled in time: one column per step, as textbooks draw it.

A node-by-node graph of an unrolled net is unreadable from a few steps on (2 inputs, 2
hidden units and 4 steps are 41 nodes); what a reader needs is the time structure. Each
column is one step t, its layers stacked from the input at the bottom to the step's cost
at the top, each layer a band of its units (name and value); the wires join whole layers
and carry the shared weight matrix they apply (U from x⁽ᵗ⁾, W from step t − 1, V to the
outputs), the same on every column. A gated cell (LSTM, GRU) is one dashed box holding
its gates; the LSTM's cell state c runs from column to column through ⊙ f (the forget
gate), the GRU's hidden state through ⊙ z (the update gate): the paths that keep the
gradient alive. The reversed picture has the same boxes and wires, right to left, with
each unit's adjoint ∂C/∂unit in place of its value.

Boxes and wires are :class:`~.circuit.Item` and :class:`~.circuit.Wire`, so the
picture is written to TikZ and SVG as any circuit is.
"""

from __future__ import annotations

from ...errors import SpecError
from .circuit import Circuit, Item, Wire, _adjoint_value, _number, text_width

UNIT_H = 0.95     # height of a unit's box (cm): its name and its value
UNIT_GAP = 0.12   # between two units of a band
BAND_GAP = 0.85   # between two bands of a column
GAP = 1.25        # between two columns
CELL_GAP = 1.9    # between two columns of gated cells (room for W^{(f,i,o,c)})
GATE = 0.95       # side of a gate's box in a cell
PAD = 0.18        # around the gates inside a cell
FIRST = 0.6       # from the top of the picture to the step costs


def _name(sym) -> tuple:
    from ...notation.printing import unicode_name
    return (sym.name, unicode_name(sym.name))


class _Picture:
    """The layout of one unrolled net: bands per column, then wires between them."""

    def __init__(self, derivation, values, steps=None):
        self.d, self.g, self.values = derivation, derivation.graph, values
        self.T = min(steps or derivation.graph.steps, derivation.graph.steps)   # the steps drawn
        self.numbers = values.numbers if values is not None else {}
        self.items: dict = {}
        self.wires: list = []
        self.labels: list = []
        self.gate_of: dict = {}     # gate node → (its activation, its step)
        self.gap = CELL_GAP if self.g.gates else GAP

    # --- what each column holds ------------------------------------------------------

    def bands(self, t) -> list:
        """(band, [symbols]) from the top: the step's cost, outputs, states, cell, inputs."""
        g = self.g
        n_in, n_h, n_out = g.sizes
        out = [("C", [g.step_cost(t)]), ("o", [g.o(t, j) for j in range(1, n_out + 1)]),
               ("h", [g.h(t, j) for j in range(1, n_h + 1)])]
        if "c" in g.state_letters:
            out.append(("c", [g._get("c", t, j) for j in range(1, n_h + 1)]))
        if g.gates:
            out.append(("cell", [self._gate(letter, act, t) for letter, act, _ in g.gates]))
        out.append(("x", [g.x(t, k) for k in range(1, n_in + 1)]))
        return out

    def _gate(self, letter, act, t):
        """The gate's node of unit 1 at step t, standing for the gate's vector (None where
        the step has no such gate: a zero state before it)."""
        try:
            sym = self.g.gate(letter, t, 1)
        except SpecError:
            return None
        self.gate_of[sym] = (act, t)
        return sym

    # --- the layout --------------------------------------------------------------------

    def lines(self, sym, band, reverse) -> tuple:
        if band == "cell":
            return self._gate_lines(sym)
        name = _name(sym)
        value = _adjoint_value(self.d, self.values, sym) if reverse else self.numbers.get(sym)
        if value is None:
            return (name,)
        n = _number(value)
        return (name, (n.latex, n.text))

    def _gate_lines(self, sym) -> tuple:
        """A gate's box: its vector's name (f⁽ᵗ⁾, c̃⁽ᵗ⁾) and its activation."""
        act, t = self.gate_of[sym]
        tex = sym.name.split("_{")[0]
        sigmoid = act == "sigmoid"
        return ((tex, _name(sym)[1].split("⁾")[0] + "⁾"),
                (r"\sigma" if sigmoid else r"\tanh", "σ" if sigmoid else "tanh"))

    def build(self, reverse: bool) -> Circuit:
        g = self.g
        T = self.T
        columns = {t: self.bands(t) for t in range(1, T + 1)}
        width = max(self._width(syms, band, reverse) for t in columns for band, syms in columns[t])
        heights = {band: self._height(syms, band) for band, syms in columns[1]}
        ys, y = {}, FIRST
        for band, _ in columns[1]:
            ys[band] = y + heights[band] / 2
            y += heights[band] + BAND_GAP
        initial = self._initial()
        x0 = (width + self.gap) if initial else 0.0
        xs = {t: x0 + width / 2 + (t - 1) * (width + self.gap) for t in range(1, T + 1)}
        for t in range(1, T + 1):
            for band, syms in columns[t]:
                self._band(t, band, syms, xs[t], ys[band], width, reverse)
        if initial:
            for band, syms in initial:
                self._band(0, band, syms, width / 2, ys[band], width, reverse, kind="leaf")
        self._wires(xs, ys, heights, width, bool(initial))
        total_x = xs[T] + width + self.gap * 0.5
        C = g.cost_symbol
        lines = (_name(C),) + self._value_line(C, reverse)
        self.items["C"] = Item("C", "output", total_x, FIRST + heights["C"] / 2, width, UNIT_H, lines)
        for t in range(1, T + 1):
            top = FIRST - 0.3
            self.wires.append(Wire("C%d" % t, "C", ((xs[t], FIRST), (xs[t], top), (total_x, top),
                                                     (total_x, FIRST))))
        items = list(self.items.values()) + self.labels
        wires = self.wires if not reverse else [Wire(w.target, w.source, w.points[::-1]) for w in self.wires]
        right = max(it.x + it.w / 2 for it in items)
        bottom = max(it.y + it.h / 2 for it in items)
        return Circuit("reversed" if reverse else "forward", tuple(items), tuple(wires), right, bottom,
                       nodes=len(g.nodes))

    def _value_line(self, sym, reverse) -> tuple:
        value = _adjoint_value(self.d, self.values, sym) if reverse else self.numbers.get(sym)
        if value is None:
            return ()
        n = _number(value)
        return ((n.latex, n.text),)

    def _initial(self) -> list:
        g = self.g
        n_h = g.sizes[1]
        out = []
        for letter in g.state_letters:
            try:
                out.append((letter, [g._get(letter, 0, j) for j in range(1, n_h + 1)]))
            except SpecError:   # a zero initial state is not a node
                continue
        return out

    def _width(self, syms, band, reverse) -> float:
        if band == "cell":
            return 2 * GATE + 2 * PAD + UNIT_GAP
        return max(text_width(txt) for s in syms for _, txt in self.lines(s, band, reverse)) + 0.35

    def _height(self, syms, band) -> float:
        if band == "cell":
            rows = (len(syms) + 1) // 2
            return rows * GATE + (rows - 1) * UNIT_GAP + 2 * PAD
        return len(syms) * UNIT_H + (len(syms) - 1) * UNIT_GAP

    def _band(self, t, band, syms, x, y, width, reverse, kind=None):
        if band == "cell":
            h = self._height(syms, band)
            self.items["cell%d" % t] = Item("cell%d" % t, "cell", x, y, width, h)
            for i, sym in enumerate(syms):
                if sym is None:
                    continue
                gx = x + (i % 2 - 0.5) * (GATE + UNIT_GAP)
                gy = y - h / 2 + PAD + GATE / 2 + (i // 2) * (GATE + UNIT_GAP)
                self.items[sym.name] = Item(sym.name, "node", gx, gy, GATE, GATE, self.lines(sym, band, reverse))
            return
        top = y - self._height(syms, band) / 2
        for i, sym in enumerate(syms):
            k = kind or ("leaf" if band == "x" else "node")
            self.items["%s%d.%d" % (band, t, i)] = Item(sym.name, k, x, top + UNIT_H / 2 + i * (UNIT_H + UNIT_GAP),
                                                       width, UNIT_H, self.lines(sym, band, reverse))

    # --- the wires ---------------------------------------------------------------------

    def _wires(self, xs, ys, heights, width, initial):
        g = self.g
        order = [band for band, _ in self.bands(1)]
        edge = lambda band, side: ys[band] + side * heights[band] / 2   # noqa: E731 - side -1: top, +1: bottom
        up = {"x": ("cell" if g.gates else "h"), "cell": ("c" if "c" in order else "h"), "c": "h", "h": "o", "o": "C"}
        weights = {("x", "cell"): self._gates_tex("U"), ("x", "h"): ("U", "U"), ("h", "o"): ("V", "V")}
        for t, x in xs.items():
            for low, high in up.items():
                if low not in order or high not in order:
                    continue
                self.wires.append(Wire("%s%d" % (low, t), "%s%d" % (high, t), ((x, edge(low, -1)), (x, edge(high, 1)))))
                if (low, high) in weights and t == 1:
                    self._label((weights[low, high],), x + 0.12, (edge(low, -1) + edge(high, 1)) / 2, "left")
        steps = sorted(xs)
        for t in steps:
            if t == 1 and not initial:
                continue
            left = (xs[t - 1] if t > 1 else width / 2) + width / 2
            right = xs[t] - width / 2
            held = g.truncate and t > 1 and (t - 1) % g.truncate == 0
            for band, tex in self._carried():
                y = ys[band]
                self.wires.append(Wire("%s%d" % (band, t - 1), "%s%d" % (band, t), ((left, y), (right, y))))
                self._label((tex(t), (r"\text{held}", "held")) if held else (tex(t),),
                            (left + right) / 2, y - 0.08, "above")
            if g.gates:
                y0, y1 = ys["h"], ys["cell"]
                turn = left + 0.15
                self.wires.append(Wire("h%d" % (t - 1), "cell%d" % t, ((left, y0 + 0.12), (turn, y0 + 0.12),
                                                                       (turn, y1), (right, y1))))
                self._label((self._gates_tex("W"), (r"\text{held}", "held")) if held else (self._gates_tex("W"),),
                            (turn + right) / 2, y1 - 0.08, "above")

    def _carried(self) -> list:
        """The states that run from column to column, and the label of their wire."""
        g = self.g
        if g.carrier is None:
            return [("h", lambda t: ("W", "W"))]
        gate, state = g.carrier
        return [(state, lambda t: (r"\odot\, %s^{(%d)}" % (gate, t), "⊙ %s⁽%s⁾" % (gate, _sup(t))))]

    def _gates_tex(self, m) -> tuple:
        letters = "".join(letter for letter, _, _ in self.g.gates)
        raised = "".join(superscript_letter(letter) for letter in letters)
        return ("%s^{(%s)}" % (m, ",".join(letters)), "%s⁽%s⁾" % (m, raised))

    def _label(self, lines, x, y, where):
        """A wire's label: to the right of the point (``left``: its left edge there) or
        centred above it (``above``: its bottom there)."""
        w = max(text_width(txt) for _, txt in lines) + 0.1
        h = 0.36 * len(lines)
        cx = x + w / 2 if where == "left" else x
        cy = y - h / 2 - 0.02 if where == "above" else y
        self.labels.append(Item("label%d" % len(self.labels), "label", cx, cy, w, h, tuple(lines)))


def superscript_letter(letter: str) -> str:
    from ...notation.scripts import SUPERSCRIPT
    return SUPERSCRIPT.get(letter, letter)


def _sup(t: int) -> str:
    from ...notation.scripts import superscript
    return superscript(t)


def pictures(derivation, values=None, steps=None) -> tuple:
    """The forward and the reversed picture of an unrolled net, with the values (and the
    adjoints) at the point when ``values`` is given; ``steps``: only the first k columns."""
    return (_Picture(derivation, values, steps).build(False),
            _Picture(derivation, values, steps).build(True))


__all__ = ["pictures"]
