"""Reads of import jobs, always for a user: administrators see every job, everyone else their own."""

from django.db.models import QuerySet
from django.http import Http404

from opora.accounts.access import can_import_register
from opora.accounts.models import Role, User
from opora.imports.models import ImportJob, ImportJobEvent


def import_kind_allowed(*, user: User, kind: str) -> bool:
    """May this user upload and commit files of this kind?"""
    if kind in ImportJob.Kind.values:
        # Results and passports: the same staff as the register; every school a file names is then checked
        # against the user's scope by its importer.
        return can_import_register(user)
    return False


def import_kinds_for_user(*, user: User) -> list[str]:
    return [kind for kind in ImportJob.Kind.values if import_kind_allowed(user=user, kind=kind)]


def import_job_list_for_user(*, user: User) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")
    if not user.is_authenticated or not user.is_active:
        return jobs.none()
    if user.is_superuser or user.role == Role.ADMINISTRATOR:
        return jobs
    return jobs.filter(created_by=user)


def import_job_get_for_user(*, user: User, pk: int) -> ImportJob:
    try:
        return import_job_list_for_user(user=user).select_related("committed_by").get(pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404("Import job not found") from None


def import_job_events(*, job: ImportJob) -> QuerySet[ImportJobEvent]:
    return job.events.order_by("at", "id")
