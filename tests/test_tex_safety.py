"""TeX, Markdown and HTML injection: names are a whitelist (no ``^^`` character codes, no
commands but Greek letters and accents, ASCII only, typesettable), checked for specs and
for Python builders alike; prose is normalised (NFKC) before it is escaped, so that
full-width ``＼`` or ``｛`` cannot come through raw; Markdown's own syntax is escaped."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2mathml.converter import convert

import symbackprop as sb
from symbackprop.documents.formats import latex, markdown
from symbackprop.errors import SpecError
from symbackprop.notation.naming import COMMANDS, check_name
from symbackprop.notation.printing import latex as print_latex

from conftest import require_tool

HINT = "is not a valid symbol name (letters, digits, _ ^ { } ( ) [ ] , ' and LaTeX commands; no spaces)"
ONLY = ("a name may use only Greek letters and \\bar, \\boldsymbol, \\breve, \\check, \\ddot, \\dot, \\ell, "
        "\\hat, \\mathbb, \\mathbf, \\mathcal, \\mathit, \\mathrm, \\mathsf, \\overline, \\prime, \\tilde, "
        "\\vec, \\widehat, \\widetilde")
CARETS = "^^ is TeX's character-code escape"

#: (name, what check_name says after "<where>: ")
HOSTILE = [
    pytest.param("x^^5cinput^^7b^^2fetc^^2fpasswd^^7d",
                 f"'x^^5cinput^^7b^^2fetc^^2fpasswd^^7d' {HINT}: {CARETS}", id="carets-input"),
    pytest.param("^^5cimmediate^^5copenout", f"'^^5cimmediate^^5copenout' {HINT}: {CARETS}", id="carets-openout"),
    pytest.param("^^5cwrite18", f"'^^5cwrite18' {HINT}: {CARETS}", id="carets-write18"),
    pytest.param("x^^25", f"'x^^25' {HINT}: {CARETS}", id="carets-percent"),
    pytest.param("x^^24", f"'x^^24' {HINT}: {CARETS}", id="carets-dollar"),
    pytest.param("x^^26", f"'x^^26' {HINT}: {CARETS}", id="carets-ampersand"),
    pytest.param("x^^23", f"'x^^23' {HINT}: {CARETS}", id="carets-hash"),
    pytest.param("x^^", f"'x^^' {HINT}: {CARETS}", id="carets-at-the-end"),
    pytest.param(r"\input{/etc/passwd}", r"'\input{/etc/passwd}' uses \input; " + ONLY, id="input"),
    pytest.param(r"x\immediate\write18{id}", r"'x\immediate\write18{id}' uses \immediate; " + ONLY, id="write18"),
    pytest.param("x\\", f"'x\\' uses a backslash not followed by a letter; {ONLY}", id="lone-backslash"),
    pytest.param("x＼input", f"'x＼input' {HINT}: the non-ASCII character '＼' (U+FF3C) is not allowed",
                 id="full-width-backslash"),
    pytest.param("ŷ_1", f"'ŷ_1' {HINT}: the non-ASCII character 'ŷ' (U+0177) is not allowed", id="non-ascii"),
    pytest.param("x\u202e1", f"'x\\u202e1' {HINT}: a non-printing character (U+202E) is not allowed", id="bidi"),
    pytest.param("x\n", f"'x\\n' {HINT}: a non-printing character (U+000A) is not allowed", id="newline"),
    pytest.param("x%", f"'x%' {HINT}: '%' is not allowed", id="percent"),
    pytest.param("x#1", f"'x#1' {HINT}: '#' is not allowed", id="hash"),
    pytest.param("x$", f"'x$' {HINT}: '$' is not allowed", id="dollar"),
    pytest.param("x&y", f"'x&y' {HINT}: '&' is not allowed", id="ampersand"),
    pytest.param("x~", f"'x~' {HINT}: '~' is not allowed", id="tilde"),
]

#: Names that pass the character whitelist but that LaTeX or latex2mathml cannot set: (name, why).
_UNRENDERABLE = [
    pytest.param("x^", "'^' at position 2 needs a letter, a digit, a Greek letter or a {group} after it", id="x^"),
    pytest.param("a__b", "'_' at position 2 needs a letter, a digit, a Greek letter or a {group} after it",
                 id="a__b"),
    pytest.param("x_{}", "an empty {} at position 3", id="empty-group"),
    pytest.param("x^2'", "a second superscript at position 4 (TeX's double superscript; primes count as one)",
                 id="power-then-prime"),
    pytest.param("x'_1^2", "a second superscript at position 5 (TeX's double superscript; primes count as one)",
                 id="prime-sub-power"),
    pytest.param("x_1_2", "a second subscript at position 4 (TeX's double subscript)", id="double-subscript"),
    pytest.param(r"\hat", r"\hat at position 1 needs a digit, a Greek letter or a {group} after it", id="bare-accent"),
    pytest.param(r"x^\hat{a}", "'^' at position 2 needs a letter, a digit, a Greek letter or a {group} after it",
                 id="accent-as-script"),
    pytest.param("_1", "it must start with a letter or a command", id="leading-underscore"),
    pytest.param("x^{'}", "\"'\" at position 4 has no symbol before it", id="lone-prime"),
]
UNRENDERABLE = [pytest.param(p.values[0], f"'{p.values[0]}' {HINT}: {p.values[1]}", id=p.id) for p in _UNRENDERABLE]

#: Valid names that are as awkward as the grammar allows; each must typeset everywhere.
AWKWARD = ["x'", "x''", "x'^2_1", "x_1'", "z]1'_x", "a1]''", r"\hat1", r"\vec\alpha_{1,2}", "w^{(1)}_{1,10}",
           r"\mathrm{b}^{\prime}", "w^{,}", "h(2)", "t.", "y^{[1]}", r"\hat{x}_{(1)}", r"\boldsymbol{w}_{1}",
           r"\mathbb{R}_1", r"\ell_{\varkappa}", "q^{a^{b_c}}"]

TITLE = "＼input｛/etc/passwd｝ ﹨ ﹪＃＄＆ ½ ^^5cinput"
ESCAPED_TITLE = (r"\textbackslash{}input\{/etc/passwd\} \textbackslash{} \%\#\$\& 1/2 "
                 r"\^{}\^{}5cinput")


def spec_with(name: str) -> dict:
    return {"inputs": [name, "x_2"], "layers": [{"units": 1}]}


# --- (a) hostile names are refused, from a spec and from Python -----------------------

@pytest.mark.parametrize("name, message", HOSTILE + UNRENDERABLE)
def test_hostile_name_is_refused_by_the_spec_loader(name, message):
    with pytest.raises(SpecError) as info:
        sb.load(spec_with(name))
    assert str(info.value) == f"spec: inputs[1]: {message}"


@pytest.mark.parametrize("name, message", HOSTILE)
def test_hostile_name_is_one_error_line_from_the_cli(name, message, tmp_path, run_cli):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"inputs": 1, "layers": [{"units": 1, "neuron_names": [name]}]}), encoding="utf-8")
    code, out, err = run_cli("derive", path)
    assert (code, out) == (2, "")
    assert err == f"error: {path}: layers[1].neuron_names[1]: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.json"]


@pytest.mark.parametrize("name, message", HOSTILE)
def test_hostile_name_is_refused_by_the_python_builder(name, message):
    with pytest.raises(SpecError) as info:
        sb.Network([2, 2, 2], inputs=[name, "x_2"])
    assert str(info.value) == f"inputs[1]: {message}"
    with pytest.raises(SpecError) as info:
        sb.Network([2, 2, 2], targets=["t_1", name])
    assert str(info.value) == f"targets[2]: {message}"
    with pytest.raises(SpecError) as info:
        sb.Network([2, 2, 2], names={2: {"weights": [["a", "b"], ["c", name]]}})
    assert str(info.value) == f"names[2].weights[2][2]: {message}"
    with pytest.raises(SpecError) as info:
        sb.Network([2, 2, 2], names={1: {"biases": [name, "b"]}})
    assert str(info.value) == f"names[1].biases[1]: {message}"
    with pytest.raises(SpecError) as info:
        sb.Network([2, 2, 2], names={1: {"neurons": ["h", name]}})
    assert str(info.value) == f"names[1].neurons[2]: {message}"


def test_the_reported_attack_on_the_python_builder():
    with pytest.raises(SpecError) as info:
        sb.Network([2, 2, 2], inputs=[r"\input{/etc/passwd}", "x_2"])
    assert str(info.value) == r"inputs[1]: '\input{/etc/passwd}' uses \input; " + ONLY
    assert "\n" not in str(info.value)


def test_python_builder_names_must_have_the_network_shape():
    with pytest.raises(SpecError, match=r"^inputs: expected a list of 2 names, got 'ab'$"):
        sb.Network([2, 1], inputs="ab")
    with pytest.raises(SpecError, match=r"^names: 3 is not a layer number \(1 … 2\)$"):
        sb.Network([2, 2, 1], names={3: {"biases": ["b"]}})
    with pytest.raises(SpecError, match=r"^names\[1\].weights: expected 2 rows \(one per unit\) of 2 names$"):
        sb.Network([2, 2, 1], names={1: {"weights": [["a", "b"]]}})
    with pytest.raises(SpecError, match=r"^names\[1\].weights\[2\]: expected 2 names, got 1$"):
        sb.Network([2, 2, 1], names={1: {"weights": [["a", "b"], ["c"]]}})
    net = sb.Network([2, 2, 1], inputs=["i_1", "i_2"], names={1: {"neurons": ["h_1", "h_2"]}})
    assert [s.name for s in net.inputs] == ["i_1", "i_2"] and net.a(1, 2).name == "h_2"


@pytest.mark.parametrize("name", ["w^{(2)}_{11}", r"\hat{y}_1", "net_{h1}", "w^{[2]}_{12}", "x_{1}", "i_1",
                                  r"\delta^{(1)}_{1}", "w^{(1)}_{1,10}", "z''", r"\mathrm{w}^{(2)}_{12}"] + AWKWARD)
def test_ordinary_and_awkward_names_are_valid(name):
    assert check_name(name, "test") == name


def test_awkward_names_typeset_in_pdflatex_and_mathml(tmp_path):
    """Each valid name as a symbol, squared, under ∂, and as a neuron's z and δ subscript."""
    uses = []
    for name in AWKWARD:
        symbol = sympy.Symbol(name)
        uses += [name, print_latex(symbol ** 2), print_latex(symbol * sympy.Symbol("a")),
                 r"\frac{\partial C}{\partial %s}" % name, "z_{%s}" % name, r"\delta_{%s}" % name]
    for tex in uses:
        convert(tex)                               # latex2mathml raises on what it cannot set
    require_tool("pdflatex")
    body = "\n".join("$%s$\\par" % tex for tex in uses)
    (tmp_path / "names.tex").write_text("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}\n"
                                        + body + "\n\\end{document}\n", encoding="utf-8")
    result = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                             "names.tex"], cwd=tmp_path, capture_output=True, timeout=120)
    log = (tmp_path / "names.log").read_text(encoding="latin-1")
    assert result.returncode == 0 and not [line for line in log.splitlines() if line.startswith("!")]


