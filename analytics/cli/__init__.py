"""`opora-analytics`: the analysts' command line, on files in the canonical format, without the web database.

    opora-analytics identify --results DIR --year 2025 [--context FILE] [--areas FILE]
        [--methodology FILE] [--previous-lists DIR] [--out DIR] [--format parquet|csv|xlsx]
    opora-analytics methodology [--out FILE] [--bare]
    opora-analytics validate DIR [--context FILE] [--areas FILE]

The input files are the canonical tables of `analytics.schema`, named by their table (a file name starts
with the table name: ``pupil_results.csv``, ``pupil_results_2024.parquet``; or a folder named after the
table): Parquet, CSV (UTF-8 or Windows-1251, «;», «,» or tab between cells, detected) or XLSX (the first
visible sheet). Several files of one table are concatenated. `identify` calls the same `identify` as the web
product's runs, so the same files and methodology give the same findings and lists; the outputs and
``run.json`` (methodology, input fingerprint, counts, timings) are described in docs/analytics/README.md.

Messages are Russian: the users are the region's analysts. An error in the inputs (a missing folder, an
unreadable file, a schema problem, a bad methodology) is one clear message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from analytics.cli.common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    FORMATS,
    LIST_TITLES,
    PROG,
    TABLES,
    CliError,
    Progress,
    _out,
    rows_text,
    schools_text,
)
from analytics.cli.documents import load_methodology, load_previous_lists, methodology_document
from analytics.cli.fingerprint import input_fingerprint, table_fingerprint
from analytics.cli.reading import (
    Inputs,
    _collect_files,
    _first_line,
    _unplaced_schools,
    in_canonical_order,
    load_tables,
    read_table_file,
)
from analytics.cli.writing import _json_text, _version, write_outputs
from analytics.identify import Identification, identify
from analytics.methodology import Methodology
from analytics.tables import identify_inputs
from analytics.text import number_text

__all__ = ["CliError", "input_fingerprint", "load_methodology", "main", "read_table_file"]

# --- commands ----------------------------------------------------------------------------------------


def _command_identify(args: argparse.Namespace, progress: Progress) -> int:
    started = time.perf_counter()
    year: int = args.year
    if not 2000 <= year <= 2100:
        raise CliError(f"Год {year} вне диапазона 2000–2100")
    out: Path = args.out or Path(f"identification-{year}")
    if out.exists() and not out.is_dir():
        raise CliError(f"{out}: это не папка")

    methodology, methodology_dict = load_methodology(args.methodology)
    progress.say(f"Методика: {args.methodology or 'по умолчанию'}")
    with progress.step("read", f"Чтение файлов из {args.results}"):
        files = _collect_files(args.results, args.context, args.areas, progress)
        if "school_areas" not in files:
            raise CliError(
                "Нет таблицы school_areas (школа → муниципалитет): "
                f"положите school_areas.csv в {args.results} или укажите --areas FILE"
            )
        if not any(table in files for table in ("pupil_results", "school_aggregates")):
            progress.say(
                "  внимание: нет ни pupil_results, ни school_aggregates — методы по результатам не применятся"
            )
        inputs = load_tables(files, progress)
    _warn_unplaced(inputs.frames, progress)
    previous = None
    if args.previous_lists is not None:
        with progress.step("previous_lists", f"Списки прошлого цикла из {args.previous_lists}"):
            previous = load_previous_lists(args.previous_lists, year, progress)
    frames = inputs.frames
    with progress.step("inputs", "Показатели школ"):
        identify_input = in_canonical_order(
            identify_inputs(
                areas=frames["school_areas"],
                pupil_results=frames.get("pupil_results"),
                task_scores=frames.get("task_scores"),
                school_aggregates=frames.get("school_aggregates"),
                context=frames.get("school_context"),
                year=year,
                # The tables were validated with every value check when they were read.
                check_values=False,
            )
        )
        years = set(identify_input.indicators["year"].unique().to_list())
        progress.say(f"  {rows_text(identify_input.indicators.height)} показателей школ")
        if year not in years:
            progress.say(f"  внимание: в результатах нет данных за {year} г.")
    with progress.step("identify", f"Выявление за {year} г."):
        result = identify(identify_input, methodology, year=year, previous_lists=previous)
    with progress.step("write", f"Запись результатов в {out} ({args.format})"):
        out.mkdir(parents=True, exist_ok=True)
        written = write_outputs(result, out, args.format)
        run = _run_record(args, inputs, methodology_dict, result, previous, written, progress)
        run["duration_seconds"] = round(time.perf_counter() - started, 3)
        (out / "run.json").write_text(_json_text(run), encoding="utf-8")
    _summary(result, out, run)
    return EXIT_OK


def _warn_unplaced(frames: Mapping[str, pl.DataFrame], progress: Progress) -> None:
    unplaced = _unplaced_schools(frames)
    if unplaced:
        shown = ", ".join(unplaced[:5]) + (" …" if len(unplaced) > 5 else "")
        progress.say(f"  внимание: {schools_text(len(unplaced))} нет в school_areas ({shown})")


def _run_record(
    args: argparse.Namespace,
    inputs: Inputs,
    methodology: dict[str, Any],
    result: Identification,
    previous: Mapping[str, pl.DataFrame] | None,
    written: list[Path],
    progress: Progress,
) -> dict[str, Any]:
    findings = result.findings
    counts: dict[str, dict[str, int]] = {}
    for method, status, count in (
        findings.group_by("method", "status").len().sort("method", "status").iter_rows()
    ):
        counts.setdefault(method, {})[str(status)] = count
    return {
        "tool": PROG,
        "version": _version(),
        "command": "identify",
        "year": result.year,
        "input_fingerprint": input_fingerprint(inputs.frames),
        "inputs": {
            table: {
                "files": [str(path) for path in inputs.files.get(table, [])],
                "rows": frame.height,
                "sha256": table_fingerprint(frame, table),
            }
            for table, frame in inputs.frames.items()
        },
        "methodology_file": str(args.methodology) if args.methodology else None,
        "methodology_sha256": hashlib.sha256(json.dumps(methodology, sort_keys=True).encode()).hexdigest(),
        "methodology": methodology,
        "previous_lists": (
            None
            if previous is None
            else {
                "directory": str(args.previous_lists),
                "schools": {k: v.height for k, v in previous.items()},
            }
        ),
        "format": args.format,
        "counts": {
            "schools": inputs.frames["school_areas"].height,
            "findings": counts,
            "lists": {kind: frame.height for kind, frame in result.lists.items()},
        },
        "outputs": [path.name for path in written] + ["run.json"],
        "steps_seconds": dict(progress.timings),
    }


def _summary(result: Identification, out: Path, run: Mapping[str, Any]) -> None:
    _out(f"Выявление за {result.year} г. завершено: {out}")
    for kind, frame in result.lists.items():
        members = frame.height
        kept = frame.filter(~pl.col("meets_rule").fill_null(False)).height
        suffix = f", из них {number_text(kept)} по правилу выхода из списка" if kept else ""
        _out(f"  {LIST_TITLES.get(kind, kind)}: {schools_text(members)}{suffix}")
    _out(f"  отпечаток входных данных: {run['input_fingerprint']}")


def _command_methodology(args: argparse.Namespace, progress: Progress) -> int:
    document = Methodology().to_dict() if args.bare else methodology_document(Methodology())
    text = _json_text(document)
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"{args.out}: не удалось записать файл ({error.strerror or error})") from None
    progress.say(f"Методика по умолчанию записана в {args.out}")
    return EXIT_OK


def _command_validate(args: argparse.Namespace, progress: Progress) -> int:
    files = _collect_files(args.directory, args.context, args.areas, progress)
    if not files:
        raise CliError(f"В папке {args.directory} нет файлов канонических таблиц ({', '.join(TABLES)})")
    inputs = load_tables(files, progress)
    for table, frame in inputs.frames.items():
        _out(f"{table}: {rows_text(frame.height)}, файлов: {len(inputs.files[table])}")
    absent = [table for table in TABLES if table not in inputs.frames]
    if absent:
        _out(f"нет таблиц: {', '.join(absent)}")
    _warn_unplaced(inputs.frames, progress)
    _out(f"Ошибок не найдено. Отпечаток входных данных: {input_fingerprint(inputs.frames)}")
    return EXIT_OK


# --- the parser --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Выявление ШНОР и ШНСУ по файлам в каноническом формате Опоры, без веб-базы.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    parser.add_argument("-q", "--quiet", action="store_true", help="не выводить ход работы в stderr")
    parser.add_argument("--traceback", action="store_true", help="при внутренней ошибке показать трассировку")
    commands = parser.add_subparsers(dest="command", required=True, metavar="КОМАНДА")

    run = commands.add_parser("identify", help="выявить школы по файлам и записать результаты")
    run.add_argument("--results", type=Path, required=True, metavar="DIR", help="папка с файлами таблиц")
    run.add_argument(
        "--year", type=int, required=True, help="год выявления (календарный год ВПР), напр. 2025"
    )
    run.add_argument("--context", type=Path, metavar="FILE", help="таблица school_context (иначе из DIR)")
    run.add_argument("--areas", type=Path, metavar="FILE", help="таблица school_areas (иначе из DIR)")
    run.add_argument("--methodology", type=Path, metavar="FILE", help="методика в JSON (иначе по умолчанию)")
    run.add_argument(
        "--previous-lists", type=Path, metavar="DIR", help="папка результатов прошлого года (правило выхода)"
    )
    run.add_argument(
        "--out", type=Path, metavar="DIR", help="папка для результатов (иначе identification-ГОД)"
    )
    run.add_argument(
        "--format", choices=FORMATS, default="parquet", help="формат таблиц (по умолчанию parquet)"
    )
    run.set_defaults(handler=_command_identify)

    method = commands.add_parser("methodology", help="вывести методику по умолчанию в JSON с подписями")
    method.add_argument("--out", type=Path, metavar="FILE", help="записать в файл, а не в stdout")
    method.add_argument("--bare", action="store_true", help="только значения, без подписей")
    method.set_defaults(handler=_command_methodology)

    check = commands.add_parser("validate", help="проверить файлы папки по каноническим схемам")
    check.add_argument("directory", type=Path, metavar="DIR", help="папка с файлами таблиц")
    check.add_argument("--context", type=Path, metavar="FILE", help="таблица school_context")
    check.add_argument("--areas", type=Path, metavar="FILE", help="таблица school_areas")
    check.set_defaults(handler=_command_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `opora-analytics`; returns the exit code (0 done, 2 a problem with the inputs, 1 a defect)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed by argparse
        return exit_.code if isinstance(exit_.code, int) else EXIT_INPUT
    progress = Progress(quiet=args.quiet)
    handler: Callable[[argparse.Namespace, Progress], int] = args.handler
    try:
        return handler(args, progress)
    except CliError as error:
        sys.stderr.write(f"{PROG}: ошибка: {error}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: прервано\n")
        return 130
    except Exception as error:  # a defect, not the user's input: say so without a traceback
        if args.traceback:
            raise
        sys.stderr.write(
            f"{PROG}: внутренняя ошибка ({type(error).__name__}: {_first_line(error)}). "
            "Сообщите разработчикам Опоры, приложив команду и её вывод с --traceback.\n"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
