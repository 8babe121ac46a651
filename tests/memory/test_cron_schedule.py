"""The cron scheduler in-process: DST edges, missed ticks, end times, compare-and-set claims."""
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from crons import scheduler, services
from crons.models import Cron
from crons.schedule import ScheduleError, next_after
from runs.models import Run


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("schedule,tz,after,expected", [
    # 09:00 New York is 14:00 UTC in winter and 13:00 UTC in summer
    ("0 9 * * *", "America/New_York", utc(2026, 3, 7, 15), utc(2026, 3, 8, 13)),
    ("0 9 * * *", "America/New_York", utc(2026, 10, 31, 14), utc(2026, 11, 1, 14)),
    # spring forward: 02:30 does not exist on 2026-03-08; it fires once, right after the gap
    ("30 2 * * *", "America/New_York", utc(2026, 3, 7, 12), utc(2026, 3, 8, 7)),
    ("30 2 * * *", "America/New_York", utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)),
    # fall back: 01:30 happens twice on 2026-11-01; it fires on the first only
    ("30 1 * * *", "America/New_York", utc(2026, 10, 31, 12), utc(2026, 11, 1, 5, 30)),
    ("30 1 * * *", "America/New_York", utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),
    # a wildcard hour follows real time: both 01:00s fire
    ("0 * * * *", "America/New_York", utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 6, 0)),
    ("0 9 * * *", "Europe/Berlin", utc(2026, 3, 28, 9), utc(2026, 3, 29, 7)),
    ("0 0 * * *", None, utc(2026, 1, 1, 0, 0, 1), utc(2026, 1, 2)),
    ("* * * * * */10", "UTC", utc(2026, 1, 1, 0, 0, 1), utc(2026, 1, 1, 0, 0, 10)),
    ("@daily", "America/New_York", utc(2026, 3, 7, 12), utc(2026, 3, 8, 5)),
    ("@hourly", "UTC", utc(2026, 1, 1, 0, 30), utc(2026, 1, 1, 1)),
])
def test_next_run_across_dst(schedule, tz, after, expected):
    assert next_after(schedule, tz, after=after) == expected


@pytest.mark.parametrize("schedule", ["", "* * *", "61 * * * *", "bad cron here x", "* * * * * * * *", "@reboot",
                                      "@often"])
def test_bad_schedules_are_refused(schedule):
    with pytest.raises(ScheduleError):
        next_after(schedule, None, after=utc(2026, 1, 1))


def test_unknown_timezone_is_refused():
    with pytest.raises(ScheduleError, match="timezone"):
        next_after("* * * * *", "Mars/Olympus", after=utc(2026, 1, 1))


def _cron(*, schedule="* * * * *", end_time=None, **payload):
    fields = {"schedule": schedule, "end_time": end_time}
    return services.create_cron(fields=fields, payload={"assistant_id": "echo", "input": {"messages": []}, **payload})


def test_missed_ticks_fire_once_then_resume_from_now(api):
    cron = _cron()
    Cron.objects.filter(pk=cron.pk).update(next_run_date=timezone.now() - timedelta(hours=3))  # 180 missed
    assert len(scheduler.fire_due()) == 1
    assert scheduler.fire_due() == []  # the next tick is in the future
    cron.refresh_from_db()
    assert cron.next_run_date > timezone.now() and cron.last_run_date is not None
    run = Run.objects.get(metadata__cron_id=str(cron.cron_id))
    assert run.thread.temporary and run.kwargs["on_completion"] == "delete"
    assert cron.last_run_id == run.run_id


def test_a_claimed_tick_is_not_fired_again(api):
    cron = _cron()
    expected = timezone.now() - timedelta(seconds=1)
    Cron.objects.filter(pk=cron.pk).update(next_run_date=expected)
    now = timezone.now()
    first = scheduler.fire_one(cron_id=cron.pk, expected=expected, now=now)
    second = scheduler.fire_one(cron_id=cron.pk, expected=expected, now=now)  # a slower process, same tick
    assert first is not None and second is None
    assert Run.objects.filter(metadata__cron_id=str(cron.cron_id)).count() == 1


def test_end_time_stops_the_cron(api):
    end = timezone.now() + timedelta(minutes=1, seconds=30)
    cron = _cron(end_time=end)
    assert cron.next_run_date is not None and cron.next_run_date <= end
    Cron.objects.filter(pk=cron.pk).update(next_run_date=timezone.now() - timedelta(seconds=1))
    later = end + timedelta(minutes=5)
    fired = scheduler.fire_due(now=later)  # the due tick was before the end: it fires, and that was the last
    cron.refresh_from_db()
    assert len(fired) == 1 and cron.next_run_date is None
    assert scheduler.fire_due(now=later + timedelta(minutes=5)) == []


def test_a_past_end_time_never_fires(api):
    cron = _cron(end_time=timezone.now() - timedelta(minutes=1))
    assert cron.next_run_date is None
    assert scheduler.fire_due() == []


def test_disabled_crons_do_not_fire_and_reenabling_starts_from_now(api):
    cron = _cron()
    Cron.objects.filter(pk=cron.pk).update(next_run_date=timezone.now() - timedelta(hours=1))
    services.set_enabled(cron_id=cron.pk, enabled=False)
    assert scheduler.fire_due() == []
    cron = services.set_enabled(cron_id=cron.pk, enabled=True)
    assert cron.next_run_date > timezone.now()
    assert scheduler.fire_due() == []


def test_thread_cron_with_reject_skips_a_busy_tick(api):
    from threads.models import Thread

    thread = Thread.objects.create_now(metadata={})
    cron = services.create_cron(fields={"schedule": "* * * * *"}, thread_id=thread.pk,
                                payload={"assistant_id": "echo", "input": {}, "multitask_strategy": "reject"})
    Run.objects.create(thread=thread, assistant_id=cron.assistant_id, graph_id="echo", available_at=timezone.now())
    Cron.objects.filter(pk=cron.pk).update(next_run_date=timezone.now() - timedelta(seconds=1))
    assert scheduler.fire_due() == []
    cron.refresh_from_db()
    assert cron.next_run_date > timezone.now()  # the tick is consumed, not retried every second


def test_manage_py_crons(api, capsys):
    cron = _cron()
    call_command("crons")
    assert str(cron.cron_id) in capsys.readouterr().out
    call_command("crons", "disable", str(cron.cron_id))
    assert not Cron.objects.get(pk=cron.pk).enabled
    call_command("crons", "show", str(cron.cron_id))
    assert '"enabled": false' in capsys.readouterr().out
    call_command("crons", "enable", str(cron.cron_id))
    assert Cron.objects.get(pk=cron.pk).enabled
    call_command("crons", "delete", str(cron.cron_id))
    assert not Cron.objects.filter(pk=cron.pk).exists()


def test_admin_lists_crons_and_toggles_them(api, admin_client):
    cron = _cron(metadata={"admin": True})
    page = admin_client.get("/admin/crons/cron/")
    html = page.content.decode()
    assert page.status_code == 200 and str(cron.cron_id) in html and "* * * * *" in html
    detail = admin_client.get(f"/admin/crons/cron/{cron.cron_id}/change/")
    assert detail.status_code == 200 and "next run date" in detail.content.decode().lower()
    response = admin_client.post("/admin/crons/cron/", {"action": "disable", "_selected_action": [str(cron.cron_id)]})
    assert response.status_code == 302 and not Cron.objects.get(pk=cron.pk).enabled
    admin_client.post("/admin/crons/cron/", {"action": "enable", "_selected_action": [str(cron.cron_id)]})
    assert Cron.objects.get(pk=cron.pk).enabled
