"""Time the ВПР import of a generated region against python-calamine alone (not a test).

Usage:
    .venv/bin/python benchmarks/gen_vpr_files.py /tmp/bench-vpr
    .venv/bin/python benchmarks/bench_import.py /tmp/bench-vpr [--db sqlite postgres] [--mode files zip]
        [--pg postgresql://postgres@127.0.0.1:5432] [--profile /tmp/import.prof]

(a) The baseline: python-calamine alone reads every file (open the workbook, its first sheet, to_python);
the issue's ratio is to this figure. When a job's workbooks are read by several processes (the setting
`OPORA_IMPORT_WORKERS`, by default the CPUs), calamine alone is timed again in as many processes (a pool
started before the clock), and the importer's reading with its workers (their start included): the second
ratio, to calamine in as many processes, is what is left beyond reading.
(b) The import through the real path, `opora import-results` (the management command): `files` makes one
job per file, as the CLI does with a folder; `zip` puts every file into one ZIP (stored, built before the
clock starts) and imports it as one job; `page` imports that ZIP as the upload page does, through the job
services (create, check, commit) with no batch around them, so that the indicators are recomputed inside
the commit's transaction. Each (database, mode) runs in a child process on a fresh
database: a new SQLite file, or a PostgreSQL database created for the run and dropped after it; migrations
run and the demo region of the manifest (`demo_build`) is built before the clock starts. The import is
made as the demo `region` user. `--profile` writes a cProfile of the first run's import (of its main
process: the reading workers' time is not in it).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = "postgresql://postgres@127.0.0.1:5432"


def _load() -> str:
    """The load averages (1, 5, 15 min) at the time of a figure: other work shares the machine."""
    return "load " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def xlsx_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.xlsx"))


def calamine_baseline(paths: list[Path]) -> tuple[float, int]:
    """Seconds for python-calamine alone to read every file, and the rows it returned."""
    import python_calamine

    rows = 0
    started = time.perf_counter()
    for path in paths:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        rows += len(workbook.get_sheet_by_index(0).to_python())
        workbook.close()
    return time.perf_counter() - started, rows


def _calamine_rows(paths: list[Path]) -> int:
    import python_calamine

    rows = 0
    for path in paths:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        rows += len(workbook.get_sheet_by_index(0).to_python())
        workbook.close()
    return rows


def calamine_processes(paths: list[Path], processes: int) -> tuple[float, int]:
    """As calamine_baseline, the files shared by `processes` processes (started and warmed before the
    clock), in chunks as the importer shares them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from opora.imports.fis_oko.pool import CHUNK_FILES

    chunks = [paths[start : start + CHUNK_FILES] for start in range(0, len(paths), CHUNK_FILES)]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        list(pool.map(_calamine_rows, [paths[:1]] * processes * 2))
        started = time.perf_counter()
        rows = sum(pool.map(_calamine_rows, chunks))
        return time.perf_counter() - started, rows


def parse_only(paths: list[Path]) -> float:
    """Seconds for the importer's reading without a database: bytes → grid → checked VprFile."""
    import hashlib

    from opora.imports.fis_oko.parse import parse_vpr_workbook

    started = time.perf_counter()
    for path in paths:
        data = path.read_bytes()
        parse_vpr_workbook(data, file_name=path.name, sha256=hashlib.sha256(data).hexdigest())
    return time.perf_counter() - started


def parse_with_workers(paths: list[Path], workers: int) -> float:
    """As parse_only, read by this process and `workers` worker processes (started by the run, as the
    import starts them)."""
    from django.utils import timezone

    from opora.imports.fis_oko.pool import workbooks_read

    started = time.perf_counter()
    members = [(path.name, path.read_bytes()) for path in paths]
    workbooks_read(members, workers=workers, this_year=timezone.localdate().year)
    return time.perf_counter() - started


