"""The social passport import end to end: check, preview, commit, re-import, broken files, access."""

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

import pytest
from django.urls import reverse

from opora.core.models import AuditEvent
from opora.imports.context.format import parse_share
from opora.imports.models import ImportJob
from opora.imports.register.format import CellError
from opora.imports.services import (
    ImportJobStateError,
    import_job_commit,
    import_job_create,
    import_job_validate,
)
from opora.imports.tests.factories import upload, xlsx_bytes
from opora.registry.models import AcademicYear, School, SchoolContext
from opora.registry.services import school_context_bulk_set

pytestmark = pytest.mark.django_db
UPLOAD = reverse("imports:context-upload")
HEADER = [
    "Логин ФИС ОКО",
    "Учебный год",
    "Неполные семьи, %",
    "Родители с высшим образованием, %",
    "Безработные родители, %",
    "Малоимущие семьи, %",
    "На учёте, %",
    "С ОВЗ, %",
    "Неродной русский язык, %",
]


def context_row(login: str, **overrides: str) -> dict[str, str]:
    row = {
        "Логин ФИС ОКО": login,
        "Учебный год": "2025/2026",
        "Неполные семьи, %": "18,5",
        "Родители с высшим образованием, %": "42.25",
        "Безработные родители, %": "3",
        "Малоимущие семьи, %": "",
        "На учёте, %": "-",
        "С ОВЗ, %": "4,1",
        "Неродной русский язык, %": "0",
    }
    row.update(overrides)
    return row


def good_rows(cast) -> list[dict[str, str]]:
    return [
        context_row(cast.school.fis_oko_login),
        context_row(cast.sibling.fis_oko_login, **{"Неполные семьи, %": "25", "Учебный год": "2025"}),
        context_row(cast.neighbour_school.fis_oko_login, **{"Малоимущие семьи, %": "12,5"}),
    ]


