"""Stored school indicators: recomputed from pupil rows, checked against a hand computation."""

from decimal import Decimal

import polars as pl
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from statsmodels.stats.proportion import proportion_confint

from opora.assessments.models import (
    Assessment,
    PupilResult,
    SchoolAssessment,
    SchoolIndicator,
)
from opora.assessments.services import (
    indicators,
    pupil_results_insert,
    school_indicators_deferred,
    school_indicators_recompute,
)
from opora.assessments.services.pupil_frames import pupil_frames


def _results(assessment, school, marks, scores, journal=None):
    sa = SchoolAssessment.objects.create(assessment=assessment, school=school)
    PupilResult.objects.bulk_create(
        PupilResult(
            school_assessment=sa,
            participant_code=f"{school.pk}-{i}",
            task_scores=scores,
            primary_score=Decimal(sum(s or 0 for s in scores)),
            mark=mark,
            journal_mark=(journal or {}).get(i),
        )
        for i, mark in enumerate(marks)
    )


def test_it_stores_indicators_computed_by_hand(cast, assessment):
    # School A: 10 pupils, marks 2,2,3,3,3,4,4,5,5,5 → «2» 20 %, успеваемость 80 %, качество 50 %;
    # every pupil scores 1, 2 and «X» on the three tasks; the first two have journal mark 3 (ВПР lower).
    _results(assessment, cast.school, [2, 2, 3, 3, 3, 4, 4, 5, 5, 5], [1, 2, None], journal={0: 3, 1: 3})
    # School B (same municipality): 5 pupils, all «3», scores 0, 1, 2.
    _results(assessment, cast.sibling, [3] * 5, [0, 1, 2])
    assert school_indicators_recompute(assessment_ids=[assessment.pk]) == 2

    a = SchoolIndicator.objects.get(school=cast.school, assessment=assessment)
    assert (a.participants, a.sample_tier) == (10, "limited")
    assert (a.mark_2_pct, a.pass_pct, a.quality_pct) == (20.0, 80.0, 50.0)
    low, high = proportion_confint(2, 10, alpha=0.05, method="wilson")
    assert a.mark_2_ci_low == pytest.approx(100 * low) and a.mark_2_ci_high == pytest.approx(100 * high)
    assert a.mean_primary_score == 3.0 and a.mean_pct_of_max == pytest.approx(60.0)
    assert (a.values["lowered_count"], a.values["journal_n"]) == (2, 2)

    tasks = {t["task"]: t for t in a.tasks}
    # Task 1: A 10/10 = 100 %; the municipality pools A and B: (10 + 0) / (10 + 5) = 66.7 %.
    assert tasks["1"]["completion_pct"] == 100.0
    assert tasks["1"]["municipality_completion_pct"] == pytest.approx(100 * 10 / 15)
    # Task 3 was «X» for everyone in A: counted as 0 of 2.
    assert tasks["3"]["completion_pct"] == 0.0
    assert [(row["level"], row["completion_pct"]) for row in a.levels] == [("Б", 100.0), ("П", 0.0)]

    b = SchoolIndicator.objects.get(school=cast.sibling, assessment=assessment)
    assert (b.participants, b.mark_2_pct, b.quality_pct) == (5, 0.0, 0.0)
    assert {t["task"]: t["completion_pct"] for t in b.tasks} == {"1": 0.0, "2": 50.0, "3": 100.0}


def test_it_replaces_the_stored_rows_on_recompute(cast, assessment):
    _results(assessment, cast.school, [2, 3], [1, 1, 1])
    school_indicators_recompute(assessment_ids=[assessment.pk])
    PupilResult.objects.filter(participant_code__endswith="-0").update(mark=5)
    school_indicators_recompute(assessment_ids=[assessment.pk])
    stored = SchoolIndicator.objects.get(school=cast.school)
    assert stored.mark_2_pct == 0.0 and SchoolIndicator.objects.count() == 1


