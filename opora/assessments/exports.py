"""The municipality results as an XLSX workbook: the page's rows, numbers kept as numbers."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from opora.assessments.models import SchoolIndicator
from opora.assessments.selectors import MunicipalityResults
from opora.assessments.templatetags.results_format import assessment_title

PERCENT_FORMAT = "0.0"
_UNSAFE_IN_FILENAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class Export:
    filename: str
    content: BytesIO


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _columns() -> list[tuple[str, Callable[[SchoolIndicator], object], str | None]]:
    """(Russian header, value of a row, number format) for every column."""
    return [
        (_("School"), lambda i: i.school.short_name, None),
        (_("FIS OKO login"), lambda i: i.school.fis_oko_login, None),
        (_("Participants"), lambda i: i.participants, "0"),
        (_("Sample size"), lambda i: i.get_sample_tier_display(), None),
        (_("«2», %"), lambda i: _one_decimal(i.mark_2_pct), PERCENT_FORMAT),
        (_("«2», 95% CI low"), lambda i: _one_decimal(i.mark_2_ci_low), PERCENT_FORMAT),
        (_("«2», 95% CI high"), lambda i: _one_decimal(i.mark_2_ci_high), PERCENT_FORMAT),
        (_("quality, %"), lambda i: _one_decimal(i.quality_pct), PERCENT_FORMAT),
        (_("pass rate, %"), lambda i: _one_decimal(i.pass_pct), PERCENT_FORMAT),
        (_("mean % of maximum"), lambda i: _one_decimal(i.mean_pct_of_max), PERCENT_FORMAT),
        (_("mean primary score"), lambda i: _one_decimal(i.mean_primary_score), PERCENT_FORMAT),
    ]


def municipality_results_xlsx(*, results: MunicipalityResults) -> Export:
    columns = _columns()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = _("Results")
    sheet.append([header[0].upper() + header[1:] for header, _value, _format in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for indicator in results.rows:
        sheet.append([value(indicator) for _header, value, _format in columns])
    for index, (_header, _value, number_format) in enumerate(columns, start=1):
        if number_format:
            for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                row[0].number_format = number_format
    sheet.column_dimensions["A"].width = 48
    sheet.freeze_panes = "A2"
    content = BytesIO()
    workbook.save(content)
    content.seek(0)
    name = f"{_('Results')} {results.municipality.name} {assessment_title(results.assessment)}"
    return Export(filename=_UNSAFE_IN_FILENAMES.sub("_", name)[:180] + ".xlsx", content=content)
