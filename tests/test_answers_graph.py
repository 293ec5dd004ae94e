"""Answers about any graph: right answers in several forms, and the generic mistakes
(a consumer forgotten at a fork, a missing BPTT time step, a wrong local partial, σ′
left out, another node's gradient, sign, factor 2) each with its exact diagnosis, on the
circuit, residual, RNN and mini-batch examples; the compiled evaluation of candidate
mistakes agrees with the tree walk."""

import math
import re

import pytest
import sympy

import symbackprop as sb
from symbackprop.answers import check_answer
from symbackprop.answers.diagnose import BUILDERS, GRAPH_CANDIDATES, mistakes
from symbackprop.answers.evaluate import walk as _walk
from symbackprop.numeric.programs import Programs
from symbackprop.answers.reference import reference
from symbackprop.core.graph import part

from conftest import EXAMPLES

NETS = {}


def net(name):
    if name not in NETS:
        NETS[name] = sb.load(EXAMPLES / f"{name}.toml")
    return NETS[name]


D = r"\frac{\partial C}{\partial %s}"

RIGHT = [
    ("circuit", "x", "z"),
    ("circuit", "x", r"\frac{\partial f}{\partial q}"),
    ("circuit", "z", "x + y"),
    ("circuit", "z", "q"),
    ("circuit", "q", "z"),
    ("residual", "x", D % "r" + " + w_1 " + D % "z_1"),
    ("residual", "x", r"(a - y)\sigma'(r) + w_1 w_2 (a-y) \sigma'(r) \operatorname{ReLU}'(z_1)"),
    ("residual", "w_1", "x " + D % "z_1"),
    ("residual", "w_2", r"h (a - y) \sigma(r)(1 - \sigma(r))"),
    ("residual", "b_2", D % "r"),
    ("rnn", "W_{11}", r"h^{(1)}_1 " + D % "z^{(2)}_1" + r" + h^{(2)}_1 " + D % "z^{(3)}_1"),
    ("rnn", "W_{11}", r"h^{(2)}_1 " + D % "z^{(3)}_1" + r" + " + D % "z^{(2)}_1" + r" h^{(1)}_1"),
    ("rnn", "c_1", r"(o^{(1)}_1 - y^{(1)}_1) + (o^{(2)}_1 - y^{(2)}_1) + (o^{(3)}_1 - y^{(3)}_1)"),
    ("rnn", "b_1", D % "h^{(1)}_1" + r" \tanh'(z^{(1)}_1) + " + D % "z^{(2)}_1" + " + " + D % "z^{(3)}_1"),
    ("rnn", "b_1", D % "h^{(1)}_1" + r" (1 - (h^{(1)}_1)^2) + " + D % "z^{(2)}_1" + " + " + D % "z^{(3)}_1"),
    ("minibatch", "w^{(2)}_{11}", r"a^{(1)}_1 \delta^{(2)}_1"),
    ("minibatch", "w^{(2)}_{11}", r"a^{(1)}_1 (a^{(2)}_1 - y_1) a^{(2)}_1 (1 - a^{(2)}_1)"),
    ("minibatch", "x_1", r"w^{(1)}_{11}\delta^{(1)}_1 + w^{(1)}_{21}\delta^{(1)}_2"),
]


@pytest.mark.parametrize("name, wrt, answer", RIGHT)
def test_right_answers_in_several_forms(name, wrt, answer):
    v = check_answer(net(name), wrt, answer)
    assert (v.verdict, v.diagnosis) == ("equivalent", None), v.describe()


