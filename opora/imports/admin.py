from django.contrib import admin
from django.http import HttpRequest

from opora.imports.models import ImportJob, ImportJobEvent


class ImportJobEventInline(admin.TabularInline):
    model = ImportJobEvent
    fields = ["at", "level", "message"]
    readonly_fields = ["at", "level", "message"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs change only through the import flow."""

    list_display = ["pk", "created_at", "created_by", "kind", "original_name", "status", "committed_at"]
    list_filter = ["kind", "status"]
    search_fields = ["original_name", "sha256", "created_by__username"]
    date_hierarchy = "created_at"
    inlines = [ImportJobEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: ImportJob | None = None) -> list[str]:
        return [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False
