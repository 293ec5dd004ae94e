"""Whole-layer answers: ``--wrt W^{(l)}``, ``b^{(l)}``, ``δ^{(l)}`` with vector and matrix
answers (Nielsen's four equations), compared entry by entry, wrong entries named, and
the whole answer's mistake diagnosed."""

import json
from functools import lru_cache

import pytest

import symbackprop as sb
from symbackprop.answers import AnswerReadError, check_answer

from conftest import EXAMPLES

OK = "equivalent"


@lru_cache(maxsize=None)
def network(key):
    if key == "lecture":
        return sb.load(EXAMPLES / "lecture.toml")
    if key == "wide":
        return sb.Network([3, 2, 2])
    if key == "tanh":
        return sb.Network([2, 3, 1], activation="tanh")
    if key == "lecture-notation":
        return sb.load(EXAMPLES / "lecture.toml", notation="lecture")
    raise KeyError(key)


def case(net, wrt, answer, verdict, diagnosis, entries, id):
    return pytest.param(net, wrt, answer, verdict, diagnosis, entries, id=id)


NE = "not_equivalent"
CASES = [
    # BP1: δ^L = ∇_a C ⊙ σ′(z^L)
    case("lecture", r"\delta^{(3)}", r"(a^{(3)} - y) \odot \sigma'(z^{(3)})", OK, None, (2, 2), "bp1"),
    case("lecture", r"\delta^{(3)}", r"(a^{(3)} - y)", NE, "missing_sigma_prime", (0, 2), "bp1-no-sigma-prime"),
    case("lecture", r"\delta^{(3)}", r"\nabla_a C \odot \sigma'(z^{(3)})", OK, None, (2, 2), "bp1-nabla"),
    case("lecture", r"\delta^{(3)}", r"\nabla_{a^{(3)}} C \odot \sigma'(z^{(3)})", OK, None, (2, 2),
         "bp1-nabla-layer"),
    case("lecture", r"\delta^{(3)}", r"\nabla_{a^{(2)}} C \odot \sigma'(z^{(3)})", NE, None, (0, 2),
         "bp1-nabla-wrong-layer"),
    case("lecture", r"\delta^{(3)}", r"\nabla_a C", NE, "missing_sigma_prime", (0, 2), "bp1-nabla-no-prime"),
    case("lecture", r"\delta^{(3)}", r"(y - a^{(3)}) \odot \sigma'(z^{(3)})", NE, "sign_error", (0, 2), "bp1-sign"),
    # BP2: δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ σ′(z^l), in every spelling
    case("lecture", r"\delta^{(2)}", r"(W^{(3)})^T \delta^{(3)} \odot \sigma'(z^{(2)})", OK, None, (2, 2), "bp2"),
    case("lecture", r"\delta^{(2)}", r"\sigma'(z^{(2)}) \odot (W^{(3)})^\top \delta^{(3)}", OK, None, (2, 2),
         "bp2-top-first"),
    case("lecture", r"\delta^{(2)}", r"((w^3)^T \delta^3) \circ \sigma'(z^2)", OK, None, (2, 2), "bp2-nielsen"),
    case("lecture", r"\delta^{(2)}", r"W^{(3)T} \delta^{(3)} \odot \sigma'(z^{(2)})", OK, None, (2, 2),
         "bp2-transpose-in-superscript"),
    case("lecture", r"\delta^{(2)}", "(W⁽³⁾)ᵀδ⁽³⁾ ⊙ σ′(z⁽²⁾)", OK, None, (2, 2), "bp2-unicode"),
    case("lecture", r"\delta^{(2)}", r"\operatorname{diag}(\sigma'(z^{(2)})) (W^{(3)})^T \delta^{(3)}", OK, None,
         (2, 2), "bp2-diag"),
    case("lecture", r"\delta^{(2)}", r"(W^{(3)})^T \delta^{(3)} \odot a^{(2)} \odot (1 - a^{(2)})", OK, None,
         (2, 2), "bp2-closed-form"),
    case("lecture", r"\delta^{(2)}", r"W^{(3)} \delta^{(3)} \odot \sigma'(z^{(2)})", NE, "missing_transpose",
         (0, 2), "bp2-missing-transpose"),
    case("lecture", r"\delta^{(2)}", r"(W^{(3)})^T \delta^{(3)}", NE, "missing_sigma_prime", (0, 2),
         "bp2-missing-sigma-prime"),
    case("tanh", r"\delta^{(1)}", r"(W^{(2)})^T \delta^{(2)} \odot \tanh'(z^{(1)})", OK, None, (3, 3), "bp2-tanh"),
    case("tanh", r"\delta^{(1)}", r"(W^{(2)})^T \delta^{(2)} \odot (1 - a^{(1)} \odot a^{(1)})", OK, None, (3, 3),
         "bp2-tanh-closed"),
    case("tanh", r"\delta^{(1)}", r"W^{(2)} \delta^{(2)} \odot \tanh'(z^{(1)})", NE, "missing_transpose", (0, 3),
         "bp2-tanh-shapes-do-not-fit"),
    case("tanh", r"\delta^{(1)}", r"(W^{(2)})^T \delta^{(2)}", NE, "missing_sigma_prime", (0, 3),
         "bp2-tanh-missing-prime"),
    # BP3: ∂C/∂b^l = δ^l
    case("lecture", "b^{(2)}", r"\delta^{(2)}", OK, None, (2, 2), "bp3"),
    case("lecture", "b^{(2)}", r"\frac{\partial C}{\partial z^{(2)}}", OK, None, (2, 2), "bp3-partial"),
    case("lecture", "b^{(2)}", r"\delta^{(3)}", NE, "wrong_layer", (0, 2), "bp3-wrong-layer"),
    # BP4: ∂C/∂W^l = δ^l (a^{l-1})^T
    case("lecture", "W^{(2)}", r"\delta^{(2)} (a^{(1)})^T", OK, None, (4, 4), "bp4"),
    case("lecture", "W^{(2)}", r"\frac{\partial C}{\partial W^{(2)}} = \delta^{(2)} (a^{(1)})^T", OK, None,
         (4, 4), "bp4-with-lhs"),
    case("lecture", "W^{(2)}", "δ⁽²⁾(a⁽¹⁾)ᵀ", OK, None, (4, 4), "bp4-unicode"),
    case("lecture", "W^{(1)}", r"\delta^{(1)} x^T", OK, None, (4, 4), "bp4-input"),
    case("lecture", "W^{(1)}", r"\delta^{(1)} (a^{(0)})^\top", OK, None, (4, 4), "bp4-a0"),
    case("lecture", "W^{(2)}", r"a^{(1)} (\delta^{(2)})^T", NE, "outer_product_order", (2, 4), "bp4-order-square"),
    case("wide", "W^{(1)}", r"\delta^{(1)} x^T", OK, None, (6, 6), "bp4-wide"),
    case("wide", "W^{(1)}", r"x (\delta^{(1)})^T", NE, "outer_product_order", (0, 6), "bp4-order-wide"),
    case("wide", "W^{(1)}", r"x^T \delta^{(1)}", NE, "wrong_shape", (0, 6), "bp4-inner-product"),
    case("tanh", "W^{(2)}", r"\delta^{(2)} a^{(1)}", NE, "wrong_shape", (0, 3), "bp4-no-transpose"),
    case("tanh", "W^{(2)}", r"\delta^{(2)} (a^{(1)})^T", OK, None, (3, 3), "bp4-tanh"),
    case("wide", "W^{(2)}", r"\delta^{(2)}", NE, "wrong_shape", (0, 4), "bp4-a-vector-for-a-matrix"),
    # a lecture-notation spec: layer names still read
    case("lecture-notation", "W^{(2)}", r"\delta^{(2)} (a^{(1)})^T", OK, None, (4, 4), "lecture-notation-bp4"),
]


