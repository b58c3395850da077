"""Repeats of open alerts, applied per dedup key instead of per event (issue 14, ADR 0037).

In an alert storm most events re-trigger an alert that is already open: each one adds an
occurrence, moves "last seen" and replaces the last payload. Applied one savepoint and one
statement per event, the engine drained 300-400 rows/s. Here a batch folds every repeat of a key
into one pending change and writes it with one UPDATE (occurrence_count + n) when the batch ends,
or before another kind of event of the same key applies (so per-key order holds: the resolve
that follows three repeats sees them). The batch's prefetch knows which keys are open (and has
locked those alerts) without reading their full rows.

A repeat has no database effect of its own until the flush, which runs in the batch's
transaction before the batch's inbox rows turn `done`: the effects and the rows still commit or
roll back together. Events dropped by a rule only count against the rule, folded the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, EventRule, Integration
from watchkeeper.alerts.rules import Decision, rules_decide
from watchkeeper.alerts.services.apply import raw_payload
from watchkeeper.alerts.services.batch import AlertKey, ApplyCache


@dataclass
class _Pending:
    alert_id: int
    integration: Integration
    count: int = 0
    last_seen: dt.datetime | None = None
    summary: str = ""  # the last non-empty one; empty keeps the alert's
    details: dict[str, Any] | None = None  # idem
    last: AlertEvent | None = None  # its payload becomes the alert's `raw` (redacted at the flush)


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
        targets: list[tuple[AlertEvent, int | None, Decision]] = []
        for event in events:
            if event.action != "trigger":
                return False
            decision = rules_decide(
                integration=integration, event=event, at=now, ruleset=cache.ruleset(integration.client_id)
            )
            alert_id = None
            if not decision.drop:
                alert_id = cache.open_alert_id(integration, event.dedup_key)
                if alert_id is None:
                    return False  # a new alert, or one whose incident ended: the full path
            targets.append((event, alert_id, decision))
        for event, alert_id, decision in targets:
            if alert_id is None:
                self._drop(decision, now)
            else:
                self._fold(alert_id, integration, event, now)
        return True

    def _fold(self, alert_id: int, integration: Integration, event: AlertEvent, now: dt.datetime) -> None:
        key = (integration.pk, event.dedup_key)
        pending = self.pending.get(key)
        if pending is None:
            pending = self.pending[key] = _Pending(alert_id, integration)
        # What apply._repeat does to the row, event by event: the last non-empty summary and
        # details win, the last payload is kept.
        pending.count += 1
        pending.last_seen, pending.last = now, event
        pending.summary = event.summary[:1024] or pending.summary
        pending.details = event.details or pending.details

    def _drop(self, decision: Decision, now: dt.datetime) -> None:
        if decision.drop_rule_id is not None:
            self.drops[decision.drop_rule_id] += 1
            self.last_dropped[decision.drop_rule_id] = now

    def flush_keys(self, keys: set[AlertKey], cache: ApplyCache) -> None:
        """Write the folded repeats of `keys` before another event of theirs applies; that event
        reads the alert again."""
        flushed = keys & self.pending.keys()
        if flushed:
            _write([self.pending.pop(key) for key in flushed])
            cache.reread(flushed)

    def flush(self) -> None:
        """Write everything folded. Caller is in the batch's transaction."""
        _write(list(self.pending.values()))
        self.pending.clear()
        for rule_id, count in self.drops.items():
            # An UPDATE, not save(): a counter must not look like a rule change to the cache.
            EventRule.objects.filter(pk=rule_id).update(
                dropped_count=F("dropped_count") + count, last_dropped_at=self.last_dropped[rule_id]
            )
        self.drops.clear()
        self.last_dropped.clear()


def _write(pendings: list[_Pending]) -> None:
    """One UPDATE per alert, sent as one executemany: occurrences added to the stored count (the
    alert is locked by the batch's prefetch, so nothing else changes it meanwhile)."""
    if not pendings:
        return
    sql, fields = _statement()
    now_field, raw_field, details_field, seen_field = fields
    rows = []
    for pending in pendings:
        assert pending.last is not None and pending.last_seen is not None  # noqa: S101 — folded once at least
        raw = raw_payload(pending.last, pending.integration)
        details = details_field.get_db_prep_save(pending.details, connection) if pending.details else None
        rows.append([
            pending.count,
            seen_field.get_db_prep_save(pending.last_seen, connection),
            pending.summary,
            details,
            raw_field.get_db_prep_save(raw, connection),
            now_field.get_db_prep_save(pending.last_seen, connection),
            pending.alert_id,
        ])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


_statements: dict[str, tuple[str, tuple[Any, ...]]] = {}


def _statement() -> tuple[str, tuple[Any, ...]]:
    vendor = connection.vendor
    if vendor not in _statements:
        meta, q = Alert._meta, connection.ops.quote_name
        details_cast = "::jsonb" if vendor == "postgresql" else ""
        sql = (
            f"UPDATE {q(meta.db_table)} SET occurrence_count = occurrence_count + %s, "  # noqa: S608 — names, not data
            "last_seen_at = %s, summary = COALESCE(NULLIF(%s, ''), summary), "
            f"details = COALESCE(%s{details_cast}, details), raw = %s, updated_at = %s WHERE id = %s"
        )
        fields = tuple(meta.get_field(name) for name in ("updated_at", "raw", "details", "last_seen_at"))
        _statements[vendor] = (sql, fields)
    return _statements[vendor]
