"""Writing output files whole or not at all: a temporary file beside the target, then rename.

The temporary file is removed on any failure, and also when the process is told to stop
(SIGTERM, SIGHUP) while it exists: the signal then takes its usual course.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path

from .errors import SymbackpropError
from .notation.quoting import clip

#: The signals that end a process and that a write cleans up after.
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Stopped(BaseException):
    """Raised in the main thread by a SIGTERM/SIGHUP arriving while a temporary file exists."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame):
    raise _Stopped(signum)


@contextlib.contextmanager
def _stoppable():
    """While inside: SIGTERM and SIGHUP raise :class:`_Stopped` (unless the process
    ignores them), so that the caller's cleanup runs. Outside the main thread, nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:
        for signum in _SIGNALS:
            handler = signal.getsignal(signum)
            if handler is not signal.SIG_IGN and handler is not None:
                previous[signum] = handler
                signal.signal(signum, _stop)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _redeliver(signum: int, path) -> None:
    """After cleaning up: the signal again, now with the handler the process had (the
    default ends the process as the signal would have). A handler that returns leaves
    the write undone."""
    signal.raise_signal(signum)
    raise SymbackpropError(f"{clip(path, None)}: not written: stopped by {signal.Signals(signum).name}")


def write_atomic(path, content: str | bytes) -> None:
    """Write ``content`` to ``path``; on any failure the target is left as it was.

    A regular file (or a new one) is written to a temporary file beside it and renamed
    over it, keeping an existing file's permissions (a new file gets 0666 less the
    umask); a file the user may not write is refused, as the shell's ``>`` would. A symbolic link is followed to its target. Anything else that exists
    (a device such as /dev/null, a FIFO) is written in place, never replaced.
    """
    if str(path) == "":
        raise SymbackpropError("the output path is empty")
    shown = clip(path, None)
    if str(path).endswith(os.sep):
        raise SymbackpropError(f"{shown}: is a directory path, expected a file name")
    target = Path(os.path.realpath(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise SymbackpropError(f"{shown}: cannot write: {exc.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise SymbackpropError(f"{shown}: is a directory, expected a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise SymbackpropError(f"{shown}: cannot write: {exc.strerror}") from None
        return
    if info is not None and not os.access(target, os.W_OK):
        raise SymbackpropError(f"{shown}: cannot write: Permission denied")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    with _stoppable():
        tmp = None
        try:
            # the signals wait while the temporary file is made and its name kept
            blocked = _block()
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            finally:
                _unblock(blocked)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
            tmp = None
        except BaseException as exc:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            if isinstance(exc, _Stopped):
                stopped = exc.signum
            elif isinstance(exc, OSError):
                raise SymbackpropError(f"{shown}: cannot write: {exc.strerror}") from None
            else:
                raise
        else:
            return
    _redeliver(stopped, path)


def _block():
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def _unblock(previous) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def read_text(path, expected: str, *, limit: int | None = None, error=SymbackpropError) -> str:
    """A user's file as text (UTF-8, a byte-order mark dropped). Every failure is one
    ``error`` naming the file: missing, a directory (``expected`` says what was wanted),
    unreadable, larger than ``limit`` bytes, or not UTF-8."""
    where = clip(path, None)
    if str(path) == "":
        raise error(f"the path is empty, expected {expected}")
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
