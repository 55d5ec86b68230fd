"""The ВПР commit's own write path (COPY on PostgreSQL, executemany on SQLite) stores what the ORM would."""

from decimal import Decimal

from django.db import connection

from opora.assessments.models import Assessment, Procedure, PupilResult, SchoolAssessment, Subject
from opora.assessments.services import pupil_results_insert
from opora.imports.fis_oko.commit import _pupil_rows
from opora.imports.fis_oko.parse import PupilLine

LINES = [
    PupilLine(9, "10001", "5А", "1", (1, 2, Decimal("0.5"), Decimal("2.00")), Decimal("5.5"), 5, 5),
    PupilLine(10, "10002", "5А", "", (None, 0, None, 1), Decimal(1), 2, None),
    PupilLine(11, "10003", "5\tБ", "2", (), None, None, 3),
    PupilLine(12, "it's \\ «X»", "", "1", (Decimal("1.25"), None), Decimal("1.25"), None, None),
]


def _school_assessment(cast) -> SchoolAssessment:
    assessment = Assessment.objects.create(
        procedure=Procedure.objects.get(code="ВПР"),
        year=2025,
        subject=Subject.objects.get(code="math"),
        grade=5,
    )
    return SchoolAssessment.objects.create(assessment=assessment, school=cast.school)


def _stored(school_assessment: SchoolAssessment) -> dict[str, tuple]:
    fields = ["class_name", "variant", "task_scores", "primary_score", "mark", "journal_mark"]
    fields += ["test_score", "below_minimum", "achievement_level", "completion_pct"]
    return {
        code: tuple(values)
        for code, *values in PupilResult.objects.filter(school_assessment=school_assessment)
        .order_by("participant_code")
        .values_list("participant_code", *fields)
    }


def _raw_json(school_assessment: SchoolAssessment) -> list[tuple[str, str]]:
    cast_to_text = "::text" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT participant_code, task_scores{cast_to_text} FROM assessments_pupilresult "
            "WHERE school_assessment_id = %s ORDER BY participant_code",
            [school_assessment.pk],
        )
        return [(code, text) for code, text in cursor.fetchall()]


def test_it_stores_pupil_rows_exactly_as_bulk_create_does(cast):
    ours, orm = (
        _school_assessment(cast),
        SchoolAssessment.objects.create(assessment=Assessment.objects.get(), school=cast.neighbour_school),
    )
    pupil_results_insert(_pupil_rows(ours.pk, LINES))
    PupilResult.objects.bulk_create(
        PupilResult(
            school_assessment=orm,
            participant_code=p.code,
            class_name=p.class_name,
            variant=p.variant,
            task_scores=[None if s is None else (int(s) if s == int(s) else float(s)) for s in p.scores],
            primary_score=p.primary_score,
            mark=p.mark,
            journal_mark=p.journal_mark,
        )
        for p in LINES
    )
    stored = _stored(ours)
    assert stored == _stored(orm)
    assert _raw_json(ours) == _raw_json(orm)
    assert stored["10001"][2] == [1, 2, 0.5, 2] and stored["10002"][2] == [None, 0, None, 1]
    assert stored["10003"][:3] == ("5\tБ", "2", []) and stored["10001"][3] == Decimal("5.5")
    assert stored["it's \\ «X»"][2:4] == ([1.25, None], Decimal("1.25"))
    assert [type(s) for s in stored["10001"][2]] == [int, int, float, int]
