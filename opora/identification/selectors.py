"""Reads of the identification engine for the pages, each in the user's scope (out of scope → 404)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from analytics.context_index import CONTEXT_VARIABLES
from analytics.dynamics import positive_dynamics_share
from analytics.methodology import SECTIONS, Change, Methodology, methodology_changes
from analytics.settings_io import Parameter, flat_values
from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.identification.access import lists_visible_to, methodologies_visible_to, runs_visible_to
from opora.identification.charts import ThresholdChart, threshold_chart
from opora.identification.models import (
    Finding,
    IdentificationRun,
    ListMembership,
    MethodologyVersion,
    SchoolList,
)
from opora.registry.models import Municipality, Region, School

LIST_SORTS = {
    "school": ("school__short_name",),
    "-school": ("-school__short_name",),
    "municipality": ("school__municipality__name", "school__short_name"),
    "-municipality": ("-school__municipality__name", "school__short_name"),
    "cycles": ("cycles_without_rule", "school__short_name"),
    "-cycles": ("-cycles_without_rule", "school__short_name"),
}


def run_get_for_user(*, user: User, pk: int) -> IdentificationRun:
    run = (
        runs_visible_to(user)
        .select_related("methodology", "region", "municipality", "started_by")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404("Run not found")
    return run


def list_get_for_user(*, user: User, pk: int) -> SchoolList:
    school_list = lists_visible_to(user).select_related("region", "municipality", "run").filter(pk=pk).first()
    if school_list is None:
        raise Http404("List not found")
    return school_list


def methodology_in_force(
    *, region: Region, municipality: Municipality | None = None
) -> MethodologyVersion | None:
    """The latest version for the scope: the municipality's own, else its region's; None before the first
    (a read: `services.methodology_current` creates the first when a run or an edit needs it)."""
    if municipality is not None:
        own = MethodologyVersion.objects.filter(municipality=municipality).order_by("-number").first()
        if own is not None:
            return own
    return (
        MethodologyVersion.objects.filter(region=region, municipality__isnull=True)
        .order_by("-number")
        .first()
    )


def methodology_get_for_user(*, user: User, pk: int) -> MethodologyVersion:
    version = (
        methodologies_visible_to(user).select_related("created_by", "municipality").filter(pk=pk).first()
    )
    if version is None:
        raise Http404("Methodology version not found")
    return version


def memberships_for_user(
    *,
    user: User,
    school_list: SchoolList,
    municipality_id: int | None = None,
    query: str = "",
    sort: str = "",
) -> QuerySet[ListMembership]:
    """The list's schools the user may see, filtered and sorted."""
    rows = (
        school_list.memberships.filter(school__in=schools_visible_to(user))
        .select_related("school", "school__municipality")
        .order_by(*LIST_SORTS.get(sort, LIST_SORTS["municipality"]))
    )
    if municipality_id is not None:
        rows = rows.filter(school__municipality_id=municipality_id)
    if query:
        rows = rows.filter(
            Q(school__short_name__icontains=query)
            | Q(school__full_name__icontains=query)
            | Q(school__fis_oko_login__iexact=query)
        )
    return rows


@dataclass
class MethodCounts:
    method: str
    flagged: int = 0
    cleared: int = 0
    insufficient: int = 0


def run_findings_for_user(*, user: User, run: IdentificationRun) -> list[MethodCounts]:
    """Per method, how many of the schools the user may see meet its rule, do not, or lack the data."""
    counts: dict[str, MethodCounts] = {}
    for row in (
        Finding.objects.filter(run=run, school__in=schools_visible_to(user))
        .values("method", "status")
        .annotate(n=Count("id"))
        .order_by("method")
    ):
        item = counts.setdefault(row["method"], MethodCounts(row["method"]))
        field_name = {"flagged": "flagged", "cleared": "cleared"}.get(row["status"], "insufficient")
        setattr(item, field_name, row["n"])
    return list(counts.values())


@dataclass
class RunModels:
    """The fitted models of a run as its page shows them: the value-added regression per region and the
    variables of the context index with their Russian names."""

    regressions: list[dict[str, Any]]
    variables: list[dict[str, Any]]


def run_models(*, run: IdentificationRun) -> RunModels:
    summary = run.models_summary or {}
    regressions = summary.get("value_added") or []
    variables = [
        {
            **row,
            "label": CONTEXT_VARIABLES[row["variable"]].label
            if row.get("variable") in CONTEXT_VARIABLES
            else row.get("variable"),
        }
        for row in summary.get("context_loadings") or []
    ]
    return RunModels(
        regressions=regressions if isinstance(regressions, list) else [regressions], variables=variables
    )


@dataclass
class ComparisonRow:
    school: School
    in_computed: bool
    in_official: bool
    finding: Finding | None
    note: str = ""


@dataclass
class Comparison:
    computed: SchoolList
    official: SchoolList
    rows: list[ComparisonRow] = field(default_factory=list)

    @property
    def both(self) -> int:
        return sum(1 for row in self.rows if row.in_computed and row.in_official)

    @property
    def only_computed(self) -> list[ComparisonRow]:
        return [row for row in self.rows if row.in_computed and not row.in_official]

    @property
    def only_official(self) -> list[ComparisonRow]:
        return [row for row in self.rows if row.in_official and not row.in_computed]


def list_comparison_for_user(*, user: User, computed: SchoolList, official: SchoolList) -> Comparison:
    """Each school in either list the user may see, and why the computed list has it or not: the finding of
    the computed list's run for the school (its status and reason)."""
    visible = schools_visible_to(user)
    computed_ids = set(computed.memberships.filter(school__in=visible).values_list("school_id", flat=True))
    official_notes = dict(official.memberships.filter(school__in=visible).values_list("school_id", "note"))
    ids = computed_ids | set(official_notes)
    findings = {
        f.school_id: f
        for f in Finding.objects.filter(run_id=computed.run_id, method=computed.kind, school_id__in=ids)
    }
    schools = (
        School.objects.filter(pk__in=ids)
        .select_related("municipality")
        .order_by("municipality__name", "short_name")
    )
    rows = [
        ComparisonRow(
            school=school,
            in_computed=school.pk in computed_ids,
            in_official=school.pk in official_notes,
            finding=findings.get(school.pk),
            note=official_notes.get(school.pk, ""),
        )
        for school in schools
    ]
    return Comparison(computed=computed, official=official, rows=rows)


@dataclass
class SchoolIdentification:
    """The «why is the school in the list» section of a school card."""

    memberships: list[ListMembership]
    findings: list[Finding]
    run: IdentificationRun | None
    chart: ThresholdChart | None = None  # the results the low-results rule read, against its threshold


def school_identification_for_user(*, user: User, school: School) -> SchoolIdentification:
    """The school's list history (every list it is in, newest first) and the findings of the latest run
    over its region or municipality. The caller has already checked that the user may see the school."""
    memberships = list(
        ListMembership.objects.filter(school=school)
        .select_related("school_list")
        .order_by("-school_list__year", "school_list__kind", "-school_list__created_at")
    )
    run = (
        IdentificationRun.objects.filter(region_id=school.municipality.region_id)
        .filter(Q(municipality__isnull=True) | Q(municipality_id=school.municipality_id))
        .select_related("methodology")
        .order_by("-year", "-started_at", "-id")
        .first()
    )
    findings = list(Finding.objects.filter(run=run, school=school).order_by("method")) if run else []
    chart = None
    low = next((f for f in findings if f.method == "low_results" and f.details), None)
    if run is not None and low is not None:
        threshold = run.methodology.parameters.get("low_results", {}).get("threshold_pct", 30.0)
        chart = threshold_chart(low.details, threshold=float(threshold))
    return SchoolIdentification(memberships=memberships, findings=findings, run=run, chart=chart)


@dataclass
class ParameterRow:
    parameter: Parameter
    value: Any  # as the page shows it: a choice by its Russian name
    default: Any
    changed: bool  # differs from today's default


def _shown(parameter: Parameter, value: Any) -> Any:
    if parameter.kind != "choice":
        return value
    return dict(zip(parameter.choices, parameter.choice_labels, strict=True)).get(value, value)


@dataclass
class MethodologyView:
    version: MethodologyVersion
    sections: list[tuple[str, str, list[ParameterRow]]]
    changes: list[Change]


