"""A school list as an XLSX workbook: the page's rows with their reasons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from opora.identification.models import ListMembership, SchoolList

_UNSAFE_IN_FILENAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class Export:
    filename: str
    content: BytesIO


def school_list_xlsx(*, school_list: SchoolList, rows: list[ListMembership]) -> Export:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = _("List")
    sheet.append([f"{school_list.get_kind_display()}, {school_list.year}"])
    sheet.append([school_list.document or school_list.get_origin_display()])
    headers = [
        _("School"),
        _("FIS OKO login"),
        _("Municipality"),
        _("Meets the rule this year"),
        _("Cycles without meeting the rule"),
        _("Reason"),
        _("Note"),
    ]
    sheet.append([header[0].upper() + header[1:] for header in headers])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                row.school.short_name,
                row.school.fis_oko_login,
                row.school.municipality.name,
                _("yes") if row.meets_rule else _("no"),
                row.cycles_without_rule,
                row.reason,
                row.note,
            ]
        )
    for cells in sheet.iter_rows(min_row=4, min_col=6, max_col=6):
        cells[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["C"].width = 28
    sheet.column_dimensions["F"].width = 90
    sheet.freeze_panes = "A4"
    content = BytesIO()
    workbook.save(content)
    content.seek(0)
    name = f"{school_list.get_kind_display()} {school_list.year}"
    return Export(filename=_UNSAFE_IN_FILENAMES.sub("_", name)[:180] + ".xlsx", content=content)
