"""What a school-level results table says besides its rows: the title line above it (which assessment),
and the wide layout of regional exam tables (subjects side by side), unfolded into the tidy one."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from opora.assessments.models import Subject
from opora.imports.aggregates.format import COLUMN_BY_KEY, HEADER_WORDS, VALUE_KEYS, is_empty
from opora.imports.errors import RowError
from opora.imports.fis_oko.parse.cells import TITLE as VPR_TITLE
from opora.imports.readers import Row, Table
from opora.imports.register.format import fold

# Title lines of regional exam tables: «ЕГЭ 2025», «ЕГЭ 2025. Русский язык», «ОГЭ-2025, Математика, 9 класс».
_EXAM_TITLE = re.compile(
    r"^\s*(ОГЭ|ЕГЭ)\s*[-–—]?\s*(\d{4})\s*(?:г\.?|года?)?(?:\s*[.,:;\-–—]?\s*(.*?))?"
    r"(?:\s*[.,:;\-–—]?\s*(\d{1,2})\s*(?:-?й\s*)?класс.*)?\s*$",
    re.IGNORECASE,
)


@dataclass
class Title:
    row: int
    procedure: str
    year: int
    subject: str  # "" when the title names none (a wide table: the subjects stand above their columns)
    grade: int | None


def _rows_above(table: Table) -> list[tuple[int, list[str]]]:
    # The table iterates the rows below its header; the title lines are above it.
    found = []
    for number, cells in table._records():
        if number >= table.header_row:
            break
        found.append((number, cells))
    return found


def read_title(table: Table) -> Title | None:
    """The assessment named by a title line above the table («ВПР 2024. Математика 5 класс»), if any."""
    for number, cells in _rows_above(table):
        text = re.sub(r"\s+", " ", next((c.strip() for c in cells if c.strip()), ""))
        if not text:
            continue
        if match := VPR_TITLE.match(text):
            year, subject, grade = int(match.group(1)), match.group(2), int(match.group(3))
            return Title(number, "ВПР", year, subject.strip(" .,:;"), grade)
        if match := _EXAM_TITLE.match(text):
            grade_text = match.group(4)
            return Title(
                number,
                match.group(1).upper(),
                int(match.group(2)),
                (match.group(3) or "").strip(" .,:;"),
                int(grade_text) if grade_text else None,
            )
    return None


def unfold_wide(
    table: Table, rows: list[Row], subjects: Mapping[str, Subject]
) -> tuple[tuple[str, ...], list[Row], list[RowError]] | None:
    """A wide table (each subject's columns side by side, the subject in the row above them) as a header
    of the tidy layout, one row per school × subject with results, and the problems found; None for a
    table that is not wide. `subjects` are the known subjects by folded name."""
    header = list(table.header)
    keys = [HEADER_WORDS.get(fold(cell)) for cell in header]
    if keys.count("participants") < 2:
        return None
    problems: list[RowError] = []
    number = table.header_row - 1
    above = next((cells for n, cells in _rows_above(table) if n == number), [])
    common: list[int] = []
    blocks: dict[str, dict[str, int]] = {}  # subject → column key → position
    for position, key in enumerate(keys):
        subject = above[position].strip() if position < len(above) else ""
        if key not in VALUE_KEYS or not subject:
            common.append(position)
            continue
        block = blocks.setdefault(subject, {})
        if key in block:
            problems.append(
                RowError(
                    table.file_name,
                    table.sheet,
                    table.header_row,
                    f"{subject} · {header[position].strip()}",
                    _("the column appears twice; leave one of them"),
                )
            )
        block[key] = position
    for subject in list(blocks):
        if fold(subject) not in subjects:
            known = ", ".join(sorted({s.name for s in subjects.values()}))
            message = _("unknown subject «%(subject)s»; known subjects: %(known)s") % {
                "subject": subject,
                "known": known,
            }
            problems.append(RowError(table.file_name, table.sheet, number, subject, message))
            del blocks[subject]
    value_keys = [k for k in VALUE_KEYS if any(k in block for block in blocks.values())]
    titles = {k: header[p].strip() for block in blocks.values() for k, p in block.items()}
    tidy_header = (
        *(header[p].strip() or (above[p].strip() if p < len(above) else "") for p in common),
        COLUMN_BY_KEY["subject"].title,
        *(titles[k] for k in value_keys),
    )
    unfolded: list[Row] = []
    for row in rows:
        for subject, block in blocks.items():
            values = [row.get(block[k]) if k in block else "" for k in value_keys]
            if all(is_empty(v) or v.strip() == "0" for v in values):
                continue  # the school has no results in this subject
            unfolded.append(Row(row.number, (*(row.get(p) for p in common), subject, *values)))
    return tidy_header, unfolded, problems
