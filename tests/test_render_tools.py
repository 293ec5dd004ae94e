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


#: The most a line may stick out into the margin.
OVERFULL_PT = 20

GRAPH_EXAMPLES = [ROOT / "examples" / f"{n}.toml" for n in ("circuit", "sigmoid_neuron", "residual", "rnn",
                                                              "minibatch")]


def _overfull(log: str) -> list:
    return [float(v) for v in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_every_example_compiles_and_no_line_sticks_out(engine, tmp_path):
    """Every example's document: no error, no line over OVERFULL_PT too wide; the graph
    examples with their two pictures; the lecture's document stays 6 pages."""
    require_tool(engine)
    for path in EXAMPLES:
        net = sb.load(path)
        tex = sb.render(net.backward(), "latex")
        if path in GRAPH_EXAMPLES and net.kind != "layered":
            assert tex.count(r"\begin{tikzpicture}") == 2, path.stem
        log = compile_tex(engine, tex, tmp_path, path.stem)
        assert max(_overfull(log), default=0) <= OVERFULL_PT, (engine, path.stem, max(_overfull(log)))
        if path.stem == "lecture":
            assert int(re.search(r"Output written on .*?\((\d+) pages?", log).group(1)) == 6


def test_closed_forms_break_instead_of_running_off_the_page(tmp_path):
    require_tool("pdflatex")
    tex = sb.render(sb.load(ROOT / "examples" / "lecture.toml").backward(), "latex", closed=True)
    assert tex.count(r"&\quad \cdot") > 15     # (the longest are shown one step: CLOSED_LINES)
    log = compile_tex("pdflatex", tex, tmp_path, "closed")
    overfull = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\) detected at line", log)
    assert overfull == []


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_no_line_sticks_out_with_closed_forms(engine, tmp_path):
    """The documents with closed forms (``--closed``); without them, see
    :func:`test_every_example_compiles_and_no_line_sticks_out`."""
    require_tool(engine)
    pages = {}
    for path in EXAMPLES:
        name = path.stem + "_closed"
        log = compile_tex(engine, sb.render(sb.load(path).backward(), "latex", closed=True), tmp_path, name)
        assert max(_overfull(log), default=0) <= OVERFULL_PT, (name, max(_overfull(log)))
        pages[name] = int(re.search(r"Output written on .*?\((\d+) pages?", log).group(1))
    # the lecture's closed forms stay a few pages: those too long to help are shown one step
    assert pages["lecture_closed"] <= 12


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
        pages.append((target, sb.load(path).kind == "layered"))
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


_BOXES = """() => Array.from(document.querySelectorAll('svg.network')).map(svg => {
  const out = [];
  for (const t of svg.querySelectorAll('text')) {
    const b = t.getBBox(); out.push(['text', t.textContent, b.x, b.y, b.x + b.width, b.y + b.height]); }
  for (const n of svg.querySelectorAll('circle, polygon, rect')) {
    const b = n.getBBox(); out.push(['node', '', b.x, b.y, b.x + b.width, b.y + b.height]); }
  return out; })"""


def _overlaps(boxes):
    """Text boxes (as Chromium measures them) that meet another text or a node shape; the
    text inside a node (its centre within the shape) is the node's own."""
    texts = [b for b in boxes if b[0] == "text"]
    nodes = [b for b in boxes if b[0] == "node"]
    found = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:] + nodes:
            if a[2] < b[4] and b[2] < a[4] and a[3] < b[5] and b[3] < a[5]:
                cx, cy = (a[2] + a[4]) / 2, (a[3] + a[5]) / 2
                if b[0] == "node" and b[2] <= cx <= b[4] and b[3] <= cy <= b[5]:
                    continue
                found.append((a[1], b[1] or "node"))
    return found


def test_diagram_labels_measured_in_chromium_never_overlap(tmp_path):
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    from symbackprop.documents.pictures import diagram
    nets = {"2-2-2": sb.Network([2, 2, 2], activation="sigmoid", cost="mse"),
            "3-4-2": sb.Network([3, 4, 2], activation="tanh", cost="mse"),
            "4-6-6-3": sb.Network([4, 6, 6, 3], activation="relu", cost="mse"),
            "8-8-4": sb.Network([8, 8, 4], activation="sigmoid", cost="mse"),
            "softmax": sb.load(ROOT / "examples" / "softmax.toml"),
            "named": sb.load(ROOT / "examples" / "shared_bias.toml")}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, net in nets.items():
                target = tmp_path / f"{name}.html"
                target.write_text("<!DOCTYPE html><html><body>" + diagram.svg(diagram.forward(net), name)
                                  + diagram.svg(diagram.backward(net), name) + "</body></html>", encoding="utf-8")
                page = browser.new_page()
                page.goto(target.as_uri())
                drawings = page.evaluate(_BOXES)
                assert len(drawings) == 2
                for boxes in drawings:
                    assert sum(b[0] == "text" for b in boxes) > 10, name
                    assert _overlaps(boxes) == [], name
                page.close()
            # the measure finds an overlap when there is one
            assert _overlaps([["text", "a", 0, 0, 10, 10], ["text", "b", 5, 5, 15, 15]]) == [("a", "b")]
        finally:
            browser.close()


def test_html_displays_fit_without_a_scroll_box(tmp_path):
    """Long closed forms wrap within the page: no display is wider than its column, none
    scrolls or clips, at a laptop's width and at a narrow window's."""
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for stem in ("lecture", "softmax"):
                target = tmp_path / f"{stem}.html"
                target.write_text(sb.render(sb.load(ROOT / "examples" / f"{stem}.toml").backward(), "html",
                                            closed=True), encoding="utf-8")
                for width in (1000, 720):
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.goto(target.as_uri())
                    result = page.evaluate("""() => {
                      const maths = Array.from(document.querySelectorAll('math[display="block"]'));
                      return {count: maths.length,
                              overflow: maths.map(m => getComputedStyle(m).overflowX + getComputedStyle(m).overflowY),
                              wide: maths.filter(m => m.firstElementChild.getBoundingClientRect().width >
                                                      document.body.clientWidth).length,
                              page: document.documentElement.scrollWidth - document.documentElement.clientWidth};
                    }""")
                    assert result["count"] > 10
                    assert set(result["overflow"]) == {"visiblevisible"}, (stem, width)
                    assert result["wide"] == 0 and result["page"] == 0, (stem, width, result)
                    page.close()
        finally:
            browser.close()
