"""The identification engine's inputs, read from the database into the canonical tidy frames of `analytics`.

`analytics` never touches the ORM: this module is the one place that turns stored indicators, pupil
results and social passports into frames, for the schools of one region or municipality.

Years: an assessment's year is the calendar year it was held (spring 2025 → 2025). A social passport
belongs to an academic year; the passport of 2024/25 describes the school of the 2025 assessments, so
its `year` is the academic year's start year + 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
from django.db.models import QuerySet

from analytics.indicators import SCHOOL_INDICATORS_SCHEMA
from analytics.schema import SCHOOL_CONTEXT
from opora.assessments.models import PupilResult, SchoolIndicator
from opora.registry.models import School, SchoolContext, SchoolEnrolment
from opora.registry.services import SCHOOL_CONTEXT_FIELDS

CONTEXT_SHARES = SCHOOL_CONTEXT_FIELDS

LEVEL_COMPLETION_SCHEMA = pl.Schema(
    {
        "year": pl.Int16(),
        "procedure": pl.String(),
        "subject": pl.String(),
        "grade": pl.Int8(),
        "school_id": pl.String(),
        "level": pl.String(),
        "participants": pl.Int64(),
        "completion_pct": pl.Float64(),
        "municipality_completion_pct": pl.Float64(),
        "region_completion_pct": pl.Float64(),
    }
)

MARKS_SCHEMA = pl.Schema(
    {
        "year": pl.Int16(),
        "procedure": pl.String(),
        "subject": pl.String(),
        "grade": pl.Int8(),
        "school_id": pl.String(),
        "participant": pl.String(),
        "primary_score": pl.Float64(),
        "mark": pl.Int8(),
    }
)


@dataclass(frozen=True)
class IdentificationInputs:
    """Everything a run reads, as frames keyed by school_id (the school's pk as text)."""

    indicators: pl.DataFrame
    context: pl.DataFrame
    pupil_marks: pl.DataFrame
    level_completion: pl.DataFrame
    areas: pl.DataFrame

    def fingerprint(self) -> str:
        """SHA-256 of every frame's content, independent of row order: same data → same fingerprint."""
        digest = hashlib.sha256()
        for name in ("indicators", "context", "pupil_marks", "level_completion", "areas"):
            frame: pl.DataFrame = getattr(self, name)
            digest.update(name.encode())
            digest.update(_canonical_bytes(frame))
        return digest.hexdigest()


def _canonical_bytes(frame: pl.DataFrame) -> bytes:
    if frame.is_empty():
        return ",".join(frame.columns).encode()
    text = frame.select(pl.all().cast(pl.String)).sort(pl.all(), nulls_last=True)
    return text.write_csv(null_value="\\N").encode()


def identification_inputs(*, schools: QuerySet[School], years: Iterable[int]) -> IdentificationInputs:
    """The inputs of a run over these schools and years (a handful of queries, whatever the count)."""
    year_list = sorted(set(years))
    school_ids = list(schools.values_list("pk", flat=True))
    return IdentificationInputs(
        indicators=_indicators(school_ids, year_list),
        context=_context(school_ids, year_list),
        pupil_marks=_pupil_marks(school_ids, year_list),
        level_completion=_level_completion(school_ids, year_list),
        areas=pl.DataFrame(
            [
                (str(pk), str(m), str(r))
                for pk, m, r in schools.values_list("pk", "municipality_id", "municipality__region_id")
            ],
            schema={"school_id": pl.String, "municipality_id": pl.String, "region_id": pl.String},
            orient="row",
        ),
    )


def _indicators(school_ids: list[int], years: list[int]) -> pl.DataFrame:
    rows = SchoolIndicator.objects.filter(school_id__in=school_ids, assessment__year__in=years).values_list(
        "values", flat=True
    )
    schema = SCHOOL_INDICATORS_SCHEMA
    records = [{name: value.get(name) for name in schema.names()} for value in rows]
    string_schema = {n: (pl.String() if n == "procedure" else dtype) for n, dtype in schema.items()}
    frame = (
        pl.DataFrame(records, schema=string_schema, orient="row")
        if records
        else pl.DataFrame(schema=string_schema)
    )
    return frame.with_columns(pl.col("procedure").cast(pl.Categorical))


def _context(school_ids: list[int], years: list[int]) -> pl.DataFrame:
    start_years = [year - 1 for year in years]
    passports = SchoolContext.objects.filter(
        school_id__in=school_ids, academic_year__start_year__in=start_years
    ).values_list(
        "school_id",
        "academic_year__start_year",
        "school__location",
        "school__settlement_population",
        "school__kind",
        *CONTEXT_SHARES,
    )
    enrolment = {
        (school, start): pupils
        for school, start, pupils in SchoolEnrolment.objects.filter(
            school_id__in=school_ids, academic_year__start_year__in=start_years
        ).values_list("school_id", "academic_year__start_year", "pupils")
    }
    records = [
        {
            "year": start + 1,
            "school_id": str(school),
            **{
                name: (float(value) if value is not None else None)
                for name, value in zip(CONTEXT_SHARES, shares, strict=True)
            },
            "location": location or None,
            "enrolment": enrolment.get((school, start)),
            "settlement_size": population,
            "special_school": kind == School.Kind.SPECIAL,
        }
        for school, start, location, population, kind, *shares in passports
    ]
    schema = SCHOOL_CONTEXT.polars_schema
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def _pupil_marks(school_ids: list[int], years: list[int]) -> pl.DataFrame:
    rows = PupilResult.objects.filter(
        school_assessment__school_id__in=school_ids,
        school_assessment__assessment__year__in=years,
        primary_score__isnull=False,
        mark__isnull=False,
    ).values_list(
        "school_assessment__assessment__year",
        "school_assessment__assessment__procedure__code",
        "school_assessment__assessment__subject__name",
        "school_assessment__assessment__grade",
        "school_assessment__school_id",
        "participant_code",
        "primary_score",
        "mark",
    )
    return pl.DataFrame(
        [
            (y, p, s, g, str(school), code, float(score) if score is not None else None, mark)
            for y, p, s, g, school, code, score, mark in rows
        ],
        schema=MARKS_SCHEMA,
        orient="row",
    )


def _level_completion(school_ids: list[int], years: list[int]) -> pl.DataFrame:
    rows = SchoolIndicator.objects.filter(
        school_id__in=school_ids, assessment__year__in=years, source=SchoolIndicator.Source.PUPILS
    ).values_list(
        "assessment__year",
        "assessment__procedure__code",
        "assessment__subject__name",
        "assessment__grade",
        "school_id",
        "levels",
    )
    records = [
        (
            year,
            procedure,
            subject,
            grade,
            str(school),
            item.get("level"),
            item.get("participants"),
            item.get("completion_pct"),
            item.get("municipality_completion_pct"),
            item.get("region_completion_pct"),
        )
        for year, procedure, subject, grade, school, levels in rows
        for item in levels
    ]
    return pl.DataFrame(records, schema=LEVEL_COMPLETION_SCHEMA, orient="row")
