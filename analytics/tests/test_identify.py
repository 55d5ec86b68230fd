"""The orchestration: every method over one region, one finding per school and method, the cycle's lists."""

import json
from typing import Any

import numpy as np
import polars as pl
import pytest

from analytics.identify import LIST_METHODS, Identification, IdentifyInputs, identify
from analytics.methodology import Methodology
from analytics.tables import identify_inputs

YEARS = (2024, 2025)
SUBJECTS = ("Математика", "Русский язык")


def _region(seed: int = 3, schools: int = 30) -> dict[str, pl.DataFrame]:
    """Schools s0..s29: s0 and s1 truly low (60 % «2»), the rest 10 %; s29 has 6 pupils; s28 no passport."""
    rng = np.random.default_rng(seed)
    pupils, tasks = [], []
    for s in range(schools):
        n = 6 if s == schools - 1 else 40
        p_two = 0.6 if s < 2 else 0.10
        for year in YEARS:
            for subject in SUBJECTS:
                for i in range(n):
                    two = rng.random() < p_two
                    score = float(rng.integers(0, 5) if two else rng.integers(6, 21))
                    mark = 2 if score < 5 else 3 if score < 10 else 4 if score < 15 else 5
                    key = {
                        "year": year,
                        "procedure": "ВПР",
                        "subject": subject,
                        "grade": 5,
                        "school_id": f"s{s}",
                    }
                    pupils.append(
                        {
                            **key,
                            "participant": f"{s}-{i}",
                            "primary_score": score,
                            "max_primary_score": 20.0,
                            "mark": mark,
                        }
                    )
                    for t, level in ((1, "Б"), (2, "Б"), (3, "П")):
                        tasks.append(
                            {
                                **key,
                                "participant": f"{s}-{i}",
                                "task": str(t),
                                "score": float(rng.integers(0, 2)),
                                "max_score": 1.0,
                                "level": level,
                            }
                        )
    ids = [f"s{s}" for s in range(schools)]
    context = pl.DataFrame(
        {
            "year": [2025] * (schools - 1),
            "school_id": ids[:-2] + ids[-1:],
            "share_low_income": rng.uniform(0, 60, schools - 1),
            "share_parents_higher_education": rng.uniform(5, 60, schools - 1),
            "share_single_parent": rng.uniform(5, 50, schools - 1),
        }
    )
    areas = pl.DataFrame({"school_id": ids, "municipality_id": [f"m{s % 3}" for s in range(schools)]})
    return {
        "pupil_results": pl.DataFrame(pupils),
        "task_scores": pl.DataFrame(tasks),
        "context": context,
        "areas": areas,
    }


@pytest.fixture(scope="module")
def region() -> dict[str, pl.DataFrame]:
    return _region()


def _inputs(
    tables: dict[str, pl.DataFrame], *, year: int | None = None, check_values: bool = True
) -> IdentifyInputs:
    return identify_inputs(
        areas=tables["areas"],
        pupil_results=tables["pupil_results"],
        task_scores=tables["task_scores"],
        context=tables["context"],
        year=year,
        check_values=check_values,
    )


def _run(tables: dict[str, pl.DataFrame], **kwargs: Any) -> Identification:
    return identify(_inputs(tables), Methodology(), year=2025, **kwargs)


def test_every_school_has_one_finding_per_method(region: dict[str, pl.DataFrame]) -> None:
    findings = _run(region).findings
    assert findings.select("school_id", "method").is_duplicated().sum() == 0
    for method in (*LIST_METHODS, "dynamics"):
        assert findings.filter(pl.col("method") == method).height == 30, method
    for values in findings["values"]:
        json.loads(values)


def test_the_truly_low_schools_are_flagged_and_listed(region: dict[str, pl.DataFrame]) -> None:
    result = _run(region)
    low = result.findings.filter(pl.col("method") == "low_results")
    assert set(low.filter(pl.col("status") == "flagged")["school_id"]) == {"s0", "s1"}
    assert set(result.lists["low_results"]["school_id"]) == {"s0", "s1"}


def test_a_school_without_a_passport_has_insufficient_data_with_a_reason(
    region: dict[str, pl.DataFrame],
) -> None:
    shnsu = (
        _run(region)
        .findings.filter((pl.col("method") == "shnsu") & (pl.col("school_id") == "s28"))
        .row(0, named=True)
    )
    assert shnsu["status"] == "insufficient_data" and "паспорта" in shnsu["reason"]


