from dataclasses import dataclass, field
from typing import Literal

import pytest

from analytics.settings_io import (
    SettingsError,
    flat_values,
    parameters_of,
    settings_from_dict,
    settings_to_dict,
)


@dataclass(frozen=True)
class Inner:
    weight: float = field(default=1.5, metadata={"label": "Вес", "source": "тест"})


@dataclass(frozen=True)
class Sample:
    mode: Literal["raw", "shrunken"] = field(default="raw", metadata={"label": "Оценка", "source": "тест"})
    years: int = 2
    threshold: float = 30.0
    enabled: bool = True
    procedures: tuple[str, ...] = ("ВПР", "ОГЭ")
    weights: tuple[tuple[str, float], ...] = (("a", 1.0),)
    inner: Inner = field(default_factory=Inner)

    def __post_init__(self) -> None:
        if self.years < 1:
            raise ValueError("years must be at least 1")


def test_settings_round_trip_through_json_values() -> None:
    value = Sample(mode="shrunken", years=3, procedures=("ЕГЭ",), weights=(("b", 2.0),), inner=Inner(0.5))
    data = settings_to_dict(value)
    assert (
        data["procedures"] == ["ЕГЭ"] and data["weights"] == [["b", 2.0]] and data["inner"] == {"weight": 0.5}
    )
    assert settings_from_dict(Sample, data) == value


def test_missing_parameters_take_their_defaults_and_whole_numbers_pass_as_floats() -> None:
    assert settings_from_dict(Sample, {"threshold": 25}) == Sample(threshold=25.0)


def test_every_problem_is_reported_with_its_parameter() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_dict(
            Sample, {"mode": "median", "years": 2.5, "enabled": "yes", "colour": 1, "inner": {"weight": "x"}}
        )
    paths = sorted(problem.split(":")[0] for problem in caught.value.problems)
    assert paths == ["colour", "enabled", "inner.weight", "mode", "years"]


def test_the_dataclass_own_checks_are_reported() -> None:
    with pytest.raises(SettingsError, match="years must be at least 1"):
        settings_from_dict(Sample, {"years": 0})


def test_parameters_are_listed_flat_with_labels_kinds_and_choices() -> None:
    params = {p.name: p for p in parameters_of(Sample)}
    assert list(params) == ["mode", "years", "threshold", "enabled", "procedures", "weights", "inner.weight"]
    assert params["mode"].kind == "choice" and params["mode"].choices == ("raw", "shrunken")
    assert params["mode"].label == "Оценка"
    assert params["weights"].kind == "pairs" and params["procedures"].kind == "list"
    assert params["inner.weight"].default == 1.5


def test_flat_values_name_parameters_as_parameters_of_does() -> None:
    values = flat_values(Sample(inner=Inner(0.25)))
    assert list(values) == [p.name for p in parameters_of(Sample)]
    assert values["inner.weight"] == 0.25 and values["weights"] == [["a", 1.0]]


def test_every_choice_of_the_methodology_has_a_russian_name() -> None:
    from analytics.methodology import CHOICE_LABELS, Methodology

    choices = {p.name: p for p in Methodology.parameters() if p.kind == "choice"}
    assert set(choices) == set(CHOICE_LABELS)
    for name, parameter in choices.items():
        assert set(CHOICE_LABELS[name]) == set(parameter.choices), name
        assert all(
            label != str(choice)
            for label, choice in zip(parameter.choice_labels, parameter.choices, strict=True)
        )
