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
from opora.imports.base import Validation
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
    validator: AggregateValidator | None = None
    try:
        table = read_table(source, file_name=file_name, header_match=is_header)
        validator = AggregateValidator(table, user, sha256=_sha256(source), job_id=job_id)
        plan = validator.run()
    except ReaderError as error:  # the file is unreadable, at its start or further down
        counts = _counts(None, None)
        counts["errors"] = 1
        return Validation(
            errors=[RowError.from_reader_error(error)], counts=counts, preview={"counts": counts}
        )
    counts = _counts(validator, plan)
    if plan is None:
        return Validation(
            errors=validator.errors, warnings=validator.warnings, counts=counts, preview={"counts": counts}
        )
    return Validation(
        errors=[], warnings=validator.warnings, counts=counts, preview=_preview(plan, counts), plan=plan
    )


def _counts(validator: AggregateValidator | None, plan: AggregatePlan | None) -> dict[str, int]:
    return {
        "rows": validator.row_count if validator else 0,
        "skipped": plan.skipped if plan else 0,
        "create": len(plan.of(CREATE)) if plan else 0,
        "update": len(plan.of(REPLACE)) if plan else 0,
        "unchanged": len(plan.of(UNCHANGED)) if plan else 0,
        "errors": len(validator.errors) if validator else 0,
        "warnings": len(validator.warnings) if validator else 0,
    }


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
