from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from opora.accounts.models import MUNICIPAL_ROLES, SCHOOL_ROLES
from opora.core.http import AuthenticatedHttpRequest


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role lands where its work is: a school on its card, a municipality on its page."""
    user = request.user
    if user.role in SCHOOL_ROLES and user.school_id:
        return redirect("registry:school-detail", school_pk=user.school_id)
    if user.role in MUNICIPAL_ROLES and user.municipality_id:
        return redirect(
            "registry:municipality-detail",
            municipality_pk=user.municipality_id,
        )
    return redirect("registry:school-list")


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/error.html", {"code": 404}, status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/error.html", {"code": 403}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/error.html", {"code": 500}, status=500)