def test_signs_are_rolled_up_per_school_with_their_assessments_in_the_details(
    region: dict[str, pl.DataFrame],
) -> None:
    result = _run(region)
    signs = result.findings.filter(pl.col("method").str.starts_with("objectivity_"))
    assert signs.select("school_id", "method").is_duplicated().sum() == 0
    per_assessment = result.details["objectivity"]
    for row in signs.iter_rows(named=True):
        rows = per_assessment.filter(
            (pl.col("school_id") == row["school_id"]) & (pl.col("method") == row["method"])
        )
        statuses = set(rows["status"].cast(pl.String))
        expected = (
            "flagged"
            if "flagged" in statuses
            else "cleared"
            if "cleared" in statuses
            else "insufficient_data"
        )
        assert row["status"] == expected
        assert json.loads(row["values"])["assessments"] == rows.height


def test_renaming_schools_changes_nothing_but_the_names(region: dict[str, pl.DataFrame]) -> None:
    mapping = {f"s{s}": f"школа-{29 - s:02d}" for s in range(30)}
    renamed = {
        name: frame.with_columns(pl.col("school_id").replace_strict(mapping))
        for name, frame in region.items()
    }
    before = _run(region).findings.with_columns(pl.col("school_id").replace_strict(mapping))
    after = _run(renamed).findings
    columns = ["school_id", "method", "status", "reason_codes"]
    assert (
        before.select(columns)
        .sort("method", "school_id")
        .equals(after.select(columns).sort("method", "school_id"))
    )


def test_the_previous_list_keeps_a_school_that_stopped_meeting_the_rule(
    region: dict[str, pl.DataFrame],
) -> None:
    previous = {"low_results": pl.DataFrame({"school_id": ["s5"], "cycles_without_rule": [0]})}
    members = _run(region, previous_lists=previous).lists["low_results"]
    row = members.filter(pl.col("school_id") == "s5").row(0, named=True)
    assert (row["meets_rule"], row["cycles_without_rule"]) == (False, 1)


def test_inputs_of_the_year_only_give_the_same_identification(region: dict[str, pl.DataFrame]) -> None:
    every_year = _run(region)
    year_only = identify(_inputs(region, year=2025, check_values=False), Methodology(), year=2025)
    assert year_only.findings.equals(every_year.findings)
    assert _inputs(region, year=2025).level_completion["year"].unique().to_list() == [2025]


def test_without_pupil_rows_level_participants_are_counted_from_the_task_rows(
    region: dict[str, pl.DataFrame],
) -> None:
    """Task scores alone (no pupil results): the participants of each level are a distinct count over the
    task rows, so that the basic-against-advanced sign is judged, not left «недостаточно данных»."""
    without = identify_inputs(
        areas=region["areas"], task_scores=region["task_scores"], context=region["context"], year=2025
    )
    with_pupils = _inputs(region, year=2025)
    key = ["school_id", "year", "procedure", "subject", "grade", "level"]
    assert without.level_completion.sort(key).equals(with_pupils.level_completion.sort(key))
    assert without.level_completion["participants"].null_count() == 0


def test_level_participants_are_the_distinct_participants_of_the_task_rows(
    region: dict[str, pl.DataFrame],
) -> None:
    """`identify_inputs` takes each level's participants from the pupil rows instead of a distinct count over
    the task rows: the same numbers, since every participant of a work has a row for each of its tasks."""
    from analytics.indicators import SCHOOL_KEY, task_completion

    levels = _inputs(region, year=2025).level_completion
    counted = (
        task_completion(region["task_scores"].filter(pl.col("year") == 2025), by="level")
        .select(*SCHOOL_KEY, "level", "participants", "completion_pct")
        .with_columns(pl.col("procedure").cast(pl.String))
        .collect()
    )
    assert levels.height == counted.height > 0
    joined = levels.join(counted, on=[*SCHOOL_KEY, "level"], suffix="_counted")
    assert joined.height == levels.height
    assert joined["participants"].to_list() == joined["participants_counted"].to_list()
    assert joined["completion_pct"].to_list() == joined["completion_pct_counted"].to_list()
