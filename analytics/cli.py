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
import io
import json
import math
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import polars as pl
import polars.selectors as cs

from analytics.identify import LIST_METHODS, Identification, IdentifyInputs, identify
from analytics.methodology import SECTIONS, Methodology
from analytics.schema import ASSESSMENT_KEY, SCHEMAS, FrameValidationError, Problem, validate_frame
from analytics.settings_io import SettingsError
from analytics.tables import identify_inputs
from analytics.text import number_text, plural

__all__ = ["CliError", "input_fingerprint", "load_methodology", "main", "read_table_file"]

PROG: Final = "opora-analytics"
#: The tables a results folder may hold, in the order they are read and fingerprinted.
TABLES: Final = ("school_areas", "pupil_results", "task_scores", "school_aggregates", "school_context")
FORMATS: Final = ("parquet", "csv", "xlsx")
READABLE: Final = (".parquet", ".csv", ".xlsx")
EXIT_OK: Final = 0
EXIT_INTERNAL: Final = 1
EXIT_INPUT: Final = 2
#: Rows a worksheet holds, the header included.
XLSX_MAX_ROWS: Final = 1_048_576

LIST_TITLES: Final = {
    "low_results": "ШНОР (низкие результаты)",
    "shnsu": "ШНСУ (неблагоприятные социальные условия)",
    "resilient": "резильентные школы",
    "low_in_good_context": "низкие результаты в благоприятном контексте",
}
STATUS_TITLES: Final = {"flagged": "в списке", "cleared": "нет", "insufficient_data": "недостаточно данных"}


class CliError(Exception):
    """A problem with the user's inputs: its Russian message is all the user sees (exit code 2)."""


# --- messages ----------------------------------------------------------------------------------------


@dataclass
class Progress:
    """Progress lines on stderr: what is read, how many rows, how long each step took."""

    quiet: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, message: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"{message}\n")
            sys.stderr.flush()

    @contextmanager
    def step(self, name: str, title: str) -> Iterator[None]:
        self.say(f"{title}…")
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.timings[name] = round(elapsed, 3)
        self.say(f"  {title}: {seconds_text(elapsed)}")


def seconds_text(value: float) -> str:
    return f"{number_text(value, 2)}\u00a0с"


def rows_text(count: int) -> str:
    return f"{number_text(count)} {plural(count, 'строка', 'строки', 'строк')}"


def schools_text(count: int) -> str:
    return f"{number_text(count)} {plural(count, 'школа', 'школы', 'школ')}"


def _out(message: str) -> None:
    sys.stdout.write(f"{message}\n")


# --- reading -----------------------------------------------------------------------------------------


def read_table_file(path: Path) -> pl.DataFrame:
    """One file as read: Parquet with its types, CSV and XLSX with every cell as text (None when empty).

    Casting text to the canonical types is `validate_frame`'s job: it reads a decimal comma, «X» and «-»
    as no value, and reports every cell it cannot read.
    """
    return _read_table(path)[0]


#: A frame's row (0-based position) → the row of its file a user finds it in.
RowOf = Callable[[int], int]


def _read_table(path: Path) -> tuple[pl.DataFrame, RowOf]:
    """`read_table_file`, and where each row of the frame is in the file: the row a spreadsheet shows
    (the header is row 1) for CSV and XLSX (whose empty rows are skipped), the data row for Parquet."""
    suffix = path.suffix.lower()
    row_of: RowOf
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(path)
            row_of = _after(1)
        elif suffix == ".csv":
            frame = _read_csv(path)
            row_of = _after(2)
        elif suffix == ".xlsx":
            frame, sheet_rows = _read_xlsx(path)
            row_of = sheet_rows.__getitem__
        else:
            raise CliError(f"{path}: неизвестный формат файла (нужен .parquet, .csv или .xlsx)")
    except CliError:
        raise
    except OSError as error:
        raise CliError(f"{path}: файл не читается ({error.strerror or error})") from None
    except Exception as error:  # Polars and calamine raise many unrelated types for a damaged file
        raise CliError(f"{path}: файл не читается как {suffix[1:].upper()} ({_first_line(error)})") from None
    return frame.rename({name: name.strip().lower() for name in frame.columns}), row_of


