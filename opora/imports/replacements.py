"""A file that replaces a school's results in an assessment says so: a warning in the job's log and an
audit event with both files' hashes and the counts before and after, in one shape for every importer."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.core.models import AuditEvent
from opora.core.services import audit_event_build
from opora.imports.models import ImportJobEvent


@dataclass(frozen=True)
class Replacement:
    """One school's stored results in one assessment, replaced by a file's."""

    object_id: int | None  # the replaced row (school assessment or aggregate result)
    file_name: str  # the file (or the member of a ZIP) that replaced it
    school: str
    assessment: str
    old_count: int | None  # participants before
    new_count: int  # participants now
    new_sha256: str  # the replacing file's hash
    old_sha256: str = ""  # the replaced file's hash, where it was kept


def replacements_log(
    replacements: Iterable[Replacement],
    *,
    job_id: int | None,
    actor: User,
    source: str,
    action: str,
    object_type: str,
) -> list[AuditEvent]:
    """Write the job's warnings (one per replacement) and return the audit events, unsaved: the caller
    writes them with its other events (`audit_event_bulk_create`)."""
    job_events: list[ImportJobEvent] = []
    events: list[AuditEvent] = []
    for r in replacements:
        message = _(
            "Results of %(school)s in %(assessment)s replaced from «%(file)s»: %(old)s participants before, "
            "%(new)s now."
        ) % {
            "school": r.school,
            "assessment": r.assessment,
            "file": r.file_name,
            "old": r.old_count,
            "new": r.new_count,
        }
        if job_id is not None:
            job_events.append(
                ImportJobEvent(job_id=job_id, level=ImportJobEvent.Level.WARNING, message=message)
            )
        events.append(
            audit_event_build(
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=r.object_id,
                summary=f"{r.school} · {r.assessment}",
                details={
                    "source": source,
                    "file": r.file_name,
                    "old_sha256": r.old_sha256,
                    "new_sha256": r.new_sha256,
                    "old_count": r.old_count,
                    "new_count": r.new_count,
                    "import_job": job_id,
                },
            )
        )
    ImportJobEvent.objects.bulk_create(job_events)
    return events
