"""A recurrent net (Elman, LSTM, GRU) as array code: a loop over the steps, each step array
operations over the units and along the batch (one row per example).

The graph unrolls the cell into one node per unit and step; the code keeps the unrolling
(the steps are sequential) and writes each step with matrices, as the derivation's formulas
say entry by entry:

* forward, per step t: every gate's sum s = W h⁽ᵗ⁻¹⁾ + U x⁽ᵗ⁾ + b and its activation, the
  new state; then the outputs of every step at once (q = V h + c, the cost summed);
* backward, from the last step: ∂C/∂h⁽ᵗ⁾ collects a term from step t's output and one from
  step t + 1; the LSTM's ∂C/∂c⁽ᵗ⁾ one from h⁽ᵗ⁾ and one from c⁽ᵗ⁺¹⁾ through the forget gate;
  the GRU's update gate splits h⁽ᵗ⁾ = z ⊙ h⁽ᵗ⁻¹⁾ + (1 − z) ⊙ h̃ into two paths; every
  shared weight's gradient is the sum of one term per step.

As the builder does, what multiplies a zero state is left out (no W term at step 1 without
``h0``, no forget gate without ``c0``, no reset gate at the GRU's step 1 without ``h0``), and
under ``truncate = k`` the held copies h̄⁽ᵗ⁾ (t a multiple of k) carry the forward values
on while the gradient stops there. A cost without code of its own (a custom cost) is
written node by node (:class:`.writer._RecurrentWriter`).
"""

from __future__ import annotations

from . import arrays
from .arrays import Layout
from .writer import _preamble, comment

#: The output layer's identifiers: a_out, z_out, delta_out (see :class:`OutputLayer`).
OUT = "_out"


def layout(net) -> Layout:
    """x (steps × inputs), y (steps × outputs), h0 and c0 (or None), then each gate's W, U,
    b in the cell's order (the Elman cell's W, U, b), then V and c."""
    n_in, n_h, n_out = net.sizes
    T = net.steps
    table = net._table
    inputs = [("x", [[net.x(t, k) for k in range(1, n_in + 1)] for t in range(1, T + 1)]),
              ("y", [[net.y(t, j) for j in range(1, n_out + 1)] for t in range(1, T + 1)])]
    for letter in ("h", "c"):
        first = table.get((letter, (0, 1)))
        inputs.append((f"{letter}0", None if first is None else [table[letter, (0, j)] for j in range(1, n_h + 1)]))
    params = []
    for g in [g for g, _, _ in net.gates] or [None]:
        suffix = "" if g is None else "_" + g
        params += [(f"W{suffix}", [[net.W(j, k, g) for k in range(1, n_h + 1)] for j in range(1, n_h + 1)]),
                   (f"U{suffix}", [[net.U(j, k, g) for k in range(1, n_in + 1)] for j in range(1, n_h + 1)]),
                   (f"b{suffix}", [net.b(j, g) for j in range(1, n_h + 1)])]
    params += [("V", [[net.V(j, k) for k in range(1, n_h + 1)] for j in range(1, n_out + 1)]),
               ("c", [net.c(j) for j in range(1, n_out + 1)])]
    return Layout(tuple(inputs), tuple(params), tuple(net.held))


