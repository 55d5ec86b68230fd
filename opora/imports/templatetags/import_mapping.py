from typing import Any

from django import template

from opora.imports.mapping import unknown_schools_for_user
from opora.imports.models import ImportJob

register = template.Library()


@register.inclusion_tag("imports/_unknown_schools.html", takes_context=True)
def unknown_schools(context: template.Context, job: ImportJob) -> dict[str, Any]:
    """The forms to map the unknown schools of a failed job, for the user viewing its page."""
    request = context["request"]
    return {
        "job": job,
        "unknown": unknown_schools_for_user(job=job, user=request.user),
        "csrf_token": context.get("csrf_token"),
    }
