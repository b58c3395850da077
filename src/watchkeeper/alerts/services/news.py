"""New problems of a batch, written together (issue 14, ADR 0038).

A trigger whose key the batch knows has no open alert (and no recent resolve, so it cannot be
flapping) opens a new alert and a new incident: about ten statements through `event_apply`.
Here a batch defers such triggers and writes them all at once — the incidents, their timeline
entries and watchers' timers through `incidents_open_many`, the alerts in one multi-row INSERT,
their "alert" timeline entries in another — when the batch ends, or before any other event of
one of their keys applies (that event then sees the new alert, so per-key order holds: a repeat
folds into it, a resolve resolves it).

Like folded repeats, a deferred row has no database effect until the flush, which runs in the
batch's transaction before its rows turn `done`. A flush that fails fails the batch, which is
then done again row by row (`processing._batch_process`), so one bad row still fails alone.
Triggers that need more — grouping into an open incident, suppression, flapping, a rule that
drops — take the per-event path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.rules import rules_decide
from watchkeeper.alerts.services.apply import alert_build, alert_by, alert_service, incident_terms
from watchkeeper.alerts.services.batch import AlertKey, ApplyCache
from watchkeeper.core.rows import rows_insert
from watchkeeper.incidents.models import TimelineKind
from watchkeeper.incidents.opening import Opening, incidents_open_many, timeline_add_many


@dataclass
class NewAlerts:
    """The new alerts a batch has deferred, in arrival order, and their keys."""

    pending: list[Alert] = field(default_factory=list)
    keys: set[AlertKey] = field(default_factory=set)

    def try_defer(
        self, *, integration: Integration, events: list[AlertEvent], cache: ApplyCache, now: dt.datetime
    ) -> bool:
        """Defer the events of one inbox row when every one of them opens a plain new problem;
        False, with nothing changed, otherwise. May raise (a rule that fails): nothing changes."""
        built: list[Alert] = []
        keys: set[AlertKey] = set()
        for event in events:
            key = (integration.pk, event.dedup_key)
            if event.action != "trigger" or key in self.keys or key in keys or not _surely_new(cache, key):
                return False
            decision = rules_decide(
                integration=integration, event=event, at=now, ruleset=cache.ruleset(integration.client_id)
            )
            if decision.drop or decision.suppress_reason:
                return False
            service = alert_service(integration, event, decision, cache)
            alert = alert_build(integration, event, decision, now, service)
            if alert.group_key and integration.group_window_minutes:
                return False  # it may join an open incident of its group
            built.append(alert)
            keys.add(key)
        self.pending += built
        self.keys |= keys
        return True

    def flush(self, cache: ApplyCache) -> None:
        """Write every deferred alert with its incident; the cache then knows them as open (a
        later repeat in the batch folds into them). Caller is in the batch's transaction."""
        if not self.pending:
            return
        alerts, self.pending, self.keys = self.pending, [], set()
        openings = []
        for alert in alerts:
            impact, urgency = incident_terms(alert)
            openings.append(
                Opening(
                    client=alert.integration.client,
                    service=alert.service,
                    title=alert.summary,
                    impact=impact,
                    urgency=urgency,
                    category=alert.category,
                    group_key=alert.group_key,
                    by=alert_by(alert.integration),
                    data={"dedup_key": alert.dedup_key, "severity": alert.severity},
                )
            )
        for alert, incident in zip(alerts, incidents_open_many(openings=openings), strict=True):
            alert.incident = incident
        rows_insert(alerts)
        entries = []
        for alert in alerts:
            assert alert.incident is not None  # noqa: S101 — set just above
            data = {"alert": alert.pk, "dedup_key": alert.dedup_key, "event": "triggered"}
            text = f"Alert {alert.severity}: {alert.summary}"
            entries.append((alert.incident, TimelineKind.ALERT, text, alert_by(alert.integration), data))
        timeline_add_many(entries=entries)
        for alert in alerts:
            cache.note_open(alert)


def _surely_new(cache: ApplyCache, key: AlertKey) -> bool:
    """The batch's prefetch found no open alert for the key and no resolve recent enough to
    count for flapping."""
    return key in cache.open_alerts and cache.open_alerts[key] is None and key not in cache.recently_resolved
