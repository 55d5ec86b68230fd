from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opora.registry.models import Municipality, Region, School


class Role(models.TextChoices):
    REGIONAL_COORDINATOR = "regional_coordinator", _("regional coordinator")
    REGIONAL_ANALYST = "regional_analyst", _("regional analyst")
    MUNICIPAL_COORDINATOR = "municipal_coordinator", _("municipal coordinator")
    METHODIST = "methodist", _("methodist")
    CURATOR = "curator", _("curator")
    SCHOOL_COORDINATOR = "school_coordinator", _("school coordinator")
    DIRECTOR = "director", _("director")
    ADMINISTRATOR = "administrator", _("administrator")


REGIONAL_ROLES = frozenset({Role.REGIONAL_COORDINATOR, Role.REGIONAL_ANALYST})
MUNICIPAL_ROLES = frozenset({Role.MUNICIPAL_COORDINATOR, Role.METHODIST})
SCHOOL_ROLES = frozenset({Role.SCHOOL_COORDINATOR, Role.DIRECTOR})


class User(AbstractUser):
    """A person with one role; the role's scope (region, municipality or school) says what they may see."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(REGIONAL_ROLES)) | models.Q(region__isnull=False),
                name="regional_user_has_region",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(MUNICIPAL_ROLES)) | models.Q(municipality__isnull=False),
                name="municipal_user_has_municipality",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(SCHOOL_ROLES)) | models.Q(school__isnull=False),
                name="school_user_has_school",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        parts = [self.last_name, self.first_name, self.patronymic]
        return " ".join(p for p in parts if p) or self.username

    def clean(self) -> None:
        super().clean()
        required = (
            {
                **dict.fromkeys(REGIONAL_ROLES, "region"),
                **dict.fromkeys(MUNICIPAL_ROLES, "municipality"),
                **dict.fromkeys(SCHOOL_ROLES, "school"),
            }.get(Role(self.role))
            if self.role
            else None
        )
        if required and getattr(self, f"{required}_id") is None:
            raise ValidationError({required: _("This role needs its scope to be set.")})


class CuratorAssignment(models.Model):
    """A curator is assigned to a school for a period; while it lasts, the curator may see that school."""

    curator = models.ForeignKey(
        User,
        verbose_name=_("curator"),
        on_delete=models.CASCADE,
        related_name="curator_assignments",
        limit_choices_to={"role": Role.CURATOR},
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="curator_assignments"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("curator assignment")
        verbose_name_plural = _("curator assignments")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["curator", "school", "starts_on"], name="curator_assignment_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="curator_assignment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.curator} → {self.school}"
