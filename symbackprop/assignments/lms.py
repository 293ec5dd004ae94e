"""An assignment as question files for a learning management system.

**Moodle XML** (``moodle.xml``; Moodle's "Moodle XML format" import): one category per
assignment (``$course$/top/<title>``); per student and question, a ``numerical``
question (the key to :data:`variants.KEY_DIGITS` digits; ``<tolerance>`` absolute: the
question's tolerance, else half a unit of the key's last digit) or an ``essay`` question
(the worked key in ``<generalfeedback>`` and ``<graderinfo>``); and per student a
``cloze`` question, the table of every forward value and every adjoint as numerical
fields (``{1:NUMERICAL:=value:tolerance}``). Each question's text
has the student's network drawn as an SVG file embedded in base64 and shown with
``@@PLUGINFILE@@``, and the table of the student's numbers.

**Canvas** (``canvas-qti.zip``; QTI 1.2 as Canvas Classic Quizzes import it): one quiz
(an ``assessment``) per student, listed in ``imsmanifest.xml`` with its
``assessment_meta.xml``; a number question is a ``numerical_question`` whose answer
is the range key ± margin (``vargte``/``varlte``), a formula question an
``essay_question`` with the key as its general feedback. The picture is a web resource
(``$IMS-CC-FILEBASE$``).

Every file is written with :mod:`xml.etree.ElementTree`, which escapes all text; the
zip's entries carry a fixed date, so the same assignment gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import xml.etree.ElementTree as ET
import zipfile

from ..notation.printing import unicode_name
from .variants import KEY_DIGITS, key_number

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def margin(question, value: float) -> float:
    """The absolute width a number answer is right within: the question's tolerance,
    else half a unit of the key's last significant digit."""
    if question is not None and question.tolerance is not None:
        return question.tolerance.width(value)
    if value == 0:
        return 0.5 * 10 ** -KEY_DIGITS
    return 0.5 * 10 ** (math.floor(math.log10(abs(value))) - (KEY_DIGITS - 1))


def _number(value: float) -> str:
    return f"{value:.12g}"


def _ident(*parts) -> str:
    return "i" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class Item:
    """One student's question, with everything the two formats need."""

    def __init__(self, assignment, student, question):
        from . import sheets
        from .checks import right_value, target_of
        net = assignment.nets[student]
        self.student, self.question = student, question
        self.code = assignment.variants[student].code
        self.value = right_value(net, question)
        self.key = key_number(self.value)
        self.margin = margin(question, self.value)
        target = target_of(net, question)[1]
        self.asked = f"∂{unicode_name(net.cost_symbol.name)}/∂{unicode_name(target.node.name)}"
        if question.closed:
            from ..notation.printing import text
            self.formula = f"{self.asked} = {text(net.backward().gradient(target.node.name).closed)}"
        else:
            self.formula = target.formula_text          # ∂C/∂w = … in the adjoints
        self.prompt = "".join(p.text if hasattr(p, "text") else p for p in sheets.question_text(question, net))
        self.table = "".join(f"<tr><td>{html.escape(unicode_name(sym.name))}</td><td>{html.escape(sheets.number_tex(v))}</td></tr>"
                             for sym, v in _leaves(net))


def _leaves(net):
    return [(sym, net.values[sym]) for sym, node in net.nodes.items() if node.is_leaf and sym in net.values]


class Student:
    """A student's picture (SVG) and worked key (text), shared by their questions."""

    def __init__(self, assignment, student, stem):
        from ..documents import render
        from . import sheets
        net = assignment.nets[student]
        figure = sheets.PICTURES.get(net.kind, sheets.PICTURES["graph"]).figure(net, net.values)
        self.svg = figure.diagram.svg(f"the network of {student}")
        self.picture = f"{stem}-network.svg"
        self.worked = render(net.backward(), "text", numbers=True, check=False)
        self.items = [Item(assignment, student, q) for q in assignment.exercise.questions]
        values = net.backward().evaluate()
        output = net.cost_symbol.name
        self.forward = list(values.nodes.items())
        self.backward = [(f"∂{unicode_name(output)}/∂{unicode_name(name)}", v)
                         for name, v in values.adjoints.items() if name != output]


def question_html_head(item: Item, picture_src: str) -> str:
    """The student's variant code, picture and numbers, above every question's text."""
    return (f"<p>Variant {html.escape(item.code)} ({html.escape(item.student)}).</p>"
            f'<p><img src="{html.escape(picture_src)}" alt="the network with your numbers"></p>'
            f"<table><tr><th>name</th><th>value</th></tr>{item.table}</table>")


