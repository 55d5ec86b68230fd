"""The ВПР «Индивидуальные результаты» import end to end: our writer's files, the job flow, the DB."""

import datetime
import io
import zipfile
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

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
from opora.imports.fis_oko import VprPupil, VprTask, write_vpr_individual_results
from opora.imports.fis_oko.parse import parse_vpr_workbook
from opora.imports.models import ImportJob, ImportJobEvent
from opora.imports.services import import_job_commit, import_job_create, import_job_validate
from opora.imports.tests.factories import upload
from opora.imports.tests.test_readers import PNG
from opora.registry.models import School

pytestmark = pytest.mark.django_db

TASKS = [VprTask("1", 1, "Б"), VprTask("2", 2, "Б"), VprTask("9.1", 1, "П"), VprTask("10", 2, "В")]
SHEET = "Индивидуальные результаты"
HEADER_ROW = 8  # title, 3 meta rows, school line, empty, levels, header
P1, P2, P3 = 9, 10, 11  # the pupils' rows


def pupils() -> list[VprPupil]:
    return [
        VprPupil("10001", "5А", "1", [1, 2, 1, 2], mark=5, journal_mark=5),
        VprPupil("10002", "5А", "2", [1, "X", 0, 1], mark=3, journal_mark=4),
        VprPupil("10003", "5Б", "1", [0, "Х", "-", None], mark="нет отметки", journal_mark=None),
    ]


def vpr_bytes(school: School, *, pupil_rows: list[VprPupil] | None = None, **overrides) -> bytes:
    options: dict[str, Any] = {
        "year": 2025,
        "subject": "Математика",
        "grade": 5,
        "school_login": school.fis_oko_login,
        "school_name": school.short_name,
        "municipality": school.municipality.name,
        "tasks": TASKS,
        "pupils": pupils() if pupil_rows is None else pupil_rows,
        "held_on": datetime.date(2025, 4, 15),
    }
    options.update(overrides)
    buffer = io.BytesIO()
    write_vpr_individual_results(buffer, **options)
    return buffer.getvalue()


