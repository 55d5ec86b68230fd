"""Runs end to end on the database: inputs → analytics → findings, lists and memberships; reruns; versions."""

import pytest
from django.core.exceptions import ValidationError

from analytics.methodology import Methodology
from opora.core.models import AuditEvent
from opora.identification.inputs import identification_inputs
from opora.identification.models import (
    Finding,
    IdentificationRun,
    ListMembership,
    MethodologyVersion,
    SchoolList,
)
from opora.identification.selectors import runs_difference
from opora.identification.services import (
    identification_run_create,
    methodology_current,
    methodology_version_create,
)
from opora.identification.tests.factories import results_store
from opora.registry.models import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_school(cast):
    """cast.school: 40 % «2» in two assessments of 2025 (math and Russian, 50 pupils each) → ШНОР by the
    default rule (≥ 30 % in two or more assessments in the year). The others: 4 % «2»."""
    for subject in ("Математика", "Русский язык"):
        results_store(cast.school, year=2025, twos=20, pupils=50, subject=subject)
        for school in (cast.sibling, cast.neighbour_school):
            results_store(school, year=2025, twos=2, pupils=50, subject=subject)
    return cast.school


def test_a_run_flags_the_school_that_meets_the_rule_and_lists_it_with_its_reason(cast, low_school):
    run = identification_run_create(
        actor=cast.users["regional"], region=cast.region, municipality=None, year=2025
    )
    finding = Finding.objects.get(run=run, school=low_school, method="low_results")
    assert finding.status == Finding.Status.FLAGGED
    assert "2025" in finding.reason and "математика" in finding.reason
    others = Finding.objects.filter(run=run, method="low_results").exclude(school=low_school)
    assert set(others.values_list("status", flat=True)) == {Finding.Status.CLEARED}
    shnor = SchoolList.objects.get(run=run, kind=SchoolList.Kind.LOW_RESULTS)
    assert list(shnor.memberships.values_list("school_id", flat=True)) == [low_school.pk]
    assert run.methodology.parameters == Methodology().to_dict()
    assert AuditEvent.objects.filter(action="identification_run_create", object_id=str(run.pk)).exists()


def test_a_run_reads_only_its_region(cast, low_school):
    results_store(cast.far_school, year=2025, twos=30, pupils=50)
    results_store(cast.far_school, year=2025, twos=30, pupils=50, subject="Русский язык")
    run = identification_run_create(
        actor=cast.users["regional"], region=cast.region, municipality=None, year=2025
    )
    assert not Finding.objects.filter(run=run, school=cast.far_school).exists()


def test_a_rerun_on_the_same_data_gives_identical_findings_and_lists(cast, low_school):
    user = cast.users["regional"]
    run = identification_run_create(actor=user, region=cast.region, municipality=None, year=2025)
    rerun = identification_run_create(
        actor=user, region=cast.region, municipality=None, year=2025, rerun_of=run
    )
    difference = runs_difference(run, rerun)
    assert difference is not None and difference.identical and difference.same_input
    assert rerun.input_fingerprint == run.input_fingerprint and rerun.methodology_id == run.methodology_id


def test_a_rerun_after_the_data_changed_shows_the_difference(cast, low_school):
    user = cast.users["regional"]
    run = identification_run_create(actor=user, region=cast.region, municipality=None, year=2025)
    results_store(low_school, year=2025, twos=1, pupils=50)  # a corrected file: the school is no longer low
    rerun = identification_run_create(
        actor=user, region=cast.region, municipality=None, year=2025, rerun_of=run
    )
    difference = runs_difference(run, rerun)
    assert difference is not None and not difference.same_input and not difference.identical
    assert (low_school.pk, "low_results", "flagged", "cleared") in difference.changed_findings
    assert ("low_results", low_school.pk, False) in difference.changed_lists


