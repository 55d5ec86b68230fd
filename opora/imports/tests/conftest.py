import pytest

from opora.imports.models import ImportJob
from opora.imports.services import import_job_create, import_job_validate
from opora.imports.tests.factories import upload


@pytest.fixture
def validated_job():
    """Upload and check a file as a user: `validated_job(user, content, name)` → the job."""

    def make(user, content: bytes, name: str = "register.csv") -> ImportJob:
        job = import_job_create(user=user, kind=ImportJob.Kind.REGISTER, uploaded_file=upload(content, name))
        return import_job_validate(job=job)

    return make
