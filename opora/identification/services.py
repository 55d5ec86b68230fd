"""Writes of the identification engine: methodology versions, runs with their findings and lists, and
official lists imported from their files. Every write is audited."""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any

import polars as pl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from analytics.identify import LIST_METHODS, IdentifyInputs, identify
from analytics.methodology import Methodology
from analytics.settings_io import SettingsError
from opora.accounts.models import User
from opora.core.services import audit_event_create
from opora.identification.inputs import identification_inputs
from opora.identification.models import (
    Finding,
    IdentificationRun,
    ListMembership,
    MethodologyVersion,
    SchoolList,
)
from opora.identification.selectors import methodology_in_force
from opora.registry.models import Municipality, Region, School

#: How many years before the identification year a run reads (dynamics over up to 5 years, value added
#: pooled over up to 3, the rule «two years running»).
HISTORY_YEARS = 4


def methodology_current(*, region: Region, municipality: Municipality | None = None) -> MethodologyVersion:
    """The version in force for the scope (`methodology_in_force`); the region's first version (today's
    defaults) is created when there is none yet."""
    in_force = methodology_in_force(region=region, municipality=municipality)
    if in_force is not None:
        return in_force
    version, _created = MethodologyVersion.objects.get_or_create(
        region=region,
        municipality=None,
        number=1,
        defaults={
            "parameters": Methodology().to_dict(),
            "comment": _("The defaults of the methodology (DOMAIN: the recent regional rules)."),
        },
    )
    return version


