"""`opora demo --grades`: which ВПР grades the demo imports."""

from argparse import ArgumentTypeError

import pytest

from opora.demo.management.commands.demo import _grades


@pytest.mark.parametrize(
    ("value", "grades"), [("4-8", (4, 5, 6, 7, 8)), ("5,4", (4, 5)), ("6", (6,)), ("4-5, 8", (4, 5, 8))]
)
def test_grades_are_read_as_ranges_and_lists(value: str, grades: tuple[int, ...]) -> None:
    assert _grades(value) == grades


@pytest.mark.parametrize("value", ["", "x", "3-5", "9", "4-"])
def test_grades_outside_4_8_or_unreadable_are_refused(value: str) -> None:
    with pytest.raises(ArgumentTypeError):
        _grades(value)
