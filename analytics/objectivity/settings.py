"""The parameters of the signs of non-objective results, each with its default and its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

_OURS: Final = "выбор Опоры"


def _setting(default: Any, label: str, source: str) -> Any:
    return field(default=default, metadata={"label": label, "source": source})


@dataclass(frozen=True)
class ObjectivitySettings:
    """The parameters of the five signs; every value is JSON-able (see analytics.settings_io)."""

    confidence: float = _setting(
        0.95,
        "Уровень доверия интервалов Уилсона",
        "DOMAIN.md §5: доверительный интервал Уилсона для долей при малом N",
    )
    # --- ВПР mark against the journal mark
    journal_not_confirmed_pct: float = _setting(
        50.0,
        "Доля не подтвердивших отметку по журналу, %: признак, если нижняя граница ДИ выше порога",
        f"{_OURS}: больше половины участников не подтвердили отметку (подтвердили < 50 %)",
    )
    journal_differ_2plus_pct: float = _setting(
        10.0,
        "Доля отметок, расходящихся с журнальной на 2 балла и более, %: признак, если нижняя граница ДИ "
        "не ниже порога",
        f"{_OURS}: расхождение на 2 балла и более у каждого десятого участника",
    )
    journal_min_n: int = _setting(
        10,
        "Минимум участников с отметкой по журналу",
        f"{_OURS}: при меньшем N интервал Уилсона шире половины шкалы",
    )
    # --- heaping at the mark boundaries
    heaping_alpha: float = _setting(
        0.01,
        "Уровень значимости для избытка баллов на границах отметок (после поправки Бенджамини — Хохберга)",
        f"{_OURS}: 0,01 с поправкой на число школ в процедуре",
    )
    heaping_min_excess: float = _setting(
        5.0,
        "Минимальный избыток участников на границах отметок сверх ожидаемого по региону",
        f"{_OURS}: статистически значимый избыток в 1–2 участника не имеет практического смысла",
    )
    heaping_min_pupils: int = _setting(
        10,
        "Минимум участников с баллами на границе отметки или на балл ниже",
        f"{_OURS}: около десяти участников у границ",
    )
    # --- basic against advanced tasks
    basic_level: str = _setting("Б", "Уровень базовых заданий", "DOMAIN.md §4: уровни Б, П, В ФИС ОКО")
    advanced_level: str = _setting(
        "П", "Уровень заданий, сравниваемый с базовым", "DOMAIN.md §4: повышенный уровень (П)"
    )
    basic_insufficient_pct: float = _setting(
        57.0,
        "Выполнение базовых заданий ниже этого значения недостаточно, %",
        "DOMAIN.md §5: базовый уровень < 57 % недостаточен (≥ 60 % достаточен)",
    )
    advanced_sufficient_pct: float = _setting(
        30.0,
        "Выполнение заданий повышенного уровня от этого значения достаточно, %",
        "DOMAIN.md §5: повышенный уровень ≥ 30 % достаточен (< 28,5 % недостаточен)",
    )
    levels_min_n: int = _setting(
        20,
        "Минимум участников для сравнения уровней заданий",
        f"{_OURS}: DOMAIN.md §5 считает N < 20 ограниченной выборкой, а статистического теста здесь нет",
    )
    # --- ВПР against ОГЭ/ЕГЭ
    vpr_quality_excess_pp: float = _setting(
        15.0,
        "Качество ВПР («4» и «5») выше региона не менее чем на, п. п.",
        f"{_OURS}: 15 п. п.",
    )
    exam_below_min_excess_pp: float = _setting(
        10.0,
        "Доля не преодолевших минимум на ОГЭ/ЕГЭ выше региона не менее чем на, п. п.",
        f"{_OURS}: 10 п. п., как порог отрицательной динамики в DOMAIN.md §5",
    )
    exam_mean_below_region: bool = _setting(
        True,
        "Считать экзамен низким и тогда, когда средний балл школы ниже регионального",
        f"{_OURS}: DOMAIN.md §5 говорит «ОГЭ/ЕГЭ низкие» без порога",
    )
    exam_procedures: tuple[str, ...] = _setting(
        ("ОГЭ", "ЕГЭ"), "Экзамены, с которыми сравнивается ВПР", "DOMAIN.md §5: ОГЭ/ЕГЭ"
    )
    exam_subjects: tuple[tuple[str, str], ...] = _setting(
        (
            ("Математика (профильный уровень)", "Математика"),
            ("Математика (базовый уровень)", "Математика"),
            ("Математика профильная", "Математика"),
            ("Математика базовая", "Математика"),
            ("Математика (профиль)", "Математика"),
            ("Математика (база)", "Математика"),
        ),
        "Предмет экзамена → предмет ВПР (остальные сопоставляются по одинаковому названию)",
        f"{_OURS}: профильная и базовая математика ЕГЭ соответствуют математике ВПР",
    )
    exams_min_n: int = _setting(
        20,
        "Минимум участников ВПР и экзамена для сравнения",
        f"{_OURS}: DOMAIN.md §5 считает N < 20 ограниченной выборкой, а статистического теста здесь нет",
    )
    # --- a cohort from grade 4 to grade 5
    cohort_from_grade: int = _setting(4, "Класс ВПР в прошлом году", "DOMAIN.md §5: переход из 4 в 5 класс")
    cohort_to_grade: int = _setting(5, "Класс ВПР в этом году", "DOMAIN.md §5: переход из 4 в 5 класс")
    cohort_measure: Literal["mark_2", "quality"] = _setting(
        "mark_2",
        "Показатель когорты: доля «2» растёт или качество («4» и «5») падает",
        f"{_OURS}: доля «2», как в правиле низких результатов DOMAIN.md §5",
    )
    cohort_excess_pp: float = _setting(
        10.0,
        "Ухудшение когорты сверх регионального не менее чем на, п. п.",
        "DOMAIN.md §5: рост доли «2» на 10 п. п. и более — отрицательная динамика",
    )
    cohort_alpha: float = _setting(
        0.05,
        "Уровень значимости для ухудшения когорты (односторонний тест двух долей)",
        f"{_OURS}: 0,05",
    )
    cohort_min_n: int = _setting(
        10,
        "Минимум участников в каждом из двух лет",
        f"{_OURS}: около десяти участников (тест двух долей)",
    )

    def __post_init__(self) -> None:
        for name in ("confidence", "heaping_alpha", "cohort_alpha"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
        for name in ("journal_min_n", "heaping_min_pupils", "levels_min_n", "exams_min_n", "cohort_min_n"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.cohort_measure not in ("mark_2", "quality"):
            raise ValueError(f"cohort_measure must be 'mark_2' or 'quality', got {self.cohort_measure!r}")


DEFAULT_OBJECTIVITY_SETTINGS: Final = ObjectivitySettings()
