"""The low-results rule's parameters (each with its source), its result and its columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

import polars as pl

Frame = pl.DataFrame | pl.LazyFrame
Mode = Literal["threshold", "ranking", "persistence"]
Basis = Literal["raw", "shrunken", "ci_low"]

METHOD: Final = "low_results"
#: An assessment for counting: the assessment key without the year.
UNIT: Final = ("procedure", "subject", "grade")
RESULT_DTYPE: Final = pl.Enum(("meets", "below_threshold", "insufficient_data"))


def meta(label: str, source: str) -> dict[str, str]:
    """Metadata of a settings field: its Russian UI label and the source of its default."""
    return {"label": label, "source": source}


@dataclass(frozen=True)
class LowResultsSettings:
    """The configurable parameters of the low-results rule; defaults are DOMAIN.md §5."""

    mode: Mode = field(
        default="threshold",
        metadata=meta(
            "Способ отбора: порог / рейтинг / устойчивость",
            "DOMAIN.md §5: региональное правило ШНОР (порог); рейтинг и устойчивость — "
            "другие применяемые режимы",
        ),
    )
    threshold_pct: float = field(
        default=30.0,
        metadata=meta(
            "Порог доли участников, не преодолевших минимальный порог, %",
            "DOMAIN.md §5: региональное правило ШНОР — 30 % и более",
        ),
    )
    min_assessments_in_year: int = field(
        default=2,
        metadata=meta(
            "Число оценочных процедур в году с долей не ниже порога",
            "DOMAIN.md §5: региональное правило ШНОР — в двух и более процедурах за год",
        ),
    )
    consecutive_years: int = field(
        default=2,
        metadata=meta(
            "Число лет подряд в одной процедуре",
            "DOMAIN.md §5: региональное правило ШНОР — в одной процедуре два года подряд",
        ),
    )
    ranking_bottom_pct: float = field(
        default=10.0,
        metadata=meta(
            "Доля школ в нижней части рейтинга, %",
            "выбор Опоры: нижние 10 % рейтинга (DOMAIN.md §5 называет режим «нижние X %» без числа)",
        ),
    )
    persistence_years: int = field(
        default=3,
        metadata=meta(
            "Число лет подряд для устойчиво низких результатов",
            "DOMAIN.md §5: устойчивость в течение трёх лет",
        ),
    )
    procedures: tuple[str, ...] = field(
        default=("ВПР", "ОГЭ", "ЕГЭ"),
        metadata=meta(
            "Учитываемые оценочные процедуры",
            "DOMAIN.md §5: процедуры с минимальным порогом («2» или ниже минимума ОГЭ/ЕГЭ)",
        ),
    )
    subjects: tuple[str, ...] = field(
        default=(),
        metadata=meta(
            "Учитываемые предметы (пусто — все)",
            "выбор Опоры: по умолчанию все предметы",
        ),
    )
    grades: tuple[int, ...] = field(
        default=(),
        metadata=meta(
            "Учитываемые классы (пусто — все)",
            "выбор Опоры: по умолчанию все классы",
        ),
    )
    basis: Basis = field(
        default="shrunken",
        metadata=meta(
            "Оценка доли: наблюдаемая / сглаженная (эмпирический Байес) / нижняя граница 95 % ДИ",
            "DOMAIN.md §5: при малом N не судить по доле как таковой — интервал Вильсона или эмпирический "
            "Байес; выбор Опоры: сглаженная оценка",
        ),
    )
    min_participants: int = field(
        default=10,
        metadata=meta(
            "Минимальное число участников, при котором результат учитывается",
            "выбор Опоры: при N < 10 один участник меняет долю на 10+ п. п., а 95 % ДИ Вильсона шире "
            "±25 п. п., так что ни «выше порога», ни «ниже порога» не установлены; DOMAIN.md §5: N < 20 — "
            "ограниченная выборка",
        ),
    )

    def __post_init__(self) -> None:
        problems = []
        if self.mode not in ("threshold", "ranking", "persistence"):
            problems.append(f"mode must be threshold, ranking or persistence, got {self.mode!r}")
        if self.basis not in ("raw", "shrunken", "ci_low"):
            problems.append(f"basis must be raw, shrunken or ci_low, got {self.basis!r}")
        if not 0.0 <= self.threshold_pct <= 100.0:
            problems.append(f"threshold_pct must lie in [0, 100], got {self.threshold_pct}")
        if not 0.0 < self.ranking_bottom_pct <= 100.0:
            problems.append(f"ranking_bottom_pct must lie in (0, 100], got {self.ranking_bottom_pct}")
        for name in ("min_assessments_in_year", "consecutive_years", "persistence_years", "min_participants"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1, got {getattr(self, name)}")
        if problems:
            raise ValueError("; ".join(problems))
        # Lists from JSON become tuples, so that asdict → JSON → constructor round-trips to an equal value.
        for name in ("procedures", "subjects", "grades"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def window(self) -> int:
        """How many years ending in the year of identification the mode reads."""
        return {"threshold": self.consecutive_years, "persistence": self.persistence_years}.get(self.mode, 1)


DEFAULT_SETTINGS: Final = LowResultsSettings()

#: The columns of `LowResults.findings` after FINDING_SCHEMA: name → description.
FINDINGS_EXTRA_COLUMNS: Final = {
    "assessments_counted": "assessments of the year of identification (after the filters)",
    "assessments_sufficient": "of them, with at least min_participants participants",
    "assessments_meeting": "of them, with the share at or above the threshold",
    "years_running": "the longest run of years ending in Y at or above the threshold (per assessment in "
    "threshold mode, any assessment in the other modes)",
    "composite_pct": "ranking mode: mean share over the sufficient assessments of Y (else null)",
    "ranking_position": "ranking mode: 1 = the highest composite (ties share the best position)",
    "ranked_schools": "ranking mode: schools with a composite",
}

#: The columns of `LowResults.details` (one row per school × year × assessment read): name → description.
DETAIL_COLUMNS: Final = {
    "school_id": "school",
    "year": "year of the result",
    "procedure": "procedure",
    "subject": "subject",
    "grade": "grade",
    "source": "pupils or aggregates",
    "below_min_n": "N: participants whose below-minimum status is known",
    "below_min_count": "participants below the minimum",
    "below_min_pct": "observed share, %",
    "below_min_ci_low": "Wilson 95 % interval, lower bound, %",
    "below_min_ci_high": "Wilson 95 % interval, upper bound, %",
    "shrunken_pct": "empirical-Bayes share, %",
    "shrunken_ci_low": "posterior 95 % credible interval, lower bound, %",
    "shrunken_ci_high": "posterior 95 % credible interval, upper bound, %",
    "basis_pct": "the share the rule reads (settings.basis), %",
    "sufficient": "N ≥ min_participants and the share is known",
    "meets": "sufficient and basis_pct ≥ threshold_pct",
    "result": "meets / below_threshold / insufficient_data",
}


@dataclass(frozen=True)
class LowResults:
    """The outcome of `low_results`: one finding per school, and the results behind them."""

    findings: pl.DataFrame
    details: pl.DataFrame