WRONG = [
    # --- the circuit f = (x + y) z ---
    ("circuit", "z", "z", "wrong_local_partial",
     "the wrong local partial: ∂f/∂q (with respect to another input of f) where ∂f/∂z belongs, in ∂f/∂z"),
    ("circuit", "x", "q", "wrong_local_partial",
     "the wrong local partial: ∂f/∂z (with respect to another input of f) where ∂f/∂q belongs, in ∂f/∂q"),
    ("circuit", "x", "1", "wrong_local_partial",
     "a local partial left out: the factor ∂f/∂q is missing, in ∂f/∂q"),
    ("circuit", "y", "-z", "sign_error", "the right formula with its sign flipped"),
    ("circuit", "q", "2z", "factor_two", "twice the right formula"),
    # --- the residual block: x feeds z₁ and r (the skip connection) ---
    ("residual", "x", D % "r", "missing_consumer",
     "a consumer forgotten at a fork: x feeds z₁, r, and the term through z₁ is left out of ∂C/∂x "
     "(a value that feeds several consumers collects one term per consumer)"),
    ("residual", "x", "w_1 " + D % "z_1", "missing_consumer",
     "a consumer forgotten at a fork: x feeds z₁, r, and the term through r is left out of ∂C/∂x "
     "(a value that feeds several consumers collects one term per consumer)"),
    ("residual", "x", D % "r" + " - w_1 " + D % "z_1", "sign_error",
     "sign error in one term: the term through z₁ has its sign flipped, in ∂C/∂x"),
    ("residual", "w_1", "x w_2 " + D % "z_2", "missing_sigma_prime",
     "the activation's derivative is left out: ∂h/∂z₁ = relu′ is missing, in ∂C/∂z₁"),
    ("residual", "w_2", "h (a - y)", "missing_sigma_prime",
     "the activation's derivative is left out: ∂a/∂r = sigmoid′ is missing, in ∂C/∂r"),
    ("residual", "w_1", D % "z_1", "wrong_local_partial",
     "a local partial left out: the factor ∂z₁/∂w₁ is missing, in ∂C/∂w₁"),
    ("residual", "w_2", "-h " + D % "z_2", "sign_error", "the right formula with its sign flipped"),
    ("residual", "b_1", "2 " + D % "z_1", "factor_two", "twice the right formula"),
    ("residual", "w_1", D % "w_2", "wrong_parameter",
     "the derivative with respect to another parameter: this is ∂C/∂w₂, not ∂C/∂w₁"),
    ("residual", "x", D % "h", "wrong_node",
     "the derivative with respect to another node: this is ∂C/∂h, not ∂C/∂x"),
    # --- the RNN: shared weights, backpropagation through time ---
    ("rnn", "W_{11}", r"h^{(1)}_1 " + D % "z^{(2)}_1", "missing_time_step",
     "a missing time step: the term of step 3 (through z⁽³⁾₁) is left out of ∂C/∂W₁₁; a shared "
     "weight's gradient is the sum of one term per time step (backpropagation through time)"),
    ("rnn", "c_1", r"(o^{(1)}_1 - y^{(1)}_1) + (o^{(3)}_1 - y^{(3)}_1)", "missing_time_step",
     "a missing time step: the term of step 2 (through q⁽²⁾₁) is left out of ∂C/∂c₁; a shared "
     "weight's gradient is the sum of one term per time step (backpropagation through time)"),
    ("rnn", "b_1", D % "h^{(1)}_1" + " + " + D % "z^{(2)}_1" + " + " + D % "z^{(3)}_1",
     "missing_sigma_prime",
     "the activation's derivative is left out: ∂h⁽¹⁾₁/∂z⁽¹⁾₁ = tanh′ is missing, in ∂C/∂z⁽¹⁾₁"),
    ("rnn", "c_1", r"-(o^{(1)}_1 - y^{(1)}_1) - (o^{(2)}_1 - y^{(2)}_1) - (o^{(3)}_1 - y^{(3)}_1)",
     "sign_error", "the right formula with its sign flipped"),
    # --- a mini-batch of a layered net: one example's gradient, the layered mistakes ---
    ("minibatch", "w^{(2)}_{11}", r"-a^{(1)}_1 \delta^{(2)}_1", "sign_error",
     "sign error: the answer is −∂C/∂w⁽²⁾₁₁ (y − a where the cost's derivative has a − y)"),
    ("minibatch", "w^{(1)}_{11}", r"x_2 \delta^{(1)}_1", "wrong_input",
     "wrong input on the edge: x₂ where the weight carries x₁ (∂z/∂w is the input on that edge)"),
    ("minibatch", "x_1", r"w^{(1)}_{11}\delta^{(1)}_1", "missing_term",
     "a missing term of the sum over the next layer: the term with δ⁽¹⁾₂ is left out of ∂C/∂x₁"),
    ("minibatch", "b^{(1)}_{1}", r"\delta^{(1)}_2", "wrong_parameter",
     "the derivative with respect to another parameter: this is ∂C/∂b⁽¹⁾₂, not ∂C/∂b⁽¹⁾₁"),
]


