from django.db import models


class ThreadTTLQuerySet(models.QuerySet):
    def policies(self):
        """The distinct (strategy, ttl_minutes) pairs in use (a handful: one query each to sweep)."""
        return self.values_list("strategy", "ttl_minutes").distinct()


class ThreadTTL(models.Model):
    """A thread's own time-to-live (``ttl`` on thread create/update): the thread expires
    ``ttl_minutes`` after its last update (a run, a state update, a patch)."""

    thread = models.OneToOneField("threads.Thread", primary_key=True, on_delete=models.CASCADE,
                                  related_name="ttl_policy")
    strategy = models.CharField(max_length=16, default="delete")
    ttl_minutes = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ThreadTTLQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["strategy", "ttl_minutes"], name="threadttl_policy")]

    def __str__(self):
        return f"{self.thread_id}: {self.strategy} after {self.ttl_minutes} min"
