"""Apply an error-free school-level results plan (inside the caller's transaction).

A school's result in an assessment is the unit a file replaces: unchanged rows are not touched, replaced
ones get every field of the file's row. The aggregate indicators of the touched assessments are recomputed
in the same transaction.
"""

from django.utils import timezone

from opora.accounts.models import User
from opora.assessments.models import Assessment, SchoolAggregateResult
from opora.assessments.services import procedure_regional_get_or_create, school_aggregate_indicators_recompute
from opora.core.services import audit_event_bulk_create
from opora.imports.aggregates.validate import (
    CREATE,
    REPLACE,
    UNCHANGED,
    AggregatePlan,
    ItemKey,
)
from opora.imports.replacements import Replacement, replacements_log

BATCH_SIZE = 1000
WRITTEN_FIELDS = [
    "participants",
    "share_2",
    "share_3",
    "share_4",
    "share_5",
    "below_minimum",
    "below_minimum_share",
    "scored_80_99",
    "scored_100",
    "mean_primary_score",
    "mean_test_score",
    "mean_mark",
    "share_lowered",
    "share_confirmed",
    "share_raised",
    "mean_completion",
    "level_shares",
]


def _procedures(plan: AggregatePlan, *, actor: User, source: str) -> tuple[dict[str, int], int]:
    """The plan's procedures by code, and how many were created: a new label becomes a regional procedure
    with levels as outcome."""
    found: dict[str, int] = {}
    created = 0
    for code, pk in plan.procedures.items():
        if pk is None:
            procedure, new = procedure_regional_get_or_create(
                code=code,
                name=code,
                actor=actor,
                details={"source": source, "file": plan.file_name, "import_job": plan.job_id},
            )
            pk, created = procedure.pk, created + new
        found[code] = pk
    return found, created


def _assessments(plan: AggregatePlan, procedures: dict[str, int], keys: set[ItemKey]) -> dict[ItemKey, int]:
    found: dict[ItemKey, int] = {}
    for key in sorted(keys):
        pk = plan.assessments.get(key)
        if pk is None:
            year, code, subject_id, grade = key
            pk = Assessment.objects.get_or_create(
                procedure_id=procedures[code], year=year, subject_id=subject_id, grade=grade
            )[0].pk
        found[key] = pk
    return found


def aggregate_plan_apply(plan: AggregatePlan, *, actor: User, source: str) -> dict[str, int]:
    """Write the plan; returns counts of what changed (all zero when the file is already stored)."""
    written = [item for item in plan.items if item.action != UNCHANGED]
    if not written:
        return {"created": 0, "updated": 0, "procedures_created": 0}
    procedures, procedures_created = _procedures(plan, actor=actor, source=source)
    assessments = _assessments(plan, procedures, {item.key for item in written})
    creates, replaces = plan.of(CREATE), plan.of(REPLACE)
    provenance = {
        "source_file": plan.file_name[:500],
        "source_sha256": plan.sha256,
        "import_job_id": plan.job_id,
    }
    SchoolAggregateResult.objects.bulk_create(
        [
            SchoolAggregateResult(
                assessment_id=assessments[item.key], school_id=item.school_id, **provenance, **item.values
            )
            for item in creates
        ],
        batch_size=BATCH_SIZE,
    )
    now = timezone.now()
    stored = SchoolAggregateResult.objects.in_bulk([item.result_id for item in replaces])
    for item in replaces:
        assert item.result_id is not None
        result = stored[item.result_id]
        for name, value in {**provenance, **item.values}.items():
            setattr(result, name, value)
        result.updated_at = now
    SchoolAggregateResult.objects.bulk_update(
        list(stored.values()),
        [*WRITTEN_FIELDS, "source_file", "source_sha256", "import_job", "updated_at"],
        batch_size=BATCH_SIZE,
    )
    audit_event_bulk_create(
        replacements_log(
            [
                Replacement(
                    object_id=item.result_id,
                    file_name=plan.file_name,
                    school=item.school,
                    assessment=item.assessment,
                    old_count=item.old_participants,
                    new_count=item.values["participants"],
                    new_sha256=plan.sha256,
                    old_sha256=item.old_sha256,
                )
                for item in replaces
            ],
            job_id=plan.job_id,
            actor=actor,
            source=source,
            action="school_aggregate_result_replace",
            object_type="assessments.schoolaggregateresult",
        )
    )
    school_aggregate_indicators_recompute(assessment_ids=sorted(set(assessments.values())))
    return {
        "created": len(creates),
        "updated": len(replaces),
        "procedures_created": procedures_created,
    }
