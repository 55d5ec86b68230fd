"""Results selectors on a small hand-made case: years side by side, dynamics, tasks, scope, sorting."""

from decimal import Decimal

import pytest

from opora.assessments.models import Assessment, Procedure, PupilResult, SchoolAssessment, Subject, Task
from opora.assessments.selectors import ResultFilters, municipality_results_for_user, school_results_for_user
from opora.assessments.services import school_indicators_recompute

TASKS = [("1", 1, "Б"), ("2", 2, "Б"), ("3", 2, "П")]


def make_assessment(year: int, *, grade: int = 5, subject: str = "math", code: str = "ВПР") -> Assessment:
    assessment = Assessment.objects.create(
        procedure=Procedure.objects.get(code=code),
        year=year,
        subject=Subject.objects.get(code=subject),
        grade=grade,
        max_primary_score=5,
    )
    for position, (label, max_score, level) in enumerate(TASKS, 1):
        Task.objects.create(
            assessment=assessment, position=position, label=label, max_score=max_score, level=level
        )
    return assessment


def add_results(assessment, school, marks, scores) -> None:
    sa = SchoolAssessment.objects.create(assessment=assessment, school=school)
    PupilResult.objects.bulk_create(
        PupilResult(
            school_assessment=sa,
            participant_code=f"{school.pk}-{i}",
            task_scores=scores,
            primary_score=Decimal(sum(s or 0 for s in scores)),
            mark=mark,
        )
        for i, mark in enumerate(marks)
    )


def build_results(cast) -> tuple[Assessment, Assessment]:
    """ВПР math 5: the school in 2024 (60 % «2») and 2025 (20 % «2»); its sibling, neighbour, far school."""
    earlier, latest = make_assessment(2024), make_assessment(2025)
    add_results(earlier, cast.school, [2, 2, 2, 3, 4], [0, 1, 0])
    # 10 pupils, marks 2,2,3,3,3,4,4,5,5,5: «2» 20 %, pass 80 %, quality 50 %; scores 1, 2, «X» of 1, 2, 2.
    add_results(latest, cast.school, [2, 2, 3, 3, 3, 4, 4, 5, 5, 5], [1, 2, None])
    add_results(latest, cast.sibling, [3] * 5, [0, 1, 2])
    add_results(latest, cast.neighbour_school, [2, 3, 4, 5, 5], [0, 0, 0])
    add_results(latest, cast.far_school, [5] * 3, [1, 2, 2])
    school_indicators_recompute(assessment_ids=[earlier.pk, latest.pk])
    return earlier, latest


@pytest.fixture
def results(cast):
    return build_results(cast)


def test_it_puts_the_years_side_by_side_with_the_change_of_the_2_share(cast, results):
    _earlier, latest = results
    found = school_results_for_user(user=cast.users["municipal"], school_pk=cast.school.pk)
    assert found.years == [2024, 2025]
    (row,) = found.rows
    assert (row.procedure.code, row.subject.code, row.grade) == ("ВПР", "math", 5)
    first, second = row.cells
    assert first is not None and second is not None
    assert (first.indicator.mark_2_pct, first.mark_2_change_pp) == (60.0, None)
    assert second.indicator.mark_2_pct == 20.0
    assert second.mark_2_change_pp == pytest.approx(-40.0)
    assert found.selected is not None and found.selected.assessment_id == latest.pk


def test_it_compares_task_completion_with_the_municipality_and_the_region(cast, results):
    found = school_results_for_user(user=cast.users["regional"], school_pk=cast.school.pk)
    tasks = {t.label: t for t in found.tasks}
    assert [t.label for t in found.tasks] == ["1", "2", "3"]
    # Task 1: school 10/10; municipality (school + sibling) 10/15; region (+ neighbour) 10/20.
    assert tasks["1"].completion_pct == 100.0
    assert tasks["1"].municipality_diff_pp == pytest.approx(100 - 100 * 10 / 15)
    assert tasks["1"].region_pct == pytest.approx(50.0)
    assert tasks["1"].region_diff_pp == pytest.approx(50.0)
    assert {level.label for level in found.levels} == {"Б", "П"}


def test_it_selects_an_assessment_and_ignores_a_bad_choice(cast, results):
    earlier, latest = results
    user = cast.users["school"]
    chosen = school_results_for_user(user=user, school_pk=cast.school.pk, selected=str(earlier.pk))
    assert chosen.selected is not None and chosen.selected.assessment_id == earlier.pk
    for bad in ("abc", "1\x00", "-1", "99999999999999", str(10**6), None):
        fallback = school_results_for_user(user=user, school_pk=cast.school.pk, selected=bad)
        assert fallback.selected is not None and fallback.selected.assessment_id == latest.pk


def test_it_shows_no_results_of_a_school_out_of_scope(cast, results):
    found = school_results_for_user(user=cast.users["outsider"], school_pk=cast.school.pk)
    assert found.rows == [] and found.selected is None


def test_it_lists_the_municipality_in_scope_and_sorts(cast, results):
    _earlier, latest = results
    found = municipality_results_for_user(
        user=cast.users["regional"], municipality_pk=cast.municipality.pk, filters=ResultFilters()
    )
    assert found.assessment == latest
    assert [r.school for r in found.rows] == [cast.school, cast.sibling]  # by name: МБОУ before МКОУ
    by_2 = municipality_results_for_user(
        user=cast.users["regional"],
        municipality_pk=cast.municipality.pk,
        filters=ResultFilters(sort="-mark_2_pct"),
    )
    assert [r.mark_2_pct for r in by_2.rows] == [20.0, 0.0]
    curated = municipality_results_for_user(
        user=cast.users["admin"], municipality_pk=cast.neighbour.pk, filters=ResultFilters()
    )
    assert [r.school for r in curated.rows] == [cast.neighbour_school]


def test_it_filters_to_an_earlier_assessment_and_ignores_an_unknown_sort(cast, results):
    earlier, _latest = results
    found = municipality_results_for_user(
        user=cast.users["municipal"],
        municipality_pk=cast.municipality.pk,
        filters=ResultFilters(year=2024, sort="school__password"),
    )
    assert found.assessment == earlier and found.sort == "school"
    assert [r.school for r in found.rows] == [cast.school]
    nothing = municipality_results_for_user(
        user=cast.users["municipal"], municipality_pk=cast.municipality.pk, filters=ResultFilters(grade=9)
    )
    assert nothing.assessment is None and nothing.rows == []


def test_it_bounds_the_municipality_list(cast, results):
    found = municipality_results_for_user(
        user=cast.users["municipal"], municipality_pk=cast.municipality.pk, filters=ResultFilters(), limit=1
    )
    assert len(found.rows) == 1 and found.truncated
