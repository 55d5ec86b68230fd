"""Reads of assessment results, always for a user: scope comes from opora.accounts.access."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum

from analytics.achievement import level_sort_key
from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.assessments.charts import ShareChart, SharePoint, share_chart
from opora.assessments.models import Assessment, Procedure, SchoolIndicator, Subject
from opora.imports.models import ImportJob
from opora.imports.selectors import import_kind_allowed
from opora.registry.models import Municipality
from opora.registry.selectors import municipality_get_for_user

# The municipality list never grows past this many rows (a municipality has far fewer schools).
RESULTS_ROW_LIMIT = 500

# Whitelisted sort keys of the municipality results → model fields; a leading "-" sorts descending.
RESULT_SORTS = {
    "school": "school__short_name",
    "participants": "participants",
    "mark_2_pct": "mark_2_pct",
    "quality_pct": "quality_pct",
    "pass_pct": "pass_pct",
    "mean_pct_of_max": "mean_pct_of_max",
}
DEFAULT_RESULT_SORT = "school"


def _one_per_school() -> QuerySet[SchoolIndicator]:
    """Indicators, one per school × assessment: pupil rows win over aggregates."""
    pupil_rows = SchoolIndicator.objects.filter(
        school_id=OuterRef("school_id"),
        assessment_id=OuterRef("assessment_id"),
        source=SchoolIndicator.Source.PUPILS,
    )
    return SchoolIndicator.objects.exclude(Exists(pupil_rows), source=SchoolIndicator.Source.AGGREGATES)


def _indicators_for_user(user: User) -> QuerySet[SchoolIndicator]:
    """Indicators of the user's schools, one per school × assessment: pupil rows win over aggregates."""
    return (
        _one_per_school()
        .filter(school__in=schools_visible_to(user))
        .select_related("assessment__procedure", "assessment__subject")
    )


def _pk_or_none(value: object) -> int | None:
    """A positive integer from a raw GET value, or None for anything else (text, NUL bytes, huge numbers)."""
    if isinstance(value, int):
        return value if 0 < value < 2**31 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value) or None
    return None


# ---------------------------------------------------------------------------------------------------------
# The school card


@dataclass(frozen=True)
class YearCell:
    """One school's indicators in one year of a procedure × subject × grade, with the change of «2» %."""

    indicator: SchoolIndicator
    mark_2_change_pp: float | None


@dataclass(frozen=True)
class ResultRow:
    procedure: Procedure
    subject: Subject
    grade: int
    cells: list[YearCell | None]  # aligned with SchoolResults.years; None where the year has no data
    chart: ShareChart | None = None  # the «2» share by year, against the municipality and the region


@dataclass(frozen=True)
class CompletionRow:
    """Completion of one task (or level) by the school against its municipality and region."""

    label: str
    level: str
    participants: int | None
    completion_pct: float | None
    municipality_pct: float | None
    region_pct: float | None
    municipality_diff_pp: float | None
    region_diff_pp: float | None


@dataclass(frozen=True)
class LevelShare:
    """The share of one achievement level, % (with its Wilson interval where pupil rows give it)."""

    pct: float
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class DiagnosticRow:
    """A regional diagnostic of the school: mean % completion and the shares of achievement levels."""

    indicator: SchoolIndicator
    mean_completion: float | None
    level_n: int | None  # the base of the shares: pupils with a level, or the published participants
    shares: list[LevelShare | None]  # aligned with SchoolResults.level_labels; None: the level is not given


@dataclass(frozen=True)
class SchoolResults:
    years: list[int] = field(default_factory=list)
    rows: list[ResultRow] = field(default_factory=list)
    indicators: list[SchoolIndicator] = field(default_factory=list)  # newest first, for the choice
    selected: SchoolIndicator | None = None
    tasks: list[CompletionRow] = field(default_factory=list)
    levels: list[CompletionRow] = field(default_factory=list)
    level_labels: list[str] = field(default_factory=list)  # lowest level first
    diagnostics: list[DiagnosticRow] = field(default_factory=list)
    can_import: bool = False


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _completion_rows(items: list[dict[str, Any]], label_key: str) -> list[CompletionRow]:
    rows = []
    for item in items:
        own = item.get("completion_pct")
        municipality = item.get("municipality_completion_pct")
        region = item.get("region_completion_pct")
        rows.append(
            CompletionRow(
                label=str(item.get(label_key) or ""),
                level=str(item.get("level") or ""),
                participants=item.get("participants"),
                completion_pct=own,
                municipality_pct=municipality,
                region_pct=region,
                municipality_diff_pp=_difference(own, municipality),
                region_diff_pp=_difference(own, region),
            )
        )
    return rows


