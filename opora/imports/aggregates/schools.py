"""Which school of the register a row of a school-level results file means, in the importing user's scope.

Loaded once per check (a few queries); every row is then matched in memory through the identity map.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.imports.register.format import fold
from opora.imports.schools import unknown_school
from opora.registry.identity import Resolution, SchoolResolver
from opora.registry.models import Municipality, Region

_TOTAL_WORDS = ("итого", "всего", "вся выборка", "российская федерация", "по региону", "по району")


@dataclass
class Problem:
    column: str
    message: str
    warning: bool = False
    school: dict[str, Any] | None = None  # RowError.school: what the job page needs to map the school


class SchoolMatcher:
    def __init__(self, user: User) -> None:
        # The register once per process while it is unchanged; the schools' names only in the user's scope.
        self.resolver = SchoolResolver.cached()
        self.schools = {s.pk: s for s in schools_visible_to(user).select_related("municipality")}
        self.visible = set(self.schools)
        self.municipalities = {fold(m.name): m.pk for m in Municipality.objects.all()}
        self.area_names = set(self.municipalities) | {fold(r.name) for r in Region.objects.all()}

    def is_area(self, text: str) -> bool:
        """The name of a region or municipality of the register, or a total («Итого…», «Вся выборка»)."""
        folded = fold(text)
        return bool(folded) and (folded in self.area_names or folded.startswith(_TOTAL_WORDS))

    def match(
        self, *, login: str, inn: str, name: str, municipality: str, column: Callable[[str], str]
    ) -> tuple[int | None, list[Problem]]:
        """The school in the user's scope (login, then INN, then name within the municipality), or None;
        with the problems found. `column(key)` gives the header of the column "school", "inn" or
        "school_name" (the login's column when the file has no such column)."""
        municipality_id = self.municipalities.get(fold(municipality))
        resolution = Resolution(None)
        first = matched = ""
        for key, value in (("school", login), ("inn", inn), ("school_name", name)):
            if not value:
                continue
            first = first or key  # problems go to the first identifier the row gives: the one they name
            matched = key
            resolution = self.resolver.resolve(
                login=value if key == "school" else "",
                inn=value if key == "inn" else "",
                name=value if key == "school_name" else "",
                municipality_id=municipality_id,
            )
            if resolution.resolved or resolution.ambiguous:
                break
        where = column(first)
        problems: list[Problem] = []
        what = login or inn or name
        if resolution.school_id in self.visible and login and matched != "school":
            found = self.schools[resolution.school_id]
            message = _(
                "the login %(login)s is not in the register; the school «%(name)s» (login %(known)s) "
                "is found by its INN or name"
            ) % {"login": login, "name": found.short_name, "known": found.fis_oko_login or "—"}
            problems.append(Problem(column("school"), message, warning=True))
        if resolution.ambiguous:
            visible = [s for s in resolution.suggestions if s.school_id in self.visible]
            message = _(
                "several schools of the register match «%(what)s»: %(schools)s; the row cannot be matched"
            ) % {"what": what, "schools": ", ".join(f"«{s.name}»" for s in visible) or "—"}
            return None, [Problem(where, message)]
        if resolution.school_id is None:
            message, school = unknown_school(
                self.resolver,
                visible=self.visible,
                login=login,
                inn=inn,
                name=name,
                municipality_id=municipality_id,
            )
            return None, [Problem(where, message, school=school)]
        if resolution.school_id not in self.visible:
            message = _("you may not import results of the school %(login)s: it is outside your area") % {
                "login": what
            }
            return None, [Problem(where, message)]
        return resolution.school_id, problems
