"""The low-results rule (ШНОР, DOMAIN.md §5): which schools have too many participants below the minimum.

Input: the indicator frame (`analytics.indicators.school_indicators` / `aggregate_indicators` columns, one
row per year × procedure × subject × grade × school; both sources may be present, pupil-level rows win).
An *assessment* for counting is (procedure, subject, grade); the share read by the rule is the share of
participants below the minimum (`below_min_count / below_min_n`), as the raw share, its empirical-Bayes
shrunken estimate (`analytics.shrinkage`, one prior per year × assessment across all schools of the input)
or the lower Wilson bound (`LowResultsSettings.basis`).

A result with fewer than `min_participants` participants (or no share) is *insufficient*: it neither meets
nor fails the threshold. Status of a school for year Y (the same for every mode):

* ``flagged`` — the rule holds on the sufficient results alone;
* ``insufficient_data`` — it does not, but it would if every insufficient result met the threshold;
* ``cleared`` — it would not hold even then.

Modes: ``threshold`` (the regional rule: ≥ threshold in ≥ `min_assessments_in_year` assessments of Y, or in
the same assessment in each of `consecutive_years` calendar years ending in Y), ``ranking`` (the bottom
`ranking_bottom_pct` % of schools by the mean share over their sufficient assessments of Y) and
``persistence`` (≥ threshold in some assessment in each of the `persistence_years` years ending in Y).
An assessment not held in a year (no row) is simply absent: it is not an insufficient result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import polars as pl

from analytics.findings import FINDING_COLUMNS, FINDING_SCHEMA, STATUS_DTYPE
from analytics.schema import ASSESSMENT_KEY
from analytics.shrinkage import shrunken_shares
from analytics.text import NBSP, ci_text, grade_text, number_text, percent_text, plural

__all__ = [
    "DETAIL_COLUMNS",
    "FINDINGS_EXTRA_COLUMNS",
    "RESULT_DTYPE",
    "LowResults",
    "LowResultsSettings",
    "assessment_label",
    "low_results",
    "prefer_pupils",
    "text_column",
]

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


# --- shared helpers (also used by analytics.dynamics) -------------------------------------------------


def prefer_pupils(indicators: Frame) -> pl.LazyFrame:
    """Keep one row per school × assessment: the pupil-level one where both sources are present."""
    lazy = indicators.lazy()
    from_pupils = (pl.col("source") == "pupils").fill_null(False)
    keys = [*ASSESSMENT_KEY, "school_id"]
    pupils = lazy.filter(from_pupils)
    # An anti-join, not a window over the keys: 10× faster on a country's rows.
    others = lazy.filter(~from_pupils).join(pupils.select(keys), on=keys, how="anti", nulls_equal=True)
    return pl.concat([pupils, others])


def text_column(frame: pl.DataFrame, columns: Sequence[str], render: Callable[..., str]) -> pl.Series:
    """`render(*row)` for each row of `columns`, calling Python once per distinct combination only."""
    distinct = frame.select(columns).unique()
    texts = pl.Series("_text", [render(*row) for row in distinct.iter_rows()], dtype=pl.String)
    joined = frame.select(columns).join(
        distinct.with_columns(texts), on=list(columns), how="left", nulls_equal=True, maintain_order="left"
    )
    return joined["_text"]


def _subject_text(subject: str) -> str:
    """«Русский язык» → «русский язык», keeping abbreviations («ИКТ») as they are."""
    if len(subject) > 1 and subject[1].islower():
        return subject[0].lower() + subject[1:]
    return subject


def assessment_label(procedure: str, grade: int | None, subject: str) -> str:
    """«ВПР 5 кл. математика»."""
    parts = [procedure]
    if grade is not None:
        parts.append(grade_text(grade))
    parts.append(_subject_text(subject))
    return " ".join(parts)


def _year_text(year: int) -> str:
    return f"{year}{NBSP}г."


def _prepare(indicators: Frame, year: int, settings: LowResultsSettings) -> pl.DataFrame:
    """The counted rows of the window years with the shrunken share, the basis value and the row result."""
    lazy = indicators.lazy().with_columns(pl.col("procedure").cast(pl.String))
    first_year = year - settings.window + 1
    filters = [pl.col("year").is_between(first_year, year)]
    if settings.procedures:
        filters.append(pl.col("procedure").is_in(list(settings.procedures)))
    if settings.subjects:
        filters.append(pl.col("subject").is_in(list(settings.subjects)))
    if settings.grades:
        filters.append(pl.col("grade").is_in(list(settings.grades)))
    rows = prefer_pupils(lazy.filter(filters)).select(
        pl.col("school_id").cast(pl.String),
        pl.col("year").cast(pl.Int16),
        "procedure",
        "subject",
        pl.col("grade").cast(pl.Int8),
        "source",
        "below_min_n",
        "below_min_count",
        "below_min_pct",
        "below_min_ci_low",
        "below_min_ci_high",
    )
    shrunk = shrunken_shares(
        rows, "below_min_count", "below_min_n", by=ASSESSMENT_KEY, prefix="shrunken"
    ).drop("shrunken_prior_pct", "shrunken_prior_alpha", "shrunken_prior_beta")
    basis = {"raw": "below_min_pct", "shrunken": "shrunken_pct", "ci_low": "below_min_ci_low"}[settings.basis]
    sufficient = (pl.col("below_min_n").fill_null(0) >= settings.min_participants) & pl.col(
        "basis_pct"
    ).is_not_null()
    return (
        shrunk.with_columns(basis_pct=pl.col(basis))
        .with_columns(sufficient=sufficient)
        .with_columns(meets=pl.col("sufficient") & (pl.col("basis_pct") >= settings.threshold_pct))
        .with_columns(
            result=pl.when(~pl.col("sufficient"))
            .then(pl.lit("insufficient_data"))
            .when(pl.col("meets"))
            .then(pl.lit("meets"))
            .otherwise(pl.lit("below_threshold"))
            .cast(RESULT_DTYPE)
        )
        .select(*DETAIL_COLUMNS)
        .collect()
    )


def _run(flags: Iterable[pl.Expr]) -> pl.Expr:
    """Length of the run of true flags from the first one on (flags for Y, Y − 1, Y − 2, …)."""
    total: pl.Expr = pl.lit(0, pl.Int32)
    running: pl.Expr = pl.lit(True)
    for flag in flags:
        running = running & flag
        total = total + running.cast(pl.Int32)
    return total


def _school_table(details: pl.DataFrame, year: int, settings: LowResultsSettings) -> pl.DataFrame:
    """Per school: the counts, the runs, and whether the rule holds strictly and optimistically."""
    years = [year - offset for offset in range(settings.window)]
    could_meet = pl.col("meets") | ~pl.col("sufficient")
    in_year = pl.col("year") == year

    per_unit = (
        details.lazy()
        .group_by(["school_id", *UNIT])
        .agg(
            *[((pl.col("year") == y) & pl.col("meets")).any().alias(f"_m{i}") for i, y in enumerate(years)],
            *[((pl.col("year") == y) & could_meet).any().alias(f"_o{i}") for i, y in enumerate(years)],
        )
    )
    per_unit = per_unit.with_columns(
        _run_meets=_run(pl.col(f"_m{i}") for i in range(len(years))),
        _run_open=_run(pl.col(f"_o{i}") for i in range(len(years))),
    )
    per_school_units = per_unit.group_by("school_id").agg(
        pl.col("_run_meets").max().alias("_unit_run"),
        (pl.col("_run_meets") >= settings.consecutive_years).any().alias("_consecutive"),
        (pl.col("_run_open") >= settings.consecutive_years).any().alias("_consecutive_open"),
        *[pl.col(f"_m{i}").any().alias(f"_sm{i}") for i in range(len(years))],
        *[pl.col(f"_o{i}").any().alias(f"_so{i}") for i in range(len(years))],
    )
    sufficient_now = in_year & pl.col("sufficient")
    per_school = (
        details.lazy()
        .group_by("school_id")
        .agg(
            assessments_counted=in_year.sum().cast(pl.Int32),
            assessments_sufficient=sufficient_now.sum().cast(pl.Int32),
            assessments_meeting=(in_year & pl.col("meets")).sum().cast(pl.Int32),
            _open_now=(in_year & could_meet).sum().cast(pl.Int32),
            composite_pct=pl.col("basis_pct").filter(sufficient_now).mean(),
        )
        .filter(pl.col("assessments_counted") > 0)
        .join(per_school_units, on="school_id", how="left")
        .with_columns(
            _school_run=_run(pl.col(f"_sm{i}") for i in range(len(years))),
            _school_run_open=_run(pl.col(f"_so{i}") for i in range(len(years))),
        )
    )
    several = pl.col("assessments_meeting") >= settings.min_assessments_in_year
    several_open = pl.col("_open_now") >= settings.min_assessments_in_year
    if settings.mode == "threshold":
        per_school = per_school.with_columns(
            _several=several,
            _holds=several | pl.col("_consecutive"),
            _holds_open=several_open | pl.col("_consecutive_open"),
            years_running=pl.col("_unit_run"),
        )
    elif settings.mode == "persistence":
        per_school = per_school.with_columns(
            _holds=pl.col("_school_run") >= settings.persistence_years,
            _holds_open=pl.col("_school_run_open") >= settings.persistence_years,
            years_running=pl.col("_school_run"),
        )
    else:
        ranked = pl.col("composite_pct").is_not_null()
        position = pl.col("composite_pct").rank("min", descending=True).cast(pl.Int32)
        count = ranked.sum().cast(pl.Int32).alias("ranked_schools")
        # Flagged when fewer than X % of the ranked schools are worse: exactly the bottom X % without ties.
        bottom = (position - 1).cast(pl.Float64) * 100.0 < settings.ranking_bottom_pct * count
        per_school = per_school.with_columns(
            ranking_position=position, ranked_schools=pl.when(ranked).then(count)
        ).with_columns(
            _holds=ranked & bottom.fill_null(False),
            # Insufficient only without a composite: the ranking uses the sufficient results alone.
            _holds_open=~ranked,
            years_running=pl.col("_school_run"),
        )
    if settings.mode != "ranking":
        per_school = per_school.with_columns(
            composite_pct=pl.lit(None, pl.Float64),
            ranking_position=pl.lit(None, pl.Int32),
            ranked_schools=pl.lit(None, pl.Int32),
        )
    status = (
        pl.when(pl.col("_holds"))
        .then(pl.lit("flagged"))
        .when(pl.col("_holds_open"))
        .then(pl.lit("insufficient_data"))
        .otherwise(pl.lit("cleared"))
        .cast(STATUS_DTYPE)
    )
    return per_school.with_columns(status=status).collect()


def _reason_codes(settings: LowResultsSettings) -> pl.Expr:
    flagged = pl.col("status") == "flagged"
    insufficient = pl.lit(["insufficient_data"], pl.List(pl.String))
    empty = pl.lit([], pl.List(pl.String))
    if settings.mode == "threshold":
        several = pl.when(pl.col("_several")).then(pl.lit("below_min_in_several_assessments"))
        consecutive = pl.when(pl.col("_consecutive")).then(pl.lit("below_min_consecutive_years"))
        codes = pl.concat_list(several, consecutive).list.drop_nulls()
    else:
        code = "bottom_of_ranking" if settings.mode == "ranking" else "persistent"
        codes = pl.lit([code], pl.List(pl.String))
    return (
        pl.when(flagged)
        .then(codes)
        .when(pl.col("status") == "insufficient_data")
        .then(insufficient)
        .otherwise(empty)
    )


# --- reason sentences ----------------------------------------------------------------------------------

_SHARE_PHRASE: Final = "доля участников, не преодолевших минимальный порог"


def _share_text(
    procedure: str,
    grade: int,
    subject: str,
    raw: float | None,
    low: float | None,
    high: float | None,
    shrunken: float | None,
    basis: Basis,
) -> str:
    """«ВПР 5 кл. математика — 42 % (95 % ДИ 31–54 %)», with the shrunken share when the rule reads it."""
    text = f"{assessment_label(procedure, grade, subject)} — {percent_text(raw)} ({ci_text(low, high)}"
    if basis == "shrunken":
        text += f"; с учётом объёма выборки {percent_text(shrunken)}"
    return text + ")"


def _by_year(rows: pl.DataFrame) -> pl.DataFrame:
    """school_id → «В 2023 г. …: A — …, B — …; в 2024 г.: C — …» from rows with a `_share` fragment."""
    per_year = (
        rows.sort(["school_id", "year", "procedure", "grade", "subject"])
        .group_by(["school_id", "year"], maintain_order=True)
        .agg(pl.col("_share").str.join(", "))
    )
    first = pl.int_range(pl.len()).over("school_id") == 0
    head = (
        pl.when(first)
        .then(pl.format("В {} г. " + _SHARE_PHRASE + ": {}", "year", "_share"))
        .otherwise(pl.format("в {} г.: {}", "year", "_share"))
    )
    return (
        per_year.with_columns(head.alias("_part"))
        .group_by("school_id", maintain_order=True)
        .agg(pl.col("_part").str.join("; "))
        .select("school_id", pl.format("{}.", "_part").alias("_shares"))
    )


def _label(row: dict[str, Any]) -> str:
    return assessment_label(row["procedure"], row["grade"], row["subject"])


def _cleared_text(year: int, settings: LowResultsSettings) -> str:
    threshold = percent_text(settings.threshold_pct)
    if settings.mode == "threshold":
        count = settings.min_assessments_in_year
        years = settings.consecutive_years
        return (
            f"Правило не выполняется: {_SHARE_PHRASE}, не достигает {threshold} ни в {count} и более "
            f"оценочных {plural(count, 'процедуре', 'процедурах', 'процедурах')} {_year_text(year)}, "
            f"ни в одной процедуре {years} {plural(years, 'год', 'года', 'лет')} подряд."
        )
    if settings.mode == "persistence":
        years = settings.persistence_years
        return (
            f"Правило не выполняется: {_SHARE_PHRASE}, не достигала {threshold} ни в одной процедуре "
            f"хотя бы в одном из {years} "
            f"{plural(years, 'последнего года', 'последних лет', 'последних лет')}."
        )
    return ""


def _ranking_text(
    sufficient: int, composite: float, position: int, count: int, settings: LowResultsSettings
) -> str:
    return (
        f"Сводный показатель — средняя по {sufficient} "
        f"{plural(sufficient, 'процедуре', 'процедурам', 'процедурам')} {_SHARE_PHRASE}, — "
        f"{percent_text(composite, 1)}: место {position} из {count} "
        f"(в список входят нижние {number_text(settings.ranking_bottom_pct)}{NBSP}%)."
    )


def _reasons(
    schools: pl.DataFrame, details: pl.DataFrame, year: int, settings: LowResultsSettings
) -> pl.DataFrame:
    """school_id → reason. Python renders each distinct fragment once; Polars joins them per school."""
    cleared = _cleared_text(year, settings)
    status = pl.col("status")

    def render_share(
        procedure: str,
        grade: int,
        subject: str,
        raw: float | None,
        low: float | None,
        high: float | None,
        shrunken: float | None,
    ) -> str:
        return _share_text(procedure, grade, subject, raw, low, high, shrunken, settings.basis)

    rows = details.join(
        schools.select("school_id", "status", *(["_several"] if settings.mode == "threshold" else [])),
        on="school_id",
        how="inner",
    ).filter(status != "cleared")
    # Which meeting results a flagged school's sentence shows: the ones that make the rule hold.
    if settings.mode == "threshold":
        years_met = pl.col("year").filter(pl.col("meets")).n_unique().over(["school_id", *UNIT])
        shown = (pl.col("year") == year) & pl.col("_several") | (years_met >= settings.consecutive_years)
    elif settings.mode == "ranking":
        shown = (pl.col("year") == year) & pl.col("sufficient")
    else:
        shown = pl.lit(True)
    rows = rows.with_columns(
        pl.when(status == "flagged").then(shown).otherwise(pl.col("meets")).alias("_shown")
    )
    meeting = rows.filter(pl.col("meets") & pl.col("_shown"))
    meeting = meeting.with_columns(
        text_column(
            meeting,
            [
                "procedure",
                "grade",
                "subject",
                "below_min_pct",
                "below_min_ci_low",
                "below_min_ci_high",
                "shrunken_pct",
            ],
            render_share,
        ).alias("_share")
    )
    if settings.mode == "ranking":
        ranked = rows.filter(status == "flagged", pl.col("_shown"))
        ranked = ranked.with_columns(
            text_column(
                ranked,
                [
                    "procedure",
                    "grade",
                    "subject",
                    "below_min_pct",
                    "below_min_ci_low",
                    "below_min_ci_high",
                    "shrunken_pct",
                ],
                render_share,
            ).alias("_share")
        )
        meeting = ranked
    shares = _by_year(meeting)

    few = rows.filter(status == "insufficient_data", ~pl.col("sufficient"))
    few = few.with_columns(
        text_column(
            few,
            ["year", "procedure", "grade", "subject", "below_min_n"],
            lambda row_year, procedure, grade, subject, n: (
                f"{_year_text(row_year)} {assessment_label(procedure, grade, subject)} "
                f"({n or 0} {plural(n or 0, 'участник', 'участника', 'участников')})"
            ),
        ).alias("_few")
    )
    few_texts = (
        few.sort(["school_id", "year", "procedure", "grade", "subject"])
        .group_by("school_id", maintain_order=True)
        .agg(pl.col("_few").str.join("; "))
        .select(
            "school_id",
            pl.format(
                "Недостаточно данных: результаты с числом участников меньше "
                f"{settings.min_participants} — {{}}. Правило выполнялось бы, если бы они были не ниже "
                f"{percent_text(settings.threshold_pct)}.",
                "_few",
            ).alias("_few"),
        )
    )
    ranking: pl.Expr | pl.Series = pl.lit(None, pl.String)
    if settings.mode == "ranking":
        ranking_text = text_column(
            schools,
            ["assessments_sufficient", "composite_pct", "ranking_position", "ranked_schools"],
            lambda sufficient, composite, position, count: (
                "" if position is None else _ranking_text(sufficient, composite, position, count, settings)
            ),
        )
        ranking = pl.Series(ranking_text).replace("", None)
    combined = (
        schools.select("school_id", "status")
        .with_columns(ranking.alias("_ranking"))
        .join(shares, on="school_id", how="left", maintain_order="left")
        .join(few_texts, on="school_id", how="left", maintain_order="left")
    )
    reason = pl.concat_str(["_ranking", "_few", "_shares"], separator=" ", ignore_nulls=True)
    return combined.select(
        "school_id",
        reason=pl.when(status == "cleared")
        .then(pl.col("_ranking").fill_null(cleared) if settings.mode == "ranking" else pl.lit(cleared))
        .otherwise(reason),
    )


# --- the rule ------------------------------------------------------------------------------------------


def low_results(
    indicators: Frame, *, year: int, settings: LowResultsSettings = DEFAULT_SETTINGS
) -> LowResults:
    """Apply the low-results rule for the year of identification `year`.

    Returns `LowResults` with `findings` (FINDING_SCHEMA columns, method="low_results", then
    `FINDINGS_EXTRA_COLUMNS`; one row per school with at least one counted result in `year`) and `details`
    (`DETAIL_COLUMNS`; one row per school × year × assessment the mode reads, for «Почему школа в списке»).
    Both sorted by school_id (details then by year and assessment).
    """
    details = _prepare(indicators, year, settings)
    schools = _school_table(details, year, settings)
    reasons = _reasons(schools, details, year, settings)
    findings = (
        schools.join(reasons, on="school_id", how="left")
        .with_columns(
            year=pl.lit(year, pl.Int16),
            method=pl.lit(METHOD),
            reason_codes=_reason_codes(settings),
        )
        .select(
            *[pl.col(name).cast(dtype) for name, dtype in FINDING_SCHEMA.items()],
            *FINDINGS_EXTRA_COLUMNS,
        )
        .sort("school_id")
    )
    assert tuple(findings.columns[: len(FINDING_COLUMNS)]) == FINDING_COLUMNS
    judged = details.join(findings.select("school_id"), on="school_id", how="semi")
    return LowResults(findings=findings, details=judged.sort(["school_id", "year", *UNIT]))