def _after(first: int) -> RowOf:
    return lambda position: position + first


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")  # every byte decodes: a wrong guess shows up as unknown columns


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_csv(path: Path) -> pl.DataFrame:
    text = _decode(path.read_bytes())
    header = next((line for line in text.splitlines() if line.strip()), "")
    if not header:
        raise CliError(f"{path}: файл пуст")
    return pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        separator=_delimiter(header),
        infer_schema=False,
        quote_char='"',
    )


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # A whole number stored as a float (as spreadsheets store every number) is written without «.0»,
        # so that an id typed as 640001 stays «640001».
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _read_xlsx(path: Path) -> tuple[pl.DataFrame, list[int]]:
    """The first visible sheet, its empty rows skipped, and the sheet row (1-based) of each frame row."""
    import python_calamine  # only an XLSX input needs it

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    visible = [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.visible == python_calamine.SheetVisibleEnum.Visible
    ]
    if not visible:
        raise CliError(f"{path}: в книге нет видимых листов")
    numbered = [
        (number, row)
        for number, row in enumerate(workbook.get_sheet_by_name(visible[0]).to_python(), 1)
        if any(c != "" for c in row)
    ]
    if not numbered:
        raise CliError(f"{path}: лист «{visible[0]}» пуст")
    rows = [row for _, row in numbered]
    header = [_cell_text(cell) or f"column_{index + 1}" for index, cell in enumerate(rows[0])]
    columns = {
        name: [_cell_text(row[index]) if index < len(row) else None for row in rows[1:]]
        for index, name in enumerate(header)
    }
    return pl.DataFrame(columns, schema=dict.fromkeys(header, pl.String)), [
        number for number, _ in numbered[1:]
    ]


def _table_of(name: str) -> str | None:
    stem = name.lower()
    for table in TABLES:
        if stem == table or stem.startswith((f"{table}_", f"{table}-", f"{table}.")):
            return table
    return None


def find_table_files(directory: Path, progress: Progress) -> dict[str, list[Path]]:
    """The files of each table in a folder: named by the table (a prefix), or inside a folder so named."""
    if not directory.exists():
        raise CliError(f"Папка с результатами не найдена: {directory}")
    if not directory.is_dir():
        raise CliError(f"{directory}: это не папка")
    found: dict[str, list[Path]] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        if path.is_dir():
            table = _table_of(path.name)
            if table is not None:
                inner = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in READABLE)
                found.setdefault(table, []).extend(p for p in inner if not p.name.startswith((".", "~$")))
            continue
        table = _table_of(path.stem)
        if path.suffix.lower() not in READABLE or table is None:
            progress.say(f"  пропущен файл {path.name}: имя не начинается с названия таблицы")
            continue
        found.setdefault(table, []).append(path)
    return found


def _problem_text(problem: Problem, schema_name: str, where: Callable[[int], str] | None = None) -> str:
    """The problem in Russian; `where` names the file row of a frame position («строка 7»)."""
    text = _problem_sentence(problem, schema_name)
    if where is None or not problem.positions:
        return text
    places = ", ".join(where(position) for position in problem.positions)
    more = " и др." if (problem.rows or 0) > len(problem.positions) else ""
    return f"{text}; {places}{more}"


def _rows_in(row_of: RowOf) -> Callable[[int], str]:
    return lambda position: f"строка {row_of(position)}"


def _problem_sentence(problem: Problem, schema_name: str) -> str:
    column = f"столбец {problem.column}" if problem.column else "строки"
    examples = f" (например: {', '.join(problem.examples)})" if problem.examples else ""
    count = problem.rows or 0
    if problem.kind == "missing":
        return f"нет обязательного столбца {problem.column}"
    if problem.kind == "dtype":
        return f"{column}: неподходящий тип ({problem.message})"
    if problem.kind == "cast":
        target = SCHEMAS[schema_name].column(problem.column or "").dtype
        return f"{column}: {number_text(count)} знач. не читаются как {target} без потерь{examples}"
    if problem.kind == "null":
        return f"{column}: пустых значений {number_text(count)}, а пустые здесь недопустимы"
    if problem.kind == "domain":
        domain = SCHEMAS[schema_name].column(problem.column or "").domain
        allowed = domain.doc if domain is not None else "—"
        return f"{column}: {number_text(count)} знач. вне допустимых ({allowed}){examples}"
    if problem.kind == "duplicate":
        key = ", ".join(SCHEMAS[schema_name].key)
        repeat = plural(count, "строка повторяет", "строки повторяют", "строк повторяют")
        return f"{number_text(count)} {repeat} ключ ({key})"
    return f"{problem.message}"


