"""The documented examples of the pupil results format (docs/formats/pupil-results.md) import cleanly."""

from pathlib import Path

import pytest
from django.conf import settings

from opora.assessments.models import Procedure, PupilResult
from opora.imports.models import ImportJob
from opora.imports.services import import_job_commit, import_job_create, import_job_validate
from opora.imports.tests.factories import upload
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db
EXAMPLES = Path(settings.BASE_DIR) / "docs" / "formats" / "examples"


@pytest.mark.parametrize(
    ("name", "pupils", "groups"),
    [("pupil-results.csv", 8, 3), ("diagnostics-pupils.xlsx", 5, 2)],
)
def test_the_documented_examples_import_cleanly(cast, name, pupils, groups):
    SchoolFactory.create(municipality=cast.municipality, fis_oko_login="edu250001")
    SchoolFactory.create(municipality=cast.neighbour, fis_oko_login="edu250002")
    user = cast.users["regional"]
    content = (EXAMPLES / name).read_bytes()
    job = import_job_create(user=user, kind=ImportJob.Kind.PUPIL_RESULTS, uploaded_file=upload(content, name))
    job = import_job_validate(job=job)
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    # The diagnostic's procedure, КДР, is new: the preview says so in a warning.
    assert len(job.warnings) == (1 if name.endswith(".xlsx") else 0), job.warnings
    assert job.counts["rows"] == pupils and job.counts["create"] == groups
    job = import_job_commit(job=job, user=user)
    assert job.status == ImportJob.Status.COMMITTED
    assert PupilResult.objects.count() == pupils
    if name.endswith(".xlsx"):
        assert Procedure.objects.get(code="КДР").outcome == Procedure.Outcome.LEVEL
