"""The API and console of monitoring: clear validation errors, tests that run, bounded queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.monitoring.servers import HttpServer
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core import clock
from watchkeeper.monitoring.checks import CheckResult
from watchkeeper.monitoring.models import Monitor, MonitorRollup
from watchkeeper.monitoring.results import Outcome, results_record
from watchkeeper.monitoring.rollups import rollups_run
from watchkeeper.monitoring.services import monitor_create, network_policy_set

pytestmark = pytest.mark.django_db


def _body(world: Any, **fields: Any) -> dict[str, Any]:
    return {"client": world.a.client.slug, "service_id": world.a.service.pk, "name": "Booking site",
            "kind": "http", "target": "https://booking.alpha.example/health", **fields}  # fmt: skip


def test_create_read_update_and_delete_over_the_api(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    created = api.post(
        "/api/v1/monitors", _body(world, conditions=["[STATUS] == 200", "[RESPONSE_TIME] < 500"])
    )
    assert created.status_code == 201, created.content
    monitor = created.json()
    assert (monitor["state"], monitor["overdue"], monitor["conditions"]) == (
        "pending", False, ["[STATUS] == 200", "[RESPONSE_TIME] < 500"],
    )  # fmt: skip
    stored = Monitor.objects.get(pk=monitor["id"])
    assert stored.integration is not None and stored.integration.name == f"Monitoring: {world.a.service.name}"
    assert AuditEntry.objects.filter(action="monitor.create", object_id=str(stored.pk)).exists()

    listed = api.get("/api/v1/monitors", client=world.a.client.slug)
    assert [m["name"] for m in listed.json()["items"]] == ["Booking site"]
    changed = api.patch(f"/api/v1/monitors/{stored.pk}", {"interval_seconds": 30, "timeout_seconds": 5})
    assert changed.status_code == 200 and changed.json()["interval_seconds"] == 30
    deleted = api.http.delete(f"/api/v1/monitors/{stored.pk}", headers=api.headers)
    assert deleted.status_code == 204 and not Monitor.objects.filter(pk=stored.pk).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"conditions": ["[STATUS] = 200"]}, "'[STATUS] = 200' has no comparison"),
        ({"conditions": ["[DNS_RCODE] == NOERROR"]}, "a http monitor has no [DNS_RCODE]"),
        ({"conditions": ["[CERTIFICATE_EXPIRATION] > soon"]}, "with a duration such as 72h"),
        ({"conditions": ["[RESPONSE_TIME] < fast"]}, "'fast' is not a number"),
        ({"target": "ftp://files.alpha.example"}, "An HTTP monitor's target is a URL"),
        ({"kind": "tcp", "target": "db.alpha.example"}, "The target is host:port"),
        ({"kind": "gopher"}, "The kind is one of"),
        ({"settings": {"regex": "(a"}}, "regex"),
        ({"settings": {"record_type": "A"}}, "A http monitor has no setting record_type"),
        ({"interval_seconds": 30, "timeout_seconds": 45}, "at most the interval"),
    ],
)
def test_invalid_monitors_answer_400_saying_what_to_fix(
    world: Any, api_as: Any, fields: dict[str, Any], message: str
) -> None:
    response = api_as(world.owner).post("/api/v1/monitors", _body(world, **fields))
    assert response.status_code == 400, response.content
    assert message.lower() in response.content.decode().lower()


def test_a_parent_of_another_client_is_refused(world: Any, api_as: Any) -> None:
    theirs = monitor_create(actor="test", client=world.b.client, service=world.b.service, name="Router",
                            kind="tcp", target="10.0.0.1:22")  # fmt: skip
    response = api_as(world.owner).post("/api/v1/monitors", _body(world, parent_id=theirs.pk))
    assert response.status_code == 400 and "parent" in response.content.decode()


def test_test_now_runs_the_check_and_records_nothing(world: Any, api_as: Any) -> None:
    server = HttpServer()
    try:
        monitor = monitor_create(
            actor="test",
            client=world.a.client,
            service=world.a.service,
            name="Local",
            kind="http",
            target=f"{server.url}/health",
            conditions=["[BODY].status == UP"],
        )
        answer = api_as(world.owner).post(f"/api/v1/monitors/{monitor.pk}/test", {})
        assert answer.status_code == 200
        assert answer.json()["ok"] and answer.json()["values"]["STATUS"] == 200
        monitor.refresh_from_db()
        assert (monitor.last_checked_at, monitor.results.count()) == (None, 0)
    finally:
        server.stop()


def test_networks_are_for_admins_and_validated(world: Any, api_as: Any) -> None:
    path = f"/api/v1/monitoring-networks/{world.a.client.slug}"
    owner = api_as(world.owner, scopes=["read", "write", "admin"])
    write_only = api_as(world.owner)
    assert (
        write_only.http.put(
            path, {"allowed_networks": []}, content_type="application/json", headers=write_only.headers
        ).status_code
        == 403
    )  # widening the guard is admin work
    bad = owner.http.put(
        path, {"allowed_networks": ["10.0.0.0/33"]}, content_type="application/json", headers=owner.headers
    )
    assert bad.status_code == 400 and "is not a network" in bad.content.decode()
    networks = {"allowed_networks": ["10.20.0.0/16", "192.168.1.7"]}
    good = owner.http.put(path, networks, content_type="application/json", headers=owner.headers)
    assert good.json()["allowed_networks"] == ["10.20.0.0/16", "192.168.1.7/32"]
    tech = api_as(world.a.technician)
    refused = tech.http.put(
        path, {"allowed_networks": []}, content_type="application/json", headers=tech.headers
    )
    assert refused.status_code == 403
    assert tech.get(path).json()["allowed_networks"] == ["10.20.0.0/16", "192.168.1.7/32"]


def _history(monitor: Monitor, *, hours: int) -> None:
    start = clock.now() - dt.timedelta(hours=hours)
    outcomes = [
        Outcome(monitor.pk, start + dt.timedelta(minutes=m), 0,
                CheckResult(m % 10 != 0, 20 + m % 7, "" if m % 10 else "timed out after 10 s"))
        for m in range(hours * 60)
    ]  # fmt: skip
    results_record(outcomes=outcomes)


def test_rollups_and_uptime(world: Any, api_as: Any) -> None:
    clock.freeze(dt.datetime(2026, 3, 2, 12, 0, 30, tzinfo=dt.UTC))
    monitor = monitor_create(actor="test", client=world.a.client, service=world.a.service, name="Rolled",
                             kind="tcp", target="10.0.0.1:22", retries=1000 // 100)  # fmt: skip
    _history(monitor, hours=3)
    for _ in range(5):
        rollups_run()
    minutes = MonitorRollup.objects.filter(monitor=monitor, resolution="m")
    hours = MonitorRollup.objects.filter(monitor=monitor, resolution="h")
    assert minutes.count() >= 170 and hours.count() >= 2
    full = hours.order_by("bucket").first()
    assert full is not None and (full.count, full.failures, full.ms_min, full.ms_max) == (60, 6, 20, 26)
    detail = api_as(world.owner).get(f"/api/v1/monitors/{monitor.pk}").json()
    assert detail["uptime_24h"] == 90.0
    history = api_as(world.owner).get(f"/api/v1/monitors/{monitor.pk}/history", range="7d").json()
    assert sum(p["checks"] for p in history["points"]) >= 120
    results = api_as(world.owner).get(f"/api/v1/monitors/{monitor.pk}/results", limit=5).json()
    assert len(results["results"]) == 5 and results["monitor"]["name"] == "Rolled"

    clock.advance(dt.timedelta(hours=49))
    rollups_run()
    assert monitor.results.count() == 0  # raw results past 48 hours are gone; rollups stay
    assert hours.count() >= 2


def test_console_list_and_page_with_bounded_queries(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        m = monitor_create(actor="test", client=world.a.client, service=world.a.service, name=f"Site {n}",
                           kind="tcp", target=f"10.0.0.{n + 1}:22")  # fmt: skip
        _history(m, hours=1)
    browser = browser_as(world.owner)
    with django_assert_max_num_queries(20) as few:
        page = browser.get("/monitors/")
    assert page.status_code == 200 and "Site 2" in page.content.decode()
    for n in range(3, 10):
        monitor_create(actor="test", client=world.a.client, service=world.a.service, name=f"Site {n}",
                       kind="tcp", target=f"10.0.0.{n + 1}:22")  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert browser.get("/monitors/").status_code == 200
    assert 'class="sparkline"' in browser.get("/monitors/").content.decode()
    rollups_run()
    detail = browser.get(f"/monitors/{m.pk}/?range=24h")
    assert detail.status_code == 200 and "<svg" in detail.content.decode()


def test_console_form_says_what_is_wrong(world: Any, browser_as: Any) -> None:
    browser = browser_as(world.owner)
    response = browser.post(f"/monitors/new?client={world.a.client.slug}", {
        "client": world.a.client.slug, "name": "Bad", "kind": "http", "target": "https://a.example/",
        "service": str(world.a.service.pk), "interval_seconds": "60", "timeout_seconds": "5", "retries": "1",
        "recovery_threshold": "1", "conditions": "[STATUS] => 200", "verify_tls": "on", "is_enabled": "on",
    })  # fmt: skip
    assert response.status_code == 400
    assert "has no comparison" in response.content.decode() or "left side" in response.content.decode()
    ok = browser.post(f"/monitors/new?client={world.a.client.slug}", {
        "client": world.a.client.slug, "name": "Good", "kind": "http", "target": "https://a.example/",
        "service": str(world.a.service.pk), "interval_seconds": "60", "timeout_seconds": "5", "retries": "1",
        "recovery_threshold": "1", "conditions": "[STATUS] == 200", "verify_tls": "on", "is_enabled": "on",
        "keyword": "Welcome",
    })  # fmt: skip
    assert ok.status_code == 302
    assert Monitor.objects.get(name="Good").settings == {"keyword": "Welcome"}


def test_network_policy_by_a_technician_is_refused(world: Any) -> None:
    from watchkeeper.core.errors import Forbidden

    with pytest.raises(Forbidden):
        network_policy_set(actor=world.a.technician, client=world.a.client, networks=["10.0.0.0/8"])


YAML = """
- name: Site router
  kind: tcp
  target: 10.0.0.1:22
  service: {service}