def methodology_view(*, version: MethodologyVersion) -> MethodologyView:
    """The version's parameters by section (with label, source and value), and what changed since the
    previous version of the same scope."""
    values = flat_values(Methodology.from_dict(version.parameters))
    sections: dict[str, list[ParameterRow]] = {key: [] for key in SECTIONS}
    for parameter in Methodology.parameters():
        section = parameter.name.split(".", 1)[0]
        sections.setdefault(section, []).append(
            ParameterRow(
                parameter=parameter,
                value=_shown(parameter, values.get(parameter.name)),
                default=_shown(parameter, parameter.default),
                changed=values.get(parameter.name) != parameter.default,
            )
        )
    previous = (
        MethodologyVersion.objects.filter(
            region_id=version.region_id, municipality=version.municipality, number__lt=version.number
        )
        .order_by("-number")
        .first()
    )
    changes = methodology_changes(previous.parameters, version.parameters) if previous else []
    return MethodologyView(
        version=version,
        sections=[(key, SECTIONS.get(key, key), items) for key, items in sections.items()],
        changes=changes,
    )


@dataclass
class RunDifference:
    """How a rerun compares with the run it repeats: the same input and methodology must give the same."""

    same_input: bool
    same_methodology: bool
    changed_findings: list[tuple[int, str, str, str]]  # school pk, method, status before, status after
    changed_lists: list[tuple[str, int, bool]]  # list kind, school pk, in the rerun's list

    @property
    def identical(self) -> bool:
        return not self.changed_findings and not self.changed_lists


def runs_difference(original: IdentificationRun | None, rerun: IdentificationRun) -> RunDifference | None:
    """Every finding and list membership that differs between a run and its rerun (reasons included)."""
    if original is None:
        return None

    def findings(run: IdentificationRun) -> dict[tuple[int, str], tuple[str, str, tuple[str, ...]]]:
        return {
            (school, method): (status, reason, tuple(codes))
            for school, method, status, reason, codes in Finding.objects.filter(run=run).values_list(
                "school_id", "method", "status", "reason", "reason_codes"
            )
        }

    def members(run: IdentificationRun) -> set[tuple[str, int]]:
        return set(
            ListMembership.objects.filter(school_list__run=run).values_list("school_list__kind", "school_id")
        )

    before, after = findings(original), findings(rerun)
    changed = [
        (key[0], key[1], before.get(key, ("—", "", ()))[0], after.get(key, ("—", "", ()))[0])
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]
    was, now = members(original), members(rerun)
    lists = sorted(
        [(kind, school, True) for kind, school in now - was]
        + [(kind, school, False) for kind, school in was - now]
    )
    return RunDifference(
        same_input=original.input_fingerprint == rerun.input_fingerprint,
        same_methodology=original.methodology_id == rerun.methodology_id,
        changed_findings=changed,
        changed_lists=lists,
    )


@dataclass
class PositiveDynamicsRow:
    municipality: str  # empty for the whole scope
    listed: int
    positive: int
    share: float | None


def positive_dynamics_for_user(*, user: User, run: IdentificationRun) -> list[PositiveDynamicsRow]:
    """«Доля ШНОР/ШНСУ с положительной динамикой» of the run: the schools in its ШНОР or ШНСУ list that the
    user may see, with positive dynamics, over all of them (analytics.dynamics.positive_dynamics_share);
    the whole scope first, then each municipality."""
    visible = schools_visible_to(user)
    listed = list(
        ListMembership.objects.filter(
            school_list__run=run,
            school_list__kind__in=[SchoolList.Kind.LOW_RESULTS, SchoolList.Kind.UNFAVOURABLE_CONTEXT],
            school__in=visible,
        )
        .values_list("school_id", "school__municipality__name")
        .distinct()
    )
    if not listed:
        return []
    directions = [
        (str(school), values.get("direction"))
        for school, values in Finding.objects.filter(
            run=run, method="dynamics", school_id__in=[s for s, _ in listed]
        ).values_list("school_id", "values")
    ]
    dynamics = pl.DataFrame(directions, schema={"school_id": pl.String, "direction": pl.String}, orient="row")
    areas = pl.DataFrame(
        [(str(s), m) for s, m in listed],
        schema={"school_id": pl.String, "municipality_id": pl.String},
        orient="row",
    )
    table = positive_dynamics_share(dynamics, [str(s) for s, _ in listed], areas=areas)
    return [
        PositiveDynamicsRow(
            municipality=row["municipality_id"] or "",
            listed=row["listed_schools"],
            positive=row["positive_schools"],
            share=row["positive_share_pct"],
        )
        for row in table.sort(pl.col("level") != "overall", "municipality_id").iter_rows(named=True)
    ]