def edited(content: bytes, edits: dict[tuple[int, int], object]) -> bytes:
    """The workbook with some cells (row, column; 1-based) rewritten."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    assert sheet is not None
    for (row, column), value in edits.items():
        sheet.cell(row, column).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def vpr_job(user, content: bytes, name: str = "vpr.xlsx") -> ImportJob:
    job = import_job_create(user=user, kind=ImportJob.Kind.VPR_RESULTS, uploaded_file=upload(content, name))
    return import_job_validate(job=job)


def state() -> dict[str, int]:
    return {
        "schools": School.objects.count(),
        "assessments": Assessment.objects.count(),
        "school_assessments": SchoolAssessment.objects.count(),
        "pupils": PupilResult.objects.count(),
    }


def errors_of(job: ImportJob) -> list[dict]:
    assert job.status == ImportJob.Status.FAILED, job.warnings
    return job.errors


# --- the writer and the reader agree --------------------------------------------------------------------


def test_it_writes_the_layout_the_reader_reads(cast):
    content = vpr_bytes(cast.school, preamble=["Выгрузка ФИС ОКО", ""])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet["A3"].value == "ВПР 2025. Математика. 5 класс"
    assert {"A3:M3", "A7:F7"} <= {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["G7"].value == "Количество участников: 3"
    assert [sheet.cell(HEADER_ROW + 1, c).value for c in range(7, 11)] == ["Б", "Б", "П", "В"]
    assert [sheet.cell(HEADER_ROW + 2, c).value for c in range(1, 14)] == [
        "ОО",
        "Муниципалитет",
        "Название ОО",
        "Код участника",
        "Класс",
        "Вариант",
        "1 (1б)",
        "2 (2б)",
        "9.1 (1б)",
        "10 (2б)",
        "Первичный балл",
        "Отметка",
        "Отметка по журналу",
    ]
    parsed = parse_vpr_workbook(content, file_name="f.xlsx", sha256="x")
    assert parsed.errors == [] and parsed.file is not None
    vpr = parsed.file
    assert (vpr.year, vpr.subject, vpr.grade, vpr.header_row) == (2025, "Математика", 5, HEADER_ROW + 2)
    assert (vpr.school_login, vpr.participants_declared) == (cast.school.fis_oko_login, 3)
    assert vpr.held_on == datetime.date(2025, 4, 15) and vpr.max_primary_score == 6
    assert [(t.label, t.max_score, t.level) for t in vpr.tasks] == [
        ("1", 1, "Б"),
        ("2", 2, "Б"),
        ("9.1", 1, "П"),
        ("10", 2, "В"),
    ]
    assert vpr.pupils[2].scores == (Decimal(0), None, None, None)


# --- the happy path ---------------------------------------------------------------------------------------


def test_it_previews_and_commits_a_good_file(cast):
    user = cast.users["municipal"]
    before = state()
    job = vpr_job(user, vpr_bytes(cast.school))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.warnings == []
    assert state() == before  # checking writes nothing
    assert job.counts == {
        "files": 1,
        "rows": 3,
        "create": 1,
        "update": 0,
        "unchanged": 0,
        "errors": 0,
        "warnings": 0,
    }
    assert job.preview["files"] == [
        {
            "file": "vpr.xlsx",
            "login": cast.school.fis_oko_login,
            "school": cast.school.short_name,
            "municipality": cast.municipality.name,
            "assessment": "ВПР 2025 · Математика · 5 класс",
            "participants": 3,
            "action": "create",
            "old_participants": None,
        }
    ]
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assessment = Assessment.objects.get()
    assert (assessment.procedure.code, assessment.year, assessment.subject.code, assessment.grade) == (
        "ВПР",
        2025,
        "math",
        5,
    )
    assert assessment.max_primary_score == 6 and assessment.held_on == datetime.date(2025, 4, 15)
    assert list(assessment.tasks.values_list("position", "label", "max_score", "level")) == [
        (1, "1", 1, "Б"),
        (2, "2", 2, "Б"),
        (3, "9.1", 1, "П"),
        (4, "10", 2, "В"),
    ]
    school_assessment = SchoolAssessment.objects.get()
    assert (school_assessment.school, school_assessment.import_job) == (cast.school, job)
    assert school_assessment.participants_declared == 3 and school_assessment.source_sha256 == job.sha256
    rows = {
        p.participant_code: (p.class_name, p.variant, p.task_scores, p.primary_score, p.mark, p.journal_mark)
        for p in PupilResult.objects.all()
    }
    assert rows == {
        "10001": ("5А", "1", [1, 2, 1, 2], Decimal(6), 5, 5),
        "10002": ("5А", "2", [1, None, 0, 1], Decimal(2), 3, 4),
        "10003": ("5Б", "1", [0, None, None, None], Decimal(0), None, None),
    }
    assert job.counts["created"] == 1 and job.counts["pupils_written"] == 3
    # The import recomputes the stored indicators: 3 participants, 2 with a mark (5 and 3) → качество 50 %;
    # task 1 (max 1) scored 1, 1, 0 → 2 of 3 = 66.7 %; task 2 (max 2) scored 2, «X», «X» → 2 of 6.
    indicator = SchoolIndicator.objects.get(school=cast.school, assessment=assessment)
    assert (indicator.participants, indicator.mark_2_pct, indicator.quality_pct) == (3, 0.0, 50.0)
    completion = {t["task"]: t["completion_pct"] for t in indicator.tasks}
    assert completion["1"] == pytest.approx(200 / 3) and completion["2"] == pytest.approx(100 / 3)


def test_it_changes_nothing_when_the_same_file_comes_again(cast):
    user = cast.users["regional"]
    content = vpr_bytes(cast.school)
    import_job_commit(job=vpr_job(user, content), user=user)
    ids = sorted(PupilResult.objects.values_list("pk", flat=True))
    updated_at = SchoolAssessment.objects.get().updated_at
    before = state()
    again = vpr_job(user, content)
    assert again.counts["unchanged"] == 1 and again.counts["create"] == again.counts["update"] == 0
    assert again.preview["files"][0]["action"] == "unchanged"
    again = import_job_commit(job=again, user=user)
    assert again.status == ImportJob.Status.COMMITTED
    assert state() == before
    assert sorted(PupilResult.objects.values_list("pk", flat=True)) == ids
    assert SchoolAssessment.objects.get().updated_at == updated_at
    assert not any(again.counts[k] for k in ("created", "updated", "pupils_written"))


def test_it_replaces_and_logs_a_corrected_file(cast):
    user = cast.users["regional"]
    import_job_commit(job=vpr_job(user, vpr_bytes(cast.school)), user=user)
    old_ids = set(PupilResult.objects.values_list("pk", flat=True))
    old_sha = SchoolAssessment.objects.get().source_sha256
    corrected = [*pupils()[:2], VprPupil("10004", "5Б", "2", [1, 1, 1, 1], mark=4, journal_mark=4)]
    corrected[0] = VprPupil("10001", "5А", "1", [1, 1, 1, 2], mark=4, journal_mark=5)
    job = vpr_job(user, vpr_bytes(cast.school, pupil_rows=corrected), "vpr-исправленный.xlsx")
    assert job.preview["files"][0]["action"] == "replace"
    assert job.preview["files"][0]["old_participants"] == 3
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED and job.counts["updated"] == 1
    assert SchoolAssessment.objects.count() == 1 and Assessment.objects.count() == 1
    assert set(PupilResult.objects.values_list("pk", flat=True)).isdisjoint(old_ids)
    assert sorted(PupilResult.objects.values_list("participant_code", "mark")) == [
        ("10001", 4),
        ("10002", 3),
        ("10004", 4),
    ]
    school_assessment = SchoolAssessment.objects.get()
    assert school_assessment.source_sha256 == job.sha256 != old_sha
    assert school_assessment.source_file == "vpr-исправленный.xlsx"
    event = ImportJobEvent.objects.get(job=job, message__contains=cast.school.short_name)
    assert "заменены" in event.message
    assert "3" in event.message
    audit = AuditEvent.objects.get(action="school_assessment_replace")
    assert audit.actor == user and audit.object_id == str(school_assessment.pk)
    assert audit.details["old_sha256"] == old_sha and audit.details["new_sha256"] == job.sha256
    assert (audit.details["old_count"], audit.details["new_count"]) == (3, 3)


def test_it_imports_a_zip_of_three_files_in_folders(cast):
    user = cast.users["regional"]
    archive = zip_bytes(
        {
            "Лесогорский/school.xlsx": vpr_bytes(cast.school),
            "Лесогорский/вложенная/sibling.xlsx": vpr_bytes(cast.sibling),
            "Светлогорск/neighbour.xlsx": vpr_bytes(cast.neighbour_school, subject="Русский язык"),
            "readme.txt": b"hello",
        }
    )
    job = vpr_job(user, archive, "впр.zip")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts["files"] == 3 and job.counts["create"] == 3 and job.counts["rows"] == 9
    assert [w["file"] for w in job.warnings] == ["впр.zip/readme.txt"]
    assert "пропущен" in job.warnings[0]["message"]
    assert sorted(f["file"] for f in job.preview["files"]) == [
        "впр.zip/Лесогорский/school.xlsx",
        "впр.zip/Лесогорский/вложенная/sibling.xlsx",
        "впр.zip/Светлогорск/neighbour.xlsx",
    ]
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assert Assessment.objects.count() == 2 and SchoolAssessment.objects.count() == 3
    assert PupilResult.objects.count() == 9
    again = import_job_commit(job=vpr_job(user, archive, "впр.zip"), user=user)
    assert again.counts["unchanged"] == 3 and PupilResult.objects.count() == 9


def test_it_rejects_the_whole_zip_when_one_member_is_broken(cast):
    user = cast.users["regional"]
    broken = edited(vpr_bytes(cast.sibling), {(P2, 8): 7})
    before = state()
    job = vpr_job(user, zip_bytes({"a/good.xlsx": vpr_bytes(cast.school), "b/bad.xlsx": broken}), "all.zip")
    [error] = errors_of(job)
    assert (error["file"], error["sheet"], error["row"], error["column"]) == (
        "all.zip/b/bad.xlsx",
        SHEET,
        P2,
        "2 (2б)",
    )
    assert state() == before


# --- broken files -----------------------------------------------------------------------------------------

# (edits to a good file, the one error expected: row, column, a fragment of the Russian message)
BROKEN: dict[str, tuple[dict[tuple[int, int], object], int | None, str, str]] = {
    "score above maximum": ({(P1, 8): 3}, P1, "2 (2б)", "выше максимума задания"),
    "non-numeric score": ({(P2, 7): "пять"}, P2, "1 (1б)", "должен быть числом"),
    "bad task header": ({(HEADER_ROW, 9): "Задание 9.1"}, HEADER_ROW, "Задание 9.1", "«1 (2б)»"),
    "duplicate code": ({(P3, 4): "10001"}, P3, "Код участника", "уже встречается в строке 9"),
    "bad mark": ({(P1, 12): 7}, P1, "Отметка", "должна быть 2, 3, 4 или 5"),
    "primary score too large": ({(P1, 11): 12345.0}, P1, "Первичный балл", "слишком велик"),
    "primary score of 28 digits": ({(P2, 11): "1" * 27 + ",5"}, P2, "Первичный балл", "слишком велик"),
    "missing column": ({(HEADER_ROW, 12): "Оценка"}, HEADER_ROW, "", "«Отметка»"),
    "year out of range": ({(1, 1): "ВПР 2009. Математика. 5 класс"}, 1, "", "2009"),
    "unreadable title": ({(1, 1): "ВПР Математика"}, 1, "", "не удаётся прочитать"),
    "unknown subject": ({(1, 1): "ВПР 2025. Астрология. 5 класс", (2, 2): "Астрология"}, None, "", "предмет"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_it_reports_a_broken_file(cast, case):
    edits, row, column, fragment = BROKEN[case]
    before = state()
    job = vpr_job(cast.users["regional"], edited(vpr_bytes(cast.school), edits), "школа.xlsx")
    [error] = errors_of(job)
    assert (error["file"], error["sheet"], error["row"], error["column"]) == (
        "школа.xlsx",
        SHEET,
        row,
        column,
    )
    assert fragment in error["message"], error["message"]
    assert state() == before


def test_it_finds_a_shifted_header_and_warns_of_a_wrong_sum(cast):
    shifted = vpr_bytes(cast.school, preamble=["Отчёт", "", "Сформирован 20.05.2025"])
    content = edited(shifted, {(P1 + 3, 11): 5})
    job = vpr_job(cast.users["regional"], content)
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    [warning] = job.warnings
    assert (warning["row"], warning["column"]) == (P1 + 3, "Первичный балл")
    assert "отличается от суммы" in warning["message"]


@pytest.mark.parametrize(
    ("content", "name", "fragment"),
    [
        (b"", "empty.xlsx", "пуст"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.xls", "XLS"),
        (PNG, "photo.xlsx", "не книга Excel"),
        (b"code;score\n1;2\n", "data.csv", "не книга Excel"),
        (zip_bytes({"notes.txt": b"x"}), "empty.zip", "нет файлов XLSX"),
    ],
)
def test_it_explains_files_that_are_not_the_form(cast, content, name, fragment):
    job = vpr_job(cast.users["regional"], content, name)
    errors = errors_of(job)
    assert any(fragment in e["message"] and e["file"] == name for e in errors), errors


def test_it_reports_an_empty_table(cast):
    job = vpr_job(cast.users["regional"], vpr_bytes(cast.school, pupil_rows=[]))
    [error] = errors_of(job)
    assert "нет участников" in error["message"] and error["row"] == HEADER_ROW


def test_it_names_similar_schools_for_an_unknown_login(cast):
    content = vpr_bytes(cast.school, school_login="edu999999", school_name="МБОУ СОШ № 1 с. Ивановка")
    content = edited(content, {(r, 1): "edu999999" for r in (P1, P2, P3)})
    [error] = errors_of(vpr_job(cast.users["regional"], content))
    assert "edu999999" in error["message"] and "нет в реестре" in error["message"]
    assert cast.school.short_name in error["message"]


def test_it_rejects_a_row_of_another_school(cast):
    content = edited(vpr_bytes(cast.school), {(P2, 1): cast.sibling.fis_oko_login})
    [error] = errors_of(vpr_job(cast.users["regional"], content))
    assert (error["row"], error["column"]) == (P2, "ОО")


def test_it_rejects_tasks_that_differ_from_the_stored_assessment(cast):
    user = cast.users["regional"]
    import_job_commit(job=vpr_job(user, vpr_bytes(cast.school)), user=user)
    other_tasks = [*TASKS[:3], VprTask("10", 3, "В")]
    before = state()
    job = vpr_job(user, vpr_bytes(cast.sibling, tasks=other_tasks))
    [error] = errors_of(job)
    assert "10 (3б)" in error["message"] and "10 (2б)" in error["message"]
    assert state() == before and Task.objects.count() == 4


def test_it_warns_of_a_mark_that_contradicts_the_scale(cast):
    MarkScale.objects.create(
        procedure=Procedure.objects.get(code="ВПР"),
        year=2025,
        subject=Subject.objects.get(code="math"),
        grade=5,
        min_score_3=2,
        min_score_4=4,
        min_score_5=6,
    )
    rows = pupils()
    rows[1] = VprPupil("10002", "5А", "2", [1, "X", 0, 1], mark=4)  # 2 points give «3»
    user = cast.users["regional"]
    job = vpr_job(user, vpr_bytes(cast.school, pupil_rows=rows))
    assert job.status == ImportJob.Status.VALIDATED
    [warning] = job.warnings
    assert (warning["row"], warning["column"]) == (P2, "Отметка") and "шкал" in warning["message"]
    import_job_commit(job=job, user=user)
    assert PupilResult.objects.get(participant_code="10002").mark == 4  # the row is kept


# --- access -----------------------------------------------------------------------------------------------


def test_a_municipal_coordinator_cannot_import_a_neighbour_school(cast):
    before = state()
    job = vpr_job(cast.users["municipal"], vpr_bytes(cast.neighbour_school))
    [error] = errors_of(job)
    assert cast.neighbour_school.fis_oko_login in error["message"] and "вне" in error["message"]
    assert state() == before


def test_an_outsider_cannot_see_the_job(client, cast):
    job = vpr_job(cast.users["regional"], vpr_bytes(cast.school))
    client.force_login(cast.users["outsider"])
    assert client.get(reverse("imports:job-detail", kwargs={"job_pk": job.pk})).status_code == 404
    assert client.post(reverse("imports:job-commit", kwargs={"job_pk": job.pk})).status_code == 404
    assert not SchoolAssessment.objects.exists()


@pytest.mark.parametrize("role", ["curator", "school", "analyst"])
def test_it_hides_the_upload_page_from_users_who_may_not_import(client, cast, role):
    client.force_login(cast.users[role])
    url = reverse("imports:vpr-upload")
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": upload(vpr_bytes(cast.school), "vpr.xlsx")}).status_code == 404
    assert not ImportJob.objects.exists()


def test_it_uploads_through_the_page_and_shows_the_preview(client, cast):
    client.force_login(cast.users["municipal"])
    url = reverse("imports:vpr-upload")
    assert "ВПР" in client.get(url).content.decode()
    response = client.post(url, {"file": upload(vpr_bytes(cast.school), "vpr.xlsx")})
    job = ImportJob.objects.get()
    assert job.kind == ImportJob.Kind.VPR_RESULTS
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert cast.school.short_name in page and "ВПР 2025 · Математика · 5 класс" in page and "создание" in page


def test_the_year_limit_follows_the_clock(cast):
    next_year = timezone.localdate().year + 1
    ok = vpr_job(cast.users["regional"], vpr_bytes(cast.school, year=next_year))
    assert ok.status == ImportJob.Status.VALIDATED, ok.errors
    [error] = errors_of(vpr_job(cast.users["regional"], vpr_bytes(cast.school, year=next_year + 1)))
    assert str(next_year + 1) in error["message"]
