"""validate_frame: canonical frames pass, safe casts happen, every problem is listed at once."""

import datetime
from collections.abc import Sequence

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.schema import (
    PUPIL_RESULTS,
    SCHEMAS,
    FrameValidationError,
    Problem,
    validate_frame,
)


def _pupils(**overrides: Sequence[object]) -> pl.DataFrame:
    columns: dict[str, Sequence[object]] = {
        "year": [2025, 2025, 2025],
        "procedure": ["ВПР", "ВПР", "ВПР"],
        "subject": ["Математика"] * 3,
        "grade": [5, 5, 5],
        "school_id": ["edu1", "edu1", "edu2"],
        "participant": ["10001", "10002", "10003"],
        "primary_score": [12.0, 5.0, None],
        "max_primary_score": [20.0, 20.0, 20.0],
        "mark": [4, 2, None],
    }
    columns.update(overrides)
    return pl.DataFrame(columns, strict=False)


def _problems(error: pytest.ExceptionInfo[FrameValidationError]) -> set[tuple[str | None, str]]:
    return {(problem.column, problem.kind) for problem in error.value.problems}


def test_it_returns_a_valid_frame_in_canonical_form() -> None:
    result = validate_frame(_pupils(), "pupil_results")
    assert result.schema == PUPIL_RESULTS.polars_schema
    # Optional columns the frame did not bring are there, as nulls.
    assert result["journal_mark"].null_count() == 3
    assert result["mark"].to_list() == [4, 2, None]


def test_every_schema_accepts_an_empty_frame_of_its_own_schema() -> None:
    for name, schema in SCHEMAS.items():
        empty = pl.DataFrame(schema=schema.polars_schema)
        assert validate_frame(empty, name).schema == schema.polars_schema


def test_it_casts_integers_and_text_where_nothing_is_lost() -> None:
    frame = _pupils(
        school_id=[101, 101, 102],
        primary_score=["12,5", "X", " 7 "],  # decimal comma; «X» is "not attempted"
        mark=["4", "Х", "3"],  # Cyrillic «Х»
        journal_mark=["5", "нет отметки", "-"],
        below_minimum=["нет", "да", None],
    )
    result = validate_frame(frame, "pupil_results")
    assert result["school_id"].to_list() == ["101", "101", "102"]
    assert result["primary_score"].to_list() == [12.5, None, 7.0]
    assert result["mark"].to_list() == [4, None, 3]
    assert result["journal_mark"].to_list() == [5, None, None]
    assert result["below_minimum"].to_list() == [False, True, None]
    assert result.schema["year"] == pl.Int16 and result.schema["mark"] == pl.Int8


def test_it_lists_missing_columns_and_impossible_dtypes_together() -> None:
    frame = _pupils(year=[datetime.date(2025, 4, 1)] * 3).drop("participant")
    with pytest.raises(FrameValidationError) as error:
        validate_frame(frame, "pupil_results")
    assert _problems(error) == {("participant", "missing"), ("year", "dtype")}
    assert "Date" in str(error.value)


def test_it_refuses_a_cast_that_would_lose_a_value() -> None:
    frame = _pupils(mark=[4.0, 2.5, None], primary_score=["12", "двенадцать", None])
    with pytest.raises(FrameValidationError) as error:
        validate_frame(frame, "pupil_results")
    problems = {problem.column: problem for problem in error.value.problems}
    assert set(problems) == {"mark", "primary_score"}
    assert problems["mark"].kind == "cast" and problems["mark"].examples == ("2.5",)
    assert problems["primary_score"].examples == ("двенадцать",)


def test_it_refuses_an_integer_that_overflows_its_column() -> None:
    with pytest.raises(FrameValidationError) as error:
        validate_frame(_pupils(grade=[5, 300, 5]), "pupil_results")
    assert _problems(error) == {("grade", "cast")}


def test_it_refuses_a_float_as_an_id() -> None:
    # A task read as a float (1.0 for «1», 9.1 for «9.1») cannot be turned back into its label safely.
    frame = pl.DataFrame(
        {
            "year": [2025],
            "procedure": ["ВПР"],
            "subject": ["Математика"],
            "grade": [5],
            "school_id": ["edu1"],
            "participant": ["1"],
            "task": [1.0],
            "score": [1.0],
            "max_score": [1.0],
        }
    )
    with pytest.raises(FrameValidationError) as error:
        validate_frame(frame, "task_scores")
    assert _problems(error) == {("task", "dtype")}


