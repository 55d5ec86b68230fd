"""Schools from their places: names, identifiers, latent variables, enrolment, mergers and aliases."""

import math
import random

from opora.demo import names
from opora.demo.region.model import (
    CLOSED_FROM,
    DEMO_REGION_ADDRESS,
    DEMO_REGION_CODE,
    DEMO_REGION_GENITIVE,
    DEMO_YEARS,
    MERGED_FROM,
    SIZE_RANGES,
    DemoLatent,
    DemoSchool,
    Location,
    SchoolKind,
    SizeClass,
    Status,
    clamp,
    stream,
)
from opora.demo.region.places import MunicipalitySpec, Slot


def schools_from_slots(seed: int, slots: list[tuple[MunicipalitySpec, Slot]]) -> list[DemoSchool]:
    rng = stream(seed, "identifiers")
    logins = sorted(rng.sample(range(1, 10_000), len(slots)))
    inn_serials = rng.sample(range(10_000, 100_000), len(slots))
    ogrn_serials = rng.sample(range(10_000, 100_000), len(slots))
    schools = []
    for (spec, slot), login, inn_serial, ogrn_serial in zip(
        slots, logins, inn_serials, ogrn_serials, strict=True
    ):
        office = f"{DEMO_REGION_CODE}{spec.tax_office}"
        year = rng.choice(["02", "02", "03", "03", "03", str(rng.randint(10, 16))])
        short_name, full_name = names.school_names(
            legal_form=slot.legal_form,
            kind=slot.kind,
            number=slot.number,
            place=slot.place_in_name,
            place_outside=slot.place_outside,
            in_depth=slot.in_depth,
            owner=DEMO_REGION_GENITIVE if slot.legal_form in names.STATE_LEGAL_FORMS else "",
        )
        login_text = f"edu{DEMO_REGION_CODE}{login:04d}"
        location = Location.CITY if slot.settlement.urban else Location.VILLAGE
        school_rng = stream(seed, "school", login_text)
        spread = (0.04, 0.08) if slot.settlement.urban else (0.004, 0.008)
        streets = names.STREETS_RURAL if location == Location.VILLAGE else names.STREETS_CITY
        street = school_rng.choice(streets + names.STREETS_COMMON)
        house = school_rng.randint(1, 120 if location == Location.CITY else 40)
        postcode = slot.settlement.postcode + (school_rng.randint(0, 60) if spec.capital else 0)
        area = f"{spec.area}, " if spec.area else ""
        street_address = f"{slot.settlement.label}, {street}, д. {house}"
        schools.append(
            DemoSchool(
                login=login_text,
                inn=_with_inn_check(f"{office}{inn_serial:05d}"),
                ogrn=_with_ogrn_check(f"1{year}{office}{ogrn_serial:05d}"),
                municipality_code=spec.code,
                kind=slot.kind,
                size_class=slot.size_class,
                location=location,
                legal_form=slot.legal_form,
                short_name=short_name,
                full_name=full_name,
                settlement=slot.settlement.label,
                settlement_population=slot.settlement.population,
                address=f"{postcode}, {DEMO_REGION_ADDRESS}, {area}{street_address}",
                latitude=round(slot.settlement.latitude + school_rng.gauss(0, spread[0]), 6),
                longitude=round(slot.settlement.longitude + school_rng.gauss(0, spread[1]), 6),
                latent=_latent(seed, login_text, spec, slot),
                enrolment=_enrolment(seed, login_text, slot),
                number=slot.number,
                in_depth=slot.in_depth,
                former_number=slot.former_number,
            )
        )
    return schools


def _with_inn_check(first_nine: str) -> str:
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(int(d) * w for d, w in zip(first_nine, weights, strict=True)) % 11 % 10
    return f"{first_nine}{check}"


def _with_ogrn_check(first_twelve: str) -> str:
    return f"{first_twelve}{int(first_twelve) % 11 % 10}"


_KIND_SES = {
    SchoolKind.GYMNASIUM: 0.75,
    SchoolKind.LYCEUM: 0.85,
    SchoolKind.EDUCATION_CENTRE: 0.2,
    SchoolKind.SPECIAL: -0.5,
    SchoolKind.EVENING: -0.9,
    SchoolKind.BOARDING: -0.7,
}


