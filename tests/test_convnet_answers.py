"""Checking hand-derived answers on convolutional nets: the right answers written from the
lecture's formulas (∂C/∂K as the sum of input × δ over the windows, ∂C/∂x as the full
convolution of δ with the flipped kernel, the batch-norm gradient with its mean and
variance paths) are equivalent; each usual mistake, written as a student would, is named
with its feedback sentence."""

import json
import re

import pytest
from conftest import EXAMPLES

import symbackprop as sb
from symbackprop.answers.feedback import SENTENCES, sentence

CNN = EXAMPLES / "cnn.toml"
CNN1D = EXAMPLES / "cnn1d.toml"
BATCHNORM = EXAMPLES / "batchnorm.toml"


@pytest.fixture(scope="module")
def nets():
    return {path: sb.load(path) for path in (CNN, CNN1D, BATCHNORM)}


def d(name, cost="C"):
    return r"\frac{\partial %s}{\partial %s}" % (cost, name)


def total(terms):
    return " + ".join(terms) if terms else "0"


def idx(*index):
    return ",".join(map(str, index))


# --- cnn.toml: input 1×4×4, conv 2×3×3 (stride 1, no padding) → 2×2×2, max pool 2, dense 3 ----

def kernel_gradient(o, p, q, shift=(0, 0)):
    """∂C/∂K_{o,1,p,q} = Σ_{i,j} x_{1,i+p−1,j+q−1} δ_{o,i,j} (the input window shifted by shift)."""
    terms = []
    for i in (1, 2):
        for j in (1, 2):
            r, s = i + p - 1 + shift[0], j + q - 1 + shift[1]
            if 1 <= r <= 4 and 1 <= s <= 4:
                terms.append(f"x_{{{idx(1, r, s)}}} {d('z^{(1)}_{%s}' % idx(o, i, j))}")
    return total(terms)


def input_gradient(r, s, flip=False, shift=(0, 0)):
    """∂C/∂x_{1,r,s} = Σ_o Σ_{i,j} K_{o,1,r−i+1,s−j+1} δ_{o,i,j}: the full convolution of δ with
    the flipped kernel (flip: K_{o,1,3+i−r,3+j−s}, the kernel as it is; shift: δ map moved)."""
    terms = []
    for o in (1, 2):
        for i in (1, 2):
            for j in (1, 2):
                p, q = r - i + 1, s - j + 1
                if not (1 <= p <= 3 and 1 <= q <= 3):
                    continue
                if flip:
                    p, q = 4 - p, 4 - q
                di, dj = i + shift[0], j + shift[1]
                if 1 <= di <= 2 and 1 <= dj <= 2:
                    terms.append(f"K^{{(1)}}_{{{idx(o, 1, p, q)}}} {d('z^{(1)}_{%s}' % idx(o, di, dj))}")
    return total(terms)


# --- batchnorm.toml: two examples of 1×3×3, batch norm over 18 entries, then conv 2×2×2 --------

MEMBERS = [(n, i, j) for n in (1, 2) for i in (1, 2, 3) for j in (1, 2, 3)]
XHAT = r"\hat{x}^{(1)(%d)}_{1,%d,%d}"
ROOT = r"\sqrt{\sigma^{2(1)}_{1} + 0.00001}"


def norm_input_gradient(mean=True, variance=True, over_n=True, example=1):
    """∂L/∂x^{(n)}_{1,1,1} = (∂L/∂x̂ − (1/N) Σ ∂L/∂x̂ − x̂ (1/N) Σ ∂L/∂x̂ x̂) / √(σ² + ε), N = 18."""
    own = XHAT % (example, 1, 1)
    n = r"\frac{1}{18}" if over_n else ""
    parts = [d(own, "L")]
    if mean:
        parts.append(f"- {n} ({total([d(XHAT % m, 'L') for m in MEMBERS])})")
    if variance:
        parts.append(f"- {own} {n} ({total([XHAT % m + ' ' + d(XHAT % m, 'L') for m in MEMBERS])})")
    return r"\frac{1}{%s} (%s)" % (ROOT, " ".join(parts))


