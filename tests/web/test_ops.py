"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from prometheus_client.parser import text_string_to_metric_families

from watchkeeper.core import clock
from watchkeeper.engine.loop import register_process, run_cycle
from watchkeeper.engine.models import PeriodicJob

pytestmark = pytest.mark.django_db


def test_healthz_and_readyz() -> None:
    http = HttpClient()
    assert http.get("/healthz").json() == {"status": "ok"}
    response = http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_fails_when_engine_work_is_overdue() -> None:
    process = register_process()
    run_cycle(process)
    clock.advance(dt.timedelta(hours=1))
    response = HttpClient().get("/readyz")
    assert response.status_code == 503
    assert "lagging" in response.json()["checks"]["engine"]
    run_cycle(process)
    # Only jobs due within the interval remain: the longest-period job is not overdue.
    assert PeriodicJob.objects.filter(next_due_at__lt=clock.now()).count() == 0
    assert HttpClient().get("/readyz").status_code == 200


def test_readyz_notices_a_silent_engine_before_any_job_is_due() -> None:
    process = register_process()
    run_cycle(process)
    clock.advance(dt.timedelta(minutes=5))  # no job due yet, but no heartbeat for 5 minutes
    assert HttpClient().get("/readyz").status_code == 503
    run_cycle(process)
    assert HttpClient().get("/readyz").status_code == 200


def test_probes_answer_whatever_the_host_header() -> None:
    http = HttpClient(HTTP_HOST="10.1.2.3:8000")
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 200
    assert http.get("/accounts/login/").status_code == 400  # everything else checks the host


def test_metrics_is_prometheus_text(world: object) -> None:
    run_cycle(register_process())
    response = HttpClient().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    clients = {sample.labels["state"]: sample.value for sample in families["watchkeeper_clients"].samples}
    assert clients == {"active": 2.0, "inactive": 0.0}
    assert families["watchkeeper_engine_processes"].samples[0].value == 1.0
    assert families["watchkeeper_engine_lag_seconds"].samples[0].value == 0.0
