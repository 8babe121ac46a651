"""Writes of retention policies: a thread's own TTL."""
from retention.models import ThreadTTL


def set_thread_ttl(*, thread_id, strategy="delete", ttl_minutes=None):
    """Give the thread its own TTL (None or 0 minutes: no TTL of its own, the default applies)."""
    if not ttl_minutes:
        ThreadTTL.objects.filter(pk=thread_id).delete()
        return None
    policy, _ = ThreadTTL.objects.update_or_create(
        thread_id=thread_id, defaults={"strategy": strategy or "delete", "ttl_minutes": float(ttl_minutes)},
    )
    return policy


def on_thread_ttl(sender=None, *, thread_id, ttl, **kwargs):
    """Receiver of ``threads.signals.thread_ttl_requested``."""
    if ttl is None:
        return
    set_thread_ttl(thread_id=thread_id, strategy=ttl.get("strategy"), ttl_minutes=ttl.get("ttl"))
