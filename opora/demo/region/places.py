"""Municipalities, settlements and the places of schools in them: the geography of the demo region."""

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from opora.demo import names
from opora.demo.region.model import (
    SIZE_RANGES,
    MunicipalityKind,
    SchoolKind,
    SizeClass,
    clamp,
    stream,
)


@dataclass(frozen=True)
class MunicipalitySpec:
    code: str  # OKTMO-like
    name: str
    genitive: str
    kind: MunicipalityKind
    centre_type: str
    centre: str
    centre_in_names: str  # how school names write the centre: «г. Лесогорска», «рп Заречный»
    centre_population: int | None  # None: a city, its population follows from its schools
    weight: float  # share of the region's schools
    ses: float
    latitude: float
    longitude: float
    postcode: int
    tax_office: str  # the two digits after the region in INN and OGRN
    area: str  # the address part: «Лесогорский р-н»
    non_native: float  # log-odds offset of the share of non-native Russian speakers
    rural_legal_form: str
    extras: tuple[SchoolKind, ...] = ()
    capital: bool = False


_U, _D, _O = (
    MunicipalityKind.URBAN_DISTRICT,
    MunicipalityKind.MUNICIPAL_DISTRICT,
    MunicipalityKind.MUNICIPAL_OKRUG,
)
# The region: its centre, a smaller city and six rural districts, from the most to the least advantaged.
SPECS = (
    MunicipalitySpec(
        code="88701000", name="Городской округ Северогорск", genitive="городского округа Северогорск",
        kind=_U, centre_type=names.CITY, centre="Северогорск", centre_in_names="", centre_population=None,
        weight=0.175, ses=0.45, latitude=63.90, longitude=40.60, postcode=163000, tax_office="01", area="",
        non_native=0.3, rural_legal_form="МБОУ", capital=True,
    ),
    MunicipalitySpec(
        code="88705000", name="Городской округ Светлогорск", genitive="городского округа Светлогорск",
        kind=_U, centre_type=names.CITY, centre="Светлогорск", centre_in_names="г. Светлогорска",
        centre_population=None, weight=0.045, ses=0.15, latitude=64.48, longitude=39.25, postcode=164500,
        tax_office="05", area="", non_native=0.0, rural_legal_form="МБОУ",
    ),
    MunicipalitySpec(
        code="88608000", name="Заречный муниципальный район", genitive="Заречного муниципального района",
        kind=_D, centre_type=names.WORK_SETTLEMENT, centre="Заречный", centre_in_names="рп Заречный",
        centre_population=12000, weight=0.12, ses=-0.15, latitude=63.30, longitude=38.40, postcode=164200,
        tax_office="17", area="Заречный р-н", non_native=0.0, rural_legal_form="МБОУ",
    ),
    MunicipalitySpec(
        code="88612000", name="Каменский муниципальный округ", genitive="Каменского муниципального округа",
        kind=_O, centre_type=names.VILLAGE, centre="Каменка", centre_in_names="с. Каменка",
        centre_population=7000, weight=0.13, ses=-0.25, latitude=62.30, longitude=40.10, postcode=165300,
        tax_office="19", area="Каменский м.о.", non_native=0.0, rural_legal_form="МКОУ",
        extras=(SchoolKind.SPECIAL,),
    ),
    MunicipalitySpec(
        code="88616000", name="Озёрский муниципальный район", genitive="Озёрского муниципального района",
        kind=_D, centre_type=names.CITY, centre="Озёрск", centre_in_names="г. Озёрска",
        centre_population=22000, weight=0.13, ses=-0.30, latitude=61.80, longitude=43.90, postcode=165600,
        tax_office="21", area="Озёрский р-н", non_native=0.2, rural_legal_form="МБОУ",
        extras=(SchoolKind.EVENING,),
    ),
    MunicipalitySpec(
        code="88604000", name="Лесогорский муниципальный район",
        genitive="Лесогорского муниципального района", kind=_D, centre_type=names.CITY, centre="Лесогорск",
        centre_in_names="г. Лесогорска", centre_population=18000, weight=0.15, ses=-0.35, latitude=62.90,
        longitude=42.80, postcode=165100, tax_office="14", area="Лесогорский р-н", non_native=0.0,
        rural_legal_form="МКОУ",
    ),
    MunicipalitySpec(
        code="88624000", name="Приморский муниципальный район", genitive="Приморского муниципального района",
        kind=_D, centre_type=names.WORK_SETTLEMENT, centre="Приморский", centre_in_names="рп Приморский",
        centre_population=9000, weight=0.125, ses=-0.45, latitude=65.10, longitude=41.80, postcode=164600,
        tax_office="25", area="Приморский р-н", non_native=0.4, rural_legal_form="МКОУ",
    ),
    MunicipalitySpec(
        code="88620000", name="Ключевской муниципальный округ", genitive="Ключевского муниципального округа",
        kind=_O, centre_type=names.VILLAGE, centre="Ключи", centre_in_names="с. Ключи",
        centre_population=5000, weight=0.12, ses=-0.55, latitude=64.80, longitude=44.10, postcode=164900,
        tax_office="23", area="Ключевской м.о.", non_native=1.6, rural_legal_form="МКОУ",
        extras=(SchoolKind.BOARDING,),
    ),
)  # fmt: skip


