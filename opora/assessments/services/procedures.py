"""Procedures created by imports."""

from typing import Any

from opora.accounts.models import User
from opora.assessments.models import Procedure
from opora.core.services import audit_event_create


def procedure_regional_get_or_create(
    *, code: str, name: str, actor: User | None, details: dict[str, Any]
) -> tuple[Procedure, bool]:
    """The procedure with this code, and whether it was created: a label Opora does not know becomes a
    regional diagnostic (outcome: achievement levels and % completion), its creation audited with `details`
    (file, job…)."""
    procedure, created = Procedure.objects.get_or_create(
        code=code,
        defaults={"name": name, "level": Procedure.Level.REGIONAL, "outcome": Procedure.Outcome.LEVEL},
    )
    if created:
        audit_event_create(
            actor=actor,
            action="procedure_create",
            object_type="assessments.procedure",
            object_id=procedure.pk,
            summary=code,
            details=details,
        )
    return procedure, created
