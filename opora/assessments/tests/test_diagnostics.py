"""Regional diagnostics (levels, % completion): stored from pupil rows and aggregates, shown on the card."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from statsmodels.stats.proportion import proportion_confint

from opora.assessments.models import (
    Assessment,
    Procedure,
    PupilResult,
    SchoolAggregateResult,
    SchoolAssessment,
    SchoolIndicator,
    Subject,
)
from opora.assessments.services import (
    indicator_rows,
    school_aggregate_indicators_recompute,
    school_indicators_recompute,
)
from opora.assessments.tests.test_selectors import build_results
from opora.imports.models import ImportJob
from opora.imports.services import import_job_commit, import_job_create, import_job_validate
from opora.imports.tests.factories import upload
from tests.factories import SchoolFactory

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "formats" / "examples" / "diagnostics-pupils.xlsx"


def _wilson_pct(count: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(count, n, alpha=0.05, method="wilson")
    return 100 * low, 100 * high


def _ru(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _card(client, school) -> str:
    response = client.get(reverse("registry:school-detail", kwargs={"school_pk": school.pk}))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def imported(cast):
    """The documented КДР example: edu250001 (базовый 70, пониженный 30, повышенный 95) in the cast's
    municipality, edu250002 (повышенный 85, базовый 55) in the neighbour, imported through the job flow."""
    lesnoe = SchoolFactory.create(municipality=cast.municipality, fis_oko_login="edu250001")
    gymnasium = SchoolFactory.create(municipality=cast.neighbour, fis_oko_login="edu250002")
    user = cast.users["regional"]
    job = import_job_create(
        user=user, kind=ImportJob.Kind.PUPIL_RESULTS, uploaded_file=upload(EXAMPLE.read_bytes(), EXAMPLE.name)
    )
    job = import_job_commit(job=import_job_validate(job=job), user=user)
    assert job.status == ImportJob.Status.COMMITTED, job.errors
    return lesnoe, gymnasium


def test_it_stores_the_level_shares_of_imported_pupils(imported):
    lesnoe, gymnasium = imported
    stored = SchoolIndicator.objects.get(school=lesnoe)
    assert stored.source == SchoolIndicator.Source.PUPILS and stored.assessment.procedure.code == "КДР"
    values = stored.values
    # One pupil at each of three levels: 1 of 3 = 33,3 % each; completion (70 + 30 + 95) / 3 = 65 %.
    assert values["level_shares"] == pytest.approx(
        {"пониженный": 100 / 3, "базовый": 100 / 3, "повышенный": 100 / 3}
    )
    assert (values["level_n"], values["completion_n"]) == (3, 3)
    assert values["mean_completion"] == pytest.approx(65.0)
    assert values["level_counts"] == {"пониженный": 1, "базовый": 1, "повышенный": 1}
    assert values["level_ci"]["базовый"] == pytest.approx(list(_wilson_pct(1, 3)))

    # The gymnasium has no «пониженный» pupil: 0 of 2, a level of the assessment, with its interval.
    other = SchoolIndicator.objects.get(school=gymnasium).values
    assert other["level_shares"] == {"пониженный": 0.0, "базовый": 50.0, "повышенный": 50.0}
    assert other["level_ci"]["пониженный"] == pytest.approx(list(_wilson_pct(0, 2)))
    assert other["mean_completion"] == pytest.approx(70.0)


def test_it_shows_the_level_shares_on_the_card_of_a_school_the_user_may_see(client, cast, imported):
    lesnoe, gymnasium = imported
    client.force_login(cast.users["municipal"])
    page = _card(client, lesnoe)
    section = page[page.index('id="diagnostics"') :]
    low, high = _wilson_pct(1, 3)
    assert f"33,3 ({_ru(low)}–{_ru(high)})" in section  # 33,3 (6,1–79,2)
    assert "65,0" in section and "результаты участников" in section
    assert "КДР 2025, Математика, 7 класс" in section
    # The level columns go from the lowest to the highest, whatever the order of the file.
    headers = [
        section.index(f'<th class="num">{label}, %</th>') for label in ("пониженный", "базовый", "повышенный")
    ]
    assert headers == sorted(headers)
    # The gymnasium is in the neighbour municipality: not the municipal user's.
    assert (
        client.get(reverse("registry:school-detail", kwargs={"school_pk": gymnasium.pk})).status_code == 404
    )


def test_it_shows_published_level_shares_without_an_interval(client, cast):
    assessment = Assessment.objects.create(
        procedure=Procedure.objects.get(code="РДР"),
        year=2025,
        subject=Subject.objects.get(code="math"),
        grade=6,
    )
    SchoolAggregateResult.objects.create(
        assessment=assessment,
        school=cast.school,
        participants=31,
        mean_completion=Decimal("54.3"),
        level_shares={"высокий": 30.0, "низкий": 20.0, "базовый": 50.0},
    )
    assert school_aggregate_indicators_recompute(assessment_ids=[assessment.pk]) == 1
    client.force_login(cast.users["school"])
    section = _card(client, cast.school).split('id="diagnostics"', 1)[1].split("</table>", 1)[0]
    assert "54,3" in section and "опубликованные сводные данные" in section
    assert '<td class="num">20,0</td>' in section and '<td class="num">31</td>' in section
    headers = [
        section.index(f'<th class="num">{label}, %</th>') for label in ("низкий", "базовый", "высокий")
    ]
    assert headers == sorted(headers)


def test_it_computes_nothing_for_results_without_levels_or_completion(cast, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("computed the levels of an assessment that has none")

    monkeypatch.setattr(indicator_rows, "achievement_indicators", refuse)
    build_results(cast)  # ВПР: marks and task scores only
    stored = SchoolIndicator.objects.filter(source=SchoolIndicator.Source.PUPILS)
    assert stored.count() == 5
    assert not any("level_shares" in i.values or "mean_completion" in i.values for i in stored)


def test_it_computes_the_diagnostic_next_to_a_vpr_in_one_recompute(cast):
    vpr, _latest = build_results(cast)
    diagnostic = Assessment.objects.create(
        procedure=Procedure.objects.get(code="РДР"),
        year=2025,
        subject=Subject.objects.get(code="math"),
        grade=6,
    )
    results = SchoolAssessment.objects.create(assessment=diagnostic, school=cast.school)
    PupilResult.objects.bulk_create(
        PupilResult(
            school_assessment=results, participant_code=str(i), achievement_level=level, completion_pct=pct
        )
        for i, (level, pct) in enumerate(
            [("базовый", Decimal("60.5")), ("", Decimal("20")), ("высокий", None)]
        )
    )
    school_indicators_recompute(assessment_ids=[vpr.pk, diagnostic.pk])
    values = SchoolIndicator.objects.get(assessment=diagnostic).values
    # A blank level is no level: 2 pupils with one, 2 with a completion %.
    assert (values["level_n"], values["level_shares"]) == (2, {"базовый": 50.0, "высокий": 50.0})
    assert (values["completion_n"], values["mean_completion"]) == (2, pytest.approx(40.25))
    assert "level_shares" not in SchoolIndicator.objects.get(assessment=vpr, school=cast.school).values


def test_the_card_costs_the_same_queries_with_diagnostics(client, cast):
    build_results(cast)
    client.force_login(cast.users["regional"])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            _card(client, cast.school)
        return len(captured)

    without = count()
    for year, code in [(2024, "РДР"), (2025, "РДР"), (2025, "МДР")]:
        assessment = Assessment.objects.create(
            procedure=Procedure.objects.get(code=code),
            year=year,
            subject=Subject.objects.get(code="math"),
            grade=6,
        )
        results = SchoolAssessment.objects.create(assessment=assessment, school=cast.school)
        PupilResult.objects.create(
            school_assessment=results, participant_code="1", achievement_level="базовый"
        )
        school_indicators_recompute(assessment_ids=[assessment.pk])
        SchoolAggregateResult.objects.create(
            assessment=assessment, school=cast.sibling, participants=20, level_shares={"высокий": 100.0}
        )
        school_aggregate_indicators_recompute(assessment_ids=[assessment.pk])
    page = _card(client, cast.school)
    assert page.count("КДР") == 0 and page.count("<td>РДР 2024, Математика, 6 класс</td>") == 1
    assert count() == without