def question_html(item: Item, picture_src: str) -> str:
    return question_html_head(item, picture_src) + f"<p>{html.escape(item.prompt)}</p>"


def key_html(student: Student) -> str:
    answers = "".join(f"<li>{html.escape(i.question.id)}: {html.escape(i.formula)} = {html.escape(i.key)}</li>"
                      for i in student.items)
    return f"<ul>{answers}</ul><pre>{html.escape(student.worked)}</pre>"


# --- Moodle XML ---------------------------------------------------------------------------

def _text(parent, tag, content, fmt=None):
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = content
    return element


def moodle(assignment, students: dict) -> bytes:
    """``moodle.xml``: ``students`` maps each student to their :class:`Student`."""
    quiz = ET.Element("quiz")
    category = ET.SubElement(quiz, "question", {"type": "category"})
    _text(category, "category", f"$course$/top/{assignment.title}")
    _text(category, "info", f"Variants of {assignment.title}: one question per student and question.", "html")
    for name, s in students.items():
        for item in s.items:
            q = item.question
            kind = "numerical" if q.kind == "number" else "essay"
            element = ET.SubElement(quiz, "question", {"type": kind})
            _text(element, "name", f"{q.id} {name} ({item.code})")
            text = _text(element, "questiontext", question_html(item, f"@@PLUGINFILE@@/{s.picture}"), "html")
            file = ET.SubElement(text, "file", {"name": s.picture, "path": "/", "encoding": "base64"})
            file.text = base64.b64encode(s.svg.encode("utf-8")).decode("ascii")
            _text(element, "generalfeedback", key_html(s), "html")
            ET.SubElement(element, "defaultgrade").text = _number(float(q.points))
            ET.SubElement(element, "penalty").text = "0"
            ET.SubElement(element, "hidden").text = "0"
            ET.SubElement(element, "idnumber").text = f"{q.id}-{item.code}"
            (_numerical if kind == "numerical" else _essay)(element, item, s)
        _cloze(quiz, name, s)
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8") + b"\n"


def cloze_text(student: Student) -> str:
    """The table of forward and backward values, each a NUMERICAL field of Moodle's
    embedded answers (``{1:NUMERICAL:=value:tolerance}``)."""
    rows = [(html.escape(unicode_name(name)), v) for name, v in student.forward]
    rows += [(html.escape(name), v) for name, v in student.backward]
    cells = "".join(f"<tr><td>{name}</td><td>{{1:NUMERICAL:={key_number(v)}:{_number(margin(None, v))}}}</td></tr>"
                    for name, v in rows)
    return (f"<p>Fill in every value of the forward pass, then of the backward pass, at your numbers "
            f"(to {KEY_DIGITS} significant digits).</p><table><tr><th>node</th><th>value</th></tr>{cells}</table>")


def _cloze(quiz, name: str, student: Student):
    element = ET.SubElement(quiz, "question", {"type": "cloze"})
    _text(element, "name", f"values {name} ({student.items[0].code})")
    text = _text(element, "questiontext", question_html_head(student.items[0], f"@@PLUGINFILE@@/{student.picture}")
                 + cloze_text(student), "html")
    file = ET.SubElement(text, "file", {"name": student.picture, "path": "/", "encoding": "base64"})
    file.text = base64.b64encode(student.svg.encode("utf-8")).decode("ascii")
    _text(element, "generalfeedback", key_html(student), "html")
    ET.SubElement(element, "penalty").text = "0"
    ET.SubElement(element, "hidden").text = "0"
    ET.SubElement(element, "idnumber").text = f"values-{student.items[0].code}"


def _numerical(element, item, student):
    answer = ET.SubElement(element, "answer", {"fraction": "100", "format": "moodle_auto_format"})
    ET.SubElement(answer, "text").text = item.key
    _text(answer, "feedback", "Correct.", "html")
    ET.SubElement(answer, "tolerance").text = _number(item.margin)
    for tag, value in (("unitgradingtype", "0"), ("unitpenalty", "0.1"), ("showunits", "3"), ("unitsleft", "0")):
        ET.SubElement(element, tag).text = value


def _essay(element, item, student):
    for tag, value in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "10"),
                       ("attachments", "0"), ("attachmentsrequired", "0")):
        ET.SubElement(element, tag).text = value
    _text(element, "graderinfo", key_html(student), "html")
    _text(element, "responsetemplate", "", "html")


# --- Canvas QTI 1.2 ----------------------------------------------------------------------

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS = "http://canvas.instructure.com/xsd/cccv1p0"


