"""The identification pages through the client: who sees what, exports, official lists, the methodology."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from opora.core.models import AuditEvent
from opora.identification.models import Finding, MethodologyVersion, SchoolList
from opora.identification.services import identification_run_create
from opora.identification.tests.factories import results_store

pytestmark = pytest.mark.django_db

STAFF = ("regional", "analyst", "municipal", "methodist")
NOT_STAFF = ("curator", "school", "director")


@pytest.fixture
def run(cast):
    """A regional run where cast.school (M1) and cast.neighbour_school (M2) are both ШНОР."""
    for subject in ("Математика", "Русский язык"):
        results_store(cast.school, year=2025, twos=20, pupils=50, subject=subject)
        results_store(cast.neighbour_school, year=2025, twos=25, pupils=50, subject=subject)
        results_store(cast.sibling, year=2025, twos=1, pupils=50, subject=subject)
    return identification_run_create(
        actor=cast.users["regional"], region=cast.region, municipality=None, year=2025
    )


def _shnor(run):
    return SchoolList.objects.get(run=run, kind=SchoolList.Kind.LOW_RESULTS)


def test_regional_staff_see_every_school_of_the_list_municipal_staff_only_theirs(client, cast, run):
    url = reverse("identification:list-detail", kwargs={"list_pk": _shnor(run).pk})
    client.force_login(cast.users["regional"])
    page = client.get(url).content.decode()
    assert cast.school.short_name in page and cast.neighbour_school.short_name in page
    client.force_login(cast.users["municipal"])
    page = client.get(url).content.decode()
    assert cast.school.short_name in page and cast.neighbour_school.short_name not in page


@pytest.mark.parametrize("role", ["outsider", *NOT_STAFF])
def test_others_get_404_on_every_page_of_a_run(client, cast, run, role):
    client.force_login(cast.users[role])
    shnor = _shnor(run)
    for url in (
        reverse("identification:run-detail", kwargs={"run_pk": run.pk}),
        reverse("identification:list-detail", kwargs={"list_pk": shnor.pk}),
        reverse("identification:list-export", kwargs={"list_pk": shnor.pk}),
        reverse("identification:methodology-version", kwargs={"version_pk": run.methodology_id}),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("identification:run-rerun", kwargs={"run_pk": run.pk})).status_code == 404


@pytest.mark.parametrize("role", NOT_STAFF)
def test_the_index_is_for_regional_and_municipal_staff_only(client, cast, role):
    client.force_login(cast.users[role])
    assert client.get(reverse("identification:index")).status_code == 404


@pytest.mark.parametrize("role", STAFF)
def test_staff_open_the_index_and_the_methodology(client, cast, role):
    client.force_login(cast.users[role])
    assert client.get(reverse("identification:index")).status_code == 200
    assert client.get(reverse("identification:methodology")).status_code == 200


def test_the_export_holds_the_visible_rows_with_reasons_and_is_audited(client, cast, run):
    client.force_login(cast.users["municipal"])
    response = client.get(reverse("identification:list-export", kwargs={"list_pk": _shnor(run).pk}))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [row[0] for row in rows] == [cast.school.short_name]
    assert "2025" in rows[0][5]
    assert AuditEvent.objects.filter(action="school_list_export").count() == 1


def test_a_coordinator_starts_a_run_in_their_scope(client, cast, run):
    client.force_login(cast.users["municipal"])
    response = client.post(reverse("identification:run-start"), {"year": 2025})
    assert response.status_code == 302
    municipal_run = run.__class__.objects.exclude(pk=run.pk).get()
    assert municipal_run.municipality == cast.municipality
    assert not Finding.objects.filter(run=municipal_run, school=cast.neighbour_school).exists()


def test_a_methodist_may_not_start_runs_or_edit_the_methodology(client, cast):
    client.force_login(cast.users["methodist"])
    assert client.post(reverse("identification:run-start"), {"year": 2025}).status_code == 404
    assert client.get(reverse("identification:methodology-edit")).status_code == 404


def test_the_rerun_page_says_the_lists_are_identical(client, cast, run):
    client.force_login(cast.users["regional"])
    response = client.post(reverse("identification:run-rerun", kwargs={"run_pk": run.pk}))
    rerun = run.__class__.objects.get(rerun_of=run)
    assert response.url == reverse("identification:run-detail", kwargs={"run_pk": rerun.pk})
    page = client.get(response.url)
    assert page.context["difference"].identical


def test_editing_the_methodology_through_the_form_makes_a_version(client, cast, run):
    client.force_login(cast.users["regional"])
    form = client.get(reverse("identification:methodology-edit")).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data = {k: v for k, v in data.items() if v is not False}
    data["low_results.threshold_pct"] = "35,5"
    data["comment"] = "Порог 35,5 % по решению комиссии"
    response = client.post(reverse("identification:methodology-edit"), data)
    assert response.status_code == 302, response.context["form"].errors
    version = MethodologyVersion.objects.get(number=2)
    assert version.parameters["low_results"]["threshold_pct"] == 35.5
    page = client.get(reverse("identification:methodology-version", kwargs={"version_pk": version.pk}))
    assert [change.name for change in page.context["view"].changes] == ["low_results.threshold_pct"]


def _official_csv(*logins: str) -> io.BytesIO:
    content = io.BytesIO(
        ("Логин ОО;Примечание\n" + "".join(f"{login};приказ\n" for login in logins)).encode()
    )
    content.name = "official.csv"
    return content


def _upload(client, content):
    return client.post(
        reverse("identification:official-upload"),
        {
            "kind": "low_results",
            "level": "regional",
            "year": 2025,
            "document": "Приказ № 12",
            "file": content,
        },
    )


def test_an_official_list_is_imported_compared_and_the_same_file_again_changes_nothing(client, cast, run):
    client.force_login(cast.users["regional"])
    response = _upload(client, _official_csv(cast.school.fis_oko_login, cast.sibling.fis_oko_login))
    official = SchoolList.objects.get(origin=SchoolList.Origin.OFFICIAL)
    assert response.url == reverse("identification:list-detail", kwargs={"list_pk": official.pk})
    assert set(official.memberships.values_list("school_id", flat=True)) == {cast.school.pk, cast.sibling.pk}
    _upload(client, _official_csv(cast.school.fis_oko_login, cast.sibling.fis_oko_login))
    assert SchoolList.objects.filter(origin=SchoolList.Origin.OFFICIAL).count() == 1
    page = client.get(
        reverse("identification:list-compare", kwargs={"list_pk": _shnor(run).pk}), {"official": official.pk}
    )
    comparison = page.context["comparison"]
    assert [row.school for row in comparison.only_official] == [cast.sibling]
    assert [row.school for row in comparison.only_computed] == [cast.neighbour_school]
    assert comparison.only_official[0].finding.status == Finding.Status.CLEARED  # and its reason explains why


def test_an_official_list_naming_a_school_outside_the_area_is_refused_whole(client, cast):
    client.force_login(cast.users["municipal"])
    response = _upload(client, _official_csv(cast.school.fis_oko_login, cast.neighbour_school.fis_oko_login))
    assert response.status_code == 200
    problems = response.context["problems"]
    assert [(p["file"], p["row"], p["column"]) for p in problems] == [("official.csv", 3, "Логин ОО")]
    assert not SchoolList.objects.exists()


def test_the_school_card_says_why_the_school_is_in_the_list(client, cast, run):
    client.force_login(cast.users["director"])
    response = client.get(reverse("registry:school-detail", kwargs={"school_pk": cast.school.pk}))
    identification = response.context["identification"]
    assert [m.school_list.kind for m in identification.memberships] == ["low_results"]
    assert {f.method for f in identification.findings} >= {"low_results", "shnsu", "dynamics"}
    assert identification.chart is not None and len(identification.chart.rows) == 2  # math and Russian
    assert "2025" in response.content.decode() and "<svg" in response.content.decode()


def test_the_run_page_gives_the_share_of_listed_schools_with_positive_dynamics(client, cast):
    # 2024 → 2025: cast.school 60 % → 40 % «2» (−20 pp: positive, still ШНОР); the neighbour 50 % → 50 %.
    for subject in ("Математика", "Русский язык"):
        results_store(cast.school, year=2024, twos=30, pupils=50, subject=subject)
        results_store(cast.school, year=2025, twos=20, pupils=50, subject=subject)
        results_store(cast.neighbour_school, year=2024, twos=25, pupils=50, subject=subject)
        results_store(cast.neighbour_school, year=2025, twos=25, pupils=50, subject=subject)
        results_store(cast.sibling, year=2025, twos=1, pupils=50, subject=subject)
    run = identification_run_create(
        actor=cast.users["regional"], region=cast.region, municipality=None, year=2025
    )
    url = reverse("identification:run-detail", kwargs={"run_pk": run.pk})
    client.force_login(cast.users["regional"])
    overall = client.get(url).context["positive_dynamics"][0]
    assert (overall.municipality, overall.listed, overall.positive, overall.share) == ("", 2, 1, 50.0)
    client.force_login(cast.users["municipal"])
    rows = client.get(url).context["positive_dynamics"]
    assert [(r.municipality, r.listed, r.positive) for r in rows] == [
        ("", 1, 1),
        (cast.municipality.name, 1, 1),
    ]


def test_the_methodology_page_names_choices_in_russian_and_marks_edited_values(client, cast):
    from analytics.methodology import CHOICE_LABELS, Methodology
    from opora.identification.services import methodology_version_create

    parameters = Methodology().to_dict()
    parameters["low_results"]["basis"] = "ci_low"
    methodology_version_create(
        actor=cast.users["regional"], region=cast.region, municipality=None, parameters=parameters, comment=""
    )
    client.force_login(cast.users["regional"])
    page = client.get(reverse("identification:methodology")).content.decode()
    assert f"<b>{CHOICE_LABELS['low_results.basis']['ci_low']}</b>" in page
    assert CHOICE_LABELS["low_results.basis"]["shrunken"] in page  # the default, beside it


def test_the_run_page_counts_each_method_in_one_row_and_names_the_context_variables(client, cast, run):
    client.force_login(cast.users["regional"])
    response = client.get(reverse("identification:run-detail", kwargs={"run_pk": run.pk}))
    low = next(row for row in response.context["counts"] if row.method == "low_results")
    assert (low.flagged, low.cleared, low.insufficient) == (2, 1, 0)  # the school and the neighbour; sibling
    page = response.content.decode()
    assert "доля детей из малообеспеченных семей" in page and "share_low_income" not in page


def test_reading_the_methodology_writes_nothing(client, cast):
    client.force_login(cast.users["regional"])
    page = client.get(reverse("identification:methodology"))
    edit = client.get(reverse("identification:methodology-edit"))
    assert (page.status_code, edit.status_code) == (200, 200)
    assert page.context["view"].version.pk is None  # today's defaults, shown unsaved
    assert not MethodologyVersion.objects.exists()
