"""The workbooks of a ZIP read by worker processes give exactly what reading them in this process gives."""

import hashlib
from concurrent.futures.process import BrokenProcessPool

import pytest
from django.core.exceptions import AppRegistryNotReady
from django.utils import timezone, translation

from opora.imports.fis_oko import importer, pool
from opora.imports.fis_oko.importer import read_files
from opora.imports.fis_oko.parse import parse_vpr_workbook
from opora.imports.tests.test_fis_oko_vpr import P2, SHEET, edited, errors_of, vpr_bytes, vpr_job, zip_bytes

pytestmark = pytest.mark.django_db

FILES = 20  # more than two chunks of pool.CHUNK_FILES, with a last one not full


def archive(cast) -> bytes:
    """Twenty workbooks of three schools and two subjects, one of them broken (a score above the maximum),
    and a member that is not a workbook."""
    schools = [cast.school, cast.sibling, cast.neighbour_school]
    members = {
        f"впр/{index:02d}.xlsx": vpr_bytes(
            schools[index % 3], subject="Русский язык" if index % 2 else "Математика", grade=5 + index // 6
        )
        for index in range(FILES)
    }
    members["впр/13.xlsx"] = edited(members["впр/13.xlsx"], {(P2, 8): 7})
    members["впр/readme.txt"] = b"hello"
    return zip_bytes(members)


@pytest.fixture
def forced_pool(settings):
    """The pool on for any archive of two workbooks or more, whatever the machine's CPUs."""
    settings.OPORA_IMPORT_WORKERS = 3
    settings.OPORA_IMPORT_WORKERS_MIN_FILES = 2
    importer._READ_CACHE.clear()
    yield
    importer._READ_CACHE.clear()


def serial(members: list[tuple[str, bytes]]) -> list:
    return [parse_vpr_workbook(c, file_name=n, sha256=hashlib.sha256(c).hexdigest()) for n, c in members]


def test_the_workers_read_what_this_process_reads(cast, forced_pool, monkeypatch):
    members, _errors, _warnings = read_files(archive(cast), file_name="впр.zip")
    assert len(members) == FILES
    expected = serial(members)

    def not_here(*args, **kwargs):
        raise AssertionError("read in the calling process, not by a worker")

    monkeypatch.setattr(pool, "_read_chunk", not_here)  # the workers are other processes: not patched
    year = timezone.localdate().year
    assert pool.workers_for(len(members)) == 2
    got = pool.workbooks_read(members, workers=2, this_year=year, steal=False)
    assert got == expected
    [broken] = [p for p in got if p.errors]
    [error] = broken.errors
    assert (error.file, error.sheet, error.row, error.column) == ("впр.zip/впр/13.xlsx", SHEET, P2, "2 (2б)")
    assert "выше максимума задания" in error.message


def test_a_job_read_with_the_pool_has_the_errors_of_one_read_alone(cast, forced_pool, settings):
    user = cast.users["regional"]
    content = archive(cast)
    pooled = errors_of(vpr_job(user, content, "впр.zip"))
    settings.OPORA_IMPORT_WORKERS = 1
    importer._READ_CACHE.clear()
    alone = errors_of(vpr_job(user, content, "впр.zip"))
    assert pooled == alone
    broken = [e for e in pooled if e["row"] is not None]
    assert [(e["file"], e["sheet"], e["row"], e["column"]) for e in broken] == [
        ("впр.zip/впр/13.xlsx", SHEET, P2, "2 (2б)")
    ]
    assert "выше максимума задания" in broken[0]["message"]


def test_the_title_year_bound_is_the_callers(cast, forced_pool):
    members = [(f"{i}.xlsx", vpr_bytes(cast.school, year=2032)) for i in range(3)]
    [first, *_rest] = pool.workbooks_read(members, workers=2, this_year=2030, steal=False)
    [error] = first.errors
    assert "2032" in error.message and "2031" in error.message  # from 2015 to 2031
    assert not pool.workbooks_read(members, workers=2, this_year=2031, steal=False)[0].errors


