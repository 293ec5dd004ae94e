"""The answer page: ``symbackprop serve SPEC_OR_DIR``, a web server where students type a
derivation, see it read back as math while typing, and get a verdict.

A linear pipeline, one module a job:

* :mod:`course`: what is served (a spec, or an assignment folder and its personal links);
* :mod:`work`: what a worker process does (preview, check as ``grade`` does);
* :mod:`pool`: worker processes with a time limit per job, a stuck one replaced;
* :mod:`storage`: every check in SQLite (WAL), committed before it is answered;
* :mod:`page`: the HTML, the teacher's summary, the submissions as CSV;
* :mod:`app`: the Starlette application and its JSON API.

Starlette and uvicorn are an optional extra (``pip install 'symbackprop[serve]'``).
"""

from __future__ import annotations

from ..errors import SymbackpropError

EXTRA = "pip install 'symbackprop[serve]'"


def require_extra() -> None:
    """Starlette and uvicorn, or one error saying how to install them."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise SymbackpropError(f"serve needs {exc.name}, which is not installed: {EXTRA}") from None


def serve(path, *, host: str = "127.0.0.1", port: int = 8000, db="submissions.db",
          workers: int | None = None, out=print) -> None:
    """Serve the spec or assignment folder at ``path`` until interrupted."""
    require_extra()
    import os

    import uvicorn

    from .app import close, create_app, make_server
    if workers is None:     # one worker a core, at most 4 (each holds its own SymPy)
        workers = max(1, min(4, os.cpu_count() or 1))
    sock = listen(host, port)
    server = make_server(path, db, workers=workers)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}"
    out(f"serving {server.course.title!r} at {address}/"
        + (" (students open their personal links: see links.csv)" if server.course.is_class else ""))
    if server.course.is_class:
        out(f"personal links: {server.course.folder / 'links.csv'} (each path after {address})")
    out(f"teacher token: {server.teacher}")
    out(f"class summary: {address}/teacher?token={server.teacher}")
    out(f"submissions:   {address}/api/submissions.csv?token={server.teacher}")
    out(f"checks stored in {db}; Ctrl-C stops the server")
    try:
        config = uvicorn.Config(create_app(server), log_level="warning")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        close(server)


def listen(host: str, port: int):
    """A socket bound to (host, port) and listening, or one error naming what failed
    (a port in use, an address this machine does not have)."""
    import socket
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise SymbackpropError(f"--host {host!r}: cannot listen there: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise SymbackpropError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock
