"""The pupil results import (canonical tidy format) end to end: check, preview, commit, re-import, broken
files, scope, the stored indicators, the upload page and the command."""

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from opora.assessments.models import (
    Assessment,
    MarkScale,
    Procedure,
    PupilResult,
    SchoolAssessment,
    SchoolIndicator,
    Subject,
    Task,
)
from opora.core.models import AuditEvent
from opora.imports.models import ImportJob, ImportJobEvent
from opora.imports.services import import_job_commit, import_job_create, import_job_validate
from opora.imports.tests.factories import upload
from opora.registry.models import School

pytestmark = pytest.mark.django_db
UPLOAD = reverse("imports:pupil-results-upload")
EGE_HEADER = ["Год", "Процедура", "Предмет", "Логин ОО", "Код участника", "Класс (буква)", "Тестовый балл"]


def csv_bytes(rows: Sequence[Any], *, encoding: str = "utf-8", delimiter: str = ";") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Any], *, sheet: str = "Результаты", merges: Sequence[str] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    for cells in merges:
        worksheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pupils_job(user, content: bytes, name: str = "pupils.csv") -> ImportJob:
    job = import_job_create(user=user, kind=ImportJob.Kind.PUPIL_RESULTS, uploaded_file=upload(content, name))
    return import_job_validate(job=job)


def state() -> dict[str, int]:
    return {
        "procedures": Procedure.objects.count(),
        "assessments": Assessment.objects.count(),
        "tasks": Task.objects.count(),
        "school_assessments": SchoolAssessment.objects.count(),
        "pupils": PupilResult.objects.count(),
        "indicators": SchoolIndicator.objects.count(),
    }


def ege_rows(school: School) -> list[list[Any]]:
    login = school.fis_oko_login
    return [
        EGE_HEADER,
        [2026, "ЕГЭ", "Русский язык", login, "E-001", "11А", 70],
        [2026, "ЕГЭ", "Русский язык", login, "E-002", "11А", 23],
        [2026, "ЕГЭ", "Русский язык", login, "E-003", "11Б", 24],
    ]


def failed(user, content: bytes, name: str = "pupils.csv") -> list[dict]:
    """Check a broken file: it fails and writes nothing; its errors."""
    before = state()
    job = pupils_job(user, content, name)
    assert job.status == ImportJob.Status.FAILED, job.preview
    assert state() == before
    job = import_job_commit(job=job, user=user) if job.can_commit else job
    assert state() == before
    return job.errors


# --- happy paths --------------------------------------------------------------------------------------


def test_it_imports_ege_results_deriving_below_minimum_from_the_minimum_score(cast):
    user = cast.users["municipal"]
    rows = ege_rows(cast.school)
    rows[0] = [*EGE_HEADER, "Ниже минимума"]
    rows[1:] = [[*row, ""] for row in rows[1:]]
    rows.append([2026, "ЕГЭ", "Русский язык", cast.school.fis_oko_login, "E-004", "11Б", 30, "да"])
    before = state()
    job = pupils_job(user, csv_bytes(rows))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert state() == before  # checking writes nothing
    # 30 is above the 2026 minimum of 24 for Russian: the file's «да» is kept, with a warning on its cell.
    assert [(w["row"], w["column"]) for w in job.warnings] == [(5, "Ниже минимума")]
    assert job.counts == {"rows": 4, "create": 1, "update": 0, "unchanged": 0, "errors": 0, "warnings": 1}
    assert job.preview["groups"] == [
        {
            "row": 2,
            "login": cast.school.fis_oko_login,
            "school": cast.school.short_name,
            "municipality": cast.municipality.name,
            "assessment": "ЕГЭ 2026 · Русский язык · 11 класс",
            "participants": 4,
            "action": "create",
            "old_participants": None,
        }
    ]
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assessment = Assessment.objects.get()
    assert (assessment.procedure.code, assessment.year, assessment.subject.code, assessment.grade) == (
        "ЕГЭ",
        2026,
        "rus",
        11,
    )
    stored = dict(PupilResult.objects.values_list("participant_code", "below_minimum"))
    assert stored == {"E-001": False, "E-002": True, "E-003": False, "E-004": True}
    assert PupilResult.objects.get(participant_code="E-002").class_name == "11А"
    assert job.counts["created"] == 1 and job.counts["pupils_written"] == 4
    # By hand: 2 of 4 below the minimum = 50 %; mean test score (70 + 23 + 24 + 30) / 4 = 36,75.
    indicator = SchoolIndicator.objects.get(school=cast.school, assessment=assessment)
    assert indicator.participants == 4
    assert indicator.below_min_pct == pytest.approx(50.0)
    assert indicator.mean_test_score == pytest.approx(36.75)