def test_it_does_nothing_for_no_assessments(db):
    assert school_indicators_recompute(assessment_ids=[]) == 0


def test_it_reads_the_pupil_rows_as_the_orm_does(cast, assessment):
    # The recompute reads pupils with one raw query and decodes task_scores in Polars: the frame must hold
    # what the ORM reads (decimals, halves, «X» as null, nullable flags, empty lists).
    sa = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    PupilResult.objects.bulk_create(
        [
            PupilResult(
                school_assessment=sa,
                participant_code="a",
                variant="1",
                task_scores=[1, 0.5, None],
                primary_score=Decimal("1.5"),
                mark=3,
                journal_mark=4,
                test_score=Decimal("41.25"),
                below_minimum=False,
                achievement_level="базовый",
                completion_pct=Decimal("55.25"),
            ),
            PupilResult(
                school_assessment=sa,
                participant_code="b",
                task_scores=[None, None, 2],
                primary_score=None,
                mark=None,
                below_minimum=True,
            ),
            PupilResult(school_assessment=sa, participant_code="c", task_scores=[], primary_score=Decimal(0)),
        ]
    )
    pupils, task_scores = pupil_frames({assessment.pk: Assessment.objects.get(pk=assessment.pk)})
    columns = [
        "participant",
        "variant",
        "primary_score",
        "mark",
        "journal_mark",
        "test_score",
        "below_minimum",
        "achievement_level",
        "completion_pct",
    ]
    got = pupils.sort("participant").select(*columns).rows()
    expected = [
        (
            code,
            variant,
            None if p is None else float(p),
            mark,
            journal,
            None if t is None else float(t),
            below,
            level or None,  # blank: no level
            None if c is None else float(c),
        )
        for code, variant, p, mark, journal, t, below, level, c in PupilResult.objects.order_by(
            "participant_code"
        ).values_list(
            "participant_code",
            "variant",
            "primary_score",
            "mark",
            "journal_mark",
            "test_score",
            "below_minimum",
            "achievement_level",
            "completion_pct",
        )
    ]
    assert got == expected
    assert pupils["school"].to_list() == [cast.school.pk] * 3
    scores = task_scores.sort("participant", "position").select("participant", "task", "score").rows()
    assert scores == [
        ("a", "1", 1.0),
        ("a", "2", 0.5),
        ("a", "3", None),
        ("b", "1", None),
        ("b", "2", None),
        ("b", "3", 2.0),
    ]


def test_it_recomputes_assessments_without_pupils(cast, assessment):
    SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    assert school_indicators_recompute(assessment_ids=[assessment.pk]) == 0


def _written_rows(sa_id):
    """Rows in `PUPIL_RESULT_COLUMNS` order, as the importers write them: decimals, halves, nulls, flags,
    a blank and a given achievement level, an empty list of scores."""
    return [
        (
            sa_id,
            "a",
            "5А",
            "1",
            "[1, 0.5, null]",
            Decimal("1.5"),
            3,
            4,
            Decimal("41.25"),
            False,
            "базовый",
            Decimal("55.25"),
        ),
        (sa_id, "b", "5А", "", "[null, null, 2]", None, None, None, None, True, "", None),
        (sa_id, "c", "5Б", "2", "[]", 0, 5, None, None, None, "", None),
    ]


def _frames_equal(left, right):
    for a, b in zip(left, right, strict=True):
        columns = sorted(a.columns)
        assert a.select(columns).sort(columns).equals(b.select(columns).sort(columns))


def test_the_rows_a_deferred_block_wrote_are_not_read_back(
    cast, assessment, django_capture_on_commit_callbacks
):
    # The recompute at the end of a batch takes the rows the batch wrote from memory: they must give the
    # frames the database gives, and no query may read the pupils' values back.
    sa = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    assessments = {assessment.pk: Assessment.objects.get(pk=assessment.pk)}
    with school_indicators_deferred():
        with django_capture_on_commit_callbacks(execute=True):  # the job's transaction commits
            pupil_results_insert(_written_rows(sa.pk))
        kept = indicators._written.get()
        assert kept is not None and len(kept.rows[sa.pk]) == 3
        with CaptureQueriesContext(connection) as queries:
            from_memory = pupil_frames(assessments, kept.rows)
    assert not any("participant_code" in query["sql"] for query in queries.captured_queries)
    _frames_equal(from_memory, pupil_frames(assessments))
    assert from_memory[0].height == 3 and from_memory[1].height == 6


