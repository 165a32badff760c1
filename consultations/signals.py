"""What the consultations app does when other code changes its rows: a session deleted outside the services."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .live.hub import session_changed
from .models import Session


@receiver(post_delete, sender=Session, dispatch_uid="consultations.session_deleted")
def session_deleted(sender, instance: Session, **kwargs) -> None:
    """No service deletes a session, but the admin does, and a consultation or a city deleted there takes its sessions
    with it. Once that commits, the session's screens are told as of any change: the hub's read finds the session gone
    and closes them (4404) in this process and, through its announcement, in every other (docs/realtime.md)."""
    session_changed(instance.pk)
