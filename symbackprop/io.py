"""Writing output files whole or not at all: a temporary file beside the target, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import SymbackpropError


def write_atomic(path, content: str | bytes) -> None:
    """Write ``content`` to ``path``; on any failure the target is left as it was."""
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise SymbackpropError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise SymbackpropError(f"{path}: cannot write: {exc.strerror}") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_text(path, expected: str, *, limit: int | None = None, error=SymbackpropError) -> str:
    """A user's file as text (UTF-8, a byte-order mark dropped). Every failure is one
    ``error`` naming the file: missing, a directory (``expected`` says what was wanted),
    unreadable, larger than ``limit`` bytes, or not UTF-8."""
    where = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read() if limit is None else handle.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{where}: no such file") from None
    except IsADirectoryError:
        raise error(f"{where}: is a directory, expected {expected}") from None
    except OSError as exc:
        raise error(f"{where}: cannot read: {exc.strerror}") from None
    if limit is not None and len(raw) > limit:
        raise error(f"{where}: larger than {limit:,} bytes, expected {expected}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte {exc.start})") from None
