"""The UI shell: landing by role, login and its throttling, password change, Russian pages, no 500s."""

import pytest
from django.urls import reverse

from conftest import PASSWORD


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("school", "school"),
        ("director", "school"),
        ("municipal", "municipality"),
        ("methodist", "municipality"),
        ("regional", "school-list"),
        ("curator", "school-list"),
        ("admin", "school-list"),
    ],
)
def test_it_lands_each_role_where_its_work_is(client, cast, role, expected):
    client.force_login(cast.users[role])
    target = {
        "school": reverse("registry:school-detail", kwargs={"school_pk": cast.school.pk}),
        "municipality": reverse(
            "registry:municipality-detail", kwargs={"municipality_pk": cast.municipality.pk}
        ),
        "school-list": reverse("registry:school-list"),
    }[expected]
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"] == target


def test_it_logs_in_and_shows_the_russian_menu(client, cast):
    response = client.post(
        reverse("accounts:login"), {"username": "municipal", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Муниципалитеты" in page and "Школы" in page and "Выйти" in page
    assert cast.municipality.name in page


def test_it_rejects_a_wrong_password_in_russian(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "municipal", "password": "wrong"})
    assert response.status_code == 200
    assert "Пожалуйста, введите правильные" in response.content.decode()


def test_it_locks_out_after_repeated_failures(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "municipal", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "municipal", "password": PASSWORD})
    assert response.status_code == 429
    assert "временно заблокирован" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_logs_out_on_post(client, cast):
    client.force_login(cast.users["regional"])
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("registry:school-list")).status_code == 302


def test_it_changes_the_password(client, cast):
    client.force_login(cast.users["school"])
    new = "another-long-passphrase-42"
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    cast.users["school"].refresh_from_db()
    assert cast.users["school"].check_password(new)


def test_it_answers_404_in_russian_for_a_missing_school(client, cast):
    client.force_login(cast.users["admin"])
    response = client.get(reverse("registry:school-detail", kwargs={"school_pk": 999999}))
    assert response.status_code == 404
    assert "Страница не найдена" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "-5"},
        {"page": "99999"},
        {"municipality": "not-a-number"},
        {"kind": "<script>"},
        {"q": "x" * 5000},
        {"q": "\x00"},
    ],
)
def test_it_never_fails_on_bad_list_parameters(client, cast, query):
    client.force_login(cast.users["regional"])
    for name in ("registry:school-list", "registry:municipality-list"):
        assert client.get(reverse(name), query).status_code == 200
    url = reverse("registry:municipality-detail", kwargs={"municipality_pk": cast.municipality.pk})
    assert client.get(url, query).status_code == 200


def test_it_shows_the_school_card_with_register_data(client, cast):
    client.force_login(cast.users["curator"])
    response = client.get(reverse("registry:school-detail", kwargs={"school_pk": cast.school.pk}))
    page = response.content.decode()
    assert cast.school.short_name in page.replace("&quot;", '"').replace("&#x27;", "'") or "СОШ № 1" in page
    assert cast.school.fis_oko_login in page
    assert "Данные реестра" in page
    # A curator may not open the municipality page, so the card does not link to it.
    municipality_url = reverse(
        "registry:municipality-detail", kwargs={"municipality_pk": cast.municipality.pk}
    )
    assert municipality_url not in page


def test_it_filters_schools_by_search_kind_and_location(client, cast):
    client.force_login(cast.users["admin"])
    response = client.get(reverse("registry:school-list"), {"q": "Берёзовка"})
    assert [s.pk for s in response.context["page"].object_list] == [cast.sibling.pk]
    response = client.get(reverse("registry:school-list"), {"q": cast.far_school.fis_oko_login})
    assert [s.pk for s in response.context["page"].object_list] == [cast.far_school.pk]
    response = client.get(reverse("registry:school-list"), {"location": "village"})
    assert list(response.context["page"].object_list) == []
