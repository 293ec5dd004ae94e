"""Slides: ``derive --format beamer`` through pdflatex and lualatex (no error, no box over
1 pt too wide or too high, the lecture's overlays as many as its layers ask for), and
``--format slides`` in headless Chromium (no console error, nothing fetched, stepped with
the keyboard). Each deck is compiled once per module."""

import math
import re
import subprocess
from pathlib import Path

import pytest

import symbackprop as sb
from symbackprop.documents.decks import build
from conftest import require_tool
from test_render_tools import CHROMIUM, CHROMIUM_ARGS, compile_tex

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: Representative decks and the engines each is compiled with: the lecture (a layered net,
#: every section), a residual block (a graph on the animated circuit), the unrolled recurrent
#: net (a graph too wide for the circuit: its passes in formulas) and a wide ReLU net with
#: no values (compact pictures, frames continued).
COMPILED = [("lecture", "pdflatex"), ("lecture", "lualatex"), ("residual", "lualatex"), ("rnn", "pdflatex"),
            ("wide", "pdflatex")]
#: The most a box may stick out of a slide.
OVERFULL_PT = 1.0


def beamer(name: str) -> str:
    return sb.render(sb.load(EXAMPLES / f"{name}.toml").backward(), "beamer")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """{(example, engine): (log, pdf path)}, each deck compiled once."""
    out = {}
    for name, engine in COMPILED:
        require_tool(engine)
        directory = tmp_path_factory.mktemp(f"{name}-{engine}")
        log = compile_tex(engine, beamer(name), directory, name)
        out[name, engine] = (log, directory / f"{name}.pdf")
    return out


@pytest.mark.parametrize("name, engine", COMPILED, ids=["-".join(c) for c in COMPILED])
def test_deck_compiles_without_overfull_boxes(compiled, name, engine):
    log, _ = compiled[name, engine]
    boxes = [float(w) for w in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)", log)]
    assert [w for w in boxes if w > OVERFULL_PT] == [], (name, engine, boxes)


def _pages(pdf: Path) -> list:
    """The text of every page (what is uncovered on it)."""
    require_tool("pdftotext")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                          text=True).stdout
    return text.split("\f")[:-1]


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _lecture_activations():
    """The lecture's a^{(l)}_1, l = 1 … 3, computed here by hand from its spec."""
    W = [[[1, -2], [-1, 1]], [[2, -1], [-2, -1]], [[3, -1], [-1, 4]]]
    b = [[1, 0], [0, 0], [-2, 2]]
    a, out = [1, -1], []
    for Wl, bl in zip(W, b):
        a = [_sigmoid(sum(w * x for w, x in zip(row, a)) + bias) for row, bias in zip(Wl, bl)]
        out.append(a[0])
    return out


def test_lecture_overlays_follow_the_layers(compiled):
    """Forward pass: one overlay per layer and one for the cost, each layer's activations
    first visible on its own overlay; Case 2: the words, then one overlay per hidden layer;
    the reversed network: the cost's side, each layer from the output back, the inputs."""
    net = sb.load(EXAMPLES / "lecture.toml")
    L = net.L
    pages = _pages(compiled["lecture", "pdflatex"][1])
    assert len(pages) == build(net.backward(), "beamer").pages

    def titled(prefix):
        return [p for p in pages if p.strip().startswith(prefix)]
    forward = titled("The forward pass")
    assert len(forward) == L + 1
    for l, a in enumerate(_lecture_activations(), start=1):
        shown = ["%.6f" % a in p for p in forward]
        assert shown.index(True) == l - 1, (l, a, shown)     # first seen on its own overlay
    assert len(titled("Case 2: the hidden layers")) == 1 + (L - 1)
    assert len(titled("Case 1: the output layer")) == 3
    reversed_ = titled("The backward pass: the reversed network")
    assert len(reversed_) == L + 2
    assert [("Layer %d:" % l) in reversed_[-1] for l in range(1, L + 1)] == [True] * L
    assert "Layer 1:" not in reversed_[-3] and "Layer 2:" in reversed_[-3]
    assert len(titled("The chain rule split")) == 3


def test_a_graph_is_told_node_by_node_then_adjoint_by_adjoint(compiled):
    """The residual block on the circuit: a step for the leaves and one per defined node,
    then one per adjoint the sweep names."""
    d = sb.load(EXAMPLES / "residual.toml").backward()
    pages = _pages(compiled["residual", "lualatex"][1])
    assert len([p for p in pages if p.strip().startswith("The forward pass")]) == 1 + len(d.graph.defined) == 7
    assert len([p for p in pages if p.strip().startswith("The backward pass")]) == len(d.select("delta")) == 6


def test_decks_are_deterministic_and_refuse_what_they_do_not_show():
    for name in ("lecture", "circuit"):
        d = sb.load(EXAMPLES / f"{name}.toml").backward()
        for fmt in ("beamer", "slides"):
            assert sb.render(d, fmt) == sb.render(sb.load(EXAMPLES / f"{name}.toml").backward(), fmt)
    ids = re.findall(r'id="([^"]+)"', sb.render(sb.load(EXAMPLES / "residual.toml").backward(), "slides"))
    assert len(ids) == len(set(ids)) == 4       # each picture's arrow head its own (a hidden one draws nothing)
    d = sb.load(EXAMPLES / "lecture.toml").backward()
    with pytest.raises(sb.RenderError, match=r"--closed applies to the documents .*, not beamer"):
        sb.render(d, "beamer", closed=True)
    with pytest.raises(sb.RenderError, match=r"--fragment applies to latex, markdown, html, not slides"):
        sb.render(d, "slides", fragment=True)


