"""The register of the education network: region → municipality → school, academic years, identity map."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opora.core.models import TimeStampedModel

SHARE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


class Region(TimeStampedModel):
    code = models.CharField(_("code"), max_length=8, unique=True, help_text=_("Region code, e.g. 25"))
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Municipality(TimeStampedModel):
    class Kind(models.TextChoices):
        URBAN_DISTRICT = "urban_district", _("urban district")
        MUNICIPAL_DISTRICT = "municipal_district", _("municipal district")
        MUNICIPAL_OKRUG = "municipal_okrug", _("municipal okrug")

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.MUNICIPAL_DISTRICT)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="municipality_code_unique_in_region"),
            models.UniqueConstraint(fields=["region", "name"], name="municipality_name_unique_in_region"),
        ]

    def __str__(self) -> str:
        return self.name


class AcademicYear(models.Model):
    """An academic year, 1 September to 31 August, known by the calendar year it starts in."""

    start_year = models.PositiveSmallIntegerField(
        _("start year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )

    class Meta:
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        ordering = ["-start_year"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.start_year}/{self.start_year + 1}"


class School(TimeStampedModel):
    class Kind(models.TextChoices):
        PRIMARY = "primary", _("primary school (NOSh)")
        BASIC = "basic", _("basic school (OOSh)")
        SECONDARY = "secondary", _("secondary school (SOSh)")
        GYMNASIUM = "gymnasium", _("gymnasium")
        LYCEUM = "lyceum", _("lyceum")
        EDUCATION_CENTRE = "education_centre", _("education centre")
        BOARDING = "boarding", _("boarding school")
        SPECIAL = "special", _("special (correctional) school")
        EVENING = "evening", _("evening (shift) school")

    class Location(models.TextChoices):
        CITY = "city", pgettext_lazy("school location", "city")
        VILLAGE = "village", pgettext_lazy("school location", "village")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("school status", "active")
        MERGED = "merged", pgettext_lazy("school status", "merged into another")
        CLOSED = "closed", pgettext_lazy("school status", "closed")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="schools"
    )
    fis_oko_login = models.CharField(
        _("FIS OKO login"),
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^(edu\d{6}|sch\d{6,8})$", _("Expected eduNNNNNN or schNNNNNNNN"))],
    )
    inn = models.CharField(
        _("INN"), max_length=12, blank=True, validators=[RegexValidator(r"^\d{10}$", _("INN has 10 digits"))]
    )
    ogrn = models.CharField(
        _("OGRN"),
        max_length=15,
        blank=True,
        validators=[RegexValidator(r"^\d{13}$", _("OGRN has 13 digits"))],
    )
    full_name = models.CharField(_("full name"), max_length=500)
    short_name = models.CharField(_("short name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.SECONDARY)
    location = models.CharField(_("location"), max_length=16, choices=Location.choices)
    settlement = models.CharField(_("settlement"), max_length=200, blank=True)
    settlement_population = models.PositiveIntegerField(_("settlement population"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text=_("The school this one was merged into"),
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["short_name"]
        indexes = [models.Index(fields=["municipality", "short_name"]), models.Index(fields=["inn"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="merged") | models.Q(successor__isnull=False),
                name="merged_school_has_successor",
            ),
            models.CheckConstraint(
                condition=~models.Q(successor=models.F("id")), name="school_not_own_successor"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name


class SchoolEnrolment(models.Model):
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="enrolments"
    )
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name=_("academic year"), on_delete=models.PROTECT, related_name="+"
    )
    pupils = models.PositiveIntegerField(_("pupils"))

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["school", "-academic_year__start_year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year"], name="enrolment_unique_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.academic_year}: {self.pupils}"


class SchoolContext(models.Model):
    """The school's social passport for a year: the variables the social context index is built from.

    Shares are percentages of pupils (or of families) in [0, 100]; a missing value is NULL, never 0.
    """

    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="contexts"
    )
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name=_("academic year"), on_delete=models.PROTECT, related_name="+"
    )
    share_single_parent = models.DecimalField(
        _("single-parent families, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
    )
    share_parents_higher_education = models.DecimalField(
        _("parents with higher education, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
    )
    share_unemployed_parents = models.DecimalField(
        _("unemployed parents, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
    )
    share_low_income = models.DecimalField(
        _("low-income families, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
    )
    share_on_register = models.DecimalField(
        _("pupils on registers, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
    )
    share_disabilities = models.DecimalField(
        _("pupils with disabilities (OVZ), %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
    )
    share_non_native_russian = models.DecimalField(
        _("non-native Russian speakers, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SHARE_VALIDATORS,
    )

    class Meta:
        verbose_name = _("social passport")
        verbose_name_plural = _("social passports")
        ordering = ["school", "-academic_year__start_year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year"], name="context_unique_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.academic_year}"


class SchoolAlias(models.Model):
    """Another way the same school is named in incoming files: an old login, an INN, a name variant."""

    class Kind(models.TextChoices):
        FIS_OKO_LOGIN = "fis_oko_login", _("FIS OKO login")
        INN = "inn", _("INN")
        OGRN = "ogrn", _("OGRN")
        NAME = "name", _("name")
        EXTERNAL_ID = "external_id", _("other system id")

    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="aliases"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=500)
    # The value as resolution compares it: see opora.registry.identity.normalize_alias.
    normalized = models.CharField(_("normalized value"), max_length=500, editable=False)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("school alias")
        verbose_name_plural = _("school aliases")
        ordering = ["school", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["school", "kind", "normalized"], name="alias_unique_per_school"),
        ]
        indexes = [
            models.Index(fields=["kind", "normalized"]),
            models.Index(Lower("value"), name="alias_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from opora.registry.identity import normalize_alias

        self.normalized = normalize_alias(self.kind, self.value)
        super().save(*args, **kwargs)
