"""Mapping a school the file names but the register lacks: the job page → an alias → the file checks again."""

import pytest
from django.urls import reverse

from opora.assessments.models import SchoolAssessment
from opora.core.models import AuditEvent
from opora.imports.errors import RowError
from opora.imports.mapping import unknown_schools_for_user
from opora.imports.models import ImportJob
from opora.imports.services import import_job_commit
from opora.imports.tests.factories import upload
from opora.imports.tests.test_context import check, context_row, csv_bytes
from opora.imports.tests.test_fis_oko_vpr import P1, P2, P3, edited, vpr_bytes, vpr_job
from opora.registry.models import School, SchoolAlias
from opora.registry.services import SchoolAliasConflictError, school_alias_create
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

UNKNOWN = "edu999999"


def unknown_login_file(cast) -> bytes:
    content = vpr_bytes(cast.school, school_login=UNKNOWN, school_name="МБОУ СОШ № 1 с. Ивановка")
    return edited(content, {(r, 1): UNKNOWN for r in (P1, P2, P3)})


def map_url(job: ImportJob) -> str:
    return reverse("imports:job-map-school", kwargs={"job_pk": job.pk})


def mapping(school, identifier: str = UNKNOWN) -> dict[str, object]:
    return {"kind": SchoolAlias.Kind.FIS_OKO_LOGIN, "identifier": identifier, "school": school.pk}


def test_row_errors_stay_as_they_were_stored_without_a_school():
    assert RowError("f.csv", None, 3, "ИНН", "плохо").as_dict() == {
        "file": "f.csv",
        "sheet": None,
        "row": 3,
        "column": "ИНН",
        "message": "плохо",
    }
    assert RowError("f", None, None, "", "m", {"identifier": "x"}).as_dict()["school"] == {"identifier": "x"}


