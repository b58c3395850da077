"""The official `opsgenie-sdk` (module `opsgenie_sdk`) against a running Watchkeeper, with only its
host changed: create, get, list with a query, notes, tags, details, acknowledge, close, request
status, an unsupported operation, and a GenieKey that reaches only its own client's alerts.

The SDK is old but installs and imports on Python 3.11 as it is: no shim. Its retries (on any
ApiException, up to a minute) are narrowed: an error answer fails fast, while a dropped keep-alive
connection is retried at once, as the SDK's default policy does for any client.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import opsgenie_sdk
import pytest
from opsgenie_sdk.exceptions import ApiException, ConfigurationException

from tests.compat.live import Stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(tmp_path_factory.mktemp("og-client")) as running:
        running.migrate()
        running.seed("opsgenie")
        running.keys["other"] = running.python(
            "from watchkeeper.tenancy.models import Client, Service\n"
            "from watchkeeper.alerts.services.integrations import integration_create\n"
            "client = Client.objects.create(name='Other Co', slug='other')\n"
            "service = Service.objects.create(client=client, name='Mail')\n"
            "result = integration_create(actor='test', client=client, type='opsgenie', name='og',\n"
            "                            service=service).key\n"
        )
        running.start_web()
        running.start_engine()
        yield running


def _api(stack: Stack, key: str) -> opsgenie_sdk.AlertApi:
    conf = opsgenie_sdk.configuration.Configuration()
    conf.host = stack.base_url
    # Configuration() is a shallow copy of one shared default: a new dict, or every client
    # would send the key set last.
    conf.api_key = {"Authorization": key}
    # No retry on any HTTP status (an error answer must fail the test at once), but the SDK's own
    # retry of a transport error stays: a keep-alive connection the server closed just as the
    # client reused it (RemoteDisconnected, seen once under a loaded CI) is retried, as it would
    # be for any user of the SDK, and within a second rather than its default thirty.
    conf.retry_enabled = True
    conf.retry_http_response = []
    conf.retry_count = 3
    conf.retry_delay = 1
    conf.back_off = 0.1
    return opsgenie_sdk.AlertApi(api_client=opsgenie_sdk.api_client.ApiClient(configuration=conf))


def _status(api: opsgenie_sdk.AlertApi, request_id: str) -> Any:
    """The request's status once the engine has processed it (404 until then, as Opsgenie)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return api.get_request_status(request_id).data
        except ApiException as exc:
            assert exc.status == 404 and time.monotonic() < deadline, exc
            time.sleep(0.2)


def _create(api: opsgenie_sdk.AlertApi, **fields: Any) -> Any:
    response = api.create_alert(opsgenie_sdk.CreateAlertPayload(**fields))
    status = _status(api, response.request_id)
    assert status.is_success, status
    return api.get_alert(status.alert_id)


def _done(api: opsgenie_sdk.AlertApi, send: Callable[[], Any]) -> Any:
    response = send()
    assert response.result == "Request will be processed"
    status = _status(api, response.request_id)
    assert status.is_success, status
    return status


