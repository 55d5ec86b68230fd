"""The workbooks of one job read by several processes: calamine and the row checks are per workbook and
need no database, so a large ZIP is read on every CPU.

The worker processes come from a "forkserver": a fresh interpreter, never a fork of this process (a web
server's threads and open database connections must not be copied). Each worker takes this process's
settings module (its messages come from the same catalogues, once a chunk needs one) and never opens a
database connection; each chunk of workbooks carries the caller's language and year, so the results are
exactly those of reading here, in the same order.

Starting a worker costs a tenth of a second, and about a second more (`django.setup()`) once a chunk has
a message to translate, so this process reads too: it takes chunks from the end of the job while the
workers take them from the start, and a chunk still waiting for a worker that is starting is read here as
well (the first result wins; both are the same). A job never waits for the pool to start, and a pool that
cannot start (or breaks) only leaves the reading to this process. The pool is kept for the next job of
the process and shut down after IDLE_SECONDS without one, and at exit.

As with any "spawn" or "forkserver" pool, each worker imports the main module of this process (as
`__mp_main__`): a script that imports results must keep its work under `if __name__ == "__main__":`
(manage.py, the `opora` command and WSGI servers do).
"""

import atexit
import hashlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import django
from django.apps import apps
from django.conf import settings
from django.core.exceptions import AppRegistryNotReady
from django.utils import translation

from opora.core.collection import with_gc_paused
from opora.imports.fis_oko.parse import ParsedWorkbook, parse_vpr_workbook

logger = logging.getLogger(__name__)

Member = tuple[str, bytes]  # the name shown in messages, the workbook's bytes

# Workbooks per task: ~25 ms of reading. Receiving a chunk's results costs this process ~3 ms (unpickling
# them, whatever the chunk size); small chunks keep the wait for the last ones short.
CHUNK_FILES = 8
IDLE_SECONDS = 300.0
# What a pool that cannot start or has died raises (the forkserver's EOFError included); a reading error
# raised by the parse itself is not one of these and propagates as it would in this process.
_POOL_FAILURES = (BrokenProcessPool, OSError, EOFError, RuntimeError)


def workers_for(files: int) -> int:
    """How many worker processes help to read a job of `files` workbooks; 0: this process reads alone.

    `OPORA_IMPORT_WORKERS` counts the processes that read, this one included (1 or 0: no pool). Starting
    the workers costs a tenth of a second of a CPU each, and a second more for one that meets a message to
    translate (`_worker_read_chunk`): a job of fewer than
    `OPORA_IMPORT_WORKERS_MIN_FILES` workbooks is read here unless the pool is already up, and then any
    job of two chunks or more is shared."""
    readers = settings.OPORA_IMPORT_WORKERS
    least = 2 * CHUNK_FILES if _pool.started else settings.OPORA_IMPORT_WORKERS_MIN_FILES
    if readers <= 1 or files < max(least, 2) or not _settings_module():
        return 0
    chunks = -(-files // CHUNK_FILES)
    return max(0, min(readers - 1, chunks - 1))


def _settings_module() -> str:
    """The settings module Django was set up with (`settings.SETTINGS_MODULE` is None inside
    override_settings); "" when settings were configured in code, which workers could not repeat."""
    return os.environ.get("DJANGO_SETTINGS_MODULE", "")


def _worker_start(settings_module: str) -> None:
    """Point the worker at this process's settings. Django itself is set up by the first chunk that needs
    it (`_worker_read_chunk`)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module


@with_gc_paused
def _read_chunk(members: Sequence[Member], this_year: int) -> list[ParsedWorkbook]:
    return [
        parse_vpr_workbook(
            content, file_name=name, sha256=hashlib.sha256(content).hexdigest(), this_year=this_year
        )
        for name, content in members
    ]


def _worker_read_chunk(
    language: str | None, this_year: int, members: Sequence[Member]
) -> list[ParsedWorkbook]:
    """Read a chunk in a worker, in the caller's language.

    Reading a workbook needs Django only to translate a message about it, and most chunks have none, so a
    worker is not set up until one has: a clean chunk is read without Django's apps (`django.setup()`
    costs about 0.8 s of a CPU, in which a set-up worker would read some 300 workbooks). When a message is
    to be translated the reading stops (AppRegistryNotReady); the worker sets Django up and reads the
    chunk again, which gives what reading it set up would have given: the reading changes nothing."""
    if not apps.ready:
        try:
            return _read_chunk(members, this_year)
        except AppRegistryNotReady:
            django.setup()
    with translation.override(language):
        return _read_chunk(members, this_year)


class _Pool:
    """One ProcessPoolExecutor per process, made on first use and kept between jobs until idle."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.executor: ProcessPoolExecutor | None = None
        self.size = 0
        self.started = False  # a task of this executor has come back: its workers are up
        self.users = 0
        self.idle: threading.Timer | None = None

    def acquire(self, size: int) -> ProcessPoolExecutor:
        with self.lock:
            if self.idle is not None:
                self.idle.cancel()
                self.idle = None
            # A pool of at least `size` workers serves the job as it is (a smaller job leaves some idle); a
            # larger job gets a larger pool only when no other job is reading with this one.
            if self.executor is not None and size > self.size and self.users == 0:
                self._drop()
            if self.executor is None:
                self.executor = ProcessPoolExecutor(
                    size,
                    mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_worker_start,
                    initargs=(_settings_module(),),
                )
                self.size = size
                self.started = False
            self.users += 1
            return self.executor

    def mark_started(self, executor: ProcessPoolExecutor) -> None:
        """A task of `executor` came back: its workers are up (unless another pool has replaced it)."""
        with self.lock:
            if executor is self.executor:
                self.started = True

    def release(self, executor: ProcessPoolExecutor, *, broken: bool) -> None:
        with self.lock:
            self.users -= 1
            if executor is not self.executor:
                return
            if broken:
                self._drop()
            elif self.users == 0:
                self.idle = threading.Timer(IDLE_SECONDS, self.shutdown)
                self.idle.daemon = True
                self.idle.start()

    def shutdown(self) -> None:
        with self.lock:
            if self.users == 0:
                self._drop()

    def _drop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = None
        self.started = False


