"""The sheet above the table (title, meta rows, the school line, the header) and the whole reading of one
workbook (`parse_vpr_workbook`)."""

import datetime
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from opora.imports.errors import RowError
from opora.imports.fis_oko.layout import (
    CODE,
    LEFT_COLUMNS,
    LOGIN,
    META_DATE,
    META_MAX_SCORE,
    META_SUBJECT,
    PARTICIPANTS_LABEL,
    REQUIRED_COLUMNS,
    RIGHT_COLUMNS,
    fold,
)
from opora.imports.fis_oko.parse.cells import (
    TASK_HEADER,
    TITLE,
    cell_date,
    filled,
    label_of,
    plain,
    text_decimal,
)
from opora.imports.fis_oko.parse.model import ParsedWorkbook, TaskColumn, VprFile
from opora.imports.fis_oko.parse.rows import RowsReader
from opora.imports.readers import (
    OLE2_MAGIC,
    ZIP_MAGIC,
    EmptyFileError,
    ReaderError,
    UnsupportedFileError,
    cell_text,
    read_workbook_values,
)

FIRST_YEAR = 2015
HEADER_SEARCH_ROWS = 60
_LOGIN = re.compile(r"\b(edu\d{6}|sch\d{6,8})\b", re.IGNORECASE)
_PARTICIPANTS = re.compile(PARTICIPANTS_LABEL + r"\s*:?\s*(\d+)", re.IGNORECASE)
_LEVELS = {"б": "Б", "базовый": "Б", "п": "П", "повышенный": "П", "в": "В", "высокий": "В", "b": "В"}
_KNOWN = {fold(name): name for name in (*LEFT_COLUMNS, *RIGHT_COLUMNS)}
# The cells above the table and its header repeat from file to file (the same form): folded once each.
_fold_cached = functools.lru_cache(maxsize=4096)(fold)


@dataclass
class _Meta:
    subject: str = ""
    subject_row: int | None = None
    max_score: Decimal | None = None
    max_score_row: int | None = None
    held_on: datetime.date | None = None


def is_workbook(data: bytes) -> bool:
    """An XLSX container (a ZIP holding a workbook), as opposed to a ZIP archive of files."""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def read_grid(data: bytes, *, file_name: str) -> tuple[str, list[list[object]]]:
    """The first visible sheet as rows of cells as calamine gives them (merged ranges filled); raises
    ReaderError."""
    if not data:
        raise EmptyFileError(_("the file is empty"), file_name=file_name)
    if data.startswith(OLE2_MAGIC):
        raise UnsupportedFileError(
            _(
                "the file is a legacy Excel workbook (XLS). Open it in Excel or LibreOffice, save it as "
                "XLSX and upload it again"
            ),
            file_name=file_name,
        )
    if not data.startswith(ZIP_MAGIC):
        raise UnsupportedFileError(
            _(
                "the file is not an Excel workbook: upload the form «Индивидуальные результаты» as XLSX, "
                "or a ZIP archive of such files"
            ),
            file_name=file_name,
        )
    return read_workbook_values(io.BytesIO(data), file_name=file_name)


def parse_vpr_workbook(
    data: bytes, *, file_name: str, sha256: str, this_year: int | None = None
) -> ParsedWorkbook:
    """Read one workbook of the form; every problem found is returned, never raised.

    `this_year` (today's by default) bounds the year of the title: a worker process is given its caller's.
    """
    try:
        sheet, grid = read_grid(data, file_name=file_name)
    except ReaderError as error:
        return ParsedWorkbook(None, [RowError.from_reader_error(error)], [])
    reader = SheetReader(file_name, sheet, grid, this_year=this_year)
    vpr_file = reader.run(sha256)
    return ParsedWorkbook(vpr_file, reader.errors, reader.warnings)


