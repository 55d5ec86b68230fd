"""The import job flow: upload → validate (all errors, a preview) → commit in one transaction, or cancel.

Each step appends to the job's event log; a commit that changes anything leaves an AuditEvent with the
counts and the file's SHA-256. A commit re-validates the file first: if the register changed since the
preview, the new preview is shown instead and nothing is written until the user applies it again.
"""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opora.accounts.models import User
from opora.core.collection import with_gc_paused
from opora.core.services import audit_event_create
from opora.imports.aggregates import SchoolResultsImporter
from opora.imports.base import Importer, Validation
from opora.imports.context import ContextImporter
from opora.imports.fis_oko import VprResultsImporter
from opora.imports.models import ImportJob, ImportJobEvent
from opora.imports.pupils import PupilResultsImporter
from opora.imports.register import RegisterImporter
from opora.imports.selectors import import_kind_allowed

# The job keeps this many problems of each kind for its page; the counts keep the totals.
MAX_STORED_PROBLEMS = 1000

IMPORTERS: dict[str, Importer] = {
    ImportJob.Kind.REGISTER: RegisterImporter(),
    ImportJob.Kind.VPR_RESULTS: VprResultsImporter(),
    ImportJob.Kind.CONTEXT: ContextImporter(),
    ImportJob.Kind.PUPIL_RESULTS: PupilResultsImporter(),
    ImportJob.Kind.SCHOOL_RESULTS: SchoolResultsImporter(),
}