def test_create_get_list_and_update(stack: Stack) -> None:
    api = _api(stack, stack.keys["opsgenie"])
    alert = _create(
        api, message="Backup failed on fs01", alias="fs01/backup", tags=["backup", "env:prod"],
        details={"job": "nightly"}, entity="fs01", source="veeam", priority="P2", description="Exit 2",
    ).data  # fmt: skip
    assert (alert.alias, alert.message, alert.status, alert.priority) == (
        "fs01/backup",
        "Backup failed on fs01",
        "open",
        "P2",
    )
    assert alert.tags == ["backup", "env:prod"] and alert.details["job"] == "nightly"
    assert (alert.entity, alert.source, alert.description, alert.count) == ("fs01", "veeam", "Exit 2", 1)
    by_alias = api.get_alert("fs01/backup", identifier_type="alias").data
    assert by_alias.id == alert.id

    _create(api, message="Printer offline", alias="printer", tags=["office"], priority="P4")
    listed = api.list_alerts(query="status: open AND tag: backup", limit=10).data
    assert [item.alias for item in listed] == ["fs01/backup"]
    assert {item.alias for item in api.list_alerts(query="status:open").data} == {"fs01/backup", "printer"}
    assert api.count_alerts(query="priority: P4").data.count == 1

    _done(
        api,
        lambda: api.add_note(
            alert.id, opsgenie_sdk.AddNoteToAlertPayload(note="Restarted the job", user="rmm")
        ),
    )
    notes = api.list_notes(alert.id).data
    assert [(note.note, note.owner) for note in notes] == [("Restarted the job", "rmm via opsgenie")]

    _done(api, lambda: api.add_tags(alert.id, opsgenie_sdk.AddTagsToAlertPayload(tags=["db", "backup"])))
    _done(api, lambda: api.remove_tags(alert.id, tags=["env:prod"]))
    _done(
        api,
        lambda: api.add_details(alert.id, opsgenie_sdk.AddDetailsToAlertPayload(details={"ticket": "T-42"})),
    )
    _done(api, lambda: api.remove_details(alert.id, keys=["job"]))
    _done(
        api,
        lambda: api.update_alert_priority(alert.id, opsgenie_sdk.UpdateAlertPriorityPayload(priority="P1")),
    )
    changed = api.get_alert(alert.id).data
    assert changed.tags == ["backup", "db"]
    assert changed.details["ticket"] == "T-42" and "job" not in changed.details
    assert changed.priority == "P1"

    status = _done(api, lambda: api.acknowledge_alert("fs01/backup", identifier_type="alias"))
    assert (status.action, status.alert_id) == ("Acknowledge", alert.id)
    assert api.get_alert(alert.id).data.acknowledged is True
    _done(api, lambda: api.close_alert(alert.id, identifier_type="id"))
    assert api.get_alert(alert.id).data.status == "closed"
    assert [item.alias for item in api.list_alerts(query="status: closed").data] == ["fs01/backup"]


def test_unknown_and_unsupported_answer_errors_the_sdk_reads(stack: Stack) -> None:
    """The SDK parses every answer as JSON before it looks at the status: an HTML page was a
    JSONDecodeError. It raises ApiException for 404, ConfigurationException for 422."""
    api = _api(stack, stack.keys["opsgenie"])
    heartbeats = opsgenie_sdk.HeartbeatApi(api_client=api.api_client)
    with pytest.raises(ApiException) as unknown:
        heartbeats.ping("nightly-backup")  # /v2/heartbeats/…: Opsgenie's, not this server's
    assert unknown.value.status == 404 and json.loads(unknown.value.body)["message"]
    alert = _create(api, message="Disk full", alias="disk").data
    with pytest.raises(ConfigurationException) as snooze:
        api.snooze_alert(alert.id, opsgenie_sdk.SnoozeAlertPayload(end_time="2030-01-01T00:00:00Z"))
    assert snooze.value.status == 422 and "not supported" in json.loads(snooze.value.body)["message"]
    with pytest.raises(ConfigurationException) as escalate:
        api.escalate_alert(alert.id, opsgenie_sdk.EscalateAlertToNextPayload(escalation={"name": "Ops"}))
    assert "escalation policy" in json.loads(escalate.value.body)["message"]
    with pytest.raises(ConfigurationException) as saved:
        api.list_saved_searches()
    assert saved.value.status == 422
    with pytest.raises(ConfigurationException) as query:
        api.list_alerts(query="status: open OR tag: x")
    assert "AND only" in json.loads(query.value.body)["message"]


def test_a_key_reaches_only_its_own_clients_alerts(stack: Stack) -> None:
    mine, theirs = _api(stack, stack.keys["opsgenie"]), _api(stack, stack.keys["other"])
    secret = _create(theirs, message="Other Co's mail queue", alias="mailq").data
    for attempt in (
        lambda: mine.get_alert(secret.id),
        lambda: mine.get_alert("mailq", identifier_type="alias"),
        lambda: mine.add_note(secret.id, opsgenie_sdk.AddNoteToAlertPayload(note="mine now")),
        lambda: mine.list_notes(secret.id),
        lambda: mine.add_tags(secret.id, opsgenie_sdk.AddTagsToAlertPayload(tags=["x"])),
    ):
        with pytest.raises(ApiException) as refused:
            attempt()
        assert (
            refused.value.status == 404
            and json.loads(refused.value.body)["message"] == "Alert does not exist"
        )
    assert "mailq" not in {item.alias for item in mine.list_alerts(limit=100).data}
    assert mine.count_alerts(query="alias: mailq").data.count == 0
    # By alias a write is stored, and the engine finds no alert of that alias for this client.
    response = mine.add_note("mailq", opsgenie_sdk.AddNoteToAlertPayload(note="x"), identifier_type="alias")
    status = _status(mine, response.request_id)
    assert status.is_success is False and "does not exist" in status.status
    assert theirs.list_notes(secret.id).data == []
