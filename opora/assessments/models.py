"""Procedures, assessments, tasks, scales and results.

Pupil results are pseudonymous (the participant code of ФИС ОКО, never a name). Per-task scores are stored
with the pupil row as a list aligned with the assessment's tasks in `Task.position` order: one row per pupil
keeps imports of hundreds of thousands of pupils fast, and analytics reads them into columnar frames anyway.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opora.core.models import TimeStampedModel
from opora.registry.models import School

MARK_VALIDATORS = [MinValueValidator(2), MaxValueValidator(5)]


class Procedure(models.Model):
    """An assessment procedure: ВПР, ОГЭ, ГВЭ, ЕГЭ, a regional or municipal diagnostic, or a custom one."""

    class Level(models.TextChoices):
        FEDERAL = "federal", pgettext_lazy("procedure level", "federal")
        REGIONAL = "regional", pgettext_lazy("procedure level", "regional")
        MUNICIPAL = "municipal", pgettext_lazy("procedure level", "municipal")

    class Outcome(models.TextChoices):
        MARK = "mark", _("mark 2-5 from the primary score")
        TEST_SCORE = "test_score", _("test score 0-100 with a minimum")
        # xgettext:no-python-format
        LEVEL = "level", _("achievement level and % completion")

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)

    class Meta:
        verbose_name = _("assessment procedure")
        verbose_name_plural = _("assessment procedures")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Subject(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Assessment(models.Model):
    """One procedure in one year, subject and grade (e.g. ВПР 2025, mathematics, grade 5)."""

    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)], help_text=_("Calendar year")
    )
    subject = models.ForeignKey(Subject, verbose_name=_("subject"), on_delete=models.PROTECT)
    grade = models.PositiveSmallIntegerField(
        _("grade"), validators=[MinValueValidator(1), MaxValueValidator(11)]
    )
    max_primary_score = models.DecimalField(
        _("maximum primary score"), max_digits=6, decimal_places=2, null=True
    )
    held_on = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-year", "procedure__code", "subject__name", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "year", "subject", "grade"], name="assessment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure} {self.year} {self.subject} {self.grade}"


class Task(models.Model):
    class Level(models.TextChoices):
        BASIC = "Б", _("basic")
        ADVANCED = "П", _("advanced")
        HIGH = "В", _("high")

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="tasks"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("task"), max_length=16, help_text=_("As in the file: 1, 9.1, 12"))
    max_score = models.DecimalField(_("maximum score"), max_digits=5, decimal_places=2)
    level = models.CharField(_("level"), max_length=1, choices=Level.choices, blank=True)
    skill = models.TextField(_("skill checked"), blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "label"], name="task_label_unique"),
            models.UniqueConstraint(fields=["assessment", "position"], name="task_position_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class MarkScale(models.Model):
    """Primary score → mark boundaries for a procedure, year, subject and grade (kept as data)."""

    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year"))
    subject = models.ForeignKey(Subject, verbose_name=_("subject"), on_delete=models.PROTECT)
    grade = models.PositiveSmallIntegerField(_("grade"))
    min_score_3 = models.DecimalField(_("lowest primary score for «3»"), max_digits=6, decimal_places=2)
    min_score_4 = models.DecimalField(_("lowest primary score for «4»"), max_digits=6, decimal_places=2)
    min_score_5 = models.DecimalField(_("lowest primary score for «5»"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("mark scale")
        verbose_name_plural = _("mark scales")
        ordering = ["-year", "procedure", "subject", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "year", "subject", "grade"], name="mark_scale_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(min_score_3__lte=models.F("min_score_4"))
                & models.Q(min_score_4__lte=models.F("min_score_5")),
                name="mark_scale_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure} {self.year} {self.subject} {self.grade}"

    def mark_for(self, primary_score: Decimal) -> int:
        if primary_score >= self.min_score_5:
            return 5
        if primary_score >= self.min_score_4:
            return 4
        if primary_score >= self.min_score_3:
            return 3
        return 2


class MinimumScore(models.Model):
    """The ЕГЭ minimum test score by year and subject (e.g. 2026: Russian 24, profile mathematics 27)."""

    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year"))
    subject = models.ForeignKey(Subject, verbose_name=_("subject"), on_delete=models.PROTECT)
    minimum = models.DecimalField(_("minimum score"), max_digits=6, decimal_places=2)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("minimum score")
        verbose_name_plural = _("minimum scores")
        ordering = ["-year", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "year", "subject"], name="minimum_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.procedure} {self.year} {self.subject}: {self.minimum}"


class ImportedResults(TimeStampedModel):
    """Results of a school in an assessment that came from a file: where from, and through which import."""

    source_file = models.CharField(_("file"), max_length=500, blank=True)
    import_job = models.ForeignKey(
        "imports.ImportJob",
        verbose_name=_("import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.school} · {self.assessment}"  # type: ignore[attr-defined]


class SchoolAssessment(ImportedResults):
    """The results of one school in one assessment, as last imported: the unit a file replaces."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.PROTECT, related_name="schools"
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="assessments"
    )
    source_sha256 = models.CharField(_("file hash"), max_length=64, blank=True)
    participants_declared = models.PositiveIntegerField(
        _("participants stated in the file"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("school results in an assessment")
        verbose_name_plural = _("school results in assessments")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "school"], name="school_assessment_unique")
        ]


