"""The canonical tidy schemas of Opora's analytics, and `validate_frame` to bring a frame to one of them.

Every reader (ФИС ОКО forms, regional ЕГЭ/ОГЭ tables, the canonical CSV/XLSX format, the Django selectors)
produces one of these tables; every computation in `analytics` consumes them. One row is one observation:

* ``pupil_results``   — one pupil's result in one assessment;
* ``task_scores``     — one pupil's score on one task (long form: one row per pupil × task);
* ``school_aggregates`` — one school's published aggregate result, where only aggregates exist;
* ``school_context``  — one school's context (social passport, location, enrolment) in one year;
* ``school_areas``    — which municipality (and region) a school belongs to.

An *assessment* is identified by `ASSESSMENT_KEY` = (year, procedure, subject, grade).

Conventions: shares are percents in [0, 100]; `year` is the calendar year of the assessment (spring 2025 →
2025); ids are opaque strings (in the product the school's primary key as text, in files the ФИС ОКО login
``eduNNNNNN``); null means "not given" and never zero.
"""

from __future__ import annotations

from analytics.schema.definitions import (
    ASSESSMENT_KEY,
    KNOWN_PROCEDURES,
    LEVELS,
    LOCATIONS,
    NULL_TOKENS,
    PUPIL_RESULTS,
    SCHEMAS,
    SCHOOL_AGGREGATES,
    SCHOOL_AREAS,
    SCHOOL_CONTEXT,
    TASK_SCORES,
    Column,
    Domain,
    RowCheck,
    TableSchema,
)
from analytics.schema.validation import FrameValidationError, Problem, validate_frame

__all__ = [
    "ASSESSMENT_KEY",
    "KNOWN_PROCEDURES",
    "LEVELS",
    "LOCATIONS",
    "NULL_TOKENS",
    "PUPIL_RESULTS",
    "SCHEMAS",
    "SCHOOL_AGGREGATES",
    "SCHOOL_AREAS",
    "SCHOOL_CONTEXT",
    "TASK_SCORES",
    "Column",
    "Domain",
    "FrameValidationError",
    "Problem",
    "RowCheck",
    "TableSchema",
    "validate_frame",
]
