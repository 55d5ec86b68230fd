import polars as pl
import pytest

from analytics.lists import ListSettings, list_membership


def _meets(**values: bool | None) -> pl.DataFrame:
    return pl.DataFrame(
        {"school_id": list(values), "meets_rule": list(values.values())},
        schema={"school_id": pl.String, "meets_rule": pl.Boolean},
    )


def _members(frame: pl.DataFrame) -> dict[str, int]:
    return dict(zip(frame["school_id"], frame["cycles_without_rule"], strict=True))


def test_the_first_cycle_lists_exactly_the_schools_that_meet_the_rule() -> None:
    result = list_membership(_meets(a=True, b=False, c=None), None)
    assert _members(result) == {"a": 0}


def test_a_school_leaves_after_k_consecutive_cycles_without_the_rule() -> None:
    settings = ListSettings(exit_after_cycles=2)
    cycle1 = list_membership(_meets(a=True, b=True), None, settings)
    cycle2 = list_membership(_meets(a=False, b=True), cycle1, settings)  # a: 1 cycle without → stays
    assert _members(cycle2) == {"a": 1, "b": 0}
    cycle3 = list_membership(_meets(a=False, b=False), cycle2, settings)  # a: 2 cycles → leaves
    assert _members(cycle3) == {"b": 1}


def test_meeting_the_rule_again_resets_the_count_and_missing_data_keeps_it() -> None:
    settings = ListSettings(exit_after_cycles=3)
    previous = pl.DataFrame({"school_id": ["a", "b"], "cycles_without_rule": [2, 2]})
    result = list_membership(_meets(a=True, b=None), previous, settings)
    assert _members(result) == {"a": 0, "b": 2}


def test_k_of_one_means_a_school_leaves_at_its_first_good_cycle() -> None:
    previous = pl.DataFrame({"school_id": ["a"], "cycles_without_rule": [0]})
    assert list_membership(_meets(a=False), previous, ListSettings(exit_after_cycles=1)).is_empty()


def test_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="exit_after_cycles"):
        ListSettings(exit_after_cycles=0)
