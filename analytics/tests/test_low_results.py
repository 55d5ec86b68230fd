"""The low-results rule on small hand-computed frames, and its properties."""

import dataclasses
import json

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.findings import FINDING_COLUMNS
from analytics.low_results import LowResultsSettings, low_results
from analytics.stats import proportion_exprs

RAW = LowResultsSettings(basis="raw")


def _frame(rows: list[tuple]) -> pl.DataFrame:
    """rows: (school, year, subject, grade, n, k[, source])."""
    records = [
        {
            "school_id": r[0],
            "year": r[1],
            "procedure": "ВПР",
            "subject": r[2],
            "grade": r[3],
            "below_min_n": r[4],
            "below_min_count": r[5],
            "source": r[6] if len(r) > 6 else "pupils",
        }
        for r in rows
    ]
    return pl.DataFrame(records).with_columns(proportion_exprs("below_min", "below_min_count", "below_min_n"))


def _status(frame: pl.DataFrame, s: LowResultsSettings = RAW, year: int = 2024) -> dict[str, str]:
    findings = low_results(frame, year=year, settings=s).findings
    return dict(zip(findings["school_id"], findings["status"], strict=True))


def test_it_applies_the_threshold_rule_by_hand() -> None:
    frame = _frame(
        [
            # a: 12/40 = 30 % (exactly the threshold) and 14/40 = 35 % in 2024 → two assessments → flagged.
            ("a", 2024, "Математика", 5, 40, 12),
            ("a", 2024, "Русский язык", 6, 40, 14),
            # b: the same assessment 17/40 = 42.5 % in 2023 and 13/40 = 32.5 % in 2024 → flagged.
            ("b", 2023, "Математика", 5, 40, 17),
            ("b", 2024, "Математика", 5, 40, 13),
            # c: 11/40 = 27.5 % and 14/40 = 35 % → one assessment only → cleared.
            ("c", 2024, "Математика", 5, 40, 11),
            ("c", 2024, "Русский язык", 6, 40, 14),
            # d: 14/40 = 35 % and 9 participants (below min_participants = 10) → insufficient_data.
            ("d", 2024, "Математика", 5, 40, 14),
            ("d", 2024, "Русский язык", 6, 9, 1),
            # e: 10 participants is enough: 1/10 = 10 % → cleared.
            ("e", 2024, "Математика", 5, 40, 14),
            ("e", 2024, "Русский язык", 6, 10, 1),
        ]
    )
    result = low_results(frame, year=2024, settings=RAW)
    findings = result.findings
    assert findings.columns[: len(FINDING_COLUMNS)] == list(FINDING_COLUMNS)
    assert _status(frame) == {
        "a": "flagged",
        "b": "flagged",
        "c": "cleared",
        "d": "insufficient_data",
        "e": "cleared",
    }
    codes = dict(zip(findings["school_id"], findings["reason_codes"].to_list(), strict=True))
    assert codes["a"] == ["below_min_in_several_assessments"]
    assert codes["b"] == ["below_min_consecutive_years"]
    assert codes["d"] == ["insufficient_data"]
    reason_a = findings.filter(pl.col("school_id") == "a")["reason"][0]
    assert "В 2024\u00a0г." in reason_a and "ВПР 5\u00a0кл. математика — 30\u00a0%" in reason_a
    assert "русский язык — 35\u00a0%" in reason_a
    assert result.details.filter(pl.col("school_id") == "b").height == 2


def test_it_ranks_and_flags_the_bottom_share() -> None:
    # Composites (raw): a 50 %, b 40 %, c 30 %, d 20 %, e 10 %; f has 5 participants only.
    rows = [(s, 2024, "Математика", 5, 20, k) for s, k in zip("abcde", [10, 8, 6, 4, 2], strict=True)]
    frame = _frame([*rows, ("f", 2024, "Математика", 5, 5, 5)])
    # Bottom 40 % of 5 ranked schools: fewer than 40 % worse → positions 1 and 2 (0/5 and 1/5 worse).
    status = _status(frame, LowResultsSettings(basis="raw", mode="ranking", ranking_bottom_pct=40.0))
    assert status == {
        "a": "flagged",
        "b": "flagged",
        "c": "cleared",
        "d": "cleared",
        "e": "cleared",
        "f": "insufficient_data",
    }


def test_it_applies_persistence_over_three_years() -> None:
    frame = _frame(
        [
            # a: ≥ 30 % in some assessment in 2022, 2023 and 2024 (different subjects) → flagged.
            ("a", 2022, "Математика", 5, 20, 6),
            ("a", 2023, "Русский язык", 5, 20, 7),
            ("a", 2024, "Математика", 5, 20, 8),
            # b: 2023 is 5/20 = 25 % → cleared.
            ("b", 2022, "Математика", 5, 20, 6),
            ("b", 2023, "Математика", 5, 20, 5),
            ("b", 2024, "Математика", 5, 20, 8),
            # c: 2023 had 5 participants → insufficient_data.
            ("c", 2022, "Математика", 5, 20, 6),
            ("c", 2023, "Математика", 5, 5, 0),
            ("c", 2024, "Математика", 5, 20, 8),
        ]
    )
    s = LowResultsSettings(basis="raw", mode="persistence")
    assert _status(frame, s) == {"a": "flagged", "b": "cleared", "c": "insufficient_data"}


