"""`opora import-results PATH... --user LOGIN [--dry-run]`: folders and archives, one job per file."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opora.assessments.models import Assessment, PupilResult, SchoolIndicator
from opora.assessments.services import indicators, school_indicators_recompute
from opora.assessments.tests.spies import ahead_taken
from opora.imports.batch import paths_collect
from opora.imports.fis_oko import pool
from opora.imports.fis_oko.layout import VprPupil
from opora.imports.management.commands.import_results import Command as ResultsCommand
from opora.imports.models import ImportJob
from opora.imports.services import import_job_commit
from opora.imports.tests.test_fis_oko_vpr import P1, SHEET, edited, pupils, vpr_bytes, vpr_job, zip_bytes

pytestmark = pytest.mark.django_db

BROKEN_ERROR = (
    f"broken.xlsx, лист «{SHEET}», строка {P1}, столбец «2 (2б)»: "  # the second task's score, 3 of at most 2
)


def run(*args: str, stderr: io.StringIO | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    call_command("import_results", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[CommandError, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_results", *args, stdout=out, stderr=err)
    return error.value, out.getvalue(), err.getvalue()


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def folder(cast, tmp_path):
    """Two good forms and a broken one in subfolders, and files that are not to be read at all."""
    root = tmp_path / "впр"
    write(root / "Лесогорский" / "school.xlsx", vpr_bytes(cast.school))
    write(root / "Лесогорский" / "sibling.xlsx", vpr_bytes(cast.sibling))
    write(root / "Светлогорск" / "broken.xlsx", edited(vpr_bytes(cast.neighbour_school), {(P1, 8): 3}))
    for skipped in (".hidden.xlsx", "~$school.xlsx", ".git/x.zip", "readme.txt"):
        write(root / skipped, b"not a workbook")
    return root


def pupil_ids() -> list[int]:
    return sorted(PupilResult.objects.values_list("pk", flat=True))


def test_it_commits_the_good_files_of_a_folder_and_rejects_the_broken_one(folder):
    error, out, err = run_failing(str(folder), "--user", "regional")
    assert error.returncode == 1
    assert re.fullmatch(
        r"Обработано файлов: 3; применено: 2; без изменений: 0; отклонено: 1; "
        r"записано результатов учеников: 6; время: \d+,\d с\.",
        str(error),
    ), str(error)
    assert BROKEN_ERROR in err
    assert f"{folder / 'Светлогорск' / 'broken.xlsx'}: отклонён, ничего не записано: 1 ошибка" in err
    assert f"{folder / 'Лесогорский' / 'school.xlsx'}: применён" in out
    jobs = ImportJob.objects.order_by("pk")
    assert [(j.kind, j.original_name, j.status) for j in jobs] == [
        ("vpr_results", "school.xlsx", ImportJob.Status.COMMITTED),
        ("vpr_results", "sibling.xlsx", ImportJob.Status.COMMITTED),
        ("vpr_results", "broken.xlsx", ImportJob.Status.FAILED),
    ]
    assert {j.created_by.username for j in jobs if j.created_by} == {"regional"}
    assert PupilResult.objects.count() == 6


def test_it_leaves_a_folder_already_imported_unchanged(folder):
    run_failing(str(folder), "--user", "regional")
    ids = pupil_ids()
    error, out, _ = run_failing(str(folder), "--user", "regional")
    assert "Обработано файлов: 3; применено: 0; без изменений: 2; отклонено: 1; " in str(error)
    assert "записано результатов учеников: 0;" in str(error)
    assert f"{folder / 'Лесогорский' / 'school.xlsx'}: без изменений" in out
    assert pupil_ids() == ids
    assert ImportJob.objects.filter(status=ImportJob.Status.COMMITTED).count() == 4


def test_a_dry_run_writes_nothing(cast, tmp_path):
    write(tmp_path / "a.xlsx", vpr_bytes(cast.school))
    write(tmp_path / "b.xlsx", vpr_bytes(cast.sibling))
    out, _ = run(str(tmp_path), "--user", "regional", "--dry-run")
    assert out.splitlines()[-1].startswith(
        "Пробный запуск, ничего не записано. Обработано файлов: 2; готово к применению: 2; "
        "без изменений: 0; отклонено: 0;"
    )
    assert PupilResult.objects.count() == 0
    assert set(ImportJob.objects.values_list("status", flat=True)) == {ImportJob.Status.VALIDATED}


def test_a_zip_is_one_job(cast, tmp_path):
    archive = write(
        tmp_path / "впр.zip",
        zip_bytes({"1/school.xlsx": vpr_bytes(cast.school), "2/sibling.xlsx": vpr_bytes(cast.sibling)}),
    )
    out, err = run(str(archive), "--user", "municipal")
    assert "Обработано файлов: 1; применено: 1; без изменений: 0; отклонено: 0; " in out
    assert "записано результатов учеников: 6;" in out
    job = ImportJob.objects.get()
    assert (job.status, job.counts["files"], job.counts["pupils_written"]) == (
        ImportJob.Status.COMMITTED,
        2,
        6,
    )
    assert err == f"Файл 1 из 1: {archive}\n"  # progress only: no errors, no warnings


def test_errors_inside_a_zip_name_the_member(cast, tmp_path):
    broken = edited(vpr_bytes(cast.sibling), {(P1, 8): 3})
    archive = write(
        tmp_path / "all.zip", zip_bytes({"a/good.xlsx": vpr_bytes(cast.school), "b/broken.xlsx": broken})
    )
    _, _, err = run_failing(str(archive), "--user", "regional")
    assert f"all.zip/b/{BROKEN_ERROR}" in err
    assert PupilResult.objects.count() == 0


def test_it_shows_progress_on_a_line_of_its_own_on_a_terminal(cast, tmp_path):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    write(tmp_path / "a.xlsx", vpr_bytes(cast.school))
    write(tmp_path / "b.xlsx", vpr_bytes(cast.sibling))
    _, err = run(str(tmp_path), "--user", "regional", stderr=Terminal())
    clear = "\r\x1b[K"
    assert err == (
        f"{clear}Файл 1 из 2: {tmp_path / 'a.xlsx'}{clear}{clear}Файл 2 из 2: {tmp_path / 'b.xlsx'}{clear}"
    )
    _, plain = run(str(tmp_path), "--user", "regional")
    assert plain == f"Файл 1 из 2: {tmp_path / 'a.xlsx'}\nФайл 2 из 2: {tmp_path / 'b.xlsx'}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["MISSING", "--user", "regional"], "Нет такого файла или папки: "),
        (["EMPTY", "--user", "regional"], "Не найдено ни одного файла .xlsx или .zip."),
        (["NOTES", "--user", "regional"], "Это не файл .xlsx или .zip: "),
        (["GOOD", "--user", "nobody"], "Нет действующего пользователя с логином «nobody»."),
        (["GOOD", "--user", "curator"], "Пользователю «curator» не разрешено загружать «ВПР: индивидуальные"),
    ],
    ids=["missing path", "no files", "not a form", "unknown user", "curator"],
)
def test_it_refuses_bad_usage_with_exit_code_2(cast, tmp_path, args, message):
    good = write(tmp_path / "good" / "a.xlsx", vpr_bytes(cast.school))
    (tmp_path / "empty").mkdir()
    paths = {
        "MISSING": tmp_path / "нет",
        "EMPTY": tmp_path / "empty",
        "NOTES": write(tmp_path / "notes.txt", b""),
        "GOOD": good,
    }
    error, _, _ = run_failing(*[str(paths.get(a, a)) for a in args])
    assert error.returncode == 2
    assert str(error).startswith(message)
    assert not ImportJob.objects.exists()


def test_it_collects_paths_in_order_once_each(tmp_path):
    for name in ("b/2.zip", "b/1.XLSX", "a/z.xlsx", "a/.x/hidden.xlsx", "c.xlsx", "a/skip.csv"):
        write(tmp_path / name, b"")
    named = tmp_path / "b" / ".." / "c.xlsx"  # the same file as the folder's c.xlsx, spelt otherwise
    assert paths_collect([named, tmp_path], ResultsCommand.suffixes) == [
        named,
        *(tmp_path / p for p in ("a/z.xlsx", "b/1.XLSX", "b/2.zip")),
    ]


def indicator_rows() -> list[tuple]:
    return sorted(
        SchoolIndicator.objects.values_list(
            "assessment_id",
            "school_id",
            "participants",
            "quality_pct",
            "mean_primary_score",
            "tasks",
            "levels",
            "values",
        )
    )


def test_it_recomputes_the_indicators_once_and_leaves_them_as_a_fresh_recompute(cast, tmp_path, monkeypatch):
    write(tmp_path / "a.xlsx", vpr_bytes(cast.school))
    write(tmp_path / "b.xlsx", vpr_bytes(cast.sibling))
    write(tmp_path / "c.xlsx", vpr_bytes(cast.neighbour_school))
    calls: list[list[int]] = []
    real = indicators.school_indicators_recompute

    def counted(*, assessment_ids, **options):
        calls.append(list(assessment_ids))
        return real(assessment_ids=assessment_ids, **options)

    monkeypatch.setattr(indicators, "school_indicators_recompute", counted)
    run(str(tmp_path), "--user", "regional")
    assert len(calls) == 1  # once for the run, not once per file
    stored = indicator_rows()
    assert len(stored) == 3
    school_indicators_recompute(assessment_ids=Assessment.objects.values_list("pk", flat=True))
    assert indicator_rows() == stored


# The batch keeps a job's rows, and the computation beside their write, once its transaction commits: these
# tests let it commit (and put back the migrations' reference data after them).
COMMITTING = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def computed_beside(monkeypatch):
    return ahead_taken(monkeypatch)


@COMMITTING
def test_a_zip_takes_the_indicators_computed_beside_its_write(cast, tmp_path, computed_beside):
    members = {"1.xlsx": vpr_bytes(cast.school), "2.xlsx": vpr_bytes(cast.neighbour_school)}
    run(str(write(tmp_path / "впр.zip", zip_bytes(members))), "--user", "regional")
    assert computed_beside == [True]
    stored = indicator_rows()
    assert len(stored) == 2
    school_indicators_recompute(assessment_ids=Assessment.objects.values_list("pk", flat=True))
    assert indicator_rows() == stored


def test_a_job_committed_from_its_page_takes_the_computation_too(cast, computed_beside):
    regional = cast.users["regional"]
    job = vpr_job(regional, zip_bytes({"1.xlsx": vpr_bytes(cast.school), "2.xlsx": vpr_bytes(cast.sibling)}))
    assert import_job_commit(job=job, user=regional).status == ImportJob.Status.COMMITTED
    assert computed_beside == [True]
    stored = indicator_rows()
    assert [row[2] for row in stored] == [3, 3]
    school_indicators_recompute(assessment_ids=Assessment.objects.values_list("pk", flat=True))
    assert indicator_rows() == stored


def test_a_replacing_file_leaves_the_indicators_as_a_fresh_recompute(cast, tmp_path):
    write(tmp_path / "a.xlsx", vpr_bytes(cast.school))
    run(str(tmp_path), "--user", "regional")
    corrected = [VprPupil("10001", "5А", "1", [0, 0, 0, 0], mark=None), *pupils()[1:]]
    write(tmp_path / "a.xlsx", vpr_bytes(cast.school, pupil_rows=corrected))
    write(tmp_path / "b.xlsx", vpr_bytes(cast.sibling))
    run(str(tmp_path), "--user", "regional")
    stored = indicator_rows()
    school_indicators_recompute(assessment_ids=Assessment.objects.values_list("pk", flat=True))
    assert indicator_rows() == stored
    assert {row[2] for row in stored} == {3}


def test_the_commit_reuses_the_reading_of_the_check(cast, tmp_path, monkeypatch):
    write(tmp_path / "a.xlsx", vpr_bytes(cast.school))
    write(tmp_path / "b.xlsx", vpr_bytes(cast.sibling))
    reads: list[str] = []
    real = pool.parse_vpr_workbook

    def counted(data, *, file_name, sha256, this_year=None):
        reads.append(file_name)
        return real(data, file_name=file_name, sha256=sha256, this_year=this_year)

    monkeypatch.setattr(pool, "parse_vpr_workbook", counted)
    run(str(tmp_path), "--user", "regional")
    assert reads == ["a.xlsx", "b.xlsx"]  # each workbook read once: the commit re-checks the plan only
    assert PupilResult.objects.count() == 6


def test_the_queries_per_file_do_not_grow_with_its_pupils(cast, tmp_path):
    many = [VprPupil(str(20000 + i), "5А", "1", [1, 2, 1, 2], mark=5) for i in range(40)]
    write(tmp_path / "small" / "a.xlsx", vpr_bytes(cast.school))
    write(tmp_path / "large" / "b.xlsx", vpr_bytes(cast.sibling, pupil_rows=many))
    run(str(tmp_path / "small"), "--user", "regional")  # creates the assessment and its tasks
    write(tmp_path / "small2" / "c.xlsx", vpr_bytes(cast.neighbour_school))
    with CaptureQueriesContext(connection) as small:
        run(str(tmp_path / "small2"), "--user", "regional")
    with CaptureQueriesContext(connection) as large:
        run(str(tmp_path / "large"), "--user", "regional")
    assert PupilResult.objects.count() == 3 + 3 + 40
    assert len(large.captured_queries) == len(small.captured_queries)


@COMMITTING
def test_a_fractional_primary_score_is_kept_as_the_database_keeps_it(cast, tmp_path, computed_beside):
    # Two decimals, rounded half up as the other importers round, on SQLite and PostgreSQL alike: the rows
    # the batch computes from in memory must be the rows stored.
    rows = [VprPupil("10001", "5А", "1", [1, 2, 0, 0], primary_score="3,125", mark=3), *pupils()[1:]]
    write(tmp_path / "a.xlsx", vpr_bytes(cast.school, pupil_rows=rows))
    run(str(tmp_path), "--user", "regional")
    assert PupilResult.objects.get(participant_code="10001").primary_score == Decimal("3.13")
    assert computed_beside == [True]
    stored = indicator_rows()
    school_indicators_recompute(assessment_ids=Assessment.objects.values_list("pk", flat=True))
    assert indicator_rows() == stored
