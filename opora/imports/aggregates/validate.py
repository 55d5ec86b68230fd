"""Check a school-level results file row by row and plan what it changes.

The register, the identity map, the procedures, the subjects and the stored results of the file's
assessments are loaded once per check (a fixed number of queries); every row is then parsed, resolved and
compared in memory.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.assessments.models import Assessment, Procedure, SchoolAggregateResult, Subject
from opora.imports.aggregates.format import (
    COLUMN_BY_KEY,
    COLUMNS,
    COUNT_KEYS,
    HEADER_WORDS,
    LEVEL_PREFIX,
    MARK_SHARES,
    MEAN_SCORE,
    RESULT_KEYS,
    SCHOOL_KEYS,
    SHARE_KEYS,
    VALUE_KEYS,
    is_empty,
    level_name,
    parse_bounded,
    parse_count,
)
from opora.imports.aggregates.layout import Title, read_title, unfold_wide
from opora.imports.aggregates.schools import SchoolMatcher
from opora.imports.errors import RowError
from opora.imports.header import header_match
from opora.imports.readers import Row, Table
from opora.imports.register.format import CellError, fold, parse_digits, parse_login

CREATE, REPLACE, UNCHANGED = "create", "replace", "unchanged"
FIRST_YEAR = 2000
DEFAULT_GRADES = {"огэ": 9, "гвэ-9": 9, "егэ": 11, "гвэ-11": 11}
TEST_SCORE_PROCEDURES = {"егэ"}
# The model field of each count that is named differently in the file format.
MODEL_FIELDS = {
    "below_minimum_count": "below_minimum",
    "score_80_99_count": "scored_80_99",
    "score_100_count": "scored_100",
}
STORED_FIELDS = ("participants", *(MODEL_FIELDS.get(k, k) for k in RESULT_KEYS), "level_shares")
_LOGIN = re.compile(r"\b(edu\d{6}|sch\d{6,8})\b", re.IGNORECASE)
_LOGIN_ATTEMPT = re.compile(r"^(edu|sch)\S*$", re.IGNORECASE)
_TOTAL_WORDS = ("итого", "всего", "вся выборка", "российская федерация", "по региону", "по району")
_SHARE_TOLERANCE = Decimal(2)
_MAX_MEAN_PRIMARY = Decimal("9999.99")
_HUNDRED = Decimal(100)
MAX_PROCEDURE_CODE = 16
MAX_SKIPPED_SHOWN = 50

ItemKey = tuple[int, str, int, int]  # year, procedure code, subject id, grade


def assessment_title(code: str, year: int, subject: str, grade: int) -> str:
    return f"{code} {year} · {subject} · {grade} класс"


@dataclass
class AggregateItem:
    """One school's result in one assessment, and what committing does to it."""

    row: int
    key: ItemKey
    school_id: int
    login: str
    school: str
    municipality: str
    assessment: str
    values: dict[str, Any]  # the SchoolAggregateResult fields to write
    action: str = CREATE
    result_id: int | None = None
    old_participants: int | None = None
    old_sha256: str = ""


@dataclass
class AggregatePlan:
    file_name: str
    sha256: str
    job_id: int | None
    layout: str
    procedures: dict[str, int | None] = field(default_factory=dict)  # code → pk, None: created on commit
    subjects: dict[int, str] = field(default_factory=dict)
    assessments: dict[ItemKey, int | None] = field(default_factory=dict)  # None: created on commit
    items: list[AggregateItem] = field(default_factory=list)
    skipped: int = 0
    skipped_rows: list[dict[str, Any]] = field(default_factory=list)

    def of(self, action: str) -> list[AggregateItem]:
        return [item for item in self.items if item.action == action]

    @property
    def new_procedures(self) -> list[str]:
        return sorted(code for code, pk in self.procedures.items() if pk is None)


