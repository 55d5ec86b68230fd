"""Apply an error-free social passport plan through the registry services (inside the caller's transaction).

One batch call writes every passport, whatever the file's size: a few queries per academic year.
"""

from opora.imports.context.validate import CREATE, UPDATE, ContextPlan
from opora.registry.models import AcademicYear, School
from opora.registry.services import Actor, academic_year_get_or_create, school_context_bulk_set


def context_plan_apply(plan: ContextPlan, *, actor: Actor, source: str) -> dict[str, int]:
    written = [item for item in plan.items if item.action in (CREATE, UPDATE)]
    if not written:
        return {"created": 0, "updated": 0}
    schools: dict[int, School] = School.objects.in_bulk(sorted({item.school_id for item in written}))
    years: dict[int, AcademicYear] = {
        start: academic_year_get_or_create(actor=actor, start_year=start)
        for start in sorted({item.start_year for item in written})
    }
    school_context_bulk_set(
        actor=actor,
        items=[(schools[item.school_id], years[item.start_year], item.values) for item in written],
        source=source,
    )
    return {"created": len(plan.of(CREATE)), "updated": len(plan.of(UPDATE))}
