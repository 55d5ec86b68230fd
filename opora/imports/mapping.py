"""Schools a failed job's file names but the register does not: what the job page offers, and mapping.

An importer marks such a problem with `RowError.school` (the identifier, its kind, the name in the file
and similar schools). Mapping the identifier to a school of the user's scope creates a SchoolAlias, so the
next check of the file (and every later file) resolves it.
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.imports.models import ImportJob
from opora.imports.selectors import import_kind_allowed
from opora.imports.services import ImportJobStateError, import_job_event_add, import_job_validate
from opora.registry.models import School, SchoolAlias
from opora.registry.services import school_alias_create

# A select longer than this is no help: a user of a large region picks among the suggestions' areas.
MAX_CHOICES = 1500


@dataclass
class UnknownSchool:
    """One identifier the file gives for a school missing from the register, and the schools to pick."""

    kind: str
    identifier: str
    name: str
    problems: int = 0
    suggestion_ids: list[int] = field(default_factory=list)
    suggestions: list[School] = field(default_factory=list)
    # The other schools of the user's scope: (municipality, its schools), in the suggestions' areas first.
    others: list[tuple[str, list[School]]] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(SchoolAlias.Kind(self.kind).label)


def _unknown(job: ImportJob) -> dict[tuple[str, str], UnknownSchool]:
    found: dict[tuple[str, str], UnknownSchool] = {}
    for error in job.errors:
        school: Any = error.get("school") if isinstance(error, dict) else None
        if not isinstance(school, dict) or school.get("kind") not in SchoolAlias.Kind.values:
            continue
        identifier = str(school.get("identifier") or "").strip()
        if not identifier:
            continue
        item = found.setdefault(
            (school["kind"], identifier),
            UnknownSchool(kind=school["kind"], identifier=identifier, name=str(school.get("name") or "")),
        )
        item.problems += 1
        for pk in school.get("suggestions") or []:
            if isinstance(pk, int) and pk not in item.suggestion_ids:
                item.suggestion_ids.append(pk)
    return found


def unknown_schools_for_user(*, job: ImportJob, user: User) -> list[UnknownSchool]:
    """The unknown schools of a failed job this user may map (one query for the schools to offer)."""
    if job.status != ImportJob.Status.FAILED or not import_kind_allowed(user=user, kind=job.kind):
        return []
    found = _unknown(job)
    if not found:
        return []
    schools = list(
        schools_visible_to(user)
        .select_related("municipality")
        .order_by("municipality__name", "short_name", "pk")[:MAX_CHOICES]
    )
    by_pk = {s.pk: s for s in schools}
    by_municipality: dict[int, list[School]] = {}
    for school in schools:
        by_municipality.setdefault(school.municipality_id, []).append(school)
    for item in found.values():
        item.suggestions = [by_pk[pk] for pk in item.suggestion_ids if pk in by_pk]
        areas = {s.municipality_id for s in item.suggestions} or set(by_municipality)
        item.others = [
            (group[0].municipality.name, group) for pk, group in by_municipality.items() if pk in areas
        ]
    return sorted(found.values(), key=lambda item: (item.kind, item.identifier))


def unknown_school_in_job(*, job: ImportJob, kind: str, identifier: str) -> bool:
    """Does the job ask to map this identifier? Only those may be mapped through the job's page."""
    return (kind, identifier.strip()) in _unknown(job)


class SchoolMappingForm(forms.Form):
    kind = forms.ChoiceField(choices=SchoolAlias.Kind.choices, widget=forms.HiddenInput)
    identifier = forms.CharField(max_length=500, widget=forms.HiddenInput)
    school = forms.IntegerField(min_value=1, max_value=2**31 - 1)


def import_job_school_map(
    *, job: ImportJob, user: User, school: School, kind: str, identifier: str
) -> ImportJob:
    """Make the identifier an alias of the school, log it on the job and check the file again.

    The caller has checked that the school is in the user's scope and the job asks for this identifier.
    Raises SchoolAliasConflictError if the identifier names another school, ImportJobStateError if the
    job can no longer be checked (nothing is written then).
    """
    if not job.can_cancel:
        raise ImportJobStateError(_("This import can no longer be checked."))
    with transaction.atomic():
        alias = school_alias_create(
            actor=user,
            school=school,
            kind=kind,
            value=identifier,
            source=_("import #%(job)s «%(name)s»") % {"job": job.pk, "name": job.original_name},
        )
        import_job_event_add(
            job=job,
            message=_("%(user)s mapped %(kind)s «%(identifier)s» to the school «%(school)s».")
            % {
                "user": user.display_name,
                "kind": alias.get_kind_display(),
                "identifier": identifier,
                "school": school.short_name,
            },
        )
    return import_job_validate(job=job)
