"""The runs admin, driven with Django's test client as a staff user."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from runs.models import Run, RunStatus
from streaming.models import Event
from tests.factories import (
    make_events,
    make_run,
    make_thread,
    old,
    run_status,
    start_slow_run,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/runs/run/"


def change_url(run):
    return reverse("admin:runs_run_change", args=[run.pk])


def listed_ids(response):
    """Run ids in the order the changelist shows them."""
    html = response.content.decode()
    ids = re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', html)
    return list(dict.fromkeys(ids))


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_admin_needs_a_staff_login(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_list_shows_runs_newest_first_with_status_graph_thread_and_duration(admin_client):
    first = make_run(graph_id="steps", age=old(2))
    second = make_run(graph_id="echo", status=RunStatus.ERROR, age=old(1))
    third = make_run(graph_id="slow", status=RunStatus.RUNNING)
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed_ids(response) == [str(third.pk), str(second.pk), str(first.pk)]
    html = response.content.decode()
    for text in ("steps", "echo", "slow", ">error<", ">running<", ">success<", "duration"):
        assert text in html
    assert reverse("admin:threads_thread_change", args=[first.thread_id]) in html


def test_list_filters_by_status_graph_and_date(admin_client):
    ok = make_run(graph_id="steps")
    failed = make_run(graph_id="fail", status=RunStatus.ERROR)
    old_run = make_run(graph_id="steps", age=old(40))
    assert listed_ids(admin_client.get(CHANGELIST, {"status__exact": "error"})) == [str(failed.pk)]
    assert set(listed_ids(admin_client.get(CHANGELIST, {"graph": "steps"}))) == {str(ok.pk), str(old_run.pk)}
    response = admin_client.get(CHANGELIST)
    week = re.search(r'href="(\?created_at__gte=[^"]+)"[^>]*>Past 7 days', response.content.decode())
    assert week, "the date filter offers 'Past 7 days'"
    recent = listed_ids(admin_client.get(CHANGELIST + week.group(1).replace("&amp;", "&")))
    assert set(recent) == {str(ok.pk), str(failed.pk)}


def test_search_by_run_id_thread_id_and_metadata_text(admin_client):
    thread = make_thread()
    a = make_run(thread, metadata={"customer": "acme-corp"})
    b = make_run(thread, metadata={"customer": "globex"})
    c = make_run(metadata={"note": "unrelated"})
    assert listed_ids(admin_client.get(CHANGELIST, {"q": str(c.pk)})) == [str(c.pk)]
    assert set(listed_ids(admin_client.get(CHANGELIST, {"q": str(thread.pk)}))) == {str(a.pk), str(b.pk)}
    assert listed_ids(admin_client.get(CHANGELIST, {"q": "acme"})) == [str(a.pk)]
    assert listed_ids(admin_client.get(CHANGELIST, {"q": "nothing-matches"})) == []


def test_list_queries_do_not_grow_with_the_number_of_runs(admin_client):
    for _ in range(3):
        make_run()
    admin_client.get(CHANGELIST)  # warm-up (session, content types)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for _ in range(40):
        make_run()
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)
    assert len(listed_ids(response)) == 43
    assert len(many.captured_queries) == len(few.captured_queries)
    with CaptureQueriesContext(connection) as filtered:
        admin_client.get(CHANGELIST, {"status__exact": "success"})
    counts = [q["sql"] for q in filtered.captured_queries
                  if q["sql"].startswith("SELECT COUNT(") and "runs_run" in q["sql"]]
    assert len(counts) == 1, "no extra unfiltered COUNT(*) of every run"


def test_detail_shows_readable_json_events_in_order_and_the_thread(admin_client):
    run = make_run(
        status=RunStatus.ERROR, metadata={"owner": "ops"},
        kwargs={"input": {"messages": [{"type": "human", "content": "<hi>"}]}, "config": {"tags": ["t1"]},
                "context": {"model": "fake"}, "stream_mode": ["values", "custom"]},
        error={"error": "ValueError", "message": "boom"},
    )
    make_events(run, 3)
    response = admin_client.get(change_url(run))
    assert response.status_code == 200
    html = response.content.decode()
    assert "&quot;content&quot;: &quot;&lt;hi&gt;&quot;" in html  # pretty, escaped JSON
    assert "&quot;model&quot;: &quot;fake&quot;" in html and "&quot;t1&quot;" in html
    assert "&quot;owner&quot;: &quot;ops&quot;" in html and "&quot;ValueError&quot;" in html
    assert html.index("&quot;tick&quot;: 0") < html.index("&quot;tick&quot;: 1") < html.index("&quot;tick&quot;: 2")
    assert 'Stream events (<span id="run-event-count">3</span>)' in html
    assert reverse("admin:threads_thread_change", args=[run.thread_id]) in html
    assert 'data-live="0"' in html  # finished: not following its stream
    assert 'name="_save"' not in html and "Cancel run (interrupt)" not in html


def test_runs_cannot_be_added_or_edited_by_hand(admin_client):
    run = make_run(metadata={"a": 1})
    assert admin_client.get("/admin/runs/run/add/").status_code == 403
    response = admin_client.post(change_url(run), {"status": "error", "graph_id": "x"})
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.graph_id == "steps"


def test_events_are_paginated(admin_client):
    run = make_run()
    make_events(run, 120)
    first = admin_client.get(change_url(run)).content.decode()
    assert "page 1 of 3" in first
    seqs = [int(s) for s in re.findall(r'<li class="run-event[^"]*" data-seq="(\d+)"', first)]
    assert seqs == list(range(1, 51))
    last = admin_client.get(change_url(run), {"events_page": 3}).content.decode()
    seqs = [int(s) for s in re.findall(r'<li class="run-event[^"]*" data-seq="(\d+)"', last)]
    assert seqs == list(range(101, 121))


def test_an_active_run_page_refreshes_and_offers_cancel(admin_client):
    run = make_run(status=RunStatus.PENDING)
    make_events(run, 60)
    html = admin_client.get(change_url(run)).content.decode()
    assert 'data-live="1"' in html and f'data-stream-url="/threads/{run.thread_id}/runs/{run.pk}/stream"' in html
    assert 'data-last-seq="60"' in html
    assert "Cancel run (interrupt)" in html and "Cancel run (rollback)" in html
    assert "page 2 of 2" in html  # an active run opens on its latest events


def _action(admin_client, action, runs):
    return admin_client.post(CHANGELIST, {"action": action, "_selected_action": [str(r.pk) for r in runs]}, follow=True)


def test_cancel_action_reports_each_run(admin_client):
    pending = [make_run(status=RunStatus.PENDING) for _ in range(2)]
    done = make_run(status=RunStatus.SUCCESS)
    response = _action(admin_client, "cancel_interrupt", [*pending, done])
    text = " | ".join(messages_of(response))
    assert "2 cancelled (interrupt), 1 already finished" in text
    assert f"{done.pk}: already finished (success)" in text
    assert all(run_status(r.pk) == RunStatus.INTERRUPTED for r in pending)
    assert run_status(done.pk) == RunStatus.SUCCESS


def test_cancel_action_rollback_deletes_pending_runs_and_their_events(admin_client):
    run = make_run(status=RunStatus.PENDING)
    make_events(run, 2)
    response = _action(admin_client, "cancel_rollback", [run])
    assert "1 cancelled (rollback)" in " ".join(messages_of(response))
    assert not Run.objects.filter(pk=run.pk).exists() and not Event.objects.filter(run_id=run.pk).exists()


def test_cancel_button_needs_post_and_a_known_action(admin_client):
    run = make_run(status=RunStatus.PENDING)
    url = reverse("admin:runs_run_cancel", args=[run.pk])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url, {"action": "explode"}, follow=True)
    assert "action must be one of interrupt, rollback" in " ".join(messages_of(response))
    assert run_status(run.pk) == RunStatus.PENDING


def test_cancel_button_on_a_finished_run_says_so(admin_client):
    run = make_run(status=RunStatus.ERROR)
    url = reverse("admin:runs_run_cancel", args=[run.pk])
    response = admin_client.post(url, {"action": "interrupt"}, follow=True)
    assert f"{run.pk}: already finished (error), nothing to cancel" in messages_of(response)


def test_cancel_button_stops_an_executing_run(admin_client, live_executor):
    run = start_slow_run()
    response = admin_client.get(change_url(run))
    assert 'data-live="1"' in response.content.decode()
    url = reverse("admin:runs_run_cancel", args=[run.pk])
    response = admin_client.post(url, {"action": "interrupt"}, follow=True)
    # (the executor may already have stopped it by the time the report is written)
    assert any(re.fullmatch(f"{run.pk}: (cancel requested \\(interrupt\\); its executor is stopping it|"
                            "cancelled \\(interrupt\\): now interrupted)", m) for m in messages_of(response))
    wait_for(lambda: run_status(run.pk) == RunStatus.INTERRUPTED, timeout=10, what="the run to be interrupted")
    ticks = Event.objects.filter(run_id=run.pk, event="custom").count()
    assert ticks < 50, "the run was stopped before it finished"
    html = admin_client.get(change_url(run)).content.decode()
    assert 'data-live="0"' in html and "interrupted" in html


def test_cancel_action_rollback_of_an_executing_run_removes_it(admin_client, live_executor):
    run = start_slow_run()
    response = _action(admin_client, "cancel_rollback", [run])
    text = " ".join(messages_of(response))
    assert "cancel requested (rollback)" in text or "the run and its events were deleted" in text
    wait_for(lambda: not Run.objects.filter(pk=run.pk).exists(), timeout=10, what="the run to be rolled back")
    assert not Event.objects.filter(run_id=run.pk).exists()


def test_delete_goes_through_the_service_and_refuses_active_runs(admin_client):
    done = make_run()
    make_events(done, 3)
    active = make_run(status=RunStatus.RUNNING)
    delete_url = reverse("admin:runs_run_delete", args=[done.pk])
    response = admin_client.post(delete_url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert not Run.objects.filter(pk=done.pk).exists() and not Event.objects.filter(run_id=done.pk).exists()
    assert admin_client.get(reverse("admin:runs_run_delete", args=[active.pk])).status_code == 403