# --- (b) a hostile title and hostile-but-valid names compile, and read no file ---------

def hostile_spec() -> dict:
    return {"title": TITLE, "inputs": ["x'", r"\hat{x}_{(1)}"], "targets": ["y^{[1]}", "t."],
            "layers": [{"units": 2, "neuron_names": ["h]", "h(2)"],
                        "weight_names": [["w'_1", "w^{,}"], [r"\vec\alpha_{1,2}", "w.2"]],
                        "bias_names": ["b'", r"\mathrm{b}^{\prime}"], "W": [[1, -1], [2, 0]], "b": [0, 1]},
                       {"units": 2, "W": [[1, 2], [3, 4]], "b": [0, 1]}],
            "point": {"x": [1, 2], "y": [0, 1]}}


def test_hostile_title_and_names_compile_without_reading_or_writing_files(tmp_path, run_cli):
    require_tool("pdflatex")
    require_tool("pdftotext")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(hostile_spec()), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    code, out, err = run_cli("derive", spec, "-o", work / "doc.tex")
    assert (code, out, err) == (0, "", "")
    tex = (work / "doc.tex").read_text(encoding="utf-8")
    assert "\\title{%s}" % ESCAPED_TITLE in tex.splitlines()
    assert "^^" not in tex and tex.isascii()
    # fonts METAFONT makes for \$ go to a TEXMFVAR of our own, never into the working directory
    env = {**os.environ, "TEXMFVAR": str(tmp_path / "texmf-var")}
    result = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                             "doc.tex"], cwd=work, capture_output=True, timeout=120, env=env)
    log = (work / "doc.log").read_text(encoding="latin-1")
    assert result.returncode == 0 and not [line for line in log.splitlines() if line.startswith("!")]
    assert sorted(p.name for p in work.iterdir()) == ["doc.aux", "doc.log", "doc.pdf", "doc.tex"]
    assert "/etc/passwd)" not in log and "(/etc/passwd" not in log
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "doc.pdf", "-"], cwd=work, capture_output=True,
                          timeout=60, check=True).stdout.decode("utf-8")
    assert "root:x:0:0" not in text
    passwd = Path("/etc/passwd")
    if passwd.exists():
        lines = [line for line in passwd.read_text(errors="replace").splitlines() if len(line) >= 8]
        assert not [line for line in lines if line in text]
    assert text.splitlines()[0] == "\\input{/etc/passwd} \\ %#$& 1/2 ˆˆ5cinput"


