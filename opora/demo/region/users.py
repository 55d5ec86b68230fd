"""One demo user per role, with a Russian name and a password that follows from the seed."""

import random
from typing import NamedTuple

from opora.demo import names
from opora.demo.region.model import (
    DEMO_EMAIL_DOMAIN,
    DEMO_REGION_CODE,
    DEMO_REGION_GENITIVE,
    DemoMunicipality,
    DemoRole,
    DemoSchool,
    DemoUser,
    Location,
    SizeClass,
    Status,
    stream,
)


def demo_password(seed: int, username: str) -> str:
    """A demo user's password: two words and four digits, the same for the same seed and user name."""
    rng = stream(seed, "password", username)
    first, second = rng.sample(names.PASSWORD_WORDS, 2)
    return f"{first}-{second}-{rng.randint(1000, 9999)}"


def demo_users(seed: int, schools: list[DemoSchool], focus: DemoMunicipality) -> list[DemoUser]:
    rng = stream(seed, "users")
    own = [s for s in schools if s.municipality_code == focus.code and s.status == Status.ACTIVE]
    curated = sorted(
        (s for s in own if s.size_class in (SizeClass.RURAL_SECONDARY, SizeClass.RURAL_BASIC)),
        key=lambda s: (s.latent.ses, s.login),
    )[:3]
    leaders = [s for s in own if s.location == Location.CITY and s.size_class == SizeClass.TOWN_SECONDARY]
    leader = max(leaders or own, key=lambda s: (s.latent.ses + s.latent.effect, s.login))
    home = curated[0] if curated else own[0]
    ministry = f"министерства образования {DEMO_REGION_GENITIVE}"
    assessment_centre = f"ГАУ «Центр оценки качества образования {DEMO_REGION_GENITIVE}»"
    seats = [
        _Seat(
            "region",
            DemoRole.REGIONAL_COORDINATOR,
            f"Региональный координатор, консультант отдела общего образования {ministry}",
            region_code=DEMO_REGION_CODE,
        ),
        _Seat(
            "analyst",
            DemoRole.REGIONAL_ANALYST,
            f"Ведущий аналитик {assessment_centre}",
            region_code=DEMO_REGION_CODE,
        ),
        _Seat(
            "municipal",
            DemoRole.MUNICIPAL_COORDINATOR,
            f"Муниципальный координатор, главный специалист управления образования {focus.genitive}",
            municipality_code=focus.code,
        ),
        _Seat(
            "methodist",
            DemoRole.METHODIST,
            f"Методист МКУ «Информационно-методический центр» {focus.genitive}",
            municipality_code=focus.code,
        ),
        _Seat(
            "curator",
            DemoRole.CURATOR,
            f"Заместитель директора по учебно-воспитательной работе {leader.short_name}",
            curated_logins=tuple(s.login for s in curated),
        ),
        _Seat(
            "school",
            DemoRole.SCHOOL_COORDINATOR,
            f"Школьный координатор, заместитель директора по УВР {home.short_name}",
            school_login=home.login,
        ),
        _Seat("director", DemoRole.DIRECTOR, f"Директор {home.short_name}", school_login=home.login),
        _Seat(
            "admin",
            DemoRole.ADMINISTRATOR,
            f"Администратор системы, инженер-программист {assessment_centre}",
            is_staff=True,
        ),
    ]
    users: list[DemoUser] = []
    taken: set[str] = set()
    for seat in seats:
        last_name, first_name, patronymic = _person(rng, taken)
        users.append(
            DemoUser(
                username=seat.username,
                password=demo_password(seed, seat.username),
                role=seat.role,
                last_name=last_name,
                first_name=first_name,
                patronymic=patronymic,
                position=seat.position,
                email=f"{seat.username}@{DEMO_EMAIL_DOMAIN}",
                is_staff=seat.is_staff,
                region_code=seat.region_code,
                municipality_code=seat.municipality_code,
                school_login=seat.school_login,
                curated_logins=seat.curated_logins,
            )
        )
    return users


class _Seat(NamedTuple):
    username: str
    role: DemoRole
    position: str
    region_code: str | None = None
    municipality_code: str | None = None
    school_login: str | None = None
    curated_logins: tuple[str, ...] = ()
    is_staff: bool = False


def _person(rng: random.Random, taken: set[str]) -> tuple[str, str, str]:
    while True:
        female = rng.random() < 0.75  # most of the people in Russian education are women
        surname = rng.choice(names.SURNAMES)
        father = rng.choice(sorted(names.PATRONYMICS))
        if female:
            person = (
                names.feminine_surname(surname),
                rng.choice(names.FEMALE_FIRST_NAMES),
                names.PATRONYMICS[father][1],
            )
        else:
            person = (surname, rng.choice(names.MALE_FIRST_NAMES), names.PATRONYMICS[father][0])
        if person[0] not in taken:
            taken.add(person[0])
            return person
