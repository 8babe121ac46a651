"""The thread-TTL sweeper in-process: which threads expire, which are spared."""
from datetime import timedelta

from django.utils import timezone

from retention import services, sweeper
from retention.models import ThreadTTL
from runs.models import Run
from threads.models import Thread


def _thread(*, minutes_ago, ttl=None, strategy="delete"):
    thread = Thread.objects.create_now(metadata={"graph_id": "echo"})
    Thread.objects.filter(pk=thread.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes_ago))
    if ttl is not None:
        services.set_thread_ttl(thread_id=thread.pk, strategy=strategy, ttl_minutes=ttl)
    return thread


def test_expired_threads_go_fresh_and_busy_ones_stay(api):
    expired = _thread(minutes_ago=10, ttl=5)
    fresh = _thread(minutes_ago=1, ttl=5)
    busy = _thread(minutes_ago=10, ttl=5)
    no_ttl = _thread(minutes_ago=10_000)
    Run.objects.create(thread=busy, assistant_id=busy.pk, graph_id="echo", available_at=timezone.now())
    report = sweeper.sweep()
    assert report.deleted == 1
    remaining = set(Thread.objects.values_list("pk", flat=True))
    assert expired.pk not in remaining and {fresh.pk, busy.pk, no_ttl.pk} <= remaining
    assert not ThreadTTL.objects.filter(pk=expired.pk).exists()


def test_keep_latest_prunes_but_keeps_the_thread(api):
    thread = _thread(minutes_ago=10, ttl=5, strategy="keep_latest")
    report = sweeper.sweep()
    assert report.pruned == 1 and Thread.objects.filter(pk=thread.pk).exists()
    assert sweeper.sweep().pruned == 0  # not pruned again until its TTL passes anew


def test_a_ttl_of_zero_removes_the_threads_own_ttl(api):
    thread = _thread(minutes_ago=10, ttl=5)
    services.set_thread_ttl(thread_id=thread.pk, ttl_minutes=0)
    assert sweeper.sweep().deleted == 0 and Thread.objects.filter(pk=thread.pk).exists()


def test_manage_py_sweep_threads(api, capsys):
    from django.core.management import call_command

    thread = _thread(minutes_ago=10, ttl=5)
    call_command("sweep_threads", "--dry-run")
    assert "would delete 1 thread(s)" in capsys.readouterr().out
    assert Thread.objects.filter(pk=thread.pk).exists()
    call_command("sweep_threads")
    assert "deleted 1 thread(s)" in capsys.readouterr().out
    assert not Thread.objects.filter(pk=thread.pk).exists()


def test_admin_lists_thread_ttls(api, admin_client):
    thread = _thread(minutes_ago=1, ttl=60)
    page = admin_client.get("/admin/retention/threadttl/")
    assert page.status_code == 200 and str(thread.thread_id) in page.content.decode()
