"""What reading a workbook gives: the file's tasks, its pupils' rows and the problems found."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from opora.imports.errors import RowError

# The longest class or variant text and participant code the results keep.
TEXT_LIMIT = 16
CODE_LIMIT = 64
# The largest primary score the results keep (PupilResult.primary_score: six digits, two decimals).
PRIMARY_LIMIT = Decimal("9999.99")


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
class ParsedWorkbook:
    file: VprFile | None
    errors: list[RowError]
    warnings: list[RowError]
