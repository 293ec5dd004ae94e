"""Documents in the real tools: every example's LaTeX through pdflatex and lualatex, every
example's HTML in headless Chromium. Missing tools skip locally and fail in CI."""

import re
import subprocess
from pathlib import Path

import pytest

import symbackprop as sb

from conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".toml", ".json"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def compile_tex(engine: str, tex: str, directory: Path, name: str) -> str:
    source = directory / f"{name}.tex"
    source.write_text(tex, encoding="utf-8")
    result = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", source.name],
                            cwd=directory, capture_output=True, timeout=120)
    log = (directory / f"{name}.log").read_text(encoding="latin-1")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert result.returncode == 0 and not errors, f"{engine} {name}: {errors or log[-2000:]}"
    assert (directory / f"{name}.pdf").stat().st_size > 10_000
    return log


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_every_example_compiles(engine, tmp_path):
    require_tool(engine)
    for path in EXAMPLES:
        tex = sb.render(sb.load(path).backward(), "latex")
        compile_tex(engine, tex, tmp_path, path.stem)


GRAPH_EXAMPLES = [ROOT / "examples" / f"{n}.toml" for n in ("circuit", "sigmoid_neuron", "residual", "rnn",
                                                              "minibatch")]


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_graph_examples_compile_without_overfull_lines(engine, tmp_path):
    """The graph examples with their two pictures: no error, no line over 20 pt too wide."""
    require_tool(engine)
    for path in GRAPH_EXAMPLES:
        tex = sb.render(sb.load(path).backward(), "latex")
        if not sb.load(path).layered:
            assert tex.count(r"\begin{tikzpicture}") == 2, path.stem
        log = compile_tex(engine, tex, tmp_path, path.stem)
        overfull = [float(w) for w in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]
        assert [w for w in overfull if w > 20] == [], (engine, path.stem, overfull)


def test_closed_forms_break_instead_of_running_off_the_page(tmp_path):
    require_tool("pdflatex")
    tex = sb.render(sb.load(ROOT / "examples" / "lecture.toml").backward(), "latex", closed=True)
    assert tex.count(r"&\quad \cdot") > 50
    log = compile_tex("pdflatex", tex, tmp_path, "closed")
    overfull = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) detected at line", log)
    assert overfull == []


def test_fragment_compiles_inside_existing_notes(tmp_path):
    require_tool("pdflatex")
    body = sb.render(sb.load(ROOT / "examples" / "shared_bias.toml").backward(), "latex", fragment=True)
    notes = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,array,booktabs,longtable,tikz}\n"
             "\\usetikzlibrary{shapes.geometric}\n\\begin{document}\nMy notes.\n\n" + body
             + "\\end{document}\n")
    compile_tex("pdflatex", notes, tmp_path, "notes")


def test_every_example_renders_in_chromium(tmp_path):
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    pages = []
    for path in EXAMPLES:
        target = tmp_path / f"{path.stem}.html"
        target.write_text(sb.render(sb.load(path).backward(), "html"), encoding="utf-8")
        pages.append((target, sb.load(path).layered))
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for target, layered in pages:
                page = browser.new_page()
                problems, requests = [], []
                page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("request", lambda r: requests.append(r.url))
                page.goto(target.as_uri())
                boxes = page.eval_on_selector_all(
                    "math, svg", "els => els.map(e => {const r = e.getBoundingClientRect();"
                                 " return [e.tagName, r.width, r.height];})")
                maths = [b for b in boxes if b[0].lower() == "math"]
                svgs = [b for b in boxes if b[0].lower() == "svg"]
                assert len(maths) > (50 if layered else 10), target.name
                assert all(w > 0 and h > 0 for _, w, h in maths), target.name
                # the two diagrams: forward and reversed (a network's or a graph's)
                assert len(svgs) == 2, target.name
                assert all(w > 100 and h > 100 for _, w, h in svgs), target.name
                # MathML laid out as math: a displayed fraction stacks numerator over denominator
                heights = page.eval_on_selector_all(
                    'math[display="block"] mfrac', "els => els.map(e => e.getBoundingClientRect().height)")
                assert heights and max(heights) > 30, target.name
                assert problems == [], target.name
                assert requests == [target.as_uri()], target.name
                page.close()
        finally:
            browser.close()
