"""The school-level results formats: the columns of the canonical format and the headers regions use.

Three layouts are read by the same column matcher (headers are Russian data, not interface strings):

* ВПР «Статистика по отметкам» of ФИС ОКО: title lines («ВПР 2024. Математика 5 класс»), then a table
  «ОО | Кол-во участников | 2 | 3 | 4 | 5» whose rows are the region, the municipalities and the schools;
* regional ЕГЭ / ОГЭ tables, tidy: one row per school × subject (Год, Процедура, Предмет, Класс optional);
* the canonical school-level format of Opora (the English keys of `analytics.schema.SCHOOL_AGGREGATES`).

Documented for users in docs/formats/school-results.md.
"""

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.imports.register.format import CellError, Column, fold

# The columns that say which assessment a row belongs to (else the title line above the table does).
ASSESSMENT_COLUMNS = [
    Column("year", "Год", False, gettext_lazy("calendar year of the assessment, e.g. 2025")),
    Column(
        "procedure",
        "Процедура",
        False,
        gettext_lazy("ВПР, ОГЭ, ЕГЭ, РДР or another label (a new label creates a regional procedure)"),
    ),
    Column("subject", "Предмет", False, gettext_lazy("a subject known to Opora, e.g. «Математика»")),
    Column("grade", "Класс", False, gettext_lazy("1-11; for ОГЭ 9 and for ЕГЭ 11 when empty")),
]
SCHOOL_COLUMNS = [
    Column("municipality", "Муниципалитет", False, gettext_lazy("for reading and finding a school by name")),
    Column("school", "Логин ОО", False, gettext_lazy("FIS OKO login eduNNNNNN of a school of the register")),
    Column("inn", "ИНН", False, gettext_lazy("10 digits; finds the school when the login is not given")),
    Column(
        "school_name",
        "Наименование ОО",
        False,
        gettext_lazy("finds the school by name when neither login nor INN is given"),
    ),
    Column("graduates", "Выпускники", False, gettext_lazy("for reading only; not stored")),
]
# The values; the keys are those of analytics.schema.SCHOOL_AGGREGATES (plus the diagnostics' completion).
VALUE_COLUMNS = [
    Column("participants", "Кол-во участников", True, gettext_lazy("number of participants")),
    Column("share_2", "«2», %", False, gettext_lazy("share of mark «2», %")),
    Column("share_3", "«3», %", False, gettext_lazy("share of mark «3», %")),
    Column("share_4", "«4», %", False, gettext_lazy("share of mark «4», %")),
    Column("share_5", "«5», %", False, gettext_lazy("share of mark «5», %")),
    Column(
        "below_minimum_count",
        "Не преодолели минимальный порог",
        False,
        gettext_lazy("participants below the minimum score (a number)"),
    ),
    Column(
        "below_minimum_share",
        "Не преодолели минимальный порог, %",
        False,
        gettext_lazy("the same as a share, %; give one of the two"),
    ),
    Column("mean_primary_score", "Средний первичный балл", False, gettext_lazy("mean primary score")),
    Column("mean_test_score", "Средний тестовый балл", False, gettext_lazy("mean test score 0-100 (ЕГЭ)")),
    Column("mean_mark", "Средняя отметка", False, gettext_lazy("mean mark 2-5")),
    Column("score_80_99_count", "80-99 баллов", False, gettext_lazy("participants with 80-99 points (ЕГЭ)")),
    Column("score_100_count", "100 баллов", False, gettext_lazy("participants with 100 points (ЕГЭ)")),
    Column("share_lowered", "Понизили, %", False, gettext_lazy("VPR mark below the journal mark, %")),
    Column("share_confirmed", "Подтвердили, %", False, gettext_lazy("VPR mark equal to the journal mark, %")),
    Column("share_raised", "Повысили, %", False, gettext_lazy("VPR mark above the journal mark, %")),
    Column(
        "mean_completion",
        "Средний % выполнения",
        False,
        gettext_lazy("mean completion of the work, % (regional diagnostics)"),
    ),
]
COLUMNS = [*ASSESSMENT_COLUMNS, *SCHOOL_COLUMNS, *VALUE_COLUMNS]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

MARK_SHARES = ("share_2", "share_3", "share_4", "share_5")
JOURNAL_SHARES = ("share_lowered", "share_confirmed", "share_raised")
SHARE_KEYS = (*MARK_SHARES, "below_minimum_share", *JOURNAL_SHARES, "mean_completion")
COUNT_KEYS = ("below_minimum_count", "score_80_99_count", "score_100_count")
MEAN_KEYS = ("mean_primary_score", "mean_test_score", "mean_mark")
RESULT_KEYS = (*SHARE_KEYS, *COUNT_KEYS, *MEAN_KEYS)

# «Средний балл» is the test score in ЕГЭ and the primary score elsewhere (docs/formats/school-results.md).
MEAN_SCORE = "mean_score"
# A level share column: «level_базовый», «Уровень: базовый, %», «Уровень базовый %».
LEVEL_PREFIX = "level:"
_LEVEL_HEADER = re.compile(r"^(?:level_|уровень\s*:?\s*)(.+?)(?:\s*,?\s*%)?$", re.IGNORECASE)

