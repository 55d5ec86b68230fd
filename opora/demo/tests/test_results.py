"""The generated ВПР results: determinism, the model's signs, and the import through the real path."""

import statistics
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from opora.assessments.models import (
    Assessment,
    MarkScale,
    PupilResult,
    SchoolAggregateResult,
    SchoolAssessment,
    SchoolIndicator,
)
from opora.demo.build import demo_build, demo_region_delete
from opora.demo.exams import generate_exams
from opora.demo.region import SchoolKind, generate_region
from opora.demo.results import (
    RESULTS_YEARS,
    DemoResults,
    DemoSchoolResult,
    demo_assessment,
    generate_results,
)
from opora.demo.results_build import SCALE_SOURCE
from opora.identification.models import IdentificationRun, SchoolList
from opora.imports.models import ImportJob
from opora.registry.models import School


@pytest.fixture(scope="module")
def region_results():
    region = generate_region(seed=2026, schools=300)
    return region, generate_results(region, grades=(4, 5))


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    for rank, i in enumerate(order):
        ranks[i] = float(rank)
    return ranks


def _spearman(x: list[float], y: list[float]) -> float:
    return statistics.correlation(_ranks(x), _ranks(y))


def _by_school(results: DemoResults) -> dict[str, list[DemoSchoolResult]]:
    grouped: dict[str, list[DemoSchoolResult]] = defaultdict(list)
    for result in results.schools:
        grouped[result.login].append(result)
    return grouped


def test_the_same_seed_gives_the_same_results():
    region = generate_region(seed=5, schools=30)
    first = generate_results(region, years=(2025,))
    assert first == generate_results(generate_region(seed=5, schools=30), years=(2025,))
    other = generate_results(generate_region(seed=6, schools=30), years=(2025,))
    assert first.schools != other.schools


def test_a_year_does_not_change_another():
    region = generate_region(seed=5, schools=30)
    alone = generate_results(region, years=(2025,))
    together = generate_results(region, years=RESULTS_YEARS)
    assert [r for r in together.schools if r.year == 2025] == alone.schools


def test_assessments_have_the_shape_of_vpr():
    for year in RESULTS_YEARS:
        a = demo_assessment(2026, year, "Математика", 5)
        assert 10 <= len(a.tasks) <= 15
        assert {t.max_score for t in a.tasks} <= {1, 2, 3}
        assert {t.level for t in a.tasks} == {"Б", "П", "В"}
        assert len({t.label for t in a.tasks}) == len(a.tasks)
        assert 0 < a.scale.min_score_3 < a.scale.min_score_4 < a.scale.min_score_5 <= a.max_primary_score
    assert demo_assessment(2026, 2025, "Математика", 5) == demo_assessment(2026, 2025, "Математика", 5)


def test_schools_write_the_grades_they_teach(region_results):
    region, results = region_results
    kinds = {s.login: s.kind for s in region.schools}
    for result in results.schools:
        assert result.pupils
        if kinds[result.login] == SchoolKind.PRIMARY:
            assert result.grade == 4
        assert kinds[result.login] != SchoolKind.EVENING
        codes = [p.code for p in result.pupils]
        assert len(set(codes)) == len(codes)
        assessment = results.assessments[result.key]
        for pupil in result.pupils:
            assert pupil.mark == assessment.scale.mark_for(pupil.primary_score)
    closed = [s for s in region.schools if s.closed_from is not None]
    assert closed
    for school in closed:
        assert all(r.year - 1 < (school.closed_from or 0) for r in results.schools if r.login == school.login)
    tiny = [len(r.pupils) for r in results.schools if kinds[r.login] == SchoolKind.PRIMARY]
    assert min(tiny) >= 1 and statistics.median(tiny) <= 8
    blanks = sum(s is None for r in results.schools for p in r.pupils for s in p.scores)
    assert blanks > 0


def test_context_goes_with_results(region_results):
    region, results = region_results
    grouped = _by_school(results)
    ses, score = [], []
    for school in region.schools:
        rows = grouped.get(school.login)
        if not rows:
            continue
        got = sum(p.primary_score for r in rows for p in r.pupils)
        possible = sum(results.assessments[r.key].max_primary_score * len(r.pupils) for r in rows)
        ses.append(school.latent.ses)
        score.append(got / possible)
    assert _spearman(ses, score) > 0.3


def _heaping_and_raised(results: DemoResults, logins: set[str]) -> tuple[float, float]:
    """The share of primary scores at or one point above a boundary, relative to one or two points below
    it, and the share of journal marks above the ВПР mark."""
    above = below = raised = marked = 0
    for result in results.schools:
        if result.login not in logins:
            continue
        boundaries = results.assessments[result.key].scale.boundaries
        for pupil in result.pupils:
            primary = pupil.primary_score
            above += any(0 <= primary - b <= 1 for b in boundaries)
            below += any(1 <= b - primary <= 2 for b in boundaries)
            if pupil.journal_mark is not None:
                marked += 1
                raised += pupil.journal_mark > pupil.mark
    return above / below, raised / marked


