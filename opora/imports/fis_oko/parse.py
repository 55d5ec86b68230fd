"""Read one ФИС ОКО «Индивидуальные результаты» workbook into a typed structure, collecting every problem.

Reading needs no database: what only the database can tell (the school, the subject, the scale, the stored
tasks) is checked by the importer. The header is found by its content, so title lines, meta rows and
merged cells above it may be of any number and shape.
"""

import datetime
import functools
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from opora.imports.errors import RowError
from opora.imports.fis_oko.layout import (
    CLASS,
    CODE,
    JOURNAL_MARK,
    LEFT_COLUMNS,
    LOGIN,
    MARK,
    META_DATE,
    META_MAX_SCORE,
    META_SUBJECT,
    PARTICIPANTS_LABEL,
    PRIMARY_SCORE,
    REQUIRED_COLUMNS,
    RIGHT_COLUMNS,
    VARIANT,
    fold,
)
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
_TITLE = re.compile(
    r"^\s*ВПР\s*(\d{4})\s*(?:г\.?|года?)?\s*[.,:;\-–—]?\s*(.+?)\s*[.,:;\-–—]?\s*(\d{1,2})\s*(?:-?й\s*)?класс",
    re.IGNORECASE,
)
_TASK = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*[а-яa-z]?)\s*\(\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*б\.?\s*\)$")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_EMPTY_SCORES = {"", "x", "х", "-", "–", "—"}
_EMPTY_MARKS = {"", "-", "–", "—", fold("нет отметки"), "x", "х"}
_MARKS = {str(mark): mark for mark in (2, 3, 4, 5)}
_WHOLE_MARKS = {float(mark): mark for mark in (2, 3, 4, 5)}
_LEVELS = {"б": "Б", "базовый": "Б", "п": "П", "повышенный": "П", "в": "В", "высокий": "В", "b": "В"}
_KNOWN = {fold(name): name for name in (*LEFT_COLUMNS, *RIGHT_COLUMNS)}
# The cells above the table and its header repeat from file to file (the same form): folded once each.
_fold_cached = functools.lru_cache(maxsize=4096)(fold)
TEXT_LIMIT = 16
CODE_LIMIT = 64


@dataclass(frozen=True)
class TaskColumn:
    label: str
    max_score: Decimal
    level: str  # Б, П, В or ""
    header: str  # as the file writes it
    index: int  # 0-based column


# A score as read: an int when whole (nearly always), a Decimal when fractional (0,5).
Number = int | Decimal


class PupilLine(NamedTuple):
    """One pupil's row. A named tuple, not a dataclass: a job holds a hundred thousand of them, and the
    reading workers send them back pickled, which a tuple makes ~40 % cheaper to receive."""

    row: int
    code: str
    class_name: str
    variant: str
    scores: tuple[Number | None, ...]  # aligned with the file's tasks; None = not attempted
    primary_score: Number | None
    mark: int | None
    journal_mark: int | None


@dataclass
class VprFile:
    """One school's results in one assessment, as the file states them."""

    file_name: str
    sheet: str
    sha256: str
    year: int
    subject: str
    grade: int
    held_on: datetime.date | None
    max_primary_score: Decimal
    school_login: str
    school_name: str
    participants_declared: int | None
    header_row: int
    tasks: list[TaskColumn]
    pupils: list[PupilLine] = field(default_factory=list)
    # The header text of each column, to name it in messages found after reading (marks against the scale).
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class _Meta:
    subject: str = ""
    subject_row: int | None = None
    max_score: Decimal | None = None
    max_score_row: int | None = None
    held_on: datetime.date | None = None


@dataclass
class ParsedWorkbook:
    file: VprFile | None
    errors: list[RowError]
    warnings: list[RowError]


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
    reader = _SheetReader(file_name, sheet, grid, this_year=this_year)
    vpr_file = reader.run(sha256)
    return ParsedWorkbook(vpr_file, reader.errors, reader.warnings)


def _number(value: object) -> Number | None:
    """A cell read as a number: calamine's floats directly, text through _decimal; None if not one."""
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return Decimal(repr(value)) if value == value else None  # NaN is not a number of the form
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _decimal(cell_text(value))


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _label_of(cells: list[str]) -> tuple[int, str] | None:
    """The first non-empty cell of a row and its position."""
    for index, cell in enumerate(cells):
        if cell.strip():
            return index, cell.strip()
    return None