def test_it_maps_an_unknown_login_and_commits_the_results_for_the_school(client, cast):
    user = cast.users["municipal"]
    client.force_login(user)
    response = client.post(
        reverse("imports:vpr-upload"), {"file": upload(unknown_login_file(cast), "v.xlsx")}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.FAILED
    [error] = job.errors
    assert {**error["school"], "suggestions": error["school"]["suggestions"][:1]} == {
        "identifier": UNKNOWN,
        "kind": "fis_oko_login",
        "name": "МБОУ СОШ № 1 с. Ивановка",
        "suggestions": [cast.school.pk],  # the best first
    }
    assert cast.neighbour_school.pk not in error["school"]["suggestions"]  # outside the user's area
    page = client.get(response["Location"]).content.decode()
    assert 'id="unknown-schools"' in page and map_url(job) in page and UNKNOWN in page
    assert f'<option value="{cast.sibling.pk}">' in page  # the other schools of the user's area

    response = client.post(map_url(job), mapping(cast.school))
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:job-detail", kwargs={"job_pk": job.pk}
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    alias = SchoolAlias.objects.get()
    assert (alias.school, alias.kind, alias.value) == (cast.school, "fis_oko_login", UNKNOWN)
    audit = AuditEvent.objects.get(action="school_alias_create")
    assert (audit.actor, audit.object_id, audit.details["value"]) == (user, str(cast.school.pk), UNKNOWN)
    assert job.events.filter(message__contains=UNKNOWN).exists()
    assert 'id="unknown-schools"' not in client.get(response["Location"]).content.decode()

    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assert SchoolAssessment.objects.get().school == cast.school


def test_it_refuses_a_school_outside_the_users_scope(client, cast):
    job = vpr_job(cast.users["municipal"], unknown_login_file(cast))
    client.force_login(cast.users["municipal"])
    assert client.post(map_url(job), mapping(cast.neighbour_school)).status_code == 404
    assert not SchoolAlias.objects.exists() and not AuditEvent.objects.filter(action="school_alias_create")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


@pytest.mark.parametrize("role", ["outsider", "regional"])
def test_it_hides_another_users_job(client, cast, role):
    job = vpr_job(cast.users["municipal"], unknown_login_file(cast))
    client.force_login(cast.users[role])
    assert client.post(map_url(job), mapping(cast.school)).status_code == 404
    assert not SchoolAlias.objects.exists()


def test_it_accepts_only_a_post(client, cast):
    job = vpr_job(cast.users["municipal"], unknown_login_file(cast))
    client.force_login(cast.users["municipal"])
    assert client.get(map_url(job), mapping(cast.school)).status_code == 405
    assert not SchoolAlias.objects.exists()


def test_it_maps_only_what_the_job_asks_for(client, cast):
    job = vpr_job(cast.users["municipal"], unknown_login_file(cast))
    client.force_login(cast.users["municipal"])
    response = client.post(map_url(job), mapping(cast.school, identifier="edu123123"))
    assert response.status_code == 302
    assert not SchoolAlias.objects.exists()


def test_it_refuses_an_identifier_of_another_school(client, cast):
    school_alias_create(
        actor=cast.users["admin"], school=cast.sibling, kind=SchoolAlias.Kind.NAME, value="Лесная школа"
    )
    with pytest.raises(SchoolAliasConflictError):
        school_alias_create(
            actor=cast.users["admin"], school=cast.school, kind=SchoolAlias.Kind.NAME, value="лесная  школа"
        )
    with pytest.raises(SchoolAliasConflictError):
        school_alias_create(
            actor=cast.users["admin"],
            school=cast.school,
            kind=SchoolAlias.Kind.FIS_OKO_LOGIN,
            value=cast.sibling.fis_oko_login.upper(),
        )
    again = school_alias_create(
        actor=cast.users["admin"], school=cast.sibling, kind=SchoolAlias.Kind.NAME, value="Лесная школа"
    )
    assert SchoolAlias.objects.get() == again
    assert AuditEvent.objects.filter(action="school_alias_create").count() == 1


def test_it_offers_nothing_to_users_who_may_not_import(cast):
    job = vpr_job(cast.users["municipal"], unknown_login_file(cast))
    assert unknown_schools_for_user(job=job, user=cast.users["analyst"]) == []
    [item] = unknown_schools_for_user(job=job, user=cast.users["municipal"])
    assert item.suggestions[0] == cast.school
    assert [name for name, _schools in item.others] == [cast.municipality.name]


def test_it_maps_an_unknown_login_of_a_social_passport(client, cast):
    login = cast.school.fis_oko_login
    taken = set(School.objects.values_list("fis_oko_login", flat=True))
    # A one-digit slip that is no other school's login (the factories number logins in sequence).
    typo = next(login[:-1] + digit for digit in "0123456789" if login[:-1] + digit not in taken)
    user = cast.users["municipal"]
    job = check(user, csv_bytes([context_row(typo)]))
    [error] = job.errors
    assert error["school"]["kind"] == "fis_oko_login" and error["school"]["identifier"] == typo
    assert cast.school.pk in error["school"]["suggestions"]
    client.force_login(user)
    client.post(map_url(job), mapping(cast.school, identifier=typo))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert import_job_commit(job=job, user=user).status == ImportJob.Status.COMMITTED
    assert cast.school.contexts.count() == 1


def test_the_choices_carry_plain_school_ids_even_above_a_thousand(client, cast):
    # Russian number formatting writes 12345 as «12 345»: a form value must never go through it.
    SchoolFactory.create(pk=12345, municipality=cast.municipality)
    user = cast.users["municipal"]
    client.force_login(user)
    response = client.post(
        reverse("imports:vpr-upload"), {"file": upload(unknown_login_file(cast), "v.xlsx")}
    )
    page = client.get(response["Location"]).content.decode()
    assert '<option value="12345">' in page


def test_an_unknown_school_is_never_explained_with_schools_outside_the_users_area(cast):
    # The file names the neighbour municipality's school: the municipal user may not learn of it.
    content = vpr_bytes(cast.school, school_login=UNKNOWN, school_name=cast.neighbour_school.short_name)
    job = vpr_job(cast.users["municipal"], edited(content, {(r, 1): UNKNOWN for r in (P1, P2, P3)}))
    [error] = job.errors
    assert cast.neighbour_school.short_name not in error["message"]
    assert cast.neighbour_school.pk not in error["school"]["suggestions"]