class SheetReader(RowsReader):
    """The reader of a whole sheet: the few rows above the table and the header, read as text, then the
    pupils' rows. `this_year` bounds the year of the title (today's when None)."""

    def __init__(
        self, file_name: str, sheet: str, grid: list[list[object]], *, this_year: int | None = None
    ) -> None:
        super().__init__(file_name, sheet, grid)
        self.this_year = this_year
        self._text_rows: dict[int, list[str]] = {}

    def _cells(self, number: int) -> list[str]:
        """Row `number` (1-based) of the sheet, as text."""
        cells = self._text_rows.get(number)
        if cells is None:
            row = self.grid[number - 1] if 0 < number <= len(self.grid) else []
            cells = self._text_rows[number] = [v if type(v) is str else cell_text(v) for v in row]
        return cells

    def run(self, sha256: str) -> VprFile | None:
        if not any(filled(cell) for row in self.grid for cell in row):
            self._problem(None, "", _("the sheet is empty: it holds no results"))
            return None
        header_row = self._find_header()
        if header_row is None:
            self._problem(
                None,
                "",
                _(
                    "the header row of the table is not found: expected the columns %(columns)s. "
                    "Upload the form «Индивидуальные результаты» as ФИС ОКО gives it"
                )
                % {"columns": ", ".join(f"«{c}»" for c in (*LEFT_COLUMNS, "1 (2б)", *RIGHT_COLUMNS))},
            )
            return None
        title = self._title(header_row)
        meta = self._meta(header_row)
        login, school_name, participants = self._school_line(header_row)
        columns = self._columns(header_row)
        if columns is None or title is None:
            return None
        index, tasks = columns
        year, title_subject, grade = title
        subject = meta.subject or title_subject
        if meta.subject and fold(meta.subject) != fold(title_subject):
            self._problem(
                meta.subject_row,
                "",
                _("the subject «%(meta)s» differs from the title («%(title)s»); «%(meta)s» is used")
                % {"meta": meta.subject, "title": title_subject},
                warning=True,
            )
        task_sum = sum((t.max_score for t in tasks), Decimal(0))
        max_primary = meta.max_score
        if max_primary is not None and max_primary != task_sum:
            self._problem(
                meta.max_score_row,
                "",
                _(
                    "the maximum primary score %(stated)s differs from the sum of the task maxima "
                    "%(sum)s; %(stated)s is used"
                )
                % {"stated": plain(max_primary), "sum": plain(task_sum)},
                warning=True,
            )
        headers = self._cells(header_row)
        pupils = self._pupils(header_row, index, tasks, login)
        if login is None:
            self._problem(
                None,
                "",
                _(
                    "the school's FIS OKO login (eduNNNNNN or schNNNNNNNN) is found neither above the "
                    "table nor in the column «%(column)s»"
                )
                % {"column": LOGIN},
            )
            return None
        if not pupils and not self.errors:
            self._problem(header_row, "", _("the table has no participants: the file holds no results"))
        if participants is not None and participants != len(pupils) and pupils:
            self._problem(
                None,
                "",
                _("the file states %(stated)s participants, but the table has %(rows)s rows")
                % {"stated": participants, "rows": len(pupils)},
                warning=True,
            )
        return VprFile(
            file_name=self.file_name,
            sheet=self.sheet,
            sha256=sha256,
            year=year,
            subject=subject,
            grade=grade,
            held_on=meta.held_on,
            max_primary_score=max_primary if max_primary is not None else task_sum,
            school_login=login,
            school_name=school_name,
            participants_declared=participants,
            header_row=header_row,
            tasks=tasks,
            pupils=pupils,
            columns={key: headers[i].strip() for key, i in index.items()},
        )

    # --- the area above the table ---------------------------------------------------------------------

    def _find_header(self) -> int | None:
        rows = range(1, min(len(self.grid), HEADER_SEARCH_ROWS) + 1)
        for number in rows:
            known = {_KNOWN[f] for cell in self._cells(number) if (f := _fold_cached(cell)) in _KNOWN}
            if CODE in known and len(known) >= 3:
                return number
        for number in rows:
            known = {_KNOWN[f] for cell in self._cells(number) if (f := _fold_cached(cell)) in _KNOWN}
            if len(known) >= 3:
                return number
        return None

    def _title(self, header_row: int) -> tuple[int, str, int] | None:
        for number in range(1, header_row):
            first = label_of(self._cells(number))
            if first is None or not fold(first[1]).startswith("впр"):
                continue
            text = re.sub(r"\s+", " ", first[1])
            match = TITLE.match(text)
            if match is None:
                self._problem(
                    number,
                    "",
                    _(
                        "the title «%(title)s» cannot be read: expected the year, the subject and the grade, "
                        "as in «ВПР 2025. Математика. 5 класс»"
                    )
                    % {"title": text},
                )
                return None
            year, subject, grade = int(match.group(1)), match.group(2).strip(" .,:;"), int(match.group(3))
            last_year = (self.this_year or timezone.localdate().year) + 1
            problem = False
            if not FIRST_YEAR <= year <= last_year:
                self._problem(
                    number,
                    "",
                    _(
                        "the year %(year)s in the title is impossible: ВПР results are from %(first)s "
                        "to %(last)s"
                    )
                    % {"year": year, "first": FIRST_YEAR, "last": last_year},
                )
                problem = True
            if not 1 <= grade <= 11:
                self._problem(
                    number, "", _("the grade %(grade)s in the title is impossible") % {"grade": grade}
                )
                problem = True
            return None if problem else (year, subject, grade)
        self._problem(
            None,
            "",
            _(
                "the title line is not found above the table: expected a line such as "
                "«ВПР 2025. Математика. 5 класс»"
            ),
        )
        return None

    def _meta(self, header_row: int) -> _Meta:
        meta = _Meta()
        for number in range(1, header_row):
            cells = self._cells(number)
            first = label_of(cells)
            if first is None:
                continue
            position, label = first
            name, _sep, inline = label.partition(":")
            key = fold(name)
            value = inline.strip() or next((c.strip() for c in cells[position + 1 :] if c.strip()), "")
            if key == fold(META_SUBJECT) and value:
                meta.subject, meta.subject_row = value, number
            elif key == fold(META_MAX_SCORE) and value:
                score = text_decimal(value)
                if score is None or score <= 0:
                    self._problem(
                        number,
                        "",
                        _("the maximum primary score must be a positive number, got «%(value)s»")
                        % {"value": value},
                    )
                else:
                    meta.max_score, meta.max_score_row = score, number
            elif key == fold(META_DATE) and value:
                held_on = cell_date(value)
                if held_on is None:
                    self._problem(
                        number,
                        "",
                        _("the date «%(value)s» is not understood (expected dd.mm.yyyy); it is left empty")
                        % {"value": value},
                        warning=True,
                    )
                meta.held_on = held_on
        return meta

    def _school_line(self, header_row: int) -> tuple[str | None, str, int | None]:
        login: str | None = None
        name = ""
        participants: int | None = None
        for number in range(1, header_row):
            seen: set[str] = set()
            for cell in self._cells(number):
                if cell in seen:  # a merged range repeats its text
                    continue
                seen.add(cell)
                if login is None and (match := _LOGIN.search(cell)):
                    login = match.group(1).lower()
                    name = cell[match.end() :].strip(" :-–—,")
                if participants is None and (found := _PARTICIPANTS.search(cell)):
                    participants = int(found.group(1))
        return login, name, participants

    # --- the header -----------------------------------------------------------------------------------

    def _columns(self, header_row: int) -> tuple[dict[str, int], list[TaskColumn]] | None:
        headers = self._cells(header_row)
        levels = self._cells(header_row - 1)
        index: dict[str, int] = {}
        for position, cell in enumerate(headers):
            name = _KNOWN.get(_fold_cached(cell))
            if name is None:
                continue
            if name in index:
                self._problem(header_row, cell.strip(), _("the column appears twice; leave one of them"))
            else:
                index[name] = position
        missing = [name for name in REQUIRED_COLUMNS if name not in index]
        if missing:
            self._problem(
                header_row,
                "",
                _("required columns are missing: %(columns)s")
                % {"columns": ", ".join(f"«{m}»" for m in missing)},
            )
            return None
        left_end = max(index[name] for name in LEFT_COLUMNS if name in index)
        right_start = min(index[name] for name in RIGHT_COLUMNS if name in index)
        tasks: list[TaskColumn] = []
        labels: set[str] = set()
        problems_before = len(self.errors)
        for position in range(left_end + 1, right_start):
            text = headers[position].strip() if position < len(headers) else ""
            if not text:
                continue
            match = TASK_HEADER.match(fold(text))
            if match is None:
                self._problem(
                    header_row,
                    text,
                    _(
                        "a task column must be headed «<task> (<maximum>б)», e.g. «1 (2б)» or «9.1 (1б)»; "
                        "got «%(header)s»"
                    )
                    % {"header": text},
                )
                continue
            label = match.group(1)
            if label in labels:
                self._problem(header_row, text, _("the task %(task)s appears twice") % {"task": label})
                continue
            labels.add(label)
            level_text = levels[position].strip() if position < len(levels) else ""
            level = _LEVELS.get(fold(level_text), "")
            if level_text and not level:
                self._problem(
                    header_row - 1,
                    text,
                    _("unknown task level «%(value)s» (expected Б, П or В); it is left empty")
                    % {"value": level_text},
                    warning=True,
                )
            max_score = Decimal(match.group(2).replace(",", "."))
            if max_score <= 0:
                self._problem(header_row, text, _("the maximum score of a task must be above zero"))
                continue
            tasks.append(TaskColumn(label, max_score, level, text, position))
        if not tasks and len(self.errors) == problems_before:
            self._problem(
                header_row,
                "",
                _("the table has no task columns between «%(left)s» and «%(right)s»")
                % {"left": headers[left_end].strip(), "right": headers[right_start].strip()},
            )
        if len(self.errors) > problems_before:
            return None
        return index, tasks

    # --- the rows -------------------------------------------------------------------------------------
