"""Reads of the console's worker rows."""
from django.db.models import Count, Sum

from console.models import Worker


def live_executors(*, now=None):
    """``{"executors", "concurrency", "running"}`` summed over the live processes that execute runs
    (for ``/metrics``: the same rows as the admin's workers page)."""
    totals = Worker.objects.live(now).executing().aggregate(
        executors=Count("pk"), concurrency=Sum("concurrency"), running=Sum("running"))
    return {key: value or 0 for key, value in totals.items()}
