"""The job flow: states, the event log, permissions, limits; and the selectors' scope."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from opora.imports.models import ImportJob, ImportJobEvent
from opora.imports.selectors import import_job_get_for_user, import_job_list_for_user
from opora.imports.services import (
    FileTooLargeError,
    ImportJobStateError,
    import_job_cancel,
    import_job_commit,
    import_job_create,
    import_job_validate,
)
from opora.imports.tests.factories import csv_bytes, good_rows, upload
from opora.registry.models import School

pytestmark = pytest.mark.django_db


def test_it_stores_the_upload_with_its_hash_and_size(cast):
    content = csv_bytes(good_rows())
    job = import_job_create(
        user=cast.users["regional"],
        kind=ImportJob.Kind.REGISTER,
        uploaded_file=upload(content, "../../реестр.csv"),
    )
    assert job.status == ImportJob.Status.UPLOADED
    assert (job.original_name, job.size) == ("реестр.csv", len(content))
    assert job.sha256 == hashlib.sha256(content).hexdigest()
    assert job.file.name.startswith("imports/") and job.file.read() == content
    assert job.events.get().message.startswith("Файл «реестр.csv» загружен")


@pytest.mark.parametrize("role", ["curator", "school", "director", "analyst", "methodist"])
def test_it_refuses_uploads_from_users_who_may_not_import(cast, role):
    with pytest.raises(PermissionDenied):
        import_job_create(user=cast.users[role], kind=ImportJob.Kind.REGISTER, uploaded_file=upload(b"a"))
    assert not ImportJob.objects.exists()


def test_it_refuses_a_file_over_the_limit(cast, settings):
    settings.OPORA_MAX_UPLOAD_BYTES = 100
    with pytest.raises(FileTooLargeError) as error:
        import_job_create(
            user=cast.users["admin"], kind=ImportJob.Kind.REGISTER, uploaded_file=upload(b"x" * 101)
        )
    assert error.value.message.startswith("Файл «register.csv» слишком большой")
    assert not ImportJob.objects.exists()


def test_it_logs_each_step(cast, validated_job):
    user = cast.users["regional"]
    job = import_job_commit(job=validated_job(user, csv_bytes(good_rows())), user=user)
    assert [e.message for e in job.events.all()] == [
        "Файл «register.csv» загружен (2,0\xa0КБ).",
        "Проверено, ошибок нет: 4 строки, будет создано: 4, будет изменено: 0, без изменений: 0.",
        "Применено: создано школ — 4, изменено — 0, добавлено вариантов названий — 3, "
        "записано значений контингента — 3.",
    ]


def test_it_logs_errors_with_russian_plurals(cast, validated_job):
    rows = good_rows()
    for row in rows:
        row["ИНН"] = "1"
    job = validated_job(cast.users["regional"], csv_bytes(rows))
    event = job.events.get(level=ImportJobEvent.Level.ERROR)
    assert event.message.startswith("Проверено: найдено 4 ошибки;")


def test_it_commits_only_a_validated_job(cast, validated_job):
    user = cast.users["regional"]
    failed = validated_job(user, b"")
    with pytest.raises(ImportJobStateError):
        import_job_commit(job=failed, user=user)
    job = import_job_commit(job=validated_job(user, csv_bytes(good_rows())), user=user)
    with pytest.raises(ImportJobStateError) as error:
        import_job_commit(job=job, user=user)  # a second click
    assert error.value.message == "Применить можно только проверенный файл без ошибок."
    assert School.objects.filter(fis_oko_login="edu250001").count() == 1


def test_it_refuses_a_commit_by_a_user_who_may_not_import(cast, validated_job):
    job = validated_job(cast.users["regional"], csv_bytes(good_rows()))
    with pytest.raises(PermissionDenied):
        import_job_commit(job=job, user=cast.users["curator"])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED


def test_it_cancels_and_then_refuses_to_commit(cast, validated_job):
    user = cast.users["regional"]
    job = import_job_cancel(job=validated_job(user, csv_bytes(good_rows())), user=user)
    assert job.status == ImportJob.Status.CANCELLED
    assert job.events.latest("id").message.startswith("Отменено пользователем")
    with pytest.raises(ImportJobStateError):
        import_job_commit(job=job, user=user)
    with pytest.raises(ImportJobStateError):
        import_job_cancel(job=job, user=user)
    with pytest.raises(ImportJobStateError):
        import_job_validate(job=job)
    assert not School.objects.filter(fis_oko_login="edu250001").exists()


def test_it_validates_in_the_uploaders_scope(cast):
    job = import_job_create(
        user=cast.users["municipal"],
        kind=ImportJob.Kind.REGISTER,
        uploaded_file=upload(csv_bytes(good_rows())),
    )
    job = import_job_validate(job=job)
    assert job.status == ImportJob.Status.FAILED  # the neighbour municipality is not theirs


def test_it_lets_admins_see_every_job_and_others_their_own(cast, validated_job):
    regional = validated_job(cast.users["regional"], b"a")
    municipal = validated_job(cast.users["municipal"], b"a")
    assert set(import_job_list_for_user(user=cast.users["admin"])) == {regional, municipal}
    assert list(import_job_list_for_user(user=cast.users["regional"])) == [regional]
    assert list(import_job_list_for_user(user=cast.users["curator"])) == []
    assert import_job_get_for_user(user=cast.users["municipal"], pk=municipal.pk) == municipal
    with pytest.raises(Http404):
        import_job_get_for_user(user=cast.users["outsider"], pk=regional.pk)
    inactive = cast.users["regional"]
    inactive.is_active = False
    assert not import_job_list_for_user(user=inactive).exists()
