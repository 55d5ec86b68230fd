"""The documented school-level examples import cleanly, through the job flow and the command line."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from opora.assessments.models import SchoolAggregateResult, SchoolIndicator
from opora.imports.models import ImportJob
from opora.imports.services import import_job_commit, import_job_create, import_job_validate
from opora.imports.tests.factories import upload
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db
EXAMPLES = Path(settings.BASE_DIR) / "docs" / "formats" / "examples"


@pytest.fixture
def example_schools(cast):
    """The schools the examples name, in the cast's own municipality."""
    return [
        SchoolFactory.create(
            municipality=cast.municipality, fis_oko_login="edu250001", short_name="МБОУ «СОШ № 3 с. Лесное»"
        ),
        SchoolFactory.create(
            municipality=cast.municipality, fis_oko_login="edu250002", short_name="МАОУ «Гимназия № 5»"
        ),
    ]


@pytest.mark.parametrize(
    ("name", "created", "skipped"), [("school-results.csv", 4, 0), ("ege-schools.csv", 4, 1)]
)
def test_the_documented_examples_import_cleanly(cast, example_schools, name, created, skipped):
    user = cast.users["municipal"]
    content = (EXAMPLES / name).read_bytes()
    job = import_job_create(
        user=user, kind=ImportJob.Kind.SCHOOL_RESULTS, uploaded_file=upload(content, name)
    )
    job = import_job_validate(job=job)
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.warnings == []
    assert (job.counts["create"], job.counts["skipped"]) == (created, skipped)
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assert SchoolAggregateResult.objects.count() == created
    assert SchoolIndicator.objects.filter(source=SchoolIndicator.Source.AGGREGATES).count() == created


def test_the_command_imports_the_examples_and_a_second_run_changes_nothing(cast, example_schools, capsys):
    paths = [str(EXAMPLES / "school-results.csv"), str(EXAMPLES / "ege-schools.csv")]
    call_command("import_school_results", *paths, "--user", "regional")
    out = capsys.readouterr().out
    assert SchoolAggregateResult.objects.count() == 8
    assert all(path in out for path in paths)  # one line per file (the wording is the catalogue's)
    assert ImportJob.objects.filter(status=ImportJob.Status.COMMITTED).count() == 2
    call_command("import_school_results", *paths, "--user", "regional")
    assert SchoolAggregateResult.objects.count() == 8
    assert ImportJob.objects.filter(status=ImportJob.Status.COMMITTED).count() == 4


def test_the_command_dry_run_writes_nothing(cast, example_schools):
    call_command(
        "import_school_results", str(EXAMPLES / "school-results.csv"), "--user", "regional", "--dry-run"
    )
    assert SchoolAggregateResult.objects.count() == 0


def test_the_command_exits_with_1_when_a_file_is_rejected(cast, example_schools, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes((EXAMPLES / "school-results.csv").read_bytes().replace(b";48;", b";-48;"))
    with pytest.raises(CommandError) as error:
        call_command(
            "import_school_results", str(EXAMPLES / "ege-schools.csv"), str(bad), "--user", "regional"
        )
    assert error.value.returncode == 1
    assert SchoolAggregateResult.objects.count() == 4  # the good file is committed, the bad one is not
