"""The scope rules, tested once, exhaustively, for every role of the cast."""

import datetime

import pytest

from opora.accounts.access import can_view_municipalities, municipalities_visible_to, schools_visible_to
from opora.accounts.models import CuratorAssignment
from tests.access_expectations import EXPECTED_MUNICIPALITIES, EXPECTED_SCHOOLS


@pytest.mark.parametrize("role", sorted(EXPECTED_SCHOOLS))
def test_it_scopes_schools_by_role(cast, role):
    by_pk = {getattr(cast, name).pk: name for name in ("school", "sibling", "neighbour_school", "far_school")}
    visible = {by_pk[pk] for pk in schools_visible_to(cast.users[role]).values_list("pk", flat=True)}
    assert visible == EXPECTED_SCHOOLS[role]


@pytest.mark.parametrize("role", sorted(EXPECTED_MUNICIPALITIES))
def test_it_scopes_municipalities_by_role(cast, role):
    by_pk = {getattr(cast, name).pk: name for name in ("municipality", "neighbour", "far")}
    user = cast.users[role]
    visible = {by_pk[pk] for pk in municipalities_visible_to(user).values_list("pk", flat=True)}
    assert visible == EXPECTED_MUNICIPALITIES[role]
    assert can_view_municipalities(user) == bool(EXPECTED_MUNICIPALITIES[role])


def test_it_hides_schools_from_inactive_users(cast):
    user = cast.users["regional"]
    user.is_active = False
    assert not schools_visible_to(user).exists()


def test_it_ends_a_curators_sight_when_the_assignment_ends(cast):
    CuratorAssignment.objects.filter(curator=cast.users["curator"]).update(ends_on=datetime.date(2025, 1, 1))
    assert not schools_visible_to(cast.users["curator"]).exists()


def test_it_does_not_show_a_future_assignment_yet(cast):
    CuratorAssignment.objects.filter(curator=cast.users["curator"]).update(
        starts_on=datetime.date(2999, 1, 1)
    )
    assert not schools_visible_to(cast.users["curator"]).exists()
