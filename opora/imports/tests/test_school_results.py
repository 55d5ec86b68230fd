"""The school-level results import end to end: the layouts, broken files, re-import, scope, indicators."""

import csv
import datetime
import io
from collections.abc import Sequence
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from statsmodels.stats.proportion import proportion_confint

from opora.assessments.models import Assessment, Procedure, SchoolAggregateResult, SchoolIndicator
from opora.core.models import AuditEvent
from opora.imports.models import ImportJob, ImportJobEvent
from opora.imports.services import import_job_commit, import_job_create, import_job_validate
from opora.imports.tests.factories import upload

pytestmark = pytest.mark.django_db

CANONICAL = [
    "year",
    "procedure",
    "subject",
    "grade",
    "school",
    "participants",
    "share_2",
    "share_3",
    "share_4",
    "share_5",
    "mean_primary_score",
    "mean_mark",
]
EXAM = [
    "Год",
    "Процедура",
    "Предмет",
    "Муниципалитет",
    "Логин ОО",
    "Наименование ОО",
    "Выпускники",
    "Кол-во участников",
    "Не преодолели минимальный порог",
    "80-99 баллов",
    "100 баллов",
    "Средний балл",
]


def csv_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    title_rows: Sequence[str] = (),
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for title in title_rows:
        writer.writerow([title])
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def vpr_statistics_xlsx(
    cast, *, rows: Sequence[Sequence[object]] | None = None, merge_header: bool = False
) -> bytes:
    """The ФИС ОКО «Статистика по отметкам» layout: title lines (merged), a two-row header, then the region,
    the municipality and its schools."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Статистика"
    sheet.append(["Статистика по отметкам"])
    sheet.append(["ВПР 2024. Математика 5 класс"])
    sheet.merge_cells("A1:F1")
    sheet.merge_cells("A2:F2")
    sheet.append([])
    sheet.append(["", "", "Распределение групп баллов в %"])
    sheet.merge_cells("C4:F4")
    sheet.append(["ОО", "Кол-во участников", "2", "3", "4", "5"])
    if merge_header:
        sheet.merge_cells("C5:D5")  # «2» spreads over «3»: the same header twice
    body = rows or [
        [cast.region.name, 1500, 10.5, 40.2, 35.1, 14.2],
        [cast.municipality.name, 400, 12, 41, 33, 14],
        [f"{cast.school.fis_oko_login} {cast.school.short_name}", 40, 10, 40, 35, 15],
        [f"({cast.sibling.fis_oko_login}) {cast.sibling.short_name}", 20, 15, 45, 30, 10],
    ]
    for row in body:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def canonical_rows(cast, **overrides: object) -> list[list[object]]:
    rows = [
        [2025, "ВПР", "Математика", 5, cast.school.fis_oko_login, 20, "15", "45", "30", "10", "11,2", "3,35"],
        [2025, "ВПР", "Математика", 5, cast.sibling.fis_oko_login, 40, "5", "35", "40", "20", "14.5", "3.75"],
    ]
    for key, value in overrides.items():
        rows[0][CANONICAL.index(key)] = value
    return rows


def check(user, content: bytes, name: str = "schools.csv") -> ImportJob:
    job = import_job_create(
        user=user, kind=ImportJob.Kind.SCHOOL_RESULTS, uploaded_file=upload(content, name)
    )
    return import_job_validate(job=job)


def commit(user, content: bytes, name: str = "schools.csv") -> ImportJob:
    job = check(user, content, name)
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED
    return job


def state() -> tuple[int, ...]:
    return (
        SchoolAggregateResult.objects.count(),
        SchoolIndicator.objects.count(),
        Assessment.objects.count(),
        Procedure.objects.count(),
        AuditEvent.objects.count(),
    )


def stored(school) -> SchoolAggregateResult:
    return SchoolAggregateResult.objects.get(school=school)


# --- the canonical format -------------------------------------------------------------------------------


def test_it_checks_the_canonical_format_and_writes_nothing(cast):
    before = state()
    job = check(cast.users["regional"], csv_bytes(CANONICAL, canonical_rows(cast)))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts == {
        "rows": 2,
        "skipped": 0,
        "create": 2,
        "update": 0,
        "unchanged": 0,
        "errors": 0,
        "warnings": 0,
    }
    assert job.preview["layout"] == "canonical"
    assert job.preview["items"][0] == {
        "row": 2,
        "login": cast.school.fis_oko_login,
        "school": cast.school.short_name,
        "municipality": cast.municipality.name,
        "assessment": "ВПР 2025 · Математика · 5 класс",
        "participants": 20,
        "action": "create",
        "old_participants": None,
    }
    assert state() == before


def test_it_commits_results_audits_and_stores_aggregate_indicators(cast):
    user = cast.users["regional"]
    job = commit(user, csv_bytes(CANONICAL, canonical_rows(cast)))
    assert job.counts["created"] == 2
    result = stored(cast.school)
    assert (result.participants, result.share_2, result.mean_primary_score, result.mean_mark) == (
        20,
        Decimal("15"),
        Decimal("11.2"),
        Decimal("3.35"),
    )
    assert result.import_job_id == job.pk and result.source_sha256 == job.sha256
    assert result.source_file == "schools.csv" and result.below_minimum is None
    indicators = SchoolIndicator.objects.filter(source=SchoolIndicator.Source.AGGREGATES)
    assert {i.school_id for i in indicators} == {cast.school.pk, cast.sibling.pk}
    assert AuditEvent.objects.filter(action="import_job_commit").count() == 1


def test_the_stored_indicator_equals_a_hand_computation_with_wilson_intervals(cast):
    commit(cast.users["regional"], csv_bytes(CANONICAL, canonical_rows(cast)))
    indicator = SchoolIndicator.objects.get(school=cast.school, source=SchoolIndicator.Source.AGGREGATES)
    # 20 participants: «2» 15 % → 3 pupils, «4» + «5» 40 % → 8 pupils.
    low, high = proportion_confint(3, 20, alpha=0.05, method="wilson")
    assert indicator.participants == 20 and indicator.sample_tier == SchoolIndicator.Tier.APPROXIMATE
    assert indicator.mark_2_pct == pytest.approx(15.0)
    assert indicator.mark_2_ci_low == pytest.approx(100 * low)
    assert indicator.mark_2_ci_high == pytest.approx(100 * high)
    assert indicator.pass_pct == pytest.approx(85.0)
    assert indicator.quality_pct == pytest.approx(40.0)
    q_low, q_high = proportion_confint(8, 20, alpha=0.05, method="wilson")
    assert indicator.values["quality_ci_low"] == pytest.approx(100 * q_low)
    assert indicator.values["quality_ci_high"] == pytest.approx(100 * q_high)
    assert indicator.mean_primary_score == pytest.approx(11.2)


def test_reimporting_the_same_file_changes_nothing(cast):
    user = cast.users["regional"]
    content = csv_bytes(CANONICAL, canonical_rows(cast))
    commit(user, content)
    before = state()
    indicators = list(SchoolIndicator.objects.values_list("pk", "mark_2_pct"))
    job = check(user, content)
    assert (job.counts["create"], job.counts["update"], job.counts["unchanged"]) == (0, 0, 2)
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED and job.counts["created"] == job.counts["updated"] == 0
    assert state() == before
    assert list(SchoolIndicator.objects.values_list("pk", "mark_2_pct")) == indicators


def test_a_corrected_file_replaces_the_school_result(cast):
    user = cast.users["regional"]
    commit(user, csv_bytes(CANONICAL, canonical_rows(cast)))
    corrected = canonical_rows(cast, participants=25, share_2="20", share_3="40")
    job = check(user, csv_bytes(CANONICAL, corrected), "corrected.csv")
    assert (job.counts["create"], job.counts["update"], job.counts["unchanged"]) == (0, 1, 1)
    item = next(i for i in job.preview["items"] if i["action"] == "replace")
    assert (item["login"], item["old_participants"], item["participants"]) == (
        cast.school.fis_oko_login,
        20,
        25,
    )
    job = import_job_commit(job=job, user=user)
    assert job.counts["updated"] == 1
    result = stored(cast.school)
    assert (result.participants, result.share_2, result.source_file) == (25, Decimal("20"), "corrected.csv")
    audit = AuditEvent.objects.get(action="school_aggregate_result_replace", object_id=str(result.pk))
    first_sha = ImportJob.objects.filter(status=ImportJob.Status.COMMITTED).earliest("pk").sha256
    assert (audit.details["old_sha256"], audit.details["new_sha256"]) == (first_sha, job.sha256)
    assert (audit.details["old_count"], audit.details["new_count"]) == (20, 25)
    assert job.events.filter(level=ImportJobEvent.Level.WARNING).exists()
    indicator = SchoolIndicator.objects.get(school=cast.school, source=SchoolIndicator.Source.AGGREGATES)
    assert indicator.participants == 25 and indicator.mark_2_pct == pytest.approx(20.0)


def test_a_regional_diagnostic_with_levels_and_a_new_procedure(cast):
    header = ["Год", "Процедура", "Предмет", "Класс", "Логин ОО", "Кол-во участников", "Средний % выполнения"]
    header += ["Уровень: низкий, %", "Уровень: базовый, %", "level_повышенный"]
    rows = [
        [2025, "РДР", "Русский язык", 6, cast.school.fis_oko_login, 31, "54,3", "20", "50", "30"],
        [2025, "КДР-6", "Русский язык", 6, cast.school.fis_oko_login, 30, "61", "10", "60", "30"],
    ]
    user = cast.users["regional"]
    job = check(user, csv_bytes(header, rows, delimiter=";"))
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.preview["new_procedures"] == ["КДР-6"]
    assert [(w["row"], w["column"]) for w in job.warnings] == [(3, "Процедура")]
    assert not Procedure.objects.filter(code="КДР-6").exists()
    import_job_commit(job=job, user=user)
    procedure = Procedure.objects.get(code="КДР-6")
    assert (procedure.level, procedure.outcome) == (Procedure.Level.REGIONAL, Procedure.Outcome.LEVEL)
    result = SchoolAggregateResult.objects.get(assessment__procedure__code="РДР")
    assert result.mean_completion == Decimal("54.3")
    assert result.level_shares == {"низкий": 20.0, "базовый": 50.0, "повышенный": 30.0}
    assert AuditEvent.objects.filter(action="procedure_create").count() == 1


# --- ВПР «Статистика по отметкам» -----------------------------------------------------------------------


def test_it_reads_the_vpr_statistics_layout_and_skips_the_region_and_municipality_rows(cast):
    user = cast.users["regional"]
    job = check(user, vpr_statistics_xlsx(cast), "statistics.xlsx")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.preview["layout"] == "vpr_statistics"
    assert (job.counts["rows"], job.counts["skipped"], job.counts["create"]) == (4, 2, 2)
    assert {i["assessment"] for i in job.preview["items"]} == {"ВПР 2024 · Математика · 5 класс"}
    import_job_commit(job=job, user=user)
    result = stored(cast.sibling)
    assert (result.participants, result.share_2, result.share_5) == (20, Decimal(15), Decimal(10))
    assert result.assessment.grade == 5 and result.assessment.year == 2024


def test_shares_that_do_not_sum_to_100_are_a_warning(cast):
    rows = [[f"{cast.school.fis_oko_login} школа", 40, 10, 40, 35, 25]]
    job = check(cast.users["regional"], vpr_statistics_xlsx(cast, rows=rows), "statistics.xlsx")
    assert job.status == ImportJob.Status.VALIDATED
    assert [(w["sheet"], w["row"], w["column"]) for w in job.warnings] == [("Статистика", 6, "5")]


# --- ЕГЭ / ОГЭ tables -----------------------------------------------------------------------------------


def test_it_reads_a_tidy_ege_and_oge_table_in_cp1251(cast):
    rows = [
        [
            2025,
            "ЕГЭ",
            "Русский язык",
            cast.municipality.name,
            cast.school.fis_oko_login,
            "",
            30,
            28,
            1,
            9,
            2,
            "71,5",
        ],
        [
            2025,
            "ОГЭ",
            "Математика",
            cast.municipality.name,
            "",
            cast.sibling.short_name,
            50,
            48,
            3,
            "",
            "",
            "15,2",
        ],
        [2025, "ЕГЭ", "Русский язык", "Итого по району", "", "", 30, 28, 1, 9, 2, "71,5"],
    ]
    user = cast.users["regional"]
    job = check(user, csv_bytes(EXAM, rows, encoding="cp1251", delimiter=";"), "ege.csv")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert (job.counts["create"], job.counts["skipped"], job.preview["layout"]) == (2, 1, "exam")
    import_job_commit(job=job, user=user)
    ege = stored(cast.school)
    assert (ege.assessment.grade, ege.below_minimum, ege.scored_80_99, ege.scored_100) == (11, 1, 9, 2)
    assert (ege.mean_test_score, ege.mean_primary_score) == (Decimal("71.5"), None)
    oge = stored(cast.sibling)
    assert (oge.assessment.grade, oge.mean_primary_score, oge.below_minimum) == (9, Decimal("15.2"), 3)
    indicator = SchoolIndicator.objects.get(school=cast.school, source=SchoolIndicator.Source.AGGREGATES)
    assert indicator.below_min_pct == pytest.approx(100 / 28)


# --- broken files ---------------------------------------------------------------------------------------


def broken(cast, content: bytes, name: str) -> list[tuple]:
    before = state()
    job = check(cast.users["regional"], content, name)
    assert job.status == ImportJob.Status.FAILED
    assert state() == before
    assert all(e["message"] and e["file"] == name for e in job.errors)
    return [(e["sheet"], e["row"], e["column"]) for e in job.errors]


def test_a_missing_header_column_is_an_error(cast):
    header = [c for c in CANONICAL if c != "participants"]
    rows = [
        [v for c, v in zip(CANONICAL, r, strict=True) if c != "participants"] for r in canonical_rows(cast)
    ]
    assert broken(cast, csv_bytes(header, rows), "a.csv") == [(None, 1, "")]


def test_a_header_shifted_below_the_first_rows_is_not_found(cast):
    content = csv_bytes(CANONICAL, canonical_rows(cast), title_rows=[f"строка {i}" for i in range(25)])
    assert broken(cast, content, "a.csv") == [(None, 1, "")]


def test_merged_header_cells_are_an_error(cast):
    assert broken(cast, vpr_statistics_xlsx(cast, merge_header=True), "a.xlsx") == [("Статистика", 5, "2")]


def test_a_share_above_100_and_non_numeric_values_are_errors(cast):
    rows = canonical_rows(cast, share_2="120")
    rows[1][CANONICAL.index("participants")] = "двадцать"
    rows[1][CANONICAL.index("mean_mark")] = "хорошо"
    assert broken(cast, csv_bytes(CANONICAL, rows), "a.csv") == [
        (None, 2, "share_2"),
        (None, 3, "participants"),
        (None, 3, "mean_mark"),
    ]


def test_counts_above_the_participants_are_errors(cast):
    rows = [[2025, "ЕГЭ", "Русский язык", "", cast.school.fis_oko_login, "", 30, 28, 29, 9, 2, "71,5"]]
    assert broken(cast, csv_bytes(EXAM, rows), "a.csv") == [(None, 2, "Не преодолели минимальный порог")]


def test_duplicate_school_rows_are_errors(cast):
    rows = canonical_rows(cast)
    rows.append(list(rows[0]))
    assert broken(cast, csv_bytes(CANONICAL, rows), "a.csv") == [(None, 4, "school")]


def test_an_empty_file_is_an_error(cast):
    assert broken(cast, b"", "a.csv") == [(None, None, "")]


@pytest.mark.parametrize("year", [1999, 2101, datetime.date.today().year + 1])
def test_a_wrong_year_is_an_error(cast, year):
    assert broken(cast, csv_bytes(CANONICAL, canonical_rows(cast, year=year)), "a.csv") == [(None, 2, "year")]


def test_a_wrong_year_in_the_title_is_one_error(cast):
    content = vpr_statistics_xlsx(cast).replace(b"", b"")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    assert sheet is not None
    sheet["A2"] = "ВПР 1999. Математика 5 класс"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert broken(cast, buffer.getvalue(), "a.xlsx") == [("Статистика", 2, "")]


def test_a_damaged_legacy_xls_is_refused(cast):
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert broken(cast, content, "a.xls") == [(None, None, "")]


def test_a_cp1251_csv_with_an_error_names_its_row_and_column(cast):
    rows = canonical_rows(cast, subject="Алгебра")
    errors = broken(cast, csv_bytes(CANONICAL, rows, encoding="cp1251", delimiter=";"), "a.csv")
    assert errors == [(None, 2, "subject")]


def test_a_file_without_the_assessment_is_one_error(cast):
    header = ["Логин ОО", "Кол-во участников", "2", "3", "4", "5"]
    rows = [[cast.school.fis_oko_login, 20, 15, 45, 30, 10], [cast.sibling.fis_oko_login, 20, 15, 45, 30, 10]]
    errors = broken(cast, csv_bytes(header, rows), "a.csv")
    assert errors == [(None, None, ""), (None, None, ""), (None, None, "")]  # year, procedure, subject


# --- schools and scope ----------------------------------------------------------------------------------


def test_another_municipalitys_school_is_refused_for_a_municipal_user(cast):
    rows = canonical_rows(cast)
    rows[1][CANONICAL.index("school")] = cast.neighbour_school.fis_oko_login
    before = state()
    job = check(cast.users["municipal"], csv_bytes(CANONICAL, rows))
    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "school")]
    assert state() == before


def test_an_unknown_school_is_an_error_with_suggestions_for_mapping(cast):
    rows = canonical_rows(cast)
    rows[0][CANONICAL.index("school")] = "edu999999"
    header = [*CANONICAL, "Наименование ОО"]
    rows[0].append("СОШ № 1 Ивановка")
    rows[1].append("")
    job = check(cast.users["regional"], csv_bytes(header, rows))
    [error] = job.errors
    assert (error["row"], error["column"]) == (2, "school")
    assert error["school"]["identifier"] == "edu999999" and error["school"]["kind"] == "fis_oko_login"
    assert error["school"]["suggestions"][0] == cast.school.pk


# --- the web page ---------------------------------------------------------------------------------------


def test_the_upload_page_checks_a_file_and_shows_its_preview(client, cast):
    client.force_login(cast.users["regional"])
    url = reverse("imports:school-results-upload")
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": upload(vpr_statistics_xlsx(cast), "statistics.xlsx")})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.kind == ImportJob.Kind.SCHOOL_RESULTS
    page = client.get(reverse("imports:job-detail", kwargs={"job_pk": job.pk}))
    assert page.status_code == 200 and cast.sibling.short_name in page.content.decode()


def test_the_upload_page_is_hidden_from_school_staff(client, cast):
    client.force_login(cast.users["school"])
    assert client.get(reverse("imports:school-results-upload")).status_code == 404


def test_fis_oko_municipality_spellings_without_a_login_are_skipped_too(cast):
    rows = [
        ["Вся выборка", 900000, 10, 40, 35, 15],
        ["Лесогорский р-н", 400, 12, 41, 33, 14],
        [f"{cast.school.fis_oko_login} {cast.school.short_name}", 40, 10, 40, 35, 15],
    ]
    job = check(cast.users["regional"], vpr_statistics_xlsx(cast, rows=rows), "statistics.xlsx")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert (job.counts["skipped"], job.counts["create"]) == (2, 1)
    assert job.preview["skipped_rows"] == [
        {"row": 6, "label": "Вся выборка"},
        {"row": 7, "label": "Лесогорский р-н"},
    ]


def wide_ege_xlsx(cast, *, subject: str = "Математика (профильный уровень)") -> bytes:
    """Subjects side by side, as regions publish them: the subject merged over its columns, the school
    columns merged down over the two header rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "ЕГЭ"
    sheet.append(["ЕГЭ 2025"])
    sheet.append(["Муниципалитет", "ОО", "Выпускники", "Русский язык", "", "", "", "", subject, "", ""])
    sheet.append(["", "", "", "Кол-во участников", "Не преодолели минимальный порог", "80-99 баллов"])
    sheet["G3"], sheet["H3"] = "100 баллов", "Средний балл"
    sheet["I3"], sheet["J3"], sheet["K3"] = (
        "Кол-во участников",
        "Не преодолели минимальный порог",
        "Средний балл",
    )
    for cells in ("A2:A3", "B2:B3", "C2:C3", "D2:H2", "I2:K2"):
        sheet.merge_cells(cells)
    sheet.append([cast.municipality.name, "", 60, 60, 1, 9, 2, "71,5", 30, 2, "55,1"])
    sheet.append(["", cast.school.fis_oko_login, 31, 31, 1, 6, 0, "68,4", 14, 2, "52,7"])
    sheet.append(["", cast.sibling.fis_oko_login, 29, 29, 0, 3, 2, "74,8", 0, 0, "-"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_it_reads_a_wide_ege_table_with_subjects_side_by_side(cast):
    user = cast.users["regional"]
    job = check(user, wide_ege_xlsx(cast), "ege-wide.xlsx")
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.preview["layout"] == "exam_wide"
    assert (job.counts["rows"], job.counts["skipped"], job.counts["create"]) == (3, 1, 3)
    assert [(i["row"], i["assessment"]) for i in job.preview["items"]] == [
        (5, "ЕГЭ 2025 · Русский язык · 11 класс"),
        (5, "ЕГЭ 2025 · Математика (профильный уровень) · 11 класс"),
        (6, "ЕГЭ 2025 · Русский язык · 11 класс"),
    ]
    import_job_commit(job=job, user=user)
    maths = SchoolAggregateResult.objects.get(school=cast.school, assessment__subject__name__startswith="Мат")
    assert (maths.participants, maths.below_minimum, maths.mean_test_score) == (14, 2, Decimal("52.7"))


def test_a_wide_table_names_the_subject_in_its_errors(cast):
    content = wide_ege_xlsx(cast, subject="Астрономия")
    assert broken(cast, content, "a.xlsx") == [("ЕГЭ", 2, "Астрономия")]


def test_a_wide_table_error_names_the_subject_and_the_column(cast):
    workbook = openpyxl.load_workbook(io.BytesIO(wide_ege_xlsx(cast)))
    sheet = workbook.active
    assert sheet is not None
    sheet["D5"] = "тридцать"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert broken(cast, buffer.getvalue(), "a.xlsx") == [("ЕГЭ", 5, "Русский язык · Кол-во участников")]


def test_the_job_page_of_a_file_with_an_unknown_school_renders(client, cast):
    rows = canonical_rows(cast)
    rows[0][CANONICAL.index("school")] = "edu999999"
    user = cast.users["regional"]
    job = check(user, csv_bytes(CANONICAL, rows))
    client.force_login(user)
    response = client.get(reverse("imports:job-detail", kwargs={"job_pk": job.pk}))
    assert response.status_code == 200 and "edu999999" in response.content.decode()
