from django import template

from opora.imports.errors import NOT_APPLICABLE
from opora.imports.models import ImportJob, ImportJobEvent

register = template.Library()

_STATUS_CLASSES = {
    ImportJob.Status.VALIDATED: "ok",
    ImportJob.Status.COMMITTED: "ok",
    ImportJob.Status.FAILED: "bad",
    ImportJob.Status.UPLOADED: "warn",
}
_LEVEL_CLASSES = {ImportJobEvent.Level.WARNING: "warn", ImportJobEvent.Level.ERROR: "bad"}


@register.filter
def job_status_class(status: str) -> str:
    """The tag colour of a job status: «tag ok», «tag bad»..."""
    return _STATUS_CLASSES.get(status, "")  # type: ignore[call-overload]


@register.filter
def event_level_class(level: str) -> str:
    return _LEVEL_CLASSES.get(level, "")  # type: ignore[call-overload]


@register.filter
def or_dash(value: object) -> object:
    """An empty cell of an error or a diff shows as «—»."""
    return NOT_APPLICABLE if value in (None, "") else value