RIGHT = [
    pytest.param(CNN, "K^{(1)}_{2,1,2,3}", kernel_gradient(2, 2, 3), id="kernel"),
    pytest.param(CNN, "b^{(1)}_{2}", total([d("z^{(1)}_{%s}" % idx(2, i, j)) for i in (1, 2) for j in (1, 2)]),
                 id="conv-bias"),
    pytest.param(CNN, "x_{1,2,3}", input_gradient(2, 3), id="input"),
    pytest.param(CNN1D, "K^{(1)}_{1,2,1}", r"x_{2,2} \frac{\partial C}{\partial z^{(1)}_{1,2}}"
                 r" + x_{2,4} \frac{\partial C}{\partial z^{(1)}_{1,3}}", id="kernel-1d-stride-padding"),
    pytest.param(CNN1D, "x_{1,2}", r"K^{(1)}_{1,1,3} \frac{\partial C}{\partial z^{(1)}_{1,1}}"
                 r" + K^{(1)}_{1,1,1} \frac{\partial C}{\partial z^{(1)}_{1,2}}", id="input-1d-stride-padding"),
    pytest.param(BATCHNORM, r"\gamma^{(1)}_{1}", total([XHAT % m + " " + d("z^{(1)(%d)}_{1,%d,%d}" % m, "L")
                                                        for m in MEMBERS]), id="gamma"),
    pytest.param(BATCHNORM, r"\beta^{(1)}_{1}", total([d("z^{(1)(%d)}_{1,%d,%d}" % m, "L") for m in MEMBERS]),
                 id="beta"),
    pytest.param(BATCHNORM, "x^{(1)}_{1,1,1}", norm_input_gradient(), id="batchnorm-input"),
    pytest.param(BATCHNORM, "x_{1,1,1}", norm_input_gradient() + " + " + norm_input_gradient(example=2),
                 id="batchnorm-summed-input"),
    pytest.param(BATCHNORM, "x_{1,1,1}", d("x^{(1)}_{1,1,1}", "L") + " + " + d("x^{(2)}_{1,1,1}", "L"),
                 id="batchnorm-summed-input-by-copies"),
]


@pytest.mark.parametrize("spec, wrt, answer", RIGHT)
def test_the_lecture_formulas_are_equivalent(nets, spec, wrt, answer):
    verdict = sb.check_answer(nets[spec], wrt, answer)
    assert (verdict.verdict, verdict.diagnosis) == ("equivalent", None)


MAX = r"\frac{\partial C}{\partial a^{(2)}_{1,1,1}}"

WRONG = [
    pytest.param(CNN, "x_{1,2,3}", input_gradient(2, 3, flip=True), "kernel_not_flipped",
                 "the kernel is not flipped", id="not-flipped"),
    pytest.param(CNN, "K^{(1)}_{2,1,2,3}", kernel_gradient(2, 2, 3, shift=(1, 0)), "window_offset",
                 "the input window is shifted by +1 along axis 1", id="kernel-window-offset"),
    pytest.param(CNN, "K^{(1)}_{1,1,1,1}", kernel_gradient(1, 1, 1, shift=(0, -1)), "window_offset",
                 "the input window is shifted by -1 along axis 2", id="kernel-window-offset-left"),
    pytest.param(CNN, "x_{1,2,3}", input_gradient(2, 3, shift=(1, 0)), "window_offset",
                 "the δ map is shifted by +1 along axis 1", id="input-delta-offset"),
    pytest.param(CNN1D, "K^{(1)}_{1,2,1}", r"x_{2,1} \frac{\partial C}{\partial z^{(1)}_{1,2}}"
                 r" + x_{2,3} \frac{\partial C}{\partial z^{(1)}_{1,3}}", "window_offset",
                 "the input window is shifted by -1 along axis 1", id="window-offset-1d"),
    pytest.param(CNN1D, "K^{(1)}_{1,2,1}", r"x_{2,1} \frac{\partial C}{\partial z^{(1)}_{1,1}}"
                 r" + x_{2,3} \frac{\partial C}{\partial z^{(1)}_{1,2}} + x_{2,5} \frac{\partial C}{\partial z^{(1)}_{1,3}}",
                 "window_offset", "the input window is shifted by +1 along axis 1", id="padding-forgotten-1d"),
    pytest.param(CNN, "a^{(1)}_{1,1,2}", MAX, "maxpool_spread", "taken as 1 for every member",
                 id="maxpool-every-member"),
    pytest.param(CNN, "a^{(1)}_{1,1,2}", r"\frac{1}{4} " + MAX, "maxpool_spread", "taken as 1/4 for every member",
                 id="maxpool-divided"),
    pytest.param(BATCHNORM, "x^{(1)}_{1,1,1}", norm_input_gradient(mean=False), "batchnorm_missing_mean",
                 "the mean path of the batch norm is left out", id="bn-no-mean"),
    pytest.param(BATCHNORM, "x^{(1)}_{1,1,1}", norm_input_gradient(variance=False), "batchnorm_missing_variance",
                 "the variance path of the batch norm is left out", id="bn-no-variance"),
    pytest.param(BATCHNORM, "x^{(1)}_{1,1,1}", norm_input_gradient(over_n=False), "missing_one_over_n",
                 "the 1/N of the norm's mean and variance is left out", id="bn-no-1/N"),
    pytest.param(BATCHNORM, "x_{1,1,1}", norm_input_gradient(), "missing_consumer",
                 "an example left out: x₁,₁,₁ is summed over the mini-batch", id="bn-summed-one-example"),
    pytest.param(BATCHNORM, "x_{1,1,1}", norm_input_gradient(mean=False) + " + "
                 + norm_input_gradient(mean=False, example=2), "batchnorm_missing_mean",
                 "the mean path of the norm is left out of every adjoint", id="bn-summed-no-mean"),
]


