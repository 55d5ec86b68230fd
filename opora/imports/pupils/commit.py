"""Write an error-free pupil results plan (inside the caller's transaction).

New procedures, assessments and tasks first; then each school's results in each assessment: unchanged ones
are not touched, replaced ones lose their pupil rows and get the file's. Pupils go in through
`pupil_results_insert` (COPY on PostgreSQL): a few queries per file, none per pupil. The stored indicators of
the touched assessments follow (`school_indicators_stale`: at once, or at the end of a batch).
"""

import json
from typing import Any

from django.utils import timezone

from opora.accounts.models import User
from opora.assessments.models import Assessment, Procedure, PupilResult, SchoolAssessment, Task
from opora.assessments.services import (
    procedure_regional_get_or_create,
    pupil_results_insert,
    school_indicators_stale,
)
from opora.core.services import audit_event_bulk_create
from opora.imports.pupils.plan import (
    CREATE,
    REPLACE,
    UNCHANGED,
    AssessmentKey,
    AssessmentPlan,
    GroupPlan,
    PupilPlan,
)
from opora.imports.replacements import Replacement, replacements_log


def _procedures(plan: PupilPlan, codes: set[str], *, actor: User, source: str) -> tuple[dict[str, int], int]:
    """The ids of the procedures the written groups need, and how many were created: unknown labels become
    regional diagnostics."""
    found = dict(Procedure.objects.filter(code__in=codes).values_list("code", "pk"))
    created = 0
    for code in sorted(codes - set(found)):
        procedure, new = procedure_regional_get_or_create(
            code=code,
            name=plan.new_procedures.get(code, code),
            actor=actor,
            details={"source": source, "file": plan.file_name, "import_job": plan.job_id},
        )
        found[code] = procedure.pk
        created += new
    return found, created


def _assessment(procedure_id: int, plan: AssessmentPlan) -> Assessment:
    """The assessment of the plan, with the file's tasks (position 1, 2, …) when it has none yet."""
    if plan.assessment_id is not None:
        assessment = Assessment.objects.get(pk=plan.assessment_id)
        if assessment.max_primary_score is None and plan.max_primary_score is not None:
            assessment.max_primary_score = plan.max_primary_score
            assessment.save(update_fields=["max_primary_score"])
        created = plan.add_tasks
    else:
        _code, year, subject_id, grade = plan.key
        assessment, created = Assessment.objects.get_or_create(
            procedure_id=procedure_id,
            year=year,
            subject_id=subject_id,
            grade=grade,
            defaults={"max_primary_score": plan.max_primary_score},
        )
    if created and plan.tasks:
        Task.objects.bulk_create(
            [
                Task(assessment=assessment, position=position, label=t.label, max_score=t.max_score)
                for position, t in enumerate(plan.tasks, start=1)
            ]
        )
    return assessment


def _pupil_rows(school_assessment_id: int, group: GroupPlan) -> list[tuple[Any, ...]]:
    """The group's pupils as rows of PUPIL_RESULT_COLUMNS (task_scores as JSON text)."""
    return [
        (
            school_assessment_id,
            p.code,
            p.class_name,
            p.variant,
            json.dumps(p.task_scores),
            p.primary_score,
            p.mark,
            p.journal_mark,
            p.test_score,
            p.below_minimum,
            p.achievement_level,
            p.completion_pct,
        )
        for p in group.pupils
    ]


def pupil_results_plan_apply(*, plan: PupilPlan, actor: User, source: str) -> dict[str, int]:
    """Apply the plan; returns counts of what changed (all zero when every group was already stored)."""
    written = [g for g in plan.groups if g.action != UNCHANGED]
    if not written:
        return {"created": 0, "updated": 0, "pupils_written": 0, "procedures_created": 0}
    keys: set[AssessmentKey] = {g.key for g in written}
    procedure_ids, procedures_created = _procedures(
        plan, {key[0] for key in keys}, actor=actor, source=source
    )
    assessments = {
        key: _assessment(procedure_ids[key[0]], plan.assessments[key])
        for key in sorted(keys, key=lambda k: (k[0], k[1], k[2], k[3]))
    }
    creates, replaces = plan.of(CREATE), plan.of(REPLACE)
    now = timezone.now()
    file_name = plan.file_name[:500]
    new_rows = SchoolAssessment.objects.bulk_create(
        [
            SchoolAssessment(
                assessment=assessments[g.key],
                school_id=g.school_id,
                source_file=file_name,
                source_sha256=plan.sha256,
                import_job_id=plan.job_id,
            )
            for g in creates
        ]
    )
    replaced = SchoolAssessment.objects.in_bulk([g.school_assessment_id for g in replaces])
    for row in replaced.values():
        row.source_file = file_name
        row.source_sha256 = plan.sha256
        row.import_job_id = plan.job_id
        row.participants_declared = None
        row.updated_at = now
    if replaced:
        PupilResult.objects.filter(school_assessment_id__in=list(replaced)).delete()
        SchoolAssessment.objects.bulk_update(
            list(replaced.values()),
            ["source_file", "source_sha256", "import_job", "participants_declared", "updated_at"],
        )
    results: list[tuple[Any, ...]] = []
    for g, row in zip(creates, new_rows, strict=True):
        results.extend(_pupil_rows(row.pk, g))
    for g in replaces:
        assert g.school_assessment_id is not None
        results.extend(_pupil_rows(g.school_assessment_id, g))
    ahead = pupil_results_insert(results)
    audit_event_bulk_create(
        replacements_log(
            [
                Replacement(
                    object_id=g.school_assessment_id,
                    file_name=plan.file_name,
                    school=g.school,
                    assessment=plan.assessments[g.key].title,
                    old_count=g.old_count,
                    new_count=len(g.pupils),
                    new_sha256=plan.sha256,
                    old_sha256=g.old_sha256,
                )
                for g in replaces
            ],
            job_id=plan.job_id,
            actor=actor,
            source=source,
            action="school_assessment_replace",
            object_type="assessments.schoolassessment",
        )
    )
    school_indicators_stale(assessment_ids=[a.pk for a in assessments.values()], ahead=ahead)
    return {
        "created": len(creates),
        "updated": len(replaces),
        "pupils_written": len(results),
        "procedures_created": procedures_created,
    }
