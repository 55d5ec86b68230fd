"""A regional diagnostic for the demo region: «КДР» in mathematics, grade 6, one row per pupil.

Regions hold their own diagnostics (РДР, КДР…) and report them per pupil: a pseudonymous code, the % of the
work completed and an achievement level. The demo writes them in Opora's canonical pupil-level format
(docs/formats/pupil-results.md) and imports them through the pupil results importer, as a region would; the
importer creates «КДР» as a regional diagnostic on the first file, and its commit computes the level shares
and the mean completion the school card shows.

The latent model is that of the ВПР and the exams (opora.demo.results, opora.demo.exams): a pupil's ability
in logits is

    ability = SES_SLOPE × ses + EFFECT_SCALE × effect + school-year noise + pupil noise (sd 1)

and each of the work's MAX_SCORE points is scored with probability sigmoid(DISCRIMINATION × (ability −
DIFFICULTY)). The level follows from the % completion by fixed cut-offs, as regions publish them. The
diagnostic is checked outside the school: inflated ВПР marks are not carried over.

`generate_diagnostics` is pure (no Django); `demo_diagnostics_build` writes the CSV and imports it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.db import transaction

from opora.accounts.models import User
from opora.demo.region import DemoRegion, DemoSchool, SchoolKind, stream
from opora.demo.results import (
    ATTENDANCE,
    CLASS_SIZE,
    DISCRIMINATION,
    EFFECT_SCALE,
    KIND_GRADES,
    RESULTS_YEARS,
    SCHOOL_YEAR_SD,
    SES_SLOPE,
    SPECIAL_ATTENDANCE,
)
from opora.demo.results_build import DIAGNOSTIC_PROCEDURE, demo_csv_import
from opora.imports.models import ImportJob

DIAGNOSTIC_SUBJECT = "Математика"
DIAGNOSTIC_GRADE = 6
MAX_SCORE = 24
DIFFICULTY = -0.5  # easier than the ВПР: most pupils reach «базовый»
#: (lowest % completion, level), highest first; below the last cut-off the level is «недостаточный».
LEVEL_CUTOFFS = ((80.0, "повышенный"), (50.0, "базовый"), (30.0, "пониженный"))
LOWEST_LEVEL = "недостаточный"
CLASS_LETTERS = "АБВГДЕЖИКЛ"
# `opora demo` imports the diagnostic of the last two results years only: a year is ~7,700 pupils and
# ~3 s of import, and two years are enough for a school's change from one year to the next.
DEMO_DIAGNOSTIC_YEARS = 2


@dataclass(frozen=True)
class DiagnosticRow:
    """One pupil's result in the diagnostic, as the pupil-level format has it."""

    year: int
    login: str
    participant: str
    class_name: str
    primary_score: int
    completion_pct: float
    level: str


def level_for(completion_pct: float) -> str:
    """The achievement level of a % completion: `level_for(52.1)` is «базовый»."""
    return next((level for low, level in LEVEL_CUTOFFS if completion_pct >= low), LOWEST_LEVEL)


def diagnostic_years(years: tuple[int, ...]) -> tuple[int, ...]:
    """The results years the demo imports the diagnostic for: the last DEMO_DIAGNOSTIC_YEARS of them."""
    return tuple(sorted(set(years)))[-DEMO_DIAGNOSTIC_YEARS:]


def generate_diagnostics(demo: DemoRegion, *, years: tuple[int, ...] = RESULTS_YEARS) -> list[DiagnosticRow]:
    """Every grade 6 pupil's КДР result in these (calendar) years; deterministic from the demo's seed."""
    rows: list[DiagnosticRow] = []
    for school in demo.schools:
        grades, spread = KIND_GRADES[school.kind]
        if DIAGNOSTIC_GRADE not in grades:
            continue
        for year in years:
            academic = year - 1
            if school.operates_in(academic) and academic in school.enrolment:
                rows.extend(_school_diagnostic(demo.seed, school, year, spread))
    return rows