_SYNONYMS = {
    "year": ["Год", "Год проведения", "year"],
    "procedure": ["Процедура", "Вид оценочной процедуры", "Экзамен", "procedure"],
    "subject": ["Предмет", "Учебный предмет", "subject"],
    "grade": ["Класс", "Параллель", "grade"],
    "municipality": ["Муниципалитет", "Муниципальное образование", "МО", "Район", "АТЕ", "municipality"],
    "school": ["Логин ОО", "Логин", "Логин ФИС ОКО", "ОО", "Код ОО", "school", "school_id", "fis_oko_login"],
    "inn": ["ИНН", "ИНН ОО", "inn"],
    "school_name": [
        "Наименование ОО",
        "Название ОО",
        "Образовательная организация",
        "Школа",
        "Наименование",
        "school_name",
    ],
    "graduates": ["Выпускники", "Количество выпускников", "Кол-во выпускников", "Выпускников", "graduates"],
    "participants": [
        "Кол-во участников",
        "Количество участников",
        "Кол-во уч.",
        "Участники",
        "Участников",
        "Число участников",
        "Сдавали",
        "Кол-во сдававших",
        "participants",
    ],
    "share_2": ["2", "«2»", "«2», %", "% «2»", "Доля «2»", "Отметка 2, %", "share_2"],
    "share_3": ["3", "«3»", "«3», %", "% «3»", "Доля «3»", "Отметка 3, %", "share_3"],
    "share_4": ["4", "«4»", "«4», %", "% «4»", "Доля «4»", "Отметка 4, %", "share_4"],
    "share_5": ["5", "«5»", "«5», %", "% «5»", "Доля «5»", "Отметка 5, %", "share_5"],
    "below_minimum_count": [
        "Не преодолели минимальный порог",
        "Не преодолели минимальный порог, чел.",
        "Не преодолели мин. порог",
        "Ниже минимального порога",
        "below_minimum_count",
        "below_minimum",
    ],
    "below_minimum_share": [
        "Не преодолели минимальный порог, %",
        "Не преодолели минимальный порог %",
        "Не преодолели мин. порог, %",
        "Ниже минимального порога, %",
        "below_minimum_share",
    ],
    "mean_primary_score": ["Средний первичный балл", "mean_primary_score"],
    "mean_test_score": ["Средний тестовый балл", "mean_test_score"],
    MEAN_SCORE: ["Средний балл"],
    "mean_mark": ["Средняя отметка", "Средняя оценка", "mean_mark"],
    "score_80_99_count": [
        "80-99 баллов",
        "80-99",
        "80–99",
        "От 80 до 99 баллов",
        "Набрали 80-99 баллов",
        "score_80_99_count",
    ],
    "score_100_count": ["100 баллов", "100", "Набрали 100 баллов", "Стобалльники", "score_100_count"],
    "share_lowered": ["Понизили, %", "Понизили", "Понизили (Отм. < Отм. по журналу) %", "share_lowered"],
    "share_confirmed": [
        "Подтвердили, %",
        "Подтвердили",
        "Подтвердили (Отм. = Отм. по журналу) %",
        "share_confirmed",
    ],
    "share_raised": ["Повысили, %", "Повысили", "Повысили (Отм. > Отм. по журналу) %", "share_raised"],
    "mean_completion": [
        "Средний % выполнения",
        "Средний процент выполнения",
        "% выполнения",
        "Процент выполнения",
        "mean_completion",
    ],
}
HEADER_WORDS = {fold(word): key for key, words in _SYNONYMS.items() for word in words}
# The header row is the first row naming the participants and a school column.
SCHOOL_KEYS = ("school", "inn", "school_name")


def level_name(header: str) -> str | None:
    """«level_базовый» or «Уровень: базовый, %» → «базовый»; None for any other header."""
    match = _LEVEL_HEADER.match(header.strip())
    if match is None or fold(header) in HEADER_WORDS:
        return None
    return match.group(1).strip().lower() or None


# The columns a wide table repeats for each subject.
VALUE_KEYS = ("participants", *RESULT_KEYS, MEAN_SCORE)


def is_header(cells: Sequence[str]) -> bool:
    """The header row: participants and a school column, or participants again and again (a wide table,
    whose school column may stand in the row above)."""
    keys = [HEADER_WORDS.get(fold(cell)) for cell in cells]
    return "participants" in keys and (
        any(key in keys for key in SCHOOL_KEYS) or keys.count("participants") > 1
    )


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CENT = Decimal("0.01")
EMPTY_WORDS = {"", "-", "–", "—", "x", "х", "н/д", "нет данных"}


def is_empty(value: str) -> bool:
    return fold(_SPACES.sub("", value)) in EMPTY_WORDS


def parse_number(value: str) -> Decimal:
    """A number with a comma or a dot (spaces between thousands allowed); raises CellError."""
    text = _SPACES.sub("", value).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise CellError(_("expected a number such as 12 or 3,75, got «%(value)s»") % {"value": value})
    return number


def parse_count(value: str) -> int:
    """A whole number of pupils ≥ 0 («12», «12,0»); raises CellError."""
    number = parse_number(value)
    if number != number.to_integral_value() or number < 0:
        raise CellError(_("expected a whole number of pupils, got «%(value)s»") % {"value": value})
    return int(number)


def parse_bounded(value: str, *, low: Decimal, high: Decimal) -> Decimal:
    """A number within [low, high], kept with two decimals; raises CellError."""
    number = parse_number(value.strip().removesuffix("%"))
    if not low <= number <= high:
        raise CellError(
            _("the value must be from %(low)s to %(high)s, got «%(value)s»")
            % {"low": _plain(low), "high": _plain(high), "value": value}
        )
    return number.quantize(_CENT, rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")
