"""Writing output files whole or not at all: a temporary file beside the target, then rename."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import SymbackpropError


def write_atomic(path, content: str | bytes) -> None:
    """Write ``content`` to ``path``; on any failure the target is left as it was.

    A regular file (or a new one) is written to a temporary file beside it and renamed
    over it, keeping an existing file's permissions (a new file gets 0666 less the
    umask); a file the user may not write is refused, as the shell's ``>`` would. A symbolic link is followed to its target. Anything else that exists
    (a device such as /dev/null, a FIFO) is written in place, never replaced.
    """
    if str(path) == "":
        raise SymbackpropError("the output path is empty")
    if str(path).endswith(os.sep):
        raise SymbackpropError(f"{path}: is a directory path, expected a file name")
    target = Path(os.path.realpath(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise SymbackpropError(f"{path}: cannot write: {exc.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise SymbackpropError(f"{path}: is a directory, expected a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise SymbackpropError(f"{path}: cannot write: {exc.strerror}") from None
        return
    if info is not None and not os.access(target, os.W_OK):
        raise SymbackpropError(f"{path}: cannot write: Permission denied")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise SymbackpropError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise SymbackpropError(f"{path}: cannot write: {exc.strerror}") from None
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


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
