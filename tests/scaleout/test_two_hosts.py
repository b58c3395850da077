"""Two hosts of one installation against one PostgreSQL database (issue 14, part 4).

Each host has its own data directory and its own processes (web and engine, each in a process
group of its own), and neither has WATCHKEEPER_SECRET_KEY: the key they share is the one stored
in the database. Events for the same problems arrive through both hosts' intake; each problem
becomes one alert and one incident, and its page reaches a real SMTP server on loopback once.
An acknowledge link from a page one host's engine sent works on the other host's web, and a
session signed in on one host is signed in on the other.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.compat.live import Stack, _postgres_base, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        _postgres_base() is None,
        reason="two hosts share a database only on PostgreSQL (WATCHKEEPER_DATABASE_URL=postgres://…)",
    ),
]

PROBLEMS = 12  # per phase
REPEATS = 3  # events per problem and host

WORLD = """
from watchkeeper.accounts.models import User
from watchkeeper.paging.models import (ContactMethod, EscalationLevel, EscalationPolicy, EscalationTarget,
    NotificationRule)
from watchkeeper.tenancy.models import Client
alice = User.objects.create_user('alice@msp.example', password='Correct horse 2 hosts',
                                 full_name='Alice Oncall', role='technician', all_clients=True)
method = ContactMethod(user=alice, kind='email', label='Work', address_hint='alice')
method.address = 'alice@msp.example'  # encrypted at rest with the installation's key
method.save()
NotificationRule.objects.create(user=alice, urgency='high', contact_method=method, delay_minutes=0)
acme = Client.objects.get(slug='acme')
policy = EscalationPolicy.objects.create(name='On call', client=acme, is_default=True)
level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=600)
EscalationTarget.objects.create(level=level, kind='user', user=alice)
result = True
"""

STATE = """
from django.db.models import Count
from watchkeeper.alerts.models import Alert, InboxEvent
from watchkeeper.incidents.models import Incident
from watchkeeper.paging.models import OutboxMessage
result = {
    'pending': InboxEvent.objects.filter(status='pending').count(),
    'alerts': dict(Alert.objects.values_list('dedup_key').annotate(n=Count('id')).order_by()),
    'occurrences': dict(Alert.objects.values_list('dedup_key', 'occurrence_count')),
    'incidents': Incident.objects.count(),
    'pages': dict(OutboxMessage.objects.values_list('state').annotate(n=Count('id')).order_by()),
    'acknowledged': list(Incident.objects.filter(status='acknowledged').values_list('title', flat=True)),
}
"""


class Sink:
    """SMTP on loopback: every message's subject and text."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        with self.lock:
            self.messages.append((str(message["Subject"]), body.get_content() if body else ""))
        return "250 OK"

    def problems(self) -> Counter[str]:
        with self.lock:
            return Counter(
                m.group(0) for subject, _ in self.messages if (m := re.search(r"problem-\d+", subject))
            )

    def link(self, problem: str) -> str:
        with self.lock:
            for subject, text in self.messages:
                if re.search(rf"{problem}\b", subject):
                    return re.findall(r"Acknowledge: (\S+)", text)[0]
        raise AssertionError(f"no page for {problem}")


def _send(hosts: list[str], key: str, problems: range) -> None:
    with httpx.Client(timeout=10) as http:
        for _ in range(REPEATS):
            for n in problems:
                for host in hosts:
                    payload = {"summary": f"Disk full problem-{n}", "source": "db1", "severity": "critical"}
                    event = {"routing_key": key, "event_action": "trigger", "dedup_key": f"problem-{n}",
                             "payload": payload}  # fmt: skip
                    assert http.post(f"{host}/v2/enqueue", json=event).status_code == 202


def _wait_pages(sink: Sink, count: int, stacks: list[Stack]) -> None:
    deadline = time.monotonic() + 120
    while len(sink.problems()) < count:
        logs = "\n".join(stack.log("engine")[-1500:] for stack in stacks)
        assert time.monotonic() < deadline, f"{len(sink.problems())} of {count} pages: {logs}"
        time.sleep(0.2)


def _acknowledge(link: str, host: str) -> httpx.Response:
    """Open the link on `host` (GET shows the button) and press it (POST)."""
    path = re.sub(r"^https?://[^/]+", "", link)
    with httpx.Client(base_url=host, timeout=30) as http:
        page = http.get(path)
        assert page.status_code == 200, page.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        return http.post(path, data={"csrfmiddlewaretoken": token.group(1)}, headers={"Referer": host + path})


def test_two_hosts_share_one_installation(tmp_path: Path) -> None:
    sink, port = Sink(), free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        "WATCHKEEPER_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "WATCHKEEPER_EMAIL_FROM": "pager@watchkeeper.example",
        "WATCHKEEPER_SECRET_KEY": "",  # unset: the hosts must agree through the database
    }
    try:
        with (
            Stack(tmp_path / "a", database="postgres", env=env) as a,
            Stack(tmp_path / "b", env=env, share=a) as b,
        ):
            a.migrate()
            key = a.seed("pagerduty")["pagerduty"]
            a.python(WORLD)
            hosts = [a.start_web(), b.start_web()]
            for stack, host in zip((a, b), hosts, strict=True):
                stack.env["WATCHKEEPER_BASE_URL"] = host  # links name the host whose engine sent them
            # Phase 1: only host A's engine runs, so its pages carry host A's links.
            a.start_engine(wait=True)
            _send(hosts, key, range(PROBLEMS))
            _wait_pages(sink, PROBLEMS, [a, b])
            b.start_engine(wait=True)
            _send(hosts, key, range(PROBLEMS, 2 * PROBLEMS))
            _wait_pages(sink, 2 * PROBLEMS, [a, b])
            b.wait_drained()

            link = sink.link("problem-0")
            assert link.startswith(hosts[0] + "/")
            answer = _acknowledge(link, hosts[1])  # minted on A, used on B
            assert answer.status_code == 200, answer.text[:500]

            # A session signed in on A is signed in on B.
            with httpx.Client(base_url=hosts[0], timeout=30) as http:
                form = http.get("/accounts/login/")
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
                assert token, form.text[:500]
                signed_in = http.post(
                    "/accounts/login/",
                    data={"csrfmiddlewaretoken": token.group(1), "email": "alice@msp.example",
                          "password": "Correct horse 2 hosts"},
                    headers={"Referer": hosts[0] + "/accounts/login/"},
                )  # fmt: skip
                assert signed_in.status_code == 302, signed_in.text[:500]
                session = http.cookies["sessionid"]
            on_b = httpx.get(f"{hosts[1]}/incidents/", cookies={"sessionid": session}, timeout=30)
            assert on_b.status_code == 200, (on_b.status_code, on_b.headers.get("location"))
            assert "Alice Oncall" in on_b.text

            time.sleep(2)  # time for a duplicate page to show up, if there were one
            state = a.python(STATE)
    finally:
        smtp.stop()
    problems = [f"problem-{n}" for n in range(2 * PROBLEMS)]
    assert state["pending"] == 0
    assert state["alerts"] == dict.fromkeys(problems, 1), "each problem is one alert"
    assert state["occurrences"] == dict.fromkeys(problems, 2 * REPEATS), "every event counted once"
    assert state["incidents"] == 2 * PROBLEMS
    assert state["pages"] == {"sent": 2 * PROBLEMS}
    assert sink.problems() == dict.fromkeys(problems, 1), "each page reached the receiver once"
    assert state["acknowledged"] == ["Disk full problem-0"]
