"""Which school a row of a pupil results file names: resolved through the identity map, in the user's scope.

A mixin of the validator: each distinct school of the file is resolved once, and a problem with it is
reported once, on its first row.
"""

from django.utils.translation import gettext as _

from opora.imports.errors import RowError
from opora.imports.readers import Row, Table
from opora.imports.register.format import CellError, parse_digits, parse_login
from opora.imports.schools import unknown_school
from opora.registry.identity import Resolution, SchoolResolver
from opora.registry.models import School, SchoolAlias


class SchoolRows:
    table: Table
    index: dict[str, int]
    errors: list[RowError]
    resolver: SchoolResolver
    visible: set[int]
    _schools_seen: dict[tuple[str, str, str, str], int | None]

    def _problem(self, row: int | None, column: str, message: str, *, warning: bool = False) -> None:
        raise NotImplementedError

    def _cell(self, row: Row, key: str) -> str:
        raise NotImplementedError

    def title(self, key: str) -> str:
        raise NotImplementedError

    def _school(self, row: Row) -> int | None:
        """The row's school in the user's scope; a problem is reported once per school, on its first row."""
        login, inn, ogrn = self._cell(row, "school"), self._cell(row, "inn"), self._cell(row, "ogrn")
        name = " ".join(self._cell(row, "school_name").split())
        identity = (login.lower(), inn, ogrn, name)
        if identity in self._schools_seen:
            return self._schools_seen[identity]
        errors_before = len(self.errors)
        try:
            login = parse_login(login) if login else ""
        except CellError as error:
            self._problem(row.number, self.title("school"), str(error))
        try:
            inn = parse_digits(inn, digits=10, label=_("INN")) if inn else ""
        except CellError as error:
            self._problem(row.number, self.title("inn"), str(error))
        try:
            ogrn = parse_digits(ogrn, digits=13, label=_("OGRN")) if ogrn else ""
        except CellError as error:
            self._problem(row.number, self.title("ogrn"), str(error))
        school_id: int | None = None
        if len(self.errors) == errors_before:
            school_id = self._resolve(row, login, inn, ogrn, name)
        self._schools_seen[identity] = school_id
        return school_id

    def _school_column(self, login: str, inn: str, ogrn: str) -> str:
        key = "school" if login else "inn" if inn else "ogrn" if ogrn else "school_name"
        return self.title(key) if key in self.index else self.title("school")

    def _resolve(self, row: Row, login: str, inn: str, ogrn: str, name: str) -> int | None:
        column = self._school_column(login, inn, ogrn)
        if not (login or inn or ogrn or name):
            self._problem(
                row.number,
                column,
                _("the school is not given: fill in its FIS OKO login (or INN, OGRN, name)"),
            )
            return None
        resolution: Resolution = self.resolver.resolve(login=login, inn=inn, ogrn=ogrn, name=name)
        shown = login or inn or ogrn or name
        if resolution.ambiguous:
            self._problem(
                row.number,
                column,
                _("several schools of the register match «%(value)s»: %(schools)s; the row cannot be matched")
                % {
                    "value": shown,
                    "schools": ", ".join(
                        f"«{s.name}» ({s.municipality})"
                        for s in resolution.suggestions
                        if s.school_id in self.visible
                    )
                    or "—",
                },
            )
            return None
        if resolution.school_id is None:
            message, school = unknown_school(
                self.resolver,
                visible=self.visible,
                login=login,
                inn=inn,
                ogrn=ogrn,
                name=name,
                candidates=resolution.suggestions,
            )
            self.errors.append(
                RowError(self.table.file_name, self.table.sheet, row.number, column, message, school=school)
            )
            return None
        if (
            resolution.school_id in self.visible
            and login
            and resolution.matched_by != SchoolAlias.Kind.FIS_OKO_LOGIN
        ):  # rare: one query per such school
            found = School.objects.filter(pk=resolution.school_id).first()
            self._problem(
                row.number,
                column,
                _(
                    "the login %(login)s is not in the register; the school «%(name)s» (login %(known)s) "
                    "is found by its %(what)s"
                )
                % {
                    "login": login,
                    "name": found.short_name if found else "",
                    "known": (found.fis_oko_login if found else "") or "—",
                    "what": _("INN")
                    if resolution.matched_by == SchoolAlias.Kind.INN
                    else _("OGRN")
                    if resolution.matched_by == SchoolAlias.Kind.OGRN
                    else _("name"),
                },
                warning=True,
            )
        if resolution.school_id not in self.visible:
            self._problem(
                row.number,
                column,
                _("you may not import results of the school %(login)s: it is outside your area")
                % {"login": shown},
            )
            return None
        return resolution.school_id
