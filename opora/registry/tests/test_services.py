"""The register's write services: each change is checked, written and audited; a no-op writes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from opora.core.models import AuditEvent
from opora.registry.identity import SchoolResolver
from opora.registry.models import AcademicYear, School, SchoolAlias, SchoolEnrolment
from opora.registry.services import (
    academic_year_get_or_create,
    school_alias_add,
    school_create,
    school_enrolment_set,
    school_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_audit(db):
    """The audit events written during this test (other tests may leave some behind)."""
    baseline = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: AuditEvent.objects.filter(pk__gt=baseline)


def create(cast, **overrides):
    values = {
        "actor": cast.users["admin"],
        "municipality": cast.municipality,
        "fis_oko_login": "edu777001",
        "full_name": "Муниципальное бюджетное общеобразовательное учреждение «СОШ № 9»",
        "short_name": "МБОУ «СОШ № 9»",
        "location": School.Location.VILLAGE,
        "source": "test",
    } | overrides
    return school_create(**values)


def test_school_create_writes_the_school_and_an_audit_event(new_audit, cast):
    school = create(cast, inn="2509000009", latitude=Decimal("43.1"))
    school.refresh_from_db()
    assert (school.fis_oko_login, school.inn, school.kind, school.status) == (
        "edu777001",
        "2509000009",
        "secondary",
        "active",
    )
    event = new_audit().get(action="school_create")
    assert event.actor == cast.users["admin"] and event.object_id == str(school.pk)
    assert event.details["values"]["latitude"] == "43.1"
    assert event.details["source"] == "test"


def test_school_create_stores_an_empty_login_as_null(cast):
    first = create(cast, fis_oko_login="")
    second = create(cast, fis_oko_login="", short_name="Другая")
    assert first.fis_oko_login is None and second.fis_oko_login is None


@pytest.mark.parametrize(
    "overrides",
    [{"inn": "123"}, {"ogrn": "12"}, {"fis_oko_login": "abc"}, {"kind": "university"}, {"location": ""}],
)
def test_school_create_refuses_bad_values(new_audit, cast, overrides):
    count = School.objects.count()
    with pytest.raises(ValidationError):
        create(cast, **overrides)
    assert School.objects.count() == count and not new_audit().exists()


def test_the_database_refuses_a_merged_school_without_successor(cast):
    with pytest.raises(IntegrityError):
        create(cast, status=School.Status.MERGED)


def test_school_update_returns_and_audits_only_real_changes(new_audit, cast):
    school = cast.sibling
    diffs = school_update(
        actor=cast.users["admin"],
        school=school,
        changes={
            "settlement": school.settlement,
            "settlement_population": 900,
            "municipality": cast.neighbour,
        },
    )
    assert diffs == {
        "settlement_population": (None, 900),
        "municipality": (cast.municipality.pk, cast.neighbour.pk),
    }
    school.refresh_from_db()
    assert (school.settlement_population, school.municipality) == (900, cast.neighbour)
    event = new_audit().get(action="school_update")
    assert event.details["changes"] == {
        "settlement_population": [None, 900],
        "municipality": [cast.municipality.pk, cast.neighbour.pk],
    }


def test_school_update_without_changes_writes_nothing(new_audit, cast):
    school = cast.sibling
    stamp = school.updated_at
    assert school_update(actor=None, school=school, changes={"inn": school.inn, "successor": None}) == {}
    school.refresh_from_db()
    assert school.updated_at == stamp and not new_audit().exists()


def test_school_update_keeps_the_old_login_and_name_as_aliases(cast):
    school = cast.sibling
    old_login, old_name = school.fis_oko_login, school.short_name
    school_update(
        actor=None,
        school=school,
        changes={"fis_oko_login": "edu777002", "short_name": "МКОУ «ОШ д. Берёзовка им. Героя»"},
    )
    assert set(school.aliases.values_list("kind", "value")) == {
        ("fis_oko_login", old_login),
        ("name", old_name),
    }
    resolver = SchoolResolver.load()
    assert resolver.resolve(login=old_login).school_id == school.pk
    assert resolver.resolve(login="edu777002").school_id == school.pk


def test_school_update_refuses_fields_outside_the_register(cast):
    with pytest.raises(ValueError, match="Not register fields"):
        school_update(actor=None, school=cast.school, changes={"created_at": None})


def test_school_update_checks_values(cast):
    with pytest.raises(ValidationError):
        school_update(actor=None, school=cast.school, changes={"ogrn": "1"})


def test_school_alias_add_is_idempotent_by_normalized_value(new_audit, cast):
    alias = school_alias_add(
        actor=None, school=cast.school, kind=SchoolAlias.Kind.NAME, value="СОШ №1 Ивановка"
    )
    assert alias is not None and alias.normalized == "сош №1 ивановка"
    again = school_alias_add(
        actor=None, school=cast.school, kind=SchoolAlias.Kind.NAME, value="  «СОШ № 1»  Ивановка "
    )
    assert again is None
    assert SchoolAlias.objects.count() == 1 and new_audit().filter(action="school_alias_add").count() == 1


def test_school_alias_add_refuses_an_empty_value(cast):
    with pytest.raises(ValueError):
        school_alias_add(actor=None, school=cast.school, kind=SchoolAlias.Kind.INN, value="—")


def test_school_enrolment_set_creates_replaces_and_skips_equal_figures(new_audit, cast):
    year = academic_year_get_or_create(actor=None, start_year=2025)
    assert academic_year_get_or_create(actor=None, start_year=2025) == year
    assert AcademicYear.objects.filter(start_year=2025).count() == 1
    school_enrolment_set(actor=None, school=cast.school, academic_year=year, pupils=300)
    school_enrolment_set(actor=None, school=cast.school, academic_year=year, pupils=310)
    school_enrolment_set(actor=None, school=cast.school, academic_year=year, pupils=310)
    assert SchoolEnrolment.objects.get().pupils == 310
    events = new_audit().filter(action="school_enrolment_set").order_by("id")
    assert [(e.details["old"], e.details["new"]) for e in events] == [(None, 300), (300, 310)]
    assert events.latest("id").summary == "2025/2026: 300 → 310"
