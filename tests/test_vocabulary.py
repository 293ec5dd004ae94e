"""One vocabulary: every kind of name a spec accepts (each Greek letter, an accent, super-
and subscripts, multi-letter subscripts) loads, reads in a ``define`` formula, prints in
every document format and reads back in an answer, in LaTeX and in the Unicode the text
format prints; ``code`` turns each into a Python identifier.

The spec is one graph over all the names, f = Σᵢ nᵢ·nᵢ₊₁ (cyclically), with nᵢ = i + 1:
so ∂f/∂nᵢ = nᵢ₋₁ + nᵢ₊₁, a sum of two other names, whose value the test knows.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from latex2mathml.converter import convert

import symbackprop as sb
from symbackprop.notation.greek import LETTERS

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

#: Every Greek letter, as LaTeX command and as the Unicode letter TeX sets for it.
GREEK = list(zip(
    r"\alpha \beta \gamma \delta \epsilon \varepsilon \zeta \eta \theta \vartheta \iota \kappa "
    r"\varkappa \lambda \mu \nu \xi \pi \varpi \rho \varrho \sigma \varsigma \tau \upsilon \phi "
    r"\varphi \chi \psi \omega \Gamma \Delta \Theta \Lambda \Xi \Pi \Sigma \Upsilon \Phi \Psi "
    r"\Omega".split(),
    "αβγδϵεζηθϑικϰλμνξπϖρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ"))
#: (name, its Unicode print form) for a name of each other kind. \sigma alone is the
#: sigmoid in a formula, so the letter stands here with a subscript (a σ₁ that is a leaf);
#: an accent prints as its combining mark after the letter.
OTHERS = [
    (r"\sigma_1", "σ₁"), (r"\kappa_1", "κ₁"), (r"\zeta_{2}", "ζ₂"), (r"\Gamma_1", "Γ₁"),
    (r"\hat{y}", "y\u0302"), (r"\bar{x}", "x\u0304"), (r"\tilde{u}", "u\u0303"), (r"\vec{v}", "v\u20d7"),
    (r"\breve{s}_{2}", "s\u0306₂"), ("x_1", "x₁"), ("w^{(2)}_{11}", "w⁽²⁾₁₁"), ("w_z", "w_z"),
    ("h_{10}", "h₁₀"), ("z_{o_1}", "zₒ₁"), ("u_r", "uᵣ"), ("v_{t}", "vₜ"), ("q_{n}", "qₙ"),
    ("b^{(1)}_{2}", "b⁽¹⁾₂"), ("g^{(3)}", "g⁽³⁾"),
]
NAMES = [pair for pair in GREEK if pair[0] != r"\sigma"] + OTHERS
N = len(NAMES)
#: A few names and the identifier ``code`` gives them (lambda is a keyword).
IDENTIFIERS = {r"\alpha": "alpha", r"\lambda": "lambda_2", r"\Gamma": "Gamma", "w^{(2)}_{11}": "w_2_11",
               "z_{o_1}": "z_o_1", "h_{10}": "h_10", r"\hat{y}": "hat_y", r"\breve{s}_{2}": "breve_s_2", "g^{(3)}": "g_3"}


def value(i: int) -> int:
    return i % N + 1


def gradient(i: int) -> int:
    """∂f/∂nᵢ of f = Σᵢ nᵢ·nᵢ₊₁."""
    return value(i - 1) + value(i + 1)


def test_the_names_cover_every_greek_letter():
    assert dict(GREEK) == LETTERS


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    names = [name for name, _ in NAMES]
    terms = " + ".join(f"{names[i]} {names[(i + 1) % N]}" for i in range(N))
    lines = ["inputs = [%s]" % ", ".join(json.dumps(n) for n in names),
             "define = [%s]" % json.dumps("f = " + terms), "", "[point]"]
    lines += [f"{json.dumps(n)} = {value(i)}" for i, n in enumerate(names)]
    path = tmp_path_factory.mktemp("vocabulary") / "names.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def net(spec):
    return sb.load(spec)


@pytest.fixture(scope="module")
def derivation(net):
    return net.backward()


def test_the_spec_loads_and_its_formula_reads_every_name(net, derivation):
    assert [str(s) for s in net.inputs] == [name for name, _ in NAMES]
    values = derivation.evaluate()
    assert values.cost == sum(value(i) * value(i + 1) for i in range(N))
    assert [values.gradients[name] for name, _ in NAMES] == [gradient(i) for i in range(N)]


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_latex_and_markdown_write_each_name_as_given(derivation, fmt):
    doc = sb.render(derivation, fmt)
    for i, (name, _) in enumerate(NAMES):
        assert r"\frac{\partial f}{\partial %s} &= " % name in doc, name


def test_html_writes_each_name_as_mathml(derivation):
    doc = sb.render(derivation, "html")
    for name, _ in NAMES:
        mathml = convert(r"\frac{\partial f}{\partial %s}" % name)
        inner = re.fullmatch(r"<math[^>]*><mrow>(.*)</mrow></math>", mathml).group(1)
        assert inner in doc, name


def test_json_keys_each_formula_by_its_name(derivation):
    formulas = {f["of"]: f for f in json.loads(sb.render(derivation, "json"))["formulas"]}
    for i, (name, _) in enumerate(NAMES):
        assert formulas[name]["symbol"] == r"\frac{\partial f}{\partial %s}" % name
        assert formulas[name]["value"] == gradient(i)


def test_text_writes_each_name_in_unicode(derivation):
    doc = sb.render(derivation, "text")
    for i, (_, shown) in enumerate(NAMES):
        before, after = NAMES[i - 1][1], NAMES[(i + 1) % N][1]
        assert any(f"  ∂f/∂{shown} = {a} + {b} = {gradient(i)}\n" in doc
                   for a, b in ((before, after), (after, before))), shown


@pytest.mark.parametrize("form", [0, 1], ids=["latex", "unicode"])
def test_an_answer_reads_each_name_back(net, form):
    """The answer for ∂f/∂nᵢ₊₁ is nᵢ + nᵢ₊₂: each name is read once, written as LaTeX or
    as the text format prints it."""
    wrong = []
    for i in range(N):
        wrt = NAMES[(i + 1) % N][0]
        answer = f"{NAMES[i][form]} + {NAMES[(i + 2) % N][form]}"
        verdict = sb.check_answer(net, wrt, answer).verdict
        if verdict != "equivalent":
            wrong.append((answer, verdict))
    assert wrong == []


def test_check_reads_a_name_from_the_command_line(spec):
    for answer in (r"\sigma_1 + \zeta_{2}", "σ₁ + ζ₂"):       # its two neighbours
        run = subprocess.run([sys.executable, "-m", "symbackprop", "check", str(spec), "--wrt", r"\kappa_1",
                              "--answer", answer], capture_output=True, text=True, env=ENV)
        assert (run.returncode, run.stderr) == (0, "")
        assert run.stdout.startswith(r"\kappa_1: equivalent"), run.stdout


def test_code_gives_each_name_an_identifier_and_runs(spec, tmp_path):
    module = tmp_path / "names.py"
    subprocess.run([sys.executable, "-m", "symbackprop", "code", str(spec), "-o", str(module)],
                   check=True, env=ENV)
    source = module.read_text(encoding="utf-8")
    listed = dict(line[4:].split(": ", 1)[::-1] for line in source.splitlines()
                  if line.startswith("#   ") and ": " in line)
    identifiers = [listed[name] for name, _ in NAMES]
    assert all(ident.isidentifier() for ident in identifiers)
    assert len(set(identifiers)) == N
    assert {name: listed[name] for name in IDENTIFIERS} == IDENTIFIERS
    run = subprocess.run([sys.executable, str(module)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert [result["gradients"][name] for name, _ in NAMES] == [gradient(i) for i in range(N)]


def test_the_reader_reads_what_the_documents_write_and_notes_type():
    """A recurrent document's h⁽ᵗ⁾, and ŷ typed as one character: every position maps back
    to what was typed."""
    from symbackprop.reading.lexer import prepare
    assert prepare("∂C/∂h⁽ᵗ⁾") == ("∂C/∂h^{(t)}", [0, 1, 2, 3, 4, 5, 5, 5, 6, 7, 7, 8])
    assert prepare("\u0177_1 + x\u0304") == (r"\hat{y}_1 + \bar{x}",
                                             [0] * 7 + [1, 2, 3, 4, 5] + [6] * 6 + [7, 8])
    assert prepare("1\u0302")[0] == "1\u0302"       # a mark on no letter is left to the tokenizer