def test_the_basis_changes_the_outcome_for_a_small_school() -> None:
    # s: 4/10 = 40 % and 4/10 = 40 % raw → flagged on raw. Wilson lower bound of 4/10 is 16.8 % → cleared.
    rows = [("s", 2024, "Математика", 5, 10, 4), ("s", 2024, "Русский язык", 5, 10, 4)]
    others = [(f"o{i}", 2024, subj, 5, 100, 5) for i in range(30) for subj in ("Математика", "Русский язык")]
    frame = _frame([*rows, *others])
    assert _status(frame, RAW)["s"] == "flagged"
    assert _status(frame, LowResultsSettings(basis="ci_low"))["s"] == "cleared"
    # The region has 5 % below the minimum: the shrunken estimate pulls 40 % of 10 pupils below 30 %.
    assert _status(frame, LowResultsSettings(basis="shrunken"))["s"] == "cleared"


def test_it_prefers_pupils_over_aggregates() -> None:
    frame = _frame(
        [
            ("a", 2024, "Математика", 5, 40, 20, "aggregates"),
            ("a", 2024, "Математика", 5, 40, 2, "pupils"),
            ("a", 2024, "Русский язык", 5, 40, 20, "aggregates"),
        ]
    )
    result = low_results(frame, year=2024, settings=RAW)
    # With the aggregates' 50 % in mathematics it would be flagged; the pupils' 5 % wins.
    assert result.findings["status"][0] == "cleared"
    assert result.details["source"].to_list() == ["pupils", "aggregates"]


def test_settings_round_trip_through_json_and_carry_labels() -> None:
    s = LowResultsSettings(mode="ranking", grades=(5, 6))
    assert LowResultsSettings(**json.loads(json.dumps(dataclasses.asdict(s)))) == s
    for f in dataclasses.fields(LowResultsSettings):
        assert f.metadata["label"] and f.metadata["source"]


SCHOOLS = ("a", "b", "c", "d")
_row = st.tuples(
    st.sampled_from(SCHOOLS),
    st.sampled_from((2023, 2024)),
    st.sampled_from(("Математика", "Русский язык")),
    st.integers(1, 40),
    st.integers(0, 40),
)


def _unique_frame(rows: list[tuple]) -> pl.DataFrame:
    seen = {}
    for school, year, subject, n, k in rows:
        seen[(school, year, subject)] = (school, year, subject, 5, n, min(n, k))
    return _frame(list(seen.values()))


@settings(max_examples=30, deadline=None)
@given(st.lists(_row, min_size=1, max_size=16), st.permutations(SCHOOLS))
def test_renaming_schools_changes_only_the_ids(rows: list[tuple], order: list[str]) -> None:
    frame = _unique_frame(rows)
    mapping = dict(zip(SCHOOLS, order, strict=True))
    for basis in ("raw", "ci_low", "shrunken"):
        s = LowResultsSettings(basis=basis)
        original = low_results(frame, year=2024, settings=s).findings
        renamed = low_results(
            frame.with_columns(pl.col("school_id").replace_strict(mapping)), year=2024, settings=s
        ).findings
        expected = original.with_columns(pl.col("school_id").replace_strict(mapping)).sort("school_id")
        assert_frame_equal(renamed, expected)


@settings(max_examples=30, deadline=None)
@given(st.lists(_row, min_size=1, max_size=16), st.integers(0, 40))
def test_changing_one_school_changes_only_its_findings(rows: list[tuple], new_count: int) -> None:
    # Only for raw and ci_low: with basis="shrunken" the prior is fitted on every school of the assessment,
    # so one school's result legitimately moves the others' shrunken shares.
    frame = _unique_frame(rows)
    target = frame["school_id"][0]
    changed = frame.with_columns(
        below_min_count=pl.when(pl.col("school_id") == target)
        .then(pl.min_horizontal(pl.lit(new_count), pl.col("below_min_n")))
        .otherwise(pl.col("below_min_count"))
    ).with_columns(proportion_exprs("below_min", "below_min_count", "below_min_n"))
    for basis in ("raw", "ci_low"):
        s = LowResultsSettings(basis=basis)
        before = low_results(frame, year=2024, settings=s).findings.filter(pl.col("school_id") != target)
        after = low_results(changed, year=2024, settings=s).findings.filter(pl.col("school_id") != target)
        assert_frame_equal(before, after)
