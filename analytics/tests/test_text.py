import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.text import (
    NBSP,
    ci_text,
    grade_expr,
    grade_text,
    number_expr,
    number_text,
    percent_expr,
    percent_text,
    plural,
    pp_expr,
    pp_text,
    subject_expr,
)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "школа"),
        (2, "школы"),
        (4, "школы"),
        (5, "школ"),
        (11, "школ"),
        (12, "школ"),
        (21, "школа"),
        (22, "школы"),
        (111, "школ"),
        (0, "школ"),
    ],
)
def test_plural_follows_russian_rules(count: int, expected: str) -> None:
    assert plural(count, "школа", "школы", "школ") == expected


def test_numbers_use_a_decimal_comma_and_a_true_minus() -> None:
    assert number_text(12.5, 1) == "12,5"
    assert number_text(-3.0) == "\u22123"
    assert number_text(-0.2) == "0"  # no «−0»
    assert number_text(1234.0) == f"1{NBSP}234"


def test_shares_and_intervals_read_as_in_a_russian_report() -> None:
    assert percent_text(42.0) == f"42{NBSP}%"
    assert percent_text(None) == "—"
    assert ci_text(31.2, 54.4) == f"95{NBSP}% ДИ 31–54{NBSP}%"
    assert pp_text(12.0) == f"+12,0{NBSP}п.{NBSP}п."
    assert pp_text(-4.5) == f"\u22124,5{NBSP}п.{NBSP}п."


# Thousandths, away from the exact halves where Python (half to even) and Polars (half away from zero) differ.
_THOUSANDTHS = st.integers(-150_000, 150_000).filter(lambda i: i % 100 != 50 and i % 1000 != 500)


@given(st.lists(st.one_of(st.none(), _THOUSANDTHS), min_size=1))
def test_the_expressions_word_numbers_exactly_as_the_functions(values: list[int | None]) -> None:
    numbers = [None if v is None else v / 1000 for v in values]
    frame = pl.DataFrame({"v": numbers}, schema={"v": pl.Float64})
    words = frame.select(
        n0=number_expr(pl.col("v")),
        n1=number_expr(pl.col("v"), 1),
        p=percent_expr(pl.col("v")),
        pp=pp_expr(pl.col("v")),
    )
    for value, row in zip(numbers, words.iter_rows(named=True), strict=True):
        if value is None:
            assert row == {"n0": "—", "n1": "—", "p": "—", "pp": "—"}
        else:
            expected = (number_text(value), number_text(value, 1), percent_text(value), pp_text(value))
            assert (row["n0"], row["n1"], row["p"], row["pp"]) == expected


def test_subjects_are_lowercased_inside_a_sentence_but_not_abbreviations() -> None:
    frame = pl.DataFrame({"s": ["Русский язык", "ИКТ", "Математика (профильный уровень)"]})
    assert frame.select(subject_expr(pl.col("s")))["s"].to_list() == [
        "русский язык",
        "ИКТ",
        "математика (профильный уровень)",
    ]
    assert pl.DataFrame({"g": [5]}).select(grade_expr(pl.col("g")))["g"][0] == grade_text(5)
