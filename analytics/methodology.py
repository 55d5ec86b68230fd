"""The methodology: every parameter of every method, as one versionable value.

`Methodology` composes the settings of each method (their defaults are DOMAIN.md §5, each field says
where its default comes from). It is stored as JSON (`to_dict` / `from_dict`), so the web product keeps
versions of it and a run records the version it used; `changes` says what differs between two versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from analytics.context_index import ContextSettings
from analytics.dynamics import DynamicsSettings
from analytics.lists import ListSettings
from analytics.low_results import LowResultsSettings
from analytics.objectivity import ObjectivitySettings
from analytics.settings_io import Parameter, flat_values, parameters_of, settings_from_dict, settings_to_dict
from analytics.value_added import ValueAddedSettings

__all__ = ["CHOICE_LABELS", "SECTIONS", "Change", "Methodology", "methodology_changes"]

#: The sections of a methodology in the order the methodology page shows them, with their Russian titles.
SECTIONS: dict[str, str] = {
    "low_results": "Низкие результаты (ШНОР)",
    "dynamics": "Динамика",
    "context": "Индекс социального контекста (ШНСУ)",
    "value_added": "Контекстная добавленная ценность и резильентность",
    "objectivity": "Признаки необъективности результатов",
    "lists": "Списки",
}


#: How the methodology page names the values of the choice parameters (Russian, for the coordinators).
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "low_results.mode": {
        "threshold": "порог: в двух и более процедурах за год или в одной два года подряд",
        "ranking": "нижние X % регионального рейтинга",
        "persistence": "устойчиво: порог каждый год из нескольких",
    },
    "low_results.basis": {
        "raw": "наблюдаемая доля",
        "shrunken": "доля с учётом объёма выборки (эмпирический Байес)",
        "ci_low": "нижняя граница 95 % доверительного интервала",
    },
    "dynamics.basis": {"below_min": "доля ниже минимального порога", "mark_2": "доля отметок «2»"},
    "context.method": {"weights": "фиксированные веса", "pca": "первая главная компонента"},
    "context.shnsu_mode": {
        "lowest_group": "нижняя группа индекса (квартиль)",
        "flags": "N из M признаков неблагополучия",
    },
    "value_added.outcome": {
        "mean_pct_of_max": "средний % от максимального балла",
        "pass_pct": "успеваемость",
        "quality_pct": "качество",
        "mark_2_pct": "доля «2» (чем меньше, тем лучше)",
        "below_min_pct": "доля ниже минимального порога (чем меньше, тем лучше)",
        "high_score_pct": "доля высокобалльников ЕГЭ",
    },
    "objectivity.cohort_measure": {"mark_2": "рост доли «2»", "quality": "падение качества"},
}


@dataclass(frozen=True)
class Methodology:
    low_results: LowResultsSettings = field(default_factory=LowResultsSettings)
    dynamics: DynamicsSettings = field(default_factory=DynamicsSettings)
    context: ContextSettings = field(default_factory=ContextSettings)
    value_added: ValueAddedSettings = field(default_factory=ValueAddedSettings)
    objectivity: ObjectivitySettings = field(default_factory=ObjectivitySettings)
    lists: ListSettings = field(default_factory=ListSettings)

    def to_dict(self) -> dict[str, Any]:
        return settings_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Methodology:
        """Read a stored methodology; a missing parameter takes today's default. Raises SettingsError."""
        return settings_from_dict(cls, data)

    @classmethod
    def parameters(cls) -> list[Parameter]:
        """Every parameter with its label, source and default, named «section.parameter»; choices carry
        their Russian names (`CHOICE_LABELS`)."""
        return [
            replace(p, choice_labels=tuple(CHOICE_LABELS.get(p.name, {}).get(c, str(c)) for c in p.choices))
            for p in parameters_of(cls)
        ]


@dataclass(frozen=True)
class Change:
    name: str
    old: Any
    new: Any


def methodology_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The parameters whose values differ between two stored methodologies, in the page's order."""
    before = flat_values(Methodology.from_dict(old))
    after = flat_values(Methodology.from_dict(new))
    return [
        Change(name, before.get(name), value) for name, value in after.items() if before.get(name) != value
    ]