def test_it_lists_nulls_domains_rules_and_duplicates() -> None:
    frame = _pupils(
        participant=["10001", "10001", None],  # a duplicate and a null
        mark=[6, 2, None],  # 6 is no mark
        primary_score=[25.0, 5.0, None],  # 25 > 20
    )
    with pytest.raises(FrameValidationError) as error:
        validate_frame(frame, "pupil_results")
    assert _problems(error) == {
        ("participant", "null"),
        ("mark", "domain"),
        (None, "row"),
        (None, "duplicate"),
    }
    domain = next(problem for problem in error.value.problems if problem.kind == "domain")
    assert domain.rows == 1 and domain.examples == ("6",)
    assert "primary_score exceeds max_primary_score" in str(error.value)
    # Each problem says where its first rows are (0-based positions): the repeat is the second row.
    positions = {(p.column, p.kind): p.positions for p in error.value.problems}
    assert positions == {
        ("participant", "null"): (2,),
        ("mark", "domain"): (0,),
        (None, "row"): (0,),
        (None, "duplicate"): (1,),
    }


def test_it_gives_the_positions_of_the_first_rows_only() -> None:
    # Seven copies of three rows; the first row of each has these marks: 6, 7, 8, 9 and 1 are no marks.
    marks = [2, 6, 3, 7, 8, 9, 1]
    frame = pl.concat(
        [_pupils(mark=[mark, 2, 3], participant=[f"{i}a", f"{i}b", f"{i}c"]) for i, mark in enumerate(marks)]
    )
    with pytest.raises(FrameValidationError) as error:
        validate_frame(frame, "pupil_results")
    (domain,) = [p for p in error.value.problems if p.kind == "domain"]
    assert domain.rows == 5 and domain.positions == (3, 9, 12) and domain.examples == ("6", "7", "8")


def test_it_checks_the_sum_of_shares_only_when_all_are_given() -> None:
    base = {
        "year": [2025, 2025],
        "procedure": ["ЕГЭ", "ВПР"],
        "subject": ["Русский язык", "Математика"],
        "grade": [11, 5],
        "school_id": ["edu1", "edu1"],
        "participants": [30, 40],
    }
    partial = pl.DataFrame({**base, "share_2": [None, 10.0], "share_3": [None, None]})
    assert validate_frame(partial, "school_aggregates").height == 2
    broken = pl.DataFrame(
        {
            **base,
            "share_2": [None, 10.0],
            "share_3": [None, 30.0],
            "share_4": [None, 30.0],
            "share_5": [None, 20.0],
        }
    )
    with pytest.raises(FrameValidationError, match="do not sum to 100"):
        validate_frame(broken, "school_aggregates")


def test_it_refuses_a_location_outside_the_enum() -> None:
    frame = pl.DataFrame({"year": [2025, 2025], "school_id": ["a", "b"], "location": ["city", "town"]})
    with pytest.raises(FrameValidationError) as error:
        validate_frame(frame, "school_context")
    assert [(problem.column, problem.examples) for problem in error.value.problems] == [
        ("location", ("town",))
    ]


def test_a_lazy_frame_without_value_checks_fails_at_collect_instead_of_losing_a_value() -> None:
    lazy = validate_frame(_pupils(mark=[4.0, 2.5, None]).lazy(), "pupil_results", check_values=False)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect_schema() == PUPIL_RESULTS.polars_schema
    with pytest.raises(pl.exceptions.InvalidOperationError, match="mark: a value cannot be cast"):
        lazy.collect()


def test_a_lazy_frame_with_safe_casts_collects_to_the_eager_result() -> None:
    frame = _pupils(school_id=[101, 101, 102], mark=["4", "2", "X"])
    lazy = validate_frame(frame.lazy(), "pupil_results", check_values=False)
    assert_frame_equal(lazy.collect(), validate_frame(frame, "pupil_results"))


def test_it_drops_or_keeps_extra_columns() -> None:
    frame = _pupils(**{"Муниципалитет": ["Урванский"] * 3})
    assert "Муниципалитет" not in validate_frame(frame, "pupil_results").columns
    kept = validate_frame(frame, "pupil_results", extra_columns="keep")
    assert kept.columns[-1] == "Муниципалитет"


def test_it_names_the_known_schemas_when_asked_for_another() -> None:
    with pytest.raises(ValueError, match="pupil_results"):
        validate_frame(_pupils(), "pupils")


def test_a_problem_reads_as_a_line() -> None:
    problem = Problem("mark", "domain", "1 values outside 2..5", 1, ("6",))
    assert str(problem) == "mark: 1 values outside 2..5 (e.g. 6)"
    located = Problem("mark", "domain", "2 values outside 2..5", 2, ("6", "7"), (0, 4))
    assert str(located) == "mark: 2 values outside 2..5 (e.g. 6, 7) at rows 1, 5"


def test_it_refuses_ids_with_surrounding_spaces() -> None:
    # "edu1 " would silently be a second school in every join.
    with pytest.raises(FrameValidationError) as error:
        validate_frame(_pupils(school_id=["edu1", "edu1 ", "  "]), "pupil_results")
    [problem] = error.value.problems
    assert (problem.column, problem.kind, problem.rows) == ("school_id", "domain", 2)
