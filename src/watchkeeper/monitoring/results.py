"""Recording check results: raw rows, the monitor's state, and the alerts they raise.

Down after `retries` + 1 failures in a row, up again after `recovery_threshold` successes in a
row. Going down triggers an alert through the monitor's integration inbox (dedup key per
monitor), coming up resolves it. A monitor whose parent is down raises nothing and says why;
when the parent comes back and the child still fails, the child's next failure alerts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from watchkeeper.alerts.services.intake import inbox_accept
from watchkeeper.core import clock
from watchkeeper.monitoring.checks.base import CheckResult
from watchkeeper.monitoring.models import Monitor, MonitorResult, MonitorState
from watchkeeper.monitoring.rows import monitors_save

SEVERITY = "error"
_STATE_FIELDS = ["state", "state_since", "consecutive_failures", "consecutive_successes", "alert_open",
                 "suppressed_reason", "last_checked_at", "last_ok", "last_response_ms", "last_message",
                 "lease_owner", "lease_until"]  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """One finished run: which monitor, when it ran, how late it started, what it found."""

    monitor_id: int
    checked_at: dt.datetime
    lag_ms: int
    result: CheckResult


def dedup_key(monitor: Monitor) -> str:
    return f"monitor-{monitor.pk}"


def _send(monitor: Monitor, body: dict[str, Any]) -> None:
    """One event into the inbox of the monitor's integration (caller holds a transaction)."""
    if monitor.integration is None:  # only monitors made before their integration existed
        return
    inbox_accept(integration=monitor.integration, kind="pagerduty", payload=body, dedup_key=body["dedup_key"])


def _trigger(monitor: Monitor, *, at: dt.datetime, message: str) -> None:
    details = {
        "monitor_id": monitor.pk, "kind": monitor.kind, "target": monitor.target, "message": message,
        "failures_in_a_row": monitor.consecutive_failures, "last_response_ms": monitor.last_response_ms,
    }  # fmt: skip
    body = {
        "event_action": "trigger",
        "dedup_key": dedup_key(monitor),
        "payload": {
            "summary": f"{monitor.name} is down: {message}"[:1024],
            "source": monitor.target[:255],
            "severity": monitor.settings.get("severity") or SEVERITY,
            "component": monitor.name[:255],
            "class": f"monitor.{monitor.kind}",
            "timestamp": at.isoformat(),
            "custom_details": details,
        },
    }
    _send(monitor, body)


def alert_resolve(*, monitor: Monitor, why: str = "", key: str = "") -> None:
    """Resolve the monitor's alert (caller holds a transaction)."""
    _send(monitor, {"event_action": "resolve", "dedup_key": key or dedup_key(monitor)})


def _apply(monitor: Monitor, outcome: Outcome, parents: dict[int, Monitor]) -> None:
    """The state machine of one result; the caller saves `_STATE_FIELDS`."""
    result = outcome.result
    monitor.last_checked_at, monitor.last_ok = outcome.checked_at, result.ok
    monitor.last_response_ms, monitor.last_message = result.response_ms, result.message[:500]
    monitor.lease_owner, monitor.lease_until = "", None
    if result.ok:
        monitor.consecutive_failures = 0
        monitor.consecutive_successes += 1
        recovered = monitor.consecutive_successes >= monitor.recovery_threshold
        if monitor.state != MonitorState.UP and (monitor.state == MonitorState.PENDING or recovered):
            monitor.state, monitor.state_since = MonitorState.UP, outcome.checked_at
        if monitor.state == MonitorState.UP:
            monitor.suppressed_reason = ""
            if monitor.alert_open:
                alert_resolve(monitor=monitor)
                monitor.alert_open = False
        return
    monitor.consecutive_successes = 0
    monitor.consecutive_failures += 1
    if monitor.consecutive_failures <= monitor.retries:
        return
    if monitor.state != MonitorState.DOWN:
        monitor.state, monitor.state_since = MonitorState.DOWN, outcome.checked_at
    if monitor.alert_open:
        return
    parent = parents.get(monitor.parent_id) if monitor.parent_id else None
    if parent is not None and parent.state == MonitorState.DOWN:
        monitor.suppressed_reason = f"Suppressed: the parent monitor {parent.name} is down"[:300]
        return
    monitor.suppressed_reason = ""
    _trigger(monitor, at=outcome.checked_at, message=result.message)
    monitor.alert_open = True