class ImportJobError(Exception):
    """A step of the flow refused; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileTooLargeError(ImportJobError):
    pass


class ImportJobStateError(ImportJobError):
    pass


def import_job_event_add(
    *, job: ImportJob, message: str, level: str = ImportJobEvent.Level.INFO
) -> ImportJobEvent:
    return ImportJobEvent.objects.create(job=job, message=message, level=level)


def import_job_create(*, user: User, kind: str, uploaded_file: File) -> ImportJob:
    """Store the uploaded file as a new job (not yet validated)."""
    if not import_kind_allowed(user=user, kind=kind):
        raise PermissionDenied
    name = Path(uploaded_file.name or "file").name[:255] or "file"
    size = uploaded_file.size or 0
    limit = settings.OPORA_MAX_UPLOAD_BYTES
    if size > limit:
        raise FileTooLargeError(
            _("The file «%(name)s» is too large: %(size)s, at most %(limit)s may be uploaded.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    job = ImportJob(kind=kind, created_by=user, original_name=name, sha256=digest.hexdigest(), size=size)
    uploaded_file.seek(0)
    job.file.save(name, uploaded_file, save=False)
    job.save()
    import_job_event_add(
        job=job,
        message=_("File «%(name)s» uploaded (%(size)s).") % {"name": name, "size": filesizeformat(size)},
    )
    earlier = (
        ImportJob.objects.filter(kind=kind, sha256=job.sha256, status=ImportJob.Status.COMMITTED)
        .exclude(pk=job.pk)
        .order_by("-committed_at")
        .first()
    )
    if earlier is not None and earlier.committed_at is not None:
        import_job_event_add(
            job=job,
            level=ImportJobEvent.Level.WARNING,
            message=_("The same file was already committed on %(date)s (job #%(job)s).")
            % {"date": timezone.localtime(earlier.committed_at).strftime("%d.%m.%Y"), "job": earlier.pk},
        )
    return job


def _validate(job: ImportJob, user: User) -> Validation:
    importer = IMPORTERS[job.kind]
    with job.file.open("rb") as source:
        return importer.validate(source=source, file_name=job.original_name, user=user, job_id=job.pk)


def _as_json(value: object) -> object:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _store(job: ImportJob, validation: Validation) -> None:
    job.errors = [e.as_dict() for e in validation.errors[:MAX_STORED_PROBLEMS]]
    job.warnings = [w.as_dict() for w in validation.warnings[:MAX_STORED_PROBLEMS]]
    job.counts = dict(validation.counts)
    job.preview = _as_json(validation.preview)
    job.status = ImportJob.Status.VALIDATED if validation.ok else ImportJob.Status.FAILED


def _summary(counts: dict[str, int]) -> str:
    rows = counts.get("rows", 0)
    return ", ".join(
        [
            ngettext("%(count)s row", "%(count)s rows", rows) % {"count": rows},
            _("to create: %(count)s") % {"count": counts.get("create", 0)},
            _("to update: %(count)s") % {"count": counts.get("update", 0)},
            _("unchanged: %(count)s") % {"count": counts.get("unchanged", 0)},
        ]
    )


def _log_validation(job: ImportJob, validation: Validation) -> None:
    errors = validation.counts.get("errors", len(validation.errors))
    if validation.ok:
        import_job_event_add(
            job=job, message=_("Checked, no errors: %(summary)s.") % {"summary": _summary(job.counts)}
        )
    else:
        import_job_event_add(
            job=job,
            level=ImportJobEvent.Level.ERROR,
            message=ngettext(
                "Checked: %(count)s error found; the file cannot be committed until it is corrected.",
                "Checked: %(count)s errors found; the file cannot be committed until it is corrected.",
                errors,
            )
            % {"count": errors},
        )
    warnings = len(validation.warnings)
    if warnings:
        import_job_event_add(
            job=job,
            level=ImportJobEvent.Level.WARNING,
            message=ngettext("%(count)s warning.", "%(count)s warnings.", warnings) % {"count": warnings},
        )


@with_gc_paused
def import_job_validate(*, job: ImportJob) -> ImportJob:
    """Read and check the job's file in its uploader's scope; store errors, warnings and the preview."""
    if job.status not in {ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATED, ImportJob.Status.FAILED}:
        raise ImportJobStateError(_("This import can no longer be checked."))
    if job.created_by is None:
        raise ImportJobStateError(_("The user who uploaded this file no longer exists."))
    validation = _validate(job, job.created_by)
    _store(job, validation)
    job.save(update_fields=["errors", "warnings", "counts", "preview", "status"])
    _log_validation(job, validation)
    return job


@with_gc_paused
def import_job_commit(*, job: ImportJob, user: User) -> ImportJob:
    """Apply a validated job in one transaction. Returns the job: committed, failed (the file no longer
    passes the check) or still validated with a new preview (the register changed since the preview)."""
    if not import_kind_allowed(user=user, kind=job.kind):
        raise PermissionDenied
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job.pk)
            if job.status != ImportJob.Status.VALIDATED:
                raise ImportJobStateError(_("Only a checked file without errors can be committed."))
            validation = _validate(job, user)
            if not validation.ok:
                _store(job, validation)
                job.save(update_fields=["errors", "warnings", "counts", "preview", "status"])
                import_job_event_add(
                    job=job,
                    level=ImportJobEvent.Level.ERROR,
                    message=_(
                        "The data in Opora has changed since the check: the file now has errors. "
                        "Nothing was written."
                    ),
                )
                return job
            if _as_json(validation.preview) != job.preview:
                _store(job, validation)
                job.save(update_fields=["errors", "warnings", "counts", "preview", "status"])
                import_job_event_add(
                    job=job,
                    level=ImportJobEvent.Level.WARNING,
                    message=_(
                        "The data in Opora has changed since the preview. Nothing was written: "
                        "review the new preview and apply it again."
                    ),
                )
                return job
            source = _("import #%(job)s «%(name)s»") % {"job": job.pk, "name": job.original_name}
            applied = IMPORTERS[job.kind].apply(validation, user=user, source=source)
            job.status = ImportJob.Status.COMMITTED
            job.committed_at = timezone.now()
            job.committed_by = user
            job.counts = {**job.counts, **applied}
            job.save(update_fields=["status", "committed_at", "committed_by", "counts"])
            _log_commit(job, user, applied)
    except (IntegrityError, ValidationError) as error:
        job.refresh_from_db()
        job.status = ImportJob.Status.FAILED
        job.save(update_fields=["status"])
        import_job_event_add(
            job=job,
            level=ImportJobEvent.Level.ERROR,
            message=_("The commit failed and nothing was written: %(error)s. Upload the file again.")
            % {"error": "; ".join(getattr(error, "messages", [str(error)]))},
        )
    return job


def _log_commit(job: ImportJob, user: User, applied: dict[str, int]) -> None:
    if not any(applied.values()):
        import_job_event_add(
            job=job, message=_("Committed: nothing to change, Opora already holds exactly this data.")
        )
        return
    import_job_event_add(job=job, message=IMPORTERS[job.kind].summary(applied))
    audit_event_create(
        actor=user,
        action="import_job_commit",
        object_type="imports.importjob",
        object_id=job.pk,
        summary=f"{job.get_kind_display()}: {job.original_name}",
        details={"kind": job.kind, "file": job.original_name, "sha256": job.sha256, "counts": applied},
    )


def import_job_cancel(*, job: ImportJob, user: User) -> ImportJob:
    if not job.can_cancel:
        raise ImportJobStateError(_("This import can no longer be cancelled."))
    job.status = ImportJob.Status.CANCELLED
    job.save(update_fields=["status"])
    import_job_event_add(job=job, message=_("Cancelled by %(user)s.") % {"user": user.display_name})
    return job
