"""One identification: every method of the methodology over one region's data for one year.

`identify` is what the web product's runs and the `opora-analytics identify` command both call: the same
inputs and methodology give the same findings and lists, whoever calls it.

Inputs (`IdentifyInputs`) are canonical tidy frames: the school indicators (`analytics.indicators`), the
school context (`schema.SCHOOL_CONTEXT`), the pupils' primary scores and marks (for the test of heaping at
mark boundaries), completion by task level with the municipality's and region's, and the school areas.

The result holds one row per school and method in `findings` (`findings.FINDING_SCHEMA`, plus ``values``:
the method's numbers as a JSON object), the detail tables a school card shows («почему школа в списке»),
the fitted models (regression, loadings) and the lists of the cycle with their memberships.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Final

import polars as pl

from analytics.context_index import context_index
from analytics.dynamics import school_dynamics
from analytics.findings import FINDING_COLUMNS, FINDING_SCHEMA
from analytics.lists import list_membership
from analytics.low_results import low_results
from analytics.methodology import Methodology
from analytics.objectivity import boundary_heaping, objectivity_signs
from analytics.value_added import value_added

__all__ = ["FINDINGS_SCHEMA", "LIST_METHODS", "Identification", "IdentifyInputs", "identify"]

#: The lists a cycle produces, each from the method whose «flagged» schools it holds.
LIST_METHODS: Final = ("low_results", "shnsu", "resilient", "low_in_good_context")

FINDINGS_SCHEMA: Final = pl.Schema({**FINDING_SCHEMA, "values": pl.String()})


@dataclass(frozen=True)
class IdentifyInputs:
    indicators: pl.DataFrame
    context: pl.DataFrame
    pupil_marks: pl.DataFrame
    level_completion: pl.DataFrame
    areas: pl.DataFrame


@dataclass
class Identification:
    year: int
    findings: pl.DataFrame
    details: dict[str, pl.DataFrame] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, pl.DataFrame] = field(default_factory=dict)


def _with_values(frame: pl.DataFrame) -> pl.DataFrame:
    """FINDING_SCHEMA columns, and every other column of the method packed into a JSON object."""
    extra = [name for name in frame.columns if name not in FINDING_COLUMNS]
    values = pl.struct(extra).struct.json_encode() if extra else pl.lit("{}")
    return frame.select(*(pl.col(name).cast(dtype) for name, dtype in FINDING_SCHEMA.items()), values=values)


#: Methods that judge every school: a school of the input without a row gets «недостаточно данных» and
#: this sentence, so that its card says why it is in no list. (A sign of non-objective results that does
#: not apply to a school simply has no row.)
NO_DATA_REASONS: Final = {
    "low_results": "Нет результатов оценочных процедур за {year} г.: правило не применялось.",
    "dynamics": "Нет результатов одной процедуры за два года: динамику рассчитать нельзя.",
    "shnsu": "Нет данных социального паспорта за {year} г.: индекс контекста не рассчитан.",
    "resilient": "Нет индекса контекста или достаточных результатов за период: "
    "добавленная ценность не рассчитана.",
    "low_in_good_context": "Нет индекса контекста или достаточных результатов за период: "
    "добавленная ценность не рассчитана.",
}


def _with_missing(findings: pl.DataFrame, areas: pl.DataFrame, year: int) -> pl.DataFrame:
    schools = areas.select(pl.col("school_id").cast(pl.String)).unique()
    missing = [
        schools.join(
            findings.filter(pl.col("method") == method).select("school_id"), on="school_id", how="anti"
        )
        .with_columns(
            year=pl.lit(year, dtype=pl.Int16),
            method=pl.lit(method),
            status=pl.lit("insufficient_data", dtype=FINDINGS_SCHEMA["status"]),
            reason_codes=pl.lit(["no_data"], dtype=pl.List(pl.String)),
            reason=pl.lit(reason.format(year=year)),
            values=pl.lit("{}"),
        )
        .select(FINDINGS_SCHEMA.names())
        for method, reason in NO_DATA_REASONS.items()
    ]
    return pl.concat([findings, *missing], how="vertical")


def _per_school(signs: pl.DataFrame) -> pl.DataFrame:
    """One row per school and sign from the signs' rows per school × assessment: the sign is present if it
    is present in any assessment (its reasons are those assessments'), absent if it was checked and found
    in none, «недостаточно данных» if no assessment had enough participants."""
    if signs.is_empty():
        return signs.select(FINDING_COLUMNS)
    keys = ["school_id", "year", "method"]
    rows = signs.select(*keys, "status", "reason_codes", "reason")
    # findings.STATUSES run flagged, cleared, insufficient_data: the least of the Enum is the school's status.
    best = rows.group_by(keys).agg(
        status=pl.col("status").min(),
        assessments=pl.len(),
        flagged_assessments=(pl.col("status") == "flagged").sum(),
    )
    # Most schools are cleared by every sign: their sentence says so, without joining the rows' texts.
    cleared = pl.col("status") == "cleared"
    checked = best.filter(cleared).select(
        *keys,
        "status",
        reason_codes=pl.lit([], dtype=pl.List(pl.String)),
        reason=pl.format("Признак не выявлен; проверено работ: {}.", pl.col("assessments")),
        assessments="assessments",
        flagged_assessments="flagged_assessments",
    )
    found = (
        rows.join(best.filter(~cleared), on=[*keys, "status"], maintain_order="left")
        .group_by(keys)
        .agg(
            status=pl.col("status").first(),
            reason_codes=pl.col("reason_codes")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique(maintain_order=True),
            reason=pl.col("reason").str.join(" "),
            assessments=pl.col("assessments").first(),
            flagged_assessments=pl.col("flagged_assessments").first(),
        )
    )
    return (
        pl.concat([found, checked.select(found.columns)])
        .select(*FINDING_COLUMNS, "assessments", "flagged_assessments")
        .sort("method", "school_id")
    )


def identify(
    inputs: IdentifyInputs,
    methodology: Methodology,
    *,
    year: int,
    previous_lists: Mapping[str, pl.DataFrame] | None = None,
) -> Identification:
    """Run every method for `year`; `previous_lists` (list kind → school_id, cycles_without_rule) are the
    lists of the previous cycle, so that a school leaves only after K cycles without meeting the rule."""
    # The test of heaping at mark boundaries and the other signs of non-objective results run in two more
    # threads beside the other methods: much of each method is single-threaded (NumPy, SciPy, Python) and
    # Polars releases the GIL. The methods share no state: the result does not depend on which ends first.
    settings = methodology.objectivity
    with ThreadPoolExecutor(max_workers=2) as pool:
        heaping = pool.submit(boundary_heaping, inputs.pupil_marks, year=year, settings=settings)
        other_signs = pool.submit(  # without the pupils: the heaping test is the thread above
            objectivity_signs,
            inputs.indicators,
            pupil_results=None,
            level_completion=inputs.level_completion,
            year=year,
            settings=settings,
        )
        low = low_results(inputs.indicators, year=year, settings=methodology.low_results)
        dynamics = school_dynamics(inputs.indicators, year=year, settings=methodology.dynamics)
        context = context_index(inputs.context, year=year, settings=methodology.context, areas=inputs.areas)
        added = value_added(inputs.indicators, context.schools, year=year, settings=methodology.value_added)
        signs = replace(other_signs.result(), boundary_heaping=heaping.result())
    signs_per_school = _per_school(signs.findings)
    frames = [low.findings, dynamics, context.findings, added.findings, signs_per_school]
    findings = (
        pl.concat([_with_values(frame) for frame in frames if not frame.is_empty()], how="vertical")
        if any(not frame.is_empty() for frame in frames)
        else pl.DataFrame(schema=FINDINGS_SCHEMA)
    )
    findings = _with_missing(findings, inputs.areas, year).sort("method", "school_id")
    lists = {}
    for kind in LIST_METHODS:
        meets = findings.filter(pl.col("method") == kind).select(
            "school_id",
            meets_rule=pl.when(pl.col("status") == "insufficient_data")
            .then(None)
            .otherwise(pl.col("status") == "flagged"),
        )
        previous = (previous_lists or {}).get(kind)
        lists[kind] = list_membership(meets, previous, methodology.lists)
    return Identification(
        year=year,
        findings=findings,
        details={
            "low_results": low.details,
            "context": context.schools,
            "value_added": added.schools,
            "objectivity": signs.findings,
        },
        models={"value_added": added.model, "context_loadings": context.loadings},
        lists=lists,
    )
