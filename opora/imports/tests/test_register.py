"""The register import end to end through the services: check, preview, commit, re-import, broken files."""

import datetime
from decimal import Decimal

import pytest

from opora.core.models import AuditEvent
from opora.imports.models import ImportJob
from opora.imports.services import import_job_commit
from opora.imports.tests.factories import (
    HEADER,
    M1,
    M2,
    csv_bytes,
    good_rows,
    school_row,
    xlsx_bytes,
)
from opora.imports.tests.test_readers import PNG
from opora.registry.models import AcademicYear, School, SchoolAlias, SchoolEnrolment

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_audit(db):
    """The audit events written during this test (other tests may leave some behind)."""
    baseline = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: AuditEvent.objects.filter(pk__gt=baseline)


def register_state() -> dict[str, int]:
    return {
        "schools": School.objects.count(),
        "aliases": SchoolAlias.objects.count(),
        "enrolments": SchoolEnrolment.objects.count(),
        "years": AcademicYear.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def messages(job: ImportJob) -> list[str]:
    return [e["message"] for e in job.errors]


def only_error(job: ImportJob) -> dict:
    assert job.status == ImportJob.Status.FAILED
    assert len(job.errors) == 1, job.errors
    return job.errors[0]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("cp1251", ";"), ("utf-8-sig", ";"), ("utf-8", "\t")],
)
def test_it_validates_a_good_csv_in_any_encoding(cast, validated_job, encoding, delimiter):
    before = register_state()
    job = validated_job(
        cast.users["regional"], csv_bytes(good_rows(), encoding=encoding, delimiter=delimiter)
    )
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts == {"rows": 4, "create": 4, "update": 0, "unchanged": 0, "errors": 0, "warnings": 0}
    assert [c["login"] for c in job.preview["creates"]] == [
        "edu250001",
        "edu250002",
        "sch25000301",
        "edu250004",
    ]
    assert job.preview["creates"][2] == {
        "row": 4,
        "login": "sch25000301",
        "short_name": "МБОУ «Лицей № 1»",
        "municipality": M2,
        "kind": "лицей",
        "location": "город",
        "names": 1,
        "enrolment": 845,
    }
    assert register_state() == before  # checking writes nothing


def test_it_validates_an_xlsx_with_a_title_line(cast, validated_job):
    content = xlsx_bytes(good_rows(), title_rows=["Реестр общеобразовательных организаций"])
    job = validated_job(cast.users["regional"], content, "реестр.xlsx")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts["create"] == 4
    assert job.preview["creates"][0]["row"] == 3  # the header is on row 2


