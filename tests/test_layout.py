"""The import structure, read from the import statements (those inside functions too): an
input stage imports no later stage, and the modules of a stage import one another one way."""

import ast
import subprocess
import sys

import pytest

from conftest import ROOT

PACKAGE = ROOT / "symbackprop"


def _module(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict:
    return {_module(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(path, modules) -> set:
    """The package's modules that ``path`` imports: ``from . import x`` is the module x."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {m for m in out if m in modules and m != name}


def _circles(stage: str) -> list:
    """The import circles among the modules of ``stage`` (strongly connected, Tarjan)."""
    modules = _modules()
    inside = {m: p for m, p in modules.items() if m == stage or m.startswith(stage + ".")}
    edges = {m: sorted(_imported(p, modules) & set(inside)) for m, p in inside.items()}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            circle = []
            while not circle or circle[-1] != v:
                circle.append(stack.pop())
                on.discard(circle[-1])
            if len(circle) > 1:
                out.append(sorted(circle))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_builders_import_no_later_stage():
    """Input does not depend on grading: the builders and the spec reader import nothing
    of answers, assignments, the loader, the server or the command line."""
    modules = _modules()
    later = ("symbackprop.answers", "symbackprop.assignments", "symbackprop.loading",
             "symbackprop.serve", "symbackprop.cli")
    found = {m: sorted(i for i in _imported(p, modules) if i.startswith(later))
             for m, p in modules.items() if m.startswith("symbackprop.builders")}
    assert {m: i for m, i in found.items() if i} == {}


@pytest.mark.parametrize("stage", ["builders", "answers", "reading", "notation", "ops", "assignments",
                                   "serve"])
def test_the_modules_of_a_stage_import_one_another_one_way(stage):
    assert _circles(f"symbackprop.{stage}") == []


def test_the_circle_finder_finds_a_circle():
    """The finder itself, on a stage that still has one through a delegating method
    (Graph.backward imports the sweep, which imports the graph)."""
    assert ["symbackprop.core.derivation", "symbackprop.core.graph"] in _circles("symbackprop.core")


def test_a_gated_cell_is_known_wherever_recurrent_is_imported():
    """recurrent imports nothing of gated: the cells register themselves, and the builders
    package imports them, so Recurrent(cell="lstm") needs no other import first."""
    code = ("from symbackprop.builders.recurrent import Recurrent; "
            "print(type(Recurrent(1, 1, 1, 2, cell='lstm')).__name__, "
            "type(Recurrent(1, 1, 1, 2, cell='gru')).__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert (done.stdout, done.stderr) == ("LSTM GRU\n", "")
