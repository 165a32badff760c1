"""Writes for cities, staff and tokens."""

import secrets
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import ApiToken, AuditEntry, City, StaffRole, User, token_digest


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    city: City | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Log a staff action (who, what, when). Call it inside the transaction that makes the change."""
    return AuditEntry.objects.create(
        city=city,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
    )


@transaction.atomic
def staff_role_grant(*, city: City, user: User, role: str, granted_by: User | None = None) -> StaffRole:
    staff_role, created = StaffRole.objects.get_or_create(city=city, user=user, role=role)
    if created:
        audit_record(actor=granted_by, action="staff_role.grant", target=staff_role, city=city, data={"role": role})
    return staff_role


@transaction.atomic
def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue a token for user. Returns the token row and the key, which is not stored and never shown again."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], digest=token_digest(key))
    audit_record(actor=user, action="api_token.issue", target=token, data={"prefix": token.prefix, "name": name})
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None = None) -> None:
    """Revoke a token at once (idempotent)."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit_record(actor=actor or token.user, action="api_token.revoke", target=token, data={"prefix": token.prefix})


def api_token_authenticate(key: str) -> User | None:
    """The active user a key belongs to, or None. Records the token's last use at most once a minute."""
    try:
        token = ApiToken.objects.select_related("user").get(digest=token_digest(key), revoked_at__isnull=True)
    except ApiToken.DoesNotExist:
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