def csv_bytes(
    rows: Sequence[dict[str, str]],
    *,
    encoding: str = "cp1251",
    delimiter: str = ";",
    header: Sequence[str] = HEADER,
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return buffer.getvalue().encode(encoding)


def check(user, content: bytes, name: str = "context.csv") -> ImportJob:
    job = import_job_create(user=user, kind=ImportJob.Kind.CONTEXT, uploaded_file=upload(content, name))
    return import_job_validate(job=job)


def state() -> tuple[int, int, int]:
    return SchoolContext.objects.count(), AuditEvent.objects.count(), AcademicYear.objects.count()


def only_error(job: ImportJob) -> dict:
    assert job.status == ImportJob.Status.FAILED
    assert len(job.errors) == 1, job.errors
    return job.errors[0]


# --- good files ---------------------------------------------------------------------------------------


def test_it_checks_a_good_cp1251_csv_and_writes_nothing(cast):
    before = state()
    job = check(cast.users["regional"], csv_bytes(good_rows(cast)))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts == {"rows": 3, "create": 3, "update": 0, "unchanged": 0, "errors": 0, "warnings": 0}
    first = job.preview["updates"][0]
    assert first == {
        "row": 2,
        "login": cast.school.fis_oko_login,
        "short_name": f"{cast.school.short_name}, 2025/2026",
        "academic_year": "2025/2026",
        "action": "create",
        "changes": [
            {"column": "Неполные семьи, %", "old": "", "new": "18,5"},
            {"column": "Родители с высшим образованием, %", "old": "", "new": "42,25"},
            {"column": "Безработные родители, %", "old": "", "new": "3"},
            {"column": "С ОВЗ, %", "old": "", "new": "4,1"},
            {"column": "Неродной русский язык, %", "old": "", "new": "0"},
        ],
    }
    assert state() == before


def test_it_commits_the_shares_with_unknowns_as_null(cast):
    user = cast.users["regional"]
    job = import_job_commit(job=check(user, csv_bytes(good_rows(cast))), user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assert (job.counts["created"], job.counts["updated"]) == (3, 0)
    context = SchoolContext.objects.get(school=cast.school)
    assert context.academic_year.start_year == 2025
    assert context.share_single_parent == Decimal("18.5")
    assert context.share_parents_higher_education == Decimal("42.25")
    assert context.share_non_native_russian == Decimal("0")  # a real zero stays zero
    assert context.share_low_income is None and context.share_on_register is None  # unknown
    assert SchoolContext.objects.get(school=cast.neighbour_school).share_low_income == Decimal("12.5")
    events = AuditEvent.objects.filter(action="school_context_create")
    assert events.count() == 3
    assert events.get(object_id=str(cast.school.pk)).details["changes"]["share_single_parent"] == [
        None,
        "18.50",
    ]
    assert AuditEvent.objects.filter(action="import_job_commit", object_id=str(job.pk)).exists()


def test_it_reads_an_xlsx_with_a_title_line(cast):
    content = xlsx_bytes(good_rows(cast), header=HEADER, title_rows=["Социальный паспорт 2025/2026"])
    job = check(cast.users["regional"], content, "паспорт.xlsx")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts["create"] == 3
    assert job.preview["updates"][0]["row"] == 3  # the header is on row 2


def test_it_accepts_english_keys_and_a_subset_of_columns(cast):
    header = ["fis_oko_login", "academic_year", "share_disabilities"]
    rows = [{"fis_oko_login": cast.school.fis_oko_login, "academic_year": "2025", "share_disabilities": "7%"}]
    job = check(cast.users["municipal"], csv_bytes(rows, header=header, encoding="utf-8", delimiter=","))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.preview["updates"][0]["changes"] == [{"column": "С ОВЗ, %", "old": "", "new": "7"}]


def test_the_same_file_again_changes_nothing(cast):
    user = cast.users["regional"]
    content = csv_bytes(good_rows(cast))
    import_job_commit(job=check(user, content), user=user)
    before = state()
    stored = list(SchoolContext.objects.order_by("pk").values())
    again = check(user, csv_bytes(good_rows(cast), encoding="utf-8", delimiter=","))
    assert again.counts | {"rows": 0} == {
        "rows": 0,
        "create": 0,
        "update": 0,
        "unchanged": 3,
        "errors": 0,
        "warnings": 0,
    }
    assert again.preview["updates"] == []
    again = import_job_commit(job=again, user=user)
    assert again.status == ImportJob.Status.COMMITTED
    assert state() == before  # no passport, no year, no audit event
    assert list(SchoolContext.objects.order_by("pk").values()) == stored


def test_a_change_shows_and_applies_exactly_the_changed_shares(cast):
    user = cast.users["regional"]
    import_job_commit(job=check(user, csv_bytes(good_rows(cast))), user=user)
    rows = good_rows(cast)
    rows[0] |= {"Неполные семьи, %": "19", "Малоимущие семьи, %": "7,5", "С ОВЗ, %": ""}
    job = check(user, csv_bytes(rows))
    assert (job.counts["create"], job.counts["update"], job.counts["unchanged"]) == (0, 1, 2)
    assert job.preview["updates"] == [
        {
            "row": 2,
            "login": cast.school.fis_oko_login,
            "short_name": f"{cast.school.short_name}, 2025/2026",
            "academic_year": "2025/2026",
            "action": "update",
            "changes": [
                {"column": "Неполные семьи, %", "old": "18,5", "new": "19"},
                {"column": "Малоимущие семьи, %", "old": "", "new": "7,5"},
                {"column": "С ОВЗ, %", "old": "4,1", "new": ""},
            ],
        }
    ]
    audit_before = AuditEvent.objects.count()
    job = import_job_commit(job=job, user=user)
    assert (job.counts["created"], job.counts["updated"]) == (0, 1)
    context = SchoolContext.objects.get(school=cast.school)
    assert context.share_single_parent == Decimal("19")
    assert context.share_low_income == Decimal("7.5")
    assert context.share_disabilities is None  # the empty cell cleared it
    assert context.share_parents_higher_education == Decimal("42.25")
    event = AuditEvent.objects.get(action="school_context_update")
    assert event.details["changes"] == {
        "share_single_parent": ["18.50", "19.00"],
        "share_low_income": [None, "7.50"],
        "share_disabilities": ["4.10", None],
    }
    assert AuditEvent.objects.count() == audit_before + 2  # the passport and the commit


def test_an_absent_column_leaves_the_stored_share_alone(cast):
    user = cast.users["regional"]
    import_job_commit(job=check(user, csv_bytes(good_rows(cast))), user=user)
    header = ["Логин ФИС ОКО", "Учебный год", "Малоимущие семьи, %"]
    rows = [
        {"Логин ФИС ОКО": cast.school.fis_oko_login, "Учебный год": "2025/2026", "Малоимущие семьи, %": "9"}
    ]
    job = import_job_commit(job=check(user, csv_bytes(rows, header=header)), user=user)
    context = SchoolContext.objects.get(school=cast.school)
    assert context.share_low_income == Decimal("9")
    assert context.share_single_parent == Decimal("18.5") and context.share_disabilities == Decimal("4.1")
    assert job.counts["updated"] == 1


def test_a_school_is_found_by_inn_when_the_login_is_unknown(cast):
    header = ["Логин ФИС ОКО", "ИНН", "Учебный год", "С ОВЗ, %"]
    rows = [{"Логин ФИС ОКО": "", "ИНН": cast.school.inn, "Учебный год": "2025", "С ОВЗ, %": "2"}]
    job = check(cast.users["municipal"], csv_bytes(rows, header=header))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.preview["updates"][0]["login"] == cast.school.fis_oko_login


# --- broken files: one Russian message naming the row and the column, nothing written ------------------


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Неполные семьи, %", "120", "доля — это процент от 0 до 100, а указано «120»"),
        ("Малоимущие семьи, %", "abc", "«abc»"),
        ("Учебный год", "2025/2027", "«2025/2027»"),
    ],
)
def test_a_bad_cell_is_an_error_in_its_row_and_column(cast, column, value, message):
    rows = good_rows(cast)
    rows[1][column] = value
    before = state()
    error = only_error(check(cast.users["regional"], csv_bytes(rows)))
    assert (error["row"], error["column"]) == (3, column)
    assert message in error["message"], error["message"]
    assert state() == before


