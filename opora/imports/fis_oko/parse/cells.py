"""How the form's cells are read: numbers, marks and «not attempted», the title and task headers, and how a
number is written back in a message."""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from opora.imports.fis_oko.layout import fold
from opora.imports.fis_oko.parse.model import Number
from opora.imports.readers import cell_text

# «ВПР 2024. Математика 5 класс» and its variants: the year, the subject and the grade.
TITLE = re.compile(
    r"^\s*ВПР\s*(\d{4})\s*(?:г\.?|года?)?\s*[.,:;\-–—]?\s*(.+?)\s*[.,:;\-–—]?\s*(\d{1,2})\s*(?:-?й\s*)?класс",
    re.IGNORECASE,
)
# A task column's header: «9.1 (1б)» → the label and the maximum.
TASK_HEADER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*[а-яa-z]?)\s*\(\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*б\.?\s*\)$")
NUMBER_TEXT = re.compile(r"^-?\d+(?:[.,]\d+)?$")
EMPTY_SCORES = {"", "x", "х", "-", "–", "—"}
EMPTY_MARKS = {"", "-", "–", "—", fold("нет отметки"), "x", "х"}
MARKS = {str(mark): mark for mark in (2, 3, 4, 5)}
WHOLE_MARKS = {float(mark): mark for mark in (2, 3, 4, 5)}
CENT = Decimal("0.01")


def cell_number(value: object) -> Number | None:
    """A cell read as a number: calamine's floats directly, text through _decimal; None if not one."""
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return Decimal(repr(value)) if value == value else None  # NaN is not a number of the form
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return text_decimal(cell_text(value))


def text_decimal(text: str) -> Decimal | None:
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not NUMBER_TEXT.match(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def label_of(cells: list[str]) -> tuple[int, str] | None:
    """The first non-empty cell of a row and its position."""
    for index, cell in enumerate(cells):
        if cell.strip():
            return index, cell.strip()
    return None


def text_at(values: list[object], width: int, position: int | None) -> str:
    """The cell at `position` of a row of `width` cells as stripped text ("" beyond the row)."""
    if position is None or position >= width:
        return ""
    value = values[position]
    return (value if isinstance(value, str) else cell_text(value)).strip()


def cents(value: Number) -> Number:
    """A primary score as the database keeps it (two decimals, as the other importers round): the rows a
    batch keeps for its recompute must be the rows it stored."""
    return value if isinstance(value, int) else value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Number) -> str:
    """12, 0,5: a number as the user writes it."""
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def filled(value: object) -> bool:
    """A cell that holds something (calamine gives "" for an empty one)."""
    return bool(value.strip()) if isinstance(value, str) else value is not None


def cell_date(value: str) -> datetime.date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d.%m.%y"):
        try:
            return datetime.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    return None
