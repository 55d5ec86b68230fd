from django import template

from opora.identification.labels import STATUS_CLASSES
from opora.identification.labels import method_label as _method_label
from opora.identification.models import Finding

register = template.Library()


@register.filter
def method_label(method: str) -> str:
    return _method_label(method)


@register.filter
def status_label(status: str) -> str:
    try:
        return str(Finding.Status(status).label)
    except ValueError:
        return status


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "")