def test_it_imports_a_regional_diagnostic_with_levels_and_completion(cast):
    user = cast.users["regional"]
    header = ["year", "procedure", "subject", "grade", "school", "participant", "Уровень", "% выполнения"]
    header += ["Первичный балл", "Максимальный первичный балл"]
    login = cast.neighbour_school.fis_oko_login
    rows = [
        header,
        [2025, "КДР", "Математика", 7, login, "D1", "Базовый", "55,5", "", 20],
        [2025, "КДР", "Математика", 7, login, "D2", "повышенный уровень", "80%", "", 20],
        [2025, "КДР", "Математика", 7, login, "D3", "пониженный", "", 5, 20],
    ]
    job = pupils_job(user, xlsx_bytes(rows), "kdr.xlsx")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert [(w["row"], w["column"], w["sheet"]) for w in job.warnings] == [(2, "procedure", "Результаты")]
    assert job.preview["new_procedures"] == ["КДР"]
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED, job.errors
    procedure = Procedure.objects.get(code="КДР")
    assert (procedure.level, procedure.outcome) == (Procedure.Level.REGIONAL, Procedure.Outcome.LEVEL)
    assessment = Assessment.objects.get(procedure=procedure)
    assert (assessment.grade, assessment.max_primary_score) == (7, 20)
    stored = {
        p.participant_code: (p.achievement_level, p.completion_pct)
        for p in PupilResult.objects.filter(school_assessment__assessment=assessment)
    }
    # The third pupil's completion comes from the primary score: 5 of 20 = 25 %.
    assert stored == {
        "D1": ("базовый", Decimal("55.5")),
        "D2": ("повышенный", Decimal("80")),
        "D3": ("пониженный", Decimal("25")),
    }


