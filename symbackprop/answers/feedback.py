"""One sentence for the student about a graded answer: the likely mistake named, the
answer not given away.

Each diagnosis code (see :mod:`diagnose`, and the vector and matrix codes of the
reader) has one sentence in :data:`SENTENCES`; a combined diagnosis ``code+sign_error``
or ``code+factor_two`` adds a clause from :data:`ALSO`; a wrong answer with no
diagnosis gets :data:`GENERIC`. The sentences say what to look at (a sign, a missing
σ′, a forgotten consumer …), never which formula is right: the teacher's report has the
explanation, the expected formula and a counterexample.
"""

from __future__ import annotations

RIGHT = "Correct: your answer equals the derivative asked for."

GENERIC = ("Not the derivative asked for: retrace the chain rule from the cost back to this "
           "quantity, one local derivative per step, and check each factor.")

UNDECIDED = ("Your answer could not be decided automatically (it cannot be evaluated at enough "
             "test points); it will be checked by hand.")

UNREADABLE = "Your answer could not be read ({reason}); check how it is written."

UNGRADED = "This answer could not be graded automatically; it will be checked by hand."

SENTENCES = {
    "sign_error": "Check the signs: a sign is flipped, in the whole answer or in one of its "
                  "terms (look at the derivative of the cost and at every minus sign on the way).",
    "factor_two": "Check the constant factors: your answer is off by a factor of 2 (think about "
                  "what the ½ in the cost and the derivative of a square give).",
    "constant_factor": "Your answer is off by a constant factor: check the constants along the "
                       "chain rule.",
    "missing_sigma_prime": "An activation's derivative is missing: each neuron the gradient "
                           "passes through backwards multiplies it by σ′ of its input.",
    "wrong_activation_derivative": "The derivative of the activation is wrong: check which "
                                   "activation this network uses and differentiate that one.",
    "wrong_input": "The factor for the weight's own edge is wrong: the derivative of z with "
                   "respect to a weight is the input that this weight multiplies.",
    "transposed_index": "The weight indices are swapped: check which index of w_jk runs over "
                        "this layer and which over the previous one.",
    "missing_term": "A term of a sum is missing: a neuron's output feeds every neuron of the "
                    "next layer, and each of them contributes one term.",
    "missing_use": "A shared parameter is used in several places: its gradient collects one "
                   "term per use, and one of them is missing.",
    "wrong_layer": "A quantity of the wrong layer appears: check the layer index of every "
                   "factor.",
    "softmax_diagonal_only": "Softmax is not elementwise: every output depends on every input, "
                             "so the cross terms of its Jacobian are missing.",
    "missing_scale": "A scale factor is missing: the attention scores are divided by √d_k, and "
                     "so is every derivative taken through them.",
    "kernel_gradient_rotated": "Check the orientation: your kernel gradient is rotated by 180°; ask which "
                               "of ∂C/∂K and ∂C/∂x uses the flipped kernel, and which is a correlation "
                               "of the layer's input with its δ map.",
    "kernel_not_flipped": "The kernel is not flipped: the gradient with respect to a convolution's "
                          "input is the full convolution of the δ map with the kernel rotated by 180°, "
                          "not a correlation with the kernel as it is.",
    "window_offset": "The δ map is paired with the wrong window: check which input entries each "
                     "output position saw, with the stride and the padding.",
    "maxpool_spread": "A max pool sends the gradient to the maximum of each window only; the other "
                      "entries of the window get none.",
    "batchnorm_missing_mean": "The path through the batch mean is missing: every input of the batch "
                              "norm also moves the mean, which every normalized entry uses.",
    "batchnorm_missing_variance": "The path through the batch variance is missing: every input of "
                                  "the batch norm also moves the variance, which every normalized "
                                  "entry uses.",
    "missing_one_over_n": "A factor 1/N is missing: the mean and the variance average over the N "
                          "entries of the batch, and so do their derivatives.",
    "missing_cell_path": "The path along the cell state is missing: c at one step feeds the next "
                         "step's cell through the forget gate, so its gradient also collects "
                         "f times the next cell's gradient.",
    "tanh_c_as_h": "The output gate multiplies tanh(c), not h: h = o ⊙ tanh(c), so the derivative "
                   "through the output gate is tanh(c), and through the cell o·(1 − tanh²(c)).",
    "update_gate_one_path": "The update gate mixes two states: h = z ⊙ h_prev + (1 − z) ⊙ h̃, so its "
                            "derivative is h_prev − h̃, with both paths.",
    "wrong_parameter": "This is the derivative with respect to a different parameter: check "
                       "which weight or bias the question asks about.",
    "wrong_node": "This is the derivative with respect to a different node: check which "
                  "quantity the question asks about.",
    "missing_consumer": "A term of the sum is missing: this value feeds several nodes, and each "
                        "of them contributes one term to its gradient.",
    "missing_time_step": "A time step is missing: a weight shared across time steps collects one "
                         "term per step, and a hidden state's gradient also flows back from the "
                         "next step.",
    "wrong_local_partial": "One local derivative in the chain is wrong: check the derivative of "
                           "each node with respect to the input you follow back.",
    "wrong_lhs": "The left-hand side names another derivative than the one asked for: check the "
                 "quantity in the denominator.",
    "missing_transpose": "A transpose is missing: check that the shapes agree in every matrix "
                         "product.",
    "outer_product_order": "The factors of the outer product are in the wrong order: the "
                           "gradient of a weight matrix has the shape of that matrix.",
    "assumes_sum_one": "Your answer holds only when the targets sum to 1, and this question's "
                       "targets do not: keep every term of the softmax's Jacobian.",
    "not_expanded": "Write the answer out in full: it uses {symbols}, which this question asks "
                    "you to expand into inputs, targets, parameters and activations.",
}

