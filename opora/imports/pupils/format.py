"""The canonical pupil results format: one row per pupil and assessment; its columns and cell parsers.

Headers and words are Russian data (the format users write), not interface strings. Task columns are
headed as ФИС ОКО heads them, «<task> (<maximum>б)»: their parsing is the ВПР importer's. Documented for
users in docs/formats/pupil-results.md.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.imports.fis_oko.parse import TaskColumn
from opora.imports.fis_oko.parse.cells import EMPTY_MARKS, EMPTY_SCORES, TASK_HEADER, text_decimal
from opora.imports.fis_oko.parse.cells import plain as cell_plain
from opora.imports.register.format import CellError, Column, fold

FIRST_YEAR = 2000
CODE_LIMIT = 64
TEXT_LIMIT = 16
LEVEL_LIMIT = 32
PROCEDURE_CODE_LIMIT = 16
_CENT = Decimal("0.01")

# Identifying a school: at least one of these columns, resolved through the identity map.
SCHOOL_KEYS = ("school", "inn", "ogrn", "school_name")

COLUMNS = [
    Column("year", "Год", True, gettext_lazy("calendar year of the assessment, e.g. 2026")),
    Column(
        "procedure",
        "Процедура",
        True,
        gettext_lazy("ВПР, ОГЭ, ГВЭ, ЕГЭ, РДР, МДР or another code (a new regional diagnostic)"),
    ),
    Column("subject", "Предмет", True, gettext_lazy("a subject of Opora's list, e.g. Русский язык")),
    Column("grade", "Класс", False, gettext_lazy("1-11; may be left out for ОГЭ (9) and ЕГЭ (11)")),
    Column(
        "school", "Логин ОО", False, gettext_lazy("FIS OKO login of the school: eduNNNNNN or schNNNNNNNN")
    ),
    Column("inn", "ИНН", False, gettext_lazy("10 digits; finds the school when there is no login")),
    Column("ogrn", "ОГРН", False, gettext_lazy("13 digits; finds the school when there is no login")),
    Column(
        "school_name",
        "Наименование ОО",
        False,
        gettext_lazy("finds the school by its exact name when there is no login; helps to suggest one"),
    ),
    Column(
        "participant",
        "Код участника",
        True,
        gettext_lazy("the pupil's pseudonymous code; unique within a school and an assessment"),
    ),
    Column("class", "Класс (буква)", False, gettext_lazy("the class, e.g. 9Б")),
    Column("variant", "Вариант", False, gettext_lazy("variant of the work")),
    Column("primary_score", "Первичный балл", False, gettext_lazy("the sum of the task scores")),
    Column(
        "max_primary_score",
        "Максимальный первичный балл",
        False,
        gettext_lazy("of the work; the same in every row of an assessment"),
    ),
    Column("mark", "Отметка", False, gettext_lazy("2-5; from the scale when empty and a scale is known")),
    Column("journal_mark", "Отметка по журналу", False, gettext_lazy("2-5, the term mark")),
    Column("test_score", "Тестовый балл", False, gettext_lazy("ЕГЭ test score 0-100")),
    Column(
        "below_minimum",
        "Ниже минимума",
        False,
        gettext_lazy("да or нет; for ЕГЭ derived from the minimum score when empty"),
    ),
    Column(
        "achievement_level",
        "Уровень",
        False,
        gettext_lazy("achievement level of a diagnostic: пониженный, базовый, повышенный, высокий…"),
    ),
    Column("completion_pct", "% выполнения", False, gettext_lazy("percentage of the work completed, 0-100")),
]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

_SYNONYMS = {
    "year": ["Год проведения", "Учебный год окончания"],
    "procedure": ["Процедура оценки", "Вид работы", "Экзамен", "Форма"],
    "subject": ["Учебный предмет", "Наименование предмета"],
    "grade": ["Параллель", "Класс (параллель)"],
    "school": ["Логин ФИС ОКО", "Логин", "ОО", "Логин школы"],
    "school_name": ["Название ОО", "Наименование школы", "Школа", "Образовательная организация"],
    "participant": ["Код", "Код работы", "ID участника", "Идентификатор участника", "Номер участника"],
    "class": ["Буква класса", "Литера", "Класс (литера)", "Класс участника"],
    "primary_score": ["Первичный", "Сумма первичных баллов"],
    "max_primary_score": ["Макс. первичный балл", "Максимальный балл"],
    "mark": ["Оценка", "Отметка за работу"],
    "journal_mark": ["Оценка по журналу", "Отметка в журнале"],
    "test_score": ["Тестовый", "Балл ЕГЭ", "Тестовый балл (100-балльный)", "Стобалльный балл"],
    "below_minimum": [
        "Ниже минимального порога",
        "Не преодолел минимальный порог",
        "Не преодолел порог",
        "Ниже порога",
    ],
    "achievement_level": ["Уровень достижений", "Уровень подготовки", "Уровень освоения"],
    "completion_pct": ["Процент выполнения", "Выполнение, %", "% выполнения работы", "Выполнение"],
}
# Columns that would bring names into Opora: refused, whatever they hold.
NAME_WORDS = {
    fold(word)
    for word in (
        "ФИО",
        "Ф.И.О.",
        "ФИО участника",
        "ФИО обучающегося",
        "Фамилия",
        "Имя",
        "Отчество",
        "Фамилия Имя Отчество",
        "Фамилия, имя, отчество",
        "Фамилия, имя",
        "Full name",
        "Name",
        "Surname",
        "first_name",
        "last_name",
    )
}
NAME_KEY = "__name__"
TASK_KEY = "__task__"


def _header_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for column in COLUMNS:
        words[fold(column.title)] = column.key
        words[fold(column.key)] = column.key
    for key, synonyms in _SYNONYMS.items():
        for word in synonyms:
            words[fold(word)] = key
    words[fold("Выполнение %")] = "completion_pct"
    words[fold("completion")] = "completion_pct"
    return words


HEADER_WORDS = _header_words()


def task_column(header: str, index: int) -> TaskColumn | None:
    """A task column «9.1 (1б)» as the ВПР importer reads it, or None for any other header."""
    text = header.strip()
    match = TASK_HEADER.match(fold(text))
    if match is None:
        return None
    return TaskColumn(match.group(1), Decimal(match.group(2).replace(",", ".")), "", text, index)


def is_header(cells: Sequence[str]) -> bool:
    """The header row: it names a participant (or pupils' names) and at least two other known columns."""
    keys = {HEADER_WORDS.get(fold(cell)) for cell in cells} - {None}
    named = any(fold(cell) in NAME_WORDS for cell in cells)
    return ("participant" in keys or named) and len(keys) >= 2


# Procedures: the label as files write it → the code of a known procedure. ГВЭ is resolved by the grade.
PROCEDURE_ALIASES = {
    fold("ГВЭ-9"): "ГВЭ-9",
    fold("ГВЭ 9"): "ГВЭ-9",
    fold("ГВЭ-11"): "ГВЭ-11",
    fold("ГВЭ 11"): "ГВЭ-11",
    fold("ОГЭ-9"): "ОГЭ",
    fold("ЕГЭ-11"): "ЕГЭ",
}
GVE = fold("ГВЭ")
DEFAULT_GRADES = {"ОГЭ": 9, "ГВЭ-9": 9, "ЕГЭ": 11, "ГВЭ-11": 11}
EGE = "ЕГЭ"

SUBJECT_ALIASES = {
    fold("Русский"): "rus",
    fold("Математика профильная"): "math_profile",
    fold("Профильная математика"): "math_profile",
    fold("Математика (профиль)"): "math_profile",
    fold("Математика базовая"): "math_basic",
    fold("Базовая математика"): "math_basic",
    fold("Математика (база)"): "math_basic",
    fold("Английский"): "eng",
}

# Achievement levels as diagnostics name them, stored in one spelling.
LEVELS = {
    fold(word): word
    for word in (
        "недостаточный",
        "пониженный",
        "низкий",
        "ниже базового",
        "базовый",
        "средний",
        "повышенный",
        "высокий",
    )
}
_YES = {fold(w) for w in ("да", "1", "true", "+", "yes", "истина", "не преодолел")}
_NO = {fold(w) for w in ("нет", "0", "false", "no", "ложь", "преодолел")}
_YEAR = re.compile(r"^(\d{4})(?:[.,]0+)?$")
_GRADE = re.compile(r"^(\d{1,2})(?:[.,]0+)?\s*[-–]?\s*([а-яёa-z]{0,3})$", re.IGNORECASE)


def parse_year(value: str) -> int:
    match = _YEAR.match(value.strip())
    last = timezone.localdate().year
    year = int(match.group(1)) if match else 0
    if not FIRST_YEAR <= year <= last:
        raise CellError(
            _("the year must be a calendar year from %(first)s to %(last)s, got «%(value)s»")
            % {"first": FIRST_YEAR, "last": last, "value": value}
        )
    return year


def parse_grade(value: str) -> tuple[int, str]:
    """«9» → (9, ""); «9Б» → (9, "9Б"): a class written in the grade column gives both."""
    match = _GRADE.match(value.strip())
    grade = int(match.group(1)) if match else 0
    if not 1 <= grade <= 11:
        raise CellError(_("the grade must be a number from 1 to 11, got «%(value)s»") % {"value": value})
    assert match is not None
    return grade, (value.strip() if match.group(2) else "")


def is_not_attempted(value: str) -> bool:
    return fold(value) in EMPTY_SCORES or fold(value) == fold("нет отметки")


def parse_score(value: str, *, maximum: Decimal | None) -> Decimal:
    """A task or primary score: a number of zero or more, at most `maximum`."""
    score = text_decimal(value)
    if score is None:
        raise CellError(
            _("the score must be a number, «X» or «-», got «%(value)s»") % {"value": value}  # ВПР's msgid
        )
    if score < 0:
        raise CellError(_("the score cannot be negative, got «%(value)s»") % {"value": value})
    if maximum is not None and score > maximum:
        raise CellError(
            _("the score %(score)s is above the task's maximum %(max)s")
            % {"score": value, "max": plain(maximum)}
        )
    return score.quantize(_CENT, rounding=ROUND_HALF_UP)


def parse_positive(value: str) -> Decimal:
    number = text_decimal(value)
    if number is None or number <= 0:
        raise CellError(
            _("the maximum primary score must be a positive number, got «%(value)s»") % {"value": value}
        )
    return number.quantize(_CENT, rounding=ROUND_HALF_UP)


def parse_mark(value: str) -> int | None:
    if fold(value) in EMPTY_MARKS:
        return None
    number = text_decimal(value)
    if number is None or number not in (2, 3, 4, 5):
        raise CellError(
            _("a mark must be 2, 3, 4 or 5 (or «нет отметки»), got «%(value)s»") % {"value": value}
        )
    return int(number)


def parse_percent(value: str, *, what: str) -> Decimal | None:
    """A test score or a % completion: 0-100 with a comma or a dot; «-» or «X» is none."""
    if is_not_attempted(value):
        return None
    number = text_decimal(value.strip().removesuffix("%"))
    if number is None or not 0 <= number <= 100:
        raise CellError(
            _("%(what)s must be a number from 0 to 100, got «%(value)s»") % {"what": what, "value": value}
        )
    return number.quantize(_CENT, rounding=ROUND_HALF_UP)


def parse_yes_no(value: str) -> bool | None:
    word = fold(value)
    if word in {"", "-", "–", "—"}:
        return None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellError(_("expected «да» or «нет», got «%(value)s»") % {"value": value})


def parse_level(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > LEVEL_LIMIT:
        raise CellError(_("the text is longer than %(limit)s characters") % {"limit": LEVEL_LIMIT})
    return LEVELS.get(fold(text).removesuffix(" уровень"), text)


def json_score(score: Decimal | None) -> int | float | None:
    """How a task score is kept in PupilResult.task_scores."""
    if score is None:
        return None
    return int(score) if score == score.to_integral() else float(score)


def plain(value: Decimal) -> str:
    return cell_plain(value)


@dataclass(frozen=True)
class TaskSpec:
    label: str
    max_score: Decimal


def tasks_text(tasks: list[TaskSpec]) -> str:
    return ", ".join(f"{t.label} ({plain(t.max_score)}б)" for t in tasks)
