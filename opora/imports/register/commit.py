"""Apply an error-free register plan through the registry services (inside the caller's transaction).

The services' batch forms keep the commit to a few queries per kind of change, whatever the file's size.
"""

from typing import Any

from opora.imports.register.plan import CREATE, UPDATE, RegisterPlan, SchoolPlan, SuccessorRef
from opora.registry.models import AcademicYear, School, SchoolAlias
from opora.registry.services import (
    Actor,
    academic_year_get_or_create,
    school_alias_bulk_add,
    school_bulk_create,
    school_bulk_update,
    school_enrolment_bulk_set,
)


def register_plan_apply(plan: RegisterPlan, *, actor: Actor, source: str) -> dict[str, int]:
    creates, updates = plan.of(CREATE), plan.of(UPDATE)
    needed = {p.school_id for p in updates if p.school_id is not None}
    needed |= {
        ref.school_id
        for p in [*creates, *updates]
        if isinstance(ref := p.values.get("successor"), SuccessorRef) and ref.school_id is not None
    }
    schools: dict[int, School] = School.objects.in_bulk(sorted(needed)) if needed else {}
    created: dict[str, School] = {}

    def successor(ref: SuccessorRef | None) -> School | None:
        if ref is None:
            return None
        return schools[ref.school_id] if ref.school_id is not None else created[ref.login]

    # A merged school is created after its successor when both are new (the plan has no loops).
    pending = list(creates)
    while pending:
        ready = [p for p in pending if _successor_ready(p, created)]
        if not ready:
            raise RuntimeError("The plan has a loop of successors among new schools")
        new = [School(**{**p.values, "successor": successor(p.values["successor"])}) for p in ready]
        for p, school in zip(ready, school_bulk_create(actor=actor, schools=new, source=source), strict=True):
            created[p.login] = school
        pending = [p for p in pending if p.login not in created]

    changes: list[tuple[School, dict[str, Any]]] = []
    for p in updates:
        assert p.school_id is not None
        values = dict(p.values)
        if "successor" in values:
            values["successor"] = successor(values["successor"])
        if values:
            changes.append((schools[p.school_id], values))
    school_bulk_update(actor=actor, updates=changes, source=source)

    def school_of(p: SchoolPlan) -> School:
        return created[p.login] if p.school_id is None else schools[p.school_id]

    written = [*creates, *updates]
    aliases = school_alias_bulk_add(
        actor=actor,
        aliases=[(school_of(p), SchoolAlias.Kind.NAME, name) for p in written for name in p.new_names],
        source=source,
    )
    years: dict[int, AcademicYear] = {
        start: academic_year_get_or_create(actor=actor, start_year=start)
        for start in sorted({p.enrolment[0] for p in written if p.enrolment})
    }
    enrolments = school_enrolment_bulk_set(
        actor=actor,
        items=[(school_of(p), years[p.enrolment[0]], p.enrolment[1]) for p in written if p.enrolment],
        source=source,
    )
    return {
        "created": len(creates),
        "updated": len(updates),
        "aliases_added": len(aliases),
        "enrolments_set": len(enrolments),
    }


def _successor_ready(plan: SchoolPlan, created: dict[str, School]) -> bool:
    ref = plan.values.get("successor")
    return not isinstance(ref, SuccessorRef) or ref.school_id is not None or ref.login in created
