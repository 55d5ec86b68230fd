"""ОГЭ and ЕГЭ results per school for the demo region: pure generation, no Django.

Regions publish ОГЭ and ЕГЭ as tables per school (participants, «не преодолели минимальный порог», high
scorers, mean score), so the demo writes them in Opora's school-level format and imports them through the
school results importer, as a region would.

The same latent model as the ВПР (opora.demo.results): a graduate's ability in logits is

    ability = SES_SLOPE × ses + EFFECT_SCALE × effect + school-year noise + pupil noise (sd 1)

ЕГЭ test scores are 50 + 16 × ability (clipped to 0..100); a graduate is below the minimum when the score is
under the subject's minimum. ОГЭ primary scores give a mark by the shares of the maximum; «2» is below the
minimum. Inflated marks of the ВПР are not carried over: these works are checked outside the school, which
is what the sign «ВПР far above the region while ОГЭ/ЕГЭ is low» looks for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from opora.demo.region import DemoRegion, DemoSchool, SchoolKind, stream
from opora.demo.results import EFFECT_SCALE, RESULTS_YEARS, SCHOOL_YEAR_SD, SES_SLOPE

#: procedure → (grade, subjects with the ЕГЭ minimum or the ОГЭ maximum primary score)
EXAMS: dict[str, tuple[int, dict[str, int]]] = {
    "ОГЭ": (9, {"Русский язык": 33, "Математика": 31}),
    "ЕГЭ": (11, {"Русский язык": 24, "Математика (профильный уровень)": 27}),
}
GRADE_9_KINDS = {
    SchoolKind.BASIC,
    SchoolKind.SECONDARY,
    SchoolKind.GYMNASIUM,
    SchoolKind.LYCEUM,
    SchoolKind.EDUCATION_CENTRE,
    SchoolKind.BOARDING,
    SchoolKind.EVENING,
}
GRADE_11_KINDS = GRADE_9_KINDS - {SchoolKind.BASIC}
# Shares of the ОГЭ maximum for «3», «4», «5».
OGE_BOUNDARIES = (0.28, 0.5, 0.75)
EGE_MEAN, EGE_SCALE = 50.0, 16.0
# Graduates of a year: the school's enrolment spread over its grades, most of them sit the exams.
GRADES_SPREAD = 11
EXAM_ATTENDANCE = 0.95
EXAM_LEVEL = 0.35  # exams are prepared for: a little above the ВПР scale of ability


@dataclass(frozen=True)
class ExamRow:
    """One school's result in one exam and subject, as the school-level format has it."""

    year: int
    procedure: str
    subject: str
    grade: int
    login: str
    participants: int
    below_minimum: int
    mean_score: float  # ЕГЭ: mean test score; ОГЭ: mean primary score
    share_marks: tuple[float, float, float, float] | None  # ОГЭ: «2».. «5», %
    scored_80_99: int | None
    scored_100: int | None


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def _takes(school: DemoSchool, grade: int) -> bool:
    return school.kind in (GRADE_9_KINDS if grade == 9 else GRADE_11_KINDS)


def generate_exams(demo: DemoRegion, *, years: tuple[int, ...] = RESULTS_YEARS) -> list[ExamRow]:
    """Every school's ОГЭ and ЕГЭ results in these (calendar) years; deterministic from the demo's seed."""
    rows: list[ExamRow] = []
    for school in demo.schools:
        for year in years:
            academic = year - 1
            if not school.operates_in(academic) or academic not in school.enrolment:
                continue
            for procedure, (grade, subjects) in EXAMS.items():
                if not _takes(school, grade):
                    continue
                for subject, parameter in subjects.items():
                    rows.extend(_school_exam(demo.seed, school, year, procedure, grade, subject, parameter))
    return rows


def _school_exam(
    seed: int, school: DemoSchool, year: int, procedure: str, grade: int, subject: str, parameter: int
) -> list[ExamRow]:
    rng = stream(seed, "exam", procedure, subject, year, school.login)
    graduates = max(0, round(school.enrolment[year - 1] / GRADES_SPREAD * EXAM_ATTENDANCE))
    if procedure == "ЕГЭ":
        graduates = round(graduates * 0.6)  # many leave after grade 9
    if graduates == 0:
        return []
    level = SES_SLOPE * school.latent.ses + EFFECT_SCALE * school.latent.effect + rng.gauss(0, SCHOOL_YEAR_SD)
    abilities = [level + EXAM_LEVEL + rng.gauss(0, 1) for _ in range(graduates)]
    if procedure == "ЕГЭ":
        scores = [min(100.0, max(0.0, round(EGE_MEAN + EGE_SCALE * a))) for a in abilities]
        return [
            ExamRow(
                year=year,
                procedure=procedure,
                subject=subject,
                grade=grade,
                login=school.login,
                participants=graduates,
                below_minimum=sum(score < parameter for score in scores),
                mean_score=round(sum(scores) / graduates, 1),
                share_marks=None,
                scored_80_99=sum(80 <= score < 100 for score in scores),
                scored_100=sum(score == 100 for score in scores),
            )
        ]
    shares = [_sigmoid(1.3 * a) for a in abilities]  # the share of the maximum a graduate scores
    primary = [round(parameter * share) for share in shares]
    marks = [2 + sum(score >= round(parameter * b) for b in OGE_BOUNDARIES) for score in primary]
    counts = [marks.count(mark) for mark in (2, 3, 4, 5)]
    return [
        ExamRow(
            year=year,
            procedure=procedure,
            subject=subject,
            grade=grade,
            login=school.login,
            participants=graduates,
            below_minimum=counts[0],
            mean_score=round(sum(primary) / graduates, 1),
            share_marks=tuple(round(100 * c / graduates, 2) for c in counts),  # type: ignore[arg-type]
            scored_80_99=None,
            scored_100=None,
        )
    ]


#: The columns of the school-level format the demo writes (docs/formats/school-results.md).
COLUMNS = (
    "year",
    "procedure",
    "subject",
    "grade",
    "school",
    "participants",
    "share_2",
    "share_3",
    "share_4",
    "share_5",
    "below_minimum_count",
    "mean_primary_score",
    "mean_test_score",
    "score_80_99_count",
    "score_100_count",
)


def exams_csv(rows: list[ExamRow]) -> str:
    """The rows as a CSV of the school-level format (semicolons, decimal commas, as Russian Excel saves)."""

    def number(value: float | int | None) -> str:
        return "" if value is None else str(value).replace(".", ",")

    lines = [";".join(COLUMNS)]
    for row in rows:
        shares = row.share_marks or (None, None, None, None)
        ege = row.procedure == "ЕГЭ"
        values = [
            row.year,
            row.procedure,
            row.subject,
            row.grade,
            row.login,
            row.participants,
            *shares,
            row.below_minimum,
            None if ege else row.mean_score,
            row.mean_score if ege else None,
            row.scored_80_99,
            row.scored_100,
        ]
        lines.append(";".join(number(v) if not isinstance(v, str) else v for v in values))
    return "\n".join(lines) + "\n"
