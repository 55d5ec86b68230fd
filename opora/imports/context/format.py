"""The canonical social passport format: its columns and how a share is parsed.

Headers are Russian data (the format users write), not interface strings. Documented for users in
docs/formats/context.md.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.imports.register.format import CellError, Column, fold
from opora.registry.services import SCHOOL_CONTEXT_FIELDS

# The shares, in the order of the format; the keys are the SchoolContext fields.
SHARE_COLUMNS = [
    Column("share_single_parent", "Неполные семьи, %", False, gettext_lazy("single-parent families")),
    Column(
        "share_parents_higher_education",
        "Родители с высшим образованием, %",
        False,
        gettext_lazy("parents with higher education"),
    ),
    Column("share_unemployed_parents", "Безработные родители, %", False, gettext_lazy("unemployed parents")),
    Column("share_low_income", "Малоимущие семьи, %", False, gettext_lazy("low-income families")),
    Column(
        "share_on_register",
        "На учёте, %",
        False,
        gettext_lazy("pupils on registers (police, social services, school)"),
    ),
    Column("share_disabilities", "С ОВЗ, %", False, gettext_lazy("pupils with disabilities (OVZ)")),
    Column(
        "share_non_native_russian",
        "Неродной русский язык, %",
        False,
        gettext_lazy("pupils for whom Russian is not the native language"),
    ),
]
assert tuple(c.key for c in SHARE_COLUMNS) == SCHOOL_CONTEXT_FIELDS

COLUMNS = [
    Column(
        "fis_oko_login",
        "Логин ФИС ОКО",
        True,
        gettext_lazy("eduNNNNNN or schNNNNNNNN of a school of the register"),
    ),
    Column("inn", "ИНН", False, gettext_lazy("10 digits; finds the school when the login is not known")),
    Column(
        "school_name",
        "Наименование ОО",
        False,
        gettext_lazy("for reading only; helps to suggest the school when it is not found"),
    ),
    Column("academic_year", "Учебный год", True, gettext_lazy("2025/2026 or 2025")),
    *SHARE_COLUMNS,
]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
SHARE_KEYS = tuple(c.key for c in SHARE_COLUMNS)


def _header_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for column in COLUMNS:
        words[fold(column.title)] = column.key
        words[fold(column.key)] = column.key
        # «Неполные семьи, %», «Неполные семьи %» and «Неполные семьи» are the same column.
        words[fold(re.sub(r",?\s*%$", "", column.title))] = column.key
        words[fold(re.sub(r",\s*%$", " %", column.title))] = column.key
    words[fold("Логин")] = "fis_oko_login"
    return words


HEADER_WORDS = _header_words()
UNKNOWN_WORDS = {"-", "–", "—"}
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CENT = Decimal("0.01")


def parse_share(value: str) -> Decimal | None:
    """A percentage 0-100 with a comma or a dot (a trailing «%» is allowed); «-» is unknown (None)."""
    text = _SPACES.sub("", value)
    if text in UNKNOWN_WORDS:
        return None
    number_text = text.removesuffix("%").replace(",", ".")
    try:
        number = Decimal(number_text) if number_text else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise CellError(
            _("expected a percentage from 0 to 100 such as 12,5 (or «-» if unknown), got «%(value)s»")
            % {"value": value}
        )
    if not Decimal(0) <= number <= Decimal(100):
        raise CellError(_("a share is a percentage from 0 to 100, got «%(value)s»") % {"value": value})
    return number.quantize(_CENT, rounding=ROUND_HALF_UP)
