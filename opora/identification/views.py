"""Pages of the identification engine: runs, lists (with export and comparison), official lists and the
methodology. Every page asks opora.identification.access; what is out of scope is a 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analytics.methodology import Methodology
from opora.accounts.access import municipalities_visible_to
from opora.core.http import AuthenticatedHttpRequest
from opora.core.services import audit_event_create
from opora.identification.access import (
    can_edit_methodology,
    can_run,
    can_view_identification,
    lists_visible_to,
    methodologies_visible_to,
    run_scope_for,
    runs_visible_to,
)
from opora.identification.exports import school_list_xlsx
from opora.identification.forms import MethodologyForm, OfficialListForm, RunForm
from opora.identification.models import Finding, MethodologyVersion, SchoolList
from opora.identification.official import official_list_import
from opora.identification.selectors import (
    LIST_SORTS,
    list_comparison_for_user,
    list_get_for_user,
    memberships_for_user,
    methodology_get_for_user,
    methodology_in_force,
    methodology_view,
    positive_dynamics_for_user,
    run_findings_for_user,
    run_get_for_user,
    run_models,
    runs_difference,
)
from opora.identification.services import (
    identification_run_create,
    methodology_version_create,
)


def _require_view(request: AuthenticatedHttpRequest) -> None:
    if not can_view_identification(request.user):
        raise Http404


@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    scope = run_scope_for(user)
    return render(
        request,
        "identification/index.html",
        {
            "runs": runs_visible_to(user).select_related("methodology", "municipality", "started_by")[:20],
            "lists": lists_visible_to(user)
            .select_related("municipality")
            .filter(origin=SchoolList.Origin.OFFICIAL)[:50],
            "computed": lists_visible_to(user)
            .select_related("municipality", "run")
            .filter(origin=SchoolList.Origin.COMPUTED)
            .order_by("-year", "-created_at", "kind")[:8],
            "run_form": RunForm() if scope and can_run(user) else None,
            "can_import": bool(scope and can_run(user)),
        },
    )


@require_POST
def run_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_view(request)
    scope = run_scope_for(request.user)
    if scope is None or not can_run(request.user):
        raise Http404
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the year of identification."))
        return redirect("identification:index")
    region, municipality = scope
    run = identification_run_create(
        actor=request.user, region=region, municipality=municipality, year=form.cleaned_data["year"]
    )
    messages.success(request, _("The identification is computed."))
    return redirect("identification:run-detail", run_pk=run.pk)


@require_GET
def run_detail(request: AuthenticatedHttpRequest, run_pk: int) -> HttpResponse:
    _require_view(request)
    run = run_get_for_user(user=request.user, pk=run_pk)
    scope = run_scope_for(request.user)
    may_rerun = bool(
        can_run(request.user)
        and scope
        and scope[0].pk == run.region_id
        and (scope[1] is None or scope[1].pk == run.municipality_id)
    )
    return render(
        request,
        "identification/run_detail.html",
        {
            "run": run,
            "counts": run_findings_for_user(user=request.user, run=run),
            "models": run_models(run=run),
            "positive_dynamics": positive_dynamics_for_user(user=request.user, run=run),
            "lists": run.lists.all().order_by("kind"),
            "reruns": runs_visible_to(request.user).filter(rerun_of=run).order_by("-started_at"),
            "difference": runs_difference(run.rerun_of, run) if run.rerun_of_id else None,
            "may_rerun": may_rerun,
            "statuses": Finding.Status,
        },
    )


@require_POST
def run_rerun(request: AuthenticatedHttpRequest, run_pk: int) -> HttpResponse:
    _require_view(request)
    run = run_get_for_user(user=request.user, pk=run_pk)
    scope = run_scope_for(request.user)
    if (
        not can_run(request.user)
        or scope is None
        or scope[0].pk != run.region_id
        or (scope[1] is not None and scope[1].pk != run.municipality_id)
    ):
        raise Http404
    rerun = identification_run_create(
        actor=request.user, region=run.region, municipality=run.municipality, year=run.year, rerun_of=run
    )
    return redirect("identification:run-detail", run_pk=rerun.pk)


def _list_rows(request: AuthenticatedHttpRequest, school_list: SchoolList):  # type: ignore[no-untyped-def]
    municipality = request.GET.get("municipality", "")
    return memberships_for_user(
        user=request.user,
        school_list=school_list,
        municipality_id=int(municipality) if municipality.isdigit() else None,
        query=request.GET.get("q", "").strip()[:100],
        sort=request.GET.get("sort", ""),
    )


@require_GET
def list_detail(request: AuthenticatedHttpRequest, list_pk: int) -> HttpResponse:
    _require_view(request)
    school_list = list_get_for_user(user=request.user, pk=list_pk)
    rows = _list_rows(request, school_list)
    page = Paginator(rows, settings.PAGINATE_BY).get_page(request.GET.get("page"))
    official = (
        lists_visible_to(request.user).filter(
            origin=SchoolList.Origin.OFFICIAL, kind=school_list.kind, year=school_list.year
        )
        if school_list.origin == SchoolList.Origin.COMPUTED
        else lists_visible_to(request.user).none()
    )
    return render(
        request,
        "identification/list_detail.html",
        {
            "list": school_list,
            "page": page,
            "total": rows.count(),
            "municipalities": municipalities_visible_to(request.user).order_by("name"),
            "sorts": LIST_SORTS,
            "filters": request.GET,
            "official_lists": official,
        },
    )


@require_GET
def list_export(request: AuthenticatedHttpRequest, list_pk: int) -> FileResponse:
    _require_view(request)
    school_list = list_get_for_user(user=request.user, pk=list_pk)
    rows = list(_list_rows(request, school_list))
    export = school_list_xlsx(school_list=school_list, rows=rows)
    audit_event_create(
        actor=request.user,
        action="school_list_export",
        object_type="identification.schoollist",
        object_id=school_list.pk,
        summary=export.filename,
        details={"rows": len(rows)},
    )
    return FileResponse(export.content, as_attachment=True, filename=export.filename)


@require_GET
def list_compare(request: AuthenticatedHttpRequest, list_pk: int) -> HttpResponse:
    _require_view(request)
    computed = list_get_for_user(user=request.user, pk=list_pk)
    official_pk = request.GET.get("official", "")
    if computed.origin != SchoolList.Origin.COMPUTED or not official_pk.isdigit():
        raise Http404
    official = list_get_for_user(user=request.user, pk=int(official_pk))
    if official.origin != SchoolList.Origin.OFFICIAL:
        raise Http404
    comparison = list_comparison_for_user(user=request.user, computed=computed, official=official)
    return render(request, "identification/list_compare.html", {"comparison": comparison})


@require_http_methods(["GET", "POST"])
def official_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_view(request)
    scope = run_scope_for(request.user)
    if scope is None or not can_run(request.user):
        raise Http404
    form = OfficialListForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        region, municipality = scope
        upload = form.cleaned_data["file"]
        outcome = official_list_import(
            actor=request.user,
            source=upload,
            file_name=upload.name,
            kind=form.cleaned_data["kind"],
            level=form.cleaned_data["level"],
            year=form.cleaned_data["year"],
            document=form.cleaned_data["document"],
            document_date=form.cleaned_data["document_date"],
            region=region,
            municipality=municipality,
        )
        if outcome.school_list is not None:
            if outcome.created:
                messages.success(request, _("The official list is imported."))
            else:
                messages.info(
                    request, _("This file was already imported for this list: nothing has changed.")
                )
            return redirect("identification:list-detail", list_pk=outcome.school_list.pk)
        errors = [error.as_dict() for error in outcome.errors]
    return render(request, "identification/official_upload.html", {"form": form, "problems": errors})


@require_GET
def methodology(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_view(request)
    scope = run_scope_for(request.user)
    versions = methodologies_visible_to(request.user).select_related("municipality", "created_by")
    # A GET writes nothing: before the first version, the page shows today's defaults, unsaved.
    current = (
        methodology_in_force(region=scope[0], municipality=scope[1])
        if scope is not None
        else versions.order_by("-created_at").first()
    )
    if current is None and scope is not None:
        current = MethodologyVersion(region=scope[0], number=0, parameters=Methodology().to_dict())
    return render(
        request,
        "identification/methodology.html",
        {
            "view": methodology_view(version=current) if current else None,
            "versions": versions.order_by("municipality__name", "-number")[:100],
            "may_edit": bool(scope and can_edit_methodology(request.user)),
        },
    )


@require_GET
def methodology_version(request: AuthenticatedHttpRequest, version_pk: int) -> HttpResponse:
    _require_view(request)
    version = methodology_get_for_user(user=request.user, pk=version_pk)
    return render(
        request, "identification/methodology_version.html", {"view": methodology_view(version=version)}
    )


@require_http_methods(["GET", "POST"])
def methodology_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_view(request)
    scope = run_scope_for(request.user)
    if scope is None or not can_edit_methodology(request.user):
        raise Http404
    region, municipality = scope
    current = methodology_in_force(region=region, municipality=municipality) or MethodologyVersion(
        region=region, number=0, parameters=Methodology().to_dict()
    )
    form = MethodologyForm(request.POST or None, parameters=current.parameters)
    if request.method == "POST" and form.is_valid():
        try:
            version = methodology_version_create(
                actor=request.user,
                region=region,
                municipality=municipality,
                parameters=form.parameters(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("A new version of the methodology is saved."))
            return redirect("identification:methodology-version", version_pk=version.pk)
    return render(request, "identification/methodology_edit.html", {"form": form, "current": current})