def _diagnostic_rows(indicators: list[SchoolIndicator]) -> tuple[list[str], list[DiagnosticRow]]:
    """The level columns (every level the school's diagnostics name, lowest first) and a row per
    diagnostic with a mean completion or level shares, whichever source they came from.

    Both sources store `level_shares` ({"базовый": 41.5}) and `mean_completion` in `values`; pupil rows add
    `level_n` and `level_ci`, aggregates are taken over their participants and have no interval.
    """
    found = [
        i for i in indicators if i.values.get("level_shares") or i.values.get("mean_completion") is not None
    ]
    labels = sorted(
        {label for i in found for label in i.values.get("level_shares") or {}}, key=level_sort_key
    )
    rows = []
    for indicator in found:
        values = indicator.values
        shares: dict[str, float] = values.get("level_shares") or {}
        intervals: dict[str, list[float | None]] = values.get("level_ci") or {}
        level_n = values.get("level_n", indicator.participants if shares else None)
        rows.append(
            DiagnosticRow(
                indicator=indicator,
                mean_completion=values.get("mean_completion"),
                level_n=level_n,
                shares=[
                    LevelShare(shares[label], *intervals.get(label, (None, None)))
                    if label in shares
                    else None
                    for label in labels
                ],
            )
        )
    return labels, rows


def _task_sort_key(label: str) -> tuple[int, ...]:
    """Tasks «1», «2», «9.1», «10» in their natural order (the stored order is by text)."""
    parts = [int(p) if p.isdigit() else 0 for p in label.split(".")]
    return tuple(parts)


def _mark_2_references(indicators: list[SchoolIndicator]) -> dict[int, tuple[float | None, float | None]]:
    """The «2» share of the school's municipality and region in each of its assessments, in one query.

    Each area's share is the mean of its schools' shares weighted by their participants; every school of
    the area counts, whoever looks (as the municipality and region completion of tasks does).
    """
    school = indicators[0].school
    weighted = F("mark_2_pct") * F("participants")
    has_share = Q(mark_2_pct__isnull=False)
    own = has_share & Q(school__municipality_id=school.municipality_id)
    rows = (
        _one_per_school()
        .filter(
            assessment_id__in={i.assessment_id for i in indicators},
            school__municipality__region_id=school.municipality.region_id,
        )
        .values("assessment_id")
        .annotate(
            region_sum=Sum(weighted, filter=has_share),
            region_n=Sum("participants", filter=has_share),
            municipality_sum=Sum(weighted, filter=own),
            municipality_n=Sum("participants", filter=own),
        )
        .order_by()
    )
    return {
        row["assessment_id"]: (
            row["municipality_sum"] / row["municipality_n"] if row["municipality_n"] else None,
            row["region_sum"] / row["region_n"] if row["region_n"] else None,
        )
        for row in rows
    }


def _mark_2_chart(
    years: list[int],
    cells: list[YearCell | None],
    references: dict[int, tuple[float | None, float | None]],
) -> ShareChart | None:
    points = []
    municipality: list[float | None] = []
    region: list[float | None] = []
    for year, cell in zip(years, cells, strict=True):
        if cell is None:
            points.append(SharePoint(year, None))
            municipality.append(None)
            region.append(None)
            continue
        i = cell.indicator
        points.append(SharePoint(year, i.mark_2_pct, i.mark_2_ci_low, i.mark_2_ci_high))
        area = references.get(i.assessment_id, (None, None))
        municipality.append(area[0])
        region.append(area[1])
    return share_chart(
        years=years, points=points, references={"municipality": municipality, "region": region}
    )


