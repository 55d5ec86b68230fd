"""Check a social passport file row by row and plan what it changes.

The register, the identity map and the stored passports of the file's schools and years are loaded once
per check (a fixed number of queries); every row is then parsed, resolved and diffed in memory.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.imports.context.format import (
    COLUMN_BY_KEY,
    COLUMNS,
    HEADER_WORDS,
    SHARE_KEYS,
    parse_share,
)
from opora.imports.errors import RowError
from opora.imports.header import header_match
from opora.imports.readers import Row, Table
from opora.imports.register.format import (
    CellError,
    decimal_label,
    parse_academic_year,
    parse_digits,
    parse_login,
    year_label,
)
from opora.imports.schools import unknown_school
from opora.registry.identity import Resolution, SchoolResolver
from opora.registry.models import School, SchoolAlias, SchoolContext

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class ContextItem:
    """One row of the file: the passport of a school in a year, and what committing does to it."""

    row: int
    login: str
    school_id: int
    short_name: str
    start_year: int
    action: str
    values: dict[str, Decimal | None]  # the fields to write: create: every column given; update: changed
    changes: list[dict[str, str]]  # {column, old, new} as the preview shows them


@dataclass
class ContextPlan:
    items: list[ContextItem] = field(default_factory=list)

    def of(self, action: str) -> list[ContextItem]:
        return [item for item in self.items if item.action == action]


@dataclass
class _Parsed:
    row: int
    school_id: int
    login: str
    start_year: int
    shares: dict[str, Decimal | None]


class ContextValidator:
    """One pass over a table: collect every problem, then plan the changes if there are none."""

    def __init__(self, table: Table, user: User) -> None:
        self.table = table
        self.user = user
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.row_count = 0
        self.index: dict[str, int] = {}
        self.titles: dict[str, str] = {}

    def _problem(self, row: int | None, column: str, message: str, *, warning: bool = False) -> None:
        problem = RowError(self.table.file_name, self.table.sheet, row, column, message)
        (self.warnings if warning else self.errors).append(problem)

    def title(self, key: str) -> str:
        return self.titles.get(key) or COLUMN_BY_KEY[key].title

    def run(self) -> ContextPlan:
        rows = list(self.table)
        self.row_count = len(rows)
        if not self._columns(rows):
            return ContextPlan()
        schools = {s.pk: s for s in School.objects.select_related("municipality")}
        aliases = SchoolAlias.objects.only("school_id", "kind", "value")
        self.schools = schools
        self.resolver = SchoolResolver(schools.values(), aliases)
        self.visible = set(schools_visible_to(self.user).values_list("pk", flat=True))
        parsed: list[_Parsed] = []
        first_row: dict[tuple[int, int], int] = {}
        for row in rows:
            item = self._parse_row(row)
            if item is None:
                continue
            key = (item.school_id, item.start_year)
            first = first_row.setdefault(key, item.row)
            if first != item.row:
                self._problem(
                    item.row,
                    self.title("academic_year"),
                    _("row %(row)s already gives the social passport of this school for %(year)s")
                    % {"row": first, "year": year_label(item.start_year)},
                )
                continue
            parsed.append(item)
        self.errors.sort(key=lambda e: e.row or 0)
        self.warnings.sort(key=lambda e: e.row or 0)
        if self.errors:
            return ContextPlan()
        return self._plan(parsed)

    # --- the header -----------------------------------------------------------------------------------

    def _columns(self, rows: list[Row]) -> bool:
        header_row = self.table.header_row
        found = header_match(self.table.header, rows, columns=COLUMNS, words=HEADER_WORDS)
        for problem in found.problems:
            self._problem(header_row, problem.column, problem.message, warning=problem.warning)
        self.index.update(found.index)
        self.titles.update(found.titles)
        if not found.missing and not any(key in self.index for key in SHARE_KEYS):
            self._problem(
                header_row,
                "",
                _("the file has none of the share columns (%(columns)s): there is nothing to import")
                % {"columns": ", ".join(f"«{COLUMN_BY_KEY[k].title}»" for k in SHARE_KEYS)},
            )
        return not self.errors

    # --- cells ----------------------------------------------------------------------------------------

    def _cell(self, row: Row, key: str) -> str | None:
        return row.get(self.index[key]).strip() if key in self.index else None

    def _parse_row(self, row: Row) -> _Parsed | None:
        errors_before = len(self.errors)
        login = self._cell(row, "fis_oko_login") or ""
        inn = self._cell(row, "inn") or ""
        if login:
            try:
                login = parse_login(login)
            except CellError as error:
                self._problem(row.number, self.title("fis_oko_login"), str(error))
                login = ""
        elif not inn:
            self._problem(row.number, self.title("fis_oko_login"), _("the cell is empty; fill it in"))
        if inn:
            try:
                inn = parse_digits(inn, digits=10, label=_("INN"))
            except CellError as error:
                self._problem(row.number, self.title("inn"), str(error))
                inn = ""
        start_year: int | None = None
        year_text = self._cell(row, "academic_year") or ""
        if not year_text:
            self._problem(row.number, self.title("academic_year"), _("the cell is empty; fill it in"))
        else:
            try:
                start_year = parse_academic_year(year_text)
            except CellError as error:
                self._problem(row.number, self.title("academic_year"), str(error))
        shares: dict[str, Decimal | None] = {}
        for key in SHARE_KEYS:
            text = self._cell(row, key)
            if text is None:
                continue
            try:
                shares[key] = parse_share(text) if text else None
            except CellError as error:
                self._problem(row.number, self.title(key), str(error))
        school_id = self._school(row, login, inn) if (login or inn) else None
        if len(self.errors) != errors_before or school_id is None or start_year is None:
            return None
        login = login or self.schools[school_id].fis_oko_login or ""
        return _Parsed(row.number, school_id, login, start_year, shares)

    def _school(self, row: Row, login: str, inn: str) -> int | None:
        """The school of the row in the user's scope, or None (with the problem reported)."""
        resolution = self.resolver.resolve(login=login) if login else Resolution(None)
        column = "fis_oko_login"
        if not resolution.resolved and not resolution.ambiguous and inn:
            resolution = self.resolver.resolve(inn=inn)
            column = "inn"
            if resolution.school_id is not None and login:
                found = self.schools[resolution.school_id]
                if found.pk in self.visible:
                    self._problem(
                        row.number,
                        self.title("inn"),
                        _(
                            "the login %(login)s is not in the register; the school «%(name)s» "
                            "(login %(known)s) is found by its INN"
                        )
                        % {"login": login, "name": found.short_name, "known": found.fis_oko_login or "—"},
                        warning=True,
                    )
        what = login if column == "fis_oko_login" else inn
        if resolution.ambiguous:
            visible = [s for s in resolution.suggestions if s.school_id in self.visible]
            self._problem(
                row.number,
                self.title(column),
                _(
                    "several schools of the register have this %(what)s: %(schools)s; "
                    "the row cannot be matched"
                )
                % {
                    "what": _("login") if column == "fis_oko_login" else _("INN"),
                    "schools": ", ".join(f"«{s.name}»" for s in visible) or "—",
                },
            )
            return None
        if resolution.school_id is None:
            message, school = unknown_school(
                self.resolver,
                visible=self.visible,
                login=login,
                inn=inn,
                name=self._cell(row, "school_name") or "",
            )
            self.errors.append(
                RowError(
                    self.table.file_name, self.table.sheet, row.number, self.title(column), message, school
                )
            )
            return None
        if resolution.school_id not in self.visible:
            self._problem(
                row.number,
                self.title(column),
                _("you may not import data of the school %(login)s: it is outside your area")
                % {"login": what},
            )
            return None
        return resolution.school_id

    # --- the plan -------------------------------------------------------------------------------------

    def _plan(self, parsed: list[_Parsed]) -> ContextPlan:
        stored: dict[tuple[int, int], SchoolContext] = {}
        school_ids = sorted({p.school_id for p in parsed})
        years = sorted({p.start_year for p in parsed})
        if parsed:
            for context in SchoolContext.objects.filter(
                school_id__in=school_ids, academic_year__start_year__in=years
            ).select_related("academic_year"):
                stored[(context.school_id, context.academic_year.start_year)] = context
        plan = ContextPlan()
        for p in parsed:
            current = stored.get((p.school_id, p.start_year))
            values: dict[str, Decimal | None] = {}
            changes: list[dict[str, str]] = []
            for key, new in p.shares.items():
                old = getattr(current, key) if current is not None else None
                if old != new:
                    values[key] = new
                    changes.append(
                        {
                            "column": COLUMN_BY_KEY[key].title,
                            "old": decimal_label(old),
                            "new": decimal_label(new),
                        }
                    )
            if current is None:
                action = CREATE if changes else UNCHANGED  # a passport of unknowns only is not stored
                values = dict(p.shares) if changes else {}
            else:
                action = UPDATE if changes else UNCHANGED
            plan.items.append(
                ContextItem(
                    row=p.row,
                    login=p.login,
                    school_id=p.school_id,
                    short_name=self.schools[p.school_id].short_name,
                    start_year=p.start_year,
                    action=action,
                    values=values,
                    changes=changes,
                )
            )
        return plan


def preview_item(item: ContextItem) -> dict[str, Any]:
    return {
        "row": item.row,
        "login": item.login,
        "short_name": f"{item.short_name}, {year_label(item.start_year)}",
        "academic_year": year_label(item.start_year),
        "action": item.action,
        "changes": item.changes,
    }
