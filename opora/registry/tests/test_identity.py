"""The identity map: name normalisation, resolution order, ambiguity and fuzzy suggestions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opora.registry.identity import SchoolResolver, normalize_alias, normalize_name
from opora.registry.models import SchoolAlias
from tests.factories import MunicipalityFactory, SchoolFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('МБОУ "СОШ №1"', "мбоу сош №1"),
        ("МБОУ «СОШ № 1»", "мбоу сош №1"),
        ("  мбоу   сош  № 1 ", "мбоу сош №1"),
        (
            "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 1»",
            "мбоу сош №1",
        ),
        ("МКОУ «ООШ с. Берёзовка»", "мкоу оош с. березовка"),
        ("МКОУ ООШ село Берёзовка", "мкоу оош с. березовка"),
    ],
)
def test_it_folds_spellings_of_one_name_together(raw, expected):
    assert normalize_name(raw) == expected


def test_it_normalizes_ids_by_kind():
    assert normalize_alias(SchoolAlias.Kind.INN, " 25-0000 0001 ") == "2500000001"
    assert normalize_alias(SchoolAlias.Kind.FIS_OKO_LOGIN, " EDU250001 ") == "edu250001"


@given(st.text(max_size=80))
def test_it_normalizes_idempotently(raw):
    once = normalize_name(raw)
    assert normalize_name(once) == once


@pytest.fixture
def schools(db):
    municipality = MunicipalityFactory.create(name="Лесогорский район")
    other = MunicipalityFactory.create(name="Светлогорск", region=municipality.region)
    first = SchoolFactory.create(
        municipality=municipality,
        fis_oko_login="edu250001",
        inn="2500000001",
        full_name=(
            "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 1»"
        ),
        short_name="МБОУ «СОШ № 1»",
    )
    village = SchoolFactory.create(
        municipality=municipality,
        fis_oko_login="edu250002",
        inn="2500000002",
        full_name="МКОУ «Основная общеобразовательная школа с. Берёзовка»",
        short_name="МКОУ «ООШ с. Берёзовка»",
    )
    namesake = SchoolFactory.create(
        municipality=other, fis_oko_login="edu250003", inn="2500000003", short_name="МБОУ «СОШ № 1»"
    )
    SchoolAlias.objects.create(school=village, kind=SchoolAlias.Kind.FIS_OKO_LOGIN, value="sch250777")
    SchoolAlias.objects.create(school=village, kind=SchoolAlias.Kind.NAME, value="Берёзовская основная школа")
    return {"first": first, "village": village, "namesake": namesake, "m": municipality, "other": other}


def test_it_resolves_by_login_then_inn_then_name(schools):
    resolver = SchoolResolver.load()
    assert resolver.resolve(login="EDU250001").school_id == schools["first"].pk
    assert resolver.resolve(login="sch250777").school_id == schools["village"].pk  # an old login, as an alias
    found = resolver.resolve(login="edu999999", inn="2500000002")
    assert (found.school_id, found.matched_by) == (schools["village"].pk, "inn")
    found = resolver.resolve(name="МКОУ ООШ село Берёзовка", municipality_id=schools["m"].pk)
    assert (found.school_id, found.matched_by) == (schools["village"].pk, "name")
    found = resolver.resolve(name="«Берёзовская основная школа»")
    assert found.school_id == schools["village"].pk


def test_it_does_not_guess_between_namesakes(schools):
    resolver = SchoolResolver.load()
    found = resolver.resolve(name='МБОУ "СОШ №1"')
    assert not found.resolved and found.ambiguous
    assert {s.school_id for s in found.suggestions} == {schools["first"].pk, schools["namesake"].pk}
    # Within one municipality the same name is unique.
    assert resolver.resolve(name='МБОУ "СОШ №1"', municipality_id=schools["other"].pk).school_id == (
        schools["namesake"].pk
    )


def test_it_suggests_close_names_for_an_unknown_school(schools):
    resolver = SchoolResolver.load()
    found = resolver.resolve(name="МКОУ ООШ с. Березовкa (филиал)", municipality_id=schools["m"].pk)
    assert not found.resolved
    assert found.suggestions and found.suggestions[0].school_id == schools["village"].pk
    assert all(s.score < found.suggestions[0].score for s in found.suggestions[1:])
    assert not resolver.resolve(name="Лицей искусств", municipality_id=schools["m"].pk).suggestions


def test_it_resolves_only_among_the_given_municipalities(schools):
    resolver = SchoolResolver.load(municipality_ids=[schools["other"].pk])
    assert not resolver.resolve(login="edu250001").resolved
    assert resolver.resolve(login="edu250003").school_id == schools["namesake"].pk


def test_it_loads_in_a_fixed_number_of_queries(schools, django_assert_num_queries):
    with django_assert_num_queries(2):
        SchoolResolver.load()


def test_the_cached_resolver_is_reused_while_the_register_is_unchanged(schools, django_assert_num_queries):
    SchoolResolver.cache_clear()
    first = SchoolResolver.cached()
    with django_assert_num_queries(2):  # the fingerprint only
        assert SchoolResolver.cached() is first
    assert SchoolResolver.cached(municipality_ids=[schools["other"].pk]) is not first
    assert first.resolve(login="EDU250001").school_id == schools["first"].pk


def test_the_cached_resolver_sees_a_new_alias_at_once(schools):
    from opora.registry.services import school_alias_create

    SchoolResolver.cache_clear()
    assert not SchoolResolver.cached().resolve(login="sch250999").resolved
    school_alias_create(
        actor=None, school=schools["first"], kind=SchoolAlias.Kind.FIS_OKO_LOGIN, value="sch250999"
    )
    assert SchoolResolver.cached().resolve(login="sch250999").school_id == schools["first"].pk


def test_the_cached_resolver_sees_a_changed_or_removed_school(schools):
    SchoolResolver.cache_clear()
    assert SchoolResolver.cached().resolve(login="edu250002").school_id == schools["village"].pk
    village = schools["village"]
    village.fis_oko_login = "edu250022"
    village.save()
    resolver = SchoolResolver.cached()
    assert not resolver.resolve(login="edu250002").resolved
    assert resolver.resolve(login="edu250022").school_id == village.pk
    schools["namesake"].delete()
    assert SchoolResolver.cached().resolve(name='МБОУ "СОШ №1"').school_id == schools["first"].pk