def test_it_imports_per_task_columns_and_derives_marks_from_the_scale(cast):
    user = cast.users["regional"]
    subject = Subject.objects.get(code="math")
    MarkScale.objects.create(
        procedure=Procedure.objects.get(code="ОГЭ"),
        year=2026,
        subject=subject,
        grade=9,
        min_score_3=2,
        min_score_4=3,
        min_score_5=4,
    )
    login = cast.school.fis_oko_login
    header = ["Год", "Процедура", "Предмет", "Логин ОО", "Код участника", "Вариант", "1 (1б)", "2 (2б)"]
    header += ["9.1 (1б)", "Первичный балл", "Отметка"]
    rows = [
        header,
        [2026, "ОГЭ", "Математика", login, "T1", "1", 1, 2, 1, "", ""],  # 4 → «5» from the scale
        [2026, "ОГЭ", "Математика", login, "T2", "2", 1, "X", "0", "", ""],  # 1 → «2»
        [2026, "ОГЭ", "Математика", login, "T3", "1", "Х", "-", "нет отметки", "", ""],  # 0 → «2»
        [2026, "ОГЭ", "Математика", login, "T4", "2", 1, 1, 1, 3, 5],  # the scale gives «4»: a warning
    ]
    job = pupils_job(user, csv_bytes(rows, delimiter=","))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert [(w["row"], w["column"]) for w in job.warnings] == [(5, "Отметка")]
    job = import_job_commit(job=job, user=user)
    assessment = Assessment.objects.get()
    assert (assessment.grade, assessment.max_primary_score) == (9, 4)  # ОГЭ is grade 9; 1 + 2 + 1
    assert list(assessment.tasks.values_list("position", "label", "max_score")) == [
        (1, "1", 1),
        (2, "2", 2),
        (3, "9.1", 1),
    ]
    stored = {
        p.participant_code: (p.task_scores, p.primary_score, p.mark, p.variant)
        for p in PupilResult.objects.all()
    }
    assert stored == {
        "T1": ([1, 2, 1], Decimal(4), 5, "1"),
        "T2": ([1, None, 0], Decimal(1), 2, "2"),
        "T3": ([None, None, None], Decimal(0), 2, "1"),
        "T4": ([1, 1, 1], Decimal(3), 5, "2"),  # the row is kept with the file's mark
    }
    # By hand: task 1 (max 1) scored 1, 1, 0, 1 → 75 %; «2» for 2 of 4 pupils → 50 %.
    indicator = SchoolIndicator.objects.get(school=cast.school, assessment=assessment)
    assert indicator.participants == 4 and indicator.mark_2_pct == pytest.approx(50.0)
    completion = {t["task"]: t["completion_pct"] for t in indicator.tasks}
    assert completion["1"] == pytest.approx(75.0)
    assert completion["2"] == pytest.approx(100 * 3 / 8)


def test_it_refuses_tasks_that_differ_from_the_assessments_known_tasks(cast):
    user = cast.users["regional"]
    login = cast.school.fis_oko_login
    header = ["Год", "Процедура", "Предмет", "Логин ОО", "Код участника", "1 (1б)", "2 (2б)"]
    first = [header, [2026, "ОГЭ", "Математика", login, "T1", 1, 2]]
    import_job_commit(job=pupils_job(user, csv_bytes(first)), user=user)
    other = [
        [*header[:5], "1 (1б)", "2 (3б)"],
        [2026, "ОГЭ", "Математика", cast.sibling.fis_oko_login, "T1", 1, 2],
    ]
    errors = failed(user, csv_bytes(other))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "")]
    assert "2 (3б)" in errors[0]["message"] and "2 (2б)" in errors[0]["message"]
    # Without task columns the same assessment is accepted: the pupils are stored without task scores.
    plain = [header[:5], [2026, "ОГЭ", "Математика", cast.sibling.fis_oko_login, "T1"]]
    job = pupils_job(user, csv_bytes(plain))
    assert job.status == ImportJob.Status.VALIDATED, job.errors


def test_it_reads_a_cp1251_csv_with_title_lines_above_the_header(cast):
    # Excel saves the title line with the delimiters of the empty cells after it.
    rows = [["Результаты ЕГЭ, выгрузка РЦОИ", "", "", "", "", "", ""], [], *ege_rows(cast.school)]
    job = pupils_job(cast.users["regional"], csv_bytes(rows, encoding="cp1251"))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts["rows"] == 3 and job.preview["groups"][0]["row"] == 4


# --- re-import and replacement --------------------------------------------------------------------------


def test_it_changes_nothing_when_the_same_file_comes_again(cast):
    user = cast.users["regional"]
    content = csv_bytes(ege_rows(cast.school))
    import_job_commit(job=pupils_job(user, content), user=user)
    ids = sorted(PupilResult.objects.values_list("pk", flat=True))
    updated_at = SchoolAssessment.objects.get().updated_at
    before = state()
    again = pupils_job(user, content)
    assert again.counts["unchanged"] == 1 and again.counts["create"] == again.counts["update"] == 0
    again = import_job_commit(job=again, user=user)
    assert again.status == ImportJob.Status.COMMITTED
    assert state() == before
    assert sorted(PupilResult.objects.values_list("pk", flat=True)) == ids
    assert SchoolAssessment.objects.get().updated_at == updated_at


