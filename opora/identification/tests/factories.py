"""Stored results for identification tests: indicators computed by `analytics` from synthetic pupils."""

from __future__ import annotations

import polars as pl

from analytics.indicators import school_indicators
from opora.assessments.models import Assessment, Procedure, SchoolIndicator, Subject
from opora.registry.models import School


def results_store(
    school: School, *, year: int, twos: int, pupils: int, subject: str = "Математика", grade: int = 5
) -> SchoolIndicator:
    """ВПР results of `pupils` pupils of the school, `twos` of them with «2» (the rest «4»)."""
    assessment, _ = Assessment.objects.get_or_create(
        procedure=Procedure.objects.get(code="ВПР"),
        subject=Subject.objects.get(name=subject),
        year=year,
        grade=grade,
        defaults={"max_primary_score": 20},
    )
    frame = pl.DataFrame(
        {
            "year": [year] * pupils,
            "procedure": ["ВПР"] * pupils,
            "subject": [subject] * pupils,
            "grade": [grade] * pupils,
            "school_id": [str(school.pk)] * pupils,
            "participant": [f"{school.pk}-{i}" for i in range(pupils)],
            "primary_score": [3.0 if i < twos else 14.0 for i in range(pupils)],
            "max_primary_score": [20.0] * pupils,
            "mark": [2 if i < twos else 4 for i in range(pupils)],
        }
    )
    row = school_indicators(frame).collect().row(0, named=True)
    values = {
        key: (str(value) if key in ("procedure", "sample_tier") else value) for key, value in row.items()
    }
    indicator, _ = SchoolIndicator.objects.update_or_create(
        assessment=assessment,
        school=school,
        source=SchoolIndicator.Source.PUPILS,
        defaults={
            "participants": row["participants"],
            "sample_tier": str(row["sample_tier"]),
            "mark_2_pct": row["mark_2_pct"],
            "values": values,
        },
    )
    return indicator