class PupilResult(models.Model):
    # No index of its own: the unique (school_assessment, participant_code) index serves every lookup by
    # school assessment, and one index fewer is less to write per pupil row (the bulk of an import).
    school_assessment = models.ForeignKey(
        SchoolAssessment,
        verbose_name=_("school results"),
        on_delete=models.CASCADE,
        related_name="pupils",
        db_index=False,
    )
    participant_code = models.CharField(_("participant code"), max_length=64)
    class_name = models.CharField(_("class"), max_length=16, blank=True)
    variant = models.CharField(_("variant"), max_length=16, blank=True)
    # Aligned with the assessment's tasks in position order; None = not attempted («X», «-»).
    task_scores = models.JSONField(_("task scores"), default=list)
    primary_score = models.DecimalField(_("primary score"), max_digits=6, decimal_places=2, null=True)
    mark = models.PositiveSmallIntegerField(_("mark"), null=True, validators=MARK_VALIDATORS)
    journal_mark = models.PositiveSmallIntegerField(_("journal mark"), null=True, validators=MARK_VALIDATORS)
    test_score = models.DecimalField(_("test score"), max_digits=5, decimal_places=2, null=True)
    below_minimum = models.BooleanField(_("below the minimum"), null=True)
    # Regional diagnostics: the achievement level as the source names it («базовый») and % completion.
    achievement_level = models.CharField(_("achievement level"), max_length=32, blank=True)
    completion_pct = models.DecimalField(_("completion, %"), max_digits=5, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("pupil result")
        verbose_name_plural = _("pupil results")
        constraints = [
            models.UniqueConstraint(
                fields=["school_assessment", "participant_code"], name="pupil_result_unique"
            )
        ]

    def __str__(self) -> str:
        return self.participant_code


class SchoolAggregateResult(ImportedResults):
    """A school's results where only aggregates exist: ВПР «Статистика по отметкам», regional ЕГЭ/ОГЭ tables,
    school-level regional diagnostics, the canonical school-level format.

    The fields mirror `analytics.schema.SCHOOL_AGGREGATES`; null means the source did not give it.
    """

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.PROTECT, related_name="+"
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="aggregate_results"
    )
    source_sha256 = models.CharField(_("file hash"), max_length=64, blank=True)
    participants = models.PositiveIntegerField(_("participants"))
    share_2 = models.DecimalField(_("«2», %"), max_digits=5, decimal_places=2, null=True)
    share_3 = models.DecimalField(_("«3», %"), max_digits=5, decimal_places=2, null=True)
    share_4 = models.DecimalField(_("«4», %"), max_digits=5, decimal_places=2, null=True)
    share_5 = models.DecimalField(_("«5», %"), max_digits=5, decimal_places=2, null=True)
    below_minimum = models.PositiveIntegerField(_("below the minimum"), null=True)
    below_minimum_share = models.DecimalField(
        _("below the minimum, %"), max_digits=5, decimal_places=2, null=True
    )
    scored_80_99 = models.PositiveIntegerField(_("scored 80-99"), null=True)
    scored_100 = models.PositiveIntegerField(_("scored 100"), null=True)
    mean_primary_score = models.DecimalField(
        _("mean primary score"), max_digits=6, decimal_places=2, null=True
    )
    mean_test_score = models.DecimalField(_("mean test score"), max_digits=5, decimal_places=2, null=True)
    mean_mark = models.DecimalField(_("mean mark"), max_digits=3, decimal_places=2, null=True)
    share_lowered = models.DecimalField(
        _("lowered the journal mark, %"), max_digits=5, decimal_places=2, null=True
    )
    share_confirmed = models.DecimalField(
        _("confirmed the journal mark, %"), max_digits=5, decimal_places=2, null=True
    )
    share_raised = models.DecimalField(
        _("raised the journal mark, %"), max_digits=5, decimal_places=2, null=True
    )
    # Regional diagnostics: mean % completion and the shares of achievement levels, {"базовый": 41.5, ...}.
    mean_completion = models.DecimalField(_("mean completion, %"), max_digits=5, decimal_places=2, null=True)
    level_shares = models.JSONField(_("shares of achievement levels, %"), default=dict, blank=True)

    class Meta:
        verbose_name = _("school aggregate result")
        verbose_name_plural = _("school aggregate results")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "school"], name="aggregate_result_unique")
        ]


