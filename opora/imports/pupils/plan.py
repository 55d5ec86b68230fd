"""The plan of a pupil results import: what the commit writes, per assessment and per school."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from opora.assessments.services import PUPIL_RESULT_COLUMNS
from opora.imports.fis_oko.parse import TaskColumn

CREATE, REPLACE, UNCHANGED = "create", "replace", "unchanged"
AssessmentKey = tuple[str, int, int, int]  # procedure code, year, subject id, grade


@dataclass
class Pupil:
    """One row of the file as it will be stored."""

    row: int
    code: str
    class_name: str
    variant: str
    task_cells: dict[int, Decimal | None]  # column position → score (None: not attempted); filled cells only
    primary_score: Decimal | None
    max_primary_score: Decimal | None
    mark: int | None
    journal_mark: int | None
    test_score: Decimal | None
    below_minimum: bool | None
    achievement_level: str
    completion_pct: Decimal | None
    task_scores: list[int | float | None] = field(default_factory=list)

    def values(self) -> tuple[Any, ...]:
        """What PupilResult stores, comparable with `stored_values`."""
        return (
            self.class_name,
            self.variant,
            tuple(self.task_scores),
            self.primary_score,
            self.mark,
            self.journal_mark,
            self.test_score,
            self.below_minimum,
            self.achievement_level,
            self.completion_pct,
        )


#: The PupilResult fields a pupil row carries (what `pupil_results_insert` writes, without its school
#: assessment), compared with the stored rows to tell an unchanged file.
STORED_FIELDS = tuple(name for name in PUPIL_RESULT_COLUMNS if name != "school_assessment_id")


def stored_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A `values_list(*STORED_FIELDS)` row without its code, as `Pupil.values` gives it."""
    values = list(row[1:])
    values[2] = tuple(values[2] or ())
    return tuple(values)


@dataclass
class AssessmentPlan:
    key: AssessmentKey
    subject: str
    max_primary_score: Decimal | None
    tasks: list[TaskColumn]
    assessment_id: int | None  # None: created by the commit
    add_tasks: bool = False  # a stored assessment without tasks gets the file's

    @property
    def title(self) -> str:
        code, year, _subject, grade = self.key
        return f"{code} {year} · {self.subject} · {grade} класс"


@dataclass
class GroupPlan:
    """One school's results in one assessment."""

    key: AssessmentKey
    school_id: int
    login: str
    school: str
    municipality: str
    first_row: int
    pupils: list[Pupil]
    action: str = CREATE
    school_assessment_id: int | None = None
    old_sha256: str = ""
    old_count: int = 0


@dataclass
class PupilPlan:
    file_name: str
    sha256: str
    job_id: int | None
    new_procedures: dict[str, str] = field(default_factory=dict)  # code → name, created as regional
    assessments: dict[AssessmentKey, AssessmentPlan] = field(default_factory=dict)
    groups: list[GroupPlan] = field(default_factory=list)

    def of(self, action: str) -> list[GroupPlan]:
        return [g for g in self.groups if g.action == action]
