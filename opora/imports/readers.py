"""Read a CSV or spreadsheet file into a table of text cells; every importer starts here.

The format is decided by the file's content, never by its name: a ZIP container is XLSX (or ODS), an OLE2
container is a legacy XLS, anything else must be text CSV. CSV is streamed: its encoding (UTF-8, UTF-8
with BOM, Windows-1251) and delimiter (`,` `;` or tab) are detected, then rows are decoded as they are
read, so a large file is never held in memory twice. Spreadsheets are read whole by python-calamine.

Cells come back as text exactly as written (numbers as `12`, `55.75`; dates as ISO); callers strip and
parse. Fully empty rows are skipped, but every row keeps its 1-based number in the file, so an error
message can send the user to the right line.
"""

import codecs
import csv
import datetime
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, cast

import python_calamine
from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Formats people upload by mistake, with a name the message can give.
_KNOWN_BINARY = [
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"\x1f\x8b", "GZIP"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"{\\rtf", "RTF"),
]
CSV_ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")
CSV_DELIMITERS = (";", ",", "\t")
_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024
csv.field_size_limit(16 * 1024 * 1024)


class ReaderError(Exception):
    """The file cannot be read as a table; the message is for the user, in their language."""

    def __init__(self, message: str, *, file_name: str, sheet: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file_name = file_name
        self.sheet = sheet


class EmptyFileError(ReaderError):
    pass


class UnsupportedFileError(ReaderError):
    """Not a CSV or spreadsheet at all (an image, a PDF, an archive), or a text in an unknown encoding."""


class UnreadableFileError(ReaderError):
    """Looks like a spreadsheet or CSV but is damaged, encrypted or malformed."""


class SheetNotFoundError(ReaderError):
    pass


class NoHeaderError(ReaderError):
    pass


@dataclass(frozen=True)
class Row:
    number: int  # 1-based row (CSV: line) number in the file
    cells: tuple[str, ...]

    def get(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""


# (file row number, cells) for every row of the file, empty ones included.
RecordSource = Callable[[], Iterator[tuple[int, list[str]]]]


@dataclass
class Table:
    """A header and the rows below it; iterate it (as many times as needed) for the non-empty rows."""

    file_name: str
    sheet: str | None  # None for CSV
    format: str  # "csv", "xlsx" or "xls"
    header: tuple[str, ...]
    header_row: int
    encoding: str | None
    delimiter: str | None
    _records: RecordSource

    def __iter__(self) -> Iterator[Row]:
        for number, cells in self._records():
            if number <= self.header_row or _is_empty(cells):
                continue
            yield Row(number, tuple(cells))


def _is_empty(cells: Sequence[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def read_table(
    source: IO[bytes],
    *,
    file_name: str,
    sheet: str | None = None,
    header_match: Callable[[Sequence[str]], bool] | None = None,
    header_search_rows: int = 20,
) -> Table:
    """Open `source` (a binary file object, seekable) as a table.

    The header is the first non-empty row; with `header_match`, the first of the first
    `header_search_rows` non-empty rows it accepts (title lines above the header are common), falling back
    to the first non-empty row so that the caller can report which of its columns are missing.
    Raises a ReaderError subclass with a message for the user.
    """
    source.seek(0)
    head = source.read(_SNIFF_BYTES)
    source.seek(0)
    if not head:
        raise EmptyFileError(_("the file is empty"), file_name=file_name)
    if head.startswith((ZIP_MAGIC, OLE2_MAGIC)):
        return _read_workbook(
            source,
            file_name=file_name,
            file_format="xlsx" if head.startswith(ZIP_MAGIC) else "xls",
            sheet=sheet,
            header_match=header_match,
            header_search_rows=header_search_rows,
        )
    for magic, name in _KNOWN_BINARY:
        if head.startswith(magic):
            raise UnsupportedFileError(
                _("the file is not a table: it looks like a %(format)s file. Upload CSV or Excel (XLSX).")
                % {"format": name},
                file_name=file_name,
            )
    if b"\x00" in head:
        raise UnsupportedFileError(
            _(
                "the file is not a CSV or Excel table (or it is a text in UTF-16). "
                "Save it as CSV (UTF-8 or Windows-1251) or as XLSX."
            ),
            file_name=file_name,
        )
    return _read_csv(
        source, head, file_name=file_name, header_match=header_match, header_search_rows=header_search_rows
    )


def _find_header(
    records: Iterator[tuple[int, list[str]]],
    *,
    header_match: Callable[[Sequence[str]], bool] | None,
    header_search_rows: int,
) -> tuple[int, list[str]] | None:
    first: tuple[int, list[str]] | None = None
    seen = 0
    for number, cells in records:
        if _is_empty(cells):
            continue
        if first is None:
            first = (number, cells)
        if header_match is None or header_match(cells):
            return number, cells
        seen += 1
        if seen >= header_search_rows:
            break
    return first


# --- CSV ---------------------------------------------------------------------------------------------


def detect_encoding(source: IO[bytes], head: bytes) -> str:
    """The first of UTF-8 (with or without BOM) and Windows-1251 that decodes the whole file strictly."""
    if head.startswith(codecs.BOM_UTF8):
        candidates: Sequence[str] = ("utf-8-sig", "cp1251")
    else:
        candidates = ("utf-8", "cp1251")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        source.seek(0)
        try:
            while chunk := source.read(_CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            source.seek(0)
        return encoding
    raise UnsupportedFileError(
        _("the text encoding of the file is not recognised: save it as CSV in UTF-8 or Windows-1251"),
        file_name=getattr(source, "name", "") or "",
    )


def detect_delimiter(text: str) -> str:
    """The candidate that splits the first non-empty record into the most fields (`,` when none does)."""
    best, best_count = ",", 1
    for delimiter in CSV_DELIMITERS:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if not delimiter.join(record).strip():  # a blank line, whatever the delimiter
                continue
            if len(record) > best_count:
                best, best_count = delimiter, len(record)
            break
    return best


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    return controls > max(2, len(text) // 100)


def _read_csv(
    source: IO[bytes],
    head: bytes,
    *,
    file_name: str,
    header_match: Callable[[Sequence[str]], bool] | None,
    header_search_rows: int,
) -> Table:
    try:
        encoding = detect_encoding(source, head)
    except UnsupportedFileError as error:
        error.file_name = file_name
        raise
    sample = head.decode(encoding, errors="ignore")
    if _looks_binary(sample):
        raise UnsupportedFileError(
            _("the file is not a CSV or Excel table. Upload CSV or Excel (XLSX)."), file_name=file_name
        )
    delimiter = detect_delimiter(sample)

    def records() -> Iterator[tuple[int, list[str]]]:
        source.seek(0)
        text = io.TextIOWrapper(source, encoding=encoding, newline="")
        try:
            reader = csv.reader(text, delimiter=delimiter, strict=False)
            previous_line = 0
            for cells in reader:
                yield previous_line + 1, cells
                previous_line = reader.line_num
        except csv.Error as error:
            raise UnreadableFileError(
                _("the CSV file is malformed near line %(line)s: %(error)s")
                % {"line": previous_line + 1, "error": error},
                file_name=file_name,
            ) from None
        finally:
            text.detach()  # the caller owns the file: do not close it

    found = _find_header(records(), header_match=header_match, header_search_rows=header_search_rows)
    if found is None:
        raise NoHeaderError(_("the file has no header row: it holds no data"), file_name=file_name)
    number, header = found
    return Table(file_name, None, "csv", tuple(header), number, encoding, delimiter, records)


# --- Spreadsheets ------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def read_workbook_grid(
    source: IO[bytes], *, file_name: str, sheet: str | None = None
) -> tuple[str, list[list[str]]]:
    """A sheet (the first visible one unless named) as rows of text cells, merged ranges filled.

    Raises UnreadableFileError for a damaged or password-protected workbook, SheetNotFoundError for a
    missing sheet.
    """
    sheet_name, values = read_workbook_values(source, file_name=file_name, sheet=sheet)
    return sheet_name, [[cell_text(v) for v in row] for row in values]


def read_workbook_values(
    source: IO[bytes], *, file_name: str, sheet: str | None = None
) -> tuple[str, list[list[object]]]:
    """As read_workbook_grid, but the cells as calamine gives them: str ("" when empty), float, int,
    bool, date or time. A reader of many numbers tests them as numbers instead of parsing their text."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(source)
    except python_calamine.PasswordError:
        raise UnreadableFileError(
            _("the workbook is protected by a password: remove the password and upload it again"),
            file_name=file_name,
        ) from None
    except Exception:  # calamine raises several unrelated types for damaged or foreign containers
        raise UnreadableFileError(
            _("the file cannot be read as an Excel workbook (XLSX or XLS): it is damaged or of another kind"),
            file_name=file_name,
        ) from None
    with workbook:
        sheet_name = sheet if sheet is not None else _first_visible_sheet(workbook)
        if sheet_name not in workbook.sheet_names:
            raise SheetNotFoundError(
                _("the workbook has no sheet «%(sheet)s»; its sheets: %(sheets)s")
                % {"sheet": sheet_name, "sheets": ", ".join(f"«{n}»" for n in workbook.sheet_names)},
                file_name=file_name,
                sheet=sheet,
            )
        try:
            worksheet = workbook.get_sheet_by_name(sheet_name)
            grid = cast(list[list[object]], worksheet.to_python(skip_empty_area=False))
            merged = worksheet.merged_cell_ranges or []
        except Exception:
            raise UnreadableFileError(
                _("the sheet cannot be read: the workbook is damaged"), file_name=file_name, sheet=sheet_name
            ) from None
    _fill_merged(grid, merged)
    return sheet_name, grid


def _read_workbook(
    source: IO[bytes],
    *,
    file_name: str,
    file_format: str,
    sheet: str | None,
    header_match: Callable[[Sequence[str]], bool] | None,
    header_search_rows: int,
) -> Table:
    sheet_name, grid = read_workbook_grid(source, file_name=file_name, sheet=sheet)

    def records() -> Iterator[tuple[int, list[str]]]:
        for index, cells in enumerate(grid):
            yield index + 1, cells

    found = _find_header(records(), header_match=header_match, header_search_rows=header_search_rows)
    if found is None:
        raise NoHeaderError(
            _("the sheet has no header row: it holds no data"), file_name=file_name, sheet=sheet_name
        )
    number, header = found
    return Table(file_name, sheet_name, file_format, tuple(header), number, None, None, records)


def _first_visible_sheet(workbook: python_calamine.CalamineWorkbook) -> str:
    for meta in workbook.sheets_metadata:
        if (
            meta.visible == python_calamine.SheetVisibleEnum.Visible
            and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ):
            return meta.name
    return workbook.sheet_names[0] if workbook.sheet_names else ""


def _fill_merged(grid: list[list[object]], merged: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Give every cell of a merged range the value of its top-left cell, as a reader of the sheet sees it."""
    width = max((len(row) for row in grid), default=0)
    for (top, left), (bottom, right) in merged:
        width = max(width, right + 1)
        while len(grid) <= bottom:
            grid.append([])
        value = grid[top][left] if left < len(grid[top]) else ""
        for r in range(top, bottom + 1):
            row = grid[r]
            if len(row) <= right:
                row.extend([""] * (right + 1 - len(row)))
            for c in range(left, right + 1):
                row[c] = value
