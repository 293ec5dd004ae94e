"""Worker processes with a time limit per job: one pathological answer never stalls the
others, and a worker stuck past the limit is killed and replaced.

Each :class:`Worker` is a process (started with ``spawn``: no state of the server's
threads is copied) on one end of a pipe. :meth:`Pool.run` takes an idle worker, sends it
the job and waits at most ``limit`` seconds for the answer; past that, the worker is
killed (SIGKILL: SymPy may be deep in C code) and a fresh one takes its place. The wait
happens in a thread of the pool's own, so the server's event loop serves other requests
meanwhile. A worker's start (importing SymPy, loading networks) does not count against
the limit: it says "ready" first.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

#: Seconds a worker may take to start (import SymPy, load the networks named).
START_LIMIT = 180


class Timeout(Exception):
    """A job ran past its limit (its worker was replaced)."""


class WorkerLost(Exception):
    """A worker died during a job (its worker was replaced)."""


def _serve(conn, preload) -> None:
    """A worker's loop: run each job received, send back its result."""
    from ..errors import SymbackpropError
    from .work import run, warm
    for source in preload:
        try:
            warm(source)
        except SymbackpropError:  # a job that uses this source gets the message
            continue
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        conn.send(run(job))


class Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, preload=()):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, tuple(preload)), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def call(self, job, limit: float) -> dict:
        try:
            if not self.ready:
                if not self.conn.poll(START_LIMIT) or self.conn.recv() != "ready":
                    raise WorkerLost("the worker did not start")
                self.ready = True
            self.conn.send(job)
            if not self.conn.poll(limit):
                raise Timeout(limit)
            return self.conn.recv()
        except (EOFError, OSError):
            raise WorkerLost("the worker stopped") from None

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class Pool:
    """``size`` workers; :meth:`run` is awaited by request handlers."""

    def __init__(self, size: int = 2, preload=()):
        self.preload = tuple(preload)
        self._idle: queue.Queue = queue.Queue()
        self._all: list = []
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max_workers=64, thread_name_prefix="pool-wait")
        self.replaced = 0
        for _ in range(size):
            self._add(Worker(self.preload))

    def _add(self, worker: Worker) -> None:
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def run_blocking(self, job: tuple, limit: float) -> dict:
        """The job's result; :class:`Timeout` or :class:`WorkerLost` after replacing the worker."""
        worker = self._idle.get()
        try:
            result = worker.call(job, limit)
        except (Timeout, WorkerLost):
            self._replace(worker)
            raise
        self._idle.put(worker)
        return result

    def _replace(self, worker: Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.remove(worker)
            self.replaced += 1
        self._add(Worker(self.preload))

    async def run(self, job: tuple, limit: float) -> dict:
        import asyncio
        return await asyncio.get_running_loop().run_in_executor(self._threads, self.run_blocking, job, limit)

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)
