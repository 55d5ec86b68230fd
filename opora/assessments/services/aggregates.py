"""The stored school indicators of aggregate-only results (source = aggregates)."""

from collections.abc import Iterable
from decimal import Decimal

import polars as pl
from django.db import transaction

from analytics.indicators import aggregate_indicators
from analytics.schema import SCHOOL_AGGREGATES
from opora.assessments.models import SchoolAggregateResult, SchoolIndicator
from opora.assessments.services.indicator_rows import HEADLINE

_AGGREGATE_FIELDS = {
    # SCHOOL_AGGREGATES column → SchoolAggregateResult field
    "participants": "participants",
    "share_2": "share_2",
    "share_3": "share_3",
    "share_4": "share_4",
    "share_5": "share_5",
    "below_minimum_count": "below_minimum",
    "below_minimum_share": "below_minimum_share",
    "mean_primary_score": "mean_primary_score",
    "mean_test_score": "mean_test_score",
    "mean_mark": "mean_mark",
    "score_80_99_count": "scored_80_99",
    "score_100_count": "scored_100",
    "share_lowered": "share_lowered",
    "share_confirmed": "share_confirmed",
    "share_raised": "share_raised",
}


def _aggregates_frame(assessment_ids: list[int]) -> pl.DataFrame:
    """The stored school aggregates of the assessments as a SCHOOL_AGGREGATES frame, with assessment_id."""
    fields = list(_AGGREGATE_FIELDS.values())
    rows = SchoolAggregateResult.objects.filter(assessment_id__in=assessment_ids).values_list(
        "assessment_id",
        "assessment__year",
        "assessment__procedure__code",
        "assessment__subject__name",
        "assessment__grade",
        "school_id",
        *fields,
    )
    schema = SCHOOL_AGGREGATES.polars_schema
    columns: dict[str, pl.DataType] = {
        "assessment_id": pl.Int64(),
        "year": schema["year"],
        "procedure": pl.String(),
        "subject": schema["subject"],
        "grade": schema["grade"],
        "school_id": pl.String(),
        **{column: schema[column] for column in _AGGREGATE_FIELDS},
    }
    data = [
        [
            assessment_id,
            year,
            procedure,
            subject,
            grade,
            str(school_id),
            *(float(v) if isinstance(v, Decimal) else v for v in values),
        ]
        for assessment_id, year, procedure, subject, grade, school_id, *values in rows
    ]
    return pl.DataFrame(data, schema=columns, orient="row").with_columns(
        procedure=pl.col("procedure").cast(pl.Categorical)
    )


def school_aggregate_indicators_recompute(*, assessment_ids: Iterable[int]) -> int:
    """Recompute and store the indicators (source = aggregates) of every school with published aggregates
    in these assessments; returns the rows written."""
    ids = sorted(set(assessment_ids))
    if not ids:
        return 0
    frame = _aggregates_frame(ids)
    rows: list[SchoolIndicator] = []
    if frame.height:
        extras = {
            (assessment_id, str(school_id)): (completion, levels)
            for assessment_id, school_id, completion, levels in SchoolAggregateResult.objects.filter(
                assessment_id__in=ids
            ).values_list("assessment_id", "school_id", "mean_completion", "level_shares")
        }
        key = ["year", "procedure", "subject", "grade", "school_id"]
        indicators = (
            aggregate_indicators(frame.drop("assessment_id"))
            .collect()
            .join(frame.select(*key, "assessment_id"), on=key)
        )
        for row in indicators.iter_rows(named=True):
            completion, levels = extras[(row["assessment_id"], row["school_id"])]
            values = {k: (str(v) if k == "procedure" else v) for k, v in row.items()}
            values["mean_completion"] = float(completion) if completion is not None else None
            values["level_shares"] = levels
            rows.append(
                SchoolIndicator(
                    assessment_id=row["assessment_id"],
                    school_id=int(row["school_id"]),
                    source=SchoolIndicator.Source.AGGREGATES,
                    **{field: row[field] for field in HEADLINE},
                    values=values,
                )
            )
    with transaction.atomic():
        SchoolIndicator.objects.filter(
            assessment_id__in=ids, source=SchoolIndicator.Source.AGGREGATES
        ).delete()
        SchoolIndicator.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
