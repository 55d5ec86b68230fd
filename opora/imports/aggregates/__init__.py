"""The school-level results import: ВПР «Статистика по отметкам», regional ЕГЭ/ОГЭ tables and the canonical
school-level format (CSV or XLSX) → checked plan → SchoolAggregateResult and the aggregate indicators.
Documented for users in docs/formats/school-results.md."""

import hashlib
from typing import IO, Any

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.aggregates.commit import aggregate_plan_apply
from opora.imports.aggregates.format import COLUMNS, is_header
from opora.imports.aggregates.validate import (
    CREATE,
    REPLACE,
    UNCHANGED,
    AggregatePlan,
    AggregateValidator,
    preview_item,
)
from opora.imports.base import Validation, validation_checked, validation_unreadable
from opora.imports.errors import RowError
from opora.imports.readers import ReaderError, read_table

__all__ = ["COLUMNS", "SchoolResultsImporter", "school_results_validate"]


def _sha256(source: IO[bytes]) -> str:
    source.seek(0)
    digest = hashlib.sha256()
    while chunk := source.read(1024 * 1024):
        digest.update(chunk)
    source.seek(0)
    return digest.hexdigest()


def school_results_validate(
    *, source: IO[bytes], file_name: str, user: User, job_id: int | None = None
) -> Validation:
    """Read the file and check every row for this user; never writes."""
    try:
        table = read_table(source, file_name=file_name, header_match=is_header)
        validator = AggregateValidator(table, user, sha256=_sha256(source), job_id=job_id)
        plan = validator.run()
    except ReaderError as error:  # the file is unreadable, at its start or further down
        unreadable = validation_unreadable(RowError.from_reader_error(error))
        unreadable.counts["skipped"] = 0
        return unreadable
    changes = (len(plan.of(CREATE)), len(plan.of(REPLACE)), len(plan.of(UNCHANGED))) if plan else (0, 0, 0)
    return validation_checked(
        rows=validator.row_count,
        errors=validator.errors,
        warnings=validator.warnings,
        changes=changes,
        plan=plan,
        preview=lambda counts: _preview(plan, counts) if plan else {"counts": counts},
        skipped=plan.skipped if plan else 0,
    )


def _preview(plan: AggregatePlan, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "counts": counts,
        "layout": plan.layout,
        "new_procedures": plan.new_procedures,
        "skipped_rows": plan.skipped_rows,
        "items": [preview_item(item) for item in plan.items],
    }


class SchoolResultsImporter:
    def validate(self, *, source: IO[bytes], file_name: str, user: User, job_id: int | None) -> Validation:
        return school_results_validate(source=source, file_name=file_name, user=user, job_id=job_id)

    def apply(self, validation: Validation, *, user: User, source: str) -> dict[str, int]:
        assert validation.ok and isinstance(validation.plan, AggregatePlan)
        return aggregate_plan_apply(validation.plan, actor=user, source=source)

    def summary(self, applied: dict[str, int]) -> str:
        return _("Committed: results of schools created: %(created)s, replaced: %(updated)s.") % {
            "created": applied.get("created", 0),
            "updated": applied.get("updated", 0),
        }
