"""Write an error-free ВПР plan (inside the caller's transaction): assessments, tasks, school results.

A school's results are the unit a file replaces: unchanged files are not touched, replaced ones lose their
pupil rows and get the file's. Pupils go in with COPY (PostgreSQL) or executemany (SQLite): a few queries
per job, none per pupil.
"""

import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opora.accounts.models import User
from opora.assessments.models import Assessment, PupilResult, SchoolAssessment, Task
from opora.assessments.services import pupil_results_insert, school_indicators_stale
from opora.core.services import audit_event_bulk_create
from opora.imports.fis_oko.parse import PupilLine
from opora.imports.fis_oko.plan import CREATE, REPLACE, UNCHANGED, AssessmentPlan, VprPlan
from opora.imports.replacements import Replacement, replacements_log


def vpr_assessment_get_or_create(*, procedure_id: int, plan: AssessmentPlan) -> Assessment:
    """The assessment of the plan, with its tasks in the file's order (position 1, 2, …) when new."""
    if plan.assessment_id is not None:
        return Assessment.objects.get(pk=plan.assessment_id)
    year, subject_id, grade = plan.key
    assessment, created = Assessment.objects.get_or_create(
        procedure_id=procedure_id,
        year=year,
        subject_id=subject_id,
        grade=grade,
        defaults={"max_primary_score": plan.max_primary_score, "held_on": plan.held_on},
    )
    if created:
        Task.objects.bulk_create(
            [
                Task(
                    assessment=assessment,
                    position=position,
                    label=t.label,
                    max_score=t.max_score,
                    level=t.level,
                )
                for position, t in enumerate(plan.tasks, start=1)
            ]
        )
    return assessment


def _json_score(score: Decimal | int | None) -> int | float | None:
    if score is None or isinstance(score, int):
        return score
    return int(score) if score == score.to_integral() else float(score)


# The JSON text of «not attempted» and of a whole score: nearly every score of a file, written without a
# json.dumps call per pupil (a Decimal equal to a whole number finds its int's text, as _json_score gives).
_SCORE_TEXT: dict[Decimal | int | None, str] = {None: "null", **{n: str(n) for n in range(101)}}


def _scores_json(scores: tuple[Decimal | int | None, ...]) -> str:
    """The scores as json.dumps writes them ("[1, null, 0.5]")."""
    try:
        return "[" + ", ".join([_SCORE_TEXT[s] for s in scores]) + "]"
    except KeyError:  # a fractional score (0,5), or a whole one above 100
        return json.dumps([_json_score(s) for s in scores])


def _pupil_rows(school_assessment_id: int, pupils: list[PupilLine]) -> list[tuple[Any, ...]]:
    """The pupils as rows of PUPIL_RESULT_COLUMNS; task_scores as the JSON text JSONField's encoder makes."""
    return [
        (
            school_assessment_id,
            p.code,
            p.class_name,
            p.variant,
            _scores_json(p.scores),
            p.primary_score,
            p.mark,
            p.journal_mark,
            None,
            None,
            "",
            None,
        )
        for p in pupils
    ]


def vpr_plan_apply(*, plan: VprPlan, actor: User, source: str) -> dict[str, int]:
    """Apply the plan; returns counts of what changed (all zero when every file was already stored)."""
    assessments = {
        key: vpr_assessment_get_or_create(procedure_id=plan.procedure_id, plan=assessment_plan)
        for key, assessment_plan in plan.assessments.items()
        if any(p.key == key and p.action != UNCHANGED for p in plan.files)
    }
    creates, replaces = plan.of(CREATE), plan.of(REPLACE)
    now = timezone.now()
    new_rows = SchoolAssessment.objects.bulk_create(
        [
            SchoolAssessment(
                assessment=assessments[p.key],
                school_id=p.school_id,
                source_file=p.file.file_name[:500],
                source_sha256=p.file.sha256,
                import_job_id=plan.job_id,
                participants_declared=p.file.participants_declared,
            )
            for p in creates
        ]
    )
    replaced = SchoolAssessment.objects.in_bulk([p.school_assessment_id for p in replaces])
    for p in replaces:
        row = replaced[p.school_assessment_id]
        row.source_file = p.file.file_name[:500]
        row.source_sha256 = p.file.sha256
        row.import_job_id = plan.job_id
        row.participants_declared = p.file.participants_declared
        row.updated_at = now
    if replaced:
        PupilResult.objects.filter(school_assessment_id__in=list(replaced)).delete()
        SchoolAssessment.objects.bulk_update(
            list(replaced.values()),
            ["source_file", "source_sha256", "import_job", "participants_declared", "updated_at"],
        )
    results: list[tuple[Any, ...]] = []
    for p, row in zip(creates, new_rows, strict=True):
        results.extend(_pupil_rows(row.pk, p.file.pupils))
    for p in replaces:
        assert p.school_assessment_id is not None
        results.extend(_pupil_rows(p.school_assessment_id, p.file.pupils))
    ahead = pupil_results_insert(results)
    audit_event_bulk_create(
        replacements_log(
            [
                Replacement(
                    object_id=p.school_assessment_id,
                    file_name=p.file.file_name,
                    school=p.school,
                    assessment=plan.assessments[p.key].title,
                    old_count=p.old_count,
                    new_count=len(p.file.pupils),
                    new_sha256=p.file.sha256,
                    old_sha256=p.old_sha256,
                )
                for p in replaces
            ],
            job_id=plan.job_id,
            actor=actor,
            source=source,
            action="school_assessment_replace",
            object_type="assessments.schoolassessment",
        )
    )
    school_indicators_stale(assessment_ids=[a.pk for a in assessments.values()], ahead=ahead)
    return {"created": len(creates), "updated": len(replaces), "pupils_written": len(results)}
