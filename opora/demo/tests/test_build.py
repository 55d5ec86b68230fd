"""Writing the demo region into the database, the `demo` command, and what its users may see."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.http import HttpRequest
from django.test import override_settings

from opora.accounts.access import schools_visible_to
from opora.accounts.models import CuratorAssignment, Role, User
from opora.demo.build import (
    DEMO_PASSWORD_ITERATIONS,
    DemoError,
    demo_build,
    demo_logins,
    demo_region_delete,
    demo_region_exists,
)
from opora.demo.region import DEMO_USERNAMES, generate_region
from opora.registry.identity import SchoolResolver
from opora.registry.models import (
    AcademicYear,
    Municipality,
    Region,
    School,
    SchoolAlias,
    SchoolContext,
    SchoolEnrolment,
)

SMALL = 40


@pytest.fixture
def small(db):
    return demo_build(seed=11, schools=SMALL)


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Region, Municipality, School, SchoolEnrolment, SchoolContext, SchoolAlias, User)
    }


def test_it_writes_what_it_generated(small):
    demo = generate_region(seed=11, schools=SMALL)
    assert _counts() == {
        "Region": 1,
        "Municipality": 8,
        "School": SMALL,
        "SchoolEnrolment": sum(len(s.enrolment) for s in demo.schools),
        "SchoolContext": sum(len(s.contexts) for s in demo.schools),
        "SchoolAlias": sum(len(s.aliases) for s in demo.schools),
        "User": len(DEMO_USERNAMES),
    }
    assert set(AcademicYear.objects.values_list("start_year", flat=True)) == {2023, 2024, 2025}
    assert small.schools == SMALL and small.municipalities == 8 and small.seed == 11
    school = School.objects.get(fis_oko_login=demo.schools[0].login)
    assert school.short_name == demo.schools[0].short_name
    context = school.contexts.get(academic_year__start_year=2025)
    assert context.share_low_income == Decimal(f"{demo.schools[0].contexts[2025].share_low_income:.2f}")


def test_it_writes_valid_rows(small):
    for school in School.objects.all():
        school.full_clean()
    for context in SchoolContext.objects.all()[:50]:
        context.full_clean()
    for user in User.objects.all():
        user.full_clean(exclude=["password"])


def test_it_links_merged_schools_to_their_successors(small):
    merged = School.objects.filter(status=School.Status.MERGED).select_related("successor")
    assert merged.count() == 2
    assert all(s.successor is not None and s.successor.status == School.Status.ACTIVE for s in merged)
    assert School.objects.filter(status=School.Status.CLOSED, successor__isnull=True).count() == 1


def test_it_stores_aliases_the_resolver_finds(small):
    alias = SchoolAlias.objects.select_related("school").first()
    assert alias is not None and alias.normalized
    resolution = SchoolResolver.load().resolve(name=alias.value, municipality_id=alias.school.municipality_id)
    assert resolution.school_id == alias.school_id


def test_it_gives_every_user_a_password_that_works_and_passes_the_validators(client, small):
    assert [login.user.username for login in small.logins] == list(DEMO_USERNAMES)
    for login in small.logins:
        validate_password(login.password, login.user)
        credentials = {"username": login.user.username, "password": login.password}
        assert client.login(request=HttpRequest(), **credentials), login.user.username
        client.logout()


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
def test_it_hashes_demo_passwords_cheaply_and_leaves_the_upgrade_to_django(db):
    build = demo_build(seed=11, schools=20)
    login = build.logins[0]
    hasher = get_hasher()
    assert isinstance(hasher, PBKDF2PasswordHasher)
    assert login.user.password.startswith(f"pbkdf2_sha256${DEMO_PASSWORD_ITERATIONS}$")
    assert hasher.verify(login.password, login.user.password)
    assert hasher.must_update(login.user.password)


def test_it_makes_the_administrator_staff_with_register_and_user_permissions(small):
    admin = User.objects.get(username="admin")
    assert admin.is_staff and not admin.is_superuser and admin.role == Role.ADMINISTRATOR
    assert admin.has_perm("registry.change_school") and admin.has_perm("accounts.add_user")
    assert admin.has_perm("core.view_auditevent") and not admin.has_perm("core.delete_auditevent")
    assert not User.objects.filter(is_staff=True).exclude(username="admin").exists()


def test_it_scopes_each_user_to_their_part_of_the_region(small):
    users = {login.user.username: login.user for login in small.logins}
    focus_schools = set(School.objects.filter(municipality=small.focus).values_list("pk", flat=True))
    for username in ("municipal", "methodist"):
        assert set(schools_visible_to(users[username]).values_list("pk", flat=True)) == focus_schools
    everything = set(School.objects.values_list("pk", flat=True))
    for username in ("region", "analyst", "admin"):
        assert set(schools_visible_to(users[username]).values_list("pk", flat=True)) == everything
    curated = set(CuratorAssignment.objects.filter(curator=users["curator"]).values_list("school", flat=True))
    assert 2 <= len(curated) <= 3
    assert set(schools_visible_to(users["curator"]).values_list("pk", flat=True)) == curated
    own = {users["school"].school_id}
    assert own < curated
    assert set(schools_visible_to(users["school"]).values_list("pk", flat=True)) == own
    assert set(schools_visible_to(users["director"]).values_list("pk", flat=True)) == own


def test_it_refuses_a_second_region_without_reset_and_rebuilds_with_it(small):
    before = _counts()
    with pytest.raises(DemoError):
        demo_build(seed=11, schools=SMALL)
    rebuilt = demo_build(seed=11, schools=SMALL, reset=True)
    assert _counts() == before
    assert Region.objects.get() == rebuilt.region


def test_it_deletes_the_region_and_its_users(small):
    outsider = User.objects.create_user(username="someone", password="x", role=Role.ADMINISTRATOR)
    assert demo_region_delete()
    assert not demo_region_exists()
    assert list(User.objects.all()) == [outsider]
    assert School.objects.count() == Municipality.objects.count() == SchoolContext.objects.count() == 0
    assert not demo_region_delete()


def test_it_refuses_user_names_taken_outside_the_demo(db):
    User.objects.create_user(username="admin", password="x", role=Role.ADMINISTRATOR, email="it@example.org")
    with pytest.raises(DemoError, match="admin"):
        demo_build(schools=20)
    assert not demo_region_exists()


def test_it_recovers_the_passwords_of_an_existing_region(small):
    recovered = demo_logins()
    assert [(login.user.username, login.password) for login in recovered.logins] == [
        (login.user.username, login.password) for login in small.logins
    ]
    assert recovered.focus == small.focus and recovered.schools == SMALL


def _run(*args: str) -> str:
    """The command without the ВПР results, which opora/demo/tests/test_results.py covers."""
    out = StringIO()
    call_command("demo", *args, "--without-results", stdout=out, verbosity=0)
    return out.getvalue()


def test_the_command_builds_the_region_and_prints_every_login(db):
    output = _run("--schools", "30", "--seed", "5")
    demo = generate_region(seed=5, schools=30)
    for user in demo.users:
        assert user.username in output and user.password in output and user.full_name in output
    assert "http://127.0.0.1:8000/" in output
    assert demo.focus.name in output
    assert "30 школ" in output and "Логин" in output


def test_the_command_prints_the_logins_again_when_the_region_exists(db):
    first = _run("--schools", "30", "--seed", "5")
    again = _run("--schools", "30", "--seed", "5")
    assert "--reset" in again
    assert School.objects.count() == 30
    for line in first.splitlines():
        if line.startswith(DEMO_USERNAMES):
            assert line in again


def test_the_command_resets_the_region(db):
    _run("--schools", "30", "--seed", "5")
    output = _run("--schools", "25", "--seed", "6", "--reset")
    assert School.objects.count() == 25
    assert generate_region(seed=6, schools=25).user("admin").password in output


def test_the_command_refuses_a_bad_number_of_schools_before_touching_anything(small):
    with pytest.raises(CommandError):
        _run("--schools", "3", "--reset")
    assert School.objects.count() == SMALL


class TestTheFullDemo:
    """The 300-school demo, built inside each test's transaction (it takes well under a second)."""

    @pytest.fixture
    def full(self, db):
        return demo_build(), None

    def test_it_builds_300_schools(self, full):
        assert School.objects.count() == 300

    def test_it_shows_the_municipal_user_exactly_their_district(self, full, db):
        build, _seconds = full
        municipal = User.objects.get(username="municipal")
        visible = set(schools_visible_to(municipal).values_list("pk", flat=True))
        assert visible == set(School.objects.filter(municipality=build.focus).values_list("pk", flat=True))
        assert build.focus.name == "Лесогорский муниципальный район"
        rural = Municipality.objects.exclude(kind=Municipality.Kind.URBAN_DISTRICT).annotate(
            n=Count("schools")
        )
        assert len(visible) == max(m.n for m in rural)