def _school_diagnostic(seed: int, school: DemoSchool, year: int, spread: int) -> list[DiagnosticRow]:
    rng = stream(seed, "diagnostic", DIAGNOSTIC_PROCEDURE, year, school.login)
    share = rng.uniform(*ATTENDANCE) * (SPECIAL_ATTENDANCE if school.kind == SchoolKind.SPECIAL else 1.0)
    count = round(school.enrolment[year - 1] / spread * share)
    if count == 0:
        return []
    level = SES_SLOPE * school.latent.ses + EFFECT_SCALE * school.latent.effect + rng.gauss(0, SCHOOL_YEAR_SD)
    classes = max(1, round(count / CLASS_SIZE))
    # Pseudonymous codes: five digits drawn without repetition, so a code says nothing about the pupil.
    codes = rng.sample(range(10_000, 100_000), count)
    rows = []
    for number, code in enumerate(codes):
        ability = level + rng.gauss(0, 1)
        p = 1 / (1 + math.exp(-DISCRIMINATION * (ability - DIFFICULTY)))
        primary = sum(rng.random() < p for _ in range(MAX_SCORE))
        completion = round(100 * primary / MAX_SCORE, 1)
        rows.append(
            DiagnosticRow(
                year=year,
                login=school.login,
                participant=f"К{DIAGNOSTIC_GRADE}-{code}",
                class_name=f"{DIAGNOSTIC_GRADE}{CLASS_LETTERS[number % classes % len(CLASS_LETTERS)]}",
                primary_score=primary,
                completion_pct=completion,
                level=level_for(completion),
            )
        )
    return rows


#: The columns of the pupil-level format the demo writes (docs/formats/pupil-results.md); «Класс» with a
#: letter («6А») gives the work's grade and the pupil's class.
COLUMNS = (
    "Год",
    "Процедура",
    "Предмет",
    "Класс",
    "Логин ОО",
    "Код участника",
    "Первичный балл",
    "Максимальный первичный балл",
    "Уровень",
    "% выполнения",
)


def diagnostics_csv(rows: list[DiagnosticRow]) -> str:
    """The rows as a CSV of the pupil-level format (semicolons, decimal commas, as Russian Excel saves)."""
    lines = [";".join(COLUMNS)]
    lines.extend(
        ";".join(
            (
                str(row.year),
                DIAGNOSTIC_PROCEDURE,
                DIAGNOSTIC_SUBJECT,
                row.class_name,
                row.login,
                row.participant,
                str(row.primary_score),
                str(MAX_SCORE),
                row.level,
                f"{row.completion_pct:.1f}".replace(".", ","),
            )
        )
        for row in rows
    )
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DiagnosticsBuild:
    rows: int
    seconds: float


def demo_diagnostics_build(
    *, demo: DemoRegion, user: User, years: tuple[int, ...] = RESULTS_YEARS
) -> DiagnosticsBuild:
    """Generate the КДР of these years and import one CSV per year through the pupil results importer."""
    started = time.perf_counter()
    rows = generate_diagnostics(demo, years=years)
    with transaction.atomic():
        for year in sorted({row.year for row in rows}):
            demo_csv_import(
                user=user,
                kind=ImportJob.Kind.PUPIL_RESULTS,
                name=f"{DIAGNOSTIC_PROCEDURE} {year} математика 6 класс, демо.csv",
                content=diagnostics_csv([row for row in rows if row.year == year]),
                what="diagnostic results",
                # The one warning expected is the first file's: the importer creates the procedure «КДР».
                tolerated=lambda warning: warning.get("column") == "Процедура",
            )
    return DiagnosticsBuild(rows=len(rows), seconds=time.perf_counter() - started)


__all__ = [
    "DIAGNOSTIC_PROCEDURE",
    "LEVEL_CUTOFFS",
    "DiagnosticRow",
    "DiagnosticsBuild",
    "demo_diagnostics_build",
    "diagnostic_years",
    "diagnostics_csv",
    "generate_diagnostics",
    "level_for",
]
