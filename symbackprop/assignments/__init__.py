"""Assignments: one variant of a template spec per student, and what is made of it.

A spec with an ``[exercise]`` section is a template (:mod:`.exercise` reads the section).
:mod:`.variants` draws each student's numbers from the exercise's grids, seeded by the
exercise's seed and the student id, and keeps a draw only when every asked value is
well-posed and every known mistake is told apart from the right answer; :mod:`.specfile`
writes a variant as a spec ``eval`` takes; :mod:`.roster` reads the class list;
:mod:`.assignment` makes the folder (manifest, variants, sheets, keys, LMS files) and
writes it whole or not at all; :mod:`.grading` grades a class's answers, each against
that student's own variant.
"""

__all__ = ["Assignment", "assign"]


def __getattr__(name):
    """``Assignment`` and ``assign`` from :mod:`.assignment`, imported on first use (the
    loader imports :mod:`.exercise` only)."""
    if name in __all__:
        from . import assignment
        return getattr(assignment, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
