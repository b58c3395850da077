"""What one inbox batch reads once instead of once per event.

The engine applies a batch of inbox rows inside one transaction (`processing.py`). Everything
here is valid only inside that transaction: on SQLite it holds the single write lock, on
PostgreSQL the prefetched open alerts are locked (FOR UPDATE) and only one engine processes
the inbox at a time, so nothing else changes these alerts meanwhile. The cache is updated as
events apply; after a row rolls back to its savepoint, `forget()` drops what it may have
changed, and later look-ups go to the database again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Alert, AlertStatus, Integration
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.rules import RuleSet, ruleset_for
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES
from watchkeeper.tenancy.models import Service

KEYS_PER_QUERY = 500  # well under SQLite's limit on bound parameters

AlertKey = tuple[int, str]  # (integration id, dedup key)


@dataclass
class ApplyCache:
    rulesets: dict[int, RuleSet] = field(default_factory=dict)  # by client id
    services: dict[tuple[int, str], Service | None] = field(default_factory=dict)  # (client, name)
    # The open alert of each prefetched key, or None when it has none. A key not in the dict
    # is unknown: ask the database (the full row of an open alert is read only when an event
    # needs more than a repeat: `open_ids` knows it meanwhile).
    open_alerts: dict[AlertKey, Alert | None] = field(default_factory=dict)
    # Prefetched keys with an open alert: (alert id, whether its incident has ended). Locked.
    open_ids: dict[AlertKey, tuple[int, bool]] = field(default_factory=dict)
    # Prefetched keys with a resolved alert recent enough to count for flapping; for the other
    # prefetched keys a new trigger cannot be flapping and needs no query.
    recently_resolved: set[AlertKey] = field(default_factory=set)

    def ruleset(self, client_id: int) -> RuleSet:
        ruleset = self.rulesets.get(client_id)
        if ruleset is None:
            ruleset = self.rulesets[client_id] = ruleset_for(client_id)
        return ruleset

    def service_named(self, client_id: int, name: str) -> Service | None:
        if (client_id, name) not in self.services:
            self.services[(client_id, name)] = Service.objects.filter(client_id=client_id, name=name).first()
        return self.services[(client_id, name)]

    def knows(self, integration: Integration, dedup_key: str) -> bool:
        return (integration.pk, dedup_key) in self.open_alerts

    def may_flap(self, integration: Integration, dedup_key: str) -> bool:
        key = (integration.pk, dedup_key)
        return key not in self.open_alerts or key in self.recently_resolved

    def open_alert_id(self, integration: Integration, dedup_key: str) -> int | None:
        """The id of the key's open alert when this batch knows it is open and its incident has
        not ended (a plain repeat can fold into it); None otherwise."""
        key = (integration.pk, dedup_key)
        if key in self.open_alerts:
            alert = self.open_alerts[key]
            if alert is None or (alert.incident is not None and not alert.incident.is_open):
                return None
            return alert.pk
        known = self.open_ids.get(key)
        if known is None or known[1]:
            return None
        return known[0]

    def reread(self, keys: set[AlertKey]) -> None:
        """The next event of `keys` reads their alerts from the database again (a repeat was
        written to them by statement, not through the objects held here)."""
        for key in keys:
            if self.open_alerts.get(key) is not None:
                del self.open_alerts[key]

    def note_open(self, alert: Alert) -> None:
        self.open_alerts[(alert.integration_id, alert.dedup_key)] = alert

    def note_resolved(self, alert: Alert) -> None:
        key = (alert.integration_id, alert.dedup_key)
        self.open_alerts[key] = None
        self.recently_resolved.add(key)

    def forget(self) -> None:
        self.open_alerts.clear()
        self.open_ids.clear()
        self.recently_resolved.clear()
        self.services.clear()

    def prefetch(
        self,
        *,
        events: Iterable[tuple[Integration, AlertEvent]],
        flapping_minutes: dict[int, int],
        now: dt.datetime,
    ) -> None:
        """Read the open alerts (locked) and the recent resolutions of every key the batch names:
        two queries per integration and 500 keys, instead of two per event."""
        keys: dict[int, set[str]] = defaultdict(set)
        for integration, event in events:
            if event.action != "annotate":
                keys[integration.pk].add(event.dedup_key)
        for integration_id, wanted in keys.items():
            ordered = sorted(wanted)
            for start in range(0, len(ordered), KEYS_PER_QUERY):
                chunk = ordered[start : start + KEYS_PER_QUERY]
                self._prefetch_chunk(integration_id, chunk, flapping_minutes.get(integration_id), now)

    def _prefetch_chunk(
        self, integration_id: int, chunk: list[str], minutes: int | None, now: dt.datetime
    ) -> None:
        # One light query finds what exists, and locks the open alerts (FOR UPDATE); full rows
        # are read later only for the keys whose events need more than a repeat.
        wanted = Q(status__in=OPEN_STATUSES)
        if minutes is not None:  # None: flapping detection is off for this integration
            since = now - dt.timedelta(minutes=minutes)
            wanted |= Q(status=AlertStatus.RESOLVED, resolved_at__gte=since)
        found = (
            Alert.objects.select_for_update(of=("self",))
            .filter(wanted, integration_id=integration_id, dedup_key__in=chunk)
            .order_by()
            .values_list("id", "dedup_key", "status", "incident__status")
        )
        for dedup_key in chunk:
            self.open_alerts[(integration_id, dedup_key)] = None
        for pk, dedup_key, status, incident_status in found:
            key = (integration_id, dedup_key)
            if status == AlertStatus.RESOLVED:
                self.recently_resolved.add(key)
            else:
                self.open_alerts.pop(key, None)  # open: read in full when needed
                ended = incident_status is not None and incident_status not in OPEN_INCIDENT_STATUSES
                self.open_ids[key] = (pk, ended)
