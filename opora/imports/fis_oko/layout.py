"""The ФИС ОКО form «Индивидуальные результаты» of ВПР: its words, and a writer of the layout.

The words of the form (headers, the title, meta labels) are Russian data, the same whatever the interface
language. The writer produces the layout the importer reads; tests, the demo generator and the benchmark use
it. One file holds one school in one assessment, on its first sheet:

    row 1   «ВПР 2025. Математика. 5 класс»                      (merged across the table's width)
    row 2   Предмет | Математика
    row 3   Максимальный первичный балл | 20
    row 4   Дата | 15.04.2025
    row 5   «edu100000 МБОУ «СОШ № 1»» (merged A:F) | … | «Количество участников: 25» (first task column)
    row 6   (empty)
    row 7   task levels Б / П / В above the task columns
    row 8   ОО | Муниципалитет | Название ОО | Код участника | Класс | Вариант | 1 (2б) | … |
            Первичный балл | Отметка | Отметка по журналу
    row 9…  one row per participant

`preamble` lines, when given, come above the title and shift everything down.
"""

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

# The fixed columns left of the tasks, and right of them, as the form writes them.
LOGIN = "ОО"
MUNICIPALITY = "Муниципалитет"
SCHOOL_NAME = "Название ОО"
CODE = "Код участника"
CLASS = "Класс"
VARIANT = "Вариант"
PRIMARY_SCORE = "Первичный балл"
MARK = "Отметка"
JOURNAL_MARK = "Отметка по журналу"
LEFT_COLUMNS = (LOGIN, MUNICIPALITY, SCHOOL_NAME, CODE, CLASS, VARIANT)
RIGHT_COLUMNS = (PRIMARY_SCORE, MARK, JOURNAL_MARK)
REQUIRED_COLUMNS = (CODE, CLASS, PRIMARY_SCORE, MARK)

META_SUBJECT = "Предмет"
META_MAX_SCORE = "Максимальный первичный балл"
META_DATE = "Дата"
PARTICIPANTS_LABEL = "Количество участников"
NOT_ATTEMPTED = "X"
NO_MARK = "нет отметки"
LEVELS = ("Б", "П", "В")

Score = Decimal | int | float | str | None


@dataclass(frozen=True)
class VprTask:
    label: str  # «1», «9.1»
    max_score: Decimal | int
    level: str = ""  # Б, П, В or empty


@dataclass(frozen=True)
class VprPupil:
    """A participant's row. A score None is written «X» (not attempted); a string is written as is."""

    code: str
    class_name: str
    variant: str
    scores: Sequence[Score]
    primary_score: Score = None  # None: the sum of the numeric scores
    mark: int | str | None = None  # None: «нет отметки»
    journal_mark: int | str | None = None  # None: an empty cell


def task_header(label: str, max_score: Decimal | int) -> str:
    """«1 (2б)», «9.1 (1б)», «4 (0.5б)»: how the form heads a task column."""
    return f"{label} ({_number(max_score)}б)"


def vpr_title(*, year: int, subject: str, grade: int) -> str:
    return f"ВПР {year}. {subject}. {grade} класс"


def _number(value: Decimal | int | float) -> str:
    number = Decimal(str(value))
    return format(number.normalize(), "f") if number == number.to_integral() else format(number, "f")


def _cell(value: Score) -> object:
    if value is None:
        return NOT_ATTEMPTED
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    return value


def _sum(scores: Sequence[Score]) -> Decimal:
    total = Decimal(0)
    for score in scores:
        if isinstance(score, Decimal | int | float) and not isinstance(score, bool):
            total += Decimal(str(score))
    return total


def write_vpr_individual_results(
    path_or_buffer: str | Path | IO[bytes],
    *,
    year: int,
    subject: str,
    grade: int,
    school_login: str,
    school_name: str,
    municipality: str,
    tasks: Sequence[VprTask | tuple[str, Decimal | int, str]],
    pupils: Sequence[VprPupil],
    held_on: datetime.date | None = None,
    max_primary_score: Decimal | int | None = None,
    participants: int | None = None,
    title: str | None = None,
    preamble: Sequence[str] = (),
    sheet_title: str = "Индивидуальные результаты",
) -> None:
    """Write one school's ВПР results in the layout of the ФИС ОКО form (see the module docstring).

    `max_primary_score` and `participants` default to the sum of task maxima and the number of pupils;
    `title` replaces the title line (to write a broken one).
    """
    # openpyxl (and the numpy it loads) is imported here, not with the module: the reading worker processes
    # import the layout's words only, and start ~0.7 s sooner without it.
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.cell_range import CellRange

    specs = [t if isinstance(t, VprTask) else VprTask(*t) for t in tasks]
    # openpyxl's write-only mode streams the rows (in order, as the layout has them) and builds no cell
    # objects for the whole sheet: several times faster for the demo's and the benchmark's thousands of files.
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    width = len(LEFT_COLUMNS) + len(specs) + len(RIGHT_COLUMNS)
    tasks_at = len(LEFT_COLUMNS)  # 0-based
    for line in preamble:
        sheet.append([line])
    top = len(preamble) + 1
    title_cell = WriteOnlyCell(
        sheet, title if title is not None else vpr_title(year=year, subject=subject, grade=grade)
    )
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    sheet.merged_cells.add(CellRange(min_row=top, min_col=1, max_row=top, max_col=width))
    maximum = max_primary_score if max_primary_score is not None else _sum([t.max_score for t in specs])
    sheet.append([META_SUBJECT, subject])
    sheet.append([META_MAX_SCORE, _cell(Decimal(str(maximum)))])
    sheet.append([META_DATE, held_on.strftime("%d.%m.%Y") if held_on else ""])
    school_row = top + 4
    count = participants if participants is not None else len(pupils)
    school_line: list[object] = [None] * (tasks_at + 1)
    school_line[0] = f"{school_login} {school_name}"
    school_line[tasks_at] = f"{PARTICIPANTS_LABEL}: {count}"
    sheet.append(school_line)
    sheet.merged_cells.add(CellRange(min_row=school_row, min_col=1, max_row=school_row, max_col=tasks_at))
    sheet.append([])
    sheet.append([None] * tasks_at + [spec.level or None for spec in specs])
    headers = [*LEFT_COLUMNS, *(task_header(t.label, t.max_score) for t in specs), *RIGHT_COLUMNS]
    bold, centred = Font(bold=True), Alignment(wrap_text=True, horizontal="center")
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, text)
        cell.font = bold
        cell.alignment = centred
        header_cells.append(cell)
    sheet.append(header_cells)
    for pupil in pupils:
        primary = pupil.primary_score if pupil.primary_score is not None else _sum(pupil.scores)
        sheet.append(
            [
                school_login,
                municipality,
                school_name,
                pupil.code,
                pupil.class_name,
                pupil.variant,
                *(_cell(score) for score in pupil.scores),
                _cell(primary),
                NO_MARK if pupil.mark is None else pupil.mark,
                "" if pupil.journal_mark is None else pupil.journal_mark,
            ]
        )
    workbook.save(path_or_buffer)


# --- reading the words of the form ---------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Headers and words compare regardless of case, «ё», and repeated or surrounding spaces."""
    return _SPACES.sub(" ", text.replace("ё", "е").replace("Ё", "Е")).strip().lower()