def school_results_for_user(*, user: User, school_pk: int, selected: object = None) -> SchoolResults:
    """A school's results for its card in one query: years side by side and one assessment's tasks.

    `selected` is the raw `assessment` GET value; anything that is not one of this school's assessments
    falls back to the latest. A school out of the user's scope has no results (its card is a 404 anyway).
    """
    indicators = list(
        _indicators_for_user(user)
        .filter(school_id=school_pk)
        .select_related("school__municipality")
        .order_by(
            "assessment__procedure__code",
            "assessment__subject__name",
            "assessment__grade",
            "assessment__year",
        )
    )
    can_import = import_kind_allowed(user=user, kind=ImportJob.Kind.VPR_RESULTS)
    if not indicators:
        return SchoolResults(can_import=can_import)
    years = sorted({i.assessment.year for i in indicators})
    groups: dict[tuple[int, int, int], list[SchoolIndicator]] = {}
    for indicator in indicators:
        a = indicator.assessment
        groups.setdefault((a.procedure_id, a.subject_id, a.grade), []).append(indicator)
    references = _mark_2_references(indicators)
    rows = []
    for group in groups.values():
        by_year: dict[int, YearCell] = {}
        previous: SchoolIndicator | None = None
        for indicator in group:  # ordered by year
            change = _difference(indicator.mark_2_pct, previous.mark_2_pct) if previous else None
            by_year[indicator.assessment.year] = YearCell(indicator=indicator, mark_2_change_pp=change)
            previous = indicator
        first = group[0].assessment
        cells = [by_year.get(year) for year in years]
        rows.append(
            ResultRow(
                procedure=first.procedure,
                subject=first.subject,
                grade=first.grade,
                cells=cells,
                chart=_mark_2_chart(years, cells, references),
            )
        )
    newest_first = sorted(indicators, key=lambda i: -i.assessment.year)  # stable: keeps the display order
    wanted = _pk_or_none(selected)
    chosen = next((i for i in newest_first if i.assessment_id == wanted), newest_first[0])
    tasks = sorted(_completion_rows(chosen.tasks, "task"), key=lambda row: _task_sort_key(row.label))
    level_labels, diagnostics = _diagnostic_rows(indicators)
    return SchoolResults(
        years=years,
        rows=rows,
        indicators=newest_first,
        selected=chosen,
        tasks=tasks,
        levels=_completion_rows(chosen.levels, "level"),
        level_labels=level_labels,
        diagnostics=diagnostics,
        can_import=can_import,
    )


# ---------------------------------------------------------------------------------------------------------
# The municipality results page and its export


@dataclass(frozen=True)
class ResultFilters:
    procedure_id: int | None = None
    year: int | None = None
    subject_id: int | None = None
    grade: int | None = None
    sort: str = DEFAULT_RESULT_SORT


@dataclass(frozen=True)
class MunicipalityResults:
    municipality: Municipality
    assessment: Assessment | None
    rows: list[SchoolIndicator]
    sort: str
    truncated: bool


def _sort_or_default(sort: str) -> str:
    return sort if sort.removeprefix("-") in RESULT_SORTS else DEFAULT_RESULT_SORT


def municipality_results_for_user(
    *, user: User, municipality_pk: int, filters: ResultFilters, limit: int = RESULTS_ROW_LIMIT
) -> MunicipalityResults:
    """One row per school of the municipality in one assessment: the latest with data matching the filters.

    Only schools in the user's scope are listed; an unknown sort key sorts by school name. Three queries
    (municipality, assessment, rows) whatever the number of schools.
    """
    municipality = municipality_get_for_user(user=user, pk=municipality_pk)
    indicators = _indicators_for_user(user).filter(school__municipality=municipality)
    assessments = Assessment.objects.filter(pk__in=indicators.values("assessment_id"))
    if filters.procedure_id:
        assessments = assessments.filter(procedure_id=filters.procedure_id)
    if filters.year:
        assessments = assessments.filter(year=filters.year)
    if filters.subject_id:
        assessments = assessments.filter(subject_id=filters.subject_id)
    if filters.grade:
        assessments = assessments.filter(grade=filters.grade)
    assessment = (
        assessments.select_related("procedure", "subject")
        .order_by("-year", F("held_on").desc(nulls_last=True), "procedure__code", "subject__name", "grade")
        .first()
    )
    sort = _sort_or_default(filters.sort)
    if assessment is None:
        return MunicipalityResults(municipality, None, [], sort, truncated=False)
    column = F(RESULT_SORTS[sort.removeprefix("-")])
    order = column.desc(nulls_last=True) if sort.startswith("-") else column.asc(nulls_last=True)
    rows = list(
        indicators.filter(assessment=assessment)
        .select_related("school")
        .order_by(order, "school__short_name", "school_id")[: limit + 1]
    )
    return MunicipalityResults(municipality, assessment, rows[:limit], sort, truncated=len(rows) > limit)