def _across(starts: Sequence[tuple[int, Path, RowOf]]) -> Callable[[int], str]:
    """A position in files' rows concatenated → «file.csv, строка 7»."""

    def where(position: int) -> str:
        start, path, row_of = max((s for s in starts if s[0] <= position), key=lambda s: s[0])
        return f"{path.name}, строка {row_of(position - start)}"

    return where


@dataclass
class Inputs:
    """The canonical tables read from the files (validated), and which files each came from."""

    frames: dict[str, pl.DataFrame]
    files: dict[str, list[Path]]


def load_tables(files: Mapping[str, Sequence[Path]], progress: Progress) -> Inputs:
    """Read and validate every file; every problem of every file is collected before failing."""
    problems: list[str] = []
    frames: dict[str, pl.DataFrame] = {}
    for table in TABLES:
        paths = list(files.get(table, ()))
        parts: list[pl.DataFrame] = []
        # Where each part starts in the concatenated frame, its file and its rows.
        starts: list[tuple[int, Path, RowOf]] = []
        for path in paths:
            started = time.perf_counter()
            try:
                raw, row_of = _read_table(path)
                part = validate_frame(raw, table)
            except CliError as error:
                problems.append(str(error))
                continue
            except FrameValidationError as error:
                where = _rows_in(row_of)
                problems.extend(f"{path}: {_problem_text(p, table, where)}" for p in error.problems)
                continue
            elapsed = time.perf_counter() - started
            progress.say(f"  {table}: {path.name} — {rows_text(part.height)} ({seconds_text(elapsed)})")
            starts.append((sum(p.height for p in parts), path, row_of))
            parts.append(part)
        if not parts or len(parts) < len(paths):
            continue
        frame = pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]
        if len(parts) > 1:
            try:
                frame = validate_frame(frame, table)  # a key repeated across files
            except FrameValidationError as error:
                names = ", ".join(path.name for path in paths)
                where = _across(starts)
                problems.extend(
                    f"{table} ({names}): {_problem_text(p, table, where)}" for p in error.problems
                )
                continue
        # Rows in key order: results do not depend on how the rows were ordered or split into files
        # (a mean of floats depends on the order of its terms in the last digit).
        keys = [pl.col(name).cast(pl.String) for name in SCHEMAS[table].key]
        frames[table] = frame.sort(keys, maintain_order=True)
    if problems:
        count = len(problems)
        lines = "\n".join(f"  - {problem}" for problem in problems)
        noun = plural(count, "ошибка", "ошибки", "ошибок")
        raise CliError(f"Файлы не соответствуют каноническому формату: {count} {noun}\n{lines}")
    return Inputs(frames=frames, files={table: list(paths) for table, paths in files.items()})


def _collect_files(results: Path, context: Path | None, areas: Path | None, progress: Progress) -> dict:
    files = find_table_files(results, progress)
    for table, path in (("school_context", context), ("school_areas", areas)):
        if path is None:
            continue
        if not path.is_file():
            raise CliError(f"Файл не найден: {path}")
        files[table] = [path]
    return files


def _unplaced_schools(frames: Mapping[str, pl.DataFrame]) -> list[str]:
    """Schools of the results or context that school_areas does not place in a municipality."""
    areas = frames.get("school_areas")
    if areas is None:
        return []
    ids = [frame.select("school_id") for table, frame in frames.items() if table != "school_areas"]
    if not ids:
        return []
    schools = pl.concat(ids).unique()
    return sorted(schools.join(areas.select("school_id"), on="school_id", how="anti")["school_id"].to_list())


def in_canonical_order(inputs: IdentifyInputs) -> IdentifyInputs:
    """The inputs with their rows in one defined order.

    `identify_inputs` leaves row order undefined (group-bys), and sums of floats depend on the order they
    are added in: without this, two runs on the same files can differ in the last digit of a mean.
    """

    def ordered(frame: pl.DataFrame) -> pl.DataFrame:
        keys = [
            name
            for name in (*ASSESSMENT_KEY, "school_id", "source", "participant", "level")
            if name in frame.columns
        ]
        # Category columns sort as text, whatever order their categories were met in.
        return (
            frame.sort([pl.col(name).cast(pl.String) for name in keys], maintain_order=True)
            if keys
            else frame
        )

    return replace(
        inputs,
        indicators=ordered(inputs.indicators),
        context=ordered(inputs.context),
        pupil_marks=ordered(inputs.pupil_marks),
        level_completion=ordered(inputs.level_completion),
        areas=ordered(inputs.areas),
    )


