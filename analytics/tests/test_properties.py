"""Properties of the indicators over generated frames (hypothesis)."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.indicators import (
    PROPORTIONS,
    SCHOOL_KEY,
    area_task_completion,
    compare_task_completion,
    school_indicators,
    task_completion,
)

SCHOOLS = ("edu1", "edu2", "edu3", "edu4")
SUBJECTS = ("Математика", "Русский язык")
MARKS = st.sampled_from([None, 2, 3, 4, 5])
TASKS = {"1": (1.0, "Б"), "2": (2.0, "П"), "3": (3.0, "В")}
FEW = settings(max_examples=60, deadline=None)

_PUPIL_SCHEMA = {
    "school_id": pl.String,
    "subject": pl.String,
    "mark": pl.Int8,
    "journal_mark": pl.Int8,
    "primary_score": pl.Float64,
    "test_score": pl.Float64,
    "below_minimum": pl.Boolean,
}

_pupil = st.tuples(
    st.sampled_from(SCHOOLS),
    st.sampled_from(SUBJECTS),
    MARKS,
    MARKS,
    st.one_of(st.none(), st.integers(0, 20).map(float)),
    st.one_of(st.none(), st.integers(0, 100).map(float)),
    st.one_of(st.none(), st.booleans()),
)


def _pupil_frame(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=_PUPIL_SCHEMA, orient="row")
    return frame.with_columns(
        year=pl.lit(2025),
        procedure=pl.lit("ВПР"),
        grade=pl.lit(5),
        participant=pl.format("p{}", pl.int_range(pl.len())),
        max_primary_score=pl.lit(20.0),
    )


pupil_frames = st.lists(_pupil, min_size=1, max_size=60).map(_pupil_frame)


def _rename(frame: pl.DataFrame | pl.LazyFrame, mapping: dict[str, str]) -> pl.LazyFrame:
    return frame.lazy().with_columns(pl.col("school_id").replace_strict(mapping))


def _sorted(frame: pl.LazyFrame, *extra: str) -> pl.DataFrame:
    return frame.collect().with_columns(pl.col("procedure").cast(pl.String)).sort([*SCHOOL_KEY, *extra])


@FEW
@given(frame=pupil_frames, permutation=st.permutations(SCHOOLS))
def test_renaming_schools_changes_nothing_but_the_ids(frame: pl.DataFrame, permutation: list[str]) -> None:
    renaming = dict(zip(SCHOOLS, permutation, strict=True))
    back = {new: old for old, new in renaming.items()}
    original = _sorted(school_indicators(frame))
    renamed = _sorted(_rename(school_indicators(_rename(frame, renaming)), back))
    assert_frame_equal(renamed, original)


@FEW
@given(frame=pupil_frames, newcomer=_pupil)
def test_adding_a_pupil_changes_only_that_schools_row(
    frame: pl.DataFrame, newcomer: tuple[object, ...]
) -> None:
    school_id, subject = str(newcomer[0]), str(newcomer[1])
    grown = pl.concat([frame, _pupil_frame([newcomer]).with_columns(participant=pl.lit("newcomer"))])
    before = _sorted(school_indicators(frame))
    after = _sorted(school_indicators(grown))
    touched = (pl.col("school_id") == school_id) & (pl.col("subject") == subject)
    assert_frame_equal(after.filter(~touched), before.filter(~touched))
    grown_row = after.filter(touched)
    assert grown_row.height == 1
    previous = before.filter(touched)["participants"].to_list()
    assert grown_row["participants"].to_list() == [(previous[0] if previous else 0) + 1]


@FEW
@given(frame=pupil_frames)
def test_shares_are_percents_with_the_estimate_inside_its_interval(frame: pl.DataFrame) -> None:
    result = school_indicators(frame).collect()
    for name, (_, base) in PROPORTIONS.items():
        shares = result.select(
            count=pl.col(f"{name}_count"),
            base=pl.col(base),
            pct=pl.col(f"{name}_pct"),
            low=pl.col(f"{name}_ci_low"),
            high=pl.col(f"{name}_ci_high"),
        )
        given_rows = shares.filter(pl.col("base") > 0)
        assert given_rows.null_count().row(0) == (0, 0, 0, 0, 0), name
        assert given_rows.filter(~pl.col("count").is_between(0, pl.col("base"))).is_empty(), name
        assert given_rows.filter(~pl.col("pct").is_between(0, 100)).is_empty(), name
        inside = (pl.col("low") >= 0) & (pl.col("low") <= pl.col("pct")) & (pl.col("pct") <= pl.col("high"))
        assert given_rows.filter(~inside | (pl.col("high") > 100)).is_empty(), name
        # Over an empty base nothing is given. (Counting nulls, not `is_not_null().any()`: on an empty
        # filtered frame Polars 2.1.0 answers that with True.)
        empty_base = shares.filter(pl.col("base") == 0).select("pct", "low", "high")
        assert empty_base.null_count().row(0) == (empty_base.height,) * 3, name


@FEW
@given(frame=pupil_frames)
def test_the_mark_shares_add_up(frame: pl.DataFrame) -> None:
    result = school_indicators(frame).collect().filter(pl.col("marks_n") > 0)
    counts = pl.sum_horizontal(f"mark_{mark}_count" for mark in (2, 3, 4, 5))
    assert result.filter(counts != pl.col("marks_n")).is_empty()
    assert result.filter((pl.col("pass_pct") + pl.col("mark_2_pct") - 100).abs() > 1e-9).is_empty()
    quality = pl.col("mark_4_pct") + pl.col("mark_5_pct")
    assert result.filter((pl.col("quality_pct") - quality).abs() > 1e-9).is_empty()
    journal = pl.sum_horizontal("lowered_count", "confirmed_count", "raised_count")
    assert result.filter((pl.col("journal_n") > 0) & (journal != pl.col("journal_n"))).is_empty()
    assert result.select((pl.col("participants") >= pl.col("marks_n")).all()).item()


# --- task completion ---------------------------------------------------------------------------------

_answers = st.fixed_dictionaries(
    {
        task: st.one_of(st.none(), st.integers(0, int(maximum)).map(float))
        for task, (maximum, _) in TASKS.items()
    }
)
_sheet = st.tuples(st.sampled_from(SCHOOLS), st.sampled_from(SUBJECTS), _answers)


def _task_frame(sheets: list[tuple[str, str, dict[str, float | None]]]) -> pl.DataFrame:
    rows = [
        (school_id, subject, f"p{index}", task, score, TASKS[task][0], TASKS[task][1])
        for index, (school_id, subject, answers) in enumerate(sheets)
        for task, score in answers.items()
    ]
    schema = {
        "school_id": pl.String,
        "subject": pl.String,
        "participant": pl.String,
        "task": pl.String,
        "score": pl.Float64,
        "max_score": pl.Float64,
        "level": pl.String,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(year=pl.lit(2025), procedure=pl.lit("ВПР"), grade=pl.lit(5))


task_frames = st.lists(_sheet, min_size=1, max_size=40).map(_task_frame)
AREAS = pl.DataFrame(
    {
        "school_id": list(SCHOOLS),
        "municipality_id": ["m1", "m1", "m2", "m3"],
        "region_id": ["r1", "r1", "r1", "r2"],
    }
)


@FEW
@given(frame=task_frames, permutation=st.permutations(SCHOOLS), by=st.sampled_from(["task", "level"]))
def test_renaming_schools_changes_no_completion(frame: pl.DataFrame, permutation: list[str], by: str) -> None:
    renaming = dict(zip(SCHOOLS, permutation, strict=True))
    back = {new: old for old, new in renaming.items()}
    unit = ["task", "level"] if by == "task" else ["level"]
    original = compare_task_completion(task_completion(frame, by=by), AREAS)  # type: ignore[arg-type]
    renamed = compare_task_completion(
        task_completion(_rename(frame, renaming), by=by),  # type: ignore[arg-type]
        _rename(AREAS, renaming),
    )
    assert_frame_equal(
        _sorted(_rename(renamed, back), *unit), _sorted(original, *unit), check_column_order=False
    )


@FEW
@given(frame=task_frames, newcomer=_sheet)
def test_adding_a_pupil_changes_only_that_schools_completion(
    frame: pl.DataFrame, newcomer: tuple[str, str, dict[str, float | None]]
) -> None:
    school_id, subject = newcomer[0], newcomer[1]
    grown = pl.concat([frame, _task_frame([newcomer]).with_columns(participant=pl.lit("newcomer"))])
    before = _sorted(task_completion(frame), "task")
    after = _sorted(task_completion(grown), "task")
    touched = (pl.col("school_id") == school_id) & (pl.col("subject") == subject)
    assert_frame_equal(after.filter(~touched), before.filter(~touched))
    assert after.filter(touched).height == len(TASKS)


@FEW
@given(
    frame=task_frames, by=st.sampled_from(["task", "level"]), area=st.sampled_from(["municipality", "region"])
)
def test_an_area_lies_between_its_weakest_and_its_strongest_school(
    frame: pl.DataFrame, by: str, area: str
) -> None:
    schools = task_completion(frame, by=by)  # type: ignore[arg-type]
    result = schools.collect()
    assert result.filter(~pl.col("completion_pct").is_between(0, 100)).is_empty()
    unit = ["task", "level"] if by == "task" else ["level"]
    area_id = f"{area}_id"
    spread = (
        schools.join(AREAS.lazy(), on="school_id")
        .group_by(["subject", area_id, *unit])
        .agg(low=pl.col("completion_pct").min(), high=pl.col("completion_pct").max())
    )
    totals = area_task_completion(schools, AREAS, area=area).join(  # type: ignore[arg-type]
        spread, on=["subject", area_id, *unit], nulls_equal=True
    )
    checked = totals.collect()
    assert checked.height > 0
    outside = (pl.col("completion_pct") < pl.col("low") - 1e-9) | (
        pl.col("completion_pct") > pl.col("high") + 1e-9
    )
    assert checked.filter(outside).is_empty()


@FEW
@given(frame=task_frames, by=st.sampled_from(["task", "level"]), regions=st.booleans())
def test_the_comparison_shows_the_same_area_values_as_the_area_frame(
    frame: pl.DataFrame, by: str, regions: bool
) -> None:
    # edu4 is left out of the mapping: it must get no area values and count in no area.
    areas = AREAS.filter(pl.col("school_id") != "edu4")
    areas = areas if regions else areas.drop("region_id")
    schools = task_completion(frame, by=by)  # type: ignore[arg-type]
    unit = ["task", "level"] if by == "task" else ["level"]
    compared = compare_task_completion(schools, areas).collect()
    assert compared.height == schools.collect().height
    unmapped = compared.filter(pl.col("school_id") == "edu4")
    assert unmapped["municipality_completion_pct"].null_count() == unmapped.height
    assert unmapped["region_completion_pct"].null_count() == unmapped.height
    for area in ("municipality", "region"):
        area_id = f"{area}_id"
        totals = area_task_completion(schools, areas, area=area).collect()
        joined = compared.filter(pl.col("school_id") != "edu4").join(
            totals, on=[*SCHOOL_KEY[:4], area_id, *unit], nulls_equal=True, suffix="_area"
        )
        assert joined.height == compared.height - unmapped.height
        differs = (pl.col(f"{area}_completion_pct") - pl.col("completion_pct_area")).abs() > 1e-9
        assert joined.filter(
            differs | (pl.col(f"{area}_participants") != pl.col("participants_area"))
        ).is_empty()
