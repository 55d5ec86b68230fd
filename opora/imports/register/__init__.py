"""The register import: the canonical file of schools (CSV or XLSX) → checked plan → the register."""

from collections.abc import Sequence
from typing import IO, Any

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.base import Validation, validation_checked, validation_unreadable
from opora.imports.errors import RowError
from opora.imports.readers import ReaderError, read_table
from opora.imports.register.commit import register_plan_apply
from opora.imports.register.format import COLUMNS, HEADER_WORDS, KIND_LABELS, LOCATION_LABELS, fold
from opora.imports.register.plan import CREATE, UNCHANGED, UPDATE, RegisterPlan
from opora.imports.register.validate import RegisterValidator

__all__ = ["COLUMNS", "RegisterImporter", "register_file_validate"]


def _is_register_header(cells: Sequence[str]) -> bool:
    return any(HEADER_WORDS.get(fold(cell)) == "fis_oko_login" for cell in cells)


def register_file_validate(*, source: IO[bytes], file_name: str, user: User) -> Validation:
    """Read the file and check every row for this user; never writes."""
    try:
        table = read_table(source, file_name=file_name, header_match=_is_register_header)
        validator = RegisterValidator(table, user)
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


def _preview(plan: RegisterPlan, counts: dict[str, int]) -> dict[str, Any]:
    """What committing will change, in the words of the format: stored with the job, shown to the user."""
    return {
        "counts": counts,
        "creates": [
            {
                "row": p.row,
                "login": p.login,
                "short_name": p.short_name,
                "municipality": p.municipality,
                "kind": KIND_LABELS.get(p.values["kind"], p.values["kind"]),
                "location": LOCATION_LABELS.get(p.values["location"], p.values["location"]),
                "names": len(p.new_names),
                "enrolment": p.enrolment[1] if p.enrolment else None,
            }
            for p in plan.of(CREATE)
        ],
        "updates": [
            {"row": p.row, "login": p.login, "short_name": p.short_name, "changes": p.changes}
            for p in plan.of(UPDATE)
        ],
    }


class RegisterImporter:
    def validate(self, *, source: IO[bytes], file_name: str, user: User, job_id: int | None) -> Validation:
        return register_file_validate(source=source, file_name=file_name, user=user)

    def apply(self, validation: Validation, *, user: User, source: str) -> dict[str, int]:
        assert validation.ok and isinstance(validation.plan, RegisterPlan)
        return register_plan_apply(validation.plan, actor=user, source=source)

    def summary(self, applied: dict[str, int]) -> str:
        return _(
            "Committed: %(created)s created, %(updated)s updated, %(aliases)s name variants added, "
            "%(enrolments)s enrolment figures set."
        ) % {
            "created": applied.get("created", 0),
            "updated": applied.get("updated", 0),
            "aliases": applied.get("aliases_added", 0),
            "enrolments": applied.get("enrolments_set", 0),
        }
