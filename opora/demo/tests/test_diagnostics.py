"""The demo's regional diagnostic (КДР): deterministic, driven by the latent model, imported per pupil."""

import statistics
from collections import defaultdict

import pytest

from opora.assessments.models import Assessment, Procedure, PupilResult, SchoolIndicator
from opora.demo.build import demo_build, demo_region_delete
from opora.demo.diagnostics import (
    COLUMNS,
    DIAGNOSTIC_PROCEDURE,
    MAX_SCORE,
    diagnostic_years,
    diagnostics_csv,
    generate_diagnostics,
)
from opora.demo.region import generate_region
from opora.imports.models import ImportJob


def test_the_same_seed_gives_the_same_diagnostic() -> None:
    first = generate_diagnostics(generate_region(seed=5, schools=60))
    assert first and first == generate_diagnostics(generate_region(seed=5, schools=60))


def test_levels_follow_the_completion_cut_offs() -> None:
    rows = generate_diagnostics(generate_region(seed=5, schools=60), years=(2025,))
    expected = {
        "недостаточный": (0, 30),
        "пониженный": (30, 50),
        "базовый": (50, 80),
        "повышенный": (80, 101),
    }
    assert {r.level for r in rows} == set(expected)
    for row in rows:
        low, high = expected[row.level]
        assert low <= row.completion_pct < high
        assert 0 <= row.primary_score <= MAX_SCORE
        assert row.completion_pct == round(100 * row.primary_score / MAX_SCORE, 1)


def test_schools_with_a_weaker_intake_complete_less_of_the_work() -> None:
    demo = generate_region(seed=5, schools=120)
    completion: dict[str, list[float]] = defaultdict(list)
    for row in generate_diagnostics(demo):
        completion[row.login].append(row.completion_pct)
    ses = {s.login: s.latent.ses for s in demo.schools}
    ordered = sorted((login for login, values in completion.items() if len(values) >= 5), key=ses.__getitem__)
    half = len(ordered) // 2
    weak = statistics.mean(statistics.mean(completion[login]) for login in ordered[:half])
    strong = statistics.mean(statistics.mean(completion[login]) for login in ordered[half:])
    assert weak < strong


def test_codes_are_unique_in_a_school_and_the_csv_has_a_row_per_pupil() -> None:
    rows = generate_diagnostics(generate_region(seed=5, schools=60), years=(2025,))
    codes = [(r.login, r.participant) for r in rows]
    assert len(set(codes)) == len(codes)
    lines = diagnostics_csv(rows).splitlines()
    assert lines[0].split(";") == list(COLUMNS) and len(lines) == len(rows) + 1
    assert lines[1].split(";")[1:4] == [DIAGNOSTIC_PROCEDURE, "Математика", rows[0].class_name]


def test_the_demo_imports_the_last_two_years() -> None:
    assert diagnostic_years((2026, 2024, 2025)) == (2025, 2026)
    assert diagnostic_years((2025,)) == (2025,)


@pytest.mark.django_db
def test_the_demo_build_imports_the_diagnostic_and_stores_its_levels() -> None:
    build = demo_build(seed=11, schools=40, results=True, results_years=(2025,), results_grades=(4,))
    expected = generate_diagnostics(generate_region(seed=11, schools=40), years=(2025,))
    stored = PupilResult.objects.filter(
        school_assessment__assessment__procedure__code=DIAGNOSTIC_PROCEDURE,
        school_assessment__assessment__grade=6,
    )
    assert build.diagnostic_rows == len(expected) == stored.count() > 0
    procedure = Procedure.objects.get(code=DIAGNOSTIC_PROCEDURE)
    assert (procedure.level, procedure.outcome) == (Procedure.Level.REGIONAL, Procedure.Outcome.LEVEL)
    job = ImportJob.objects.get(kind=ImportJob.Kind.PUPIL_RESULTS)
    assert job.status == ImportJob.Status.COMMITTED and not job.errors
    first = expected[0]
    pupil = stored.get(
        school_assessment__school__fis_oko_login=first.login, participant_code=first.participant
    )
    assert (pupil.achievement_level, float(pupil.completion_pct or 0)) == (first.level, first.completion_pct)
    indicators = SchoolIndicator.objects.filter(assessment__procedure__code=DIAGNOSTIC_PROCEDURE)
    assert any(indicator.values.get("level_shares") for indicator in indicators)
    # Deleting the region deletes the diagnostic's assessments with the other results; the procedure stays.
    assert demo_region_delete()
    assert not Assessment.objects.filter(procedure__code=DIAGNOSTIC_PROCEDURE).exists()
    assert Procedure.objects.filter(code=DIAGNOSTIC_PROCEDURE).exists()