@pytest.mark.parametrize("net, wrt, answer, verdict, diagnosis, entries", CASES)
def test_layer_answers(net, wrt, answer, verdict, diagnosis, entries):
    v = check_answer(network(net), wrt, answer)
    assert (v.verdict, v.diagnosis, v.entries) == (verdict, diagnosis, entries), (v.reason, v.answer_text)
    assert len(v.wrong_entries) == entries[1] - entries[0]


def test_wrong_entries_are_named():
    v = check_answer(network("lecture"), "W^{(2)}", r"a^{(1)} (\delta^{(2)})^T")
    assert v.wrong_entries == ["w^{(2)}_{12}", "w^{(2)}_{21}"]
    assert v.counterexample["entry"] == "w^{(2)}_{12}"
    assert v.explanation.startswith("the outer product is in the wrong order")
    d = v.as_dict()
    assert d["entries"] == {"right": 2, "total": 4}
    assert d["wrong_entries"] == ["w^{(2)}_{12}", "w^{(2)}_{21}"]
    assert "  entries right: 2 of 4: wrong w⁽²⁾₁₂, w⁽²⁾₂₁" in v.describe()
    delta = check_answer(network("lecture"), r"\delta^{(2)}", r"(W^{(3)})^T \delta^{(3)}")
    assert delta.wrong_entries == [r"\delta^{(2)}_{1}", r"\delta^{(2)}_{2}"]