def methodology_version_create(
    *,
    actor: User,
    region: Region,
    municipality: Municipality | None,
    parameters: dict[str, Any],
    comment: str,
) -> MethodologyVersion:
    """Save edited parameters as the next version of the scope; ValidationError lists what is wrong."""
    try:
        checked = Methodology.from_dict(parameters).to_dict()
    except SettingsError as error:
        raise ValidationError(list(error.problems)) from None
    base = methodology_current(region=region, municipality=municipality)
    if checked == base.parameters:
        raise ValidationError(_("Nothing has changed: the parameters are those of the current version."))
    with transaction.atomic():
        own = MethodologyVersion.objects.select_for_update().filter(region=region, municipality=municipality)
        number = (own.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = MethodologyVersion.objects.create(
            region=region,
            municipality=municipality,
            number=number,
            parameters=checked,
            comment=comment,
            created_by=actor,
        )
        audit_event_create(
            actor=actor,
            action="methodology_version_create",
            object_type="identification.methodologyversion",
            object_id=version.pk,
            summary=str(version),
            details={"based_on": base.pk, "comment": comment},
        )
    return version


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def _rows_by_school(frame: pl.DataFrame | None) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if frame is None or frame.is_empty() or "school_id" not in frame.columns:
        return found
    for row in frame.iter_rows(named=True):
        found.setdefault(row["school_id"], []).append(_json_safe({k: _plain(v) for k, v in row.items()}))
    return found


def _details_by_finding(details: dict[str, pl.DataFrame]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(method, school_id) → the rows behind the finding: the results the low-results rule read, and each
    assessment a sign of non-objective results was checked on."""
    found = {
        ("low_results", school): rows for school, rows in _rows_by_school(details.get("low_results")).items()
    }
    signs = details.get("objectivity")
    if signs is not None and not signs.is_empty():
        for (method,), frame in signs.drop("values", strict=False).group_by("method"):
            for school, rows in _rows_by_school(frame).items():
                found[(str(method), school)] = rows
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, pl.Series):
        return value.to_list()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _previous_lists(region: Region, municipality: Municipality | None, year: int) -> dict[str, pl.DataFrame]:
    """The latest computed list of each kind for the previous year in this scope."""
    found: dict[str, pl.DataFrame] = {}
    for kind in LIST_METHODS:
        school_list = (
            SchoolList.objects.filter(
                origin=SchoolList.Origin.COMPUTED,
                kind=kind,
                region=region,
                municipality=municipality,
                year=year - 1,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if school_list is not None:
            found[kind] = pl.DataFrame(
                [
                    (str(s), c)
                    for s, c in school_list.memberships.values_list("school_id", "cycles_without_rule")
                ],
                schema={"school_id": pl.String, "cycles_without_rule": pl.Int16},
                orient="row",
            )
    return found


def _lists_fingerprint(previous: dict[str, pl.DataFrame]) -> str:
    return json.dumps(
        {kind: sorted(frame.iter_rows()) for kind, frame in sorted(previous.items())}, sort_keys=True
    )


def identification_run_create(
    *,
    actor: User,
    region: Region,
    municipality: Municipality | None,
    year: int,
    rerun_of: IdentificationRun | None = None,
) -> IdentificationRun:
    """Compute every method for the scope and year, and store the run, its findings and computed lists.

    A rerun uses the methodology version of the run it repeats; a new run the scope's current version.
    """
    started = time.monotonic()
    version = (
        rerun_of.methodology
        if rerun_of is not None
        else methodology_current(region=region, municipality=municipality)
    )
    methodology = Methodology.from_dict(version.parameters)
    schools = School.objects.filter(municipality__region=region)
    if municipality is not None:
        schools = schools.filter(municipality=municipality)
    inputs = identification_inputs(schools=schools, years=range(year - HISTORY_YEARS, year + 1))
    previous = _previous_lists(region, municipality, year)
    fingerprint = hashlib.sha256((inputs.fingerprint() + _lists_fingerprint(previous)).encode()).hexdigest()
    result = identify(
        IdentifyInputs(
            indicators=inputs.indicators,
            context=inputs.context,
            pupil_marks=inputs.pupil_marks,
            level_completion=inputs.level_completion,
            areas=inputs.areas,
        ),
        methodology,
        year=year,
        previous_lists=previous,
    )
    details = _details_by_finding(result.details)
    with transaction.atomic():
        run = IdentificationRun.objects.create(
            region=region,
            municipality=municipality,
            year=year,
            methodology=version,
            input_fingerprint=fingerprint,
            rerun_of=rerun_of,
            started_by=actor,
            models_summary=_json_safe(_models_summary(result.models)),
        )
        Finding.objects.bulk_create(
            [
                Finding(
                    run=run,
                    school_id=int(row["school_id"]),
                    method=row["method"],
                    status=str(row["status"]),
                    reason_codes=list(row["reason_codes"] or []),
                    reason=row["reason"] or "",
                    values=_json_safe(json.loads(row["values"] or "{}")),
                    details=details.get((row["method"], row["school_id"]), []),
                )
                for row in result.findings.iter_rows(named=True)
            ],
            batch_size=1000,
        )
        reasons = {
            (row["method"], row["school_id"]): row["reason"] or ""
            for row in result.findings.filter(pl.col("method").is_in(LIST_METHODS)).iter_rows(named=True)
        }
        for kind in LIST_METHODS:
            school_list = SchoolList.objects.create(
                kind=kind,
                origin=SchoolList.Origin.COMPUTED,
                level=SchoolList.Level.MUNICIPAL if municipality else SchoolList.Level.REGIONAL,
                region=region,
                municipality=municipality,
                year=year,
                run=run,
                document=_("Computed by run #%(run)s, methodology %(version)s")
                % {"run": run.pk, "version": version},
                created_by=actor,
            )
            ListMembership.objects.bulk_create(
                [
                    ListMembership(
                        school_list=school_list,
                        school_id=int(row["school_id"]),
                        meets_rule=bool(row["meets_rule"]),
                        cycles_without_rule=row["cycles_without_rule"],
                        reason=reasons.get((kind, row["school_id"]), ""),
                    )
                    for row in result.lists[kind].iter_rows(named=True)
                ],
                batch_size=1000,
            )
        run.seconds = round(time.monotonic() - started, 3)
        run.save(update_fields=["seconds"])
        audit_event_create(
            actor=actor,
            action="identification_run_create",
            object_type="identification.identificationrun",
            object_id=run.pk,
            summary=str(run),
            details={
                "methodology": version.pk,
                "fingerprint": fingerprint,
                "rerun_of": rerun_of.pk if rerun_of else None,
            },
        )
    return run


def _models_summary(models: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, value in models.items():
        if isinstance(value, pl.DataFrame):
            summary[name] = [{k: _plain(v) for k, v in row.items()} for row in value.iter_rows(named=True)]
        elif isinstance(value, dict):
            summary[name] = {k: _plain(v) for k, v in value.items()}
        elif hasattr(value, "__dataclass_fields__"):
            summary[name] = {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
        else:
            summary[name] = _plain(value)
    return summary