def test_inflating_schools_heap_scores_above_boundaries_and_raise_journal_marks(region_results):
    region, results = region_results
    inflating = {s.login for s in region.schools if s.latent.inflation > 0.5}
    others = {s.login for s in region.schools if s.latent.inflation == 0}
    assert len(inflating) >= 5
    heap_inflating, raised_inflating = _heaping_and_raised(results, inflating)
    heap_others, raised_others = _heaping_and_raised(results, others)
    assert heap_inflating > 1.5 * heap_others
    assert raised_inflating > raised_others + 0.15


@pytest.mark.django_db
def test_the_demo_imports_its_results_through_the_importer():
    build = demo_build(seed=11, schools=40, results=True, results_years=(2025,), results_grades=(4, 5))
    demo = generate_region(seed=11, schools=40)
    expected = generate_results(demo, years=(2025,), grades=(4, 5))
    assert build.result_files == len(expected.schools) > 0
    # The regional diagnostic (opora/demo/tests/test_diagnostics.py) adds pupil rows of its own.
    vpr = {"school_assessment__assessment__procedure__code": "ВПР"}
    assert build.result_pupils == expected.pupils == PupilResult.objects.filter(**vpr).count()
    job = ImportJob.objects.get(kind=ImportJob.Kind.VPR_RESULTS)
    assert job.status == ImportJob.Status.COMMITTED and not job.errors and not job.warnings
    assert SchoolAssessment.objects.filter(assessment__procedure__code="ВПР").count() == len(expected.schools)
    assert SchoolIndicator.objects.filter(
        source=SchoolIndicator.Source.PUPILS, assessment__procedure__code="ВПР"
    ).count() == len(expected.schools)
    # ОГЭ and ЕГЭ per school came through the school results importer, and the year was identified.
    exams = generate_exams(demo, years=(2025,))
    assert build.exam_rows == len(exams) == SchoolAggregateResult.objects.count() > 0
    exam_job = ImportJob.objects.get(kind=ImportJob.Kind.SCHOOL_RESULTS)
    assert exam_job.status == ImportJob.Status.COMMITTED and not exam_job.errors
    run = IdentificationRun.objects.get()
    assert (run.year, build.runs) == (2025, 1)
    assert SchoolList.objects.filter(origin=SchoolList.Origin.OFFICIAL, year=2025).count() <= 1
    assert MarkScale.objects.filter(source=SCALE_SOURCE).count() == 4
    result = expected.schools[0]
    stored = PupilResult.objects.get(
        school_assessment__school__fis_oko_login=result.login,
        school_assessment__assessment__grade=result.grade,
        school_assessment__assessment__subject__name=result.subject,
        participant_code=result.pupils[0].code,
    )
    assert stored.task_scores == list(result.pupils[0].scores)
    assert stored.mark == result.pupils[0].mark and stored.journal_mark == result.pupils[0].journal_mark


@pytest.mark.django_db
def test_reset_and_delete_remove_the_results():
    demo_build(seed=11, schools=40, results=True, results_years=(2025,), results_grades=(4,))
    first = PupilResult.objects.count()
    demo_build(seed=11, schools=40, reset=True, results=True, results_years=(2025,), results_grades=(4,))
    assert PupilResult.objects.count() == first
    assert SchoolAssessment.objects.aggregate(n=Count("school", distinct=True))["n"] > 0
    assert demo_region_delete()
    assert not School.objects.exists()
    assert not PupilResult.objects.exists() and not SchoolIndicator.objects.exists()
    assert not Assessment.objects.exists() and not MarkScale.objects.filter(source=SCALE_SOURCE).exists()


@pytest.mark.django_db
def test_the_region_is_built_without_results_unless_asked():
    build = demo_build(seed=11, schools=40)
    assert build.result_files == 0 and not PupilResult.objects.exists()


@pytest.mark.django_db
def test_the_command_imports_the_results_by_default():
    out = StringIO()
    call_command("demo", "--schools", "20", "--seed", "3", stdout=out, verbosity=0)
    output = out.getvalue()
    assert "ВПР" in output and PupilResult.objects.count() > 0
    vpr = PupilResult.objects.filter(school_assessment__assessment__procedure__code="ВПР").count()
    assert f"{vpr} " in output.replace("\xa0", "")
    assert "КДР" in output  # the regional diagnostic is in the summary
    assert set(Assessment.objects.values_list("year", flat=True)) == set(RESULTS_YEARS)