def _fields(parent, pairs):
    meta = ET.SubElement(parent, "qtimetadata")
    for label, entry in pairs:
        field = ET.SubElement(meta, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry
    return meta


def _mattext(parent, content):
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", {"texttype": "text/html"}).text = content


def canvas_item(section, item: Item, student: Student, ident: str):
    q = item.question
    kind = "numerical_question" if q.kind == "number" else "essay_question"
    element = ET.SubElement(section, "item", {"ident": ident, "title": f"{q.id} ({item.code})"})
    _fields(ET.SubElement(element, "itemmetadata"),
            [("question_type", kind), ("points_possible", _number(float(q.points))),
             ("original_answer_ids", ""), ("assessment_question_identifierref", ident + "r")])
    presentation = ET.SubElement(element, "presentation")
    _mattext(presentation, question_html(item, f"$IMS-CC-FILEBASE$/{student.picture}"))
    response = ET.SubElement(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
    fib = ET.SubElement(response, "render_fib", {"fibtype": "Decimal"} if q.kind == "number" else {})
    ET.SubElement(fib, "response_label", {"ident": "answer1"})
    processing = ET.SubElement(element, "resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(outcomes, "decvar", {"maxvalue": "100", "minvalue": "0", "varname": "SCORE",
                                       "vartype": "Decimal"})
    feedback = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
    ET.SubElement(ET.SubElement(feedback, "conditionvar"), "other")
    ET.SubElement(feedback, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    if q.kind == "number":
        right = ET.SubElement(processing, "respcondition", {"continue": "No"})
        either = ET.SubElement(ET.SubElement(right, "conditionvar"), "or")
        ET.SubElement(either, "varequal", {"respident": "response1"}).text = item.key
        both = ET.SubElement(either, "and")
        ET.SubElement(both, "vargte", {"respident": "response1"}).text = _number(item.value - item.margin)
        ET.SubElement(both, "varlte", {"respident": "response1"}).text = _number(item.value + item.margin)
        ET.SubElement(right, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    general = ET.SubElement(element, "itemfeedback", {"ident": "general_fb"})
    _mattext(ET.SubElement(general, "flow_mat"), key_html(student))


def canvas_quiz(assignment, name: str, student: Student, ident: str) -> bytes:
    root = ET.Element("questestinterop", {"xmlns": QTI})
    title = f"{assignment.title}: {name} ({student.items[0].code})"
    assessment = ET.SubElement(root, "assessment", {"ident": ident, "title": title})
    _fields(assessment, [("cc_maxattempts", "1")])
    section = ET.SubElement(assessment, "section", {"ident": "root_section"})
    for item in student.items:
        canvas_item(section, item, student, _ident(ident, item.question.id))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def canvas_meta(assignment, name: str, student: Student, ident: str) -> bytes:
    root = ET.Element("quiz", {"identifier": ident + "m", "xmlns": CANVAS})
    points = sum(float(i.question.points) for i in student.items)
    for tag, value in (("title", f"{assignment.title}: {name} ({student.items[0].code})"),
                       ("description", f"The variant of {name}."), ("shuffle_answers", "false"),
                       ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                       ("points_possible", _number(points)), ("allowed_attempts", "1")):
        ET.SubElement(root, tag).text = value
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def canvas(assignment, students: dict) -> bytes:
    """``canvas-qti.zip``: a quiz per student and ``imsmanifest.xml``."""
    files = {}
    manifest = ET.Element("manifest", {"identifier": _ident(assignment.title, "manifest"), "xmlns": CP})
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    for name, s in students.items():
        ident = _ident(assignment.title, name)
        files[f"{ident}/{ident}.xml"] = canvas_quiz(assignment, name, s, ident)
        files[f"{ident}/assessment_meta.xml"] = canvas_meta(assignment, name, s, ident)
        files[f"web_resources/{s.picture}"] = s.svg.encode("utf-8")
        resource = ET.SubElement(resources, "resource", {"identifier": ident, "type": "imsqti_xmlv1p2"})
        ET.SubElement(resource, "file", {"href": f"{ident}/{ident}.xml"})
        ET.SubElement(resource, "dependency", {"identifierref": ident + "d"})
        meta = ET.SubElement(resources, "resource", {
            "identifier": ident + "d", "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
            "href": f"{ident}/assessment_meta.xml"})
        ET.SubElement(meta, "file", {"href": f"{ident}/assessment_meta.xml"})
        web = ET.SubElement(resources, "resource", {"identifier": ident + "w", "type": "webcontent",
                                                    "href": f"web_resources/{s.picture}"})
        ET.SubElement(web, "file", {"href": f"web_resources/{s.picture}"})
    ET.indent(manifest)
    files["imsmanifest.xml"] = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                                + ET.tostring(manifest, encoding="utf-8") + b"\n")
    return _zip(files)


def _zip(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()