def test_a_right_matrix_answer_reads_back():
    v = check_answer(network("lecture"), "W^{(2)}", r"\delta^{(2)} (a^{(1)})^T")
    assert v.wrt == "W^{(2)}"
    assert v.answer_text == "[a⁽¹⁾₁·δ⁽²⁾₁, a⁽¹⁾₂·δ⁽²⁾₁; a⁽¹⁾₁·δ⁽²⁾₂, a⁽¹⁾₂·δ⁽²⁾₂]"
    assert v.answer == (r"\left[\begin{matrix}a^{(1)}_{1} \delta^{(2)}_{1} & a^{(1)}_{2} \delta^{(2)}_{1}"
                        r"\\a^{(1)}_{1} \delta^{(2)}_{2} & a^{(1)}_{2} \delta^{(2)}_{2}\end{matrix}\right]")
    assert (v.symbolic, v.points) == (True, 25)


def test_shape_errors_say_the_shapes():
    v = check_answer(network("wide"), "W^{(1)}", r"x^T \delta^{(1)}")
    assert v.reason == "the vectors and matrices do not fit: a 1×3 times a 2-vector"
    w = check_answer(network("wide"), "W^{(1)}", r"x (\delta^{(1)})^T")
    assert w.reason == "the answer is a 3×2; W^{(1)} is a 2×3"


@pytest.mark.parametrize("answer, message", [
    (r"\delta^{(2)} / a^{(1)}", "division by a vector or matrix"),
    (r"(\delta^{(2)})^2", "a power of a vector or matrix: write products out, or ⊙ for entry by entry"),
    (r"\sum_k \delta^{(2)}_k a^{(1)}", r"\sum of vectors or matrices: write the entries"),
    (r"\tanh(W^{(2)}) - W^{(2)}", None),
    (r"W^{(7)}", "'W^{(7)}': the network has layers 1 to 3"),
])
def test_refused_layer_forms(answer, message):
    net = network("lecture")
    if message is None:
        assert check_answer(net, "W^{(2)}", answer).verdict == "not_equivalent"
        return
    with pytest.raises(AnswerReadError) as info:
        check_answer(net, "W^{(2)}", answer)
    assert info.value.reason == message


def test_scalar_questions_keep_scalar_names():
    # W^{(2)} as an answer to a scalar question is not a name there
    with pytest.raises(AnswerReadError) as info:
        check_answer(network("lecture"), "w^{(2)}_{11}", r"W^{(2)}")
    assert info.value.reason.startswith("unknown name 'W^{(2)}'")


def test_check_json_of_a_layer(run_cli):
    code, out, err = run_cli("check", EXAMPLES / "lecture.toml", "--wrt", r"\delta^{(2)}", "--answer",
                             r"W^{(3)} \delta^{(3)} \odot \sigma'(z^{(2)})", "--json")
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert (data["verdict"], data["diagnosis"]) == ("not_equivalent", "missing_transpose")
    assert data["entries"] == {"right": 0, "total": 2}
    assert data["wrong_entries"] == [r"\delta^{(2)}_{1}", r"\delta^{(2)}_{2}"]
