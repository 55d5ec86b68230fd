from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import CuratorAssignment, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "last_name",
        "first_name",
        "role",
        "region",
        "municipality",
        "school",
        "is_active",
    ]
    list_filter = ["role", "is_active", "region", "municipality"]
    list_select_related = ["region", "municipality", "school"]
    raw_id_fields = ["school"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("Role and scope"),
            {"fields": ("role", "patronymic", "position", "region", "municipality", "school")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        """Only a superuser grants superuser status or permissions: staff cannot promote themselves."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return readonly

    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ("role", "region", "municipality", "school")}),
    )


@admin.register(CuratorAssignment)
class CuratorAssignmentAdmin(admin.ModelAdmin):
    list_display = ["curator", "school", "starts_on", "ends_on"]
    raw_id_fields = ["curator", "school"]
    list_select_related = ["curator", "school"]