def test_it_commits_schools_aliases_and_enrolments(new_audit, cast, validated_job):
    user = cast.users["regional"]
    before = register_state()
    job = import_job_commit(job=validated_job(user, csv_bytes(good_rows())), user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assert job.committed_by == user and job.committed_at is not None
    assert School.objects.count() == before["schools"] + 4
    school = School.objects.get(fis_oko_login="edu250001")
    assert (school.municipality, school.inn, school.ogrn) == (
        cast.municipality,
        "2501000001",
        "1022500000001",
    )
    assert (school.kind, school.location, school.status) == ("secondary", "village", "active")
    assert (school.settlement, school.settlement_population) == ("с. Лесное", 1450)
    assert (school.latitude, school.longitude) == (Decimal("44.1234"), Decimal("132.5"))
    assert sorted(school.aliases.values_list("kind", "value")) == [
        ("name", "Лесновская школа"),
        ("name", "СОШ №3 Лесное"),
    ]
    assert school.enrolments.get().pupils == 312
    assert school.enrolments.get().academic_year.start_year == 2025
    gymnasium = School.objects.get(fis_oko_login="edu250002")
    assert (gymnasium.kind, gymnasium.settlement_population, gymnasium.ogrn) == ("gymnasium", 48200, "")
    merged = School.objects.get(fis_oko_login="edu250004")
    assert (merged.status, merged.successor) == ("merged", school)
    assert School.objects.get(fis_oko_login="sch25000301").municipality == cast.neighbour
    assert job.counts["created"] == 4
    assert (job.counts["aliases_added"], job.counts["enrolments_set"]) == (3, 3)
    commit_event = new_audit().get(action="import_job_commit")
    assert commit_event.details["sha256"] == job.sha256
    assert commit_event.details["counts"]["created"] == 4
    assert new_audit().filter(action="school_create").count() == 4


def test_it_changes_nothing_when_the_same_file_comes_again(cast, validated_job):
    user = cast.users["regional"]
    content = csv_bytes(good_rows())
    import_job_commit(job=validated_job(user, content), user=user)
    stamps = dict(School.objects.values_list("pk", "updated_at"))
    before = register_state()
    again = validated_job(user, csv_bytes(good_rows(), encoding="cp1251", delimiter=";"))
    assert again.counts["unchanged"] == 4 and again.counts["create"] == again.counts["update"] == 0
    assert again.preview["creates"] == again.preview["updates"] == []
    again = import_job_commit(job=again, user=user)
    assert again.status == ImportJob.Status.COMMITTED
    assert register_state() == before  # no school, alias, enrolment or audit event written
    assert dict(School.objects.values_list("pk", "updated_at")) == stamps
    assert "в «Опоре» уже есть ровно эти данные" in again.events.latest("id").message


def test_it_warns_that_the_identical_file_was_committed_before(cast, validated_job):
    user = cast.users["regional"]
    content = csv_bytes(good_rows())
    first = import_job_commit(job=validated_job(user, content), user=user)
    again = validated_job(user, content)
    assert f"загрузка № {first.pk}" in " ".join(again.events.values_list("message", flat=True))


def test_it_shows_and_applies_exactly_the_changed_fields(new_audit, cast, validated_job):
    user = cast.users["regional"]
    import_job_commit(job=validated_job(user, csv_bytes(good_rows())), user=user)
    rows = good_rows()
    rows[0] |= {"Численность населения": "1500", "Широта": "44.1234", "Контингент": "320"}
    rows[1] |= {
        "Краткое наименование": "МАОУ «Гимназия № 5 им. А. С. Пушкина»",
        "Другие наименования": "Пятая",
    }
    before = register_state()
    job = validated_job(user, csv_bytes(rows))
    assert job.counts | {"warnings": 0} == {
        "rows": 4,
        "create": 0,
        "update": 2,
        "unchanged": 2,
        "errors": 0,
        "warnings": 0,
    }
    assert job.preview["updates"] == [
        {
            "row": 2,
            "login": "edu250001",
            "short_name": "МБОУ «СОШ № 3 с. Лесное»",
            "changes": [
                {"column": "Численность населения", "old": "1450", "new": "1500"},
                {"column": "Контингент 2025/2026", "old": "312", "new": "320"},
            ],
        },
        {
            "row": 3,
            "login": "edu250002",
            "short_name": "МАОУ «Гимназия № 5 им. А. С. Пушкина»",
            "changes": [
                {
                    "column": "Краткое наименование",
                    "old": "МАОУ «Гимназия № 5»",
                    "new": "МАОУ «Гимназия № 5 им. А. С. Пушкина»",
                },
                {"column": "Другие наименования", "old": "", "new": "Пятая"},
            ],
        },
    ]
    import_job_commit(job=job, user=user)
    first = School.objects.get(fis_oko_login="edu250001")
    assert first.settlement_population == 1500 and first.enrolments.get().pupils == 320
    second = School.objects.get(fis_oko_login="edu250002")
    assert second.short_name == "МАОУ «Гимназия № 5 им. А. С. Пушкина»"
    # The old short name needs no alias: it folds to the same form as the unchanged full name.
    assert set(second.aliases.values_list("value", flat=True)) == {"Пятая"}
    assert School.objects.count() == before["schools"]
    updates = new_audit().filter(action="school_update")
    assert sorted(list(e.details["changes"]) for e in updates) == [["settlement_population"], ["short_name"]]


def test_it_leaves_fields_of_absent_columns_alone_and_clears_empty_cells(cast, validated_job):
    user = cast.users["regional"]
    import_job_commit(job=validated_job(user, csv_bytes(good_rows())), user=user)
    header = [h for h in HEADER if h not in {"Адрес", "Учебный год", "Контингент"}]
    rows = good_rows()
    rows[0]["ОГРН"] = ""
    job = validated_job(user, csv_bytes(rows, header=header))
    assert [u["changes"] for u in job.preview["updates"]] == [
        [{"column": "ОГРН", "old": "1022500000001", "new": ""}]
    ]


def test_it_matches_an_existing_school_by_inn_and_keeps_its_old_login(cast, validated_job):
    user = cast.users["regional"]
    old_login = cast.sibling.fis_oko_login
    row = school_row(
        **{
            "Логин ФИС ОКО": "edu259999",
            "ИНН": cast.sibling.inn,
            "Краткое наименование": "МКОУ «ООШ д. Берёзовка»",
        }
    )
    job = validated_job(user, csv_bytes([row]))
    assert job.counts["update"] == 1 and job.counts["create"] == 0
    assert {"column": "Логин ФИС ОКО", "old": old_login, "new": "edu259999"} in job.preview["updates"][0][
        "changes"
    ]
    assert "изменится" in job.warnings[0]["message"] and job.warnings[0]["column"] == "ИНН"
    import_job_commit(job=job, user=user)
    cast.sibling.refresh_from_db()
    assert cast.sibling.fis_oko_login == "edu259999"
    assert cast.sibling.aliases.filter(kind="fis_oko_login", value=old_login).exists()


def test_it_accepts_a_successor_already_in_the_register(cast, validated_job):
    user = cast.users["municipal"]
    row = school_row(**{"Статус": "Присоединена", "Правопреемник": cast.school.fis_oko_login.upper()})
    job = import_job_commit(job=validated_job(user, csv_bytes([row])), user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assert School.objects.get(fis_oko_login="edu250001").successor == cast.school


def test_it_accepts_english_keys_and_loose_headers(cast, validated_job):
    english = {
        "Муниципалитет": " MUNICIPALITY ",
        "Логин ФИС ОКО": "fis_oko_login",
        "Полное наименование": "Full_Name",
        "Краткое наименование": "short_name",
        "Вид ОО": "kind",
        "Местность": "location",
    }
    header = [english.get(h, h.upper()) for h in HEADER] + ["Примечание"]
    rows = [{english.get(k, k.upper()): v for k, v in row.items()} for row in good_rows()]
    job = validated_job(cast.users["regional"], csv_bytes(rows, header=header))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.warnings[0]["message"] == "неизвестные столбцы не загружаются: «Примечание»"


# --- Broken files: each names the file, row and column, in Russian, and writes nothing. ---------------


def check_rejected(job: ImportJob, before: dict[str, int]) -> None:
    assert job.status == ImportJob.Status.FAILED
    assert job.preview == {"counts": job.counts}
    assert register_state() == before


@pytest.fixture
def before(cast):
    return register_state()


def test_it_names_the_missing_required_columns(cast, validated_job, before):
    header = [h for h in HEADER if h not in {"Вид ОО", "Логин ФИС ОКО"}]
    job = validated_job(cast.users["regional"], csv_bytes(good_rows(), header=header))
    error = only_error(job)
    assert (error["file"], error["sheet"], error["row"]) == ("register.csv", None, 1)
    assert error["message"].startswith("нет обязательных столбцов: «Логин ФИС ОКО», «Вид ОО»")
    check_rejected(job, before)


def test_it_reports_a_wrong_header_once(cast, validated_job, before):
    job = validated_job(cast.users["regional"], b"name;value\r\nfoo;1\r\n")
    assert len(job.errors) == 1 and "нет обязательных столбцов" in job.errors[0]["message"]
    check_rejected(job, before)


def test_it_skips_empty_rows_but_checks_partial_ones(cast, validated_job, before):
    rows = [*good_rows()[:2], {"Муниципалитет": M1}]
    job = validated_job(cast.users["regional"], csv_bytes(rows, blank_lines_after=[1]))
    # Rows: header 1, data 2, blank 3, data 4, partial 5.
    assert job.counts["rows"] == 3
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (5, "Логин ФИС ОКО"),
        (5, "Полное наименование"),
        (5, "Краткое наименование"),
        (5, "Вид ОО"),
        (5, "Местность"),
    }
    assert set(messages(job)) == {"ячейка пуста; заполните её"}
    check_rejected(job, before)


def test_it_rejects_duplicate_logins(cast, validated_job, before):
    rows = [*good_rows(), school_row(**{"Краткое наименование": "Другая"})]
    job = validated_job(cast.users["regional"], csv_bytes(rows))
    error = only_error(job)
    assert (error["row"], error["column"]) == (6, "Логин ФИС ОКО")
    assert error["message"] == (
        "логин edu250001 уже встречается в строке 2; каждая школа описывается одной строкой"
    )
    check_rejected(job, before)


def test_it_rejects_an_unknown_municipality_with_a_suggestion(cast, validated_job, before):
    row = school_row(**{"Муниципалитет": "Лесогорский район"})
    job = validated_job(cast.users["regional"], csv_bytes([row]))
    error = only_error(job)
    assert (error["row"], error["column"]) == (2, "Муниципалитет")
    assert error["message"] == (
        "муниципалитет «Лесогорский район» не найден в реестре; "
        "возможно, имелся в виду «Лесогорский муниципальный район»?"
    )
    check_rejected(job, before)


def test_it_accepts_a_municipality_by_code(cast, validated_job):
    row = school_row(**{"Муниципалитет": cast.neighbour.code.lower()})
    job = validated_job(cast.users["regional"], csv_bytes([row]))
    assert job.status == ImportJob.Status.VALIDATED and job.preview["creates"][0]["municipality"] == M2


def test_it_rejects_a_municipality_outside_the_users_scope(cast, validated_job, before):
    far = school_row(**{"Муниципалитет": cast.far.name})
    job = validated_job(cast.users["regional"], csv_bytes([far]))
    error = only_error(job)
    assert error["message"] == "у вас нет прав загружать школы муниципалитета «Дальний район»"
    check_rejected(job, before)


def test_a_municipal_coordinator_cannot_import_into_the_neighbour_municipality(cast, validated_job, before):
    job = validated_job(cast.users["municipal"], csv_bytes(good_rows()))
    error = only_error(job)
    assert (error["row"], error["column"]) == (4, "Муниципалитет")
    assert error["message"] == f"у вас нет прав загружать школы муниципалитета «{M2}»"
    check_rejected(job, before)
    own = [r for r in good_rows() if r["Муниципалитет"] == M1]
    assert validated_job(cast.users["municipal"], csv_bytes(own)).status == ImportJob.Status.VALIDATED


def test_it_does_not_let_a_user_change_a_school_outside_the_scope(cast, validated_job, before):
    row = school_row(**{"Логин ФИС ОКО": cast.neighbour_school.fis_oko_login})
    job = validated_job(cast.users["municipal"], csv_bytes([row]))
    error = only_error(job)
    assert "в который у вас нет прав загружать данные" in error["message"]
    check_rejected(job, before)


def test_it_explains_a_bad_inn(cast, validated_job, before):
    job = validated_job(cast.users["regional"], csv_bytes([school_row(**{"ИНН": "12345"})]))
    error = only_error(job)
    assert str_error(error) == (
        "register.csv, лист —, строка 2, столбец «ИНН»: ИНН должен состоять из 10 цифр, а указано «12345»"
    )
    check_rejected(job, before)


def str_error(error: dict) -> str:
    from opora.imports.errors import render_row_error

    return render_row_error(error)


def test_it_collects_every_error_of_the_file(cast, validated_job, before):
    rows = [
        school_row(**{"ОГРН": "12", "Вид ОО": "школа", "Широта": "север"}),
        school_row(**{"Логин ФИС ОКО": "abc", "Численность населения": "-5", "Учебный год": "2025/2027"}),
        school_row(**{"Логин ФИС ОКО": "edu250003", "Местность": "хутор", "Контингент": ""}),
    ]
    job = validated_job(cast.users["regional"], csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "ОГРН"),
        (2, "Вид ОО"),
        (2, "Широта"),
        (3, "Логин ФИС ОКО"),
        (3, "Численность населения"),
        (3, "Учебный год"),
        (4, "Местность"),
        (4, "Контингент"),
    ]
    assert job.errors[1]["message"].startswith(
        "неизвестное значение «школа»; допустимые значения: НОШ, ООШ, СОШ"
    )
    check_rejected(job, before)


