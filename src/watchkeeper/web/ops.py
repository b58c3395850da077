"""/healthz, /readyz and /metrics for load balancers and Prometheus."""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max, Min, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

import watchkeeper
from watchkeeper.accounts.models import User
from watchkeeper.alerts.backlog import inbox_backlog
from watchkeeper.core import clock
from watchkeeper.core.remote import client_ip
from watchkeeper.engine.metrics import engine_metrics, outbox_lag_seconds, timer_lag_seconds
from watchkeeper.engine.models import EngineProcess, PeriodicJob
from watchkeeper.tenancy.models import Client


def engine_lag_seconds() -> float:
    """How far behind the engine is: now − the oldest due time not yet claimed, or, while an
    engine is registered as running, the age of the freshest heartbeat if that is larger
    (a killed engine never marks itself stopped; its silence is the signal). Due timers and
    outbox messages count too."""
    now = clock.now()
    oldest = PeriodicJob.objects.aggregate(oldest=Min("next_due_at"))["oldest"]
    lag = 0.0 if oldest is None else (now - oldest).total_seconds()
    lag = max(lag, timer_lag_seconds(now), outbox_lag_seconds(now))
    running = EngineProcess.objects.filter(stopped_at__isnull=True)
    last_beat = running.aggregate(last=Max("last_cycle_at"), started=Max("started_at"))
    beat = last_beat["last"] or last_beat["started"]
    if beat is not None:
        lag = max(lag, (now - beat).total_seconds() - settings.ENGINE_INTERVAL_SECONDS)
    return max(0.0, lag)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    checks: dict[str, str] = {}
    ready = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        return JsonResponse({"status": "unavailable", "checks": {"database": str(exc)}}, status=503)
    lag = engine_lag_seconds()
    if lag > settings.ENGINE_STALL_SECONDS:
        ready = False
        checks["engine"] = f"lagging {lag:.0f}s behind (threshold {settings.ENGINE_STALL_SECONDS}s)"
    else:
        checks["engine"] = "ok"
    backlog = inbox_backlog()
    if backlog.behind:
        ready = False
        checks["inbox"] = (
            f"behind: {backlog.pending} events pending, the oldest for {backlog.oldest_seconds:.0f}s "
            f"(threshold {settings.INBOX_BEHIND_SECONDS}s)"
        )
    else:
        checks["inbox"] = "ok"
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


class _DatabaseCollector(Collector):
    """Reads gauges from the database at scrape time, so every web replica agrees."""

    def collect(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        yield InfoMetricFamily(
            "watchkeeper_build", "Watchkeeper version", value={"version": watchkeeper.__version__}
        )
        clients = GaugeMetricFamily("watchkeeper_clients", "Clients by state", labels=["state"])
        clients.add_metric(["active"], Client.objects.filter(is_active=True).count())
        clients.add_metric(["inactive"], Client.objects.filter(is_active=False).count())
        yield clients
        yield GaugeMetricFamily(
            "watchkeeper_users", "Active users", value=User.objects.filter(is_active=True).count()
        )
        yield GaugeMetricFamily(
            "watchkeeper_engine_lag_seconds",
            "Seconds the oldest due engine work is overdue",
            value=engine_lag_seconds(),
        )
        recent = clock.now() - dt.timedelta(seconds=settings.ENGINE_STALL_SECONDS)
        running = EngineProcess.objects.filter(stopped_at__isnull=True, last_cycle_at__gte=recent)
        yield GaugeMetricFamily(
            "watchkeeper_engine_processes",
            "Engine processes that finished a cycle recently",
            value=running.count(),
        )
        cycle = GaugeMetricFamily(
            "watchkeeper_engine_cycle_seconds",
            "Duration of each live engine's last cycle",
            labels=["process"],
        )
        for process in running:
            cycle.add_metric([str(process)], process.last_cycle_seconds)
        yield cycle
        backlog = inbox_backlog()
        yield GaugeMetricFamily(
            "watchkeeper_inbox_pending", "Accepted events not processed yet", value=backlog.pending
        )
        yield GaugeMetricFamily(
            "watchkeeper_inbox_oldest_seconds",
            "How long the oldest unprocessed event has waited (0: none)",
            value=backlog.oldest_seconds,
        )
        failures = PeriodicJob.objects.aggregate(total=Sum("failures"))["total"] or 0
        yield from engine_metrics()
        yield GaugeMetricFamily(
            "watchkeeper_engine_job_failures",
            "Periodic job runs that raised, since installation",
            value=failures,
        )


def _metrics_allowed(request: HttpRequest) -> bool:
    """A scraper with the metrics token, or one on an allowed network (default: this machine).
    The numbers are not secret, but client and user counts and engine health are nobody
    else's business, and every scrape queries the database."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in settings.METRICS_ALLOW)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _metrics_allowed(request):
        response = HttpResponse("Send the metrics token or scrape from an allowed network.\n", status=401)
        response["Content-Type"] = "text/plain; charset=utf-8"
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    registry.register(_DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
