"""Reading the canonical tables from files, and every problem named with its file, column and row."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from analytics.cli.common import (
    READABLE,
    TABLES,
    CliError,
    Progress,
    rows_text,
    seconds_text,
)
from analytics.identify import IdentifyInputs
from analytics.schema import ASSESSMENT_KEY, SCHEMAS, FrameValidationError, Problem, validate_frame
from analytics.text import number_text, plural

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
            frame, row_of = _read_csv(path)
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


def _read_csv(path: Path) -> tuple[pl.DataFrame, RowOf]:
    text = _decode(path.read_bytes())
    header = next((line for line in text.splitlines() if line.strip()), "")
    if not header:
        raise CliError(f"{path}: файл пуст")
    separator = _delimiter(header)
    frame = pl.read_csv(
        io.BytesIO(text.encode("utf-8")), separator=separator, infer_schema=False, quote_char='"'
    )
    # A blank line (or one of empty cells) is no row, as the web importers read it: not a row of errors.
    filled = frame.select(~pl.all_horizontal(pl.all().is_null())).to_series()
    if filled.all():
        return frame, _csv_lines(text, separator, None)
    return frame.filter(filled), _csv_lines(text, separator, filled.arg_true())


def _csv_lines(text: str, separator: str, kept: pl.Series | None) -> RowOf:
    """The line of the file each data row starts on (blank lines before the header skipped, a quoted cell
    over several lines counted), found only when an error names a row; `kept`: the positions among the
    file's rows of the frame's rows, when rows were left out."""
    starts: list[int] = []

    def row_of(position: int) -> int:
        if not starts:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"')
            header_seen, start = False, 1
            for record in reader:
                if header_seen:
                    starts.append(start)
                header_seen = header_seen or any(cell.strip() for cell in record)
                start = reader.line_num + 1
        row = position if kept is None else int(kept[position])
        return starts[row] if row < len(starts) else row + 2

    return row_of


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
        # The whole sheet from A1 (calamine would start at the first used row): the numbers are the sheet's.
        for number, row in enumerate(
            workbook.get_sheet_by_name(visible[0]).to_python(skip_empty_area=False), 1
        )
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
    if problem.kind == "row":
        breaking = plural(count, "строка нарушает", "строки нарушают", "строк нарушают")
        return f"{number_text(count)} {breaking} правило: {problem.message.split(': ', 1)[-1]}"
    return f"{problem.message}"


def _across(starts: Sequence[tuple[int, Path, RowOf]]) -> Callable[[int], str]:
    """A position in files' rows concatenated → «file.csv, строка 7»."""

    def where(position: int) -> str:
        # The last file starting at or before the position (an empty file shares the next one's start).
        start, path, row_of = next(s for s in reversed(starts) if s[0] <= position)
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
