"""Shared fixtures. External tools (TeX engines, Chromium) are skipped when missing,
unless SYMBACKPROP_REQUIRE_TOOLS=1 (set by .ci/run), which turns a missing tool into a
failure so that CI can never pass without compiling and rendering for real."""

import os
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

import symbackprop as sb

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def require_tool(name: str) -> str:
    """The path of an executable, or skip (fail under SYMBACKPROP_REQUIRE_TOOLS=1)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("SYMBACKPROP_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (SYMBACKPROP_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    return path


@pytest.fixture
def lecture():
    """The lecture's 2-2-2-2 sigmoid network with its values."""
    return sb.load(EXAMPLES / "lecture.toml")


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    from symbackprop.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


#: The networks the answer tables check against, by key (built once each).
NETWORKS = {
    "lecture": lambda: sb.load(EXAMPLES / "lecture.toml"),
    "shared": lambda: sb.load(EXAMPLES / "shared_bias.toml"),
    "numbered": lambda: sb.Network([2, 2, 2], notation="lecture"),
    "bracket": lambda: sb.Network([2, 2, 2], notation="bracket"),
    "tanh": lambda: sb.Network([2, 2, 1], activation="tanh"),
    "relu": lambda: sb.Network([2, 2, 1], activation=["relu", "identity"]),
    "softmax": lambda: sb.Network([2, 3], activation="softmax", cost="cross_entropy"),
    "wide": lambda: sb.Network([3, 2, 2]),
    "silu": lambda: sb.Network([2, 2, 1], activation=["silu", "identity"]),
    "circuit": lambda: sb.load(EXAMPLES / "circuit.toml"),
    "residual": lambda: sb.load(EXAMPLES / "residual.toml"),
}


@lru_cache(maxsize=None)
def network(key):
    """The network :data:`NETWORKS` names by ``key``."""
    return NETWORKS[key]()