def test_rows_changed_after_writing_are_read_from_the_database(
    cast, assessment, django_capture_on_commit_callbacks
):
    # A school assessment whose rows changed another way since they were written (here one deleted) is read
    # back; another one, unchanged, is still taken from memory.
    changed = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    unchanged = SchoolAssessment.objects.create(assessment=assessment, school=cast.sibling)
    with school_indicators_deferred():
        with django_capture_on_commit_callbacks(execute=True):
            pupil_results_insert([*_written_rows(changed.pk), *_written_rows(unchanged.pk)])
        kept = indicators._written.get()
        assert kept is not None
        written = kept.rows
    PupilResult.objects.filter(school_assessment=changed, participant_code="b").delete()
    assessments = {assessment.pk: Assessment.objects.get(pk=assessment.pk)}
    pupils, task_scores = pupil_frames(assessments, written)
    _frames_equal((pupils, task_scores), pupil_frames(assessments))
    assert pupils.filter(pl.col("school") == cast.school.pk)["participant"].sort().to_list() == ["a", "c"]
    assert pupils.height == 5


def test_rows_of_a_rolled_back_job_are_never_kept(cast, assessment, django_capture_on_commit_callbacks):
    # A job whose transaction rolls back after writing its rows: the database keeps none of them, and
    # neither may the batch (a replacement of as many rows would otherwise pass the count check).
    sa = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with school_indicators_deferred():
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            pupil_results_insert(_written_rows(sa.pk))
            raise RuntimeError("the job fails after writing")
        kept = indicators._written.get()
        assert kept is not None and kept.rows == {}
    assert not PupilResult.objects.filter(school_assessment=sa).exists()


def test_a_batch_past_the_limit_keeps_no_rows(
    cast, assessment, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(indicators, "WRITTEN_LIMIT", 4)
    first = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    second = SchoolAssessment.objects.create(assessment=assessment, school=cast.sibling)
    with school_indicators_deferred():
        with django_capture_on_commit_callbacks(execute=True):
            pupil_results_insert(_written_rows(first.pk))
        kept = indicators._written.get()
        assert kept is not None and set(kept.rows) == {first.pk}
        with django_capture_on_commit_callbacks(execute=True):
            pupil_results_insert(_written_rows(second.pk))  # 6 rows in all: the recompute reads them back
        assert kept.rows == {}


def test_an_assessment_the_batch_did_not_write_is_read_back_in_one_query(
    cast, assessment, django_capture_on_commit_callbacks
):
    other = Assessment.objects.create(
        procedure=assessment.procedure, year=2025, subject=assessment.subject, grade=6, max_primary_score=5
    )
    _results(other, cast.school, [3, 4], [1, 1, 1])  # written before the batch
    _results(other, cast.sibling, [5], [1, 2, 2])
    ours = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with school_indicators_deferred():
        with django_capture_on_commit_callbacks(execute=True):
            pupil_results_insert(_written_rows(ours.pk))
        kept = indicators._written.get()
        assert kept is not None
        both = {a.pk: a for a in Assessment.objects.filter(pk__in=[assessment.pk, other.pk])}
        with CaptureQueriesContext(connection) as queries:
            pupils, task_scores = pupil_frames(both, kept.rows)
    reads = [q["sql"] for q in queries.captured_queries if "participant_code" in q["sql"]]
    assert len(reads) == 1  # `other` whole, by its assessment; ours from memory
    _frames_equal((pupils, task_scores), pupil_frames(both))
    assert pupils.height == 6
