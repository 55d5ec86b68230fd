"""The recompute computed beside a large write (`services.ahead`): taken only when it stands for the
database, and then equal to the recompute it replaces."""

import logging
from decimal import Decimal

import pytest
from django.db import transaction

from opora.assessments.models import PupilResult, SchoolAssessment, SchoolIndicator
from opora.assessments.services import (
    ahead,
    indicators,
    pupil_results_insert,
    school_indicators_deferred,
    school_indicators_recompute,
    school_indicators_stale,
)
from opora.assessments.tests.spies import ahead_taken


@pytest.fixture(autouse=True)
def taken(monkeypatch):
    """Every insert large; the computations the block's end took (one boolean per recompute that had one)."""
    return ahead_taken(monkeypatch)


def _rows(sa_id, marks, codes="abcdefgh"):
    """Pupil rows in `PUPIL_RESULT_COLUMNS` order: scores, decimals, a «not attempted» and journal marks."""
    return [
        (sa_id, codes[i], "5А", "1", f"[1, {i % 3}, null]", Decimal(1 + i % 3), mark, 4, None, None, "", None)
        for i, mark in enumerate(marks)
    ]


def _stored():
    return sorted(
        SchoolIndicator.objects.filter(source=SchoolIndicator.Source.PUPILS).values_list(
            "assessment_id", "school_id", "participants", "mark_2_pct", "values", "tasks", "levels"
        )
    )


@pytest.fixture
def job(django_capture_on_commit_callbacks):
    """One job: writes the rows and marks the assessment stale, in a transaction that commits."""

    def committed(assessment, rows):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            ahead = pupil_results_insert(rows)
            school_indicators_stale(assessment_ids=[assessment.pk], ahead=ahead)

    return committed


def test_a_batch_takes_the_indicators_computed_beside_its_write(cast, assessment, taken, monkeypatch, job):
    first = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    second = SchoolAssessment.objects.create(assessment=assessment, school=cast.neighbour_school)
    real_frames = indicators.pupil_frames

    def refused(*args, **kwargs):
        raise AssertionError("the batch's end read the pupil rows again")

    monkeypatch.setattr(indicators, "pupil_frames", refused)
    with school_indicators_deferred():
        job(assessment, _rows(first.pk, [2, 3, 5]))
        job(assessment, _rows(second.pk, [4, 4]))  # with the first job's rows, all the assessment holds
    assert taken == [True]
    stored = _stored()
    assert [row[2] for row in stored] == [3, 2]
    monkeypatch.setattr(indicators, "pupil_frames", real_frames)
    school_indicators_recompute(assessment_ids=[assessment.pk])
    assert _stored() == stored


def test_rows_the_batch_did_not_write_leave_the_recompute_to_the_database(cast, assessment, taken, job):
    earlier = SchoolAssessment.objects.create(assessment=assessment, school=cast.sibling)
    PupilResult.objects.create(school_assessment=earlier, participant_code="x", task_scores=[1, 2, 2], mark=5)
    ours = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with school_indicators_deferred():
        job(assessment, _rows(ours.pk, [2, 3]))
        kept = indicators._written.get()
        assert kept is not None and kept.ahead is None  # not even started
    assert taken == []
    stored = _stored()
    assert {row[1]: row[2] for row in stored} == {cast.sibling.pk: 1, cast.school.pk: 2}
    school_indicators_recompute(assessment_ids=[assessment.pk])
    assert _stored() == stored


def test_a_computation_no_longer_standing_is_not_taken(cast, assessment, taken, job):
    sa = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with school_indicators_deferred():
        job(assessment, _rows(sa.pk, [2, 3, 5]))
        PupilResult.objects.filter(school_assessment=sa, participant_code="a").delete()  # after the write
    assert taken == [False]
    stored = _stored()
    assert [row[2] for row in stored] == [2]
    school_indicators_recompute(assessment_ids=[assessment.pk])
    assert _stored() == stored


