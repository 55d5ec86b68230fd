"""Read one ФИС ОКО «Индивидуальные результаты» workbook into a typed structure, collecting every problem.

Reading needs no database: what only the database can tell (the school, the subject, the scale, the stored
tasks) is checked by the importer. The header is found by its content, so title lines, meta rows and
merged cells above it may be of any number and shape.
"""

from opora.imports.fis_oko.parse.model import (
    CODE_LIMIT,
    TEXT_LIMIT,
    Number,
    ParsedWorkbook,
    PupilLine,
    TaskColumn,
    VprFile,
)
from opora.imports.fis_oko.parse.sheet import FIRST_YEAR, is_workbook, parse_vpr_workbook, read_grid

__all__ = [
    "CODE_LIMIT",
    "FIRST_YEAR",
    "TEXT_LIMIT",
    "Number",
    "ParsedWorkbook",
    "PupilLine",
    "TaskColumn",
    "VprFile",
    "is_workbook",
    "parse_vpr_workbook",
    "read_grid",
]