def test_a_school_stays_in_the_list_until_it_misses_the_rule_k_cycles_running(cast, low_school):
    user = cast.users["regional"]
    identification_run_create(actor=user, region=cast.region, municipality=None, year=2025)
    for subject in ("Математика", "Русский язык"):
        for school in (cast.school, cast.sibling, cast.neighbour_school):
            results_store(school, year=2026, twos=2, pupils=50, subject=subject)
    run_2026 = identification_run_create(actor=user, region=cast.region, municipality=None, year=2026)
    membership = ListMembership.objects.get(school_list__run=run_2026, school_list__kind="low_results")
    assert (membership.school_id, membership.meets_rule, membership.cycles_without_rule) == (
        low_school.pk,
        False,
        1,
    )
    for subject in ("Математика", "Русский язык"):
        for school in (cast.school, cast.sibling, cast.neighbour_school):
            results_store(school, year=2027, twos=2, pupils=50, subject=subject)
    run_2027 = identification_run_create(actor=user, region=cast.region, municipality=None, year=2027)
    assert not ListMembership.objects.filter(
        school_list__run=run_2027, school_list__kind="low_results"
    ).exists()


def test_the_fingerprint_does_not_depend_on_row_order(cast, low_school):
    schools = School.objects.filter(municipality__region=cast.region)
    first = identification_inputs(schools=schools, years=[2025])
    again = identification_inputs(schools=schools.order_by("-pk"), years=[2025])
    assert first.fingerprint() == again.fingerprint()
    results_store(cast.sibling, year=2025, twos=3, pupils=50)
    assert identification_inputs(schools=schools, years=[2025]).fingerprint() != first.fingerprint()


def test_an_edit_makes_a_new_version_and_a_run_keeps_the_one_it_used(cast, low_school):
    user = cast.users["regional"]
    first = methodology_current(region=cast.region)
    run = identification_run_create(actor=user, region=cast.region, municipality=None, year=2025)
    parameters = Methodology().to_dict()
    parameters["low_results"]["threshold_pct"] = 50.0
    second = methodology_version_create(
        actor=user, region=cast.region, municipality=None, parameters=parameters, comment="порог 50 %"
    )
    assert (first.number, second.number) == (1, 2)
    run.refresh_from_db()
    assert run.methodology_id == first.pk
    stricter = identification_run_create(actor=user, region=cast.region, municipality=None, year=2025)
    assert stricter.methodology_id == second.pk
    assert not Finding.objects.filter(run=stricter, method="low_results", status="flagged").exists()
    assert AuditEvent.objects.filter(action="methodology_version_create", object_id=str(second.pk)).exists()


def test_a_municipal_version_applies_to_its_municipality_only(cast):
    parameters = Methodology().to_dict()
    parameters["lists"]["exit_after_cycles"] = 3
    own = methodology_version_create(
        actor=cast.users["municipal"],
        region=cast.region,
        municipality=cast.municipality,
        parameters=parameters,
        comment="",
    )
    assert methodology_current(region=cast.region, municipality=cast.municipality) == own
    assert methodology_current(region=cast.region, municipality=cast.neighbour).municipality is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"low_results": {"threshold_pct": "много"}}, "low_results.threshold_pct"),
        ({"low_results": {"mode": "median"}}, "low_results.mode"),
        ({"colour": 1}, "colour"),
    ],
)
def test_a_wrong_parameter_is_refused_with_its_name(cast, change, problem):
    with pytest.raises(ValidationError) as caught:
        methodology_version_create(
            actor=cast.users["regional"], region=cast.region, municipality=None, parameters=change, comment=""
        )
    assert any(message.startswith(problem) for message in caught.value.messages)
    assert MethodologyVersion.objects.count() <= 1


def test_saving_unchanged_parameters_is_refused(cast):
    with pytest.raises(ValidationError):
        methodology_version_create(
            actor=cast.users["regional"],
            region=cast.region,
            municipality=None,
            parameters=Methodology().to_dict(),
            comment="",
        )
    assert IdentificationRun.objects.count() == 0
