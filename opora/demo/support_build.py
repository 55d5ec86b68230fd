"""The rest of the demo's data, through the real paths: ОГЭ/ЕГЭ per school through the school results
importer, the identification runs of every results year, and an official list to compare with.

Called by `opora.demo.build` after the ВПР results, as the demo's regional coordinator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from opora.accounts.models import User
from opora.assessments.models import SchoolAggregateResult
from opora.demo.exams import exams_csv, generate_exams
from opora.demo.region import DemoRegion
from opora.demo.results import RESULTS_YEARS
from opora.demo.results_build import DemoResultsError, demo_csv_import
from opora.identification.models import IdentificationRun, ListMembership, MethodologyVersion, SchoolList
from opora.identification.official import official_list_import
from opora.identification.services import identification_run_create
from opora.imports.models import ImportJob
from opora.registry.models import Region

OFFICIAL_DOCUMENT = "Приказ министерства образования № 412 (демо)"


@dataclass(frozen=True)
class SupportBuild:
    exam_rows: int
    runs: int
    seconds: float


def demo_support_build(
    *, demo: DemoRegion, region: Region, user: User, years: tuple[int, ...] = RESULTS_YEARS
) -> SupportBuild:
    """Import the exams, run the identification for each results year in order, import an official list."""
    started = time.perf_counter()
    rows = generate_exams(demo, years=years)
    with transaction.atomic():
        for year in sorted({row.year for row in rows}):
            demo_csv_import(
                user=user,
                kind=ImportJob.Kind.SCHOOL_RESULTS,
                name=f"ОГЭ и ЕГЭ {year} по школам, демо-регион.csv",
                content=exams_csv([row for row in rows if row.year == year]),
                what="exam results",
                tolerated=lambda warning: True,
            )
        runs = [
            identification_run_create(actor=user, region=region, municipality=None, year=year)
            for year in sorted(years)
        ]
        _official_list(region=region, user=user, run=runs[-2] if len(runs) > 1 else runs[-1])
    return SupportBuild(exam_rows=len(rows), runs=len(runs), seconds=time.perf_counter() - started)


def _official_list(*, region: Region, user: User, run: IdentificationRun) -> None:
    """An official regional ШНОР list for the run's year: the computed one, less its last school and plus
    one school the computation did not list, so that the comparison page has something to show."""
    computed = SchoolList.objects.get(run=run, kind=SchoolList.Kind.LOW_RESULTS)
    members = list(
        computed.memberships.order_by("school__fis_oko_login").values_list("school__fis_oko_login", flat=True)
    )
    extra = (
        run.findings.filter(method="low_results", status="cleared")
        .order_by("school__fis_oko_login")
        .values_list("school__fis_oko_login", flat=True)
        .first()
    )
    logins = members[:-1] + ([extra] if extra else [])
    if not logins:
        return
    content = "Логин ОО;Примечание\n" + "".join(f"{login};по итогам мониторинга\n" for login in logins)
    source = ContentFile(content.encode("utf-8"), name=f"ШНОР {run.year} приказ.csv")
    outcome = official_list_import(
        actor=user,
        source=source,
        file_name=source.name or "list.csv",
        kind=SchoolList.Kind.LOW_RESULTS,
        level=SchoolList.Level.REGIONAL,
        year=run.year,
        document=OFFICIAL_DOCUMENT,
        document_date=None,
        region=region,
        municipality=None,
    )
    if outcome.errors:
        raise DemoResultsError("; ".join(str(error) for error in outcome.errors[:5]))


def demo_support_delete(*, region: Region) -> None:
    """Delete the region's lists, runs, methodology versions and aggregate results."""
    ListMembership.objects.filter(school_list__region=region).delete()
    SchoolList.objects.filter(region=region).delete()
    IdentificationRun.objects.filter(region=region).delete()
    MethodologyVersion.objects.filter(region=region).delete()
    SchoolAggregateResult.objects.filter(school__municipality__region=region).delete()
