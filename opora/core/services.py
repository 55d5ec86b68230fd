from typing import Any

from django.contrib.auth.models import AnonymousUser

from opora.accounts.models import User
from opora.core.models import AuditEvent

Actor = User | AnonymousUser | None


def audit_event_build(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = "",
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """An unsaved audit event: the one place events are shaped, for single and bulk writes alike."""
    return AuditEvent(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:500],
        details=details or {},
    )


def audit_event_create(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = "",
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = audit_event_build(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        details=details,
    )
    event.save()
    return event


def audit_event_bulk_create(events: list[AuditEvent], *, batch_size: int = 500) -> None:
    """Save events built by audit_event_build in a few queries (imports write thousands)."""
    if events:
        AuditEvent.objects.bulk_create(events, batch_size=batch_size)