class CellWriter(arrays.ArrayWriter):
    """A recurrent net's module: forward() and backward() loop over the steps."""

    layout = staticmethod(layout)

    # --- the text ---------------------------------------------------------------------------

    def _head(self) -> list:
        net = self.net
        cut = (f" truncate = {net.truncate}: the held copies after every {net.truncate} steps carry the "
               "values on and stop the gradient." if net.truncate else "")
        lines = _preamble(self.lang, net) + [
            "# forward() loops over the steps, each step with matrices (one row per example,",
            "# s = W h^(t-1) + U x^(t) + b as s = h @ W.T + x @ U.T + b); backward() runs backpropagation",
            "# through time from the last step, each shared weight's gradient the sum over the steps.",
            *([comment(cut.strip())] if cut else []),
            "# evaluate(values=None) -> {\"cost\": ..., \"gradients\": {name: ...}} at the spec's values;",
            "# an array along a leading axis is a batch, whose cost and gradients are summed.",
            "#",
            "# Arrays (identifier: its first and last names; ARRAYS and MATRICES list them all):"]
        return lines + arrays.names_comment(self.layout)

    def _passes(self):
        L, net = self.lang, self.net
        xp = L.xp
        self._tanh = f"{xp}.tanh"
        helpers = self.helpers
        helpers.sources["gate_sum"] = _GATE_SUM
        helpers.sources["step_gradients"] = _STEP_GRADIENTS.replace("{colsum}", L.colsum("ds"))
        cell = {"elman": _Elman, "lstm": _LSTM, "gru": _GRU}[net.cell](self)
        params = [name for name, _ in self.layout.parameters]
        args = ", ".join(["x", "y", "h0", "c0"] + params)
        stack = L.stack("hs", 1)
        fwd = [f"def forward({args}):",
               '    """The forward pass over the steps, one row per example (x: examples × steps × inputs;',
               '    h0, c0: the initial state, None where it is 0): the cost C, summed over the steps and',
               '    the examples, and the values backward() reads."""',
               "    h, cell = h0, c0",
               "    steps, hs = [], []",
               "    for t in range(x.shape[1]):",
               "        xt = x[:, t]"]
        fwd += ["        " + line for line in cell.forward()]
        fwd += ["    # the outputs of every step at once, one row per (example, step): q^(t) = V h^(t) + c,",
                f"    # o^(t) = {net.output_activation.text}(q^(t)), C = Σ_t C^(t)",
                f"    a_h = {stack}.reshape(-1, V.shape[1])",
                f"    z{OUT} = a_h @ V.T + c"]
        activated, kept = self._activated(OUT, net.output_activation)
        fwd += activated
        cost_lines, extra, delta_lines = self._output(OUT, net.output_activation, net.cost_function)
        fwd += ["    y = y.reshape(-1, V.shape[0])"] + cost_lines
        cache = ["steps", "a_h"] + [n for n in kept + extra if n != f"z{OUT}" or arrays.reads(delta_lines, n)]
        fwd.append(f"    return C, ({', '.join(cache)},)")
        bwd = [f"def backward({args}, cache):",
               '    """Backpropagation through time: the outputs\' δ, then the steps from the last one back,',
               '    each shared weight\'s gradient collecting one term per step; summed over the examples."""',
               f"    {', '.join(cache)}, = cache",
               "    y = y.reshape(-1, V.shape[0])"]
        bwd += delta_lines
        bwd += ["    # V and c are shared by every step: ∂C/∂V_jk = Σ_t δq^(t)_j h^(t)_k, ∂C/∂c_j = Σ_t δq^(t)_j",
                f"    dV = delta{OUT}.T @ a_h",
                f"    dc = {L.colsum('delta' + OUT)}",
                "    # each step's output's term of ∂C/∂h^(t): Σ_j V_jk δq^(t)_j",
                f"    dh_out = (delta{OUT} @ V).reshape(x.shape[0], x.shape[1], V.shape[1])"]
        grads = [n for n in params[:-2]]
        for first in range(0, len(grads), 3):    # each gate's W, U, b: sums over the steps, from 0
            group = grads[first:first + 3]
            bwd.append(f"    {', '.join('d' + n for n in group)} = {', '.join(f'{xp}.zeros_like({n})' for n in group)}")
        bwd += ["    dh_next = dc_next = None",
                "    for t in reversed(range(x.shape[1])):"]
        bwd += ["        " + line for line in cell.backward()]
        bwd.append(f"    return {', '.join('d' + n for n in params)}")
        return fwd, bwd

    def _case1(self, act, Lh) -> str:
        return (f"Case 1, each step's output: δq^(t) = ∂C^(t)/∂o^(t) ⊙ {act.text}′(q^(t))" if act.elementwise
                else "Case 1, each step's output: δq^(t) through the softmax Jacobian at q^(t)")

    def cut(self) -> str:
        """The condition under which no gradient flows from step t (0-based) to step t − 1."""
        k = self.net.truncate
        return "h is None" if not k else f"h is None or t % {k} == 0"

    def cut_comment(self) -> list:
        k = self.net.truncate
        if not k:
            return ["# ∂C/∂h^(t-1) for the step before (none before step 1 without h0)"]
        return [f"# truncate = {k}: t counts from 0 here, so this step reads the held copies h̄ (the values",
                f"# of h, no gradient) when t is a multiple of {k}; otherwise ∂C/∂h^(t-1) for the step before"]


class _Cell:
    """One cell's lines inside the loops (``t`` the 0-based step, ``xt`` its inputs, ``h``
    and ``cell`` the state before it)."""

    def __init__(self, writer: CellWriter):
        self.w = writer
        self.tanh = writer._tanh
        self.pair = writer.helpers.need("sigmoid_pair")

    def collect(self) -> list:
        return ["# (h and cell are the state before this step: h^(t-1), c^(t-1))",
                "# BPTT: ∂C/∂h^(t) collects a term from step t's output and one from step t + 1",
                "dh = dh_out[:, t] if dh_next is None else dh_out[:, t] + dh_next"]


class _Elman(_Cell):
    def forward(self) -> list:
        act = self.w.net.activation
        f = self.w.helpers.activation(act)
        return ["# z^(t) = W h^(t-1) + U x^(t) + b (no W term while h^(t-1) = 0),",
                f"# h^(t) = {act.text}(z^(t))",
                "z = gate_sum(xt, h, W, U, b)",
                "steps.append((xt, h, z))",
                f"h = {f}(z)",
                "hs.append(h)"]

    def backward(self) -> list:
        act = self.w.net.activation
        f = self.w.helpers.activation(act)
        return ["xt, h, z = steps[t]", *self.collect(),
                f"# ∂C/∂z^(t) = ∂C/∂h^(t) ⊙ {act.text}′(z^(t)), the amplifier",
                f"dz = dh * {f}_prime(z)",
                "# the shared W, U, b: this step's term (∂C/∂W_jk gets ∂C/∂z^(t)_j h^(t-1)_k)",
                "dW, dU, db = step_gradients(dW, dU, db, dz, xt, h)",
                *self.w.cut_comment(),
                f"dh_next = None if {self.w.cut()} else dz @ W"]


class _LSTM(_Cell):
    def forward(self) -> list:
        tanh, pair = self.tanh, self.pair
        return ["# f = σ(W_f h^(t-1) + U_f x^(t) + b_f): left out while c^(t-1) = 0 (step 1 without c0)",
                f"f, fbar = (None, None) if cell is None else {pair}(gate_sum(xt, h, W_f, U_f, b_f))",
                "# i = σ(W_i h^(t-1) + U_i x^(t) + b_i), o = σ(W_o h^(t-1) + U_o x^(t) + b_o),",
                "# c̃ = tanh(W_c h^(t-1) + U_c x^(t) + b_c) (1 − σ kept as σ(−s))",
                f"i, ibar = {pair}(gate_sum(xt, h, W_i, U_i, b_i))",
                f"o, obar = {pair}(gate_sum(xt, h, W_o, U_o, b_o))",
                f"cand = {tanh}(gate_sum(xt, h, W_c, U_c, b_c))",
                "# c^(t) = f ⊙ c^(t-1) + i ⊙ c̃, h^(t) = o ⊙ tanh(c^(t))",
                "c_new = i * cand if cell is None else f * cell + i * cand",
                f"tanh_c = {tanh}(c_new)",
                "steps.append((xt, h, cell, f, fbar, i, ibar, o, obar, cand, tanh_c))",
                "h, cell = o * tanh_c, c_new",
                "hs.append(h)"]

    def backward(self) -> list:
        return ["xt, h, cell, f, fbar, i, ibar, o, obar, cand, tanh_c = steps[t]", *self.collect(),
                "# ∂C/∂c^(t) collects from h^(t) = o ⊙ tanh(c^(t)) and from c^(t+1) through its forget gate:",
                "# ∂C/∂c^(t) = ∂C/∂h^(t) ⊙ o ⊙ (1 − tanh²(c^(t))) + ∂C/∂c^(t+1) ⊙ f^(t+1)",
                "dcell = dh * o * (1 - tanh_c ** 2)",
                "if dc_next is not None:",
                "    dcell = dcell + dc_next",
                "# each gate's sum: ∂C/∂s = ∂C/∂gate ⊙ σ′(s), σ′ = σ(s) σ(−s), tanh′ = 1 − tanh²",
                "ds_o = dh * tanh_c * (o * obar)",
                "ds_i = dcell * cand * (i * ibar)",
                "ds_c = dcell * i * (1 - cand ** 2)",
                "ds_f = None if f is None else dcell * cell * (f * fbar)",
                "# the shared weights: this step's term of each sum over the steps",
                "if f is not None:",
                "    dW_f, dU_f, db_f = step_gradients(dW_f, dU_f, db_f, ds_f, xt, h)",
                "dW_i, dU_i, db_i = step_gradients(dW_i, dU_i, db_i, ds_i, xt, h)",
                "dW_o, dU_o, db_o = step_gradients(dW_o, dU_o, db_o, ds_o, xt, h)",
                "dW_c, dU_c, db_c = step_gradients(dW_c, dU_c, db_c, ds_c, xt, h)",
                *self.w.cut_comment(),
                f"if {self.w.cut()}:",
                "    dh_next = dc_next = None",
                "else:",
                "    # ∂C/∂h^(t-1) = Σ_g W_gᵀ ∂C/∂s_g; ∂C/∂c^(t-1) = ∂C/∂c^(t) ⊙ f^(t)",
                "    dh_next = ds_i @ W_i + ds_o @ W_o + ds_c @ W_c",
                "    if f is not None:",
                "        dh_next = dh_next + ds_f @ W_f",
                "    dc_next = None if f is None else dcell * f"]


