"""`opora import-register FILE --user LOGIN [--dry-run]`: messages and exit codes."""

import io

import pytest
from django.core.management import CommandError, call_command

from opora.cli import main
from opora.imports.models import ImportJob
from opora.imports.tests.factories import csv_bytes, good_rows, school_row, xlsx_bytes
from opora.registry.models import School

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_register", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "реестр.csv"
    path.write_bytes(csv_bytes(good_rows(), encoding="cp1251", delimiter=";"))
    return path


def test_it_commits_a_good_file(cast, good_file):
    out, err = run(str(good_file), "--user", "regional")
    assert err == ""
    assert "Строк: 4; будет создано: 4; будет изменено: 0; без изменений: 0." in out
    assert "Применено: создано школ — 4" in out
    assert School.objects.filter(fis_oko_login__startswith="edu2500").count() == 3
    assert ImportJob.objects.get().status == ImportJob.Status.COMMITTED


def test_a_dry_run_writes_nothing(cast, good_file):
    count = School.objects.count()
    out, _ = run(str(good_file), "--user", "regional", "--dry-run")
    assert "Пробный запуск: ничего не записано" in out
    assert School.objects.count() == count
    assert ImportJob.objects.get().status == ImportJob.Status.VALIDATED


def test_it_prints_the_diffs(cast, good_file, tmp_path):
    run(str(good_file), "--user", "regional")
    rows = good_rows()
    rows[1]["Контингент"] = "1001"
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(xlsx_bytes(rows))
    out, _ = run(str(changed), "--user", "regional", "--dry-run")
    assert "  строка 3, edu250002: Контингент 2025/2026: «1020» → «1001»" in out


def test_it_prints_every_error_and_exits_non_zero(cast, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([school_row(**{"ИНН": "12345"}), school_row(**{"Логин ФИС ОКО": "x1"})]))
    count = School.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_register", str(path), "--user", "regional", stdout=io.StringIO(), stderr=err)
    assert error.value.returncode == 1
    assert str(error.value).startswith("Файл отклонён: 2 ошибки. Ничего не записано")
    assert err.getvalue().splitlines() == [
        "bad.csv, лист —, строка 2, столбец «ИНН»: ИНН должен состоять из 10 цифр, а указано «12345»",
        "bad.csv, лист —, строка 3, столбец «Логин ФИС ОКО»: логин ФИС ОКО должен иметь вид eduNNNNNN "
        "или schNNNNNNNN, а указано «x1»",
    ]
    assert School.objects.count() == count


def test_it_refuses_unknown_users_and_users_without_the_right(cast, good_file):
    with pytest.raises(CommandError, match="Нет действующего пользователя с логином «nobody»"):
        run(str(good_file), "--user", "nobody")
    with pytest.raises(CommandError, match="не разрешено загружать реестр"):
        run(str(good_file), "--user", "curator")
    with pytest.raises(CommandError, match="Файл не найден"):
        run(str(good_file) + ".missing", "--user", "regional")
    assert not ImportJob.objects.exists()


def test_the_console_script_maps_hyphenated_names_to_commands(monkeypatch):
    """`opora import-register` runs the `import_register` command. Run in-process, Django's
    run_from_argv would close the test's database connection, so the hand-over itself is checked."""
    seen: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", seen.append)
    assert main(["opora", "import-register", "file.csv", "--user", "regional"]) == 0
    assert seen == [["opora", "import_register", "file.csv", "--user", "regional"]]
