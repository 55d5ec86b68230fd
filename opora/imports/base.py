"""What every kind of import provides to the job flow: validate a file into a plan, then apply the plan."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.errors import RowError


@dataclass
class Validation:
    """The outcome of reading and checking a whole file. `plan` is opaque to the job flow."""

    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    preview: dict[str, Any] = field(default_factory=dict)
    plan: Any = None

    @property
    def ok(self) -> bool:
        return not self.errors


class Importer(Protocol):
    def validate(self, *, source: IO[bytes], file_name: str, user: User, job_id: int | None) -> Validation:
        """Read and check the file for this user; never writes. `job_id` is the import job, for the log."""
        ...

    def apply(self, validation: Validation, *, user: User, source: str) -> dict[str, int]:
        """Write an error-free plan (inside the caller's transaction); returns counts of what changed."""
        ...

    def summary(self, applied: dict[str, int]) -> str:
        """What a commit changed, in a sentence for the job's log (Russian, through the catalogue)."""
        ...


def validation_unreadable(error: RowError) -> Validation:
    """The outcome for a file that could not be read at all (ReaderError): that one error, nothing else."""
    counts = {"rows": 0, "create": 0, "update": 0, "unchanged": 0, "errors": 1, "warnings": 0}
    return Validation(errors=[error], counts=counts, preview={"counts": counts})


def validation_checked(
    *,
    rows: int,
    errors: list[RowError],
    warnings: list[RowError],
    changes: tuple[int, int, int],
    plan: Any,
    preview: Callable[[dict[str, int]], dict[str, Any]],
    **extra_counts: int,
) -> Validation:
    """The outcome for a file read to its end. `changes` are the plan's (create, update, unchanged); with
    errors they count 0, the plan is dropped and the preview holds the counts only (nothing may be applied).
    `preview(counts)` builds what committing would change, only when there is no error."""
    ok = not errors
    create, update, unchanged = changes if ok else (0, 0, 0)
    counts = {
        "rows": rows,
        **extra_counts,
        "create": create,
        "update": update,
        "unchanged": unchanged,
        "errors": len(errors),
        "warnings": len(warnings),
    }
    return Validation(
        errors=errors,
        warnings=warnings,
        counts=counts,
        preview=preview(counts) if ok else {"counts": counts},
        plan=plan if ok else None,
    )


def pupil_results_summary(applied: dict[str, int]) -> str:
    """The job log's sentence for a commit of pupil-level results (ВПР forms, the canonical format)."""
    return _(
        "Committed: results of %(created)s school-assessments added, %(updated)s replaced, "
        "%(pupils)s pupil results written."
    ) % {
        "created": applied.get("created", 0),
        "updated": applied.get("updated", 0),
        "pupils": applied.get("pupils_written", 0),
    }
