"""A school a file names but the register does not have: one message, one set of suggestions, for every
importer. Suggestions are only ever schools the importing user may see."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from opora.registry.identity import SchoolResolver, Suggestion
from opora.registry.models import SchoolAlias

SUGGESTIONS = 3


def unknown_school(
    resolver: SchoolResolver,
    *,
    visible: set[int],
    login: str = "",
    inn: str = "",
    ogrn: str = "",
    name: str = "",
    municipality_id: int | None = None,
    candidates: Sequence[Suggestion] = (),
) -> tuple[str, dict[str, Any]]:
    """The Russian message for the row and its `RowError.school` (what the job page needs to map the first
    identifier given to a school, as an alias). Suggestions: `candidates` (from the resolution), else the
    closest names, else the closest logins — in the user's scope only."""
    if login:
        message = _("the school with the FIS OKO login %(login)s is not in the register") % {"login": login}
    elif inn:
        message = _("the school with the INN %(inn)s is not in the register") % {"inn": inn}
    elif ogrn:
        message = _("the school with the OGRN %(ogrn)s is not in the register") % {"ogrn": ogrn}
    else:
        message = _("the school «%(name)s» is not in the register") % {"name": name}
    suggestions = [s for s in candidates if s.school_id in visible]
    if not suggestions and name:
        found = resolver.suggest(name, municipality_id=municipality_id, limit=10)
        suggestions = [s for s in found if s.school_id in visible]
    if not suggestions and login:
        suggestions = [s for s in resolver.suggest_login(login, limit=10) if s.school_id in visible]
    suggestions = suggestions[:SUGGESTIONS]
    if suggestions:
        message += "; " + _("similar schools: %(schools)s") % {
            "schools": ", ".join(f"{s.login or '—'} «{s.name}» ({s.municipality})" for s in suggestions)
        }
    kind, identifier = next(
        (k, value)
        for k, value in (
            (SchoolAlias.Kind.FIS_OKO_LOGIN, login),
            (SchoolAlias.Kind.INN, inn),
            (SchoolAlias.Kind.OGRN, ogrn),
            (SchoolAlias.Kind.NAME, name),
        )
        if value or k == SchoolAlias.Kind.NAME
    )
    school = {
        "identifier": identifier,
        "kind": kind.value,
        "name": name,
        "suggestions": [s.school_id for s in suggestions],
    }
    return message, school
