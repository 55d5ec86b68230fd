"""The generated region's shape: the dataclasses every stage fills in, the kinds and the size ranges."""

import random
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

DEMO_REGION_CODE = "88"
DEMO_REGION_NAME = "Северо-Приморская область"
DEMO_REGION_GENITIVE = "Северо-Приморской области"
DEMO_REGION_ADDRESS = "Северо-Приморская обл."
DEMO_YEARS = (2023, 2024, 2025)  # academic years by the calendar year they start in
DEMO_EMAIL_DOMAIN = "opora-demo.example"
# One user per role, in the order they are listed.
DEMO_USERNAMES = ("region", "analyst", "municipal", "methodist", "curator", "school", "director", "admin")
CURATOR_STARTS_ON = date(2025, 9, 1)
MIN_SCHOOLS, MAX_SCHOOLS = 20, 9000
# The year a merged school stops existing (first academic year without it), and the year of the closure.
MERGED_FROM, CLOSED_FROM = 2024, 2025


class SchoolKind(StrEnum):
    """The values of opora.registry.models.School.Kind."""

    PRIMARY = "primary"
    BASIC = "basic"
    SECONDARY = "secondary"
    GYMNASIUM = "gymnasium"
    LYCEUM = "lyceum"
    EDUCATION_CENTRE = "education_centre"
    BOARDING = "boarding"
    SPECIAL = "special"
    EVENING = "evening"


class Location(StrEnum):
    CITY = "city"
    VILLAGE = "village"


class Status(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"
    CLOSED = "closed"


class MunicipalityKind(StrEnum):
    URBAN_DISTRICT = "urban_district"
    MUNICIPAL_DISTRICT = "municipal_district"
    MUNICIPAL_OKRUG = "municipal_okrug"


class DemoRole(StrEnum):
    """The values of opora.accounts.models.Role."""

    REGIONAL_COORDINATOR = "regional_coordinator"
    REGIONAL_ANALYST = "regional_analyst"
    MUNICIPAL_COORDINATOR = "municipal_coordinator"
    METHODIST = "methodist"
    CURATOR = "curator"
    SCHOOL_COORDINATOR = "school_coordinator"
    DIRECTOR = "director"
    ADMINISTRATOR = "administrator"


class SizeClass(StrEnum):
    """What a school's enrolment is drawn from: its kind and where it stands."""

    RURAL_PRIMARY = "rural_primary"
    RURAL_BASIC = "rural_basic"
    RURAL_SECONDARY = "rural_secondary"
    TOWN_SECONDARY = "town_secondary"  # a district town of 5-25 thousand people
    CITY_SECONDARY = "city_secondary"  # a city of an urban district
    SELECTIVE = "selective"  # gymnasiums and lyceums
    EDUCATION_CENTRE = "education_centre"
    SPECIAL = "special"
    EVENING = "evening"
    BOARDING = "boarding"


# Pupils per school, inclusive bounds, every year.
SIZE_RANGES: dict[SizeClass, tuple[int, int]] = {
    SizeClass.RURAL_PRIMARY: (10, 40),
    SizeClass.RURAL_BASIC: (20, 120),
    SizeClass.RURAL_SECONDARY: (60, 400),
    SizeClass.TOWN_SECONDARY: (300, 1000),
    SizeClass.CITY_SECONDARY: (500, 1500),
    SizeClass.SELECTIVE: (700, 1300),
    SizeClass.EDUCATION_CENTRE: (700, 1400),
    SizeClass.SPECIAL: (60, 250),
    SizeClass.EVENING: (40, 200),
    SizeClass.BOARDING: (80, 250),
}
CONTEXT_FIELDS = (
    "share_single_parent",
    "share_parents_higher_education",
    "share_unemployed_parents",
    "share_low_income",
    "share_on_register",
    "share_disabilities",
    "share_non_native_russian",
)


def stream(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one stage and one thing: `stream(2026, "context", "edu880123")`.

    String seeds are hashed with SHA-512 by `random`, so a stream is the same on every run and platform.
    """
    return random.Random(":".join(str(p) for p in (seed, *parts)))


@dataclass(frozen=True)
class DemoLatent:
    """What the data is generated from and no register records."""

    # Socio-economic status of the intake, on a z-like scale: 0 is a typical town school, higher is more
    # advantaged; the schools of the default region average about −0.4 with a spread of about 0.7.
    ses: float
    # The school's own effect on results, in standard deviations of school means; independent of `ses`.
    effect: float
    # A tendency to inflate the marks of internally checked works (ВПР): 0 for most schools.
    inflation: float


@dataclass(frozen=True)
class DemoContext:
    """The social passport of a school for one year: shares in percent, two decimals."""

    share_single_parent: float
    share_parents_higher_education: float
    share_unemployed_parents: float
    share_low_income: float
    share_on_register: float
    share_disabilities: float
    share_non_native_russian: float


@dataclass
class DemoSchool:
    login: str  # ФИС ОКО login, the key every stage uses
    inn: str
    ogrn: str
    municipality_code: str
    kind: SchoolKind
    size_class: SizeClass
    location: Location
    legal_form: str
    short_name: str
    full_name: str
    settlement: str  # «с. Ивановка», «г. Светлогорск»
    settlement_population: int
    address: str
    latitude: float
    longitude: float
    latent: DemoLatent
    enrolment: dict[int, int]  # academic start year → pupils, for the years the school operates
    contexts: dict[int, DemoContext] = field(default_factory=dict)
    status: Status = Status.ACTIVE
    successor_login: str | None = None
    closed_from: int | None = None  # the first academic year without the school
    aliases: list[str] = field(default_factory=list)  # other names the school is known by
    number: int | None = None
    in_depth: bool = False
    former_number: int | None = None  # the number it had as an ordinary school, for gymnasiums and lyceums

    def operates_in(self, year: int) -> bool:
        return self.closed_from is None or year < self.closed_from


@dataclass(frozen=True)
class DemoMunicipality:
    code: str
    name: str
    genitive: str
    kind: MunicipalityKind
    centre: str  # «г. Лесогорск», «с. Каменка»
    centre_population: int
    ses_offset: float  # its schools' mean latent SES before the settlement and the kind of school


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: DemoRole
    last_name: str
    first_name: str
    patronymic: str
    position: str
    email: str
    is_staff: bool = False
    region_code: str | None = None
    municipality_code: str | None = None
    school_login: str | None = None
    curated_logins: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name} {self.patronymic}"


@dataclass
class DemoRegion:
    seed: int
    code: str
    name: str
    genitive: str
    years: tuple[int, ...]
    municipalities: list[DemoMunicipality]
    schools: list[DemoSchool]
    users: list[DemoUser]
    focus_municipality_code: str  # the largest rural district: its staff are the demo municipal users
    curator_starts_on: date = CURATOR_STARTS_ON

    def municipality(self, code: str) -> DemoMunicipality:
        return next(m for m in self.municipalities if m.code == code)

    def school(self, login: str) -> DemoSchool:
        return next(s for s in self.schools if s.login == login)

    def schools_of(self, municipality_code: str) -> list[DemoSchool]:
        return [s for s in self.schools if s.municipality_code == municipality_code]

    @property
    def focus(self) -> DemoMunicipality:
        return self.municipality(self.focus_municipality_code)

    def user(self, username: str) -> DemoUser:
        return next(u for u in self.users if u.username == username)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
