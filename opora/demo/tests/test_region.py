"""The generated region, without a database: determinism, shape, sizes, identifiers, context, users."""

import itertools
import random
import re
import statistics
from collections import Counter

import pytest

from opora.demo import names
from opora.demo.region import (
    CONTEXT_FIELDS,
    DEMO_USERNAMES,
    DEMO_YEARS,
    SIZE_RANGES,
    DemoRegion,
    DemoRole,
    Location,
    MunicipalityKind,
    SchoolKind,
    Status,
    generate_region,
    stream,
)


@pytest.fixture(scope="module")
def region() -> DemoRegion:
    return generate_region()


def _inn_valid(inn: str) -> bool:
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return int(inn[9]) == sum(int(d) * w for d, w in zip(inn[:9], weights, strict=True)) % 11 % 10


def _ogrn_valid(ogrn: str) -> bool:
    return int(ogrn[12]) == int(ogrn[:12]) % 11 % 10


def test_it_generates_the_same_region_for_the_same_seed(region):
    again = generate_region(seed=2026, schools=300)
    assert again == region
    assert repr(again) == repr(region)


def test_it_generates_another_region_for_another_seed(region):
    other = generate_region(seed=2027, schools=300)
    assert [s.short_name for s in other.schools] != [s.short_name for s in region.schools]
    assert [u.password for u in other.users] != [u.password for u in region.users]


def test_it_leaves_the_global_random_state_alone():
    random.seed(5)
    expected = random.random()
    random.seed(5)
    generate_region(seed=1, schools=40)
    assert random.random() == expected


def test_it_draws_independent_reproducible_streams():
    assert stream(1, "context", "edu880001").random() == stream(1, "context", "edu880001").random()
    assert stream(1, "context", "edu880001").random() != stream(1, "context", "edu880002").random()


def test_it_has_two_cities_and_six_rural_districts(region):
    kinds = Counter(m.kind for m in region.municipalities)
    assert len(region.municipalities) == 8
    assert kinds[MunicipalityKind.URBAN_DISTRICT] == 2
    assert len({m.code for m in region.municipalities}) == len({m.name for m in region.municipalities}) == 8
    capital, city = (m for m in region.municipalities if m.kind == MunicipalityKind.URBAN_DISTRICT)
    assert 300_000 <= capital.centre_population <= 600_000
    assert city.centre_population < capital.centre_population
    for district in region.municipalities:
        if district.kind != MunicipalityKind.URBAN_DISTRICT:
            assert 4_000 <= district.centre_population <= 26_000


def test_it_makes_the_asked_number_of_schools_mostly_rural(region):
    assert len(region.schools) == 300
    locations = Counter(s.location for s in region.schools)
    assert locations[Location.VILLAGE] / len(region.schools) > 0.6
    kinds = Counter(s.kind for s in region.schools)
    assert set(kinds) == set(SchoolKind)
    assert kinds[SchoolKind.PRIMARY] + kinds[SchoolKind.BASIC] >= 60
    assert 2 <= kinds[SchoolKind.EVENING] <= 4
    assert 2 <= kinds[SchoolKind.GYMNASIUM] + kinds[SchoolKind.LYCEUM] <= 15
    assert 2 <= kinds[SchoolKind.SPECIAL] <= 5
    for school in region.schools:
        if school.kind in (SchoolKind.GYMNASIUM, SchoolKind.LYCEUM):
            assert school.location == Location.CITY


def test_it_keeps_every_school_within_the_size_of_its_kind(region):
    for school in region.schools:
        low, high = SIZE_RANGES[school.size_class]
        assert school.enrolment, school
        assert all(low <= pupils <= high for pupils in school.enrolment.values()), school
        assert school.settlement_population >= 50


def test_it_lets_enrolment_drift_only_a_little(region):
    for school in region.schools:
        years = sorted(school.enrolment)
        for earlier, later in itertools.pairwise(years):
            change = abs(school.enrolment[later] - school.enrolment[earlier]) / school.enrolment[earlier]
            assert change < 0.6, school  # a merger adds a small school's pupils to its successor


