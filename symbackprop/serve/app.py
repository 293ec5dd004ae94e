"""The ASGI application: the page, its JSON API and the teacher's endpoints.

* ``POST /api/preview`` ``{"answer", "wrt" (or "id"), "student"}`` → the answer read back
  as MathML, or the reader's one-line error with its column;
* ``POST /api/check`` ``{"student", "id" or "wrt", "answer"}`` → verdict, feedback, score,
  max; stored (committed) before the reply;
* ``GET /api/submissions.csv`` and ``GET /teacher``: every stored check, and a live
  summary of the class; both need the teacher's token (``Authorization: Bearer …`` or
  ``?token=…``).

On a single spec ``student`` is the name a student types; in a class it is the token of
the student's personal link, so that no request can speak for another student. Malformed
JSON and missing fields are 400 with ``{"error": one line}``, a body over 64 kB is 413,
more than :data:`CHECKS_PER_MINUTE` checks by one student in a minute is 429.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import defaultdict, deque
from datetime import datetime, timezone

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..answers.feedback import UNDECIDED
from ..answers.grade import UNDECIDED_SCORE
from ..notation.numerals import points as shown_points
from . import page
from .course import Course, links
from .pool import Pool, Timeout, WorkerLost
from .storage import Check, Store

#: Largest request body read, in bytes.
MAX_BODY = 64 * 1024
#: Seconds one check may take before it is stopped and answered ``undecided``.
CHECK_LIMIT = 10.0
#: Seconds one preview may take.
PREVIEW_LIMIT = 5.0
#: Checks one student may ask for in a minute (then 429).
CHECKS_PER_MINUTE = 30
#: Previews one student may ask for in a minute (the page asks at most ~3 a second while typing).
PREVIEWS_PER_MINUTE = 240
#: Longest student name typed on a single spec's page.
MAX_NAME = 100

HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store",
           "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                      "img-src 'self' data:; frame-ancestors 'none'"}


class Refused(Exception):
    """A request answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=HEADERS)


class Limiter:
    """At most ``per_minute`` events per key in any 60 seconds."""

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._times: dict = defaultdict(deque)

    def allow(self, key) -> bool:
        now = self.clock()
        times = self._times[key]
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        return True