class _GRU(_Cell):
    def forward(self) -> list:
        tanh, pair = self.tanh, self.pair
        return ["# z = σ(W_z h^(t-1) + U_z x^(t) + b_z), the update gate (1 − z kept as σ(−s))",
                f"z, zbar = {pair}(gate_sum(xt, h, W_z, U_z, b_z))",
                "# r = σ(W_r h^(t-1) + U_r x^(t) + b_r), g = r ⊙ h^(t-1): left out while h^(t-1) = 0",
                f"r, rbar = (None, None) if h is None else {pair}(gate_sum(xt, h, W_r, U_r, b_r))",
                "g = None if h is None else r * h",
                "# h̃ = tanh(W_h g + U_h x^(t) + b_h); h^(t) = z ⊙ h^(t-1) + (1 − z) ⊙ h̃",
                f"cand = {tanh}(gate_sum(xt, g, W_h, U_h, b_h))",
                "steps.append((xt, h, z, zbar, r, rbar, g, cand))",
                "h = zbar * cand if h is None else z * h + zbar * cand",
                "hs.append(h)"]

    def backward(self) -> list:
        return ["xt, h, z, zbar, r, rbar, g, cand = steps[t]", *self.collect(),
                "# the update gate's two paths, h^(t) = z ⊙ h^(t-1) + (1 − z) ⊙ h̃:",
                "# ∂C/∂z = ∂C/∂h^(t) ⊙ (h^(t-1) − h̃), ∂C/∂h̃ = ∂C/∂h^(t) ⊙ (1 − z)",
                "dz = -dh * cand if h is None else dh * (h - cand)",
                "ds_z = dz * (z * zbar)",
                "ds_h = dh * zbar * (1 - cand ** 2)",
                "# the shared weights: this step's term (W_h's with g = r ⊙ h^(t-1))",
                "dW_z, dU_z, db_z = step_gradients(dW_z, dU_z, db_z, ds_z, xt, h)",
                "dW_h, dU_h, db_h = step_gradients(dW_h, dU_h, db_h, ds_h, xt, g)",
                "if h is not None:",
                "    # through the reset state g = r ⊙ h^(t-1): ∂C/∂g = W_hᵀ ∂C/∂s_h, ∂C/∂r = ∂C/∂g ⊙ h^(t-1)",
                "    dg = ds_h @ W_h",
                "    ds_r = dg * h * (r * rbar)",
                "    dW_r, dU_r, db_r = step_gradients(dW_r, dU_r, db_r, ds_r, xt, h)",
                *self.w.cut_comment(),
                f"if {self.w.cut()}:",
                "    dh_next = None",
                "else:",
                "    # ∂C/∂h^(t-1): the carried path z ⊙ ·, through g = r ⊙ h^(t-1), and through W_z, W_r",
                "    dh_next = dh * z + dg * r + ds_z @ W_z + ds_r @ W_r"]


_GATE_SUM = '''def gate_sum(x, h, W, U, b):
    """s = W h^(t-1) + U x^(t) + b, one row per example; no W term while h^(t-1) = 0 (the
    first step without h0, as the derivation leaves it out)."""
    s = x @ U.T + b
    return s if h is None else s + h @ W.T'''

_STEP_GRADIENTS = '''def step_gradients(dW, dU, db, ds, x, h):
    """One step's terms of the shared weights' gradients, summed over the examples:
    ∂C/∂W_jk += ∂C/∂s_j h^(t-1)_k, ∂C/∂U_jk += ∂C/∂s_j x^(t)_k, ∂C/∂b_j += ∂C/∂s_j."""
    dU = dU + ds.T @ x
    db = db + {colsum}
    return (dW if h is None else dW + ds.T @ h), dU, db'''


class Steps(arrays.Arrays):
    """The compiled layout of a recurrent net (see :func:`layout`)."""

    layout = staticmethod(layout)


__all__ = ["CellWriter", "Steps", "layout"]
