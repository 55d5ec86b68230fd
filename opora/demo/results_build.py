"""Writes the generated ВПР results as ФИС ОКО files and imports them through the importer, as a user would.

One ZIP per year, built in memory with the layout writer (`opora.imports.fis_oko.layout`), is uploaded,
checked and committed by the demo's regional coordinator: the demo walks the real path, and the stored
indicators are computed by the commit. The mark scales the generator used are written first, marked as demo
data in their `source`, so the importer checks every mark against them.
"""

import io
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from opora.accounts.models import User
from opora.assessments.models import (
    Assessment,
    MarkScale,
    Procedure,
    PupilResult,
    SchoolAggregateResult,
    SchoolAssessment,
    SchoolIndicator,
    Subject,
)
from opora.demo.region import DemoRegion
from opora.demo.results import (
    RESULTS_YEARS,
    VPR_GRADES,
    DemoAssessment,
    DemoResults,
    DemoSchoolResult,
    generate_results,
)
from opora.imports.errors import render_row_error
from opora.imports.fis_oko.layout import VprPupil, VprTask, write_vpr_individual_results
from opora.imports.models import ImportJob
from opora.imports.services import import_job_commit, import_job_create, import_job_validate
from opora.registry.models import Region

VPR_PROCEDURE = "ВПР"
#: The demo's regional diagnostic (opora.demo.diagnostics).
DIAGNOSTIC_PROCEDURE = "КДР"
SCALE_SOURCE = "Демо-регион: сгенерированная шкала перевода"


class DemoResultsError(Exception):
    """The generated results did not import cleanly; the message lists the importer's problems."""


@dataclass(frozen=True)
class ResultsBuild:
    files: int
    pupils: int
    jobs: list[ImportJob]
    seconds: float


def demo_results_build(
    *,
    demo: DemoRegion,
    user: User,
    years: Iterable[int] = RESULTS_YEARS,
    grades: Iterable[int] = VPR_GRADES,
) -> ResultsBuild:
    """Generate the region's ВПР results, write the mark scales, and import one ZIP per year as `user`."""
    started = time.perf_counter()
    results = generate_results(demo, years=years, grades=grades)
    schools = {s.login: s for s in demo.schools}
    municipalities = {m.code: m.name for m in demo.municipalities}
    jobs: list[ImportJob] = []
    with transaction.atomic():
        _mark_scales(results)
        for year in sorted({key[0] for key in results.assessments}):
            in_year = [r for r in results.schools if r.year == year]
            if not in_year:
                continue
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
                for result in in_year:
                    school = schools[result.login]
                    archive.writestr(
                        _file_name(result),
                        _workbook(
                            result,
                            results.assessments[result.key],
                            school_name=school.short_name,
                            municipality=municipalities[school.municipality_code],
                        ),
                    )
            job = demo_file_import(
                user=user,
                kind=ImportJob.Kind.VPR_RESULTS,
                name=f"ВПР {year} демо-регион.zip",
                content=buffer.getvalue(),
                what="ВПР results",
            )
            jobs.append(job)
    return ResultsBuild(
        files=len(results.schools),
        pupils=results.pupils,
        jobs=jobs,
        seconds=time.perf_counter() - started,
    )


def demo_results_delete(*, region: Region) -> None:
    """Delete the results of the region's schools, then the assessments and demo scales nothing uses."""
    in_region = Q(school__municipality__region=region)
    SchoolIndicator.objects.filter(in_region).delete()
    PupilResult.objects.filter(school_assessment__school__municipality__region=region).delete()
    SchoolAssessment.objects.filter(in_region).delete()
    unused = Assessment.objects.filter(
        ~Exists(SchoolAssessment.objects.filter(assessment=OuterRef("pk"))),
        ~Exists(SchoolAggregateResult.objects.filter(assessment=OuterRef("pk"))),
        ~Exists(SchoolIndicator.objects.filter(assessment=OuterRef("pk"))),
    )
    used_keys = Assessment.objects.exclude(pk__in=unused).values_list(
        "procedure_id", "year", "subject_id", "grade"
    )
    demo_scales = MarkScale.objects.filter(source=SCALE_SOURCE)
    keep = set(used_keys)
    demo_scales.filter(
        pk__in=[s.pk for s in demo_scales if (s.procedure_id, s.year, s.subject_id, s.grade) not in keep]
    ).delete()
    # The demo imports ВПР and the diagnostic per pupil and ОГЭ/ЕГЭ per school: their assessments go when
    # nothing uses them (the diagnostic's procedure stays, as a region's own КДР could share it).
    unused.filter(procedure__code__in=(VPR_PROCEDURE, "ОГЭ", "ЕГЭ", DIAGNOSTIC_PROCEDURE)).delete()