def test_an_unknown_login_is_an_error_with_a_suggestion(cast):
    login = cast.school.fis_oko_login
    taken = set(School.objects.values_list("fis_oko_login", flat=True))
    # A one-digit slip that is no other school's login (the factories number logins in sequence).
    typo = next(login[:-1] + digit for digit in "0123456789" if login[:-1] + digit not in taken)
    rows = [context_row(typo)]
    error = only_error(check(cast.users["municipal"], csv_bytes(rows)))
    assert (error["row"], error["column"]) == (2, "Логин ФИС ОКО")
    assert f"школы с логином ФИС ОКО {typo} нет в реестре" in error["message"], error["message"]
    assert login in error["message"] and cast.school.short_name in error["message"]


def test_a_school_outside_the_users_area_is_an_error(cast):
    rows = [context_row(cast.school.fis_oko_login), context_row(cast.neighbour_school.fis_oko_login)]
    before = state()
    job = check(cast.users["municipal"], csv_bytes(rows))
    error = only_error(job)
    assert (error["row"], error["column"]) == (3, "Логин ФИС ОКО")
    assert "вне вашей территории" in error["message"], error["message"]
    assert cast.neighbour_school.short_name not in error["message"]
    assert state() == before


def test_a_municipal_coordinator_cannot_write_a_neighbours_school(cast, client):
    user = cast.users["municipal"]
    content = csv_bytes([context_row(cast.neighbour_school.fis_oko_login)])
    job = check(user, content)
    assert job.status == ImportJob.Status.FAILED
    with pytest.raises(ImportJobStateError):
        import_job_commit(job=job, user=user)
    # A file checked in a wider scope is checked again in the committer's scope, and refused.
    wider = check(cast.users["regional"], content)
    assert wider.status == ImportJob.Status.VALIDATED
    assert import_job_commit(job=wider, user=user).status == ImportJob.Status.FAILED
    # Through the pages: the upload is refused with the error, the commit writes nothing.
    client.force_login(user)
    client.post(UPLOAD, {"file": upload(content)})
    own = ImportJob.objects.filter(created_by=user).latest("pk")
    assert own.status == ImportJob.Status.FAILED
    client.post(reverse("imports:job-commit", kwargs={"job_pk": own.pk}))
    assert not SchoolContext.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="school_context").exists()


