"""kill -9 of two engines in the middle of a backlog of escalation steps: after a restart every
step fired exactly once (one "Paging level 2" entry per incident, one page per person and step),
none was lost, and the steps the dead engines had claimed ran on another engine once their lease
ended (ADR 0035).

Each incident's policy pages Alice at once (level 1, in the transaction that reconciles the new
incident) and Bob at level 2 after a delay of zero minutes: Bob's page comes from a `paging.step`
timer, run by the batched handler. The timer lease is short so the test does not wait a minute.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.compat.live import Stack

pytestmark = pytest.mark.slow

INCIDENTS = 400
ENGINES = 2

WORLD = """
from watchkeeper.accounts.models import User
from watchkeeper.incidents.services import incident_open
from watchkeeper.paging.models import (ContactMethod, EscalationLevel, EscalationPolicy, EscalationTarget,
    NotificationRule)
from watchkeeper.tenancy.models import Client, Service
client = Client.objects.get(slug='acme')
service = Service.objects.get(client=client)
policy = EscalationPolicy.objects.create(name='On call', client=client, is_default=True)
for position, (name, delay) in enumerate([('alice', 0), ('bob', 600)]):
    user = User.objects.create_user(f'{name}@msp.example', full_name=name.title(), role='technician',
                                    all_clients=True)
    method = ContactMethod(user=user, kind='email', label='Work', address_hint=name)
    method.address = f'{name}@msp.example'
    method.save()
    NotificationRule.objects.create(user=user, urgency='high', contact_method=method, delay_minutes=0)
    level = EscalationLevel.objects.create(policy=policy, position=position, delay_minutes=delay)
    EscalationTarget.objects.create(level=level, kind='user', user=user)
for n in range(COUNT):
    incident_open(client=client, service=service, title=f'Server {n} down', impact='high', urgency='high',
                  by='kill9')
result = True
"""

OUTCOME = """
from django.db.models import Count
from watchkeeper.core.models import Timer
from watchkeeper.incidents.models import TimelineEntry
from watchkeeper.paging.models import OutboxMessage
steps = Timer.objects.filter(kind='paging.step', key__endswith=':1')
entries = TimelineEntry.objects.filter(kind='page', text__startswith='Paging level 2')
result = {
    'steps': dict(steps.values_list('state').annotate(n=Count('id')).order_by()),
    'level2_entries': list(entries.values('incident_id').annotate(n=Count('id')).values_list('n', flat=True)),
    'pages': dict(OutboxMessage.objects.values_list('user__email').annotate(n=Count('id')).order_by()),
    'pages_per_step': sorted(set(OutboxMessage.objects.values('incident_id', 'user_id')
                                 .annotate(n=Count('id')).values_list('n', flat=True))),
}
"""


def _counter(stack: Stack) -> Callable[[], tuple[int, int]]:
    """(level-2 steps done, timers leased) straight from the database: a poll must be quick."""
    db: Any
    if stack.pg_name:
        import psycopg

        db = psycopg.connect(stack.env["WATCHKEEPER_DATABASE_URL"], autocommit=True)
    else:
        db = sqlite3.connect(f"file:{stack.data_dir / 'watchkeeper.sqlite3'}?mode=ro", uri=True, timeout=30)
    # Level 2's steps: the key's last part is the level index (1); due now, unlike the steps after it.
    sql = (
        "SELECT (SELECT count(*) FROM core_timer WHERE kind = 'paging.step' AND key LIKE '%:1'"
        " AND state = 'done'), (SELECT count(*) FROM core_timer WHERE state = 'leased')"
    )

    def counts() -> tuple[int, int]:
        row = db.execute(sql).fetchone()
        return int(row[0]), int(row[1])

    return counts


def test_kill9_of_engines_mid_backlog_fires_every_step_exactly_once(tmp_path: Path) -> None:
    env = {"WATCHKEEPER_TIMER_LEASE": "3", "WATCHKEEPER_OUTBOX_LEASE": "3"}
    with Stack(tmp_path, env=env) as stack:
        stack.migrate()
        stack.seed("pagerduty")
        stack.python(WORLD.replace("COUNT", str(INCIDENTS)), timeout=600)
        counts = _counter(stack)
        for n in range(ENGINES):
            stack._spawn(f"engine{n}", ["engine"])
        deadline = time.monotonic() + 300
        # Kill once a quarter of the steps are done, at a moment the engines hold claimed timers
        # (or at half, if no poll catches one): those must run elsewhere after their lease.
        while True:
            done, leased = counts()
            if (done >= INCIDENTS // 4 and leased) or done >= INCIDENTS // 2:
                break
            assert time.monotonic() < deadline, f"only {done} steps done: {stack.log('engine0')[-3000:]}"
            time.sleep(0.002)
        for n in range(ENGINES):
            stack.kill(f"engine{n}")
        killed_at, orphaned = counts()
        stack._spawn("engine-after", ["engine"])
        deadline = time.monotonic() + 300
        while counts()[0] < INCIDENTS:
            assert time.monotonic() < deadline, f"steps not all done: {stack.log('engine-after')[-3000:]}"
            time.sleep(0.5)
        outcome = stack.python(OUTCOME)
    assert killed_at < INCIDENTS, "the engines finished before the kill: nothing was tested"
    assert outcome["steps"] == {"done": INCIDENTS}, outcome["steps"]
    entries = Counter(outcome["level2_entries"])
    assert entries == {1: INCIDENTS}, f"level 2 paged more or less than once: {entries}"
    assert outcome["pages"] == {"alice@msp.example": INCIDENTS, "bob@msp.example": INCIDENTS}
    assert outcome["pages_per_step"] == [1]
    print(
        f"killed with {killed_at} of {INCIDENTS} level-2 steps done and {orphaned} timers leased by the "
        f"dead engines; after restart: steps {outcome['steps']}, pages {outcome['pages']}"
    )
