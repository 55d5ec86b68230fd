from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class UploadPage:
    """The upload page of one kind of import: its URL, the button on the import history, its template
    (which explains the format) and the columns of the format it lists."""

    slug: str  # the URL is imports/<slug>/upload/, named imports:<slug>-upload
    button: str | Promise
    template: str
    columns: Sequence[Any] = ()
    file_label: str | Promise = ""

    @property
    def url_name(self) -> str:
        return f"imports:{self.slug}-upload"


UPLOAD_PAGES: dict[str, UploadPage] = {
    ImportJob.Kind.REGISTER: UploadPage(
        "register", gettext_lazy("Upload the school register"), "imports/register_upload.html", COLUMNS
    ),
    ImportJob.Kind.VPR_RESULTS: UploadPage(
        "vpr",
        gettext_lazy("Upload VPR results"),
        "imports/vpr_upload.html",
        file_label=gettext_lazy("File (XLSX, or a ZIP archive of XLSX files)"),
    ),
    ImportJob.Kind.CONTEXT: UploadPage(
        "context", gettext_lazy("Upload social passports"), "imports/context_upload.html", CONTEXT_COLUMNS
    ),
    ImportJob.Kind.PUPIL_RESULTS: UploadPage(
        "pupil-results",
        gettext_lazy("Upload pupil results"),
        "imports/pupil_results_upload.html",
        PUPIL_COLUMNS,
    ),
    ImportJob.Kind.SCHOOL_RESULTS: UploadPage(
        "school-results",
        gettext_lazy("Upload results per school"),
        "imports/school_results_upload.html",
        SCHOOL_RESULTS_COLUMNS,
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
            "uploads": [(page.url_name, page.button) for kind, page in UPLOAD_PAGES.items() if kind in kinds],
        },
    )


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, kind: str) -> HttpResponse:
    """Upload a file as a job of this kind, check it at once and show its page; 404 for who may not."""
    user: User = request.user  # type: ignore[assignment]
    page = UPLOAD_PAGES[kind]
    if not import_kind_allowed(user=user, kind=kind):
        raise Http404
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if page.file_label:
        form.fields["file"].label = str(page.file_label)
    if form.is_bound and form.is_valid():
        try:
            job = import_job_create(user=user, kind=kind, uploaded_file=form.cleaned_data["file"])
        except ImportJobError as error:
            form.add_error("file", error.message)
        else:
            import_job_validate(job=job)
            return redirect("imports:job-detail", job_pk=job.pk)
    return render(request, page.template, {"form": form, "columns": page.columns})


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
