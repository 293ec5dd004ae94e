"""A spec read whole: its graph by the spec reader, then each table the stages after it
own, by that stage's reader: the grader's ``[grading]`` and ``[[mistakes]]``
(:func:`answers.policy.of_sections`, into ``graph.policy``) and a template's ``[exercise]``
(:func:`assignments.exercise.of_sections`, into ``graph.exercise``).

The spec reader (:mod:`builders.spec`) keeps those tables as read and imports none of
their readers, so the arrows point one way: input below grading and assignments, this
module above them. ``symbackprop.load``, every command and every other consumer load
here, so a bad table is one ``error:`` line at load, as any other field of the spec is.

    >>> net = load({"inputs": 1, "layers": [{"units": 1}], "grading": {"closed": True}})
    >>> net.policy.closed
    True
"""

from __future__ import annotations


def load(source, *, notation: str | None = None):
    """The graph of a spec file path (``.toml`` or ``.json``) or dict, its sections read
    (``notation``: as :func:`builders.spec.load`)."""
    from .builders import spec
    return read_sections(spec.load(source, notation=notation))


def from_dict(data: dict, where: str = "spec"):
    """The graph of a spec dict, its sections read (``where`` names it in messages)."""
    from .builders import spec
    return read_sections(spec.from_dict(data, where))


def read_sections(graph):
    """``graph`` with the policy and the exercise its spec's sections set (each read only
    when the spec gives its table, so that a spec without them imports neither stage)."""
    sections = graph.sections
    if sections is None:
        return graph
    if "grading" in sections.tables or "mistakes" in sections.tables:
        from .answers.policy import of_sections
        graph.policy = of_sections(sections)
    if "exercise" in sections.tables:
        from .assignments.exercise import of_sections as exercise_of
        graph.exercise = exercise_of(graph, sections)
    return graph
