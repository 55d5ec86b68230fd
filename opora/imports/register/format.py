"""The canonical register format: its columns, the words its cells may hold, and how a cell is parsed.

Headers and vocabulary are Russian data (the format users write), not interface strings: they are the
same whatever the interface language. Documented for users in docs/formats/register.md.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opora.registry.models import School
from opora.registry.services import SCHOOL_REGISTER_FIELDS


@dataclass(frozen=True)
class Column:
    key: str  # the English key, also accepted as a header
    title: str  # the canonical Russian header
    required: bool
    help: str | Promise


COLUMNS = [
    Column(
        "municipality", "Муниципалитет", True, gettext_lazy("name or code of a municipality of the register")
    ),
    Column(
        "fis_oko_login", "Логин ФИС ОКО", True, gettext_lazy("eduNNNNNN or schNNNNNNNN; the key of the row")
    ),
    Column("inn", "ИНН", False, gettext_lazy("10 digits")),
    Column("ogrn", "ОГРН", False, gettext_lazy("13 digits")),
    Column("full_name", "Полное наименование", True, gettext_lazy("as in the charter")),
    Column("short_name", "Краткое наименование", True, gettext_lazy("as used in reports")),
    Column(
        "kind",
        "Вид ОО",
        True,
        gettext_lazy(
            "НОШ, ООШ, СОШ, гимназия, лицей, центр образования, школа-интернат, коррекционная, вечерняя"
        ),
    ),
    Column("location", "Местность", False, gettext_lazy("город or село; required for a new school")),
    Column("settlement", "Населённый пункт", False, gettext_lazy("e.g. с. Ивановка")),
    Column(
        "settlement_population",
        "Численность населения",
        False,
        gettext_lazy("of the settlement, a whole number"),
    ),
    Column("address", "Адрес", False, gettext_lazy("postal address")),
    Column("latitude", "Широта", False, gettext_lazy("decimal degrees, comma or dot")),
    Column("longitude", "Долгота", False, gettext_lazy("decimal degrees, comma or dot")),
    Column("status", "Статус", False, gettext_lazy("действующая (default), присоединена or закрыта")),
    Column(
        "successor", "Правопреемник", False, gettext_lazy("FIS OKO login of the school it was merged into")
    ),
    Column("academic_year", "Учебный год", False, gettext_lazy("2025/2026 or 2025, with the enrolment")),
    Column("pupils", "Контингент", False, gettext_lazy("number of pupils in that year")),
    Column("other_names", "Другие наименования", False, gettext_lazy("name variants separated by «;»")),
]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
# The school fields a register row describes: exactly those the registry services may write.
SCHOOL_FIELDS = SCHOOL_REGISTER_FIELDS
TEXT_LIMITS = {"full_name": 500, "short_name": 200, "settlement": 200, "address": 500}

KIND_LABELS: dict[str, str] = {
    School.Kind.PRIMARY: "НОШ",
    School.Kind.BASIC: "ООШ",
    School.Kind.SECONDARY: "СОШ",
    School.Kind.GYMNASIUM: "гимназия",
    School.Kind.LYCEUM: "лицей",
    School.Kind.EDUCATION_CENTRE: "центр образования",
    School.Kind.BOARDING: "школа-интернат",
    School.Kind.SPECIAL: "коррекционная",
    School.Kind.EVENING: "вечерняя",
}
LOCATION_LABELS: dict[str, str] = {School.Location.CITY: "город", School.Location.VILLAGE: "село"}
STATUS_LABELS: dict[str, str] = {
    School.Status.ACTIVE: "действующая",
    School.Status.MERGED: "присоединена",
    School.Status.CLOSED: "закрыта",
}
_SPACES = re.compile(r"\s+")
_DIGIT_GAPS = re.compile(r"[\s\u00a0\u202f]+")
LOGIN_PATTERN = re.compile(r"^(edu\d{6}|sch\d{6,8})$")
_YEAR = re.compile(r"^(\d{4})\s*(?:[/\-–—]\s*(\d{4}|\d{2}))?(?:\s*(?:уч\.?\s*)?(?:г\.?|год))?$")
_WHOLE = re.compile(r"^\d+(?:[.,]0+)?$")


def fold(text: str) -> str:
    """How headers and words are compared: case, «ё», surrounding and repeated spaces do not matter."""
    return _SPACES.sub(" ", text.replace("ё", "е").replace("Ё", "Е")).strip().lower()


def _vocabulary(labels: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    words = {fold(label): code for code, label in labels.items()}
    words.update({fold(code): code for code in labels})
    words.update({fold(word): code for word, code in extra.items()})
    return words


KIND_WORDS = _vocabulary(
    KIND_LABELS, {"школа интернат": School.Kind.BOARDING, "цо": School.Kind.EDUCATION_CENTRE}
)
LOCATION_WORDS = _vocabulary(
    LOCATION_LABELS,
    {
        "городская": School.Location.CITY,
        "городская местность": School.Location.CITY,
        "сельская": School.Location.VILLAGE,
        "сельская местность": School.Location.VILLAGE,
    },
)
STATUS_WORDS = _vocabulary(
    STATUS_LABELS,
    {
        "действует": School.Status.ACTIVE,
        "присоединена к другой": School.Status.MERGED,
        "реорганизована": School.Status.MERGED,
        "закрыта (ликвидирована)": School.Status.CLOSED,
        "ликвидирована": School.Status.CLOSED,
    },
)
HEADER_WORDS = {fold(c.title): c.key for c in COLUMNS} | {fold(c.key): c.key for c in COLUMNS}


class CellError(ValueError):
    """A cell that cannot be parsed; the message is for the user."""


def parse_login(value: str) -> str:
    login = value.strip().lower()
    if not LOGIN_PATTERN.match(login):
        raise CellError(
            _("the FIS OKO login must look like eduNNNNNN or schNNNNNNNN, got «%(value)s»") % {"value": value}
        )
    return login


def parse_digits(value: str, *, digits: int, label: str) -> str:
    text = _DIGIT_GAPS.sub("", value)
    if not (text.isascii() and text.isdigit() and len(text) == digits):
        raise CellError(
            _("%(label)s must consist of %(digits)s digits, got «%(value)s»")
            % {"label": label, "digits": digits, "value": value}
        )
    return text


def parse_text(value: str, *, limit: int) -> str:
    text = value.strip()
    if len(text) > limit:
        raise CellError(
            _("the text is too long: %(length)s characters, at most %(limit)s are allowed")
            % {"length": len(text), "limit": limit}
        )
    return text


def parse_whole(value: str) -> int:
    text = _DIGIT_GAPS.sub("", value)
    if not _WHOLE.match(text):
        raise CellError(_("expected a whole number of zero or more, got «%(value)s»") % {"value": value})
    number = int(re.split(r"[.,]", text)[0])
    if number > 2_000_000_000:
        raise CellError(_("the number «%(value)s» is too large") % {"value": value})
    return number


def parse_coordinate(value: str, *, limit: int) -> Decimal:
    text = _DIGIT_GAPS.sub("", value).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise CellError(_("expected a number such as 55,7512, got «%(value)s»") % {"value": value})
    if abs(number) > limit:
        raise CellError(
            _("a coordinate must lie between -%(limit)s and %(limit)s, got «%(value)s»")
            % {"limit": limit, "value": value}
        )
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def parse_choice(value: str, *, words: dict[str, str], labels: dict[str, str]) -> str:
    code = words.get(fold(value))
    if code is None:
        raise CellError(
            _("unknown value «%(value)s»; expected one of: %(choices)s")
            % {"value": value, "choices": ", ".join(labels.values())}
        )
    return code


def parse_academic_year(value: str) -> int:
    match = _YEAR.match(fold(value))
    start = int(match.group(1)) if match else 0
    end = match.group(2) if match else None
    valid = match is not None and 2000 <= start <= 2099
    if valid and end is not None:
        valid = int(end) == (start + 1 if len(end) == 4 else (start + 1) % 100)
    if not valid:
        raise CellError(
            _("the academic year must look like 2025/2026 or 2025, got «%(value)s»") % {"value": value}
        )
    return start


def parse_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(";")]
    for name in names:
        if len(name) > 500:
            raise CellError(_("a name variant is longer than 500 characters"))
    return [name for name in names if name]


def year_label(start_year: int) -> str:
    return f"{start_year}/{start_year + 1}"


def decimal_label(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")
    return text.replace(".", ",")
