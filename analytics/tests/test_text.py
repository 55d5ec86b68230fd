import pytest

from analytics.text import NBSP, ci_text, number_text, percent_text, plural, pp_text


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