@dataclass
class Settlement:
    label: str  # «с. Ивановка»
    population: int
    latitude: float
    longitude: float
    postcode: int
    urban: bool


@dataclass
class Slot:
    """A school before its identifiers are drawn."""

    kind: SchoolKind
    size_class: SizeClass
    settlement: Settlement
    pupils: int
    legal_form: str = "МБОУ"
    number: int | None = None
    in_depth: bool = False
    former_number: int | None = None
    place_in_name: str = ""
    place_outside: bool = False


_SIZE_MODES = {
    SizeClass.RURAL_PRIMARY: 18,
    SizeClass.RURAL_BASIC: 55,
    SizeClass.RURAL_SECONDARY: 150,
    SizeClass.TOWN_SECONDARY: 650,
    SizeClass.CITY_SECONDARY: 900,
    SizeClass.SELECTIVE: 950,
    SizeClass.EDUCATION_CENTRE: 1000,
    SizeClass.SPECIAL: 120,
    SizeClass.EVENING: 90,
    SizeClass.BOARDING: 150,
}


def allocate(total: int, weights: Sequence[float], minimum: int = 2) -> list[int]:
    """Split `total` by `weights` (largest remainder), at least `minimum` each."""
    spare = total - minimum * len(weights)
    raw = [spare * w / sum(weights) for w in weights]
    counts = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in by_remainder[: spare - sum(counts)]:
        counts[i] += 1
    return [c + minimum for c in counts]


def _quota(n: int, wanted: Sequence[tuple[SchoolKind, int]], keep: int) -> list[tuple[SchoolKind, int]]:
    """Take the wanted special kinds in order while at least `keep` places remain for ordinary schools."""
    taken, used = [], 0
    for kind, count in wanted:
        count = max(0, min(count, n - keep - used))
        taken.append((kind, count))
        used += count
    return taken


def _draw_size(rng: random.Random, size_class: SizeClass) -> int:
    low, high = SIZE_RANGES[size_class]
    return round(rng.triangular(low, high, _SIZE_MODES[size_class]))


def municipality_slots(seed: int, spec: MunicipalitySpec, n: int, region_total: int) -> list[Slot]:
    rng = stream(seed, "municipality", spec.code)
    if spec.kind == MunicipalityKind.URBAN_DISTRICT:
        return _city_slots(rng, spec, n)
    return _district_slots(rng, spec, n, region_total)


