"""The import pages through the test client: who may open what, Russian messages, no 500 on bad input."""

import pytest
from django.urls import reverse

from opora.imports.models import ImportJob
from opora.imports.tests.factories import csv_bytes, good_rows, school_row, upload
from opora.imports.tests.test_readers import PNG
from opora.registry.models import School

pytestmark = pytest.mark.django_db
UPLOAD = reverse("imports:register-upload")


def job_url(name: str, job: ImportJob) -> str:
    return reverse(f"imports:{name}", kwargs={"job_pk": job.pk})


@pytest.mark.parametrize("role", ["curator", "school", "director", "analyst", "methodist"])
def test_it_hides_the_upload_page_from_users_who_may_not_import(client, cast, role):
    client.force_login(cast.users[role])
    assert client.get(UPLOAD).status_code == 404
    response = client.post(UPLOAD, {"file": upload(csv_bytes(good_rows()))})
    assert response.status_code == 404
    assert not ImportJob.objects.exists()


def test_it_shows_the_upload_form_with_the_columns(client, cast):
    client.force_login(cast.users["municipal"])
    page = client.get(UPLOAD).content.decode()
    assert "Загрузить реестр школ" in page and "Логин ФИС ОКО" in page and "Загрузить и проверить" in page


def test_it_uploads_checks_and_shows_the_preview(client, cast):
    client.force_login(cast.users["regional"])
    response = client.post(UPLOAD, {"file": upload(csv_bytes(good_rows()))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url("job-detail", job)
    page = client.get(response["Location"]).content.decode()
    assert "готов к применению" in page and "Применить" in page and "Отменить" in page
    assert "МБОУ «Лицей № 1»" in page and "Новые школы" in page
    assert "<b>4</b> строки в файле" in page and "<b>4</b> новые школы" in page and "<b>0</b> ошибок" in page


def test_it_commits_on_post_only(client, cast):
    client.force_login(cast.users["regional"])
    client.post(UPLOAD, {"file": upload(csv_bytes(good_rows()))})
    job = ImportJob.objects.get()
    assert client.get(job_url("job-commit", job)).status_code == 405
    response = client.post(job_url("job-commit", job), follow=True)
    assert response.status_code == 200 and "Файл применён." in response.content.decode()
    assert School.objects.filter(fis_oko_login__in=["edu250001", "edu250004"]).count() == 2
    again = client.post(job_url("job-commit", job), follow=True)
    assert "Применить можно только проверенный файл без ошибок." in again.content.decode()


def test_it_shows_the_diffs_of_a_changed_file(client, cast):
    client.force_login(cast.users["regional"])
    client.post(UPLOAD, {"file": upload(csv_bytes(good_rows()))})
    client.post(job_url("job-commit", ImportJob.objects.get()))
    rows = good_rows()
    rows[0]["Адрес"] = "692001, с. Лесное, ул. Новая, 2"
    response = client.post(UPLOAD, {"file": upload(csv_bytes(rows))}, follow=True)
    page = response.content.decode()
    assert "Изменения в школах реестра" in page and "ул. Новая, 2" in page and "ул. Школьная, 1" in page


def test_it_cancels(client, cast):
    client.force_login(cast.users["municipal"])
    client.post(UPLOAD, {"file": upload(csv_bytes([school_row()]))})
    job = ImportJob.objects.get()
    response = client.post(job_url("job-cancel", job), follow=True)
    assert "Загрузка отменена." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert client.post(job_url("job-commit", job)).status_code == 302
    assert not School.objects.filter(fis_oko_login="edu250001").exists()


@pytest.mark.parametrize("name", ["job-detail", "job-commit", "job-cancel"])
def test_the_outsider_cannot_open_another_users_job(client, cast, name):
    client.force_login(cast.users["municipal"])
    client.post(UPLOAD, {"file": upload(csv_bytes([school_row()]))})
    job = ImportJob.objects.get()
    client.force_login(cast.users["outsider"])
    response = client.post(job_url(name, job)) if name != "job-detail" else client.get(job_url(name, job))
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED


def test_an_administrator_sees_every_job(client, cast):
    client.force_login(cast.users["municipal"])
    client.post(UPLOAD, {"file": upload(csv_bytes([school_row()]))})
    client.force_login(cast.users["admin"])
    assert client.get(job_url("job-detail", ImportJob.objects.get())).status_code == 200


def test_a_user_who_lost_the_right_sees_the_job_but_cannot_apply_it(client, cast):
    user = cast.users["municipal"]
    client.force_login(user)
    client.post(UPLOAD, {"file": upload(csv_bytes([school_row()]))})
    job = ImportJob.objects.get()
    user.role = "methodist"
    user.save()
    page = client.get(job_url("job-detail", job)).content.decode()
    assert "Применить" not in page
    assert client.post(job_url("job-commit", job)).status_code == 404


BAD_FILES = {
    "not_utf8.csv": ("a,b\n\x98\xff,1\n".encode("latin-1"), "кодировка текста не распознана"),
    "empty.csv": (b"", "файл пуст"),
    "picture.csv": (PNG, "похоже, это файл PNG"),
    "blank.csv": (b"\r\n\r\n", "нет строки заголовка"),
    "fake.xlsx": (b"PK\x03\x04garbage", "не читается как книга Excel"),
    "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "не читается как книга Excel"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_it_explains_a_bad_file_in_russian_and_never_fails(client, cast, name):
    content, message = BAD_FILES[name]
    client.force_login(cast.users["regional"])
    response = client.post(UPLOAD, {"file": upload(content, name)}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page and name in page and "есть ошибки" in page and "<b>1</b> ошибка" in page
    assert "новых школ" not in page
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED


def test_it_refuses_a_file_over_the_limit_without_storing_it(client, cast, settings):
    settings.OPORA_MAX_UPLOAD_BYTES = 1000
    client.force_login(cast.users["regional"])
    response = client.post(UPLOAD, {"file": upload(b"x" * 1001, "big.csv")})
    assert response.status_code == 200
    assert "Файл «big.csv» слишком большой" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_it_asks_for_a_file_when_none_is_sent(client, cast):
    client.force_login(cast.users["regional"])
    response = client.post(UPLOAD, {})
    assert response.status_code == 200 and "Обязательное поле." in response.content.decode()


def test_it_answers_404_for_a_missing_job(client, cast):
    client.force_login(cast.users["admin"])
    assert client.get(reverse("imports:job-detail", kwargs={"job_pk": 99999})).status_code == 404


def test_it_lists_the_users_jobs_in_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    client.force_login(cast.users["regional"])
    for _ in range(3):
        client.post(UPLOAD, {"file": upload(csv_bytes([school_row()]))})
    client.force_login(cast.users["municipal"])
    client.post(UPLOAD, {"file": upload(csv_bytes([school_row()]), "mine.csv")})
    # session, user, count, page (with users)
    with django_assert_num_queries(4):
        response = client.get(reverse("imports:job-list"))
    page = response.content.decode()
    assert response.status_code == 200 and page.count("mine.csv") == 1 and "register.csv" not in page
    assert "Загрузить реестр школ" in page
    client.force_login(cast.users["admin"])
    assert client.get(reverse("imports:job-list")).content.decode().count("register.csv") == 3


def test_the_job_list_is_empty_for_a_curator(client, cast):
    client.force_login(cast.users["curator"])
    page = client.get(reverse("imports:job-list")).content.decode()
    assert "Файлы ещё не загружались." in page and "Загрузить реестр школ" not in page


def test_the_admin_shows_jobs_read_only(client, cast, validated_job):
    job = validated_job(cast.users["regional"], csv_bytes([school_row()]))
    admin = cast.users["admin"]
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get(reverse("admin:imports_importjob_changelist")).status_code == 200
    page = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert "register.csv" in page and 'name="_save"' not in page
    assert client.get(reverse("admin:imports_importjob_add")).status_code == 403
