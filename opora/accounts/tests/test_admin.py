"""The Django admin: staff administrators manage users but cannot grant themselves more rights."""

from django.contrib.auth.models import Permission
from django.urls import reverse


def test_it_keeps_privilege_fields_read_only_for_a_staff_administrator(client, cast):
    admin = cast.users["admin"]
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[admin.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    data = {
        "username": admin.username,
        "role": admin.role,
        "is_superuser": "on",
        "is_staff": "on",
        "is_active": "on",
        "date_joined_0": "01.09.2025",
        "date_joined_1": "10:00:00",
    }
    client.post(url, data)
    admin.refresh_from_db()
    assert not admin.is_superuser


def test_it_shows_the_admin_in_russian(client, cast):
    admin = cast.users["admin"]
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))
    client.force_login(admin)
    page = client.get(reverse("admin:registry_school_changelist")).content.decode()
    assert "Опора: администрирование" in page and "Школы" in page