# --- (c) the escaped title -------------------------------------------------------------

def test_title_is_normalised_before_it_is_escaped():
    assert latex.escape(TITLE) == ESCAPED_TITLE


@pytest.mark.parametrize("text, tex", [
    pytest.param("½ and 1½ and ¾", "1/2 and 1 1/2 and 3/4", id="fractions"),
    pytest.param("＼｛｝﹨＾＿～", r"\textbackslash{}\{\}\textbackslash{}\^{}\_\~{}", id="full-width-specials"),
    pytest.param("≮ x²", r"\textless{} x2", id="decomposes-to-a-special"),
    pytest.param("a\nb\tc\x00d\x7fe\u202ef", "a b c?d?e?f", id="control-characters"),
    pytest.param("a\u00a0b… café e\u0301", r"a~b\dots{} cafe e", id="typography-and-accents"),
    pytest.param("50% of x_1 & café — ∑", r"50\% of x\_1 \& cafe --- ?", id="the-old-example"),
])
def test_prose_escapes(text, tex):
    assert latex.escape(text) == tex


# --- (d) Markdown and HTML ------------------------------------------------------------------

@pytest.mark.parametrize("text, md", [
    pytest.param("![t](http://x/y.png)", r"!\[t\](http://x/y.png)", id="image"),
    pytest.param("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;", id="html"),
    pytest.param("[a](javascript:x) [b]: http://x", r"\[a\](javascript:x) \[b\]: http://x", id="links"),
    pytest.param(r"*a* _b_ `c` $d$ ~e~ |f| #g +h ^i {j} \k &amp;",
                 r"\*a\* \_b\_ \`c\` \$d\$ \~e\~ \|f\| \#g \+h \^i \{j\} \\k &amp;amp;", id="inline-syntax"),
    pytest.param("1. item", r"1\. item", id="ordered-list"),
    pytest.param("- item", r"\- item", id="bullet"),
    pytest.param("x\n# y\r\n<z>", r"x \# y  &lt;z&gt;", id="one-line"),
])
def test_markdown_escapes_its_own_syntax(text, md):
    assert markdown.escape(text) == md