# --- the fingerprint ---------------------------------------------------------------------------------


def table_fingerprint(frame: pl.DataFrame, table: str) -> str:
    """SHA-256 of a canonical table's content: independent of row order, file format and file split.

    An optional column that holds only nulls is left out, as an absent one is: `validate_frame` adds every
    absent optional column as nulls, so a column added to the schema later does not change the fingerprint
    of the files written before it."""
    schema = SCHEMAS[table]
    empty = {
        column.name
        for column in schema.columns
        if not column.required
        and (column.name not in frame.columns or frame[column.name].null_count() == frame.height)
    }
    canonical = (
        frame.select(name for name in schema.polars_schema.names() if name not in empty)
        .with_columns(cs.categorical().cast(pl.String), cs.enum().cast(pl.String))
        .sort(list(schema.key), nulls_last=True)
    )
    buffer = io.BytesIO()
    canonical.write_csv(buffer)
    return hashlib.sha256(table.encode() + b"\n" + buffer.getvalue()).hexdigest()


def input_fingerprint(frames: Mapping[str, pl.DataFrame]) -> str:
    """SHA-256 over the fingerprints of the tables given (an empty table counts as absent)."""
    digest = hashlib.sha256()
    for table in TABLES:
        frame = frames.get(table)
        if frame is not None and frame.height:
            digest.update(f"{table} {table_fingerprint(frame, table)}\n".encode())
    return digest.hexdigest()


# --- the methodology ---------------------------------------------------------------------------------


def load_methodology(path: Path | None) -> tuple[Methodology, dict[str, Any]]:
    """The methodology of a JSON file (as `Methodology.to_dict()`, or a document with a «methodology»
    object: what `opora-analytics methodology` and run.json write), or the defaults when no file is given."""
    if path is None:
        methodology = Methodology()
        return methodology, methodology.to_dict()
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise CliError(f"Файл методики не найден: {path}") from None
    except OSError as error:
        raise CliError(f"{path}: файл методики не читается ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: файл методики должен быть в кодировке UTF-8") from None
    except json.JSONDecodeError as error:
        raise CliError(
            f"{path}: это не JSON — строка {error.lineno}, столбец {error.colno}: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: методика должна быть объектом JSON {{…}}")
    wrapped = data.get("methodology")
    if isinstance(wrapped, dict) and not any(section in data for section in SECTIONS):
        data = wrapped
    try:
        methodology = Methodology.from_dict(data)
    except SettingsError as error:
        lines = "\n".join(f"  - {problem}" for problem in error.problems)
        raise CliError(f"Ошибки в методике {path} (параметр: что не так):\n{lines}") from None
    return methodology, methodology.to_dict()


def methodology_document(methodology: Methodology) -> dict[str, Any]:
    """The methodology and, for reading, every parameter's label, default and source."""
    parameters: dict[str, Any] = {}
    for parameter in Methodology.parameters():
        entry: dict[str, Any] = {"label": parameter.label, "default": parameter.default}
        if parameter.choices:
            entry["choices"] = list(parameter.choices)
        if parameter.source:
            entry["source"] = parameter.source
        parameters[parameter.name] = entry
    return {
        "comment": (
            "Методика Опоры. Меняйте значения в разделе «methodology»; раздел «parameters» — справка "
            "(подпись, значение по умолчанию, источник) и при чтении не используется. Отсутствующий "
            "параметр принимает значение по умолчанию."
        ),
        "sections": SECTIONS,
        "methodology": methodology.to_dict(),
        "parameters": parameters,
    }


# --- previous lists ----------------------------------------------------------------------------------