def results_record(*, outcomes: Sequence[Outcome]) -> int:
    """Store a batch of results and move each monitor's state; returns how many were stored.

    One transaction for the batch. A result older than the monitor's last one (a slow run that
    finished after a later one) is kept as history but does not move the state."""
    if not outcomes:
        return 0
    with transaction.atomic():
        ids = sorted({o.monitor_id for o in outcomes})
        monitors = {
            m.pk: m
            for m in Monitor.objects.select_for_update(of=("self",))
            .select_related("integration")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        parent_ids = {m.parent_id for m in monitors.values() if m.parent_id}
        parents = {p.pk: p for p in Monitor.objects.filter(pk__in=parent_ids).only("pk", "name", "state")}
        rows: list[MonitorResult] = []
        changed: dict[int, Monitor] = {}

        # Parents before children (a router and the site behind it in one batch), each
        # monitor's results in time order.
        def order(o: Outcome) -> tuple[bool, dt.datetime]:
            found = monitors.get(o.monitor_id)
            return (found is not None and found.parent_id is not None, o.checked_at)

        for outcome in sorted(outcomes, key=order):
            monitor = monitors.get(outcome.monitor_id)
            if monitor is None:  # deleted meanwhile
                continue
            result = outcome.result
            rows.append(MonitorResult(
                monitor_id=monitor.pk, checked_at=outcome.checked_at, ok=result.ok,
                response_ms=result.response_ms, message="" if result.ok else result.message[:500],
                lag_ms=max(0, min(outcome.lag_ms, 2**31 - 1)),
            ))  # fmt: skip
            if monitor.last_checked_at is not None and outcome.checked_at < monitor.last_checked_at:
                continue
            if not monitor.is_enabled:
                continue
            _apply(monitor, outcome, parents)
            if monitor.pk in parents:  # a parent's new state counts for its children in this batch
                parents[monitor.pk].state = monitor.state
            changed[monitor.pk] = monitor
        MonitorResult.objects.bulk_create(rows, batch_size=500)
        if changed:
            monitors_save(list(changed.values()), _STATE_FIELDS)
    return len(rows)


def overdue_grace(monitor: Monitor) -> dt.timedelta:
    """How long past its due time a run may still start before the check counts as overdue."""
    return dt.timedelta(seconds=max(30, monitor.timeout_seconds + 15))


def overdue_check() -> str:
    """Raise "check overdue" for each enabled monitor whose run is late past its grace, and
    resolve it once the monitor runs again. Caller holds a transaction (the engine job's)."""
    now = clock.now()
    raised = resolved = 0
    late = Monitor.objects.select_related("integration").filter(
        is_enabled=True, client__is_active=True, next_run_at__lt=now - dt.timedelta(seconds=30)
    )
    for monitor in late.filter(overdue_alert_open=False)[:1000]:
        if monitor.next_run_at >= now - overdue_grace(monitor):
            continue
        late_by = int((now - monitor.next_run_at).total_seconds())
        body = {
            "event_action": "trigger",
            "dedup_key": f"{dedup_key(monitor)}-overdue",
            "payload": {
                "summary": f"Check overdue: {monitor.name} has not run for {late_by} s past its time; "
                "is a `watchkeeper monitor` process running?",
                "source": "watchkeeper-monitor", "severity": "warning", "class": "monitor.overdue",
                "component": monitor.name[:255], "timestamp": now.isoformat(),
            },
        }  # fmt: skip
        _send(monitor, body)
        Monitor.objects.filter(pk=monitor.pk).update(overdue_alert_open=True)
        raised += 1
    recovered = Monitor.objects.select_related("integration").filter(
        overdue_alert_open=True, next_run_at__gte=now - dt.timedelta(seconds=30)
    )
    for monitor in list(recovered[:1000]) + list(
        Monitor.objects.select_related("integration").filter(overdue_alert_open=True, is_enabled=False)[:1000]
    ):
        alert_resolve(monitor=monitor, key=f"{dedup_key(monitor)}-overdue")
        Monitor.objects.filter(pk=monitor.pk).update(overdue_alert_open=False)
        resolved += 1
    return f"{raised} overdue, {resolved} back on time"
