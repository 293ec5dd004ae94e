"""An assignment's documents: sheets and keys in the real tools, and the numbers in every
file equal to `eval` of the student's variant."""

import json
import re
from pathlib import Path

import pytest
from conftest import EXAMPLES, require_tool
from test_render_tools import CHROMIUM, CHROMIUM_ARGS, compile_tex

import symbackprop as sb
from symbackprop.assignments.sheets import number_tex
from symbackprop.assignments.variants import key_number

HOMEWORK = EXAMPLES / "homework.toml"
STUDENTS = ["ada", "grace", "Émile O'Brien & <Co>"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from symbackprop.cli import main
    root = tmp_path_factory.mktemp("assign_documents")
    lines = ["student,group"] + [f'"{s}",g{i}' for i, s in enumerate(STUDENTS)]
    (root / "roster.csv").write_text("\n".join(lines) + "\n")
    assert main(["assign", str(HOMEWORK), "--roster", str(root / "roster.csv"), "-o", str(root / "out")]) == 0
    return root / "out"


@pytest.fixture(scope="module")
def evaluated(folder):
    """Per student: `eval --json` of the variant spec (the independent route)."""
    import contextlib
    import io

    from symbackprop.cli import main
    manifest = json.loads((folder / "manifest.json").read_text())
    out = {}
    for student, entry in manifest["students"].items():
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main(["eval", str(folder / entry["spec"]), "--json"]) == 0
        out[student] = json.loads(buffer.getvalue())
    return manifest, out


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_the_class_files_compile_one_student_a_page(folder, engine, tmp_path):
    require_tool(engine)
    log = compile_tex(engine, (folder / "sheets.tex").read_text(), tmp_path, "sheets")
    assert f"({len(STUDENTS)} pages" in log.replace("\n", "")
    assert "Overfull \\hbox" not in log
    log = compile_tex(engine, (folder / "keys.tex").read_text(), tmp_path, "keys")
    assert "Overfull \\hbox" not in log
    if engine == "pdflatex":
        compile_tex(engine, (folder / "sheets" / "ada.tex").read_text(), tmp_path, "ada")


def test_keys_and_sheets_hold_the_numbers_of_eval(folder, evaluated):
    manifest, values = evaluated
    for student, entry in manifest["students"].items():
        key_tex = (folder / entry["key"]).read_text()
        key_page = (folder / entry["key_html"]).read_text()
        sheet_tex = (folder / entry["sheet"]).read_text()
        sheet_page = (folder / entry["sheet_html"]).read_text()
        assert entry["code"] in sheet_tex and entry["code"] in sheet_page
        for q in manifest["questions"]:
            expected = key_number(values[student]["gradients"][q["wrt"]])
            assert f"= {expected}" in key_tex.replace("= -", "= -")
            assert expected.lstrip("-") in key_page
        net = sb.load(folder / entry["spec"])
        for sym, value in net.values.items():      # every number of the variant in the sheet's table
            assert f"${sym.name}$ & ${number_tex(value)}$" in sheet_tex
        # the picture: each weight on an edge, each bias (with its sign) below its neuron
        on_edges = re.findall(r"fill=white, inner sep=0.6pt\] at \([^)]*\) \{\$([^$]*)\$\}", sheet_tex)
        below = re.findall(r"font=\\footnotesize, inner sep=0pt\] at \([^)]*\) \{\$([^$]*)\$\}", sheet_tex)
        layers = [(l, j) for l in (1, 2) for j in range(1, net.sizes[l] + 1)]
        weights = [number_tex(net.values[net.w(l, j, k)]) for l, j in layers for k in range(1, net.sizes[l - 1] + 1)]
        biases = [number_tex(net.values[net.b(l, j)]) for l, j in layers]
        assert sorted(on_edges) == sorted(weights)
        assert sorted(below) == sorted(b if b.startswith("-") else "+" + b for b in biases)


def test_user_text_is_escaped_in_every_document(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = manifest["students"][STUDENTS[2]]
    assert entry["spec"].startswith("students/mile-O-Brien-Co-")
    sheet = (folder / entry["sheet"]).read_text()
    assert r"Emile O'Brien \& \textless{}Co\textgreater{}" in sheet
    page = (folder / entry["sheet_html"]).read_text()
    assert "Student: Émile O'Brien &amp; &lt;Co&gt;." in page
    assert entry["roster"] == {"group": "g2"}


def test_sheets_render_in_chromium(folder):
    if not Path(CHROMIUM).exists():
        require_tool("chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    manifest = json.loads((folder / "manifest.json").read_text())
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for entry in manifest["students"].values():
                for which in ("sheet_html", "key_html"):
                    page = browser.new_page()
                    problems = []
                    page.on("console", lambda m, seen=problems: seen.append(m.text) if m.type == "error" else None)
                    page.goto((folder / entry[which]).as_uri())
                    boxes = page.eval_on_selector_all(
                        "math, svg, div.room", "els => els.map(e => {const r = e.getBoundingClientRect();"
                        " return [e.tagName, r.width, r.height];})")
                    assert all(w > 0 and h > 0 for _, w, h in boxes)
                    kinds = [b[0].lower() for b in boxes]
                    if which == "sheet_html":
                        assert kinds.count("svg") == 1 and kinds.count("div") == len(manifest["questions"])
                    assert problems == []
                    page.close()
        finally:
            browser.close()


def _gradients(evaluated):
    manifest, values = evaluated
    return manifest, {s: v["gradients"] for s, v in values.items()}


def test_moodle_xml_parses_back_with_the_numbers_of_eval(folder, evaluated):
    import base64
    import xml.etree.ElementTree as ET
    manifest, gradients = _gradients(evaluated)
    quiz = ET.parse(folder / "moodle.xml").getroot()
    questions = quiz.findall("question")
    assert [q.get("type") for q in questions[:1]] == ["category"]
    assert questions[0].findtext("category/text") == "$course$/top/Homework 3: backpropagation"
    asked = manifest["questions"]
    assert len(questions) == 1 + len(STUDENTS) * (len(asked) + 1)
    by_name = {q.findtext("name/text"): q for q in questions[1:]}
    for student, entry in manifest["students"].items():
        _check_cloze(by_name[f"values {student} ({entry['code']})"], evaluated[1][student])
    for student, entry in manifest["students"].items():
        for q in asked:
            element = by_name[f"{q['id']} {student} ({entry['code']})"]
            value = gradients[student][q["wrt"]]
            assert element.findtext("defaultgrade") == str(q["points"])
            if q["kind"] == "number":
                assert element.get("type") == "numerical"
                assert element.findtext("answer/text") == key_number(value)
                tolerance = float(element.findtext("answer/tolerance"))
                assert abs(float(key_number(value)) - value) <= tolerance
                assert tolerance == q.get("tolerance", tolerance)
            else:
                assert element.get("type") == "essay"
                assert key_number(value) in element.findtext("generalfeedback/text")
                if q["id"] == "q1":
                    assert (f"q1: ∂C/∂w⁽²⁾₁₁ = a⁽¹⁾₁·δ⁽²⁾₁ = {key_number(value)}</li>"
                            in element.findtext("generalfeedback/text"))
            text = element.find("questiontext")
            picture = text.find("file")
            assert f'src="@@PLUGINFILE@@/{picture.get("name")}"' in text.findtext("text")
            svg = ET.fromstring(base64.b64decode(picture.text))
            assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    numerical = [q for q in questions if q.get("type") == "numerical"]
    q3 = [float(q.findtext("answer/tolerance")) for q in numerical if q.findtext("name/text").startswith("q3")]
    assert all(t < 1e-5 for t in q3)          # half a unit of the key's 4th digit


def _check_cloze(element, values):
    """The cloze table's fields: every z and a as `eval` gives them, every δ as the bias
    gradient ∂C/∂b (the same number by another route)."""
    assert element.get("type") == "cloze"
    fields = re.findall(r"<td>([^<]*)</td><td>\{1:NUMERICAL:=([^:}]+):([^}]+)\}</td>", element.findtext("questiontext/text"))
    shown = {name: float(key) for name, key, _ in fields}
    for l, layer in enumerate(values["layers"], start=1):
        for j, (z, a) in enumerate(zip(layer["z"], layer["a"]), start=1):
            sub = "₀₁₂₃₄₅₆₇₈₉"[j]
            up = "⁽" + "⁰¹²³⁴⁵⁶⁷⁸⁹"[l] + "⁾"
            assert shown[f"z{up}{sub}"] == float(key_number(z))
            assert shown[f"a{up}{sub}"] == float(key_number(a))
            assert shown[f"∂C/∂z{up}{sub}"] == float(key_number(values["gradients"][f"b^{{({l})}}_{{{j}}}"]))
    assert len(fields) == len(shown) == 3 * sum(len(layer["z"]) for layer in values["layers"]) + 1


def test_canvas_zip_opens_and_its_quizzes_hold_the_numbers_of_eval(folder, evaluated):
    import xml.etree.ElementTree as ET
    import zipfile
    manifest, gradients = _gradients(evaluated)
    qti = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
    with zipfile.ZipFile(folder / "canvas-qti.zip") as archive:
        names = set(archive.namelist())
        ims = ET.fromstring(archive.read("imsmanifest.xml"))
        cp = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
        hrefs = [f.get("href") for f in ims.iter(f"{cp}file")]
        assert hrefs and set(hrefs) <= names
        quizzes = [h for h in hrefs if h.count("/") == 1 and h.split("/")[0] + ".xml" == h.split("/")[1]]
        assert len(quizzes) == len(STUDENTS)
        seen = set()
        for path in quizzes:
            root = ET.fromstring(archive.read(path))
            title = root.find(f"{qti}assessment").get("title")
            student = next(s for s in manifest["students"] if f": {s} (" in title)
            seen.add(student)
            for item, q in zip(root.iter(f"{qti}item"), manifest["questions"]):
                fields = {f.findtext(f"{qti}fieldlabel"): f.findtext(f"{qti}fieldentry")
                          for f in item.iter(f"{qti}qtimetadatafield")}
                value = gradients[student][q["wrt"]]
                if q["kind"] == "number":
                    assert fields["question_type"] == "numerical_question"
                    low = float(item.find(f".//{qti}vargte").text)
                    high = float(item.find(f".//{qti}varlte").text)
                    assert low < value < high and low < float(key_number(value)) < high
                else:
                    assert fields["question_type"] == "essay_question"
                assert float(fields["points_possible"]) == q["points"]
        assert seen == set(STUDENTS)
