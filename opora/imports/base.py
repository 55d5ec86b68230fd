"""What every kind of import provides to the job flow: validate a file into a plan, then apply the plan."""

from dataclasses import dataclass, field
from typing import IO, Any, Protocol

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