def test_it_requires_a_successor_for_a_merged_school(cast, validated_job, before):
    row = school_row(**{"Статус": "присоединена", "Правопреемник": ""})
    job = validated_job(cast.users["regional"], csv_bytes([row]))
    error = only_error(job)
    assert (error["row"], error["column"]) == (2, "Правопреемник")
    assert error["message"] == "школа присоединена: укажите логин ФИС ОКО её правопреемника"
    check_rejected(job, before)


def test_it_rejects_an_unknown_successor_and_a_loop(cast, validated_job, before):
    rows = [
        school_row(**{"Статус": "присоединена", "Правопреемник": "edu259998"}),
        school_row(
            **{
                "Логин ФИС ОКО": "edu250007",
                "ИНН": "",
                "Статус": "присоединена",
                "Правопреемник": "edu250008",
            }
        ),
        school_row(
            **{
                "Логин ФИС ОКО": "edu250008",
                "ИНН": "",
                "Статус": "присоединена",
                "Правопреемник": "edu250007",
            }
        ),
    ]
    job = validated_job(cast.users["regional"], csv_bytes(rows))
    assert messages(job) == [
        "правопреемник edu259998 не найден ни в этом файле, ни в реестре",
        "цепочка правопреемников замыкается на эту школу",
        "цепочка правопреемников замыкается на эту школу",
    ]
    check_rejected(job, before)