class SchoolIndicator(models.Model):
    """A school's indicators in one assessment, computed by `analytics.indicators` and stored for fast pages.

    The columns lists sort and filter on are fields; `values` keeps the whole analytics row (every share
    with its Wilson interval) and `tasks` / `levels` the completion against the municipality and region.
    Recomputed for a whole assessment whenever its results change (opora.assessments.services).
    """

    class Source(models.TextChoices):
        PUPILS = "pupils", _("pupil results")
        AGGREGATES = "aggregates", _("published aggregates")

    class Tier(models.TextChoices):
        INFORMATIVE = "informative", _("informative (N ≥ 50)")
        APPROXIMATE = "approximate", _("approximate (N 20-49)")
        LIMITED = "limited", _("limited (N < 20)")

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="indicators"
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="indicators"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.PUPILS)
    participants = models.PositiveIntegerField(_("participants"))
    sample_tier = models.CharField(_("sample size"), max_length=16, choices=Tier.choices)
    mark_2_pct = models.FloatField(_("«2», %"), null=True)
    mark_2_ci_low = models.FloatField(_("«2», 95% CI low"), null=True)
    mark_2_ci_high = models.FloatField(_("«2», 95% CI high"), null=True)
    below_min_pct = models.FloatField(_("below the minimum, %"), null=True)
    pass_pct = models.FloatField(_("pass rate, %"), null=True)
    quality_pct = models.FloatField(_("quality, %"), null=True)
    mean_primary_score = models.FloatField(_("mean primary score"), null=True)
    # xgettext:no-python-format
    mean_pct_of_max = models.FloatField(_("mean % of maximum"), null=True)
    mean_test_score = models.FloatField(_("mean test score"), null=True)
    values = models.JSONField(_("all indicators"), default=dict)
    tasks = models.JSONField(_("task completion"), default=list)
    levels = models.JSONField(_("completion by level"), default=list)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("school indicator")
        verbose_name_plural = _("school indicators")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "school", "source"], name="school_indicator_unique")
        ]
        indexes = [models.Index(fields=["school", "assessment"])]

    def __str__(self) -> str:
        return f"{self.school} · {self.assessment}"
