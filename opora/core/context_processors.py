from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from opora.accounts.access import can_import_register, can_view_municipalities
from opora.accounts.models import SCHOOL_ROLES
from opora.identification.access import can_view_identification


def navigation(request: HttpRequest) -> dict[str, object]:
    """The menu by role: every item leads to a page the user may open."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    items: list[tuple[str, str]] = []
    if user.role in SCHOOL_ROLES and user.school_id:
        items.append(
            (_("My school"), reverse("registry:school-detail", kwargs={"school_pk": user.school_id}))
        )
    else:
        if can_view_municipalities(user):
            items.append((_("Municipalities"), reverse("registry:municipality-list")))
        items.append((_("Schools"), reverse("registry:school-list")))
    if can_view_identification(user):
        items.append((_("Identification"), reverse("identification:index")))
    if can_import_register(user):
        items.append((_("Imports"), reverse("imports:job-list")))
    if user.is_staff:
        items.append((_("Administration"), reverse("admin:index")))
    return {"nav_items": items}