def test_it_replaces_and_logs_a_corrected_file(cast):
    user = cast.users["regional"]
    first = ege_rows(cast.school) + ege_rows(cast.sibling)[1:]
    import_job_commit(job=pupils_job(user, csv_bytes(first)), user=user)
    old_sha = SchoolAssessment.objects.get(school=cast.school).source_sha256
    corrected = [row[:] for row in first]
    corrected[2][6] = 25  # E-002 of the first school: 23 → 25
    del corrected[3]  # E-003 of the first school is removed
    job = pupils_job(user, csv_bytes(corrected), "ege-исправленный.csv")
    assert [(g["school"], g["action"], g["old_participants"]) for g in job.preview["groups"]] == [
        (cast.school.short_name, "replace", 3),
        (cast.sibling.short_name, "unchanged", 3),
    ]
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED and job.counts["updated"] == 1
    assert job.counts["pupils_written"] == 2
    school_assessment = SchoolAssessment.objects.get(school=cast.school)
    assert school_assessment.source_sha256 == job.sha256 != old_sha
    assert school_assessment.source_file == "ege-исправленный.csv"
    assert dict(school_assessment.pupils.values_list("participant_code", "test_score")) == {
        "E-001": 70,
        "E-002": 25,
    }
    assert SchoolAssessment.objects.get(school=cast.sibling).source_sha256 == old_sha  # untouched
    assert ImportJobEvent.objects.filter(job=job, message__contains=cast.school.short_name).exists()
    audit = AuditEvent.objects.get(action="school_assessment_replace")
    assert audit.actor == user and audit.object_id == str(school_assessment.pk)
    assert audit.details["old_sha256"] == old_sha and audit.details["new_sha256"] == job.sha256
    assert (audit.details["old_count"], audit.details["new_count"]) == (3, 2)
    assert AuditEvent.objects.get(action="import_job_commit", object_id=str(job.pk)).details["sha256"]
    indicator = SchoolIndicator.objects.get(school=cast.school)
    assert indicator.participants == 2 and indicator.mean_test_score == pytest.approx(47.5)


# --- broken files ---------------------------------------------------------------------------------------


def test_it_refuses_a_file_without_a_header(cast):
    rows = ege_rows(cast.school)[1:]
    errors = failed(cast.users["regional"], csv_bytes(rows))
    assert [(e["file"], e["sheet"], e["row"], e["column"]) for e in errors] == [("pupils.csv", None, 1, "")]
    assert "«Год»" in errors[0]["message"] and "«Код участника»" in errors[0]["message"]


def test_it_reports_a_header_shifted_against_the_data(cast):
    rows = ege_rows(cast.school)
    rows[0] = ["", *rows[0]]
    errors = failed(cast.users["regional"], xlsx_bytes(rows), "ege.xlsx")
    assert ("ege.xlsx", "Результаты", 2, "Год") in {
        (e["file"], e["sheet"], e["row"], e["column"]) for e in errors
    }
    assert any("«ЕГЭ»" in e["message"] for e in errors if e["column"] == "Год")


def test_it_reports_merged_header_cells(cast):
    rows = ege_rows(cast.school)
    rows[0] = [*rows[0], "Первичный балл", ""]
    rows[1:] = [[*row, 10, 10] for row in rows[1:]]
    errors = failed(cast.users["regional"], xlsx_bytes(rows, merges=["H1:I1"]), "ege.xlsx")
    assert [(e["sheet"], e["row"], e["column"]) for e in errors] == [("Результаты", 1, "Первичный балл")]


