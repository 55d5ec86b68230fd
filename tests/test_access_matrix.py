"""Every URL that shows a school or a municipality, for every role: its own is 200, the rest is 404.

The URLconf is enumerated, so a new URL cannot escape: a URL whose kwargs name a school or a
municipality is checked automatically; any other URL must be listed in UNSCOPED with its reason.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_expectations import EXPECTED_MUNICIPALITIES, EXPECTED_SCHOOLS

SCHOOLS = ("school", "sibling", "neighbour_school", "far_school")
MUNICIPALITIES = ("municipality", "neighbour", "far")

# URLs that show neither a school nor a municipality through their path, and where their scope is tested.
UNSCOPED = {
    "identification:index": "regional and municipal staff only; runs and lists filtered by "
    "opora.identification.access; tested in opora/identification/tests/test_views.py",
    "identification:run-start": "the run's scope is the user's own (run_scope_for); tested in test_views.py",
    "identification:official-upload": "the list's scope is the user's own; every row's school by "
    "schools_visible_to; tested in opora/identification/tests/test_views.py",
    "identification:methodology": "the user's scope's versions only; tested in test_views.py",
    "identification:methodology-edit": "coordinators, in their own scope; tested in test_views.py",
    "core:home": "redirects by role; tested in tests/test_views.py",
    "core:health": "database health probe; no data",
    "accounts:login": "public",
    "accounts:logout": "the user's own session",
    "accounts:password-change": "the user's own password",
    "accounts:password-change-done": "the user's own password",
    "registry:school-list": "list filtered by scope; tested below",
    "registry:municipality-list": "list filtered by scope; tested below",
    "imports:job-list": "the user's own jobs; tested in opora/imports/tests",
    "imports:register-upload": "checked by can_import_register; tested in opora/imports/tests",
    "imports:context-upload": "checked by import_kind_allowed; each row's school by schools_visible_to; "
    "tested in opora/imports/tests/test_context.py",
    "imports:vpr-upload": "checked by import_kind_allowed; each file's school by schools_visible_to; "
    "tested in opora/imports/tests/test_fis_oko_vpr.py",
    "imports:school-results-upload": "checked by import_kind_allowed; each row's school by "
    "schools_visible_to; tested in opora/imports/tests/test_school_results.py",
    "imports:pupil-results-upload": "checked by import_kind_allowed; each row's school by "
    "schools_visible_to; tested in opora/imports/tests/test_pupil_results.py",
}
# Path kwargs that name something scoped other than schools and municipalities, with where it is tested.
OTHER_SCOPED_KWARGS = {
    "run_pk": "identification runs: by region or municipality, findings by school; tested in "
    "opora/identification/tests/test_views.py",
    "list_pk": "school lists: by region or municipality, members by school; tested in "
    "opora/identification/tests/test_views.py",
    "version_pk": "methodology versions: by region or municipality; tested in "
    "opora/identification/tests/test_views.py",
    "job_pk": "import jobs: creator-only, tested in opora/imports/tests/test_views.py; mapping a school "
    "(imports:job-map-school) also checks the chosen school by schools_visible_to, tested in "
    "opora/imports/tests/test_school_mapping.py",
}


def _walk(patterns, namespace="", prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _project_urls() -> list[tuple[str, list[str]]]:
    found = []
    for name, pattern in _walk(get_resolver().url_patterns):
        if name.startswith("admin:"):
            continue  # Django's admin: staff only, with Django's own model permissions
        found.append((name, sorted(pattern.pattern.converters)))
    return found


URLS = _project_urls()
SCHOOL_URLS = [name for name, kwargs in URLS if kwargs == ["school_pk"]]
MUNICIPALITY_URLS = [name for name, kwargs in URLS if kwargs == ["municipality_pk"]]


def test_it_classifies_every_url():
    unclassified = []
    for name, kwargs in URLS:
        if kwargs in (["school_pk"], ["municipality_pk"]) or name in UNSCOPED:
            continue
        if kwargs and all(k in OTHER_SCOPED_KWARGS for k in kwargs):
            continue
        unclassified.append((name, kwargs))
    assert not unclassified, f"New URLs need an access rule in this test: {unclassified}"
    assert SCHOOL_URLS and MUNICIPALITY_URLS


def _fetch(client, url):
    response = client.get(url)
    if response.status_code == 405:  # a POST-only action: it must refuse out-of-scope objects too
        response = client.post(url, {})
    return response


@pytest.mark.parametrize("url_name", SCHOOL_URLS)
@pytest.mark.parametrize("role", sorted(EXPECTED_SCHOOLS))
def test_it_shows_a_school_only_in_scope(client, cast, role, url_name):
    client.force_login(cast.users[role])
    for school_name in SCHOOLS:
        school = getattr(cast, school_name)
        response = _fetch(client, reverse(url_name, kwargs={"school_pk": school.pk}))
        if school_name in EXPECTED_SCHOOLS[role]:
            assert response.status_code in (200, 302), (role, school_name, response.status_code)
        else:
            assert response.status_code == 404, (role, school_name, response.status_code)


@pytest.mark.parametrize("url_name", MUNICIPALITY_URLS)
@pytest.mark.parametrize("role", sorted(EXPECTED_MUNICIPALITIES))
def test_it_shows_a_municipality_only_in_scope(client, cast, role, url_name):
    client.force_login(cast.users[role])
    for municipality_name in MUNICIPALITIES:
        municipality = getattr(cast, municipality_name)
        response = _fetch(client, reverse(url_name, kwargs={"municipality_pk": municipality.pk}))
        if municipality_name in EXPECTED_MUNICIPALITIES[role]:
            assert response.status_code in (200, 302), (role, municipality_name, response.status_code)
        else:
            assert response.status_code == 404, (role, municipality_name, response.status_code)


@pytest.mark.parametrize("role", sorted(EXPECTED_SCHOOLS))
def test_it_lists_only_schools_in_scope(client, cast, role):
    client.force_login(cast.users[role])
    # Asking for another municipality's schools by filter must not widen the scope.
    for query in ({}, {"municipality": cast.far.pk}, {"q": "МБОУ"}):
        response = client.get(reverse("registry:school-list"), query)
        assert response.status_code == 200
        listed = {s.pk for s in response.context["page"].object_list}
        visible = {getattr(cast, name).pk for name in EXPECTED_SCHOOLS[role]}
        assert listed <= visible
    listed_all = {s.pk for s in client.get(reverse("registry:school-list")).context["page"].object_list}
    assert listed_all == {getattr(cast, name).pk for name in EXPECTED_SCHOOLS[role]}


@pytest.mark.parametrize("role", sorted(EXPECTED_MUNICIPALITIES))
def test_it_lists_only_municipalities_in_scope(client, cast, role):
    client.force_login(cast.users[role])
    response = client.get(reverse("registry:municipality-list"))
    assert response.status_code == 200
    listed = {m.pk for m in response.context["page"].object_list}
    assert listed == {getattr(cast, name).pk for name in EXPECTED_MUNICIPALITIES[role]}


def test_it_keeps_a_municipality_page_to_its_own_schools(client, cast):
    """Regional staff see the neighbour municipality, but its page lists only its own schools."""
    client.force_login(cast.users["regional"])
    response = client.get(
        reverse("registry:municipality-detail", kwargs={"municipality_pk": cast.neighbour.pk}),
        {"municipality": cast.municipality.pk},
    )
    assert {s.pk for s in response.context["page"].object_list} == {cast.neighbour_school.pk}


def test_it_sends_anonymous_users_to_login(client, cast):
    for name, kwargs in URLS:
        if name in ("accounts:login", "core:health"):
            continue
        url_kwargs = dict.fromkeys(kwargs, 1)
        response = client.get(reverse(name, kwargs=url_kwargs))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
