"""A generated demo region: a believable Russian region of ~8 municipalities and a few hundred schools.

Pure Python, no Django: `generate_region(seed=…, schools=…)` returns the whole region in memory, and
`opora.demo.build` writes it into the database. The same seed always gives the same region.

Every stage draws from its own random stream, named by the stage and the thing it generates
(`stream(seed, "context", login)`), never from the global random state. Adding a stage, say the results
of the assessments, therefore changes nothing already generated. Each school keeps its latent variables
(`DemoSchool.latent`): the socio-economic status of its intake, which drives the social passport, and its
true effect on results, which the results generators add to it.

Modules: `model` (the dataclasses), `places` (municipalities, settlements, the schools' places),
`schools` (names, identifiers, latent variables, enrolment, mergers, aliases), `context` (the social
passport), `users` (one user per role).
"""

from opora.demo.region.context import social_passports
from opora.demo.region.model import (
    CONTEXT_FIELDS,
    CURATOR_STARTS_ON,
    DEMO_EMAIL_DOMAIN,
    DEMO_REGION_CODE,
    DEMO_REGION_GENITIVE,
    DEMO_REGION_NAME,
    DEMO_USERNAMES,
    DEMO_YEARS,
    MAX_SCHOOLS,
    MIN_SCHOOLS,
    SIZE_RANGES,
    DemoContext,
    DemoLatent,
    DemoMunicipality,
    DemoRegion,
    DemoRole,
    DemoSchool,
    DemoUser,
    Location,
    MunicipalityKind,
    SchoolKind,
    SizeClass,
    Status,
    stream,
)
from opora.demo.region.places import (
    SPECS,
    MunicipalitySpec,
    Slot,
    allocate,
    city_population,
    municipality_slots,
)
from opora.demo.region.schools import add_aliases, merge_and_close, schools_from_slots
from opora.demo.region.users import demo_password, demo_users

__all__ = [
    "CONTEXT_FIELDS",
    "CURATOR_STARTS_ON",
    "DEMO_EMAIL_DOMAIN",
    "DEMO_REGION_CODE",
    "DEMO_REGION_NAME",
    "DEMO_USERNAMES",
    "DEMO_YEARS",
    "SIZE_RANGES",
    "DemoContext",
    "DemoLatent",
    "DemoMunicipality",
    "DemoRegion",
    "DemoRole",
    "DemoSchool",
    "DemoUser",
    "Location",
    "MunicipalityKind",
    "SchoolKind",
    "SizeClass",
    "Status",
    "demo_password",
    "generate_region",
    "stream",
]


def generate_region(*, seed: int = 2026, schools: int = 300) -> DemoRegion:
    """The demo region for this seed: municipalities, schools with three years of context, users."""
    if not MIN_SCHOOLS <= schools <= MAX_SCHOOLS:
        raise ValueError(f"schools must be between {MIN_SCHOOLS} and {MAX_SCHOOLS}, not {schools}")
    counts = allocate(schools, [spec.weight for spec in SPECS])
    municipalities: list[DemoMunicipality] = []
    slots: list[tuple[MunicipalitySpec, Slot]] = []
    for spec, count in zip(SPECS, counts, strict=True):
        own = municipality_slots(seed, spec, count, schools)
        slots.extend((spec, slot) for slot in own)
        centre_population = spec.centre_population or city_population(own)
        municipalities.append(
            DemoMunicipality(
                code=spec.code,
                name=spec.name,
                genitive=spec.genitive,
                kind=spec.kind,
                centre=f"{spec.centre_type} {spec.centre}",
                centre_population=centre_population,
                ses_offset=spec.ses,
            )
        )
    region_schools = schools_from_slots(seed, slots)
    focus = max(
        (m for m in municipalities if m.kind != MunicipalityKind.URBAN_DISTRICT),
        key=lambda m: (sum(s.municipality_code == m.code for s in region_schools), -municipalities.index(m)),
    )
    merge_and_close(seed, region_schools, focus.code)
    add_aliases(seed, region_schools)
    specs = {spec.code: spec for spec in SPECS}
    for school in region_schools:
        school.contexts = social_passports(seed, school, specs[school.municipality_code])
    return DemoRegion(
        seed=seed,
        code=DEMO_REGION_CODE,
        name=DEMO_REGION_NAME,
        genitive=DEMO_REGION_GENITIVE,
        years=DEMO_YEARS,
        municipalities=municipalities,
        schools=region_schools,
        users=demo_users(seed, region_schools, focus),
        focus_municipality_code=focus.code,
    )
