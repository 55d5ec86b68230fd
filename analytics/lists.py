"""Lists of schools across cycles: who enters, who stays, who leaves.

A school enters a computed list in the cycle (year) it meets the rule. It stays while it meets it, and
also while it has missed the rule for fewer than `exit_after_cycles` consecutive cycles: one good year
is not enough to leave the support (DOMAIN.md §5; K is a parameter of the methodology).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import polars as pl

__all__ = ["MEMBERSHIP_SCHEMA", "ListSettings", "list_membership"]

MEMBERSHIP_SCHEMA: Final = pl.Schema(
    {
        "school_id": pl.String(),
        "member": pl.Boolean(),
        "meets_rule": pl.Boolean(),
        "cycles_without_rule": pl.Int16(),
    }
)


@dataclass(frozen=True)
class ListSettings:
    """How long a school stays in a list after it stops meeting the rule."""

    exit_after_cycles: int = field(
        default=2,
        metadata={
            "label": "Школа выходит из списка после стольких циклов подряд без выполнения правила",
            "source": "выбор Опоры: два цикла подряд, чтобы один удачный год не прерывал поддержку",
        },
    )

    def __post_init__(self) -> None:
        if self.exit_after_cycles < 1:
            raise ValueError("exit_after_cycles must be at least 1")


def list_membership(
    meets: pl.DataFrame, previous: pl.DataFrame | None, settings: ListSettings = ListSettings()
) -> pl.DataFrame:
    """The list of this cycle from who meets the rule now and the list of the previous cycle.

    `meets`: school_id, meets_rule — true or false, or null for insufficient data: a null neither adds the
    school nor counts as a cycle without the rule, so a member with no data this cycle keeps its count.
    `previous`: school_id, cycles_without_rule of the previous list's members (None for the first cycle).
    Returns `MEMBERSHIP_SCHEMA` rows for this cycle's members only, sorted by school_id.
    """
    now = meets.select(pl.col("school_id").cast(pl.String), pl.col("meets_rule").cast(pl.Boolean))
    if previous is None:
        previous = pl.DataFrame(schema={"school_id": pl.String(), "cycles_without_rule": pl.Int16()})
    before = previous.select(
        pl.col("school_id").cast(pl.String),
        pl.col("cycles_without_rule").cast(pl.Int16).alias("before"),
        pl.lit(True).alias("was_member"),
    )
    joined = now.join(before, on="school_id", how="full", coalesce=True).with_columns(
        pl.col("was_member").fill_null(False)
    )
    cycles = (
        pl.when(pl.col("meets_rule").fill_null(False))
        .then(0)
        .when(pl.col("meets_rule").is_null())  # no data this cycle: the count neither grows nor resets
        .then(pl.col("before").fill_null(0))
        .otherwise(pl.col("before").fill_null(0) + 1)
        .cast(pl.Int16)
    )
    return (
        joined.with_columns(cycles_without_rule=cycles)
        .with_columns(
            member=pl.col("meets_rule").fill_null(False)
            | (pl.col("was_member") & (pl.col("cycles_without_rule") < settings.exit_after_cycles))
        )
        .filter(pl.col("member"))
        .select(MEMBERSHIP_SCHEMA.names())
        .cast(MEMBERSHIP_SCHEMA)
        .sort("school_id")
    )
