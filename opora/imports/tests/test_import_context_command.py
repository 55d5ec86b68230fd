"""`opora import-context PATH... --user LOGIN [--dry-run]`: social passports in bulk, one job per file."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from opora.imports.batch import paths_collect
from opora.imports.management.commands.import_context import Command as ContextCommand
from opora.imports.models import ImportJob
from opora.imports.tests.test_context import context_row, csv_bytes
from opora.registry.models import SchoolContext

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_context", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[CommandError, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_context", *args, stdout=out, stderr=err)
    return error.value, out.getvalue(), err.getvalue()


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def files(cast, tmp_path):
    good = write(tmp_path / "паспорта" / "a.csv", csv_bytes([context_row(cast.school.fis_oko_login)]))
    other = write(tmp_path / "паспорта" / "b.csv", csv_bytes([context_row(cast.sibling.fis_oko_login)]))
    write(tmp_path / "паспорта" / "readme.txt", b"not a passport")
    bad = write(
        tmp_path / "bad.csv", csv_bytes([context_row(cast.school.fis_oko_login, **{"С ОВЗ, %": "150"})])
    )
    return good, other, bad


def test_it_commits_each_good_file_as_its_own_job(cast, files):
    good, other, _bad = files
    out, _err = run(str(good.parent), "--user", "municipal")
    assert (
        ImportJob.objects.filter(kind=ImportJob.Kind.CONTEXT, status=ImportJob.Status.COMMITTED).count() == 2
    )
    assert set(SchoolContext.objects.values_list("school_id", flat=True)) == {cast.school.pk, cast.sibling.pk}
    assert str(good) in out and str(other) in out


def test_it_rejects_a_bad_file_commits_the_others_and_exits_with_1(cast, files):
    good, _other, bad = files
    error, _out, err = run_failing(str(good), str(bad), "--user", "municipal")
    assert error.returncode == 1
    assert str(bad) in err and "«С ОВЗ, %»" in err
    assert list(SchoolContext.objects.values_list("school_id", flat=True)) == [cast.school.pk]
    assert ImportJob.objects.get(original_name="bad.csv").status == ImportJob.Status.FAILED


def test_a_dry_run_writes_nothing(cast, files):
    good, other, _bad = files
    out, _err = run(str(good), str(other), "--user", "municipal", "--dry-run")
    assert not SchoolContext.objects.exists()
    assert set(ImportJob.objects.values_list("status", flat=True)) == {ImportJob.Status.VALIDATED}
    assert str(good) in out


def test_it_refuses_unknown_users_and_paths(cast, files, tmp_path):
    good, _other, _bad = files
    assert run_failing(str(good), "--user", "nobody")[0].returncode == 2
    assert run_failing(str(good), "--user", "analyst")[0].returncode == 2  # may not import
    assert run_failing(str(tmp_path / "missing.csv"), "--user", "municipal")[0].returncode == 2
    assert run_failing(str(good.parent / "readme.txt"), "--user", "municipal")[0].returncode == 2
    assert not ImportJob.objects.exists()


def test_it_collects_folders_once_and_in_order(tmp_path):
    nested = write(tmp_path / "x" / "b" / "2.xlsx", b"")
    top = write(tmp_path / "x" / "a.csv", b"")
    write(tmp_path / "x" / "~$a.xlsx", b"")
    write(tmp_path / "x" / ".hidden" / "c.csv", b"")
    assert paths_collect([tmp_path / "x", top], ContextCommand.suffixes) == [top, nested]