class AggregateValidator:
    """One pass over a table: collect every problem, then plan the changes if there are none."""

    def __init__(self, table: Table, user: User, *, sha256: str, job_id: int | None) -> None:
        self.table = table
        self.user = user
        self.sha256 = sha256
        self.job_id = job_id
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.row_count = 0
        self.skipped = 0
        self.skipped_numbers: set[int] = set()
        self.skipped_rows: list[dict[str, Any]] = []  # the first ones, for the preview
        self.index: dict[str, int] = {}
        self.titles: dict[str, str] = {}
        self.levels: dict[str, str] = {}  # level column key → level name
        self.title: Title | None = None
        self.reported: set[str] = set()  # problems of the title or a missing column, reported once
        self.header: tuple[str, ...] = table.header
        self.wide = False  # subjects side by side, unfolded into one row per school × subject
        self.current_subject = ""

    def _problem(self, row: int | None, column: str, message: str, *, warning: bool = False) -> None:
        problem = RowError(self.table.file_name, self.table.sheet, row, column, message)
        (self.warnings if warning else self.errors).append(problem)

    def column(self, key: str) -> str:
        """The column's header as the file writes it (or the format's, when the file has none)."""
        title = self.titles.get(key) or (COLUMN_BY_KEY[key].title if key in COLUMN_BY_KEY else "")
        if self.current_subject and title and key in VALUE_KEYS:
            return f"{self.current_subject} · {title}"
        return title

    @property
    def layout(self) -> str:
        if self.wide:
            return "exam_wide"
        if "procedure" in self.index:
            return "canonical"
        if self.title is not None and self.title.procedure != "ВПР":
            return "exam"
        return "vpr_statistics"

    def run(self) -> AggregatePlan | None:
        rows = list(self.table)
        self.row_count = len(rows)
        self._load()
        unfolded = unfold_wide(self.table, rows, self.subjects)
        if unfolded is not None:
            self.wide = True
            self.header, rows, problems = unfolded
            self.errors.extend(problems)
        if not self._columns(rows):
            return None
        self.title = read_title(self.table)
        parsed: list[AggregateItem] = []
        first_row: dict[tuple[ItemKey, int], int] = {}
        for row in rows:
            self.current_subject = row.get(self.index["subject"]).strip() if self.wide else ""
            item = self._parse_row(row)
            if item is None:
                continue
            first = first_row.setdefault((item.key, item.school_id), item.row)
            if first != item.row:
                self._problem(
                    item.row,
                    self.column("school") or self.column("school_name"),
                    _("row %(row)s already gives the results of this school in %(assessment)s")
                    % {"row": first, "assessment": item.assessment},
                )
                continue
            parsed.append(item)
        if not parsed and not self.errors:
            self._problem(
                self.table.header_row, "", _("the table has no rows of schools: there is nothing to import")
            )
        self.errors.sort(key=lambda e: e.row or 0)
        self.warnings.sort(key=lambda e: e.row or 0)
        if self.errors:
            return None
        return self._plan(parsed)

    # --- the header and the title -------------------------------------------------------------------

    def _columns(self, rows: list[Row]) -> bool:
        header_row = self.table.header_row
        words = dict(HEADER_WORDS)
        for cell in self.header:
            name = level_name(cell)
            if name is not None:
                words[fold(cell)] = LEVEL_PREFIX + name
        found = header_match(self.header, rows, columns=COLUMNS, words=words)
        for problem in found.problems:
            self._problem(header_row, problem.column, problem.message, warning=problem.warning)
        self.index.update(found.index)
        self.titles.update(found.titles)
        self.levels = {
            key: key.removeprefix(LEVEL_PREFIX) for key in found.index if key.startswith(LEVEL_PREFIX)
        }
        if found.missing:
            return False
        if not any(key in self.index for key in SCHOOL_KEYS):
            self._problem(
                header_row,
                "",
                _("the table has no column naming the school: add «%(login)s», «%(inn)s» or «%(name)s»")
                % {
                    "login": COLUMN_BY_KEY["school"].title,
                    "inn": COLUMN_BY_KEY["inn"].title,
                    "name": COLUMN_BY_KEY["school_name"].title,
                },
            )
        if not self.levels and not any(key in self.index for key in (*RESULT_KEYS, MEAN_SCORE)):
            self._problem(
                header_row,
                "",
                _(
                    "the table has no result columns (shares of marks, mean scores, …): "
                    "there is nothing to import"
                ),
            )
        return not self.errors

    # --- what the database knows ----------------------------------------------------------------------

    def _load(self) -> None:
        self.matcher = SchoolMatcher(self.user)
        self.schools = self.matcher.schools
        self.procedures: dict[str, Procedure] = {}
        for procedure in Procedure.objects.all():
            self.procedures[fold(procedure.code)] = procedure
            self.procedures.setdefault(fold(procedure.name), procedure)
        self.subjects: dict[str, Subject] = {}
        for subject in Subject.objects.all():
            self.subjects[fold(subject.name)] = subject
            self.subjects.setdefault(fold(subject.code), subject)
        self.new_procedures: dict[str, int] = {}  # folded label → the row that named it first

    # --- cells ----------------------------------------------------------------------------------------

    def _cell(self, row: Row, key: str) -> str:
        return row.get(self.index[key]).strip() if key in self.index else ""

    def _parse_row(self, row: Row) -> AggregateItem | None:
        errors_before = len(self.errors)
        identity = self._identity(row)
        if identity is None and len(self.errors) == errors_before:
            if row.number in self.skipped_numbers:
                return None
            self.skipped_numbers.add(row.number)
            self.skipped += 1
            if len(self.skipped_rows) < MAX_SKIPPED_SHOWN:
                label = (
                    self._cell(row, "school")
                    or self._cell(row, "school_name")
                    or self._cell(row, "municipality")
                )
                self.skipped_rows.append({"row": row.number, "label": label})
            return None
        assessment = self._assessment(row)
        values = self._values(row, assessment[1] if assessment else "")
        school_id = self._school(row, *identity) if identity is not None else None
        if len(self.errors) != errors_before or assessment is None or school_id is None or values is None:
            return None
        code, subject = assessment[1], self.subjects[fold(assessment[2])]
        key: ItemKey = (assessment[0], code, subject.pk, assessment[3])
        school = self.schools[school_id]
        return AggregateItem(
            row=row.number,
            key=key,
            school_id=school_id,
            login=school.fis_oko_login or "",
            school=school.short_name,
            municipality=school.municipality.name,
            assessment=assessment_title(code, key[0], subject.name, key[3]),
            values=values,
        )

    def _identity(self, row: Row) -> tuple[str, str, str] | None:
        """(login, INN, name) of the row's school; None for a row of the region, a municipality or a total
        (skipped), or when a problem is reported."""
        school_text = self._cell(row, "school")
        name = self._cell(row, "school_name")
        login = ""
        if school_text:
            if match := _LOGIN.search(school_text):
                login = match.group(1).lower()
                name = name or school_text[match.end() :].strip(" :-–—,()")
            elif _LOGIN_ATTEMPT.match(school_text):
                try:
                    login = parse_login(school_text)
                except CellError as error:
                    self._problem(row.number, self.column("school"), str(error))
                    return None
            else:
                name = name or school_text
        inn = self._cell(row, "inn")
        if inn:
            try:
                inn = parse_digits(inn, digits=10, label=_("INN"))
            except CellError as error:
                self._problem(row.number, self.column("inn"), str(error))
                return None
        if login or inn:
            return login, inn, name
        # In ФИС ОКО's «Статистика по отметкам» every school has its login in the «ОО» cell: a row without
        # one is the region, a municipality (spelled as ФИС ОКО spells it) or a total.
        only_logins = self.layout == "vpr_statistics" and not {"inn", "school_name"} & set(self.index)
        if name and not only_logins and not self.matcher.is_area(name):
            return login, inn, name
        if name or self.matcher.is_area(self._cell(row, "municipality")):
            return None  # a row of the region, a municipality or a total
        self._problem(
            row.number,
            self.column("school") or self.column("school_name") or self.column("inn"),
            _("the school is not given; fill in its login, INN or name"),
        )
        return None

    def _assessment(self, row: Row) -> tuple[int, str, str, int] | None:
        """(year, procedure code, subject name as the file writes it, grade), with every problem reported."""
        title = self.title
        year = self._year(row, title)
        code = self._procedure(row, title)
        subject_text = self._cell(row, "subject") or (title.subject if title else "")
        subject_ok = True
        if not subject_text:
            self._missing(row, "subject")
            subject_ok = False
        elif fold(subject_text) not in self.subjects:
            subject_ok = False
            from_title = not self._cell(row, "subject")
            if from_title and "title_subject" in self.reported:
                return None
            self.reported.add("title_subject" if from_title else "")
            known = sorted({s.name for s in self.subjects.values()})
            self._problem(
                title.row if from_title and title else row.number,
                "" if from_title else self.column("subject"),
                _("unknown subject «%(subject)s»; known subjects: %(known)s")
                % {"subject": subject_text, "known": ", ".join(known)},
            )
        grade = self._grade(row, title, code)
        if year is None or code is None or not subject_ok or grade is None:
            return None
        return year, code, subject_text, grade

    def _missing(self, row: Row, key: str) -> None:
        if key in self.index:
            self._problem(row.number, self.column(key), _("the cell is empty; fill it in"))
        elif key not in self.reported:
            self.reported.add(key)
            self._problem(
                None,
                "",
                _(
                    "the file does not say the %(what)s: add a column «%(column)s» or a title line above the "
                    "table such as «ВПР 2025. Математика. 5 класс»"
                )
                % {"what": _WHAT[key](), "column": COLUMN_BY_KEY[key].title},
            )

    def _year(self, row: Row, title: Title | None) -> int | None:
        text = self._cell(row, "year")
        if not text:
            if title is None:
                self._missing(row, "year")
                return None
            year, column, where = title.year, "", title.row
            if "title_year" in self.reported:
                return None if not FIRST_YEAR <= year <= timezone.localdate().year else year
            self.reported.add("title_year")
        else:
            column, where = self.column("year"), row.number
            try:
                year = parse_count(text.removesuffix("г.").strip())
            except CellError:
                self._problem(
                    where,
                    column,
                    _("the year must be a number such as 2025, got «%(value)s»") % {"value": text},
                )
                return None
        last = timezone.localdate().year
        if not FIRST_YEAR <= year <= last:
            self._problem(
                where,
                column,
                _("the year %(year)s is impossible: results are from %(first)s to %(last)s")
                % {"year": year, "first": FIRST_YEAR, "last": last},
            )
            return None
        return year

    def _procedure(self, row: Row, title: Title | None) -> str | None:
        text = self._cell(row, "procedure") or (title.procedure if title else "")
        if not text:
            self._missing(row, "procedure")
            return None
        known = self.procedures.get(fold(text))
        if known is not None:
            return known.code
        label = re.sub(r"\s+", " ", text)
        if len(label) > MAX_PROCEDURE_CODE:
            self._problem(
                row.number,
                self.column("procedure"),
                _("the procedure label «%(label)s» is longer than %(limit)s characters")
                % {"label": label, "limit": MAX_PROCEDURE_CODE},
            )
            return None
        folded = fold(label)
        if folded not in self.new_procedures:
            self.new_procedures[folded] = row.number
            self._problem(
                row.number,
                self.column("procedure"),
                _("the procedure «%(label)s» is new: it will be created as a regional procedure")
                % {"label": label},
                warning=True,
            )
            self.procedures[folded] = Procedure(code=label, name=label)  # unsaved: created on commit
        return self.procedures[folded].code

    def _grade(self, row: Row, title: Title | None, code: str | None) -> int | None:
        text = self._cell(row, "grade")
        if not text:
            grade = title.grade if title is not None else None
            grade = grade or DEFAULT_GRADES.get(fold(code or ""))
            if grade is None and code is not None:
                self._missing(row, "grade")
            return grade
        try:
            grade = parse_count(text)
        except CellError:
            grade = 0
        if not 1 <= grade <= 11:
            self._problem(
                row.number,
                self.column("grade"),
                _("the grade must be from 1 to 11, got «%(value)s»") % {"value": text},
            )
            return None
        return grade

    def _values(self, row: Row, code: str) -> dict[str, Any] | None:
        """The row's results as model fields; None (with the problems reported) when a cell is wrong."""
        errors_before = len(self.errors)
        values: dict[str, Any] = {}
        participants: int | None = None
        text = self._cell(row, "participants")
        if is_empty(text):
            self._problem(row.number, self.column("participants"), _("the cell is empty; fill it in"))
        else:
            try:
                participants = parse_count(text)
            except CellError as error:
                self._problem(row.number, self.column("participants"), str(error))
        parsed: dict[str, Decimal | int | None] = {}
        for key in RESULT_KEYS:
            parsed[key] = self._number(row, key)
        mean_score = self._number(row, MEAN_SCORE)
        if mean_score is not None:
            target = "mean_test_score" if fold(code) in TEST_SCORE_PROCEDURES else "mean_primary_score"
            if target == "mean_test_score" and mean_score > _HUNDRED:
                self._problem(
                    row.number,
                    self.column(MEAN_SCORE),
                    _("the value must be from %(low)s to %(high)s, got «%(value)s»")
                    % {"low": 0, "high": 100, "value": self._cell(row, MEAN_SCORE)},
                )
            elif parsed[target] is None:
                parsed[target] = mean_score
        levels: dict[str, float] = {}
        for key, name in self.levels.items():
            share = self._number(row, key)
            if share is not None:
                levels[name] = float(share)
        if len(self.errors) != errors_before or participants is None:
            return None
        if participants == 0 and not levels and all(v is None for v in parsed.values()):
            self._problem(
                row.number,
                self.column("participants"),
                _("there are no participants: the row is skipped"),
                warning=True,
            )
            return None
        self._cross_checks(row, participants, parsed, levels)
        if len(self.errors) != errors_before:
            return None
        values["participants"] = participants
        for key, value in parsed.items():
            values[MODEL_FIELDS.get(key, key)] = value
        values["level_shares"] = levels
        return values

    def _number(self, row: Row, key: str) -> Decimal | int | None:
        if key not in self.index:
            return None
        text = self._cell(row, key)
        if is_empty(text):
            return None
        try:
            if key in COUNT_KEYS:
                return parse_count(text)
            if key in SHARE_KEYS or key.startswith(LEVEL_PREFIX) or key == "mean_test_score":
                return parse_bounded(text, low=Decimal(0), high=_HUNDRED)
            if key == "mean_mark":
                return parse_bounded(text, low=Decimal(2), high=Decimal(5))
            return parse_bounded(text, low=Decimal(0), high=_MAX_MEAN_PRIMARY)
        except CellError as error:
            self._problem(row.number, self.column(key) or self.titles.get(key, key), str(error))
            return None

    def _cross_checks(
        self, row: Row, participants: int, parsed: dict[str, Decimal | int | None], levels: dict[str, float]
    ) -> None:
        for key in COUNT_KEYS:
            count = parsed[key]
            if count is not None and count > participants:
                self._problem(
                    row.number,
                    self.column(key),
                    _("%(count)s is more than the %(participants)s participants")
                    % {"count": count, "participants": participants},
                )
        high = [int(v) for k in ("score_80_99_count", "score_100_count") if (v := parsed[k]) is not None]
        if len(high) == 2 and sum(high) > participants:
            self._problem(
                row.number,
                self.column("score_100_count"),
                _("the high scorers (%(count)s) are more than the %(participants)s participants")
                % {"count": sum(high), "participants": participants},
            )
        marks = [Decimal(v) for k in MARK_SHARES if (v := parsed[k]) is not None]
        if len(marks) == len(MARK_SHARES):
            total = sum(marks, Decimal(0))
            if abs(total - _HUNDRED) > _SHARE_TOLERANCE:
                self._problem(
                    row.number,
                    self.column("share_5"),
                    _("the shares of the marks add up to %(total)s%%, not 100%%") % {"total": _plain(total)},
                    warning=True,
                )
        if len(levels) == len(self.levels) and levels:
            level_total = Decimal(str(round(sum(levels.values()), 2)))
            if abs(level_total - _HUNDRED) > _SHARE_TOLERANCE:
                self._problem(
                    row.number,
                    "",
                    _("the shares of the levels add up to %(total)s%%, not 100%%")
                    % {"total": _plain(level_total)},
                    warning=True,
                )
        if participants == 0 and any(v is not None for v in parsed.values()):
            self._problem(
                row.number,
                self.column("participants"),
                _("there are no participants, but the row gives results"),
            )

    # --- schools --------------------------------------------------------------------------------------

    def _school(self, row: Row, login: str, inn: str, name: str) -> int | None:
        """The school of the row in the user's scope, or None (with the problem reported)."""

        def column(key: str) -> str:
            return self.column(key) if key in self.index else self.column("school")

        school_id, problems = self.matcher.match(
            login=login, inn=inn, name=name, municipality=self._cell(row, "municipality"), column=column
        )
        for p in problems:
            problem = RowError(
                self.table.file_name, self.table.sheet, row.number, p.column, p.message, p.school
            )
            (self.warnings if p.warning else self.errors).append(problem)
        return school_id

    # --- the plan -------------------------------------------------------------------------------------

    def _plan(self, items: list[AggregateItem]) -> AggregatePlan:
        plan = AggregatePlan(
            self.table.file_name, self.sha256, self.job_id, self.layout, skipped=self.skipped
        )
        plan.skipped_rows = self.skipped_rows
        codes = {item.key[1] for item in items}
        if plan.layout == "canonical" and all(fold(code) in DEFAULT_GRADES for code in codes):
            plan.layout = "exam"  # a tidy ЕГЭ / ОГЭ table
        plan.procedures = {code: self.procedures[fold(code)].pk for code in sorted(codes)}
        plan.subjects = {s.pk: s.name for s in self.subjects.values() if any(i.key[2] == s.pk for i in items)}
        stored = {
            (a.year, a.procedure.code, a.subject_id, a.grade): a.pk
            for a in Assessment.objects.filter(
                procedure__code__in=codes,
                year__in={i.key[0] for i in items},
                subject_id__in=set(plan.subjects),
                grade__in={i.key[3] for i in items},
            ).select_related("procedure")
        }
        plan.assessments = {item.key: stored.get(item.key) for item in items}
        results = {
            (r.assessment_id, r.school_id): r
            for r in SchoolAggregateResult.objects.filter(
                assessment_id__in=[pk for pk in plan.assessments.values() if pk is not None],
                school_id__in={i.school_id for i in items},
            )
        }
        for item in items:
            assessment_id = plan.assessments[item.key]
            current = results.get((assessment_id, item.school_id)) if assessment_id else None
            if current is not None:
                item.result_id = current.pk
                item.old_participants = current.participants
                item.old_sha256 = current.source_sha256
                same = all(getattr(current, name) == item.values[name] for name in STORED_FIELDS)
                item.action = UNCHANGED if same else REPLACE
            plan.items.append(item)
        return plan


_WHAT = {
    "year": lambda: _("year"),
    "procedure": lambda: _("procedure"),
    "subject": lambda: _("subject"),
    "grade": lambda: _("grade"),
}


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def preview_item(item: AggregateItem) -> dict[str, Any]:
    return {
        "row": item.row,
        "login": item.login,
        "school": item.school,
        "municipality": item.municipality,
        "assessment": item.assessment,
        "participants": item.values["participants"],
        "action": item.action,
        "old_participants": item.old_participants if item.action == REPLACE else None,
    }
