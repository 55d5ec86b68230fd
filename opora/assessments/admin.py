from django.contrib import admin

from opora.assessments.models import (
    Assessment,
    MarkScale,
    MinimumScore,
    Procedure,
    SchoolAggregateResult,
    SchoolAssessment,
    Subject,
    Task,
)


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "outcome"]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["procedure", "year", "subject", "grade", "max_primary_score"]
    list_filter = ["procedure", "year", "subject", "grade"]
    inlines = [TaskInline]


@admin.register(MarkScale)
class MarkScaleAdmin(admin.ModelAdmin):
    list_display = ["procedure", "year", "subject", "grade", "min_score_3", "min_score_4", "min_score_5"]
    list_filter = ["procedure", "year", "subject", "grade"]


@admin.register(MinimumScore)
class MinimumScoreAdmin(admin.ModelAdmin):
    list_display = ["procedure", "year", "subject", "minimum", "source"]
    list_filter = ["procedure", "year"]


@admin.register(SchoolAssessment)
class SchoolAssessmentAdmin(admin.ModelAdmin):
    """Read-only: results change only through imports, which are logged."""

    list_display = ["school", "assessment", "source_file", "updated_at"]
    list_select_related = ["school", "assessment__procedure", "assessment__subject"]
    search_fields = ["school__short_name", "school__fis_oko_login"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SchoolAggregateResult)
class SchoolAggregateResultAdmin(SchoolAssessmentAdmin):
    list_display = ["school", "assessment", "participants", "source_file", "updated_at"]