@pytest.mark.parametrize("spec, wrt, answer, code, words", WRONG)
def test_each_mistake_is_named_with_its_feedback(run_cli, spec, wrt, answer, code, words):
    status, out, err = run_cli("check", spec, "--wrt", wrt, "--answer", answer, "--json")
    assert (status, err) == (1, "")
    verdict = json.loads(out)
    assert (verdict["verdict"], verdict["diagnosis"]) == ("not_equivalent", code)
    assert words in verdict["explanation"]
    assert sentence(code) == SENTENCES[code]


def test_an_answer_of_zero_is_not_a_window_shifted_off_the_map(nets):
    # x_{1,4,4} meets only δ_{o,2,2}: a δ map shifted by +1 leaves nothing, which is no mistake
    verdict = sb.check_answer(nets[CNN], "x_{1,4,4}", "0")
    assert verdict.verdict == "not_equivalent" and verdict.diagnosis != "window_offset"
    right = total([f"K^{{(1)}}_{{{o},1,3,3}} {d('z^{(1)}_{%d,2,2}' % o)}" for o in (1, 2)])
    assert sb.check_answer(nets[CNN], "x_{1,4,4}", right).verdict == "equivalent"


@pytest.mark.parametrize("raw, key", [("(1)", ("layer", 1)), ("(1)(2)", ("layer", ("", 1, 2))),
                                      ("2(1)", ("layer", ("2", 1))), ("2", ("number", 2)),
                                      ("(1)(2)(3)", ("power", None)), ("2(x)", ("power", None))])
def test_a_mini_batch_name_tags_its_layer(raw, key):
    from symbackprop.reading.names import classify_superscript
    assert classify_superscript(raw) == key


def test_a_tagged_name_on_a_layered_net_is_one_error_line(run_cli):
    status, out, err = run_cli("check", EXAMPLES / "lecture.toml", "--wrt", "w^{(2)}_{11}", "--answer", "a^{(1)(2)}_{1}")
    assert (status, out) == (2, "")
    assert err.startswith("error: answer, column 1: unknown name 'a^{(1)(2)}_{1}'; did you mean")


def test_a_graded_answer_gets_the_mistakes_feedback_sentence(nets):
    import csv
    import io

    from symbackprop.answers.feedback import feedback_for
    from symbackprop.answers.grade import grade, parse_rows
    out = io.StringIO()
    csv.writer(out).writerows([("id", "wrt", "answer"), ("1", "x_{1,2,3}", input_gradient(2, 3, flip=True)),
                               ("2", "x_{1,2,3}", input_gradient(2, 3))])
    wrong, right = grade(nets[CNN], parse_rows(out.getvalue()))
    assert feedback_for(wrong) == SENTENCES["kernel_not_flipped"]
    assert feedback_for(right) == "Correct: your answer equals the derivative asked for."


# --- whole kernels: --wrt K^{(1)}_{o,c} (or K^{(1)} of one channel each) as a matrix ---------

def kernel_matrix(o, transform=lambda p, q: (p, q), env="pmatrix"):
    """The kernel's gradient written out as a 3×3 matrix of the lecture's sums; ``transform``
    moves entry (p, q) to another place (a student's rotated or transposed matrix)."""
    rows = [[None] * 3 for _ in range(3)]
    for p in (1, 2, 3):
        for q in (1, 2, 3):
            r, s = transform(p, q)
            rows[r - 1][s - 1] = kernel_gradient(o, p, q)
    return r"\begin{%s} %s \end{%s}" % (env, r" \\ ".join(" & ".join(row) for row in rows), env)


