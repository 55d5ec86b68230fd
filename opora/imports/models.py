"""Import jobs: an uploaded file, what validation found in it, and what committing it changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One uploaded file on its way into the system: upload → validate → preview → commit (or cancel)."""

    class Kind(models.TextChoices):
        REGISTER = "register", _("school register")
        VPR_RESULTS = "vpr_results", _("VPR individual results")
        CONTEXT = "context", _("social passports of schools")
        SCHOOL_RESULTS = "school_results", _("results per school (aggregates)")
        PUPIL_RESULTS = "pupil_results", _("pupil results (ЕГЭ, ОГЭ, diagnostics, Opora format)")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded")
        VALIDATED = "validated", _("ready to commit")
        FAILED = "failed", _("has errors")
        COMMITTED = "committed", _("committed")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    # Lists of {file, sheet, row, column, message}: see opora.imports.errors.RowError.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # What committing would change, as the user saw it: counts, creates and updates with their diffs.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("committed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_by_user")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def can_commit(self) -> bool:
        return self.status == self.Status.VALIDATED

    @property
    def can_cancel(self) -> bool:
        return self.status in {self.Status.UPLOADED, self.Status.VALIDATED, self.Status.FAILED}


class ImportJobEvent(models.Model):
    """The job's log: each step and its outcome, in the words the user reads."""

    class Level(models.TextChoices):
        INFO = "info", _("information")
        WARNING = "warning", _("warning")
        ERROR = "error", _("error")

    job = models.ForeignKey(
        ImportJob, verbose_name=_("import job"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.INFO)
    message = models.TextField(_("message"))

    class Meta:
        verbose_name = _("import job event")
        verbose_name_plural = _("import job events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y %H:%M:%S} {self.level}: {self.message[:80]}"
