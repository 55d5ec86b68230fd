from django.contrib import admin

from opora.registry.models import (
    AcademicYear,
    Municipality,
    Region,
    School,
    SchoolAlias,
    SchoolContext,
    SchoolEnrolment,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "region"]
    list_filter = ["region", "kind"]
    search_fields = ["name", "code"]


@admin.register(AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ["label", "start_year"]


class SchoolAliasInline(admin.TabularInline):
    model = SchoolAlias
    extra = 0
    fields = ["kind", "value", "source"]


class SchoolEnrolmentInline(admin.TabularInline):
    model = SchoolEnrolment
    extra = 0


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["short_name", "municipality", "kind", "location", "fis_oko_login", "status"]
    list_filter = ["municipality__region", "municipality", "kind", "location", "status"]
    search_fields = ["short_name", "full_name", "fis_oko_login", "inn", "ogrn", "aliases__value"]
    list_select_related = ["municipality"]
    raw_id_fields = ["successor"]
    inlines = [SchoolAliasInline, SchoolEnrolmentInline]


@admin.register(SchoolContext)
class SchoolContextAdmin(admin.ModelAdmin):
    list_display = ["school", "academic_year"]
    list_filter = ["academic_year"]
    search_fields = ["school__short_name"]
    list_select_related = ["school", "academic_year"]
    raw_id_fields = ["school"]