def _latent(seed: int, login: str, spec: MunicipalitySpec, slot: Slot) -> DemoLatent:
    rng = stream(seed, "latent", login)
    settlement = 0.0
    if not slot.settlement.urban:
        # Smaller and more remote places have fewer jobs and fewer graduates.
        settlement = -0.25 - 0.12 * math.log10(3000 / max(50, slot.settlement.population))
    ses = spec.ses + settlement + _KIND_SES.get(slot.kind, 0.0) + 0.4 * slot.in_depth
    ordinary = slot.kind not in _KIND_SES
    ses += rng.gauss(0, (0.5 if slot.settlement.urban else 0.35) if ordinary else 0.25)
    effect = rng.gauss(0.1 if slot.size_class == SizeClass.SELECTIVE else 0.0, 0.3)
    inflation = rng.uniform(0.3, 1.0) if rng.random() < 0.07 else 0.0
    return DemoLatent(ses=round(ses, 4), effect=round(effect, 4), inflation=round(inflation, 4))


def _enrolment(seed: int, login: str, slot: Slot) -> dict[int, int]:
    """Pupils per year, from the latest year backwards: towns stable, villages slowly emptying."""
    rng = stream(seed, "enrolment", login)
    low, high = SIZE_RANGES[slot.size_class]
    trend = 0.005 if slot.settlement.urban else -0.02
    pupils = {DEMO_YEARS[-1]: slot.pupils}
    for year in reversed(DEMO_YEARS[:-1]):
        earlier = pupils[year + 1] / (1 + rng.gauss(trend, 0.03))
        pupils[year] = round(clamp(earlier, low, high))
    return dict(sorted(pupils.items()))


# Statuses and aliases ---------------------------------------------------------------------------------


def merge_and_close(seed: int, schools: list[DemoSchool], focus_code: str) -> None:
    """Two small rural schools merged into a neighbour (one in the focus district), one closed."""
    rng = stream(seed, "statuses")
    districts = list(dict.fromkeys(s.municipality_code for s in schools if s.location == Location.VILLAGE))
    others = [code for code in districts if code != focus_code]
    rng.shuffle(others)
    for code in [focus_code, *others[:1]]:
        _merge_one(rng, [s for s in schools if s.municipality_code == code])
    for code in others[1:]:
        candidates = [
            s for s in schools if s.municipality_code == code and s.kind == SchoolKind.PRIMARY and _free(s)
        ]
        if candidates:
            closed = rng.choice(candidates)
            closed.status, closed.closed_from = Status.CLOSED, CLOSED_FROM
            closed.enrolment = {y: p for y, p in closed.enrolment.items() if y < CLOSED_FROM}
            return


def _free(school: DemoSchool) -> bool:
    return school.status == Status.ACTIVE and school.location == Location.VILLAGE


def _merge_one(rng: random.Random, schools: list[DemoSchool]) -> None:
    high = SIZE_RANGES[SizeClass.RURAL_SECONDARY][1]
    small = [s for s in schools if s.kind in (SchoolKind.PRIMARY, SchoolKind.BASIC) and _free(s)]
    rng.shuffle(small)
    for merged in small:
        moving = round(merged.enrolment[MERGED_FROM - 1] * 0.9)
        hosts = [
            s
            for s in schools
            if s.size_class == SizeClass.RURAL_SECONDARY
            and _free(s)
            and all(p + moving <= high for y, p in s.enrolment.items() if y >= MERGED_FROM)
            and not any(o.successor_login == s.login for o in schools)
        ]
        if not hosts:
            continue
        successor = min(
            hosts, key=lambda s: (s.latitude - merged.latitude) ** 2 + (s.longitude - merged.longitude) ** 2
        )
        merged.status, merged.successor_login, merged.closed_from = (
            Status.MERGED,
            successor.login,
            MERGED_FROM,
        )
        merged.enrolment = {y: p for y, p in merged.enrolment.items() if y < MERGED_FROM}
        successor.enrolment = {
            y: p + moving if y >= MERGED_FROM else p for y, p in successor.enrolment.items()
        }
        return


def add_aliases(seed: int, schools: list[DemoSchool]) -> None:
    """Names the schools go by in incoming files: the ФИС ОКО spelling, a name from before 2011."""
    rng = stream(seed, "aliases")
    for school in schools:
        if school.status != Status.ACTIVE:
            continue
        if school.former_number is not None:
            place = _place_of(school)
            school.aliases.append(f"МОУ «СОШ № {school.former_number}{place}»")
        elif rng.random() < 0.12:
            inner = school.short_name.split("«", 1)[1].rstrip("»")
            # Two spellings of today's name compare equal once normalised: a school gets one of them.
            spelling = rng.choice(
                [f'{school.legal_form} "{inner}"'.replace("№ ", "№"), f"{school.legal_form} {inner}"]
            )
            before_2011 = f"МОУ «{inner}»"
            school.aliases.extend(rng.choice([[spelling], [before_2011], [spelling, before_2011]]))


def _place_of(school: DemoSchool) -> str:
    if " г. " in school.short_name:
        return " г. " + school.short_name.split(" г. ", 1)[1].rstrip("»")
    return ""