def test_it_names_the_file_of_an_empty_upload(cast, validated_job, before):
    job = validated_job(cast.users["regional"], b"", "пустой.csv")
    assert str_error(only_error(job)) == "пустой.csv, лист —, строка —, столбец —: файл пуст"
    check_rejected(job, before)


def test_it_recognises_a_png_renamed_to_csv(cast, validated_job, before):
    job = validated_job(cast.users["regional"], PNG, "register.csv")
    error = only_error(job)
    assert error["file"] == "register.csv" and "похоже, это файл PNG" in error["message"]
    check_rejected(job, before)


def test_it_names_the_sheet_in_xlsx_errors(cast, validated_job, before):
    content = xlsx_bytes([school_row(**{"ИНН": "25010000"})], sheet="Школы")
    error = only_error(validated_job(cast.users["regional"], content, "r.xlsx"))
    assert str_error(error).startswith("r.xlsx, лист «Школы», строка 2, столбец «ИНН»: ИНН должен")


def test_it_checks_a_long_file_in_a_fixed_number_of_queries(
    cast, validated_job, django_assert_max_num_queries
):
    from opora.imports.register import register_file_validate

    def rows(n: int) -> list[dict[str, str]]:
        return [
            school_row(
                **{
                    "Логин ФИС ОКО": f"edu26{i:04d}",
                    "ИНН": f"26{i:08d}",
                    "Краткое наименование": f"Школа {i}",
                }
            )
            for i in range(n)
        ]

    import io

    user = cast.users["regional"]
    for count in (2, 300):
        with django_assert_max_num_queries(6):
            validation = register_file_validate(
                source=io.BytesIO(csv_bytes(rows(count))), file_name="r.csv", user=user
            )
        assert validation.ok and validation.counts["create"] == count