def _city_slots(rng: random.Random, spec: MunicipalitySpec, n: int) -> list[Slot]:
    city = Settlement(f"{names.CITY} {spec.centre}", 0, spec.latitude, spec.longitude, spec.postcode, True)
    if spec.capital:
        wanted = [
            (SchoolKind.SPECIAL, 2 if n >= 25 else int(n >= 8)),
            (SchoolKind.EVENING, 2 if n >= 60 else int(n >= 10)),
            (SchoolKind.EDUCATION_CENTRE, int(n >= 20)),
            (SchoolKind.GYMNASIUM, max(1, round(n * 0.07)) if n >= 4 else 0),
            (SchoolKind.LYCEUM, max(1, round(n * 0.05)) if n >= 6 else 0),
        ]
    else:
        wanted = [
            (SchoolKind.GYMNASIUM, int(n >= 3)),
            (SchoolKind.LYCEUM, int(n >= 8)),
            (SchoolKind.SPECIAL, int(n >= 10)),
            (SchoolKind.EVENING, int(n >= 10)),
        ]
    quotas = _quota(n, wanted, keep=math.ceil(n / 2))
    ordinary = n - sum(count for _kind, count in quotas)
    # Numbers run with gaps: schools were closed, merged or renamed into gymnasiums over the years.
    numbers = sorted(rng.sample(range(1, ordinary + ordinary // 4 + 3), ordinary))
    gaps = [k for k in range(1, numbers[-1]) if k not in set(numbers)] if numbers else []
    rng.shuffle(gaps)
    in_depth = set(rng.sample(numbers, round(ordinary * 0.08)))
    place = spec.centre_in_names
    slots = [
        Slot(
            SchoolKind.SECONDARY,
            SizeClass.CITY_SECONDARY,
            city,
            _draw_size(rng, SizeClass.CITY_SECONDARY),
            legal_form="МАОУ" if rng.random() < 0.15 else "МБОУ",
            number=number,
            in_depth=number in in_depth,
        )
        for number in numbers
    ]
    for kind, count in quotas:
        for k in range(1, count + 1):
            size_class = {
                SchoolKind.GYMNASIUM: SizeClass.SELECTIVE,
                SchoolKind.LYCEUM: SizeClass.SELECTIVE,
                SchoolKind.EDUCATION_CENTRE: SizeClass.EDUCATION_CENTRE,
                SchoolKind.SPECIAL: SizeClass.SPECIAL,
                SchoolKind.EVENING: SizeClass.EVENING,
            }[kind]
            selective = size_class in (SizeClass.SELECTIVE, SizeClass.EDUCATION_CENTRE)
            legal_form = "ГКОУ" if kind == SchoolKind.SPECIAL else "МБОУ"
            if selective and rng.random() < 0.6:
                legal_form = "МАОУ"
            slots.append(
                Slot(
                    kind,
                    size_class,
                    city,
                    _draw_size(rng, size_class),
                    legal_form=legal_form,
                    number=k,
                    former_number=gaps.pop() if selective and gaps else None,
                )
            )
    for slot in slots:
        slot.place_in_name, slot.place_outside = place, True
        if slot.kind == SchoolKind.SPECIAL:
            slot.place_in_name = ""  # regional schools are named without the city
    return slots


def city_population(slots: Sequence[Slot]) -> int:
    """A city's population from its pupils (about one person in ten is a pupil), set on its settlement."""
    pupils = sum(slot.pupils for slot in slots if slot.settlement.urban)
    population = max(20_000, int(round(pupils / 0.105, -3)))
    for slot in slots:
        slot.settlement.population = population
    return population


def _district_slots(rng: random.Random, spec: MunicipalitySpec, n: int, region_total: int) -> list[Slot]:
    assert spec.centre_population is not None
    population = int(round(spec.centre_population * rng.uniform(0.85, 1.15), -2))
    urban = spec.centre_type in names.URBAN_SETTLEMENT_TYPES
    centre = Settlement(
        f"{spec.centre_type} {spec.centre}", population, spec.latitude, spec.longitude, spec.postcode, urban
    )
    centre_pupils = population * 0.11
    size_class = SizeClass.TOWN_SECONDARY if urban else SizeClass.RURAL_SECONDARY
    capacity = 700 if urban else 380
    in_centre = min(max(1, math.ceil(centre_pupils / capacity)), 4, max(1, n // 3))
    low, high = SIZE_RANGES[size_class]
    slots = [
        Slot(
            SchoolKind.SECONDARY,
            size_class,
            centre,
            round(clamp(centre_pupils / in_centre * rng.uniform(0.8, 1.2), low, high)),
            legal_form="МБОУ",
            number=k if in_centre > 1 or urban else None,
        )
        for k in range(1, in_centre + 1)
    ]
    villages = _VillageNames(rng, exclude={spec.centre})
    extras = [kind for kind in spec.extras if n >= 12 and (kind != SchoolKind.EVENING or region_total >= 150)]
    for kind in extras:
        if kind == SchoolKind.EVENING:
            slots.append(Slot(kind, SizeClass.EVENING, centre, _draw_size(rng, SizeClass.EVENING), number=1))
            continue
        settlement_type = names.RURAL_SETTLEMENT if kind == SchoolKind.BOARDING else names.VILLAGE
        size_class = SizeClass.BOARDING if kind == SchoolKind.BOARDING else SizeClass.SPECIAL
        pupils = _draw_size(rng, size_class)
        settlement = _village(rng, spec, villages.take(settlement_type), max(800, pupils * 8))
        legal_form = "ГКОУ" if kind == SchoolKind.SPECIAL else spec.rural_legal_form
        slots.append(Slot(kind, size_class, settlement, pupils, legal_form=legal_form))
    rest = n - len(slots)
    secondary, basic = round(rest * 0.45), round(rest * 0.33)
    primary = rest - secondary - basic
    kinds = [SchoolKind.SECONDARY] * secondary + [SchoolKind.BASIC] * basic + [SchoolKind.PRIMARY] * primary
    rng.shuffle(kinds)
    settlement_types = {
        SchoolKind.PRIMARY: ((names.HAMLET, 0.5), (names.VILLAGE, 0.3), (names.RURAL_SETTLEMENT, 0.2)),
        SchoolKind.BASIC: ((names.VILLAGE, 0.5), (names.HAMLET, 0.25), (names.RURAL_SETTLEMENT, 0.25)),
        SchoolKind.SECONDARY: ((names.VILLAGE, 0.6), (names.RURAL_SETTLEMENT, 0.35), (names.HAMLET, 0.05)),
    }
    for kind in kinds:
        size_class = {
            SchoolKind.PRIMARY: SizeClass.RURAL_PRIMARY,
            SchoolKind.BASIC: SizeClass.RURAL_BASIC,
            SchoolKind.SECONDARY: SizeClass.RURAL_SECONDARY,
        }[kind]
        pupils = _draw_size(rng, size_class)
        options = settlement_types[kind]
        settlement_type = rng.choices([t for t, _ in options], [w for _, w in options])[0]
        population = int(round(clamp(pupils / rng.uniform(0.08, 0.14), 50, 3000), -1))
        settlement = _village(rng, spec, villages.take(settlement_type), population)
        slots.append(Slot(kind, size_class, settlement, pupils, legal_form=spec.rural_legal_form))
    for slot in slots:
        slot.place_in_name = spec.centre_in_names if slot.settlement is centre else slot.settlement.label
        slot.place_outside = slot.settlement is centre and spec.centre_type == names.CITY
        if slot.kind == SchoolKind.SPECIAL:
            slot.place_in_name = slot.settlement.label
    return slots


class _VillageNames:
    """Unique settlement names within one municipality, drawn from the pools, then varied."""

    def __init__(self, rng: random.Random, exclude: Iterable[str]) -> None:
        self._rng = rng
        self._used = set(exclude)
        self._bases = {
            names.VILLAGE: names.VILLAGE_NAMES,
            names.HAMLET: names.HAMLET_NAMES,
            names.RURAL_SETTLEMENT: names.SETTLEMENT_NAMES,
        }
        self._pools = {kind: rng.sample(pool, len(pool)) for kind, pool in self._bases.items()}

    def take(self, settlement_type: str) -> str:
        pool = self._pools[settlement_type]
        while pool:
            name = pool.pop()
            if name not in self._used:
                return self._use(settlement_type, name)
        base_pool = self._bases[settlement_type]
        for _attempt in range(50):
            base = self._rng.choice(base_pool)
            modifier = self._rng.choice(names.PLACE_MODIFIERS[names.grammatical_gender(base)])
            if f"{modifier} {base}" not in self._used:
                return self._use(settlement_type, f"{modifier} {base}")
        suffix = 2
        while f"{base}-{suffix}" in self._used:
            suffix += 1
        return self._use(settlement_type, f"{base}-{suffix}")

    def _use(self, settlement_type: str, name: str) -> str:
        self._used.add(name)
        return f"{settlement_type} {name}"


def _village(rng: random.Random, spec: MunicipalitySpec, label: str, population: int) -> Settlement:
    return Settlement(
        label,
        population,
        spec.latitude + rng.gauss(0, 0.35),
        spec.longitude + rng.gauss(0, 0.7),
        spec.postcode + rng.randint(10, 99),
        urban=False,
    )
