"""Check a register file row by row: the header, then every cell, collecting every problem.

Rows that pass go on to the planner (opora.imports.register.plan), which matches them to the register.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.imports.errors import RowError
from opora.imports.header import header_match
from opora.imports.readers import Row, Table
from opora.imports.register.format import (
    COLUMNS,
    HEADER_WORDS,
    KIND_LABELS,
    KIND_WORDS,
    LOCATION_LABELS,
    LOCATION_WORDS,
    STATUS_LABELS,
    STATUS_WORDS,
    TEXT_LIMITS,
    CellError,
    parse_academic_year,
    parse_choice,
    parse_coordinate,
    parse_digits,
    parse_login,
    parse_names,
    parse_text,
    parse_whole,
)
from opora.imports.register.plan import Columns, ParsedRow, Planner, RegisterPlan, Snapshot
from opora.registry.models import School


class RegisterValidator:
    """One pass over a table: collect every problem, then plan the changes of the error-free rows."""

    def __init__(self, table: Table, user: User) -> None:
        self.table = table
        self.user = user
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.file_logins: set[str] = set()
        self.row_count = 0
        # Rows with cell errors are not planned, but their municipality is still checked: every error
        # of the file is reported at once.
        self.rejected: list[ParsedRow] = []

    def _problem(self, row: int | None, column: str, message: str, *, warning: bool = False) -> None:
        problem = RowError(self.table.file_name, self.table.sheet, row, column, message)
        (self.warnings if warning else self.errors).append(problem)

    def run(self) -> RegisterPlan:
        rows = list(self.table)
        self.row_count = len(rows)
        columns = self._columns(rows)
        if columns is None:
            return RegisterPlan()
        parsed = self._parse_rows(rows, columns)
        years = sorted({p.enrolment[0] for p in parsed if p.enrolment})
        snapshot = Snapshot(self.user, years)
        parsed = [p for p in (self._check_municipality(p, columns, snapshot) for p in parsed) if p]
        for rejected in self.rejected:
            if rejected.values.get("municipality"):
                self._check_municipality(rejected, columns, snapshot)
        planner = Planner(problem=self._problem, file_logins=self.file_logins)
        plan = planner.plan(parsed, columns, snapshot)
        self.errors.sort(key=lambda e: e.row or 0)
        self.warnings.sort(key=lambda e: e.row or 0)
        return plan

    # --- the header -----------------------------------------------------------------------------------

    def _columns(self, rows: list[Row]) -> Columns | None:
        header_row = self.table.header_row
        found = header_match(self.table.header, rows, columns=COLUMNS, words=HEADER_WORDS)
        for problem in found.problems:
            self._problem(header_row, problem.column, problem.message, warning=problem.warning)
        index, titles = found.index, found.titles
        if ("academic_year" in index) != ("pupils" in index):
            self._problem(
                header_row,
                "",
                _("the columns «Учебный год» and «Контингент» go together: add the missing one"),
            )
        return None if self.errors else Columns(index, titles)

    # --- cells ----------------------------------------------------------------------------------------

    def _parse_rows(self, rows: list[Row], columns: Columns) -> list[ParsedRow]:
        parsed: list[ParsedRow] = []
        first_row_of: dict[str, int] = {}
        for row in rows:
            errors_before = len(self.errors)
            result = self._parse_row(row, columns)
            if result.login:
                first = first_row_of.setdefault(result.login, row.number)
                if first != row.number:
                    self._problem(
                        row.number,
                        columns.title("fis_oko_login"),
                        _("the login %(login)s already appears in row %(row)s; a school is described once")
                        % {"login": result.login, "row": first},
                    )
            if len(self.errors) == errors_before:
                parsed.append(result)
            else:
                self.rejected.append(result)
        self.file_logins = set(first_row_of)
        return parsed

    def _parse_row(self, row: Row, columns: Columns) -> ParsedRow:
        values: dict[str, Any] = {}

        def cell(key: str) -> str | None:
            return row.get(columns.index[key]).strip() if key in columns.index else None

        def parse(key: str, parser: Callable[[str], Any], *, required: bool = False, empty: Any = "") -> Any:
            text = cell(key)
            if text is None:
                return None
            if not text:
                if required:
                    self._problem(row.number, columns.title(key), _("the cell is empty; fill it in"))
                return empty
            try:
                return parser(text)
            except CellError as error:
                self._problem(row.number, columns.title(key), str(error))
                return None

        login = parse("fis_oko_login", parse_login, required=True) or ""
        values["fis_oko_login"] = login
        values["municipality"] = cell("municipality") or None
        if values["municipality"] is None:
            self._problem(row.number, columns.title("municipality"), _("the cell is empty; fill it in"))
        for key, digits, label in (("inn", 10, _("INN")), ("ogrn", 13, _("OGRN"))):
            if key in columns.index:
                values[key] = parse(key, partial(parse_digits, digits=digits, label=label))
        for key, limit in TEXT_LIMITS.items():
            if key in columns.index:
                values[key] = parse(key, partial(parse_text, limit=limit), required=key.endswith("_name"))
        values["kind"] = parse(
            "kind", lambda v: parse_choice(v, words=KIND_WORDS, labels=KIND_LABELS), required=True
        )
        if "location" in columns.index:
            values["location"] = parse(
                "location",
                lambda v: parse_choice(v, words=LOCATION_WORDS, labels=LOCATION_LABELS),
                required=True,
            )
        if "settlement_population" in columns.index:
            values["settlement_population"] = parse("settlement_population", parse_whole, empty=None)
        for key, limit in (("latitude", 90), ("longitude", 180)):
            if key in columns.index:
                values[key] = parse(key, partial(parse_coordinate, limit=limit), empty=None)
        if "status" in columns.index:
            values["status"] = parse(
                "status",
                lambda v: parse_choice(v, words=STATUS_WORDS, labels=STATUS_LABELS),
                empty=School.Status.ACTIVE,
            )
        if "successor" in columns.index:
            values["successor"] = parse("successor", parse_login, empty=None)
        if values.get("status") not in (None, School.Status.MERGED):
            values.setdefault("successor", None)  # a school that is not merged has no successor
        self._check_merge(row, columns, values)
        other_names = parse("other_names", parse_names, empty=[]) or []
        return ParsedRow(row.number, login, values, other_names, self._enrolment(row, columns, parse))

    def _check_merge(self, row: Row, columns: Columns, values: dict[str, Any]) -> None:
        status = values.get("status")
        successor = values.get("successor")
        if status == School.Status.MERGED and not successor and _successor_cell_ok(row, columns):
            self._problem(
                row.number,
                columns.title("successor"),
                _("the school is merged («присоединена»): give the FIS OKO login of its successor"),
            )
        elif status is not None and status != School.Status.MERGED and successor:
            self._problem(
                row.number,
                columns.title("successor"),
                _("a successor is given only for a merged school (status «присоединена»)"),
            )
        elif successor and successor == values.get("fis_oko_login"):
            self._problem(row.number, columns.title("successor"), _("a school cannot be its own successor"))

    def _enrolment(self, row: Row, columns: Columns, parse: Callable[..., Any]) -> tuple[int, int] | None:
        if "academic_year" not in columns.index:
            return None
        year = parse("academic_year", parse_academic_year, empty=None)
        pupils = parse("pupils", parse_whole, empty=None)
        year_text = row.get(columns.index["academic_year"]).strip()
        pupils_text = row.get(columns.index["pupils"]).strip()
        if bool(year_text) != bool(pupils_text):
            missing = "academic_year" if not year_text else "pupils"
            self._problem(
                row.number,
                columns.title(missing),
                _("give both the academic year and the number of pupils, or neither"),
            )
            return None
        return (year, pupils) if year is not None and pupils is not None else None

    def _check_municipality(
        self, parsed: ParsedRow, columns: Columns, snapshot: Snapshot
    ) -> ParsedRow | None:
        try:
            parsed.values["municipality"] = snapshot.municipality(parsed.values["municipality"])
        except CellError as error:
            self._problem(parsed.number, columns.title("municipality"), str(error))
            return None
        return parsed

    # --- the plan -------------------------------------------------------------------------------------


def _successor_cell_ok(row: Row, columns: Columns) -> bool:
    """True unless the successor cell holds a malformed login (its own error is already reported)."""
    if "successor" not in columns.index:
        return True
    text = row.get(columns.index["successor"]).strip()
    if not text:
        return True
    try:
        parse_login(text)
    except CellError:
        return False
    return True