def test_a_duplicate_school_and_year_is_an_error(cast):
    login = cast.school.fis_oko_login
    rows = [context_row(login), context_row(login, **{"Учебный год": "2025"})]
    rows.append(context_row(login, **{"Учебный год": "2024/2025"}))  # another year is fine
    error = only_error(check(cast.users["regional"], csv_bytes(rows)))
    assert (error["row"], error["column"]) == (3, "Учебный год")
    assert "строка 2 уже содержит социальный паспорт этой школы за 2025/2026" in error["message"]


def test_a_missing_required_column_is_one_error(cast):
    header = ["Логин ФИС ОКО", "Неполные семьи, %"]
    error = only_error(check(cast.users["regional"], csv_bytes(good_rows(cast), header=header)))
    assert error["row"] == 1
    assert "нет обязательных столбцов: «Учебный год»" in error["message"], error["message"]


def test_a_file_without_share_columns_is_an_error(cast):
    header = ["Логин ФИС ОКО", "Учебный год"]
    error = only_error(check(cast.users["regional"], csv_bytes(good_rows(cast), header=header)))
    assert "нет ни одного столбца долей" in error["message"], error["message"]


def test_an_empty_file_is_an_error(cast):
    error = only_error(check(cast.users["regional"], b""))
    assert error["message"] == "файл пуст"
    assert not SchoolContext.objects.exists()


def test_every_error_of_the_file_is_reported_at_once(cast):
    rows = good_rows(cast)
    rows[0]["С ОВЗ, %"] = "-5"
    rows[2]["Логин ФИС ОКО"] = "edu99"
    job = check(cast.users["regional"], csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "С ОВЗ, %"), (4, "Логин ФИС ОКО")]


# --- pages and access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["curator", "school", "director", "analyst", "methodist"])
def test_the_upload_page_is_hidden_from_users_who_may_not_import(client, cast, role):
    client.force_login(cast.users[role])
    assert client.get(UPLOAD).status_code == 404
    assert client.post(UPLOAD, {"file": upload(csv_bytes(good_rows(cast)))}).status_code == 404
    assert not ImportJob.objects.exists()


def test_the_upload_page_checks_the_file_and_shows_the_diffs(client, cast):
    client.force_login(cast.users["regional"])
    page = client.get(UPLOAD).content.decode()
    assert "Загрузить социальные паспорта школ" in page and "Неродной русский язык, %" in page
    response = client.post(UPLOAD, {"file": upload(csv_bytes(good_rows(cast)))})
    job = ImportJob.objects.get()
    assert job.kind == ImportJob.Kind.CONTEXT
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "социальный паспорт школ" in detail and "Неполные семьи, %" in detail and "18,5" in detail


# --- the share parser and the service ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12,5", Decimal("12.50")),
        ("12.5 %", Decimal("12.50")),
        ("100", Decimal("100")),
        ("-", None),
        ("0", Decimal("0")),
        ("33,3333", Decimal("33.33")),
    ],
)
def test_parse_share(text, value):
    assert parse_share(text) == value


@pytest.mark.parametrize("text", ["100,01", "-1", "abc", "1e400", "NaN", "%"])
def test_parse_share_refuses(text):
    with pytest.raises(CellError):
        parse_share(text)


def test_the_service_writes_only_changes_and_skips_unknown_only_passports(cast):
    year = AcademicYear.objects.create(start_year=2025)
    written = school_context_bulk_set(
        actor=None,
        items=[
            (cast.school, year, {"share_low_income": Decimal("5")}),
            (cast.sibling, year, {"share_low_income": None}),
        ],
    )
    assert [c.school_id for c in written] == [cast.school.pk]
    assert (
        school_context_bulk_set(
            actor=None, items=[(cast.school, year, {"share_low_income": Decimal("5.00")})]
        )
        == []
    )
    with pytest.raises(ValueError, match="Not social passport fields"):
        school_context_bulk_set(actor=None, items=[(cast.school, year, {"share_x": None})])