class _SheetReader:
    """Reads the sheet's cells as calamine gives them: the few rows above the table as text, the pupils'
    numbers as numbers (a float of the sheet is never turned into text only to be parsed back)."""

    def __init__(
        self, file_name: str, sheet: str, grid: list[list[object]], *, this_year: int | None = None
    ) -> None:
        self.file_name = file_name
        self.sheet = sheet
        self.grid = grid
        self.this_year = this_year
        self._text_rows: dict[int, list[str]] = {}
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []

    def _problem(self, row: int | None, column: str, message: str, *, warning: bool = False) -> None:
        problem = RowError(self.file_name, self.sheet, row, column, message)
        (self.warnings if warning else self.errors).append(problem)

    def _cells(self, number: int) -> list[str]:
        """Row `number` (1-based) of the sheet, as text."""
        cells = self._text_rows.get(number)
        if cells is None:
            row = self.grid[number - 1] if 0 < number <= len(self.grid) else []
            cells = self._text_rows[number] = [v if type(v) is str else cell_text(v) for v in row]
        return cells

    def run(self, sha256: str) -> VprFile | None:
        if not any(_filled(cell) for row in self.grid for cell in row):
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
                % {"stated": _plain(max_primary), "sum": _plain(task_sum)},
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
            first = _label_of(self._cells(number))
            if first is None or not fold(first[1]).startswith("впр"):
                continue
            text = re.sub(r"\s+", " ", first[1])
            match = _TITLE.match(text)
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
            first = _label_of(cells)
            if first is None:
                continue
            position, label = first
            name, _sep, inline = label.partition(":")
            key = fold(name)
            value = inline.strip() or next((c.strip() for c in cells[position + 1 :] if c.strip()), "")
            if key == fold(META_SUBJECT) and value:
                meta.subject, meta.subject_row = value, number
            elif key == fold(META_MAX_SCORE) and value:
                score = _decimal(value)
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
                held_on = _date(value)
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
            match = _TASK.match(fold(text))
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

    def _pupils(
        self, header_row: int, index: dict[str, int], tasks: list[TaskColumn], login: str | None
    ) -> list[PupilLine]:
        pupils: list[PupilLine] = []
        first_row_of: dict[str, int] = {}
        code_at, class_at, variant_at = index[CODE], index[CLASS], index.get(VARIANT)
        login_at, primary_at = index.get(LOGIN), index[PRIMARY_SCORE]
        mark_at, journal_at = index[MARK], index.get(JOURNAL_MARK)
        # A whole score is within a task's maximum when within its whole part: compared as ints, not with the
        # Decimal maximum (a float against a Decimal costs ~4 times as much, for every score of the file).
        whole_max = [(task, task.index, int(task.max_score)) for task in tasks]
        for number in range(header_row + 1, len(self.grid) + 1):
            values = self.grid[number - 1]
            width = len(values)
            if not (code_at < width and _filled(values[code_at])) and not any(map(_filled, values)):
                continue
            errors_before = len(self.errors)
            code = _text_at(values, width, code_at)
            if not code:
                self._problem(number, CODE, _("the participant code is empty"))
            elif len(code) > CODE_LIMIT:
                self._problem(number, CODE, _("the participant code is too long"))
            elif (first := first_row_of.setdefault(code, number)) != number:
                self._problem(
                    number,
                    CODE,
                    _("the participant code %(code)s already appears in row %(row)s")
                    % {"code": code, "row": first},
                )
            row_login = _text_at(values, width, login_at)
            if row_login and login and row_login != login and fold(row_login) != login:
                self._problem(
                    number,
                    LOGIN,
                    _("the row belongs to the school %(row)s, the file to %(file)s: one school per file")
                    % {"row": row_login, "file": login},
                )
            class_name, variant = _text_at(values, width, class_at), _text_at(values, width, variant_at)
            for name, given in ((CLASS, class_name), (VARIANT, variant)):
                if len(given) > TEXT_LIMIT:
                    self._problem(
                        number,
                        name,
                        _("the text is longer than %(limit)s characters") % {"limit": TEXT_LIMIT},
                    )
            scores: list[Number | None] = []
            for task, at, most in whole_max:
                value = values[at] if at < width else ""
                # Nearly every cell: a whole number within the task's range, kept as calamine's number.
                if type(value) is float and value.is_integer() and 0 <= value <= most:
                    scores.append(int(value))
                else:
                    scores.append(self._score(number, value, task))
            primary = self._primary(number, values[primary_at] if primary_at < width else "", scores)
            mark = self._mark_at(number, MARK, values, width, mark_at)
            journal = self._mark_at(number, JOURNAL_MARK, values, width, journal_at)
            if len(self.errors) == errors_before:
                pupils.append(
                    PupilLine(number, code, class_name, variant, tuple(scores), primary, mark, journal)
                )
        return pupils

    def _score(self, number: int, value: object, task: TaskColumn) -> Number | None:
        if isinstance(value, float) and value.is_integer():  # nearly every cell: a whole number
            score: Number | None = int(value)
            text = ""
        else:
            text = (value if isinstance(value, str) else cell_text(value)).strip()
            if text in _EMPTY_SCORES or fold(text) in _EMPTY_SCORES:
                return None
            score = _number(value)
            if score is None:
                self._problem(
                    number,
                    task.header,
                    _("the score must be a number, «X» or «-», got «%(value)s»") % {"value": text},
                )
                return None
        assert score is not None
        if score < 0:
            self._problem(
                number,
                task.header,
                _("the score cannot be negative, got «%(value)s»") % {"value": text or cell_text(value)},
            )
        elif score > task.max_score:
            self._problem(
                number,
                task.header,
                _("the score %(score)s is above the task's maximum %(max)s")
                % {"score": text or cell_text(value), "max": _plain(task.max_score)},
            )
        return score

    def _primary(self, number: int, value: object, scores: list[Number | None]) -> Number | None:
        total: Number = sum([s for s in scores if s is not None], 0)
        primary: Number | None
        if type(value) is float and value.is_integer() and value >= 0:  # nearly every row
            primary, text = int(value), ""
        else:
            text = (value if isinstance(value, str) else cell_text(value)).strip()
            if not text or fold(text) in _EMPTY_SCORES:
                self._problem(
                    number,
                    PRIMARY_SCORE,
                    _("the primary score is empty; the sum of the task scores %(sum)s is used")
                    % {"sum": _plain(total)},
                    warning=True,
                )
                return _cents(total)
            primary = _number(value)
            if primary is None or primary < 0:
                self._problem(
                    number,
                    PRIMARY_SCORE,
                    _("the primary score must be a number, got «%(value)s»") % {"value": text},
                )
                return None
        if primary != total:
            self._problem(
                number,
                PRIMARY_SCORE,
                _("the primary score %(primary)s differs from the sum of the task scores %(sum)s")
                % {"primary": text or cell_text(value), "sum": _plain(total)},
                warning=True,
            )
        return _cents(primary)

    def _mark_at(
        self, number: int, column: str, values: list[object], width: int, position: int | None
    ) -> int | None:
        if position is not None and position < width:
            value = values[position]
            if type(value) is float and value in _WHOLE_MARKS:  # nearly every row: calamine's 5.0
                return _WHOLE_MARKS[value]
        return self._mark(number, column, _text_at(values, width, position))

    def _mark(self, number: int, column: str, text: str) -> int | None:
        if text in _MARKS:
            return _MARKS[text]
        if not text:
            return None
        if fold(text) in _EMPTY_MARKS:
            return None
        value = _decimal(text)
        if value is None or value not in (2, 3, 4, 5):
            self._problem(
                number,
                column,
                _("a mark must be 2, 3, 4 or 5 (or «нет отметки»), got «%(value)s»") % {"value": text},
            )
            return None
        return int(value)


def _text_at(values: list[object], width: int, position: int | None) -> str:
    """The cell at `position` of a row of `width` cells as stripped text ("" beyond the row)."""
    if position is None or position >= width:
        return ""
    value = values[position]
    return (value if isinstance(value, str) else cell_text(value)).strip()


def _cents(value: Number) -> Number:
    """A primary score as the database keeps it (two decimals, as the other importers round): the rows a
    batch keeps for its recompute must be the rows it stored."""
    return value if isinstance(value, int) else value.quantize(_CENT, rounding=ROUND_HALF_UP)


_CENT = Decimal("0.01")


def _plain(value: Number) -> str:
    """12, 0,5: a number as the user writes it."""
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def _filled(value: object) -> bool:
    """A cell that holds something (calamine gives "" for an empty one)."""
    return bool(value.strip()) if isinstance(value, str) else value is not None


def _date(value: str) -> datetime.date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d.%m.%y"):
        try:
            return datetime.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    return None