def load_previous_lists(directory: Path, year: int, progress: Progress) -> dict[str, pl.DataFrame]:
    """The lists written by the previous cycle's run: list kind → school_id, cycles_without_rule."""
    if not directory.is_dir():
        raise CliError(f"Папка со списками прошлого цикла не найдена: {directory}")
    run = directory / "run.json"
    if run.is_file():
        try:
            previous_year = json.loads(run.read_text(encoding="utf-8")).get("year")
        except (OSError, ValueError, AttributeError):
            previous_year = None
        if isinstance(previous_year, int) and previous_year != year - 1:
            progress.say(
                f"  внимание: списки в {directory} получены за {previous_year} г., а не за {year - 1} г."
            )
    lists: dict[str, pl.DataFrame] = {}
    for kind in LIST_METHODS:
        path = next(
            (
                directory / f"lists_{kind}.{fmt}"
                for fmt in FORMATS
                if (directory / f"lists_{kind}.{fmt}").is_file()
            ),
            None,
        )
        if path is None:
            progress.say(f"  списка lists_{kind} в {directory} нет: считается, что он был пуст")
            continue
        frame = read_table_file(path)
        missing = [name for name in ("school_id", "cycles_without_rule") if name not in frame.columns]
        if missing:
            raise CliError(f"{path}: нет столбца {', '.join(missing)}")
        if "member" in frame.columns:
            member = frame["member"].cast(pl.String).str.to_lowercase()
            frame = frame.filter(member.is_in(["true", "1", "да"]) | member.is_null())
        try:
            lists[kind] = frame.select(
                pl.col("school_id").cast(pl.String),
                pl.col("cycles_without_rule").cast(pl.String).str.strip_chars().cast(pl.Int16),
            )
        except pl.exceptions.PolarsError:
            raise CliError(f"{path}: столбец cycles_without_rule должен содержать целые числа") from None
        progress.say(f"  {path.name}: {schools_text(lists[kind].height)}")
    if not lists:
        raise CliError(f"В папке {directory} нет файлов lists_<вид списка> прошлого цикла")
    return lists


# --- writing -----------------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, pl.DataFrame):
        return _json_safe(value.to_dicts())
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with only scalar columns, for CSV and XLSX: a list of values becomes «a, b», a nested
    value JSON, a category its text; NaN becomes an empty cell."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.List) and not dtype.inner.is_nested():
            columns.append(column.list.eval(pl.element().cast(pl.String)).list.join(", "))
        elif dtype.is_nested():
            columns.append(
                column.map_elements(
                    lambda value: json.dumps(_json_safe(value), ensure_ascii=False),
                    return_dtype=pl.String,
                    skip_nulls=True,
                )
            )
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            columns.append(column.cast(pl.String))
        elif dtype.is_float():
            columns.append(column.fill_nan(None))
        elif dtype.is_temporal() or dtype.is_decimal() or isinstance(dtype, pl.Object):
            columns.append(column.cast(pl.String))
        else:
            columns.append(column)
    return frame.select(columns)


def write_table(frame: pl.DataFrame, directory: Path, name: str, fmt: str) -> Path:
    """One output table: Parquet as is; CSV for Russian Excel («;», decimal comma, UTF-8 with BOM); XLSX."""
    path = directory / f"{name}.{fmt}"
    if fmt == "parquet":
        frame.write_parquet(path, compression="zstd", statistics=False)
    elif fmt == "csv":
        _flat(frame).write_csv(path, separator=";", include_bom=True, decimal_comma=True)
    else:
        _write_xlsx(_flat(frame), path, sheet=name)
    return path


def _write_xlsx(frame: pl.DataFrame, path: Path, *, sheet: str) -> None:
    from openpyxl import Workbook  # only an XLSX output needs it

    if frame.height + 1 > XLSX_MAX_ROWS:
        raise CliError(
            f"{path.name}: {rows_text(frame.height)} не помещаются на лист Excel; "
            "выберите --format parquet или csv"
        )
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(frame.columns)
    for row in frame.iter_rows():
        worksheet.append(row)
    workbook.save(path)


def write_outputs(result: Identification, directory: Path, fmt: str) -> list[Path]:
    """findings, details_<name>, lists_<kind> in the chosen format, and models.json."""
    written = [write_table(result.findings, directory, "findings", fmt)]
    written += [
        write_table(frame, directory, f"details_{name}", fmt) for name, frame in result.details.items()
    ]
    written += [write_table(frame, directory, f"lists_{kind}", fmt) for kind, frame in result.lists.items()]
    models = directory / "models.json"
    models.write_text(_json_text({name: _json_safe(model) for name, model in result.models.items()}), "utf-8")
    written.append(models)
    return written


def _json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _version() -> str:
    try:
        return metadata.version("opora")
    except metadata.PackageNotFoundError:
        return "unknown"


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
