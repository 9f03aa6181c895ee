"""The background worker that applies Allegro's asynchronous changes after ``ASYNC_DELAY`` seconds.

``PATCH /sale/product-offers/{id}`` operations and the tasks of quantity / publication commands are
scheduled here. One daemon thread runs due jobs in order; ``run_all()`` (``POST /__sandbox__/process``)
runs every pending job now; ``clear()`` drops them (reset); ``close()`` stops the thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Worker:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._jobs: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="allegro-sandbox-worker", daemon=True)
        self._thread.start()

    def schedule(self, delay: float, job: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._jobs, (time.monotonic() + max(0.0, float(delay)), next(self._order), job))
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._jobs)

    def run_all(self) -> int:
        """Run every queued job now (in due order); how many ran."""
        count = 0
        while (job := self._pop(due_only=False)) is not None:
            self._execute(job)
            count += 1
        return count

    def clear(self) -> None:
        with self._cond:
            self._jobs.clear()

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._jobs.clear()
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _pop(self, due_only: bool) -> Callable[[], None] | None:
        with self._cond:
            if not self._jobs or (due_only and self._jobs[0][0] > time.monotonic()):
                return None
            return heapq.heappop(self._jobs)[2]

    @staticmethod
    def _execute(job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # noqa: BLE001 - a broken job must not kill the worker
            log.exception("allegro sandbox async job failed")

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._jobs and self._jobs[0][0] <= time.monotonic():
                        break
                    timeout = self._jobs[0][0] - time.monotonic() if self._jobs else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
            job = self._pop(due_only=True)
            if job is not None:
                self._execute(job)
