"""Writes a request need not wait for: queued in the process and written in batches by a background thread.

A calendar feed is fetched every few minutes by every subscribed device, and each fetch leaves an audit row.
Writing that row in the request's own transaction made every fetch wait for a commit (and a 304 that reads
nothing else wait for little but that). Instead the row goes into this process's queue, and a thread writes
what has gathered every WRITE_BEHIND_SECONDS (or sooner once WRITE_BEHIND_BATCH rows wait), many rows per
statement and one commit per batch.

None is lost when the process stops the normal way: gunicorn's worker_exit hook (gunicorn.conf.py) and an
`atexit` handler write whatever is still queued, after the last request was answered (gunicorn lets a worker
told to stop, SIGTERM, finish its request first). A batch the database refuses stays queued and is tried
again. What cannot be kept is what a process killed outright (SIGKILL, out of memory) had queued: at most
WRITE_BEHIND_SECONDS of fetches.

WRITE_BEHIND_SECONDS = 0 writes in the request's own transaction instead (the tests' setting: each test sees
its rows when its request returns, and no thread outlives its database).
"""

import atexit
import logging
import os
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable

from clinic.extensions import db

log = logging.getLogger(__name__)
RETRY_SECONDS_MAX = 30.0
EXIT_DEADLINE_SECONDS = 10.0
_EXTENSION = "clinic.write_behind"
_writers: "weakref.WeakSet[WriteBehind]" = weakref.WeakSet()


class WriteBehind:
    """One process's queue of (statement, parameters) and the thread that writes it for one engine."""

    def __init__(self, engine: Engine, interval: float, batch: int) -> None:
        self._engine = engine
        self._interval = interval
        self._batch = batch
        self._start()

    def _start(self) -> None:
        # Also after a fork: the child gets the parent's queue and lock but not its thread.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: list[tuple[Executable, Mapping[str, Any]]] = []
        self._stopping = False
        self._thread: threading.Thread | None = None

    def add(self, statement: Executable, parameters: Mapping[str, Any]) -> None:
        """Queue one execution of `statement` (an INSERT or UPDATE built once, at import) with these."""
        if self._pid != os.getpid():
            self._start()
        with self._lock:
            self._queue.append((statement, parameters))
            stopping = self._stopping
            if self._thread is None and not stopping:
                self._thread = threading.Thread(target=self._run, name="clinic-write-behind", daemon=True)
                self._thread.start()
            if len(self._queue) >= self._batch:
                self._wake.notify()
        if stopping:  # a request answered while the process stops: its row cannot wait for the thread
            self.flush(time.monotonic() + EXIT_DEADLINE_SECONDS)

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def _run(self) -> None:
        delay = self._interval
        while True:
            with self._lock:
                if not self._stopping and len(self._queue) < self._batch:
                    self._wake.wait(delay)
                if self._stopping:
                    return
            delay = self._interval if self._write_queued() else min(max(delay, 1.0) * 2, RETRY_SECONDS_MAX)

    def _write_queued(self) -> bool:
        """Write what is queued in one transaction, or on failure put it back in front; True if written."""
        with self._lock:
            taken, self._queue = self._queue, []
        if not taken:
            return True
        try:
            _write(self._engine, taken)
            return True
        except Exception:  # the database is away, or refused the batch: keep it, try again later
            log.exception("could not write %d queued rows; they stay queued and are tried again", len(taken))
            with self._lock:
                self._queue[:0] = taken
            return False

    def flush(self, deadline: float | None = None) -> bool:
        """Write everything queued now, in the caller's thread, retrying until `deadline` (monotonic)."""
        while True:
            if self._write_queued() and not self.pending():
                return True
            if deadline is None or time.monotonic() >= deadline:
                return not self.pending()
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the thread (after the batch it may be writing) and write what is left."""
        if self._pid != os.getpid():
            return  # the parent's queue: the parent writes it
        with self._lock:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(EXIT_DEADLINE_SECONDS)
        if not self.flush(time.monotonic() + EXIT_DEADLINE_SECONDS):
            log.error("%d queued rows could not be written before the process stopped", self.pending())


def _write(engine: Engine, taken: list[tuple[Executable, Mapping[str, Any]]]) -> None:
    """Each statement once with all its parameter sets (an executemany), in the order first queued."""
    grouped: dict[Executable, list[Mapping[str, Any]]] = defaultdict(list)
    for statement, parameters in taken:
        grouped[statement].append(parameters)
    with engine.begin() as connection:
        for statement, rows in grouped.items():
            connection.execute(statement, rows)


def write_soon(statement: Executable, parameters: Mapping[str, Any]) -> None:
    """Execute `statement` with `parameters` soon, in a batch, or now in the current transaction when the
    app writes at once (WRITE_BEHIND_SECONDS = 0). Only for writes that nothing in the request reads back."""
    app = current_app
    interval = float(app.config.get("WRITE_BEHIND_SECONDS", 0))
    if interval <= 0:
        db.session.execute(statement, [parameters])
        return
    writer = app.extensions.get(_EXTENSION)
    if writer is None:
        writer = app.extensions.setdefault(
            _EXTENSION, WriteBehind(db.engine, interval, int(app.config.get("WRITE_BEHIND_BATCH", 500)))
        )
        _writers.add(writer)
    writer.add(statement, parameters)


def flush_all() -> None:
    """Write every queue of this process now and stop its thread: when the process stops."""
    for writer in list(_writers):
        writer.stop()


atexit.register(flush_all)