def test_titles_in_markdown_and_html_are_text():
    net = sb.load({"title": "![t](http://x/y.png) <img src=x>", "inputs": 1, "layers": [{"units": 1}]})
    d = net.backward()
    md = sb.render(d, "markdown")
    assert md.splitlines()[0] == r"# !\[t\](http://x/y.png) &lt;img src=x&gt;"
    page = sb.render(d, "html")
    assert "<title>![t](http://x/y.png) &lt;img src=x&gt;</title>" in page
    assert "<h1>![t](http://x/y.png) &lt;img src=x&gt;</h1>" in page
    assert "<img" not in page


# --- (e) properties ----------------------------------------------------------------------------

SPECIALS = set("\\{}^%#$&~_")
_TOKENS = sorted(latex.ESCAPES, key=len, reverse=True)
HOSTILE_CHARS = list("\\{}^%#$&~_<>|") + list("＼｛｝﹨﹪＃＄＆～＾＿﹛﹜½¼\u2044\u00a0\n\x00\x7f\u202e≮é́")


def residue(tex: str) -> str:
    """What is left of escaped prose once every output of the escaper is taken away."""
    rest, i = [], 0
    while i < len(tex):
        for token in _TOKENS:
            if tex.startswith(token, i):
                i += len(token)
                break
        else:
            rest.append(tex[i])
            i += 1
    return "".join(rest)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(HOSTILE_CHARS + list("ab ^")))))
def test_escaped_prose_never_reaches_tex_as_syntax(text):
    tex = latex.escape(text)
    assert tex.isascii() and all(" " <= ch <= "~" for ch in tex)
    assert "^^" not in tex
    assert not SPECIALS & set(residue(tex))
    # a bare ~ (a tie) only ever stands for a no-break space
    assert tex.count("~") - tex.count(r"\~{}") == text.count("\u00a0")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(HOSTILE_CHARS + list("ab ^[]()!*`")))))
def test_escaped_markdown_is_one_line_of_text(text):
    md = markdown.escape(text)
    assert "\n" not in md and "\r" not in md and "<" not in md and ">" not in md
    unescaped = re.sub(r"\\[\\`*_{}\[\]#+|$~^.\-=)]|&(amp|lt|gt);", "", md)
    assert not set(unescaped) & set("\\`*_{}[]#+|$~^&")


NAME_PIECES = (list("xyw01_^{}()[],'.") + ["\\" + c for c in sorted(COMMANDS)]
               + ["^^", "^^5c", "\\input", "\\", "%", "#", "$", "&", "~", " ", "é", "＼", "\n", "/", ":"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=12),
                 st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=10).map("".join)))
def test_a_name_is_refused_or_whitelisted_and_typesettable(name):
    try:
        check_name(name, "name")
    except SpecError as exc:
        assert str(exc).startswith("name: ") and "\n" not in str(exc)
        return
    assert "^^" not in name and name.isascii() and len(name) <= 64
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_^{}()[],'.\\")
    assert set(re.findall(r"\\([A-Za-z]*)", name)) <= COMMANDS
    for tex in (name, print_latex(sympy.Symbol(name) ** 2), r"\frac{\partial C}{\partial %s}" % name):
        convert(tex)
