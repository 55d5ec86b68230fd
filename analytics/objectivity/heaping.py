"""Sign 2: an excess of primary scores at the mark boundaries (a hypergeometric test per school)."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
from scipy.stats import combine_pvalues, hypergeom
from statsmodels.stats.multitest import multipletests

from analytics.objectivity.common import (
    Frame,
    _codes,
    _finish,
    _loo,
    _status,
    _year_filter,
)
from analytics.objectivity.settings import (
    DEFAULT_OBJECTIVITY_SETTINGS,
    ObjectivitySettings,
)
from analytics.objectivity.wording import (
    _alpha_text,
    _distinct,
    _n_texts,
    _numbers,
    _p_texts,
    _sentences,
)
from analytics.schema import ASSESSMENT_KEY, validate_frame
from analytics.text import NBSP, number_text, plural

# --- 2. heaping of primary scores at the mark boundaries ---------------------------------------------

_HEAPING_NUMERIC: Final = {
    "value": pl.Float64(),
    "threshold": pl.Float64(),
    "n": pl.Int64(),
    "observed": pl.Int64(),
    "expected": pl.Float64(),
    "boundaries": pl.Int64(),
    "p_value": pl.Float64(),
    "p_value_adjusted": pl.Float64(),
    "alpha": pl.Float64(),
}

_SCHOOL_ASSESSMENT: Final = [*ASSESSMENT_KEY, "school_id"]


#: The marks whose lowest primary score is a boundary (a «2» has none).
_BOUNDARY_MARKS: Final = (3, 4, 5)


def _boundaries_long(pupils: pl.LazyFrame, boundaries: Frame | None, year: int) -> pl.LazyFrame:
    """Columns: the assessment key and boundary (the lowest primary score of a mark 3, 4 or 5)."""
    if boundaries is None:
        # Inferred: the lowest primary score seen with each mark across the region.
        found = (
            pupils.filter(pl.col("mark") >= 3)
            .group_by([*ASSESSMENT_KEY, "mark"])
            .agg(boundary=pl.col("primary_score").min())
        )
    else:
        marks = [f"min_score_{mark}" for mark in _BOUNDARY_MARKS]
        found = (
            boundaries.lazy()
            .with_columns(
                pl.col("year").cast(pl.Int16),
                pl.col("procedure").cast(pl.String),
                pl.col("subject").cast(pl.String),
                pl.col("grade").cast(pl.Int8),
                *[pl.col(name).cast(pl.Float64) for name in marks],
            )
            .filter(_year_filter(year))
            .unpivot(on=marks, index=list(ASSESSMENT_KEY), value_name="boundary")
        )
    return found.filter(pl.col("boundary") >= 1).select(*ASSESSMENT_KEY, "boundary")


def boundary_heaping(
    pupil_results: Frame,
    *,
    year: int,
    boundaries: Frame | None = None,
    settings: ObjectivitySettings = DEFAULT_OBJECTIVITY_SETTINGS,
) -> pl.DataFrame:
    """An excess of primary scores exactly at the mark boundaries, compared with the rest of the region.

    Inputs: `pupil_results` (year, procedure, subject, grade, school_id, participant, primary_score, mark);
    `boundaries` (year, procedure, subject, grade, min_score_3, min_score_4, min_score_5: the lowest primary
    score of each mark) or None to infer them as the lowest primary score seen with each mark in the
    assessment across the region. Pupils without a score or a mark are left out; scores are compared
    exactly (b and b − 1), so fractional scores between them count for neither.

    The test. For a school, an assessment and a boundary b, take the pupils at b (just reached the mark)
    and at b − 1 (one point short). Under H0 the school's split of these pupils between b − 1 and b is the
    split of the rest of the region (the region without the school). Conditioning on the margins, the
    2 × 2 table school/rest × b/(b − 1) gives the one-sided *Fisher exact* test (hypergeometric upper
    tail), which also carries the uncertainty of the region's own share (a binomial test against the
    region's share would treat it as known). The boundaries of one school × assessment are independent
    tables with different region shares, so their counts must not be pooled into one binomial; their
    p-values are combined by *Fisher's method* (scipy.stats.combine_pvalues). Fisher's method was chosen
    over Stouffer's or a Mantel-Haenszel test because heaping usually sits at one boundary (most often
    «2»/«3»), and Fisher's method is the most sensitive to one strong component while the others are null;
    with discrete exact p-values it is conservative, which suits a sign that must not over-flag.
    Benjamini-Hochberg (statsmodels multipletests) adjusts the p-values across the schools of each
    assessment that have enough data. A boundary is used when the school and the rest of the region both
    have pupils at b − 1 or b.

    Flagged when p_value_adjusted < `heaping_alpha` and the excess (observed − expected pupils at the
    boundaries, expected from the rest of the region's shares) ≥ `heaping_min_excess`. Insufficient when
    n (pupils at b − 1 or b, summed over the used boundaries) < `heaping_min_pupils`. Columns: finding,
    assessment, then `value` (the excess, pupils), `threshold` (heaping_min_excess), `n`, `observed`,
    `expected`, `boundaries`, `p_value`, `p_value_adjusted`, `alpha`.
    """
    pupils = (
        validate_frame(pupil_results.lazy(), "pupil_results", check_values=False)
        .filter(_year_filter(year), pl.col("primary_score").is_not_null(), pl.col("mark").is_not_null())
        .select(
            pl.col("year"),
            pl.col("procedure").cast(pl.String),
            "subject",
            "grade",
            "school_id",
            "primary_score",
            "mark",
        )
    )
    # The distinct boundaries of each assessment side by side (b0 < b1 < b2, null where fewer), so that one
    # group-by over the pupils counts, for every school, the pupils at each boundary and one point short
    # (a pupil may count for two boundaries one point apart) without repeating each pupil per boundary.
    slots = range(len(_BOUNDARY_MARKS))
    wide = (
        _boundaries_long(pupils, boundaries, year)
        .group_by(ASSESSMENT_KEY)
        .agg(pl.col("boundary").unique().sort())
        .with_columns(pl.col("boundary").list.get(i, null_on_oob=True).alias(f"b{i}") for i in slots)
        .drop("boundary")
    )
    score = pl.col("primary_score")
    counts = (
        pupils.join(wide, on=list(ASSESSMENT_KEY), how="left")
        .group_by(_SCHOOL_ASSESSMENT)
        .agg(
            *[pl.col(f"b{i}").first() for i in slots],
            *[(score == pl.col(f"b{i}")).sum().alias(f"at{i}") for i in slots],
            *[(score == pl.col(f"b{i}") - 1).sum().alias(f"below{i}") for i in slots],
        )
        .collect()
    )
    schools = counts.select(_SCHOOL_ASSESSMENT).sort(_SCHOOL_ASSESSMENT)  # rows in a stable order
    per_boundary = (
        pl.concat(
            [
                counts.lazy().select(
                    *_SCHOOL_ASSESSMENT,
                    boundary=pl.col(f"b{i}"),
                    at=pl.col(f"at{i}").cast(pl.Int64),
                    below=pl.col(f"below{i}").cast(pl.Int64),
                )
                for i in slots
            ]
        )
        .filter(pl.col("boundary").is_not_null(), (pl.col("at") + pl.col("below")) > 0)
        .with_columns(
            rest_at=_loo("at", [*ASSESSMENT_KEY, "boundary"]),
            rest_below=_loo("below", [*ASSESSMENT_KEY, "boundary"]),
        )
        .with_columns(m=pl.col("at") + pl.col("below"), rest_m=pl.col("rest_at") + pl.col("rest_below"))
        .filter(pl.col("rest_m") > 0)  # m > 0 already: rows with no pupil at or below are gone
        .with_columns(expected=pl.col("m") * pl.col("rest_at") / pl.col("rest_m"))
        .sort([*_SCHOOL_ASSESSMENT, "boundary"])
        .collect()
    )
    # One-sided Fisher exact test per table: P(X ≥ at) for X hypergeometric with population m + rest_m,
    # successes at + rest_at and draws m.
    p_boundary = _hypergeom_upper_tail(
        per_boundary["at"].to_numpy(),
        (per_boundary["m"] + per_boundary["rest_m"]).to_numpy(),
        (per_boundary["at"] + per_boundary["rest_at"]).to_numpy(),
        per_boundary["m"].to_numpy(),
    )
    # An exact 0 (underflow) would make Fisher's statistic infinite; the smallest double keeps it finite.
    per_boundary = per_boundary.with_columns(
        p=pl.Series(np.clip(p_boundary, np.finfo(np.float64).tiny, 1.0), dtype=pl.Float64)
    )
    per_school = per_boundary.group_by(_SCHOOL_ASSESSMENT, maintain_order=True).agg(
        n=pl.col("m").sum(),
        observed=pl.col("at").sum(),
        expected=pl.col("expected").sum(),
        boundaries=pl.len().cast(pl.Int64),
        p_list=pl.col("p"),
    )
    per_school = per_school.with_columns(p_value=_fisher_combined(per_school)).drop("p_list")
    data = schools.join(per_school, on=_SCHOOL_ASSESSMENT, how="left", maintain_order="left").with_columns(
        pl.col("n", "observed", "boundaries").fill_null(0).cast(pl.Int64),
        pl.col("expected").fill_null(0.0),
    )
    data = data.with_columns(value=pl.col("observed") - pl.col("expected"))
    insufficient = pl.col("n") < settings.heaping_min_pupils
    data = _benjamini_hochberg(data, enough=~insufficient)
    significant = pl.col("p_value_adjusted") < settings.heaping_alpha
    large = pl.col("value") >= settings.heaping_min_excess
    data = (
        data.with_columns(
            threshold=pl.lit(settings.heaping_min_excess),
            alpha=pl.lit(settings.heaping_alpha),
        )
        .with_columns(_status(insufficient, (significant & large).fill_null(False)))
        .with_columns(
            _codes(pl.col("status"), "heaping_insufficient_n", {"heaping_at_mark_boundaries": pl.lit(True)})
        )
    )
    return _finish(
        data,
        method="boundary_heaping",
        year=year,
        numeric=_HEAPING_NUMERIC,
        reason=lambda data: _heaping_reasons(data, settings),
    )


#: Up to this many draws the products of ratios below stay within ~draws × 1.1e-16 of the exact tail;
#: above it (no school has that many pupils at one boundary) SciPy computes the tail.
_RECURRENCE_MAX_DRAWS: Final = 2_000
#: Below this a tail may have been summed from subnormal terms, which carry few digits: SciPy recomputes it.
_RECURRENCE_MIN_TAIL: Final = 1e-250


def _hypergeom_upper_tail(
    k: np.ndarray, population: np.ndarray, successes: np.ndarray, draws: np.ndarray
) -> np.ndarray:
    """P(X ≥ k) for X hypergeometric: `scipy.stats.hypergeom.sf(k − 1, population, successes, draws)`.

    SciPy's cost grows with the population (the whole region), and there is one table per school ×
    assessment × boundary. But the population and the successes are the region's totals (the school's own
    pupils plus the rest), the same for every school of an assessment × boundary, and the draws (a school's
    pupils at the boundary) are few. So every distinct (population, successes, draws) gets the whole
    distribution at once: the weights w(x) relative to the mode from the exact ratios
    pmf(x + 1) / pmf(x) = (successes − x)(draws − x) / ((x + 1)(population − successes − draws + x + 1)),
    each one correctly rounded division of integers exact in float64, multiplied outwards from the mode
    (no overflow, relative error ≤ draws × ε), then P(X ≥ k) = Σ_{x ≥ k} w(x) / Σ w(x), summed from the
    smallest terms. The tail is within ~1e-15 of the exact rational one (SciPy's own sf is off by up to
    ~4e-11 at a region's population); rows beyond `_RECURRENCE_MAX_DRAWS` or with
    a tail below `_RECURRENCE_MIN_TAIL` are left to SciPy.
    """
    k, population, successes, draws = (
        np.asarray(values, dtype=np.int64) for values in (k, population, successes, draws)
    )
    tail = np.full(k.shape, np.nan)
    if not k.size:
        return tail
    # np.unique over one integer key per triple (ordered as the triples: draws, then population, then
    # successes) is ~20× faster than over rows (axis=0), which sorts a structured view.
    width = int(population.max()) + 1
    if int(draws.max()) * width * width + width * width < 2**62:
        _, first, inverse = np.unique(
            (draws * width + population) * width + successes, return_index=True, return_inverse=True
        )
        triples = np.column_stack([draws, population, successes])[first]
    else:
        triples, inverse = np.unique(
            np.column_stack([draws, population, successes]), axis=0, return_inverse=True
        )
    inverse = inverse.ravel()
    row_order = np.argsort(inverse, kind="stable")
    first_row = np.searchsorted(inverse[row_order], np.arange(len(triples) + 1))
    # np.unique sorts the triples by draws first: one block of triples per number of draws.
    block_starts = np.flatnonzero(np.diff(triples[:, 0], prepend=-1))
    for start, stop in zip(block_starts, [*block_starts[1:], len(triples)], strict=True):
        n_draws = int(triples[start, 0])
        if n_draws > _RECURRENCE_MAX_DRAWS:
            continue
        big = triples[start:stop, 1:2].astype(np.float64)
        good = triples[start:stop, 2:3].astype(np.float64)
        x = np.arange(n_draws, dtype=np.float64)
        mode = ((n_draws + 1) * (triples[start:stop, 2:3] + 1)) // (triples[start:stop, 1:2] + 2)
        up_from = x >= mode
        numerator = (good - x) * (n_draws - x)
        denominator = (x + 1) * (big - good - n_draws + x + 1)
        # Past the mode the denominator is ≥ 1, before it the numerator is ≥ 1; the other side is unused.
        up = np.divide(numerator, denominator, out=np.ones_like(numerator), where=up_from)
        down = np.divide(denominator, numerator, out=np.ones_like(numerator), where=~up_from)
        weights = np.ones((stop - start, n_draws + 1))
        weights[:, 1:] = np.cumprod(up, axis=1)
        weights[:, :-1] *= np.cumprod(down[:, ::-1], axis=1)[:, ::-1]
        upper = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]
        table = upper / upper[:, :1]
        rows = row_order[first_row[start] : first_row[stop]]
        tail[rows] = table[inverse[rows] - start, np.clip(k[rows], 0, n_draws)]
        tail[rows[k[rows] > n_draws]] = 0.0
    exact = np.isnan(tail) | (tail < _RECURRENCE_MIN_TAIL)
    if exact.any():
        tail[exact] = hypergeom.sf(k[exact] - 1, population[exact], successes[exact], draws[exact])
    return tail


def _fisher_combined(per_school: pl.DataFrame) -> pl.Series:
    """Fisher's combination of each row's boundary p-values, vectorised per number of boundaries."""
    combined = np.full(per_school.height, np.nan)
    counts = per_school["boundaries"].to_numpy()
    for k in np.unique(counts):
        rows = np.flatnonzero(counts == k)
        matrix = per_school["p_list"].gather(rows).list.to_array(int(k)).to_numpy()
        combined[rows] = combine_pvalues(matrix, method="fisher", axis=1).pvalue
    return pl.Series("p_value", combined, dtype=pl.Float64)


def _benjamini_hochberg(data: pl.DataFrame, *, enough: pl.Expr) -> pl.DataFrame:
    """`p_value_adjusted`: BH across the schools of each assessment that have enough data (else null)."""
    data = data.with_row_index("_row")
    adjusted = np.full(data.height, np.nan)
    testable = data.filter(enough & pl.col("p_value").is_not_null())
    for group in testable.partition_by(list(ASSESSMENT_KEY)):
        adjusted[group["_row"].to_numpy()] = multipletests(group["p_value"].to_numpy(), method="fdr_bh")[1]
    return data.with_columns(p_value_adjusted=pl.Series(adjusted, dtype=pl.Float64).fill_nan(None)).drop(
        "_row"
    )


def _heaping_reasons(data: pl.DataFrame, settings: ObjectivitySettings) -> pl.Series:
    def pupils(count: int) -> str:
        return f"{number_text(count)} {plural(count, 'участник', 'участника', 'участников')}"

    pieces = {
        "n_pupils": _distinct(data["n"], pupils),
        "n_tail": _n_texts(data["n"]),
        "tail": _n_texts(data["n"], " у границ"),
        "observed": _distinct(data["observed"], pupils),
        "expected": _numbers(data["expected"], 1),
        "excess": _numbers(data["value"].abs(), 1),
        "more": data.select(
            pl.when(pl.col("value") >= 0).then(pl.lit("больше")).otherwise(pl.lit("меньше"))
        ).to_series(),
        "p": _p_texts(data["p_value"]),
        "adjusted": _p_texts(data["p_value_adjusted"]),
        "has_adjusted": data["p_value_adjusted"].is_not_null().cast(pl.String),
    }
    insufficient = pl.col("status").cast(pl.String) == "insufficient_data"
    lead = (
        pl.when(pl.col("status").cast(pl.String) == "flagged")
        .then(pl.lit("на границах отметок наблюдается избыток первичных баллов"))
        .otherwise(pl.lit("избыток первичных баллов на границах отметок не подтверждается"))
    )
    adjusted = (
        pl.when(pl.col("has_adjusted") == "true")
        .then(pl.concat_str(pl.lit(", с поправкой на число школ "), pl.col("adjusted")))
        .otherwise(pl.lit(""))
    )
    judged = pl.concat_str(
        lead,
        pl.lit(": ровно на пороговых баллах отметок "),
        pl.col("observed"),
        pl.lit(" при ожидаемых по региону "),
        pl.col("expected"),
        pl.lit(" (на "),
        pl.col("excess"),
        pl.lit(" "),
        pl.col("more"),
        pl.lit(", "),
        pl.col("p"),
        adjusted,
        pl.lit(
            f"); признак — p{NBSP}<{NBSP}{_alpha_text(settings.heaping_alpha)} и избыток не менее "
            f"{number_text(settings.heaping_min_excess)}"
        ),
    )
    body = (
        pl.when(insufficient)
        .then(
            pl.concat_str(
                pl.lit("у границ отметок (на пороговом балле или на балл ниже) "),
                pl.col("n_pupils"),
                pl.lit(f", нужно не менее {settings.heaping_min_pupils}"),
            )
        )
        .otherwise(judged)
    )
    tail = pl.when(insufficient).then(pl.col("n_tail")).otherwise(pl.col("tail"))
    return _sentences(data, pieces, body, tail)