class Server:
    """The state of one server: what is served, the store, the workers, the tokens."""

    def __init__(self, course: Course, store: Store, pool: Pool, teacher: str | None = None):
        self.course = course
        self.store = store
        self.pool = pool
        self.teacher = teacher or secrets.token_urlsafe(18)
        self.tokens = links(course) if course.is_class else {}
        self.checks = Limiter(CHECKS_PER_MINUTE)
        self.previews = Limiter(PREVIEWS_PER_MINUTE)
        self.pages = page.Pages(course)

    # --- who asks ---------------------------------------------------------------------

    def student(self, data: dict) -> str:
        """The student a request speaks for: a class's token → the student's name."""
        value = _field(data, "student")
        if self.course.is_class:
            name = self.tokens.get(value)
            if name is None:
                raise Refused(403, "unknown student: open the personal link your teacher gave you")
            return name
        value = value.strip()
        if not value or len(value) > MAX_NAME or not value.isprintable():
            raise Refused(400, f"student: expected a name of 1 to {MAX_NAME} printable characters")
        return value

    def question(self, data: dict):
        qid = _optional(data, "id")
        wrt = _optional(data, "wrt")
        if not qid and not wrt:
            raise Refused(400, "missing field \"id\" or \"wrt\"")
        q = self.course.question(qid, wrt)
        if q is None:
            raise Refused(400, "unknown question: expected the id of one of this page's questions")
        return q

    def is_teacher(self, request: Request) -> bool:
        given = request.query_params.get("token", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            given = header[7:].strip()
        return secrets.compare_digest(given.encode(), self.teacher.encode())

    # --- the API ----------------------------------------------------------------------

    async def preview(self, request: Request) -> Response:
        data = await _json(request)
        answer = _field(data, "answer")
        student = self.student(data) if self.course.is_class or "student" in data else ""
        q = self.question(data)
        if not self.previews.allow(student):
            raise Refused(429, f"too many previews: at most {PREVIEWS_PER_MINUTE} a minute")
        spec = str(self.course.spec_of(student or None))
        try:
            result = await self.pool.run(("preview", spec, q.wrt, answer), PREVIEW_LIMIT)
        except Timeout:
            result = {"ok": False, "error": f"reading the answer took more than {PREVIEW_LIMIT:g} s"}
        except WorkerLost:
            result = {"ok": False, "error": "the answer could not be read (the reader stopped)"}
        return JSONResponse(result, headers=HEADERS)

    async def check(self, request: Request) -> Response:
        data = await _json(request)
        answer = _field(data, "answer")
        student = self.student(data)
        q = self.question(data)
        if not self.checks.allow(student):
            raise Refused(429, f"too many checks: at most {CHECKS_PER_MINUTE} a minute; wait a little")
        wrt = _optional(data, "wrt") if not self.course.is_class and _optional(data, "wrt") else q.wrt
        job = ("check", self.course.source, student, q.id, wrt, answer, str(q.points), q.kind)
        try:
            result = await self.pool.run(job, CHECK_LIMIT)
        except (Timeout, WorkerLost) as exc:
            result = _undecided(q, exc)
        stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        stored = Check(stamp, student, q.id, wrt, answer, result["verdict"], result["score"],
                       result["max"], result.get("diagnosis") or "", result["feedback"])
        await asyncio.get_running_loop().run_in_executor(None, self.store.add, stored)
        reply = {**result, "score": float(_fraction(result["score"])),
                 "max": float(_fraction(result["max"])), "id": q.id}
        return JSONResponse(reply, headers=HEADERS)

    async def submissions(self, request: Request) -> Response:
        if not self.is_teacher(request):
            raise Refused(403, "the teacher's token is needed (Authorization: Bearer TOKEN or ?token=TOKEN)")
        rows = await asyncio.get_running_loop().run_in_executor(None, self.store.checks)
        return Response(page.submissions_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": "attachment; filename=submissions.csv"})

    # --- pages ------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        if self.course.is_class:
            return HTMLResponse(page.closed_door(self.course), headers=HEADERS)
        body = await asyncio.get_running_loop().run_in_executor(None, self.pages.student, None, "")
        return HTMLResponse(body, headers=HEADERS)

    async def personal(self, request: Request) -> Response:
        token = request.path_params["token"]
        student = self.tokens.get(token) if self.course.is_class else None
        if student is None:
            return HTMLResponse(page.closed_door(self.course), status_code=404, headers=HEADERS)
        body = await asyncio.get_running_loop().run_in_executor(None, self.pages.student, student, token)
        return HTMLResponse(body, headers=HEADERS)

    async def summary(self, request: Request) -> Response:
        if not self.is_teacher(request):
            return HTMLResponse(page.closed_door(self.course), status_code=403, headers=HEADERS)
        rows = await asyncio.get_running_loop().run_in_executor(None, self.store.checks)
        return HTMLResponse(page.summary(self.course, rows), headers=HEADERS)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        found = page.STATIC.get(name)
        if found is None:
            return Response("not found", status_code=404, media_type="text/plain")
        media, text = found
        return Response(text, media_type=media, headers={"X-Content-Type-Options": "nosniff"})


def _fraction(text: str):
    from fractions import Fraction
    return Fraction(text)


def _undecided(q, exc) -> dict:
    """The result of a check stopped past its limit, or whose worker died."""
    reason = (f"the check ran past {CHECK_LIMIT:g} s and was stopped" if isinstance(exc, Timeout)
              else "the check stopped before it finished")
    return {"verdict": "undecided", "reason": reason, "feedback": UNDECIDED,
            "score": shown_points(q.points * UNDECIDED_SCORE), "max": shown_points(q.points)}


async def _json(request: Request) -> dict:
    """The request's JSON object, read up to :data:`MAX_BODY` bytes."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise Refused(413, f"the request body is larger than {MAX_BODY // 1024} kB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, f"the request body is larger than {MAX_BODY // 1024} kB")
    try:
        data = json.loads(bytes(body).decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(400, "the request body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise Refused(400, f"the request body is not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise Refused(400, "the request body nests too deeply") from None
    if not isinstance(data, dict):
        raise Refused(400, "the request body must be a JSON object")
    return data


def _field(data: dict, name: str) -> str:
    if name not in data:
        raise Refused(400, f"missing field \"{name}\"")
    if not isinstance(data[name], str):
        raise Refused(400, f"field \"{name}\": expected a string")
    return data[name]


def _optional(data: dict, name: str) -> str | None:
    return _field(data, name) if data.get(name) is not None else None


def _handled(method):
    async def endpoint(request: Request) -> Response:
        try:
            return await method(request)
        except Refused as exc:
            return error(exc.status, exc.message)
    return endpoint


def create_app(server: Server) -> Starlette:
    """The ASGI app of ``server``; the workers are stopped when the app shuts down."""
    routes = [Route("/", _handled(server.home)),
              Route("/s/{token}", _handled(server.personal)),
              Route("/teacher", _handled(server.summary)),
              Route("/static/{name}", server.static),
              Route("/favicon.ico", lambda request: Response(status_code=204)),
              Route("/api/preview", _handled(server.preview), methods=["POST"]),
              Route("/api/check", _handled(server.check), methods=["POST"]),
              Route("/api/submissions.csv", _handled(server.submissions))]
    return Starlette(routes=routes)


def make_server(path, db, *, workers: int = 2, teacher: str | None = None) -> Server:
    """A server for the spec or assignment folder at ``path``, storing in ``db``."""
    from .course import load_course
    course = load_course(path)
    store = Store(db)
    pool = Pool(workers, preload=[course.source])
    return Server(course, store, pool, teacher)


def close(server: Server) -> None:
    server.pool.close()
    server.store.close()


__all__ = ["Server", "close", "create_app", "make_server"]