- name: Booking site
  kind: http
  target: https://booking.alpha.example/health
  service: {service}
  parent: Site router
  conditions: ["[STATUS] == 200"]
  settings: {{keyword: Book}}
"""


def test_bulk_import_creates_all_or_none(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    service = world.a.service.name
    done = api.post("/api/v1/monitors/import", {"client": world.a.client.slug, "format": "yaml",
                                                "text": YAML.format(service=service)})  # fmt: skip
    assert done.status_code == 201, done.content
    assert [m["name"] for m in done.json()["created"]] == ["Site router", "Booking site"]
    assert Monitor.objects.get(name="Booking site").parent == Monitor.objects.get(name="Site router")
    text = (
        "name,kind,target,service,interval_seconds,conditions,setting.record_type\n"
        f"Portal DNS,dns,portal.alpha.example,{service},300,"
        "[DNS_RCODE] == NOERROR ; [BODY] == pat(*192.0.2.*),A\n"
        f"Broken,http,https://x.example/,{service},60,[STATUS] = 200,\n"
    )
    refused = api.post(
        "/api/v1/monitors/import", {"client": world.a.client.slug, "format": "csv", "text": text}
    )
    assert refused.status_code == 400
    assert (
        "Monitor 2 (Broken)" in refused.content.decode() and "has no comparison" in refused.content.decode()
    )
    assert not Monitor.objects.filter(name="Portal DNS").exists()  # nothing of a refused file
    ok = api.post("/api/v1/monitors/import", {"client": world.a.client.slug, "format": "csv",
                                              "text": "\n".join(text.splitlines()[:2])})  # fmt: skip
    assert ok.status_code == 201
    assert Monitor.objects.get(name="Portal DNS").conditions == [
        "[DNS_RCODE] == NOERROR",
        "[BODY] == pat(*192.0.2.*)",
    ]
