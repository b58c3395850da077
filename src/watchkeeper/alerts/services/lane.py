"""The priority lane: rows that open a new problem go before repeats of open ones (ADR 0038).

In a storm the inbox holds thousands of repeats of a few hundred open problems; in arrival order
a new P1 waits for all of them (measured: alert→page p99 22.7 s). Per-key order is what must
hold, not global order, so each pass of a long inbox first takes the rows that are

- the **first pending row of their key** (integration, dedup key): nothing of the key can be
  overtaken;
- of a kind whose row names the key of its one event (`LANE_KINDS`: PagerDuty, whose intake
  stores the event's key on the row, the sender's or the one it chose), so the key is known
  without parsing and grouped on a plain column (no JSON is read: the lane looks at every
  pending row, and a storm's backlog is tens of thousands of them);
- with **no earlier pending row of their integration whose key is unknown** (an Alertmanager
  batch, a change event, an e-mail): such a row may carry the same key, so the lane stops there
  for that integration;
- whose key has **no open alert**: a new problem (or an acknowledge/resolve of nothing, which
  has no effect either way).

Everything else keeps its arrival order behind them. The lane is looked for only when the inbox
is long (`LANE_FROM`), and holds at most `LANE_ROWS` rows per pass: a steady flood of new keys
still leaves the rest of the pass to the repeats.
"""

from __future__ import annotations

import math
from collections import defaultdict

from django.db import connection

from watchkeeper.alerts.models import Alert, InboxEvent, InboxStatus
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.services.batch import KEYS_PER_QUERY

LANE_FROM = 200  # pending rows in a pass's window before a lane is worth its queries
LANE_ROWS = 500  # lane rows per pass at most
LANE_KINDS = ("pagerduty",)  # kinds whose row names its one event's key (see the docstring)


def _firsts_sql() -> str:
    table, q = connection.ops.quote_name(InboxEvent._meta.db_table), connection.ops.quote_name
    kinds = ", ".join(f"'{kind}'" for kind in LANE_KINDS)
    # NULL where the key cannot be known without parsing: such a row blocks its integration.
    key = f"CASE WHEN {q('kind')} IN ({kinds}) AND {q('dedup_key')} <> '' THEN {q('dedup_key')} END"
    return (
        f"SELECT {q('integration_id')}, {key}, MIN({q('id')}) FROM {table} "  # noqa: S608 — names, not data
        f"WHERE {q('status')} = %s GROUP BY 1, 2"
    )


def lane_ids() -> list[int]:
    """The rows to take before the others this pass, oldest first (see the module docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(_firsts_sql(), [InboxStatus.PENDING])
        firsts = cursor.fetchall()
    blocked: dict[int, float] = defaultdict(lambda: math.inf)  # integration: its first unknown key
    for integration_id, key, first in firsts:
        if key is None:
            blocked[integration_id] = min(blocked[integration_id], first)
    candidates = sorted(
        (first, integration_id, str(key))
        for integration_id, key, first in firsts
        if key is not None and first < blocked[integration_id]
    )
    lane: list[int] = []
    for start in range(0, len(candidates), KEYS_PER_QUERY):
        chunk = candidates[start : start + KEYS_PER_QUERY]
        open_keys = _open_keys({(integration_id, key) for _, integration_id, key in chunk})
        lane += [first for first, integration_id, key in chunk if (integration_id, key) not in open_keys]
        if len(lane) >= LANE_ROWS:
            return lane[:LANE_ROWS]
    return lane


def _open_keys(keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of `keys` have an open alert: one query per integration of the chunk."""
    by_integration: dict[int, list[str]] = defaultdict(list)
    for integration_id, key in keys:
        by_integration[integration_id].append(key)
    found: set[tuple[int, str]] = set()
    for integration_id, wanted in by_integration.items():
        found.update(
            Alert.objects.filter(
                integration_id=integration_id, dedup_key__in=wanted, status__in=OPEN_STATUSES
            )
            .order_by()
            .values_list("integration_id", "dedup_key")
        )
    return found


def lane_first(ids: list[int], *, limit: int) -> list[int]:
    """The pass's rows with the lane's in front; `ids` (the oldest pending rows) keep their
    order behind them. Only when the window is long enough for a new problem to wait."""
    if len(ids) < LANE_FROM:
        return ids
    lane = lane_ids()
    if not lane:
        return ids
    taken = set(lane)
    return (lane + [row_id for row_id in ids if row_id not in taken])[:limit]