#: Every mistake the checker names itself (a teacher's own mistakes have other names).
BUILT_IN = tuple(sorted(set(SENTENCES) | {"wrong_shape"}))

#: The feedback of a wrong answer when only the verdict is given (``--feedback verdict``).
WRONG = "Not correct."

#: Clauses for the second part of a combined diagnosis (``code+sign_error``).
ALSO = {"sign_error": "and a sign is flipped as well",
        "factor_two": "and a factor of 2 is off as well"}


def sentence(code: str | None, symbols=()) -> str:
    """The sentence for a diagnosis code (a combined ``a+b`` as one sentence);
    ``symbols`` are the adjoints a ``not_expanded`` answer names."""
    if not code:
        return GENERIC
    first, _, second = code.partition("+")
    text = SENTENCES.get(first, GENERIC)
    if second in ALSO:
        text = text.rstrip(".") + ", " + ALSO[second] + "."
    return text.format(symbols=", ".join(symbols) or "an adjoint (δ or ∂C/∂ of a node)")


def feedback_for(graded, level: str = "full") -> str:
    """The sentence for one graded row (a :class:`grade.Graded`) at a feedback level
    (:data:`policy.LEVELS`): ``full`` names the mistake and the wrong entries of a
    vector or matrix, ``diagnosis`` the mistake only, ``verdict`` only right or wrong.
    A teacher's own mistake gets the teacher's sentence."""
    v = graded.verdict
    if v is None:
        if graded.position is not None:
            return UNREADABLE.format(reason=_reason(graded.error))
        return UNGRADED
    if v.verdict == "equivalent":
        return RIGHT
    if v.verdict == "undecided":
        return UNDECIDED
    if level == "verdict":
        return WRONG
    if v.diagnosis:
        taught = v.diagnosis.partition("+")[0] not in BUILT_IN
        return v.explanation if taught else sentence(v.diagnosis, getattr(v, "unexpanded", ()))
    entries = graded.entries
    if entries:
        right, total = entries
        wrong = graded.wrong_entries if level == "full" else []
        names = ", ".join(wrong[:3]) + (" …" if len(wrong) > 3 else "")
        where = f"; look again at {names}" if names else ""
        return f"{right} of {total} entries are right{where}."
    return GENERIC


def _reason(error: str | None) -> str:
    """An answer's reading error without the report's own prefixes (line, field)."""
    text = error or ""
    head, sep, rest = text.partition(": ")
    if sep and head.startswith("line "):
        text = rest
    for prefix in ("answer, ",):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.rstrip(".")