def test_a_later_small_insert_drops_the_earlier_computation(cast, assessment, taken, monkeypatch, job):
    monkeypatch.setattr(ahead, "AHEAD_ROWS", 3)
    first = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    second = SchoolAssessment.objects.create(assessment=assessment, school=cast.sibling)
    with school_indicators_deferred():
        job(assessment, _rows(first.pk, [2, 3, 5]))
        kept = indicators._written.get()
        assert kept is not None and kept.ahead is not None
        job(assessment, _rows(second.pk, [4]))  # too few to compute beside
        assert kept.ahead is None
    assert taken == []
    assert [row[2] for row in _stored()] == [3, 1]


def test_a_rolled_back_job_leaves_its_computation_untaken(cast, assessment, taken):
    sa = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with school_indicators_deferred(), pytest.raises(RuntimeError), transaction.atomic():
        pupil_results_insert(_rows(sa.pk, [2, 3]))
        school_indicators_stale(assessment_ids=[assessment.pk])
        raise RuntimeError("the job fails after writing")
    assert taken == []  # never published: the recompute did not even look at it
    assert _stored() == []


def test_a_rolled_back_replacement_leaves_its_computation_untaken(cast, assessment, taken, job):
    # The replacement writes its rows, then fails: the database is back to the first job's rows, as many as
    # the replacement computed from, but not the same.
    sa = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with school_indicators_deferred():
        job(assessment, _rows(sa.pk, [2, 3, 5]))
        with pytest.raises(RuntimeError), transaction.atomic():
            PupilResult.objects.filter(school_assessment=sa).delete()
            pupil_results_insert(_rows(sa.pk, [2, 2, 2]))
            school_indicators_stale(assessment_ids=[assessment.pk])
            raise RuntimeError("the replacement fails after writing")
    assert taken == []  # the first job's computation was withdrawn by the replacement's insert
    stored = _stored()
    assert stored[0][3] != 100  # the replacement's «2» for everyone never stands
    school_indicators_recompute(assessment_ids=[assessment.pk])
    assert _stored() == stored


def test_a_failed_computation_leaves_the_recompute_to_run(cast, assessment, monkeypatch, caplog, job):
    def broken(*args, **kwargs):
        raise ValueError("broken")

    monkeypatch.setattr(ahead, "indicator_rows", broken)
    sa = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with (
        caplog.at_level(logging.ERROR, logger=ahead.__name__),
        school_indicators_deferred(),
    ):
        job(assessment, _rows(sa.pk, [2, 3, 5]))
    assert "failed" in caplog.text
    assert [row[2] for row in _stored()] == [3]


def test_a_recompute_outside_a_batch_takes_the_computation_beside_the_write(cast, assessment, taken):
    # A job committed from its page: no batch, the recompute follows the write in the job's transaction.
    first = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    second = SchoolAssessment.objects.create(assessment=assessment, school=cast.sibling)
    with transaction.atomic():
        ahead = pupil_results_insert(_rows(first.pk, [2, 3, 5]) + _rows(second.pk, [4, 4]))
        school_indicators_stale(assessment_ids=[assessment.pk], ahead=ahead)
    assert taken == [True]
    stored = _stored()
    assert [row[2] for row in stored] == [3, 2]
    school_indicators_recompute(assessment_ids=[assessment.pk])
    assert _stored() == stored


def test_outside_a_batch_rows_written_before_leave_the_recompute_to_the_database(cast, assessment, taken):
    earlier = SchoolAssessment.objects.create(assessment=assessment, school=cast.sibling)
    PupilResult.objects.create(school_assessment=earlier, participant_code="x", task_scores=[1, 2, 2], mark=5)
    ours = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
    with transaction.atomic():
        ahead = pupil_results_insert(_rows(ours.pk, [2, 3]))
        school_indicators_stale(assessment_ids=[assessment.pk], ahead=ahead)
    assert ahead is None and taken == []
    assert {row[1]: row[2] for row in _stored()} == {cast.sibling.pk: 1, cast.school.pk: 2}