def test_it_gives_unique_well_formed_identifiers(region):
    for attribute, pattern in (("login", r"edu\d{6}"), ("inn", r"\d{10}"), ("ogrn", r"1\d{12}")):
        values = [getattr(s, attribute) for s in region.schools]
        assert len(set(values)) == len(values), attribute
        assert all(re.fullmatch(pattern, v) for v in values), attribute
    assert all(_inn_valid(s.inn) and _ogrn_valid(s.ogrn) for s in region.schools)
    assert all(s.login.startswith(f"edu{region.code}") for s in region.schools)


def test_it_names_schools_in_the_registers_style(region):
    by_name = {s.short_name: s for s in region.schools}
    assert "МБОУ «Гимназия № 1»" in by_name
    assert any(re.fullmatch(r"МБОУ «СОШ № \d+ г\. Светлогорска»", name) for name in by_name)
    assert any(re.fullmatch(r"МКОУ «ООШ [сдп]\. [А-ЯЁ][\w -]+»", name) for name in by_name)
    city_school = next(
        s for s in region.schools if re.fullmatch(r"МБОУ «СОШ № \d+ г\. Светлогорска»", s.short_name)
    )
    assert city_school.full_name.startswith("Муниципальное бюджетное общеобразовательное учреждение «Средняя")
    assert city_school.full_name.endswith("» г. Светлогорска")
    for municipality in region.municipalities:
        own = [s.short_name for s in region.schools_of(municipality.code)]
        assert len(own) == len(set(own)), municipality.name
    assert all(
        s.address.startswith(tuple("0123456789")) and "Северо-Приморская обл." in s.address
        for s in region.schools
    )


def test_it_places_schools_in_one_area(region):
    assert all(59 < s.latitude < 68 and 34 < s.longitude < 49 for s in region.schools)


def test_it_merges_two_schools_into_active_neighbours_and_closes_one(region):
    statuses = Counter(s.status for s in region.schools)
    assert statuses[Status.MERGED] == 2 and statuses[Status.CLOSED] == 1
    for school in region.schools:
        if school.status == Status.MERGED:
            successor = region.school(school.successor_login)
            assert successor.status == Status.ACTIVE
            assert successor.municipality_code == school.municipality_code
            assert max(school.enrolment) < school.closed_from
            assert set(school.contexts) == set(school.enrolment)
        else:
            assert school.successor_login is None
    merged_in_focus = [
        s for s in region.schools_of(region.focus_municipality_code) if s.status == Status.MERGED
    ]
    assert merged_in_focus, "the municipal demo users should see a merger"


def test_it_gives_some_schools_other_names(region):
    with_aliases = [s for s in region.schools if s.aliases]
    assert 15 <= len(with_aliases) <= 90
    assert any(
        a.startswith("МОУ «СОШ № ") for s in with_aliases if s.kind == SchoolKind.GYMNASIUM for a in s.aliases
    )
    assert any('"' in a for s in with_aliases for a in s.aliases)
    for school in with_aliases:
        assert school.short_name not in school.aliases


def test_it_fills_every_context_field_for_every_year_a_school_works(region):
    for school in region.schools:
        assert set(school.contexts) == {y for y in DEMO_YEARS if school.operates_in(y)}
        for context in school.contexts.values():
            for name in CONTEXT_FIELDS:
                value = getattr(context, name)
                assert 0 <= value <= 100 and round(value, 2) == value, (school, name)


def _correlation(region, field, year=2025):
    rows = [(s.latent.ses, getattr(s.contexts[year], field)) for s in region.schools if year in s.contexts]
    return statistics.correlation([r[0] for r in rows], [r[1] for r in rows])


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("share_parents_higher_education", 0.6, 1.0),
        ("share_low_income", -1.0, -0.5),
        ("share_unemployed_parents", -1.0, -0.3),
        ("share_single_parent", -1.0, -0.1),
        ("share_on_register", -1.0, -0.1),
    ],
)
def test_it_ties_the_context_to_the_latent_status(region, field, low, high):
    assert low < _correlation(region, field) < high


