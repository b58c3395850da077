"""kill -9 of the engine in the middle of sending pages: after restart every due page goes
out, none is lost, and at most one is sent twice per crash (the one in flight when it died).

The engine sends to a real SMTP server on loopback that answers slowly (so the kill lands
mid-send); its outbox lease is short so that the test does not wait a minute for recovery.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.compat.live import Stack, free_port

pytestmark = pytest.mark.slow

INCIDENTS = 150
CRASHES = 2

WORLD = """
from watchkeeper.accounts.models import User
from watchkeeper.incidents.services import incident_open
from watchkeeper.paging.models import (ContactMethod, EscalationLevel, EscalationPolicy, EscalationTarget,
    NotificationRule)
from watchkeeper.tenancy.models import Client, Service
client = Client.objects.get(slug='acme')
service = Service.objects.get(client=client)
alice = User.objects.create_user('alice@msp.example', full_name='Alice', role='technician', all_clients=True)
method = ContactMethod(user=alice, kind='email', label='Work', address_hint='alice')
method.address = 'alice@msp.example'
method.save()
NotificationRule.objects.create(user=alice, urgency='high', contact_method=method, delay_minutes=0)
policy = EscalationPolicy.objects.create(name='On call', client=client, is_default=True)
level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=600)
EscalationTarget.objects.create(level=level, kind='user', user=alice)
for n in range(COUNT):
    incident_open(client=client, service=service, title=f'Server {n} down', impact='high', urgency='high',
                  by='kill9')
result = True
"""

OUTBOX = """
from watchkeeper.paging.models import OutboxMessage
from django.db.models import Count
result = dict(OutboxMessage.objects.values_list('state').annotate(n=Count('id')).order_by())
"""


class SlowSink:
    """Records the subject of every message it accepted; answers each DATA after a pause."""

    def __init__(self) -> None:
        self.subjects: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.03)
        with self.lock:
            self.subjects.append(str(message_from_bytes(envelope.content)["Subject"]))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.subjects)


def test_kill9_of_the_engine_mid_sending_loses_no_page(tmp_path: Path) -> None:
    sink = SlowSink()
    port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        "WATCHKEEPER_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "WATCHKEEPER_EMAIL_FROM": "pager@watchkeeper.example",
        "WATCHKEEPER_OUTBOX_LEASE": "3",
        # One send under way at a time: a crash leaves at most one unrecorded (with N delivery
        # workers, at most N: the bound checked below).
        "WATCHKEEPER_DELIVERY_WORKERS": "1",
    }
    try:
        with Stack(tmp_path, env=env) as stack:
            stack.migrate()
            stack.seed("pagerduty")
            stack.python(WORLD.replace("COUNT", str(INCIDENTS)), timeout=300)
            kills_at = []
            for crash in range(CRASHES):
                stack.start_engine()
                target = (crash + 1) * INCIDENTS // (CRASHES + 1)
                deadline = time.monotonic() + 120
                while sink.count() < target:
                    assert time.monotonic() < deadline, (
                        f"only {sink.count()} sent: {stack.log('engine')[-3000:]}"
                    )
                    time.sleep(0.005)
                stack.kill("engine")
                kills_at.append(sink.count())
            stack.start_engine()
            deadline = time.monotonic() + 180
            while len(set(sink.subjects)) < INCIDENTS and time.monotonic() < deadline:
                time.sleep(0.2)
            states = stack.python(OUTBOX)
    finally:
        smtp.stop()
    pages = Counter(sink.subjects)
    assert len(pages) == INCIDENTS, f"{INCIDENTS - len(pages)} pages lost; outbox {states}"
    duplicates = sum(count - 1 for count in pages.values())
    assert duplicates <= CRASHES, f"{duplicates} duplicates for {CRASHES} crashes"
    assert all(0 < at < INCIDENTS for at in kills_at), kills_at
    assert states == {"sent": INCIDENTS}, states
    print(f"killed at {kills_at} pages sent; {duplicates} duplicate(s); outbox {states}")
