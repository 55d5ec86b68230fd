"""The identification engine's records: methodology versions, runs with every finding, and school lists.

A run keeps the methodology version it used and a fingerprint of its input data, so that rerunning it on
the same data gives the same lists and a changed input is visible. Lists are computed (from a run) or
official (imported with their source document); memberships give each school's history in the lists.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opora.registry.models import Municipality, Region, School


class Scoped(models.Model):
    """What belongs to a region, or to one municipality of it (`opora.identification.access` scopes by
    these two fields)."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class MethodologyVersion(Scoped):
    """One version of the parameters of every method (`analytics.methodology.Methodology` as JSON).

    The scope is a region, or one municipality of it; a municipality without versions of its own uses its
    region's. Versions are never edited: an edit makes the next number.
    """

    number = models.PositiveIntegerField(_("version"))
    parameters = models.JSONField(_("parameters"))
    comment = models.TextField(_("what changed and why"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("methodology version")
        verbose_name_plural = _("methodology versions")
        ordering = ["region", "municipality", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "number"],
                condition=Q(municipality__isnull=True),
                name="methodology_region_number_unique",
            ),
            models.UniqueConstraint(
                fields=["municipality", "number"],
                condition=Q(municipality__isnull=False),
                name="methodology_municipality_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality or self.region}, v{self.number}"


class IdentificationRun(Scoped):
    """One computation of every method for one year over the schools of a region or a municipality."""

    year = models.PositiveSmallIntegerField(_("year of identification"))
    methodology = models.ForeignKey(
        MethodologyVersion,
        verbose_name=_("methodology version"),
        on_delete=models.PROTECT,
        related_name="runs",
    )
    input_fingerprint = models.CharField(_("fingerprint of the input data"), max_length=64)
    rerun_of = models.ForeignKey(
        "self",
        verbose_name=_("rerun of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reruns",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    seconds = models.FloatField(_("duration, s"), default=0)
    # The model of the value-added regression and the loadings of the context index, for the run page.
    models_summary = models.JSONField(_("fitted models"), default=dict)

    class Meta:
        verbose_name = _("identification run")
        verbose_name_plural = _("identification runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.municipality or self.region} {self.year}"


class Finding(models.Model):
    """One method's verdict on one school in a run, with its reasons and numbers."""

    class Status(models.TextChoices):
        FLAGGED = "flagged", _("meets the rule")
        CLEARED = "cleared", _("does not meet the rule")
        INSUFFICIENT = "insufficient_data", _("insufficient data")

    run = models.ForeignKey(
        IdentificationRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="findings"
    )
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="+")
    method = models.CharField(_("method"), max_length=48)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    reason_codes = models.JSONField(_("reason codes"), default=list)
    reason = models.TextField(_("reason"), blank=True)
    values = models.JSONField(_("values"), default=dict)
    # The rows of the method's detail table for this school (e.g. each assessment the rule read).
    details = models.JSONField(_("details"), default=list)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [models.UniqueConstraint(fields=["run", "school", "method"], name="finding_unique")]
        indexes = [
            models.Index(fields=["run", "method", "status"]),
            models.Index(fields=["school", "run"]),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.method}: {self.status}"


class SchoolList(Scoped):
    """A list of schools for a year: computed by a run, or official (imported with its document)."""

    class Kind(models.TextChoices):
        LOW_RESULTS = "low_results", _("schools with low results (ШНОР)")
        UNFAVOURABLE_CONTEXT = "shnsu", _("schools in unfavourable social conditions (ШНСУ)")
        RESILIENT = "resilient", _("resilient schools")
        LOW_IN_GOOD_CONTEXT = "low_in_good_context", _("low results in a favourable context")

    class Origin(models.TextChoices):
        COMPUTED = "computed", _("computed")
        OFFICIAL = "official", _("official")

    class Level(models.TextChoices):
        FEDERAL = "federal", pgettext_lazy("list level", "federal")
        REGIONAL = "regional", pgettext_lazy("list level", "regional")
        MUNICIPAL = "municipal", pgettext_lazy("list level", "municipal")

    kind = models.CharField(_("list"), max_length=32, choices=Kind.choices)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    run = models.ForeignKey(
        IdentificationRun,
        verbose_name=_("run"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lists",
    )
    document = models.CharField(_("source document"), max_length=500, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    source_file = models.CharField(_("file"), max_length=255, blank=True)
    source_sha256 = models.CharField(_("file hash"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("school list")
        verbose_name_plural = _("school lists")
        ordering = ["-year", "kind", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(origin="computed", run__isnull=False) | Q(origin="official", run__isnull=True),
                name="school_list_origin_matches_run",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} ({self.get_origin_display()})"


class ListMembership(models.Model):
    """A school in a list. A computed list keeps a school that no longer meets the rule until it has missed
    it for `exit_after_cycles` consecutive cycles (`cycles_without_rule` counts them)."""

    school_list = models.ForeignKey(
        SchoolList, verbose_name=_("list"), on_delete=models.CASCADE, related_name="memberships"
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="list_memberships"
    )
    meets_rule = models.BooleanField(_("meets the rule this year"), default=True)
    cycles_without_rule = models.PositiveSmallIntegerField(_("cycles without meeting the rule"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("list membership")
        verbose_name_plural = _("list memberships")
        constraints = [
            models.UniqueConstraint(fields=["school_list", "school"], name="list_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.school_list_id}: {self.school_id}"
