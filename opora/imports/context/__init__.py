"""The social passport import: shares of pupils and families per school and year (CSV or XLSX) → checked
plan → SchoolContext. Documented for users in docs/formats/context.md."""

from collections.abc import Sequence
from typing import IO, Any

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.base import Validation, validation_checked, validation_unreadable
from opora.imports.context.commit import context_plan_apply
from opora.imports.context.format import COLUMNS, HEADER_WORDS
from opora.imports.context.validate import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ContextPlan,
    ContextValidator,
    preview_item,
)
from opora.imports.errors import RowError
from opora.imports.readers import ReaderError, read_table
from opora.imports.register.format import fold

__all__ = ["COLUMNS", "ContextImporter", "context_file_validate"]


def _is_context_header(cells: Sequence[str]) -> bool:
    return any(HEADER_WORDS.get(fold(cell)) == "fis_oko_login" for cell in cells)


def context_file_validate(*, source: IO[bytes], file_name: str, user: User) -> Validation:
    """Read the file and check every row for this user; never writes."""
    try:
        table = read_table(source, file_name=file_name, header_match=_is_context_header)
        validator = ContextValidator(table, user)
        plan = validator.run()
    except ReaderError as error:  # the file is unreadable, at its start or further down
        return validation_unreadable(RowError.from_reader_error(error))
    return validation_checked(
        rows=validator.row_count,
        errors=validator.errors,
        warnings=validator.warnings,
        changes=(len(plan.of(CREATE)), len(plan.of(UPDATE)), len(plan.of(UNCHANGED))),
        plan=plan,
        preview=lambda counts: _preview(plan, counts),
    )


def _preview(plan: ContextPlan, counts: dict[str, int]) -> dict[str, Any]:
    """What committing will change: new passports and changed ones, each with its per-share diffs.

    Both lists go under «updates» (with their action), so that the job page shows every change as
    «was → will be»; a new passport's shares were «unknown».
    """
    return {
        "counts": counts,
        "updates": [preview_item(item) for item in plan.items if item.action in (CREATE, UPDATE)],
    }


class ContextImporter:
    def validate(self, *, source: IO[bytes], file_name: str, user: User, job_id: int | None) -> Validation:
        return context_file_validate(source=source, file_name=file_name, user=user)

    def apply(self, validation: Validation, *, user: User, source: str) -> dict[str, int]:
        assert validation.ok and isinstance(validation.plan, ContextPlan)
        return context_plan_apply(validation.plan, actor=user, source=source)

    def summary(self, applied: dict[str, int]) -> str:
        return _("Committed: %(created)s social passports created, %(updated)s updated.") % {
            "created": applied.get("created", 0),
            "updated": applied.get("updated", 0),
        }