def test_it_does_not_commit_when_the_register_changed_since_the_preview(cast, validated_job):
    user = cast.users["regional"]
    job = validated_job(user, csv_bytes(good_rows()))
    School.objects.create(
        municipality=cast.municipality,
        fis_oko_login="edu250002",
        full_name="Кто-то успел раньше",
        short_name="Успел",
        location="city",
    )
    before = register_state()
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.VALIDATED
    assert job.counts["create"] == 3 and job.counts["update"] == 1
    assert register_state() == before
    assert "Данные в «Опоре» изменились после предпросмотра" in job.events.latest("id").message
    assert import_job_commit(job=job, user=user).status == ImportJob.Status.COMMITTED


def test_it_does_not_commit_when_the_file_no_longer_passes(cast, validated_job):
    user = cast.users["regional"]
    job = validated_job(user, csv_bytes([school_row(**{"Правопреемник": "", "Статус": "закрыта"})]))
    cast.municipality.name = "Переименованный район"
    cast.municipality.save()
    before = register_state()
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.FAILED and "не найден в реестре" in job.errors[0]["message"]
    assert register_state() == before


def test_it_keeps_dates_in_russian_order(cast, validated_job):
    user = cast.users["regional"]
    first = import_job_commit(job=validated_job(user, csv_bytes(good_rows())), user=user)
    today = datetime.date.today().strftime("%d.%m.%Y")
    again = validated_job(user, csv_bytes(good_rows()))
    assert f"уже был применён {today} (загрузка № {first.pk})" in " ".join(
        again.events.values_list("message", flat=True)
    )


def test_it_reports_a_file_broken_below_its_header(cast, validated_job, before):
    content = csv_bytes(good_rows()) + b'"' + b"x" * (17 * 1024 * 1024) + b'"\r\n'  # a cell over 16 MB
    job = validated_job(cast.users["regional"], content)
    assert "повреждён около строки 6" in only_error(job)["message"]
    check_rejected(job, before)


def test_it_reports_the_municipality_of_a_row_with_other_errors_too(cast, validated_job, before):
    row = school_row(**{"Вид ОО": "школа будущего", "Муниципалитет": "Несуществующий район"})
    job = validated_job(cast.users["regional"], csv_bytes([row]))
    assert sorted((e["row"], e["column"]) for e in job.errors) == [(2, "Вид ОО"), (2, "Муниципалитет")]
    check_rejected(job, before)