def _mark_scales(results: DemoResults) -> None:
    """The scales of the generated assessments; a scale already in the database for a key is kept."""
    procedure = Procedure.objects.get(code=VPR_PROCEDURE)
    subjects = {
        s.name: s for s in Subject.objects.filter(name__in={a.subject for a in results.assessments.values()})
    }
    existing = set(
        MarkScale.objects.filter(
            procedure=procedure, year__in={k[0] for k in results.assessments}
        ).values_list("year", "subject__name", "grade")
    )
    MarkScale.objects.bulk_create(
        MarkScale(
            procedure=procedure,
            year=a.year,
            subject=subjects[a.subject],
            grade=a.grade,
            min_score_3=Decimal(a.scale.min_score_3),
            min_score_4=Decimal(a.scale.min_score_4),
            min_score_5=Decimal(a.scale.min_score_5),
            source=SCALE_SOURCE,
        )
        for key, a in results.assessments.items()
        if key not in existing
    )


def _file_name(result: DemoSchoolResult) -> str:
    subject = "rus" if result.subject == "Русский язык" else "math"
    return f"{result.login}/{result.year}_{subject}_{result.grade}.xlsx"


def _workbook(
    result: DemoSchoolResult, assessment: DemoAssessment, *, school_name: str, municipality: str
) -> bytes:
    buffer = io.BytesIO()
    write_vpr_individual_results(
        buffer,
        year=result.year,
        subject=result.subject,
        grade=result.grade,
        school_login=result.login,
        school_name=school_name,
        municipality=municipality,
        tasks=[VprTask(t.label, t.max_score, t.level) for t in assessment.tasks],
        pupils=[
            VprPupil(
                code=p.code,
                class_name=p.class_name,
                variant=p.variant,
                scores=p.scores,
                mark=p.mark,
                journal_mark=p.journal_mark,
            )
            for p in result.pupils
        ],
        held_on=assessment.held_on,
    )
    return buffer.getvalue()


def demo_csv_import(
    *,
    user: User,
    kind: str,
    name: str,
    content: str,
    what: str,
    tolerated: Callable[[dict[str, Any]], bool] = lambda warning: False,
) -> ImportJob:
    """`demo_file_import` of a generated CSV (UTF-8 text)."""
    return demo_file_import(
        user=user, kind=kind, name=name, content=content.encode("utf-8"), what=what, tolerated=tolerated
    )


def demo_file_import(
    *,
    user: User,
    kind: str,
    name: str,
    content: bytes,
    what: str,
    tolerated: Callable[[dict[str, Any]], bool] = lambda warning: False,
) -> ImportJob:
    """Import one generated file as `user` through the job flow (create, check, commit), as a region would;
    `DemoResultsError` (naming `what` was generated) when it does not import cleanly: an error, or a warning
    that `tolerated` does not accept (with the job's last events, which say why a commit failed)."""

    def checked(job: ImportJob, expected: str) -> ImportJob:
        unexpected = [warning for warning in job.warnings if not tolerated(warning)]
        if job.status == expected and not job.errors and not unexpected:
            return job
        problems = [render_row_error(p) for p in [*job.errors, *unexpected][:20]]
        events = list(job.events.order_by("-pk").values_list("message", flat=True)[:3])
        raise DemoResultsError(
            f"The generated {what} in «{job.original_name}» did not import cleanly (status {job.status}): "
            + "; ".join(problems + events)
        )

    job = import_job_create(user=user, kind=kind, uploaded_file=ContentFile(content, name=name))
    job = checked(import_job_validate(job=job), ImportJob.Status.VALIDATED)
    return checked(import_job_commit(job=job, user=user), ImportJob.Status.COMMITTED)


__all__ = [
    "DIAGNOSTIC_PROCEDURE",
    "SCALE_SOURCE",
    "DemoResultsError",
    "ResultsBuild",
    "demo_csv_import",
    "demo_file_import",
    "demo_results_build",
    "demo_results_delete",
]
