"""List views on the 300-school demo region: a fixed number of queries, whatever the page shows (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opora.accounts.models import User
from opora.demo.build import demo_build
from opora.imports.models import ImportJob
from opora.registry.models import Municipality, School


@pytest.fixture
def demo(db):
    build = demo_build(seed=2026, schools=300)
    region_user = User.objects.get(username="region")
    ImportJob.objects.bulk_create(
        ImportJob(
            kind=ImportJob.Kind.REGISTER, created_by=region_user, original_name=f"реестр-{i}.csv", size=1
        )
        for i in range(120)
    )
    return build


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response


# (URL, query parameters, the exact number of queries) for the regional coordinator, who sees the most.
# Session + user (2), then the page's own: count + page for the paginator, plus what the page needs.
LIST_VIEWS = [
    ("registry:school-list", {}, 5),
    ("registry:school-list", {"page": "3"}, 5),
    ("registry:school-list", {"q": "СОШ", "location": "village"}, 5),
    ("registry:municipality-list", {}, 4),
    ("imports:job-list", {}, 4),
    ("imports:job-list", {"page": "2"}, 4),
]


@pytest.mark.parametrize(("url_name", "params", "expected"), LIST_VIEWS)
def test_it_lists_in_a_fixed_number_of_queries(client, demo, url_name, params, expected):
    assert School.objects.count() >= 300
    client.force_login(User.objects.get(username="region"))
    count, _response = _queries(client, reverse(url_name), params)
    assert count == expected, f"{url_name} {params}: {count} queries"


def test_it_shows_a_municipality_page_in_a_fixed_number_of_queries(client, demo):
    client.force_login(User.objects.get(username="region"))
    counts = set()
    for municipality in Municipality.objects.filter(region=demo.region):
        url = reverse("registry:municipality-detail", kwargs={"municipality_pk": municipality.pk})
        counts.add(_queries(client, url)[0])
    assert counts == {5}


def test_it_shows_school_cards_in_a_fixed_number_of_queries(client, demo):
    """A large city school and a tiny merged village school cost the same number of queries."""
    client.force_login(User.objects.get(username="region"))
    counts = set()
    for school in School.objects.order_by("?")[:25]:
        counts.add(_queries(client, reverse("registry:school-detail", kwargs={"school_pk": school.pk}))[0])
    assert len(counts) == 1, counts
