"""Results on the school card, the municipality results page and its XLSX export, through the test client."""

from io import BytesIO
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from opora.assessments.services import school_indicators_recompute
from opora.assessments.tests.test_selectors import add_results, build_results, make_assessment
from opora.core.models import AuditEvent
from tests.factories import SchoolFactory


@pytest.fixture
def results(cast):
    return build_results(cast)


def card(school) -> str:
    return reverse("registry:school-detail", kwargs={"school_pk": school.pk})


def results_url(municipality, export: bool = False) -> str:
    name = "municipality-results-export" if export else "municipality-results"
    return reverse(f"assessments:{name}", kwargs={"municipality_pk": municipality.pk})


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


def test_it_shows_the_hand_made_results_on_the_card_in_russian(client, cast, results):
    client.force_login(cast.users["school"])
    page = client.get(card(cast.school)).content.decode()
    # 2025: «2» 2 of 10 = 20,0 % with the Wilson interval 5,7–51,0; качество 50,0; успеваемость 80,0.
    assert "20,0 (5,7–51,0)" in page
    assert "60,0 (23,1–88,2)" in page  # 2024: 3 of 5
    assert "−40,0" in page  # the change of «2» from 2024 to 2025 in percentage points
    assert "50,0" in page and "80,0" in page
    assert '<span class="tag warn" title="мало участников: доля неустойчива">ограниченная (N &lt; 20)' in page
    # Task 1: 100 % against 66,7 % in the municipality (+33,3 pp) and 50,0 % in the region (+50,0 pp).
    assert "66,7" in page and "+33,3" in page and "+50,0" in page
    assert "Выполнение заданий" in page and "ВПР 2025, Математика, 5 класс" in page
    assert "2 025" not in page


def test_it_shows_the_tasks_of_the_chosen_assessment(client, cast, results):
    earlier, _latest = results
    client.force_login(cast.users["municipal"])
    response = client.get(card(cast.school), {"assessment": earlier.pk})
    assert response.context["results"].selected.assessment_id == earlier.pk
    assert f'<option value="{earlier.pk}" selected>' in response.content.decode()


def test_it_shows_the_empty_state_with_an_import_link_for_importers_only(client, cast):
    imports = reverse("imports:job-list")
    client.force_login(cast.users["municipal"])
    page = client.get(card(cast.school)).content.decode()
    assert "Результаты ещё не загружены" in page and imports in page
    client.force_login(cast.users["director"])
    page = client.get(card(cast.school)).content.decode()
    assert "Результаты ещё не загружены" in page and f'href="{imports}"' not in page.split('id="results"')[1]


def test_it_lists_only_schools_in_scope_and_sorts_by_columns(client, cast, results):
    client.force_login(cast.users["regional"])
    response = client.get(results_url(cast.municipality))
    page = response.content.decode()
    assert cast.school.short_name in page and cast.sibling.short_name in page
    assert cast.neighbour_school.short_name not in page and cast.far_school.short_name not in page
    assert "ВПР 2025, Математика, 5 класс" in page and "5,7–51,0" in page
    by_2_desc = client.get(results_url(cast.municipality), {"sort": "-mark_2_pct"}).context["results"]
    assert [r.school for r in by_2_desc.rows] == [cast.school, cast.sibling]
    by_2_asc = client.get(results_url(cast.municipality), {"sort": "mark_2_pct"})
    assert [r.school for r in by_2_asc.context["results"].rows] == [cast.sibling, cast.school]
    assert "?sort=-mark_2_pct" in by_2_asc.content.decode()  # the second click sorts descending


def test_it_links_the_results_from_the_municipality_page(client, cast):
    client.force_login(cast.users["municipal"])
    page = client.get(
        reverse("registry:municipality-detail", kwargs={"municipality_pk": cast.municipality.pk})
    ).content.decode()
    assert results_url(cast.municipality) in page and results_url(cast.municipality, export=True) in page


def test_it_exports_the_results_to_xlsx_and_audits_it(client, cast, results):
    user = cast.users["municipal"]
    client.force_login(user)
    response = client.get(results_url(cast.municipality, export=True), {"sort": "-mark_2_pct"})
    assert response.status_code == 200
    disposition = unquote(response["Content-Disposition"])
    assert cast.municipality.name in disposition and "ВПР 2025" in disposition and ".xlsx" in disposition
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("Школа", "Логин ФИС ОКО", "Участники", "Размер выборки", "«2», %")
    assert rows[1][0] == cast.school.short_name
    assert rows[1][2:] == (10, "ограниченная (N < 20)", 20.0, 5.7, 51.0, 50.0, 80.0, 60.0, 3.0)
    assert sheet["E2"].number_format == "0.0"
    assert [row[0] for row in rows[1:]] == [cast.school.short_name, cast.sibling.short_name]
    event = AuditEvent.objects.get(action="results_export")
    assert event.actor == user and event.object_id == str(cast.municipality.pk)
    assert event.details["rows"] == 2 and event.details["filters"]["sort"] == "-mark_2_pct"
    assert event.details["filters"]["year"] is None


def test_it_exports_an_empty_workbook_when_there_are_no_results(client, cast):
    client.force_login(cast.users["municipal"])
    response = client.get(results_url(cast.municipality, export=True))
    assert response.status_code == 200
    rows = list(
        load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    assert len(rows) == 1 and AuditEvent.objects.filter(action="results_export").count() == 1


def test_it_hides_a_neighbour_municipality_from_the_municipal_user(client, cast, results):
    client.force_login(cast.users["municipal"])
    assert client.get(results_url(cast.neighbour)).status_code == 404
    assert client.get(results_url(cast.neighbour, export=True)).status_code == 404
    assert not AuditEvent.objects.filter(action="results_export").exists()


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "school__password"},
        {"sort": "-"},
        {"assessment": "abc"},
        {"assessment": "1\x00"},
        {"year": "20\x0025", "grade": "x", "procedure": "\x00", "subject": "999999999999999999999"},
        {"sort": "\x00", "year": "-5"},
    ],
)
def test_it_never_fails_on_bad_parameters(client, cast, results, params):
    client.force_login(cast.users["regional"])
    assert client.get(card(cast.school), params).status_code == 200
    assert client.get(results_url(cast.municipality), params).status_code == 200
    assert client.get(results_url(cast.municipality, export=True), params).status_code == 200


def test_it_shows_the_card_in_a_fixed_number_of_queries(client, cast, results):
    client.force_login(cast.users["regional"])
    few = _count(client, card(cast.school))
    for year in range(2018, 2024):
        for grade in (6, 7):
            assessment = make_assessment(year, grade=grade)
            add_results(assessment, cast.school, [2, 3, 4], [1, 1, 1])
            school_indicators_recompute(assessment_ids=[assessment.pk])
    assert _count(client, card(cast.school)) == few


def test_it_shows_the_municipality_results_in_a_fixed_number_of_queries(client, cast, results):
    _earlier, latest = results
    client.force_login(cast.users["regional"])
    two = _count(client, results_url(cast.municipality))
    for _ in range(8):
        add_results(latest, SchoolFactory.create(municipality=cast.municipality), [2, 3, 4], [1, 1, 1])
    school_indicators_recompute(assessment_ids=[latest.pk])
    response = client.get(results_url(cast.municipality))
    assert len(response.context["results"].rows) == 10
    assert _count(client, results_url(cast.municipality)) == two
    assert _count(client, results_url(cast.municipality, export=True)) == _count(
        client, results_url(cast.municipality, export=True), {"sort": "-pass_pct"}
    )