def test_it_gives_villages_gymnasiums_and_special_schools_their_usual_context(region):
    def mean(schools, field):
        return statistics.mean(getattr(s.contexts[2025], field) for s in schools if 2025 in s.contexts)

    village = [s for s in region.schools if s.location == Location.VILLAGE]
    city = [s for s in region.schools if s.location == Location.CITY and s.kind == SchoolKind.SECONDARY]
    selective = [s for s in region.schools if s.kind in (SchoolKind.GYMNASIUM, SchoolKind.LYCEUM)]
    special = [s for s in region.schools if s.kind == SchoolKind.SPECIAL]
    assert statistics.mean(s.latent.ses for s in village) < statistics.mean(s.latent.ses for s in city)
    assert statistics.mean(s.latent.ses for s in selective) > statistics.mean(s.latent.ses for s in city)
    assert mean(village, "share_low_income") > mean(city, "share_low_income")
    assert mean(selective, "share_parents_higher_education") > mean(city, "share_parents_higher_education")
    assert mean(special, "share_disabilities") > 80 > mean(city, "share_disabilities")


def test_it_keeps_the_context_stable_across_years(region):
    pairs = [
        (s.contexts[2023].share_low_income, s.contexts[2025].share_low_income)
        for s in region.schools
        if 2023 in s.contexts and 2025 in s.contexts
    ]
    assert statistics.correlation([p[0] for p in pairs], [p[1] for p in pairs]) > 0.6


def test_it_keeps_the_latent_variables(region):
    effects = [s.latent.effect for s in region.schools]
    assert -0.2 < statistics.mean(effects) < 0.2 and 0.15 < statistics.stdev(effects) < 0.5
    assert abs(statistics.correlation([s.latent.ses for s in region.schools], effects)) < 0.25


def test_it_makes_one_user_per_role_scoped_to_the_largest_rural_district(region):
    assert tuple(u.username for u in region.users) == DEMO_USERNAMES
    assert {u.role for u in region.users} == set(DemoRole)
    rural = [m for m in region.municipalities if m.kind != MunicipalityKind.URBAN_DISTRICT]
    sizes = {m.code: len(region.schools_of(m.code)) for m in rural}
    assert sizes[region.focus_municipality_code] == max(sizes.values())
    assert region.focus.name == "Лесогорский муниципальный район"
    assert region.user("municipal").municipality_code == region.focus_municipality_code
    assert region.user("methodist").municipality_code == region.focus_municipality_code
    assert region.user("region").region_code == region.user("analyst").region_code == region.code
    curated = [region.school(login) for login in region.user("curator").curated_logins]
    assert 2 <= len(curated) <= 3
    assert all(
        s.municipality_code == region.focus_municipality_code
        and s.location == Location.VILLAGE
        and s.status == Status.ACTIVE
        for s in curated
    )
    assert region.user("school").school_login == region.user("director").school_login == curated[0].login
    assert region.user("admin").is_staff
    full_names = [u.full_name for u in region.users]
    assert len(set(full_names)) == len(full_names)
    assert all(
        re.fullmatch(r"[А-ЯЁ][а-яё-]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+(вич|вна|ична|ич)", n) for n in full_names
    )


def test_it_agrees_names_by_gender():
    assert names.feminine_surname("Иванов") == "Иванова"
    assert names.feminine_surname("Троицкий") == "Троицкая"
    assert names.feminine_surname("Шевченко") == "Шевченко"
    assert names.grammatical_gender("Ключи") == "plural"
    assert names.grammatical_gender("Ивановка") == "feminine"


@pytest.mark.parametrize("schools", [20, 41, 1200])
def test_it_scales_from_a_handful_to_a_thousand_schools(schools):
    region = generate_region(seed=3, schools=schools)
    assert len(region.schools) == schools
    assert len({s.login for s in region.schools}) == schools
    for municipality in region.municipalities:
        own = [s.short_name for s in region.schools_of(municipality.code)]
        assert own and len(own) == len(set(own))
    assert region.user("curator").curated_logins


@pytest.mark.parametrize("schools", [0, 19, 9001])
def test_it_refuses_sizes_it_cannot_make(schools):
    with pytest.raises(ValueError, match="schools must be between"):
        generate_region(schools=schools)
