"""Reads of the register, always for a user: scope comes from opora.accounts.access."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from opora.accounts.access import municipalities_visible_to, schools_visible_to
from opora.accounts.models import User
from opora.registry.models import AcademicYear, Municipality, School, SchoolContext, SchoolEnrolment


@dataclass(frozen=True)
class SchoolFilters:
    search: str = ""
    municipality_id: int | None = None
    kind: str = ""
    location: str = ""
    status: str = ""


def academic_year_latest() -> AcademicYear | None:
    return AcademicYear.objects.order_by("-start_year").first()


def school_list_for_user(*, user: User, filters: SchoolFilters | None = None) -> QuerySet[School]:
    """The user's schools, filtered, with municipality and the latest enrolment in one query."""
    filters = filters or SchoolFilters()
    schools = schools_visible_to(user).select_related("municipality")
    if filters.search:
        term = filters.search.strip()
        schools = schools.filter(
            Q(short_name__icontains=term)
            | Q(full_name__icontains=term)
            | Q(fis_oko_login__iexact=term)
            | Q(inn=term)
            | Q(settlement__icontains=term)
            | Q(aliases__value__icontains=term)
        ).distinct()
    if filters.municipality_id:
        schools = schools.filter(municipality_id=filters.municipality_id)
    if filters.kind:
        schools = schools.filter(kind=filters.kind)
    if filters.location:
        schools = schools.filter(location=filters.location)
    if filters.status:
        schools = schools.filter(status=filters.status)
    latest_enrolment = SchoolEnrolment.objects.filter(school=OuterRef("pk")).order_by(
        "-academic_year__start_year"
    )
    return schools.annotate(latest_pupils=Subquery(latest_enrolment.values("pupils")[:1])).order_by(
        "municipality__name", "short_name", "pk"
    )


def school_get_for_user(*, user: User, pk: int) -> School:
    try:
        return schools_visible_to(user).select_related("municipality__region", "successor").get(pk=pk)
    except School.DoesNotExist:
        raise Http404("School not found") from None


def municipality_list_for_user(*, user: User, search: str = "") -> QuerySet[Municipality]:
    municipalities = municipalities_visible_to(user).select_related("region")
    if search:
        municipalities = municipalities.filter(name__icontains=search.strip())
    return municipalities.annotate(
        school_count=Count("schools", filter=Q(schools__status=School.Status.ACTIVE)),
        village_school_count=Count(
            "schools",
            filter=Q(schools__status=School.Status.ACTIVE, schools__location=School.Location.VILLAGE),
        ),
    ).order_by("name")


def municipality_get_for_user(*, user: User, pk: int) -> Municipality:
    try:
        return municipalities_visible_to(user).select_related("region").get(pk=pk)
    except Municipality.DoesNotExist:
        raise Http404("Municipality not found") from None


@dataclass(frozen=True)
class PassportRow:
    year: AcademicYear
    pupils: int | None
    context: SchoolContext | None


def school_passport_rows(*, school: School) -> list[PassportRow]:
    """Enrolment and social passport of a school, one row per academic year, newest first."""
    enrolments = {e.academic_year_id: e for e in school.enrolments.select_related("academic_year")}
    contexts = {c.academic_year_id: c for c in school.contexts.select_related("academic_year")}
    years = {e.academic_year_id: e.academic_year for e in enrolments.values()}
    years.update({c.academic_year_id: c.academic_year for c in contexts.values()})
    return [
        PassportRow(
            year=year,
            pupils=enrolments[year_id].pupils if year_id in enrolments else None,
            context=contexts.get(year_id),
        )
        for year_id, year in sorted(years.items(), key=lambda item: -item[1].start_year)
    ]
