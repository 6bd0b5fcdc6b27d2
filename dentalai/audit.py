"""The staff audit record: every staff action calls `audit_record` (SPEC §3.1)."""

from django.db import models

from dentalai.models import AuditEntry, User


def audit_record(
    *, actor: User | None, action: str, target: models.Model, details: dict | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        details=details or {},
    )
