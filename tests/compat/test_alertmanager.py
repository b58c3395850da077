"""A real Prometheus Alertmanager (Debian's package) notifying a running Watchkeeper.

One Alertmanager, two receivers: a `webhook_config` pointed at /integrations/alertmanager/<key>
and a `pagerduty_config` pointed at /v2/enqueue. An alert pushed into Alertmanager's own API
with a near `endsAt` fires, then resolves by itself; the alert and its incident must open and
then resolve in Watchkeeper through each receiver. Both talk TLS to Watchkeeper and trust its
certificate through `ca_file`, as a production setup would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compat.live import Stack, free_port

pytestmark = pytest.mark.slow

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

CONFIG = """
global:
  resolve_timeout: 5m
route:
  receiver: watchkeeper
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: pagerduty
      matchers: ['route="pagerduty"']
receivers:
  - name: watchkeeper
    webhook_configs:
      - url: {base}/integrations/alertmanager/{alertmanager_key}
        send_resolved: true
        http_config:
          tls_config:
            ca_file: {ca}
  - name: pagerduty
    pagerduty_configs:
      - routing_key: {pagerduty_key}
        url: {base}/v2/enqueue
        send_resolved: true
        http_config:
          tls_config:
            ca_file: {ca}
"""


class Alertmanager:
    def __init__(self, root: Path, config: str) -> None:
        assert BINARY is not None
        (root / "alertmanager.yml").write_text(config)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = root / "alertmanager.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                [
                    BINARY, f"--config.file={root / 'alertmanager.yml'}",
                    f"--storage.path={root / 'am-data'}",
                    f"--web.listen-address={self.url.removeprefix('http://')}",
                    "--cluster.listen-address=",  # no gossip: one instance, no port to collide
                    "--log.level=debug",
                ],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def push(self, labels: dict[str, str], *, summary: str, ends_in: float) -> None:
        now = dt.datetime.now(dt.UTC)
        alert = {
            "labels": labels,
            "annotations": {"summary": summary, "description": "pushed by the compatibility test"},
            "startsAt": now.isoformat(),
            "endsAt": (now + dt.timedelta(seconds=ends_in)).isoformat(),
            "generatorURL": "http://prometheus.example.com/graph?g0.expr=up",
        }
        response = httpx.post(self.url + "/api/v2/alerts", json=[alert], timeout=5)
        assert response.status_code == 200, response.text

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Alertmanager]]:
    if BINARY is None:
        pytest.skip(
            "prometheus-alertmanager is not installed (Debian: apt-get install prometheus-alertmanager)"
        )
    root = tmp_path_factory.mktemp("alertmanager")
    with Stack(root) as stack:
        stack.migrate()
        keys = stack.seed("alertmanager", "pagerduty")
        base = stack.start_web(tls=True)
        stack.start_engine()
        config = CONFIG.format(
            base=base,
            alertmanager_key=keys["alertmanager"],
            pagerduty_key=keys["pagerduty"],
            ca=stack.tls_files[0],
        )
        alertmanager = Alertmanager(root, config)
        try:
            yield stack, alertmanager
        finally:
            alertmanager.stop()


def _of(state: dict[str, Any], integration_type: str, summary: str) -> list[dict[str, Any]]:
    return [
        a for a in state["alerts"] if a["integration__type"] == integration_type and a["summary"] == summary
    ]


def _opened_then_resolved(stack: Stack, integration_type: str, summary: str) -> dict[str, Any]:
    def opened(state: dict[str, Any]) -> bool:
        return bool(_of(state, integration_type, summary))

    first = _of(stack.wait_for(opened, timeout=30), integration_type, summary)
    assert len(first) == 1, first
    # The alert may already be on its way out; what it must not be is missing its incident.
    assert first[0]["incident__number"] is not None

    def resolved(state: dict[str, Any]) -> bool:
        return all(a["status"] == "resolved" for a in _of(state, integration_type, summary))

    state = stack.wait_for(resolved, timeout=40)
    assert state["failed"] == [], state["failed"]
    [alert] = _of(state, integration_type, summary)
    assert alert["incident__status"] == "resolved"
    return alert


def test_webhook_receiver_opens_and_resolves(world: tuple[Stack, Alertmanager]) -> None:
    stack, alertmanager = world
    summary = "Disk almost full on db01"
    labels = {"alertname": "DiskFull", "service": "db", "instance": "db01:9100", "severity": "critical"}
    alertmanager.push(labels, summary=summary, ends_in=6)
    alert = _opened_then_resolved(stack, "alertmanager", summary)
    assert len(alert["dedup_key"]) == 16, "the per-alert fingerprint is the dedup key"
    assert 'alertname="DiskFull"' in alert["group_key"], "the group key groups it"


def test_pagerduty_receiver_opens_and_resolves(world: tuple[Stack, Alertmanager]) -> None:
    stack, alertmanager = world
    summary = "Backup server unreachable"
    labels = {"alertname": "BackupDown", "service": "backup", "route": "pagerduty", "severity": "error"}
    alertmanager.push(labels, summary=summary, ends_in=6)
    # Alertmanager's PagerDuty notifier titles the event from its default template, not our
    # annotation; find the alert by what it does set: dedup key = SHA-256 of the group key.
    group_key = '{}/{route="pagerduty"}:{alertname="BackupDown", service="backup"}'
    dedup_key = hashlib.sha256(group_key.encode()).hexdigest()

    def opened(state: dict[str, Any]) -> bool:
        return any(a["dedup_key"] == dedup_key for a in state["alerts"])

    stack.wait_for(opened, timeout=30)

    def resolved(state: dict[str, Any]) -> bool:
        mine = [a for a in state["alerts"] if a["dedup_key"] == dedup_key]
        return bool(mine) and all(a["status"] == "resolved" for a in mine)

    state = stack.wait_for(resolved, timeout=40)
    mine = [a for a in state["alerts"] if a["dedup_key"] == dedup_key]
    assert len(mine) == 1 and mine[0]["integration__type"] == "pagerduty", mine
    assert mine[0]["incident__status"] == "resolved"
    assert state["failed"] == []
