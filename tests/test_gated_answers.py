"""Answers for gated cells and attention: ``--wrt`` a gate parameter, a W_Q/W_K/W_V entry,
a cell or hidden state (a defined node: the answer names its consumers' adjoints), sums
over time with index arithmetic; the gated cells' mistakes named from the graph's roles."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.answers.verdict import check_answer

ROOT = Path(__file__).resolve().parent.parent
D = r"\frac{\partial C}{\partial "


@pytest.fixture(scope="module")
def nets():
    return {name: sb.load(ROOT / "examples" / f"{name}.toml")
            for name in ("lstm", "gru", "attention", "attention_causal")}


RIGHT = [
    ("lstm", "W^{(f)}_{11}", r"\sum_{t=2}^{3} h^{(t-1)}_{1} f^{(t)}_{1}(1-f^{(t)}_{1}) c^{(t-1)}_{1} " + D + "c^{(t)}_{1}}"),
    ("lstm", "b^{(f)}_{1}", r"\sum_{t=2}^{3} f^{(t)}_{1}(1-f^{(t)}_{1}) c^{(t-1)}_{1} " + D + "c^{(t)}_{1}}"),
    ("lstm", "U^{(i)}_{21}", r"\sum_{t=1}^{3} x^{(t)}_{1} i^{(t)}_{2}(1-i^{(t)}_{2}) \tilde{c}^{(t)}_{2} " + D + "c^{(t)}_{2}}"),
    ("lstm", "b^{(o)}_{1}", r"\sum_{t=1}^{3} o^{(t)}_{1}(1-o^{(t)}_{1}) \tanh(c^{(t)}_{1}) " + D + "h^{(t)}_{1}}"),
    ("lstm", "c^{(2)}_{1}", "f^{(3)}_{1} " + D + r"c^{(3)}_{1}} + (1-\tanh(c^{(2)}_{1})^2) o^{(2)}_{1} " + D + "h^{(2)}_{1}}"),
    ("lstm", "h^{(2)}_{1}",
     "V_{11} " + D + "q^{(2)}_{1}} + " + " + ".join(
         f"W^{{({g})}}_{{{j}1}} " + D + f"s^{{(3)}}_{{{g},{j}}}}}" for g in "cfio" for j in (1, 2))),
    ("gru", "W^{(z)}_{11}", r"\sum_{t=2}^{3} h^{(t-1)}_{1} z^{(t)}_{1}(1-z^{(t)}_{1}) (h^{(t-1)}_{1}-\tilde{h}^{(t)}_{1}) " + D + "h^{(t)}_{1}}"),
    ("gru", "z^{(2)}_{1}", r"(h^{(1)}_{1}-\tilde{h}^{(2)}_{1}) " + D + "h^{(2)}_{1}}"),
    ("attention_causal", "W^{(Q)}_{11}", r"\sum_{t=1}^{3} x_{t,1} " + D + "Q_{t,1}}"),
    ("attention_causal", "W^{(K)}_{21}", r"\sum_{t=1}^{3} x_{t,2} " + D + "K_{t,1}}"),
    ("attention_causal", "W^{(V)}_{12}", r"\sum_{t=1}^{3} x_{t,1} " + D + "V_{t,2}}"),
    ("attention", "Q_{1,1}", r"\sum_{s=1}^{3} K_{s,1} " + D + r"S_{1,s}}/\sqrt{2}"),
]


@pytest.mark.parametrize("name,wrt,answer", RIGHT, ids=[f"{n}:{w}" for n, w, _ in RIGHT])
def test_right_answers_written_by_hand_are_equivalent(nets, name, wrt, answer):
    v = check_answer(nets[name], wrt, answer, symbolic=False)
    assert (v.verdict, v.diagnosis) == ("equivalent", None)


MISTAKES = [
    # ∂C/∂c⁽²⁾ without f⁽³⁾·∂C/∂c⁽³⁾
    ("lstm", "c^{(2)}_{1}", r"(1-\tanh(c^{(2)}_{1})^2) o^{(2)}_{1} " + D + "h^{(2)}_{1}}",
     "missing_cell_path", "the cell path through the forget gate is missing: the term through c⁽³⁾₁"),
    # h⁽ᵗ⁾ for tanh(c⁽ᵗ⁾): in the output gate's gradient, in the cell state's, in a sum over steps
    ("lstm", "o^{(2)}_{1}", "h^{(2)}_{1} " + D + "h^{(2)}_{1}}", "tanh_c_as_h", "tanh(c⁽ᵗ⁾) written as h⁽ᵗ⁾"),
    ("lstm", "c^{(2)}_{1}", "f^{(3)}_{1} " + D + r"c^{(3)}_{1}} + (1-(h^{(2)}_{1})^2) o^{(2)}_{1} " + D + "h^{(2)}_{1}}",
     "tanh_c_as_h", "not h⁽ᵗ⁾ and o⁽ᵗ⁾(1 − (h⁽ᵗ⁾)²)"),
    ("lstm", "W^{(o)}_{11}", r"\sum_{t=2}^{3} h^{(t-1)}_{1} o^{(t)}_{1}(1-o^{(t)}_{1}) h^{(t)}_{1} " + D + "h^{(t)}_{1}}",
     "tanh_c_as_h", "in each term of ∂C/∂W⁽ᵒ⁾₁₁"),
    # the GRU's update gate through one path only
    ("gru", "z^{(2)}_{1}", "h^{(1)}_{1} " + D + "h^{(2)}_{1}}", "update_gate_one_path", "keeps only the kept state"),
    ("gru", "z^{(2)}_{1}", r"-\tilde{h}^{(2)}_{1} " + D + "h^{(2)}_{1}}", "update_gate_one_path", "keeps only the candidate"),
    ("gru", "W^{(z)}_{11}", r"\sum_{t=2}^{3} h^{(t-1)}_{1} z^{(t)}_{1}(1-z^{(t)}_{1}) h^{(t-1)}_{1} " + D + "h^{(t)}_{1}}",
     "update_gate_one_path", "∂h⁽ᵗ⁾/∂z = h⁽ᵗ⁻¹⁾ − h̃⁽ᵗ⁾"),
    # a missing time step, as for the Elman net
    ("lstm", "b^{(o)}_{1}", r"\sum_{t=2}^{3} o^{(t)}_{1}(1-o^{(t)}_{1}) \tanh(c^{(t)}_{1}) " + D + "h^{(t)}_{1}}",
     "missing_time_step", "the term of step 1"),
    ("attention", "Q_{1,1}", r"\sum_{s=1}^{3} K_{s,1} " + D + "S_{1,s}}", "missing_scale", "1/√d_k"),
]


@pytest.mark.parametrize("name,wrt,answer,code,words", MISTAKES,
                         ids=[f"{m[0]}:{m[1]}:{m[3]}" for m in MISTAKES])
def test_a_students_mistake_is_named(nets, name, wrt, answer, code, words):
    v = check_answer(nets[name], wrt, answer, symbolic=False)
    assert (v.verdict, v.diagnosis) == ("not_equivalent", code)
    assert words in v.explanation


def test_check_json_names_the_mistake_with_its_feedback():
    out = subprocess.run([sys.executable, "-m", "symbackprop", "check", str(ROOT / "examples/lstm.toml"),
                          "--wrt", "c^{(2)}_{1}", "--json", "--answer",
                          r"(1-\tanh(c^{(2)}_{1})^2) o^{(2)}_{1} " + D + "h^{(2)}_{1}}"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    data = json.loads(out.stdout)
    assert data["verdict"] == "not_equivalent"
    assert data["diagnosis"] == "missing_cell_path"
    assert "f⁽ᵗ⁺¹⁾·∂C/∂c⁽ᵗ⁺¹⁾" in data["explanation"]


# --- the pictures: only the first k steps ------------------------------------------------

def _columns(circuit) -> list:
    """The steps drawn: one input box x⁽ᵗ⁾₁ per column."""
    return sorted(int(it.key[len("x^{("):].split(")")[0]) for it in circuit.items
                  if it.key.startswith("x^{(") and it.key.endswith("_{1}"))


def test_the_pictures_draw_the_first_k_steps(nets):
    from symbackprop.documents.pictures import unrolled
    d = nets["lstm"].backward()
    forward, reverse = unrolled.pictures(d, steps=2)
    assert _columns(forward) == _columns(reverse) == [1, 2]
    assert {it.key for it in forward.items if it.key.startswith("cell")} == {"cell1", "cell2"}
    assert _columns(unrolled.pictures(d)[0]) == [1, 2, 3]
    assert _columns(unrolled.pictures(d, steps=7)[0]) == [1, 2, 3]


def test_derive_steps_says_what_is_left_out_in_the_caption(nets):
    page = sb.render(nets["gru"].backward(), "text", steps=1, check=False)
    sentence = ("Only step 1 of 3 is drawn: steps 2 to 3 are left out (the same column again; every "
                "step's cost still joins the total).")
    assert " ".join(page.split()).count(sentence) == 2        # forward and reversed captions
    assert "Only step" not in sb.render(nets["gru"].backward(), "text", check=False)


@pytest.mark.parametrize("spec,steps,fmt,message", [
    ("lstm", "0", "latex", "error: steps: expected a whole number of steps from 1, got 0"),
    ("lecture", "2", "latex", ("error: --steps applies to a recurrent net (its unrolled pictures); "
                               "this graph has no time steps")),
    ("lstm", "2", "json", "error: --steps applies to the documents with pictures, not json"),
])
def test_derive_steps_bad_input_is_one_error_line(tmp_path, spec, steps, fmt, message):
    out = tmp_path / "out.txt"
    run = subprocess.run([sys.executable, "-m", "symbackprop", "derive", str(ROOT / "examples" / f"{spec}.toml"),
                          "--steps", steps, "--format", fmt, "-o", str(out)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert (run.returncode, run.stderr.strip(), out.exists()) == (2, message, False)


def test_an_answer_summing_over_masked_entries_is_refused_with_the_reason(nets):
    from symbackprop.errors import SymbackpropError
    with pytest.raises(SymbackpropError) as exc:
        check_answer(nets["attention_causal"], "V_{2,1}", r"\sum_{t=1}^{3} A_{t,2} " + D + "O_{t,1}}",
                     symbolic=False)
    assert ("unknown name 'A_{t,2}': A_{1,2} is masked: token 1 does not attend to token 2 (the causal "
            "mask keeps s ≤ t), so a sum over it ignores the mask") in str(exc.value)
    right = check_answer(nets["attention_causal"], "V_{2,1}", r"\sum_{t=2}^{3} A_{t,2} " + D + "O_{t,1}}",
                         symbolic=False)
    assert right.verdict == "equivalent"
    assert nets["attention"].absent("A", "1,2") is None       # no mask: every entry is a node