_pool = _Pool()
atexit.register(_pool.shutdown)


def workbooks_read(
    members: Sequence[Member], *, workers: int, this_year: int, steal: bool = True
) -> list[ParsedWorkbook]:
    """Read the workbooks with `workers` processes helping this one (0: this one alone); the results in the
    members' order.

    Without `steal`, this process leaves every chunk to the workers (unless the pool fails)."""
    if workers <= 0:
        return _read_chunk(members, this_year)
    language = translation.get_language()
    chunks = [members[start : start + CHUNK_FILES] for start in range(0, len(members), CHUNK_FILES)]
    results: list[list[ParsedWorkbook] | None] = [None] * len(chunks)
    futures: list[Future[list[ParsedWorkbook]] | None] = [None] * len(chunks)
    broken = False
    try:
        executor = _pool.acquire(workers)
    except _POOL_FAILURES:
        logger.warning("The import's reading workers cannot start; reading in this process", exc_info=True)
        return [parsed for chunk in chunks for parsed in _read_chunk(chunk, this_year)]
    try:
        try:
            for index, chunk in enumerate(chunks):
                futures[index] = executor.submit(_worker_read_chunk, language, this_year, chunk)
        except _POOL_FAILURES:
            broken = True
        # The workers take chunks from the start; this process reads from the end those none has taken.
        taken: list[int] = []
        for index in reversed(range(len(chunks))):
            future = futures[index]
            if future is None or (steal and future.cancel()):
                results[index] = _read_chunk(chunks[index], this_year)
            else:
                taken.append(index)
        for index in taken:  # from the end: the chunks the workers took last
            future = futures[index]
            assert future is not None
            if steal and not future.done() and not _pool.started:  # the workers are still starting
                results[index] = _read_chunk(chunks[index], this_year)
                continue
            try:
                results[index] = future.result()
            except _POOL_FAILURES:
                broken = True
                results[index] = _read_chunk(chunks[index], this_year)
        if any(f is not None and f.done() and not f.cancelled() and f.exception() is None for f in futures):
            _pool.mark_started(executor)
        if broken:
            logger.warning("The import's reading workers failed; the rest was read in this process")
    finally:
        for future in futures:
            if future is not None:
                future.cancel()
        _pool.release(executor, broken=broken)
    return [parsed for chunk_results in results if chunk_results is not None for parsed in chunk_results]
