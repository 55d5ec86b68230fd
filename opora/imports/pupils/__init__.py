"""Pupil results in Opora's canonical tidy format (CSV or XLSX, one row per pupil and assessment): ЕГЭ and
ОГЭ files of regional centres, regional diagnostics, any procedure → a checked plan → PupilResult rows.
Documented for users in docs/formats/pupil-results.md."""

import hashlib
from typing import IO, Any

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.base import (
    Validation,
    pupil_results_summary,
    validation_checked,
    validation_unreadable,
)
from opora.imports.errors import RowError
from opora.imports.pupils.commit import pupil_results_plan_apply
from opora.imports.pupils.format import COLUMNS, is_header
from opora.imports.pupils.plan import CREATE, REPLACE, UNCHANGED, PupilPlan
from opora.imports.pupils.validate import PupilResultsValidator
from opora.imports.readers import OLE2_MAGIC, ReaderError, read_table

__all__ = ["COLUMNS", "PupilResultsImporter", "pupil_results_validate"]

_CHUNK = 1024 * 1024


def _sha256(source: IO[bytes]) -> tuple[str, bytes]:
    source.seek(0)
    digest = hashlib.sha256()
    head = source.read(_CHUNK)
    chunk = head
    while chunk:
        digest.update(chunk)
        chunk = source.read(_CHUNK)
    source.seek(0)
    return digest.hexdigest(), head


def pupil_results_validate(
    *, source: IO[bytes], file_name: str, user: User, job_id: int | None = None
) -> Validation:
    """Read the file and check every row for this user; never writes."""
    sha256, head = _sha256(source)
    if head.startswith(OLE2_MAGIC):
        message = _(
            "the file is a legacy Excel workbook (XLS). Open it in Excel or LibreOffice, save it as "
            "XLSX and upload it again"
        )
        return validation_unreadable(RowError(file_name, None, None, "", message))
    try:
        table = read_table(source, file_name=file_name, header_match=is_header)
        validator = PupilResultsValidator(table, user, sha256=sha256, job_id=job_id)
        plan = validator.run()
    except ReaderError as error:  # the file is unreadable, at its start or further down
        return validation_unreadable(RowError.from_reader_error(error))
    return validation_checked(
        rows=validator.row_count,
        errors=validator.errors,
        warnings=validator.warnings,
        changes=(len(plan.of(CREATE)), len(plan.of(REPLACE)), len(plan.of(UNCHANGED))),
        plan=plan,
        preview=lambda counts: _preview(plan, counts),
    )


def _preview(plan: PupilPlan, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "counts": counts,
        "groups": [
            {
                "row": g.first_row,
                "login": g.login,
                "school": g.school,
                "municipality": g.municipality,
                "assessment": plan.assessments[g.key].title,
                "participants": len(g.pupils),
                "action": g.action,
                "old_participants": g.old_count if g.action != CREATE else None,
            }
            for g in plan.groups
        ],
        "assessments": [
            {"assessment": a.title, "tasks": len(a.tasks), "new": a.assessment_id is None}
            for a in plan.assessments.values()
        ],
        "new_procedures": sorted(plan.new_procedures),
    }


class PupilResultsImporter:
    def validate(self, *, source: IO[bytes], file_name: str, user: User, job_id: int | None) -> Validation:
        return pupil_results_validate(source=source, file_name=file_name, user=user, job_id=job_id)

    def apply(self, validation: Validation, *, user: User, source: str) -> dict[str, int]:
        assert validation.ok and isinstance(validation.plan, PupilPlan)
        return pupil_results_plan_apply(plan=validation.plan, actor=user, source=source)

    def summary(self, applied: dict[str, int]) -> str:
        return pupil_results_summary(applied)