def test_it_reports_task_scores_above_the_maximum_and_not_numbers(cast):
    login = cast.school.fis_oko_login
    rows = [
        ["Год", "Процедура", "Предмет", "Класс", "Логин ОО", "Код участника", "1 (1б)", "2 (2б)"],
        [2026, "ВПР", "Математика", 5, login, "V1", 1, 3],
        [2026, "ВПР", "Математика", 5, login, "V2", "один", 1],
        [2026, "ВПР", "Математика", 5, login, "V3", "Х", "-"],
    ]
    errors = failed(cast.users["regional"], csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "2 (2б)"), (3, "1 (1б)")]
    assert "3" in errors[0]["message"] and "«один»" in errors[1]["message"]


def test_it_reports_a_primary_score_above_the_maximum(cast):
    login = cast.school.fis_oko_login
    rows = [
        ["Год", "Процедура", "Предмет", "Класс", "Логин ОО", "Код участника", "Первичный балл"],
        [2026, "ВПР", "Математика", 5, login, "V1", 5],
    ]
    rows[0].append("Максимальный первичный балл")
    rows[1].append(4)
    errors = failed(cast.users["regional"], csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "Первичный балл")]


def test_it_reports_duplicate_participant_codes_within_a_school_and_assessment(cast):
    rows = ege_rows(cast.school)
    rows[3][4] = "E-001"
    rows.append([2026, "ЕГЭ", "Математика (профильный уровень)", cast.school.fis_oko_login, "E-001", "", 50])
    errors = failed(cast.users["regional"], csv_bytes(rows))
    # The same code in another assessment is another pupil's row: only row 4 is a duplicate.
    assert [(e["row"], e["column"]) for e in errors] == [(4, "Код участника")]
    assert "E-001" in errors[0]["message"] and "2" in errors[0]["message"]


@pytest.mark.parametrize("year", [2031, 1999, "двадцать шестой"])
def test_it_refuses_a_year_outside_the_range(cast, year):
    rows = ege_rows(cast.school)
    rows[2][0] = year
    errors = failed(cast.users["regional"], csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "Год")]
    assert str(year) in errors[0]["message"]


def test_it_refuses_an_empty_file(cast):
    errors = failed(cast.users["regional"], b"")
    assert [(e["file"], e["row"]) for e in errors] == [("pupils.csv", None)]


def test_it_refuses_a_file_with_only_a_header(cast):
    errors = failed(cast.users["regional"], csv_bytes(ege_rows(cast.school)[:1]))
    assert [(e["row"], e["column"]) for e in errors] == [(1, "")]


def test_it_refuses_a_legacy_xls_workbook(cast):
    errors = failed(cast.users["regional"], b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ege.xls")
    assert [(e["file"], e["row"], e["column"]) for e in errors] == [("ege.xls", None, "")]
    assert "XLSX" in errors[0]["message"]


def test_it_refuses_a_column_of_names(cast):
    rows = ege_rows(cast.school)
    rows[0] = [*rows[0], "ФИО"]
    rows[1:] = [[*row, "Иванов Иван Иванович"] for row in rows[1:]]
    errors = failed(cast.users["regional"], csv_bytes(rows, encoding="cp1251"))
    assert [(e["row"], e["column"]) for e in errors] == [(1, "ФИО")]


def test_it_reports_unknown_subjects_marks_and_scores(cast):
    rows = ege_rows(cast.school)
    rows[1][2] = "Астрология"
    rows[2][6] = 101
    errors = failed(cast.users["regional"], csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "Предмет"), (3, "Тестовый балл")]
    assert "«Астрология»" in errors[0]["message"] and "«101»" in errors[1]["message"]


# --- schools and scope ----------------------------------------------------------------------------------


def test_it_refuses_another_municipalitys_school_for_a_municipal_user(cast):
    rows = ege_rows(cast.school) + ege_rows(cast.neighbour_school)[1:]
    errors = failed(cast.users["municipal"], csv_bytes(rows))
    # Reported once, on the school's first row.
    assert [(e["row"], e["column"]) for e in errors] == [(5, "Логин ОО")]
    assert cast.neighbour_school.fis_oko_login in errors[0]["message"]