def child(directory: Path, db: str, mode: str, pg: str, profile: str) -> dict[str, Any]:
    """One timed import on a fresh database (runs in its own process: Django's settings are per process)."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-import-{db}-{mode}-"))
    name = f"opora_bench_import_{mode}"
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"{pg}/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'opora.sqlite3'}"
    os.environ["OPORA_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    # As in production: with DEBUG on, Django keeps the SQL of every query (bulk inserts included).
    os.environ.setdefault("OPORA_DEBUG", "0")
    import django

    django.setup()
    from django.core.management import CommandError, call_command
    from django.db import connection

    from opora.assessments.models import PupilResult
    from opora.demo.build import demo_build

    manifest = json.loads((directory / "manifest.json").read_text())
    try:
        ready = time.perf_counter()
        call_command("migrate", verbosity=0)
        demo_build(seed=manifest["seed"], schools=manifest["region_schools"])
        print(
            f"{db} {mode}: migrated and built the region in {time.perf_counter() - ready:.1f} s",
            file=sys.stderr,
        )
        paths = xlsx_files(directory)
        target = directory
        if mode in {"zip", "page"}:
            target = work / "region.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
                for path in paths:
                    archive.write(path, path.name)
        from opora.imports.fis_oko.pool import workers_for

        workers = workers_for(len(paths)) if mode != "files" else 0  # as the import decides at its start
        out, err = io.StringIO(), io.StringIO()
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        if mode == "page":
            summary = _page_import(target)
        else:
            try:
                call_command("import_results", str(target), user="region", stdout=out, stderr=err)
            except CommandError:
                print(err.getvalue()[-3000:], file=sys.stderr)
                raise
            summary = out.getvalue().strip().splitlines()[-1]
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.dump_stats(profile)
        rows = PupilResult.objects.count()
        vendor = connection.vendor
    finally:
        from django.db import connections

        connections.close_all()
        if db == "postgres":
            import psycopg

            with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
    return {
        "db": vendor,
        "mode": mode,
        "seconds": seconds,
        "rows": rows,
        "summary": summary,
        "workers": workers,
    }


def _page_import(archive: Path) -> str:
    """The ZIP through the job services as the upload page calls them; the committed job's counts."""
    from django.core.files.base import ContentFile

    from opora.accounts.models import User
    from opora.imports.models import ImportJob
    from opora.imports.services import import_job_commit, import_job_create, import_job_validate

    user = User.objects.get(username="region")
    upload = ContentFile(archive.read_bytes(), name=archive.name)
    job = import_job_validate(
        job=import_job_create(user=user, kind=ImportJob.Kind.VPR_RESULTS, uploaded_file=upload)
    )
    job = import_job_commit(job=job, user=user)
    return f"job #{job.pk}: {job.status}, {job.counts}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--mode", nargs="+", choices=["files", "zip", "page"], default=["files", "zip"])
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL server URL, without a database name")
    parser.add_argument("--profile", default="", help="write a cProfile of the first import here")
    parser.add_argument("--child", nargs=2, metavar=("DB", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    directory: Path = args.directory.resolve()
    if args.child:
        result = child(directory, args.child[0], args.child[1], args.pg, args.profile)
        print(json.dumps(result))
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("OPORA_DATA_DIR", tempfile.mkdtemp(prefix="bench-import-"))
    import django

    django.setup()
    manifest = json.loads((directory / "manifest.json").read_text())
    paths = xlsx_files(directory)
    pupils = manifest["pupils"]
    print(f"{len(paths):,} files, {pupils:,} pupil rows, {manifest['bytes'] / 1e6:.1f} MB in {directory}")
    calamine_baseline(paths[:50])  # warm the page cache and the imports
    calamine, grid_rows = calamine_baseline(paths)
    print(
        f"python-calamine alone: {calamine:.2f} s ({grid_rows:,} sheet rows), {pupils / calamine:,.0f} rows/s"
        f"  [{_load()}]"
    )
    from django.conf import settings

    from opora.imports.fis_oko.pool import workers_for

    readers = workers_for(len(paths)) + 1
    print(
        f"reading processes of a job of {len(paths):,} files: {readers} (this one and {readers - 1} "
        f"workers; OPORA_IMPORT_WORKERS={settings.OPORA_IMPORT_WORKERS}, {os.cpu_count()} CPUs)"
    )
    calamine_n = calamine
    if readers > 1:
        calamine_n, _rows = calamine_processes(paths, readers)
        print(
            f"python-calamine alone in {readers} processes: {calamine_n:.2f} s, "
            f"{pupils / calamine_n:,.0f} rows/s  [{_load()}]"
        )
    parsed = parse_only(paths)
    print(
        f"parse only (no database): {parsed:.2f} s, {pupils / parsed:,.0f} rows/s, "
        f"{parsed / calamine:.2f}× calamine  [{_load()}]"
    )
    if readers > 1:
        pooled = parse_with_workers(paths, readers - 1)
        print(
            f"parse only with {readers - 1} workers (no database, their start included): {pooled:.2f} s, "
            f"{pupils / pooled:,.0f} rows/s, {pooled / calamine:.2f}× calamine, "
            f"{pooled / calamine_n:.2f}× calamine in {readers} processes  [{_load()}]"
        )
    print(
        f"{'database':<12}{'mode':<7}{'workers':>8}{'seconds':>9}{'rows/s':>10}{'× calamine':>12}"
        f"{f'× in {readers}':>10}  rows written"
    )
    profile = args.profile
    for db in args.db:
        for mode in args.mode:
            command = [sys.executable, __file__, str(directory), "--child", db, mode, "--pg", args.pg]
            if profile:
                command += ["--profile", profile]
                profile = ""
            env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "OPORA_DATA_DIR"}}
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                print(f"{db} {mode}: failed\n{done.stderr[-3000:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            seconds = result["seconds"]
            rate = result["rows"] / seconds
            print(
                f"{result['db']:<12}{mode:<7}{result['workers']:8}{seconds:9.1f}{rate:10,.0f}"
                f"{seconds / calamine:11.1f}×{seconds / calamine_n:9.1f}×  {result['rows']:,}  [{_load()}]",
                flush=True,
            )
            if result["rows"] != pupils:
                print(f"  expected {pupils:,} rows; the command said: {result['summary']}")
    # The machine is shared: calamine again after the imports shows how much the load moved meanwhile.
    again, _rows = calamine_baseline(paths)
    print(
        f"python-calamine alone, after the imports: {again:.2f} s ({again / calamine:.2f}× the first)"
        f"  [{_load()}]"
    )
    if args.profile:
        stats = pstats.Stats(args.profile)
        stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