def test_a_whole_kernel_written_as_a_matrix_is_checked_entry_by_entry(nets):
    right = sb.check_answer(nets[CNN], "K^{(1)}_{2,1}", kernel_matrix(2, env="bmatrix"))
    assert (right.verdict, right.entries, right.diagnosis) == ("equivalent", (9, 9), None)
    # the other output channel's kernel: every entry names the wrong parameter
    other = sb.check_answer(nets[CNN], "K^{(1)}_{1,1}", kernel_matrix(2))
    assert (other.verdict, other.entries) == ("not_equivalent", (0, 9))
    assert other.wrong_entries[0] == "K^{(1)}_{1,1,1,1}"


def test_a_kernel_gradient_rotated_by_180_degrees_is_named(nets):
    rotated = sb.check_answer(nets[CNN], "K^{(1)}_{1,1}", kernel_matrix(1, lambda p, q: (4 - p, 4 - q)))
    assert (rotated.verdict, rotated.entries) == ("not_equivalent", (1, 9))      # the centre is right
    assert rotated.diagnosis == "kernel_gradient_rotated"
    assert "rotated by 180°" in rotated.explanation and "rotated by 180°" in sentence(rotated.diagnosis)
    transposed = sb.check_answer(nets[CNN], "K^{(1)}_{1,1}", kernel_matrix(1, lambda p, q: (q, p)))
    assert (transposed.entries, transposed.diagnosis) == ((3, 9), "wrong_parameter")
    short = sb.check_answer(nets[CNN], "K^{(1)}_{1,1}", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}")
    assert (short.diagnosis, short.reason) == ("wrong_shape", "the answer is a 2×2; K^{(1)}_{1,1} is a 3×3")


def test_a_whole_kernel_of_several_channels_asks_for_one_of_them(nets):
    with pytest.raises(sb.AnswerError, match=r"^wrt: 'K\^\{\(1\)\}' holds 2 × 1 kernels \(output × input "
                                             r"channels\); write one of them as a matrix, e.g. K\^\{\(1\)\}_\{1,1\}$"):
        sb.check_answer(nets[CNN], "K^{(1)}", "0")
    with pytest.raises(sb.AnswerError, match=r"the kernels of layer 1 run over 2 × 1$"):
        sb.check_answer(nets[CNN], "K^{(1)}_{3,1}", "0")


def test_a_one_channel_kernel_and_a_bias_vector_are_whole_answers():
    net = sb.ConvNet((1, 3, 3), [sb.Conv(1, kernel=2), sb.Dense(1, "identity")])
    d = net.backward()
    entry = lambda p, q: " + ".join(f"x_{{1,{i + p - 1},{j + q - 1}}} {d_('z^{(1)}_{1,%d,%d}' % (i, j))}"
                                     for i in (1, 2) for j in (1, 2))
    answer = r"\begin{pmatrix} %s & %s \\ %s & %s \end{pmatrix}" % (entry(1, 1), entry(1, 2), entry(2, 1), entry(2, 2))
    v = sb.check_answer(net, "K^{(1)}", answer)
    assert (v.verdict, v.entries) == ("equivalent", (4, 4))
    bias = sb.check_answer(net, "b^{(1)}", r"\begin{pmatrix} %s \end{pmatrix}"
                           % " + ".join(d_("z^{(1)}_{1,%d,%d}" % (i, j)) for i in (1, 2) for j in (1, 2)))
    assert (bias.verdict, bias.entries) == ("equivalent", (1, 1))
    assert d.gradient(net.K(1, 1, 1, 1, 1)).symbol in {f.symbol for f in d.gradients}


def d_(name):
    return d(name)


@pytest.mark.parametrize("answer, message", [
    (r"\begin{pmatrix} 1 & 2 \\ 3 \end{pmatrix}", "the rows of the matrix have different lengths (2, 1)"),
    (r"\begin{pmatrix} 1 & 2", r"\begin{pmatrix} is never closed by \end{pmatrix}"),
    (r"\begin{pmatrix} 1 \end{bmatrix}", r"\begin{pmatrix} is closed by another environment"),
    (r"\begin{cases} 1 \end{cases}", "the environment 'cases' is not read"),
], ids=["ragged", "unclosed", "mismatched", "cases"])
def test_a_matrix_written_out_that_cannot_be_read_says_why(nets, answer, message):
    with pytest.raises(sb.AnswerError, match=re.escape(message)):
        sb.check_answer(nets[CNN], "K^{(1)}_{1,1}", answer)
