"""The committed sample files and the documented examples pass (or fail) exactly as described."""

from pathlib import Path

import pytest
from django.conf import settings

from opora.imports.models import ImportJob
from opora.registry.models import School

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"
EXAMPLES = Path(settings.BASE_DIR) / "docs" / "formats" / "examples"


@pytest.mark.parametrize(
    "path",
    [
        FILES / "register_utf8.csv",
        FILES / "register_cp1251.csv",
        EXAMPLES / "register.csv",
        EXAMPLES / "register.xlsx",
    ],
    ids=lambda p: p.name,
)
def test_the_good_samples_and_the_documented_examples_pass(cast, validated_job, path):
    job = validated_job(cast.users["regional"], path.read_bytes(), path.name)
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    assert job.counts["create"] == 4 and job.warnings == []


def test_the_broken_sample_reports_every_error(cast, validated_job):
    count = School.objects.count()
    job = validated_job(
        cast.users["regional"], (FILES / "register_errors.csv").read_bytes(), "register_errors.csv"
    )
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "ИНН"),
        (4, "Муниципалитет"),
        (5, "Правопреемник"),
        (5, "Логин ФИС ОКО"),
    ]
    assert School.objects.count() == count


def test_the_picture_sample_is_refused(cast, validated_job):
    job = validated_job(cast.users["regional"], (FILES / "picture.csv").read_bytes(), "picture.csv")
    assert job.status == ImportJob.Status.FAILED and "PNG" in job.errors[0]["message"]


def test_the_documented_vpr_example_reads_without_problems():
    from opora.imports.fis_oko.parse import parse_vpr_workbook

    path = Path(__file__).resolve().parents[3] / "docs/formats/examples/vpr-individual-results.xlsx"
    parsed = parse_vpr_workbook(path.read_bytes(), file_name=path.name, sha256="")
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert (
        parsed.file is not None and parsed.file.school_login == "edu886278" and len(parsed.file.pupils) == 3
    )