@pytest.mark.parametrize("name, wrt, answer, code, explanation", WRONG)
def test_wrong_answers_get_their_exact_diagnosis(name, wrt, answer, code, explanation):
    v = check_answer(net(name), wrt, answer)
    assert (v.verdict, v.diagnosis, v.explanation) == ("not_equivalent", code, explanation), v.describe()


def test_the_whole_recurrence_left_out_is_a_missing_time_step():
    """∂C/∂h⁽¹⁾ written from its own step's output only (truncated BPTT), in ∂C/∂U₁₁."""
    rnn = net("rnn")
    answer = " + ".join(r"\frac{\partial C}{\partial q^{(%d)}_1} V_{11} \tanh'(z^{(%d)}_1) x^{(%d)}_1"
                        % (t, t, t) for t in (1, 2, 3))
    v = check_answer(rnn, "U_{11}", answer)
    assert (v.verdict, v.diagnosis) == ("not_equivalent", "missing_time_step"), v.describe()
    assert v.explanation.startswith("the gradient through later time steps is left out")


LAYERED_ONLY = {"transposed_index", "wrong_layer", "wrong_input", "missing_term", "missing_use",
                "softmax_diagonal_only"}


@pytest.mark.parametrize("name", ["circuit", "residual", "rnn", "sigmoid_neuron"])
def test_layered_mistakes_stay_layered(name):
    g = net(name)
    ref = reference(g)
    codes = set()
    for node in list(g.parameters) + list(g.inputs):
        target = ref.target(node)
        codes |= {m.code for m in mistakes(ref, target)}
    assert codes and not codes & LAYERED_ONLY
    assert codes <= {"missing_consumer", "missing_time_step", "wrong_local_partial",
                     "missing_sigma_prime", "wrong_activation_derivative", "sign_error"}


def test_graph_candidates_are_bounded():
    rnn = sb.Recurrent(inputs=2, hidden=6, outputs=2, steps=12)
    ref = reference(rnn)
    target = ref.target(rnn.symbol("W_{11}"))
    builder = part(BUILDERS, rnn)(ref, target)
    assert GRAPH_CANDIDATES < len(builder.build()) <= GRAPH_CANDIDATES + 2


# --- the compiled programs agree with the tree walk ------------------------------------------

@pytest.mark.parametrize("linear", [False, True], ids=["recomputed", "linear"])
@pytest.mark.parametrize("name, wrt", [("lecture", "w^{(1)}_{11}"), ("lecture", "x_1"),
                                       ("residual", "x"), ("rnn", "W_{12}"), ("softmax", "w^{(1)}_{11}"),
                                       ("minibatch", "x_2")])
def test_compiled_candidates_match_the_tree_walk(name, wrt, linear):
    from symbackprop.answers import diagnose
    g = net(name)
    ref = reference(g)
    target = ref.target(g.symbol(wrt))
    builder = part(diagnose.BUILDERS, g)(ref, target)
    candidates = builder.build()
    users = diagnose._downstream(ref, builder.cone)
    made = [diagnose._program(ref, builder.cone, users, r or {}, d, target.symbol)
            for _, _, r, d in candidates]
    programs = Programs(ref.symbols, ref.defined, {s for steps, _ in made for s, _ in steps},
                        linear=linear)
    for steps, result in made:
        programs.add(steps, result)
    assert len(programs) == len(made) > 20
    compared = 0
    for point in ref.points[:6]:
        fast = programs.run(point.values)
        for (steps, result), value in zip(made, fast):
            slow = _walk(point.values, steps, result)
            if slow is None:
                assert value is None
                continue
            assert value == pytest.approx(slow, rel=1e-9, abs=1e-13)
            compared += 1
    assert compared > 100


