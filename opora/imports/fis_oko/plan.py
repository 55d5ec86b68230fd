"""The plan of a ВПР import: what the commit writes, per assessment and per file (school)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from opora.imports.fis_oko.parse import TaskColumn, VprFile

PROCEDURE_CODE = "ВПР"
CREATE, REPLACE, UNCHANGED = "create", "replace", "unchanged"

AssessmentKey = tuple[int, int, int]  # year, subject id, grade


@dataclass
class AssessmentPlan:
    key: AssessmentKey
    subject: str
    max_primary_score: Decimal
    held_on: datetime.date | None
    tasks: list[TaskColumn]
    assessment_id: int | None  # None: created by the commit

    @property
    def title(self) -> str:
        return f"{PROCEDURE_CODE} {self.key[0]} · {self.subject} · {self.key[2]} класс"


@dataclass
class FilePlan:
    file: VprFile
    key: AssessmentKey
    school_id: int
    school: str
    municipality: str
    action: str
    school_assessment_id: int | None = None
    old_sha256: str = ""
    old_count: int = 0


@dataclass
class VprPlan:
    procedure_id: int
    job_id: int | None
    assessments: dict[AssessmentKey, AssessmentPlan] = field(default_factory=dict)
    files: list[FilePlan] = field(default_factory=list)

    def of(self, action: str) -> list[FilePlan]:
        return [p for p in self.files if p.action == action]
