from typing import Any

from django.contrib.auth.models import AnonymousUser

from opora.accounts.models import User
from opora.core.models import AuditEvent


def audit_event_create(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    object_type: str,
    object_id: object = "",
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:500],
        details=details or {},
    )