def test_it_reads_here_when_the_pool_cannot_start_or_breaks(cast, forced_pool, monkeypatch):
    members, _errors, _warnings = read_files(archive(cast), file_name="впр.zip")
    expected = serial(members)
    year = timezone.localdate().year

    def cannot_start(size):
        raise OSError("no processes left")

    with monkeypatch.context() as patch:
        patch.setattr(pool._pool, "acquire", cannot_start)
        assert pool.workbooks_read(members, workers=2, this_year=year) == expected

    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("a worker died")

    released: list[bool] = []
    monkeypatch.setattr(pool._pool, "acquire", lambda size: Broken())
    monkeypatch.setattr(pool._pool, "release", lambda executor, *, broken: released.append(broken))
    assert pool.workbooks_read(members, workers=2, this_year=year, steal=False) == expected
    assert released == [True]


def test_small_archives_and_one_reader_use_no_pool(settings, monkeypatch):
    settings.OPORA_IMPORT_WORKERS = 4
    settings.OPORA_IMPORT_WORKERS_MIN_FILES = 500
    monkeypatch.setattr(pool._pool, "started", False)
    assert pool.workers_for(499) == 0
    assert pool.workers_for(500) == 3
    monkeypatch.setattr(pool._pool, "started", True)  # a pool already up shares any job of two chunks
    assert pool.workers_for(15) == 0
    assert pool.workers_for(16) == 1  # two chunks: this process and one worker
    settings.OPORA_IMPORT_WORKERS = 1
    assert pool.workers_for(1000) == 0


def test_a_pool_is_kept_for_smaller_jobs_and_grown_only_when_idle(monkeypatch):
    made: list[int] = []

    class Executor:
        def __init__(self, size, **kwargs):
            made.append(size)

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(pool, "ProcessPoolExecutor", Executor)
    readers = pool._Pool()
    big = readers.acquire(3)
    assert readers.acquire(1) is big  # a smaller job reads with the warm workers
    assert readers.acquire(4) is big  # others are reading: no new pool under them
    for _ in range(3):
        readers.release(big, broken=False)
    grown = readers.acquire(4)
    assert grown is not big and made == [3, 4]
    readers.release(grown, broken=False)
    assert readers.idle is not None
    readers.idle.cancel()
    readers.shutdown()


def test_a_worker_sets_django_up_only_for_a_chunk_with_a_message(monkeypatch):
    # A worker starts without Django's apps: a clean chunk is read as it is; a chunk with a message to
    # translate stops (AppRegistryNotReady), sets Django up once and is read again in the caller's language.
    class Apps:
        ready = False

    apps = Apps()
    setups: list[bool] = []
    reads: list[tuple[bool, str | None]] = []

    def setup() -> None:
        setups.append(True)
        apps.ready = True

    def read(members, this_year):
        reads.append((apps.ready, translation.get_language()))
        [(name, _content)] = members
        if name == "message.xlsx" and not apps.ready:
            raise AppRegistryNotReady("gettext before setup")
        return [f"read {name} of {this_year}"]

    monkeypatch.setattr(pool, "apps", apps)
    monkeypatch.setattr(pool.django, "setup", setup)
    monkeypatch.setattr(pool, "_read_chunk", read)
    clean, message = [("clean.xlsx", b"")], [("message.xlsx", b"")]
    assert pool._worker_read_chunk("ru", 2026, clean) == ["read clean.xlsx of 2026"]
    assert setups == []
    assert pool._worker_read_chunk("ru", 2026, message) == ["read message.xlsx of 2026"]
    assert setups == [True]
    assert reads[-1] == (True, "ru")
    assert pool._worker_read_chunk("ru", 2026, message) == ["read message.xlsx of 2026"]
    assert setups == [True]  # once
