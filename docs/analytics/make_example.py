"""Write the worked example of `opora-analytics`: a small invented region in the canonical format.

    .venv/bin/python docs/analytics/make_example.py            # rewrites docs/analytics/example/*.csv

60 schools in 3 municipalities, results of 2023-2025: ВПР grades 4-5 in mathematics and Russian pupil by
pupil (with task scores of grade 4 and 5 mathematics in 2025), ВПР grades 6-8 as published school
aggregates, ОГЭ and ЕГЭ aggregates of the schools that have grades 9 and 11, and the social passport of
every school. Small rural schools (a handful of pupils per grade) and a few schools that stay low year after
year are there on purpose, as are two resilient rural schools; one school is low in 2023-2024 and recovers
in 2025 (the exit rule of the lists).
Everything is drawn from one fixed seed, so running the script again writes the same bytes.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20250415
YEARS = (2023, 2024, 2025)
OUT = Path(__file__).resolve().parent / "example"
SUBJECTS = ("Математика", "Русский язык")
PUPIL_GRADES = (4, 5)
AGGREGATE_GRADES = (6, 7, 8)
#: (subject, grade) whose task scores are written, for the last year only (keeps the example small).
TASK_WORKS = (("Математика", 4), ("Математика", 5))
#: Tasks of every ВПР work: (label, max score, level). The primary score is the sum of the task scores.
TASKS = (
    ("1", 1, "Б"),
    ("2", 1, "Б"),
    ("3", 2, "Б"),
    ("4", 1, "Б"),
    ("5", 2, "П"),
    ("6", 2, "П"),
    ("7", 2, "П"),
    ("8", 3, "В"),
)
MAX_SCORE = sum(task[1] for task in TASKS)
#: Difficulty of each task on the ability scale.
DIFFICULTY = np.array([-1.2, -1.0, -0.6, -0.8, 0.0, 0.3, 0.5, 1.2])
#: Primary score cut-offs of marks 3, 4, 5.
MARK_CUTS = (5, 9, 12)


@dataclass(frozen=True)
class School:
    school_id: str
    municipality_id: str
    village: bool
    per_grade: int  # pupils per grade
    ses: float  # socio-economic status (latent)
    effect: tuple[float, ...]  # the school's own effect on results, per year
    has_grade_11: bool


def _schools(rng: np.random.Generator) -> list[School]:
    schools = []
    for index in range(60):
        municipality = f"mun-{index % 3 + 1}"
        village = index % 4 == 3
        per_grade = int(rng.integers(4, 10)) if village else int(rng.integers(12, 31))
        ses = float(rng.normal(-0.7 if village else 0.2, 0.6))
        base = float(rng.normal(0.0, 0.25))
        effect = (base, base, base)
        if index in (5, 17, 29, 41):  # persistently low
            effect = (-1.3, -1.4, -1.3)
        if index == 10:  # low in 2023 and 2024, recovers in 2025
            effect = (-1.4, -1.4, 0.3)
        if index in (7, 19):  # rural, disadvantaged and good: resilient
            ses, effect = -1.3, (1.0, 1.0, 1.0)
        schools.append(
            School(
                school_id=f"edu{640000 + index + 1}",
                municipality_id=municipality,
                village=village,
                per_grade=per_grade,
                ses=ses,
                effect=effect,
                has_grade_11=not village and index % 5 != 0,
            )
        )
    return schools


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _work(rng: np.random.Generator, school: School, year_index: int, grade: int, n: int) -> np.ndarray:
    """Task scores (pupils × tasks) of one ВПР work; NaN = not attempted."""
    ability = rng.normal(0.6 + 0.6 * school.ses + school.effect[year_index] + 0.05 * (grade - 4), 1.0, size=n)
    maxima = np.array([task[1] for task in TASKS])
    p = _sigmoid(1.3 * (ability[:, None] - DIFFICULTY[None, :]))
    scores = rng.binomial(maxima[None, :].repeat(n, axis=0), p).astype(float)
    scores[rng.random(scores.shape) < 0.03] = np.nan
    return scores


def _marks(primary: np.ndarray) -> np.ndarray:
    marks: np.ndarray = 2 + np.sum([(primary >= cut).astype(int) for cut in MARK_CUTS], axis=0)
    return marks


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}" if whole else ""


def _write(name: str, header: Sequence[str], rows: Iterable[Sequence[object]], delimiter: str = ",") -> None:
    path = OUT / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    sys.stdout.write(f"{path.relative_to(OUT.parent)}: {path.stat().st_size // 1024} KiB\n")


def main() -> None:
    rng = np.random.default_rng(SEED)
    schools = _schools(rng)
    OUT.mkdir(parents=True, exist_ok=True)
    pupils: list[tuple[object, ...]] = []
    tasks: list[tuple[object, ...]] = []
    aggregates: list[tuple[object, ...]] = []
    for school in schools:
        for year_index, year in enumerate(YEARS):
            for subject in SUBJECTS:
                for grade in (*PUPIL_GRADES, *AGGREGATE_GRADES):
                    n = max(2, school.per_grade + int(rng.integers(-3, 4)))
                    scores = _work(rng, school, year_index, grade, n)
                    primary = np.nansum(scores, axis=1).astype(int)
                    marks = _marks(primary)
                    if grade in AGGREGATE_GRADES:
                        counts = [int((marks == mark).sum()) for mark in (2, 3, 4, 5)]
                        aggregates.append(
                            (
                                year,
                                "ВПР",
                                subject,
                                grade,
                                school.school_id,
                                n,
                                *tuple(_pct(count, n) for count in counts),
                                "",
                                f"{primary.mean():.2f}",
                                "",
                            )
                        )
                        continue
                    journal = np.clip(marks + rng.choice([-1, 0, 0, 0, 1], size=n), 2, 5)
                    for pupil in range(n):
                        code = f"{grade}{pupil + 1:03d}"
                        pupils.append(
                            (
                                year,
                                "ВПР",
                                subject,
                                grade,
                                school.school_id,
                                code,
                                primary[pupil],
                                MAX_SCORE,
                                marks[pupil],
                                journal[pupil],
                            )
                        )
                        if year == YEARS[-1] and (subject, grade) in TASK_WORKS:
                            for (label, maximum, level), score in zip(TASKS, scores[pupil], strict=True):
                                value = "" if np.isnan(score) else int(score)
                                tasks.append(
                                    (
                                        year,
                                        "ВПР",
                                        subject,
                                        grade,
                                        school.school_id,
                                        code,
                                        label,
                                        value,
                                        maximum,
                                        level,
                                    )
                                )
            for subject, exam_grade, minimum, mean in (("Русский язык", 9, 15, 25), ("Математика", 9, 8, 18)):
                n = max(3, school.per_grade - int(rng.integers(0, 4)))
                ability = rng.normal(0.6 * school.ses + school.effect[year_index], 1.0, size=n)
                score = np.clip(np.round(mean + 7 * ability), 0, 33)
                below = int((score < minimum).sum())
                aggregates.append(
                    (
                        year,
                        "ОГЭ",
                        subject,
                        exam_grade,
                        school.school_id,
                        n,
                        "",
                        "",
                        "",
                        "",
                        below,
                        f"{score.mean():.2f}",
                        "",
                    )
                )
            if school.has_grade_11:
                n = max(3, school.per_grade // 2 + int(rng.integers(-2, 3)))
                ability = rng.normal(0.6 * school.ses + school.effect[year_index] + 0.4, 1.0, size=n)
                score = np.clip(np.round(62 + 16 * ability), 0, 100)
                aggregates.append(
                    (
                        year,
                        "ЕГЭ",
                        "Русский язык",
                        11,
                        school.school_id,
                        n,
                        "",
                        "",
                        "",
                        "",
                        int((score < 24).sum()),
                        "",
                        f"{score.mean():.2f}",
                    )
                )

    _write(
        "pupil_results",
        (
            "year",
            "procedure",
            "subject",
            "grade",
            "school_id",
            "participant",
            "primary_score",
            "max_primary_score",
            "mark",
            "journal_mark",
        ),
        pupils,
    )
    _write(
        "task_scores",
        (
            "year",
            "procedure",
            "subject",
            "grade",
            "school_id",
            "participant",
            "task",
            "score",
            "max_score",
            "level",
        ),
        tasks,
    )
    _write(
        "school_aggregates",
        (
            "year",
            "procedure",
            "subject",
            "grade",
            "school_id",
            "participants",
            "share_2",
            "share_3",
            "share_4",
            "share_5",
            "below_minimum_count",
            "mean_primary_score",
            "mean_test_score",
        ),
        aggregates,
    )
    _write(
        "school_areas",
        ("school_id", "municipality_id", "region_id"),
        ((school.school_id, school.municipality_id, "reg-77") for school in schools),
    )
    context = []
    for school in schools:
        for year in YEARS:
            disadvantage = -school.ses + rng.normal(0, 0.15)

            def share(base: float, slope: float, disadvantage: float = disadvantage) -> str:
                value = float(np.clip(base + slope * disadvantage + rng.normal(0, 2), 0, 100))
                return f"{value:.1f}".replace(".", ",")  # as Russian spreadsheets write it

            enrolment = school.per_grade * 11 + int(rng.integers(-5, 6))
            context.append(
                (
                    year,
                    school.school_id,
                    share(25, 8),
                    share(35, -14),
                    share(8, 5),
                    share(18, 10),
                    share(3, 1.5),
                    share(5, 2),
                    share(6, 3),
                    "village" if school.village else "city",
                    enrolment,
                    int(rng.integers(300, 3000)) if school.village else int(rng.integers(40000, 600000)),
                    "нет",
                )
            )
    # The context is written as a Russian spreadsheet saves it: «;» between cells, a decimal comma.
    _write(
        "school_context",
        (
            "year",
            "school_id",
            "share_single_parent",
            "share_parents_higher_education",
            "share_unemployed_parents",
            "share_low_income",
            "share_on_register",
            "share_disabilities",
            "share_non_native_russian",
            "location",
            "enrolment",
            "settlement_size",
            "special_school",
        ),
        context,
        delimiter=";",
    )


if __name__ == "__main__":
    main()