def test_it_suggests_schools_for_an_unknown_one(cast):
    rows = [
        ["Год", "Процедура", "Предмет", "Логин ОО", "Наименование ОО", "Код участника", "Тестовый балл"],
        [2026, "ЕГЭ", "Русский язык", "edu999999", "ООШ Берёзовка", "E-1", 50],
        [2026, "ЕГЭ", "Русский язык", "edu999999", "ООШ Берёзовка", "E-2", 60],
    ]
    errors = failed(cast.users["municipal"], csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "Логин ОО")]
    assert cast.sibling.short_name in errors[0]["message"]
    # What the job page needs to offer mapping the login to a school.
    school = errors[0]["school"]
    assert school["identifier"] == "edu999999" and school["kind"] == "fis_oko_login"
    assert school["name"] == "ООШ Берёзовка" and cast.sibling.pk in school["suggestions"]


def test_it_warns_when_an_unknown_login_is_found_by_the_schools_name(cast):
    rows = [
        ["Год", "Процедура", "Предмет", "Логин ОО", "Наименование ОО", "Код участника", "Тестовый балл"],
        [2026, "ЕГЭ", "Русский язык", "edu999999", cast.sibling.short_name, "E-1", 50],
    ]
    job = pupils_job(cast.users["municipal"], csv_bytes(rows))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert [(w["row"], w["column"]) for w in job.warnings] == [(2, "Логин ОО")]
    assert job.preview["groups"][0]["school"] == cast.sibling.short_name


def test_it_finds_a_school_by_its_inn(cast):
    rows = [
        ["Год", "Процедура", "Предмет", "ИНН", "Код участника", "Тестовый балл"],
        [2026, "ЕГЭ", "Русский язык", cast.school.inn, "E-1", 50],
    ]
    job = pupils_job(cast.users["municipal"], csv_bytes(rows))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.preview["groups"][0]["school"] == cast.school.short_name


# --- the page and the command ---------------------------------------------------------------------------


def test_the_upload_page_checks_a_file_and_shows_its_preview(cast, client):
    client.force_login(cast.users["regional"])
    assert client.get(UPLOAD).status_code == 200
    content = csv_bytes(ege_rows(cast.school))
    response = client.post(UPLOAD, {"file": upload(content, "ege.csv")})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.kind == ImportJob.Kind.PUPIL_RESULTS
    page = client.get(reverse("imports:job-detail", kwargs={"job_pk": job.pk}))
    assert page.status_code == 200
    assert "ЕГЭ 2026 · Русский язык · 11 класс" in page.content.decode()
    rows = ege_rows(cast.school)
    rows[1][3] = "edu999999"
    client.post(UPLOAD, {"file": upload(csv_bytes(rows), "broken.csv")})
    broken = ImportJob.objects.get(original_name="broken.csv")
    assert broken.status == ImportJob.Status.FAILED
    assert client.get(reverse("imports:job-detail", kwargs={"job_pk": broken.pk})).status_code == 200
    client.force_login(cast.users["school"])
    assert client.get(UPLOAD).status_code == 404


def test_the_command_imports_each_file_and_fails_when_one_is_rejected(cast, tmp_path: Path):
    good = tmp_path / "ege.csv"
    good.write_bytes(csv_bytes(ege_rows(cast.school)))
    bad = tmp_path / "broken.csv"
    bad.write_bytes(csv_bytes(ege_rows(cast.school)[1:]))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_pupil_results", str(good), "--user", "regional", "--dry-run", stdout=out, stderr=err)
    assert PupilResult.objects.count() == 0
    with pytest.raises(CommandError) as raised:
        call_command("import_pupil_results", str(tmp_path), "--user", "regional", stdout=out, stderr=err)
    assert raised.value.returncode == 1
    assert PupilResult.objects.count() == 3
    assert "broken.csv" in err.getvalue()
