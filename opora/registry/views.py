from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opora.accounts.access import can_view_municipalities
from opora.assessments.selectors import school_results_for_user
from opora.core.http import AuthenticatedHttpRequest
from opora.identification.selectors import school_identification_for_user
from opora.registry.forms import SchoolFilterForm, SearchForm
from opora.registry.models import School
from opora.registry.selectors import (
    municipality_get_for_user,
    municipality_list_for_user,
    school_get_for_user,
    school_list_for_user,
    school_passport_rows,
)


def _page(request: HttpRequest, items: QuerySet) -> Page:
    return Paginator(items, settings.PAGINATE_BY).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def municipality_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    search = SearchForm(request.GET).search()
    page = _page(request, municipality_list_for_user(user=user, search=search))
    return render(
        request,
        "registry/municipality_list.html",
        {"page": page, "search": search, "query": _query_without_page(request)},
    )


@require_GET
def municipality_detail(request: AuthenticatedHttpRequest, municipality_pk: int) -> HttpResponse:
    user = request.user
    municipality = municipality_get_for_user(user=user, pk=municipality_pk)
    form = SchoolFilterForm(request.GET or None)
    filters = form.to_filters()
    schools = school_list_for_user(user=user, filters=filters).filter(municipality=municipality)
    return render(
        request,
        "registry/municipality_detail.html",
        {
            "municipality": municipality,
            "form": form,
            "page": _page(request, schools),
            "query": _query_without_page(request),
        },
    )


@require_GET
def school_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    municipalities = municipality_list_for_user(user=user) if can_view_municipalities(user) else None
    form = SchoolFilterForm(request.GET or None, municipalities=municipalities)
    page = _page(request, school_list_for_user(user=user, filters=form.to_filters()))
    return render(
        request,
        "registry/school_list.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
    )


@require_GET
def school_detail(request: AuthenticatedHttpRequest, school_pk: int) -> HttpResponse:
    user = request.user
    school = school_get_for_user(user=user, pk=school_pk)
    return render(
        request,
        "registry/school_detail.html",
        {
            "school": school,
            "aliases": school.aliases.all(),
            "passport_rows": school_passport_rows(school=school),
            "predecessors": school.predecessors.all(),
            "can_view_municipality": can_view_municipalities(user),
            "kinds": School.Kind,
            "results": school_results_for_user(
                user=user, school_pk=school.pk, selected=request.GET.get("assessment")
            ),
            "identification": school_identification_for_user(user=user, school=school),
        },
    )
