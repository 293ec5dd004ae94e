"""Every document of an assignment's folder, by path (see :mod:`.sheets`, :mod:`.lms`)."""

from __future__ import annotations

from . import lms, sheets


def documents(assignment, manifest) -> dict:
    """Sheets and keys per student (LaTeX and HTML), the class files ``sheets.tex`` and
    ``keys.tex`` (one student a page), and the LMS files."""
    out = {}
    sheet_bodies, key_bodies = [], []
    for student, _ in assignment.roster:
        entry = manifest["students"][student]
        sheet = sheets.sheet_latex_body(assignment, student)
        key = sheets.key_latex_body(assignment, student)
        sheet_bodies.append(sheet)
        key_bodies.append(key)
        out[entry["sheet"]] = sheets.latex_document(sheet)
        out[entry["sheet_html"]] = sheets.sheet_html(assignment, student)
        out[entry["key"]] = sheets.latex_document(key)
        out[entry["key_html"]] = sheets.key_html(assignment, student)
    out["sheets.tex"] = sheets.latex_document("\n\\clearpage\n".join(sheet_bodies))
    out["keys.tex"] = sheets.latex_document("\n\\clearpage\n".join(key_bodies))
    out = {path: text.encode("utf-8") for path, text in out.items()}
    stems = {student: entry["sheet"].split("/")[-1].removesuffix(".tex")
             for student, entry in manifest["students"].items()}
    students = {student: lms.Student(assignment, student, stems[student]) for student, _ in assignment.roster}
    out["moodle.xml"] = lms.moodle(assignment, students)
    out["canvas-qti.zip"] = lms.canvas(assignment, students)
    return out
