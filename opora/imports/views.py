from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.imports.aggregates import COLUMNS as SCHOOL_RESULTS_COLUMNS
from opora.imports.context import COLUMNS as CONTEXT_COLUMNS
from opora.imports.forms import UploadForm
from opora.imports.mapping import SchoolMappingForm, import_job_school_map, unknown_school_in_job
from opora.imports.models import ImportJob
from opora.imports.pupils import COLUMNS as PUPIL_COLUMNS
from opora.imports.register import COLUMNS
from opora.imports.selectors import (
    import_job_events,
    import_job_get_for_user,
    import_job_list_for_user,
    import_kind_allowed,
    import_kinds_for_user,
)
from opora.imports.services import (
    ImportJobError,
    import_job_cancel,
    import_job_commit,
    import_job_create,
    import_job_validate,
)
from opora.registry.services import SchoolAliasConflictError

#: The upload page of each kind and the label of its button on the import history.
UPLOAD_PAGES: dict[str, tuple[str, str | Promise]] = {
    ImportJob.Kind.REGISTER: ("imports:register-upload", gettext_lazy("Upload the school register")),
    ImportJob.Kind.VPR_RESULTS: ("imports:vpr-upload", gettext_lazy("Upload VPR results")),
    ImportJob.Kind.CONTEXT: ("imports:context-upload", gettext_lazy("Upload social passports")),
    ImportJob.Kind.PUPIL_RESULTS: ("imports:pupil-results-upload", gettext_lazy("Upload pupil results")),
    ImportJob.Kind.SCHOOL_RESULTS: (
        "imports:school-results-upload",
        gettext_lazy("Upload results per school"),
    ),
}


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    kinds = set(import_kinds_for_user(user=user))
    page = Paginator(import_job_list_for_user(user=user), settings.PAGINATE_BY).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "imports/job_list.html",
        {
            "page": page,
            "uploads": [(url, label) for kind, (url, label) in UPLOAD_PAGES.items() if kind in kinds],
        },
    )


def _upload(
    request: HttpRequest, *, kind: str, template: str, context: dict[str, object], file_label: str = ""
) -> HttpResponse:
    """Upload a file as a job of this kind, check it at once and show its page; 404 for who may not."""
    user: User = request.user  # type: ignore[assignment]
    if not import_kind_allowed(user=user, kind=kind):
        raise Http404
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if file_label:
        form.fields["file"].label = file_label
    if form.is_bound and form.is_valid():
        try:
            job = import_job_create(user=user, kind=kind, uploaded_file=form.cleaned_data["file"])
        except ImportJobError as error:
            form.add_error("file", error.message)
        else:
            import_job_validate(job=job)
            return redirect("imports:job-detail", job_pk=job.pk)
    return render(request, template, {"form": form, **context})


@require_http_methods(["GET", "POST"])
def register_upload(request: HttpRequest) -> HttpResponse:
    return _upload(
        request,
        kind=ImportJob.Kind.REGISTER,
        template="imports/register_upload.html",
        context={"columns": COLUMNS},
    )


@require_http_methods(["GET", "POST"])
def vpr_upload(request: HttpRequest) -> HttpResponse:
    return _upload(
        request,
        kind=ImportJob.Kind.VPR_RESULTS,
        template="imports/vpr_upload.html",
        context={},
        file_label=_("File (XLSX, or a ZIP archive of XLSX files)"),
    )


@require_http_methods(["GET", "POST"])
def context_upload(request: HttpRequest) -> HttpResponse:
    return _upload(
        request,
        kind=ImportJob.Kind.CONTEXT,
        template="imports/context_upload.html",
        context={"columns": CONTEXT_COLUMNS},
    )


@require_http_methods(["GET", "POST"])
def school_results_upload(request: HttpRequest) -> HttpResponse:
    return _upload(
        request,
        kind=ImportJob.Kind.SCHOOL_RESULTS,
        template="imports/school_results_upload.html",
        context={"columns": SCHOOL_RESULTS_COLUMNS},
    )


@require_http_methods(["GET", "POST"])
def pupil_results_upload(request: HttpRequest) -> HttpResponse:
    return _upload(
        request,
        kind=ImportJob.Kind.PUPIL_RESULTS,
        template="imports/pupil_results_upload.html",
        context={"columns": PUPIL_COLUMNS},
    )


@require_GET
def job_detail(request: HttpRequest, job_pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    job = import_job_get_for_user(user=user, pk=job_pk)
    return render(
        request,
        "imports/job_detail.html",
        {
            "job": job,
            "events": import_job_events(job=job),
            "may_commit": job.can_commit and import_kind_allowed(user=user, kind=job.kind),
            "may_cancel": job.can_cancel,
            # Each kind shows its own figures and preview: templates/imports/preview/<kind>[_figures].html.
            "figures_template": f"imports/preview/{job.kind}_figures.html",
            "preview_template": f"imports/preview/{job.kind}.html",
        },
    )


@require_POST
def job_commit(request: HttpRequest, job_pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    job = import_job_get_for_user(user=user, pk=job_pk)
    if not import_kind_allowed(user=user, kind=job.kind):
        raise Http404
    try:
        job = import_job_commit(job=job, user=user)
    except PermissionDenied:
        raise Http404 from None
    except ImportJobError as error:
        messages.error(request, error.message)
        return redirect("imports:job-detail", job_pk=job.pk)
    if job.status == ImportJob.Status.COMMITTED:
        messages.success(request, _("The file is committed."))
    elif job.status == ImportJob.Status.VALIDATED:
        messages.warning(
            request,
            _("The register has changed since the preview: review the new preview and apply it again."),
        )
    else:
        messages.error(request, _("The file was not committed: see the errors below."))
    return redirect("imports:job-detail", job_pk=job.pk)


@require_POST
def job_cancel(request: HttpRequest, job_pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    job = import_job_get_for_user(user=user, pk=job_pk)
    try:
        import_job_cancel(job=job, user=user)
    except ImportJobError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The import is cancelled."))
    return redirect("imports:job-detail", job_pk=job.pk)


@require_POST
def job_map_school(request: HttpRequest, job_pk: int) -> HttpResponse:
    """Map a school the job's file names but the register lacks to a school in scope, then check again."""
    user: User = request.user  # type: ignore[assignment]
    job = import_job_get_for_user(user=user, pk=job_pk)
    if not import_kind_allowed(user=user, kind=job.kind):
        raise Http404
    form = SchoolMappingForm(request.POST)
    if not form.is_valid() or not unknown_school_in_job(
        job=job, kind=form.cleaned_data["kind"], identifier=form.cleaned_data["identifier"]
    ):
        messages.error(request, _("Choose a school to map."))
        return redirect("imports:job-detail", job_pk=job.pk)
    school = schools_visible_to(user).filter(pk=form.cleaned_data["school"]).first()
    if school is None:
        raise Http404
    try:
        import_job_school_map(
            job=job,
            user=user,
            school=school,
            kind=form.cleaned_data["kind"],
            identifier=form.cleaned_data["identifier"],
        )
    except (ImportJobError, SchoolAliasConflictError) as error:
        messages.error(request, error.message)
    return redirect("imports:job-detail", job_pk=job.pk)