def test_programs_give_none_where_undefined_and_at_kinks():
    x, y = sympy.symbols("x y")
    relu = sb.activations.get("relu").func
    programs = Programs([x, y], {}, {y})
    programs.add([], sympy.log(x))                    # log of a negative number
    programs.add([], 1 / (x + 2))                     # division by zero at x = −2
    programs.add([(y, relu(y))], y)                    # at the kink of ReLU
    programs.add([(y, x ** 2)], y + 1)
    programs.add([], sympy.sqrt(x))
    assert programs.run({x: -2.0, y: 0.0}) == [None, None, None, 5.0, None]
    assert programs.run({x: 4.0, y: 1.0}) == [math.log(4.0), 1 / 6, 1.0, 17.0, 2.0]


def test_programs_evaluate_a_raw_softmax():
    """A program holding softmax itself (not a named activation node) is written as a call
    of the registry's float softmax (its import once named a module above the package)."""
    from symbackprop.ops.activations import Softmax
    x, y = sympy.symbols("x y")
    programs = Programs([x, y], {}, ())
    programs.add([], Softmax(1, x, y))
    programs.add([], Softmax(2, x, 2 * y))
    first, second = programs.run({x: 0.5, y: -1.0})
    assert first == pytest.approx(1 / (1 + math.exp(-1.5)), rel=1e-15)
    assert second == pytest.approx(math.exp(-2.0) / (math.exp(0.5) + math.exp(-2.0)), rel=1e-15)


def test_first_wrong_answer_at_16x4_is_fast():
    """Issue 12's target: a question's first wrong answer diagnosed quickly (CPU time, the
    network's reference already built by an answer to another question)."""
    import time
    g = sb.Network([16] * 4, activation="sigmoid", cost="mse")
    check_answer(g, "w^{(3)}_{11}", r"a^{(2)}_1 (a^{(3)}_1 - y_1)")
    start = time.process_time()
    v = check_answer(g, "w^{(1)}_{11}", r"x_1 \delta^{(1)}_2")
    elapsed = time.process_time() - start
    assert v.diagnosis == "wrong_parameter"
    assert elapsed < 1.0, elapsed       # measured 0.2 s; the margin is for a loaded machine


def test_compiled_source_holds_only_what_the_writer_emits():
    """Names a spec or an answer chose never reach the generated code: symbols are
    indices, numbers are float literals, functions are the writer's own names."""
    import keyword
    from symbackprop.answers import diagnose
    g = sb.load(EXAMPLES / "residual.toml")
    ref = reference(g)
    target = ref.target(g.symbol("x"))
    mistakes(ref, target)
    builder = diagnose._GraphBuilder(ref, target)
    users = diagnose._downstream(ref, builder.cone)
    made = [diagnose._program(ref, builder.cone, users, r or {}, d, target.symbol)
            for _, _, r, d in builder.build()]
    programs = Programs(ref.symbols, ref.defined, {s for st, _ in made for s, _ in st}, linear=True)
    for steps, result in made:
        programs.add(steps, result)
    programs.run(ref.points[0].values)
    names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", programs.source))
    allowed = {"e", "k", "v", "J", "r", "out", "append", "None", "ArithmeticError", "ValueError",
               "TypeError"} | set(keyword.kwlist)
    assert {n for n in names if not n.startswith("_")} <= allowed
    assert {n for n in names if n.startswith("_")} <= set(programs._namespace) | {
        n for n in names if re.fullmatch(r"_[dgtp]\d+|_fast|_sens|_safe", n)}
    for name in ("w_1", "ReLU", "sigma", "z_1"):
        assert name not in programs.source
