"""Check a pupil results file row by row and plan what it changes, per school and assessment.

Reference data (procedures, subjects, scales, minimum scores), the identity map and the stored results of
the file's assessments are loaded once per check (a fixed number of queries); every row is then parsed,
resolved and compared in memory. A school's results in an assessment are the unit a file creates, replaces
or leaves unchanged (the same pupils with the same values).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from opora.accounts.access import schools_visible_to
from opora.accounts.models import User
from opora.assessments.models import (
    Assessment,
    MarkScale,
    MinimumScore,
    Procedure,
    PupilResult,
    SchoolAssessment,
    Subject,
)
from opora.imports.errors import RowError
from opora.imports.fis_oko.parse import TaskColumn
from opora.imports.header import header_match
from opora.imports.pupils.format import (
    CODE_LIMIT,
    COLUMN_BY_KEY,
    COLUMNS,
    DEFAULT_GRADES,
    EGE,
    GVE,
    HEADER_WORDS,
    NAME_KEY,
    NAME_WORDS,
    PROCEDURE_ALIASES,
    PROCEDURE_CODE_LIMIT,
    SCHOOL_KEYS,
    SUBJECT_ALIASES,
    TASK_KEY,
    TEXT_LIMIT,
    TaskSpec,
    is_not_attempted,
    json_score,
    parse_grade,
    parse_level,
    parse_mark,
    parse_percent,
    parse_positive,
    parse_score,
    parse_year,
    parse_yes_no,
    plain,
    task_column,
    tasks_text,
)
from opora.imports.pupils.plan import (
    REPLACE,
    STORED_FIELDS,
    UNCHANGED,
    AssessmentKey,
    AssessmentPlan,
    GroupPlan,
    Pupil,
    PupilPlan,
    stored_values,
)
from opora.imports.pupils.schools import SchoolRows
from opora.imports.readers import Row, Table
from opora.imports.register.format import CellError, fold
from opora.registry.identity import SchoolResolver
from opora.registry.models import School

_CENT = Decimal("0.01")
T = TypeVar("T")


@dataclass
class _Parsed:
    key: AssessmentKey
    outcome: str
    school_id: int
    pupil: Pupil


class PupilResultsValidator(SchoolRows):
    """One pass over a table: collect every problem, then plan the changes if there are none."""

    def __init__(self, table: Table, user: User, *, sha256: str, job_id: int | None) -> None:
        self.table = table
        self.user = user
        self.sha256 = sha256
        self.job_id = job_id
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.row_count = 0
        self.index: dict[str, int] = {}
        self.titles: dict[str, str] = {}
        self.tasks: list[TaskColumn] = []
        self.new_procedures: dict[str, str] = {}  # folded label → code
        self._schools_seen: dict[tuple[str, str, str, str], int | None] = {}
        self._reported: set[tuple[str, str]] = set()

    def _problem(self, row: int | None, column: str, message: str, *, warning: bool = False) -> None:
        problem = RowError(self.table.file_name, self.table.sheet, row, column, message)
        (self.warnings if warning else self.errors).append(problem)

    def _once(self, kind: str, value: str) -> bool:
        """True the first time a problem of this kind is seen for this value (reported on its first row)."""
        if (kind, value) in self._reported:
            return False
        self._reported.add((kind, value))
        return True

    def title(self, key: str) -> str:
        return self.titles.get(key) or COLUMN_BY_KEY[key].title

    def run(self) -> PupilPlan:
        plan = PupilPlan(self.table.file_name, self.sha256, self.job_id)
        rows = list(self.table)
        self.row_count = len(rows)
        if not self._columns(rows):
            return plan
        if not rows:
            self._problem(
                self.table.header_row, "", _("the table has no participants: the file holds no results")
            )
            return plan
        self._load_reference()
        parsed = [p for row in rows if (p := self._parse_row(row)) is not None]
        self._check_duplicates(parsed)
        if not self.errors:
            self._load_stored(parsed)
            self._plan_assessments(parsed, plan)
        self.errors.sort(key=lambda e: e.row or 0)
        self.warnings.sort(key=lambda e: e.row or 0)
        if self.errors:
            return PupilPlan(self.table.file_name, self.sha256, self.job_id)
        plan.new_procedures = {code: code for code in self.new_procedures.values()}
        self._plan_groups(parsed, plan)
        return plan

    # --- the header -----------------------------------------------------------------------------------

    def _columns(self, rows: list[Row]) -> bool:
        header_row = self.table.header
        words = dict(HEADER_WORDS)
        for position, cell in enumerate(header_row):
            folded = fold(cell)
            if folded in NAME_WORDS:
                words[folded] = f"{NAME_KEY}{position}"
            elif (task := task_column(cell, position)) is not None:
                words[folded] = f"{TASK_KEY}{task.label}"
        found = header_match(header_row, rows, columns=COLUMNS, words=words)
        number = self.table.header_row
        for problem in found.problems:
            self._problem(number, problem.column, problem.message, warning=problem.warning)
        for key, title in found.titles.items():
            if key.startswith(NAME_KEY):
                self._problem(
                    number,
                    title,
                    _(
                        "the column holds pupils' names, and Opora stores no names: delete the column and "
                        "identify pupils by their participant code"
                    ),
                )
        if not found.missing and not any(key in found.index for key in SCHOOL_KEYS):
            self._problem(
                number,
                "",
                _("no column names the school: add %(columns)s")
                % {"columns": ", ".join(f"«{COLUMN_BY_KEY[k].title}»" for k in SCHOOL_KEYS)},
            )
        self.index = {k: i for k, i in found.index.items() if not k.startswith((NAME_KEY, TASK_KEY))}
        self.titles = found.titles
        self.tasks = sorted(
            (
                task
                for key, position in found.index.items()
                if key.startswith(TASK_KEY) and (task := task_column(header_row[position], position))
            ),
            key=lambda t: t.index,
        )
        for task in self.tasks:
            if task.max_score <= 0:
                self._problem(number, task.header, _("the maximum score of a task must be above zero"))
        return not self.errors

    # --- reference data -------------------------------------------------------------------------------

    def _load_reference(self) -> None:
        procedures = list(Procedure.objects.all())
        self.procedures = {p.code: p for p in procedures}
        self.procedure_words = {fold(p.code): p.code for p in procedures} | {
            fold(p.name): p.code for p in procedures
        }
        subjects = list(Subject.objects.all())
        by_code = {s.code: s for s in subjects}
        self.subjects = {fold(s.name): s for s in subjects} | {fold(s.code): s for s in subjects}
        self.subjects |= {word: by_code[code] for word, code in SUBJECT_ALIASES.items() if code in by_code}
        self.subject_names = sorted(s.name for s in subjects)
        self.resolver = SchoolResolver.cached()  # the check and the commit load the register once
        self.visible = set(schools_visible_to(self.user).values_list("pk", flat=True))

    # --- cells ----------------------------------------------------------------------------------------

    def _cell(self, row: Row, key: str) -> str:
        return row.get(self.index[key]).strip() if key in self.index else ""

    def _parse(self, row: Row, key: str, parser: Callable[[str], T]) -> T | None:
        text = self._cell(row, key)
        if not text:
            return None
        try:
            return parser(text)
        except CellError as error:
            self._problem(row.number, self.title(key), str(error))
            return None

    def _required(self, row: Row, key: str) -> str:
        text = self._cell(row, key)
        if not text:
            self._problem(row.number, self.title(key), _("the cell is empty; fill it in"))
        return text

    def _parse_row(self, row: Row) -> _Parsed | None:
        errors_before = len(self.errors)
        year = self._parse(row, "year", parse_year) if self._required(row, "year") else None
        grade_and_class = self._parse(row, "grade", parse_grade)
        procedure = self._procedure(row, grade_and_class[0] if grade_and_class else None)
        grade: int | None = grade_and_class[0] if grade_and_class else None
        if grade is None and procedure is not None and not self._cell(row, "grade"):
            grade = DEFAULT_GRADES.get(procedure[0])
            if grade is None:
                self._problem(
                    row.number,
                    self.title("grade"),
                    _("the grade is empty: it must be given for %(procedure)s") % {"procedure": procedure[0]},
                )
        subject = self._subject(row)
        school_id = self._school(row)
        code = self._required(row, "participant")
        if len(code) > CODE_LIMIT:
            self._problem(row.number, self.title("participant"), _("the participant code is too long"))
        class_name = self._cell(row, "class") or (grade_and_class[1] if grade_and_class else "")
        variant = self._cell(row, "variant")
        for key, text in (("class", class_name), ("variant", variant)):
            if len(text) > TEXT_LIMIT:
                column = self.title(key) if key in self.index else self.title("grade")
                self._problem(
                    row.number,
                    column,
                    _("the text is longer than %(limit)s characters") % {"limit": TEXT_LIMIT},
                )
        task_cells: dict[int, Decimal | None] = {}
        for task in self.tasks:
            text = row.get(task.index).strip()
            if not text:
                continue
            if is_not_attempted(text):
                task_cells[task.index] = None
                continue
            try:
                task_cells[task.index] = parse_score(text, maximum=task.max_score)
            except CellError as error:
                self._problem(row.number, task.header, str(error))
        primary = self._parse(row, "primary_score", self._primary)
        pupil = Pupil(
            row=row.number,
            code=code,
            class_name=class_name,
            variant=variant,
            task_cells=task_cells,
            primary_score=primary,
            max_primary_score=self._parse(row, "max_primary_score", parse_positive),
            mark=self._parse(row, "mark", parse_mark),
            journal_mark=self._parse(row, "journal_mark", parse_mark),
            test_score=self._parse(row, "test_score", lambda v: parse_percent(v, what=_("a test score"))),
            below_minimum=self._parse(row, "below_minimum", parse_yes_no),
            achievement_level=self._parse(row, "achievement_level", parse_level) or "",
            completion_pct=self._parse(
                row, "completion_pct", lambda v: parse_percent(v, what=_("the completion percentage"))
            ),
        )
        if len(self.errors) != errors_before:
            return None
        if year is None or procedure is None or subject is None or grade is None or school_id is None:
            return None  # a school refused on an earlier row of the file
        return _Parsed((procedure[0], year, subject.pk, grade), procedure[1], school_id, pupil)

    @staticmethod
    def _primary(text: str) -> Decimal | None:
        return None if is_not_attempted(text) else parse_score(text, maximum=None)

    def _procedure(self, row: Row, grade: int | None) -> tuple[str, str] | None:
        """(code, outcome) of the row's procedure; an unknown label is a new regional diagnostic."""
        label = " ".join(self._required(row, "procedure").split())
        if not label:
            return None
        word = fold(label)
        code = PROCEDURE_ALIASES.get(word) or self.procedure_words.get(word)
        if code is None and word == GVE:
            code = {9: "ГВЭ-9", 11: "ГВЭ-11"}.get(grade or 0)
            if code is None:
                self._problem(
                    row.number,
                    self.title("procedure"),
                    _("«%(value)s» needs the grade 9 or 11, or write ГВЭ-9 or ГВЭ-11") % {"value": label},
                )
                return None
        if code is not None:
            return code, self.procedures[code].outcome
        if len(label) > PROCEDURE_CODE_LIMIT:
            self._problem(
                row.number,
                self.title("procedure"),
                _(
                    "unknown procedure «%(value)s»: a new procedure's code is at most %(limit)s characters; "
                    "known procedures: %(known)s"
                )
                % {
                    "value": label,
                    "limit": PROCEDURE_CODE_LIMIT,
                    "known": ", ".join(sorted(self.procedures)),
                },
            )
            return None
        code = self.new_procedures.setdefault(word, label)
        if self._once("procedure", word):
            self._problem(
                row.number,
                self.title("procedure"),
                _(
                    "the procedure «%(value)s» is not known to Opora: it will be created as a regional "
                    "diagnostic with achievement levels and %% completion"
                )
                % {"value": label},
                warning=True,
            )
        return code, Procedure.Outcome.LEVEL

    def _subject(self, row: Row) -> Subject | None:
        label = " ".join(self._required(row, "subject").split())
        if not label:
            return None
        subject = self.subjects.get(fold(label))
        if subject is None:
            self._problem(
                row.number,
                self.title("subject"),
                _("unknown subject «%(subject)s»; known subjects: %(known)s")
                % {"subject": label, "known": ", ".join(self.subject_names)},
            )
        return subject

    # --- across rows ----------------------------------------------------------------------------------

    def _check_duplicates(self, parsed: list[_Parsed]) -> None:
        first: dict[tuple[AssessmentKey, int, str], int] = {}
        for p in parsed:
            row = first.setdefault((p.key, p.school_id, p.pupil.code), p.pupil.row)
            if row != p.pupil.row:
                self._problem(
                    p.pupil.row,
                    self.title("participant"),
                    _("the participant code %(code)s already appears in row %(row)s")
                    % {"code": p.pupil.code, "row": row},
                )

    def _load_stored(self, parsed: list[_Parsed]) -> None:
        keys = {p.key for p in parsed}
        codes = {k[0] for k in keys}
        years = {k[1] for k in keys}
        subjects = {k[2] for k in keys}
        grades = {k[3] for k in keys}
        self.stored: dict[AssessmentKey, Assessment] = {}
        self.scales: dict[AssessmentKey, MarkScale] = {}
        self.minimums: dict[tuple[int, int], Decimal] = {}
        for assessment in (
            Assessment.objects.filter(
                procedure__code__in=codes, year__in=years, subject_id__in=subjects, grade__in=grades
            )
            .select_related("procedure", "subject")
            .prefetch_related("tasks")
        ):
            key = (assessment.procedure.code, assessment.year, assessment.subject_id, assessment.grade)
            self.stored[key] = assessment
        for scale in MarkScale.objects.filter(
            procedure__code__in=codes, year__in=years, subject_id__in=subjects, grade__in=grades
        ).select_related("procedure"):
            self.scales[(scale.procedure.code, scale.year, scale.subject_id, scale.grade)] = scale
        if EGE in codes:
            for minimum in MinimumScore.objects.filter(
                procedure__code=EGE, year__in=years, subject_id__in=subjects
            ):
                self.minimums[(minimum.year, minimum.subject_id)] = minimum.minimum

    def _plan_assessments(self, parsed: list[_Parsed], plan: PupilPlan) -> None:
        by_key: dict[AssessmentKey, list[_Parsed]] = defaultdict(list)
        for p in parsed:
            by_key[p.key].append(p)
        subject_names = {s.pk: s.name for s in self.subjects.values()}
        for key, rows in by_key.items():
            pupils = [p.pupil for p in rows]
            tasks = [t for t in self.tasks if any(t.index in pupil.task_cells for pupil in pupils)]
            stored = self.stored.get(key)
            assessment = AssessmentPlan(
                key=key,
                subject=subject_names[key[2]],
                max_primary_score=None,
                tasks=tasks,
                assessment_id=stored.pk if stored else None,
            )
            if not self._tasks_agree(assessment, stored, pupils[0].row):
                continue
            assessment.max_primary_score = self._max_primary(assessment, stored, pupils)
            plan.assessments[key] = assessment
            for p in rows:
                self._derive(p, assessment)

    def _tasks_agree(self, plan: AssessmentPlan, stored: Assessment | None, row: int) -> bool:
        if stored is None:
            return True
        known = [TaskSpec(t.label, t.max_score) for t in sorted(stored.tasks.all(), key=lambda t: t.position)]
        if not plan.tasks:  # the file gives no task scores for it: pupils are stored without them
            plan.tasks = []
            return True
        if not known:
            plan.add_tasks = True
            return True
        given = [TaskSpec(t.label, t.max_score) for t in plan.tasks]
        if given != known:
            self._problem(
                row,
                "",
                _(
                    "the tasks of the file (%(file)s) differ from those of the assessment already known "
                    "(%(known)s): check that the file is of this subject, grade and year"
                )
                % {"file": tasks_text(given), "known": tasks_text(known)},
            )
            return False
        return True

    def _max_primary(
        self, plan: AssessmentPlan, stored: Assessment | None, pupils: list[Pupil]
    ) -> Decimal | None:
        column = self.title("max_primary_score")
        given: Decimal | None = None
        given_row = 0
        for pupil in pupils:
            value = pupil.max_primary_score
            if value is None:
                continue
            if given is None:
                given, given_row = value, pupil.row
            elif value != given:
                self._problem(
                    pupil.row,
                    column,
                    _(
                        "the maximum primary score %(value)s differs from %(first)s in row %(row)s: "
                        "an assessment has one maximum"
                    )
                    % {"value": plain(value), "first": plain(given), "row": given_row},
                )
        known = stored.max_primary_score if stored is not None else None
        if given is not None and known is not None and given != known:
            self._problem(
                given_row,
                column,
                _("the maximum primary score %(value)s differs from %(known)s, stored for %(assessment)s")
                % {"value": plain(given), "known": plain(known), "assessment": plan.title},
            )
        task_sum = sum((t.max_score for t in plan.tasks), Decimal(0))
        if given is not None and plan.tasks and given != task_sum:
            self._problem(
                given_row,
                column,
                _(
                    "the maximum primary score %(stated)s differs from the sum of the task maxima "
                    "%(sum)s; %(stated)s is used"
                )
                % {"stated": plain(given), "sum": plain(task_sum)},
                warning=True,
            )
        if known is not None:
            return known
        if given is not None:
            return given
        return task_sum if plan.tasks else None

    def _derive(self, p: _Parsed, plan: AssessmentPlan) -> None:
        """Align task scores, check the primary score, derive the mark, the minimum and % completion."""
        pupil = p.pupil
        code, year, subject_id, _grade = p.key
        pupil.task_scores = [json_score(pupil.task_cells.get(t.index)) for t in plan.tasks]
        if plan.tasks and any(t.index in pupil.task_cells for t in plan.tasks):
            total = sum((s for s in pupil.task_cells.values() if s is not None), Decimal(0))
            if pupil.primary_score is None:
                pupil.primary_score = total
            elif pupil.primary_score != total:
                self._problem(
                    pupil.row,
                    self.title("primary_score"),
                    _("the primary score %(primary)s differs from the sum of the task scores %(sum)s")
                    % {"primary": plain(pupil.primary_score), "sum": plain(total)},
                    warning=True,
                )
        maximum = plan.max_primary_score
        if pupil.primary_score is not None and maximum is not None and pupil.primary_score > maximum:
            self._problem(
                pupil.row,
                self.title("primary_score"),
                _("the primary score %(score)s is above the maximum %(max)s of %(assessment)s")
                % {"score": plain(pupil.primary_score), "max": plain(maximum), "assessment": plan.title},
            )
        scale = self.scales.get(p.key)
        if p.outcome == Procedure.Outcome.MARK and scale is not None and pupil.primary_score is not None:
            expected = scale.mark_for(pupil.primary_score)
            if pupil.mark is None:
                pupil.mark = expected
            elif pupil.mark != expected:
                self._problem(
                    pupil.row,
                    self.title("mark"),
                    _(
                        "the mark %(mark)s does not match the scale: a primary score of %(score)s "
                        "gives %(expected)s"
                    )
                    % {"mark": pupil.mark, "score": plain(pupil.primary_score), "expected": expected},
                    warning=True,
                )
        minimum = self.minimums.get((year, subject_id)) if code == EGE else None
        if minimum is not None and pupil.test_score is not None:
            below = pupil.test_score < minimum
            if pupil.below_minimum is None:
                pupil.below_minimum = below
            elif pupil.below_minimum != below:
                self._problem(
                    pupil.row,
                    self.title("below_minimum"),
                    _(
                        "«%(value)s» contradicts the minimum score %(minimum)s for a test score of "
                        "%(score)s; the file's value is kept"
                    )
                    % {
                        "value": "да" if pupil.below_minimum else "нет",
                        "minimum": plain(minimum),
                        "score": plain(pupil.test_score),
                    },
                    warning=True,
                )
        if (
            p.outcome == Procedure.Outcome.LEVEL
            and pupil.completion_pct is None
            and pupil.primary_score is not None
            and maximum
        ):
            pupil.completion_pct = min(
                Decimal(100), (pupil.primary_score * 100 / maximum).quantize(_CENT, rounding=ROUND_HALF_UP)
            )

    # --- the plan -------------------------------------------------------------------------------------

    def _plan_groups(self, parsed: list[_Parsed], plan: PupilPlan) -> None:
        groups: dict[tuple[AssessmentKey, int], GroupPlan] = {}
        schools = School.objects.select_related("municipality").in_bulk({p.school_id for p in parsed})
        for p in parsed:
            group = groups.get((p.key, p.school_id))
            if group is None:
                school = schools[p.school_id]
                group = groups[(p.key, p.school_id)] = GroupPlan(
                    key=p.key,
                    school_id=p.school_id,
                    login=school.fis_oko_login or "",
                    school=school.short_name,
                    municipality=school.municipality.name,
                    first_row=p.pupil.row,
                    pupils=[],
                )
            group.pupils.append(p.pupil)
        plan.groups = list(groups.values())
        self._attach_existing(plan)

    def _attach_existing(self, plan: PupilPlan) -> None:
        """Stored results of the planned schools: two queries for the whole file."""
        by_key = {key: a.assessment_id for key, a in plan.assessments.items() if a.assessment_id}
        wanted = {(by_key[g.key], g.school_id) for g in plan.groups if g.key in by_key}
        if not wanted:
            return
        existing = {
            (sa.assessment_id, sa.school_id): sa
            for sa in SchoolAssessment.objects.filter(
                assessment_id__in={a for a, _s in wanted}, school_id__in={s for _a, s in wanted}
            )
            if (sa.assessment_id, sa.school_id) in wanted
        }
        if not existing:
            return
        stored: dict[int, dict[str, tuple[Any, ...]]] = defaultdict(dict)
        for values in PupilResult.objects.filter(
            school_assessment_id__in=[sa.pk for sa in existing.values()]
        ).values_list("school_assessment_id", *STORED_FIELDS):
            stored[values[0]][values[1]] = stored_values(values[1:])
        for group in plan.groups:
            sa = existing.get((by_key.get(group.key, 0), group.school_id))
            if sa is None:
                continue
            old = stored.get(sa.pk, {})
            new = {pupil.code: pupil.values() for pupil in group.pupils}
            group.school_assessment_id = sa.pk
            group.old_sha256 = sa.source_sha256
            group.old_count = len(old)
            group.action = UNCHANGED if old == new else REPLACE
