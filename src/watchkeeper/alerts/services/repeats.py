"""Repeats of open alerts, applied per dedup key instead of per event (issue 14, ADR 0031).

In an alert storm most events re-trigger an alert that is already open: each one adds an
occurrence, moves "last seen" and replaces the last payload. Applying them one statement (and
one savepoint) per event made the engine drain 300-400 rows/s. Here a batch folds every repeat
of a key into the alert in memory and writes each touched alert once, when the batch ends or
before another kind of event of the same key applies (so per-key order holds: the resolve that
follows three repeats sees them).

A repeat has no database effect of its own until the flush, which runs in the batch's
transaction, before the batch's inbox rows turn `done`: the effects and the rows still commit
or roll back together. Events dropped by a rule only count against the rule, folded the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, EventRule, Integration
from watchkeeper.alerts.rules import Decision, rules_decide
from watchkeeper.alerts.services.apply import raw_payload
from watchkeeper.alerts.services.batch import AlertKey, ApplyCache
from watchkeeper.alerts.services.incident_end import ended_incident
from watchkeeper.core.rows import row_update

REPEAT_FIELDS = ("occurrence_count", "last_seen_at", "summary", "details", "raw")


@dataclass
class _Pending:
    alert: Alert
    integration: Integration
    last: AlertEvent  # its payload becomes the alert's `raw` (redacted once, at the flush)


@dataclass
class Repeats:
    """The repeats a batch has folded but not written yet, by key, and dropped events by rule."""

    pending: dict[AlertKey, _Pending] = field(default_factory=dict)
    drops: Counter[int] = field(default_factory=Counter)
    last_dropped: dict[int, dt.datetime] = field(default_factory=dict)

    def try_fold(
        self, *, integration: Integration, events: list[AlertEvent], cache: ApplyCache, now: dt.datetime
    ) -> bool:
        """Fold the events of one inbox row when every one of them is a repeat of an open alert
        the batch knows (or dropped by a rule); False, with nothing changed, otherwise. May raise
        (a rule that fails): nothing is changed then either."""
        alerts: list[Alert | None] = []
        decisions: list[Decision] = []
        for event in events:
            if event.action != "trigger":
                return False
            decision = rules_decide(
                integration=integration, event=event, at=now, ruleset=cache.ruleset(integration.client_id)
            )
            alert = None
            if not decision.drop:
                alert = cache.open_alerts.get((integration.pk, event.dedup_key)) if cache.knows(
                    integration, event.dedup_key
                ) else None  # fmt: skip
                if alert is None or ended_incident(alert) is not None:
                    return False  # a new alert, or one whose incident ended: the full path
            alerts.append(alert)
            decisions.append(decision)
        for event, alert, decision in zip(events, alerts, decisions, strict=True):
            if alert is None:
                self._drop(decision, now)
            else:
                self._fold(alert, integration, event, now)
        return True

    def _fold(self, alert: Alert, integration: Integration, event: AlertEvent, now: dt.datetime) -> None:
        # What apply._repeat does, in memory: the last non-empty summary and details win.
        alert.occurrence_count += 1
        alert.last_seen_at = now
        alert.summary = event.summary[:1024] or alert.summary
        alert.details = event.details or alert.details
        self.pending[(integration.pk, event.dedup_key)] = _Pending(alert, integration, event)

    def _drop(self, decision: Decision, now: dt.datetime) -> None:
        if decision.drop_rule_id is not None:
            self.drops[decision.drop_rule_id] += 1
            self.last_dropped[decision.drop_rule_id] = now

    def flush_keys(self, keys: set[AlertKey]) -> None:
        """Write the folded repeats of `keys` (before another event of theirs applies)."""
        for key in keys & self.pending.keys():
            _write(self.pending.pop(key))

    def flush(self) -> None:
        """Write everything folded. Caller is in the batch's transaction."""
        for pending in self.pending.values():
            _write(pending)
        self.pending.clear()
        for rule_id, count in self.drops.items():
            # An UPDATE, not save(): a counter must not look like a rule change to the cache.
            EventRule.objects.filter(pk=rule_id).update(
                dropped_count=F("dropped_count") + count, last_dropped_at=self.last_dropped[rule_id]
            )
        self.drops.clear()
        self.last_dropped.clear()


def _write(pending: _Pending) -> None:
    alert = pending.alert
    alert.raw = raw_payload(pending.last, pending.integration)
    row_update(alert, alert.touch_fields(*REPEAT_FIELDS))
