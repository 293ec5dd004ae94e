"""Every check, stored before it is answered: one SQLite file in WAL mode.

A check is committed (``synchronous=FULL``: the commit is on disk when it returns) before
the page sees its verdict, so a server killed at any moment (``kill -9``, a power cut)
has every answer a student saw graded. One connection, used by one thread at a time.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

from ..errors import SymbackpropError
from ..notation.quoting import clip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    n INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    student TEXT NOT NULL,
    id TEXT NOT NULL,
    wrt TEXT NOT NULL,
    answer TEXT NOT NULL,
    verdict TEXT NOT NULL,
    score TEXT NOT NULL,
    max TEXT NOT NULL,
    diagnosis TEXT NOT NULL DEFAULT '',
    feedback TEXT NOT NULL DEFAULT ''
)"""

#: The columns of a stored check, in order.
COLUMNS = ("time", "student", "id", "wrt", "answer", "verdict", "score", "max", "diagnosis", "feedback")


@dataclass(frozen=True)
class Check:
    """One stored check; ``score`` and ``max`` as written (exact, at most 4 decimals)."""

    time: str
    student: str
    id: str
    wrt: str
    answer: str
    verdict: str
    score: str
    max: str
    diagnosis: str = ""
    feedback: str = ""


class Store:
    """The checks of one server, in the SQLite file at ``path``."""

    def __init__(self, path):
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise SymbackpropError(f"--db {clip(path, None)}: cannot open the database: {exc}") from None
        self._lock = threading.Lock()

    def add(self, check: Check) -> None:
        """Store one check; it is on disk when this returns."""
        values = tuple(getattr(check, c) for c in COLUMNS)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(f"INSERT INTO checks ({', '.join(COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(COLUMNS))})", values)
            self._db.execute("COMMIT")

    def checks(self, student: str | None = None) -> list[Check]:
        """Every stored check in the order stored (one student's only, when named)."""
        query = f"SELECT {', '.join(COLUMNS)} FROM checks"
        args: tuple = ()
        if student is not None:
            query, args = query + " WHERE student = ?", (student,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY n", args).fetchall()
        return [Check(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