HOSTILE = {"title": r"Evil ^^5c input{x} \def\a{} $x$ & % # <script>alert(1)</script>",
           "inputs": ["x", "y"], "define": ["f = x y"], "output": "f", "point": {"x": 2, "y": 3}}


def test_user_text_is_escaped_in_both(tmp_path):
    d = sb.load(HOSTILE).backward()
    tex = sb.render(d, "beamer")
    title = re.search(r"\\title\{(.*)\}", tex).group(1)
    assert "^^" not in tex and r"\def" not in tex and "<script>" not in title
    assert title == (r"Evil \^{}\^{}5c input\{x\} \textbackslash{}def\textbackslash{}a\{\} \$x\$ \& \% \# "
                     r"\textless{}script\textgreater{}alert(1)\textless{}/script\textgreater{}")
    html = sb.render(d, "slides")
    assert "<script>alert" not in html
    assert "<h1>Evil ^^5c input{x} \\def\\a{} $x$ &amp; % # &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    require_tool("pdflatex")
    compile_tex("pdflatex", tex, tmp_path, "hostile")


def test_cli_writes_both_formats(run_cli, capsys, tmp_path):
    from symbackprop.cli import main
    with pytest.raises(SystemExit):
        main(["derive", "--help"])
    assert "{latex,markdown,html,json,text,beamer,slides}" in capsys.readouterr().out
    for fmt, name in (("beamer", "deck.tex"), ("slides", "deck.html")):
        code, out, err = run_cli("derive", EXAMPLES / "circuit.toml", "--format", fmt, "-o", tmp_path / name)
        assert (code, out, err) == (0, "", "")
    assert (tmp_path / "deck.tex").read_text().startswith(r"\documentclass[aspectratio=169,11pt]{beamer}")
    assert (tmp_path / "deck.html").read_text().count('<section class="frame') == 5
    code, out, err = run_cli("derive", EXAMPLES / "circuit.toml", "--format", "slides", "--closed",
                             "-o", tmp_path / "no.html")
    assert code == 2 and err == "error: --closed applies to the documents (latex, markdown, html, json, text), not slides\n"
    assert not (tmp_path / "no.html").exists()


_VISIBLE = """() => { const f = document.querySelector('.frame.current');
  const at = Array.from(f.querySelectorAll('[data-at]')).filter(e => getComputedStyle(e).visibility !== 'hidden');
  return [f.querySelector('h2') ? f.querySelector('h2').textContent : '', at.length,
          f.scrollHeight <= f.clientHeight && f.scrollWidth <= f.clientWidth]; }"""


def test_html_slides_step_with_the_keyboard(tmp_path):
    """The lecture's and the circuit's slides at 1280×720 and 1200 px wide: no console
    error, nothing fetched, every step reached with the keys, nothing overflows a slide."""
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    files = {}
    for name in ("lecture", "circuit"):
        d = sb.load(EXAMPLES / f"{name}.toml").backward()
        files[name] = (tmp_path / f"{name}.html", build(d, "slides").pages)
        files[name][0].write_text(sb.render(d, "slides"), encoding="utf-8")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for (name, (target, pages)), size in zip(files.items(), ((1280, 720), (1200, 900))):
                page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                problems, requests = [], []
                page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("request", lambda r: requests.append(r.url))
                page.goto(target.as_uri())
                seen = [(page.inner_text("#counter"),) + tuple(page.evaluate(_VISIBLE))]
                for i in range(pages - 1):
                    page.keyboard.press(("ArrowRight", "PageDown", " ", "ArrowDown")[i % 4])
                    seen.append((page.inner_text("#counter"),) + tuple(page.evaluate(_VISIBLE)))
                assert [s[0] for s in seen] == ["%d / %d" % (i, pages) for i in range(1, pages + 1)]
                assert all(s[3] for s in seen), [s for s in seen if not s[3]]
                page.keyboard.press("ArrowRight")           # past the end: stays on the last
                assert page.inner_text("#counter") == "%d / %d" % (pages, pages)
                for key in ("ArrowLeft", "PageUp"):
                    page.keyboard.press(key)
                assert page.inner_text("#counter") == "%d / %d" % (pages - 2, pages)
                if name == "lecture":                       # a layer a step in the forward pass
                    forward = [s for s in seen if s[1] == "The forward pass"]
                    assert [s[2] for s in forward] == list(range(len(forward)))
                else:                                       # the circuit: one number more a step
                    backward = [s[2] for s in seen if s[1] == "The backward pass"]
                    assert backward == sorted(backward) and len(set(backward)) == len(backward)
                assert problems == [] and requests == [target.as_uri()], (problems, requests)
                page.close()
        finally:
            browser.close()
