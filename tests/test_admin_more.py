"""The threads, assistants and events admins, driven with Django's test client as a staff user."""
import re

import pytest
from django.urls import reverse

from assistants.models import Assistant
from runs.models import Run, RunStatus
from streaming.models import Event
from tests.factories import make_events, make_run, make_thread, old
from threads.models import Thread

pytestmark = pytest.mark.django_db


def listed(response):
    html = response.content.decode()
    return list(dict.fromkeys(re.findall(r'name="_selected_action" value="([^"]+)"', html)))


# --- threads ---------------------------------------------------------------------------------
def test_threads_list_shows_status_metadata_and_latest_run(admin_client):
    thread = make_thread(metadata={"graph_id": "steps", "owner": "ops"}, status="interrupted")
    make_run(thread, status=RunStatus.ERROR, age=old(1))
    latest = make_run(thread, status=RunStatus.SUCCESS)
    empty = make_thread(metadata={"owner": "nobody"})
    response = admin_client.get("/admin/threads/thread/")
    assert response.status_code == 200
    html = response.content.decode()
    assert listed(response) == [str(empty.pk), str(thread.pk)]
    assert "interrupted" in html and "&quot;owner&quot;:&quot;ops&quot;" in html
    assert reverse("admin:runs_run_change", args=[latest.pk]) in html


def test_threads_filter_and_search(admin_client):
    busy = make_thread(status="busy", metadata={"tenant": "acme"})
    idle = make_thread(metadata={"tenant": "globex"})
    assert listed(admin_client.get("/admin/threads/thread/", {"status__exact": "busy"})) == [str(busy.pk)]
    assert listed(admin_client.get("/admin/threads/thread/", {"q": str(idle.pk)})) == [str(idle.pk)]
    assert listed(admin_client.get("/admin/threads/thread/", {"q": "acme"})) == [str(busy.pk)]


def test_thread_detail_shows_state_interrupts_and_runs(admin_client):
    thread = make_thread(
        status="interrupted", values={"question": "approve?", "answer": None},
        interrupts={"task-1": [{"id": "i1", "value": {"question": "approve?"}}]},
    )
    runs = [make_run(thread, age=old(i)) for i in range(3)]
    response = admin_client.get(reverse("admin:threads_thread_change", args=[thread.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "&quot;question&quot;: &quot;approve?&quot;" in html
    assert "&quot;task-1&quot;" in html and "&quot;i1&quot;" in html
    for run in runs:
        assert reverse("admin:runs_run_change", args=[run.pk]) in html
    assert 'name="_save"' not in html
    assert f"/admin/runs/run/?q={thread.pk}" in html


def test_thread_detail_lists_only_the_latest_runs(admin_client):
    thread = make_thread()
    runs = [make_run(thread, age=old(30 - i)) for i in range(25)]
    html = admin_client.get(reverse("admin:threads_thread_change", args=[thread.pk])).content.decode()
    shown = [run for run in runs if reverse("admin:runs_run_change", args=[run.pk]) in html]
    assert shown == runs[5:]


def test_thread_delete_goes_through_the_service(admin_client):
    thread = make_thread()
    run = make_run(thread)
    make_events(run, 2)
    response = admin_client.post(reverse("admin:threads_thread_delete", args=[thread.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Thread.objects.filter(pk=thread.pk).exists() and not Run.objects.filter(pk=run.pk).exists()
    assert not Event.objects.filter(thread_id=thread.pk).exists()


def test_thread_action_cancels_active_runs(admin_client):
    thread = make_thread()
    pending = make_run(thread, status=RunStatus.PENDING)
    idle = make_thread()
    response = admin_client.post("/admin/threads/thread/", {
        "action": "cancel_thread_runs", "_selected_action": [str(thread.pk), str(idle.pk)]}, follow=True)
    assert any("Cancel requested for 1 run(s)" in str(m) for m in response.context["messages"])
    assert Run.objects.get(pk=pending.pk).status == RunStatus.INTERRUPTED


# --- assistants ------------------------------------------------------------------------------
def test_assistants_list_and_detail_with_versions(admin_client):
    from assistants.services import create_assistant, sync_system_assistants, update_assistant

    sync_system_assistants()
    assistant = create_assistant(graph_id="echo", name="Helper", config={"tags": ["a"]}, context={"model": "x"})
    update_assistant(assistant_id=assistant.assistant_id, context={"model": "y"})
    response = admin_client.get("/admin/assistants/assistant/")
    assert response.status_code == 200
    ids = listed(response)
    assert str(assistant.assistant_id) in ids and len(ids) == Assistant.objects.count()
    assert listed(admin_client.get("/admin/assistants/assistant/", {"graph_id__exact": "echo", "q": "Helper"})) == [
        str(assistant.assistant_id)]
    html = admin_client.get(reverse("admin:assistants_assistant_change", args=[assistant.pk])).content.decode()
    assert "&quot;model&quot;: &quot;y&quot;" in html and "&quot;model&quot;: &quot;x&quot;" in html  # live + v1
    assert "echo" in html and 'name="_save"' not in html
    assert re.search(r"<td class=\"field-version\">\s*<p>2</p>", html) and re.search(
        r"<td class=\"field-version\">\s*<p>1</p>", html)


# --- events ----------------------------------------------------------------------------------
def listed_events(response):
    return list(dict.fromkeys(re.findall(r'/admin/streaming/event/(\d+)/change/', response.content.decode())))


def test_events_list_search_filter_and_detail(admin_client):
    run = make_run()
    make_events(run, 3)
    other = make_run()
    make_events(other, 2, event="values")
    response = admin_client.get("/admin/streaming/event/")
    assert response.status_code == 200 and len(listed_events(response)) == 5
    assert len(listed_events(admin_client.get("/admin/streaming/event/", {"q": str(run.pk)}))) == 3
    assert len(listed_events(admin_client.get("/admin/streaming/event/", {"run": str(other.pk)}))) == 2
    assert len(listed_events(admin_client.get("/admin/streaming/event/", {"kind": "values"}))) == 2
    event = Event.objects.filter(run_id=run.pk).order_by("seq").first()
    html = admin_client.get(reverse("admin:streaming_event_change", args=[event.pk])).content.decode()
    assert "&quot;tick&quot;: 0" in html and reverse("admin:runs_run_change", args=[run.pk]) in html
    assert admin_client.get(reverse("admin:streaming_event_delete", args=[event.pk])).status_code == 403
