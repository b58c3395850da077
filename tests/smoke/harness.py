"""The scenario harness (GoAlert's smoke tests are the model): build a world, `fast_forward()`,
`run_engine()`, `expect_message()`; any message nobody expected fails the test at teardown.

Delivery goes through the real code: e-mail over SMTP into an aiosmtpd server on loopback,
Apprise `json://` contact methods into an HTTP receiver on loopback. Events come in through
the real code too: `post_pagerduty()` and `post_alertmanager()` call the WSGI application that
`watchkeeper web` serves, and `open_link()` does what a browser does with a link in a page.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.accounts.factories import UserFactory
from tests.smoke.web import Browser, Reply, wsgi_post
from tests.tenancy.factories import ClientFactory, ServiceFactory
from watchkeeper.accounts.models import Role, User
from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.services.integrations import integration_create
from watchkeeper.core import clock
from watchkeeper.engine.loop import run_cycle
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.services import incident_open
from watchkeeper.paging.models import (
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    NotificationRule,
    TargetKind,
)


@dataclass
class Message:
    channel: str  # "email" or "webhook"
    to: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.subject!r}"

    def links(self) -> dict[str, str]:
        """A page's one-click links by their action ("Acknowledge", "Resolve"), as full URLs."""
        return dict(re.findall(r"^\s*(\w+): (https?://\S+/paging/respond/\S+/)$", self.body, re.MULTILINE))


class Recorder:
    """Every message that reached a fake provider, in arrival order, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Message] = []
        # SMTP codes to answer for a recipient instead of 250 (e.g. 550: the mailbox is gone).
        self.refuse: dict[str, int] = {}
        self.http_status = 200

    def add(self, message: Message) -> None:
        with self.lock:
            self.messages.append(message)


class SmtpHandler:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        code = self.recorder.refuse.get(address.lower())
        if code:
            return f"{code} {'mailbox unavailable' if code >= 500 else 'try again later'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content or b"", policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        for rcpt in envelope.rcpt_tos:
            self.recorder.add(
                Message(
                    "email",
                    rcpt.lower(),
                    str(parsed["Subject"]),
                    text,
                    {k: str(v) for k, v in parsed.items()},
                )
            )
        return "250 Message accepted for delivery"


class _HttpHandler(BaseHTTPRequestHandler):
    recorder: Recorder

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length) or b"{}")
        status = self.recorder.http_status
        if status == 200:
            self.recorder.add(
                Message(
                    "webhook",
                    self.path,
                    payload.get("title", ""),
                    payload.get("message", ""),
                    dict(self.headers),
                )
            )
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sinks:
    """An SMTP server and an HTTP receiver on loopback sharing one recorder."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.smtp = Controller(SmtpHandler(self.recorder), hostname="127.0.0.1", port=free_port())
        handler = type("Handler", (_HttpHandler,), {"recorder": self.recorder})
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._http_thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def start(self) -> None:
        self.smtp.start()
        self._http_thread.start()

    def stop(self) -> None:
        self.smtp.stop()
        self.http.shutdown()
        self.http.server_close()

    @property
    def smtp_port(self) -> int:
        return int(self.smtp.port)

    @property
    def http_url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"json://{host!s}:{port}"


class Scenario:
    """The world of one story and the verbs it is told in."""

    def __init__(self, sinks: Sinks, start: dt.datetime) -> None:
        self.sinks = sinks
        self.seen = 0  # messages already matched or reported
        self.unmatched: list[Message] = []
        clock.freeze(start)
        self.client = ClientFactory(name="Acme Dental", slug="acme")
        self.service = ServiceFactory(client=self.client, name="Practice server")

    # ----- building the world
    def user(self, name: str, *, methods: list[tuple[str, str, int]] | None = None, **fields: Any) -> User:
        """A technician; `methods` are (kind, address, delay minutes) high-urgency rules. An address
        "webhook:<path>" is an Apprise json:// URL into the HTTP receiver."""
        email = f"{name.lower()}@msp.example"
        user = UserFactory(email=email, full_name=name, role=Role.TECHNICIAN, all_clients=True, **fields)
        for kind, address, delay in [("email", email, 0)] if methods is None else methods:
            self.contact(user, kind, address, delay=delay)
        return user

    def contact(
        self, user: User, kind: str, address: str, *, delay: int = 0, throttle: int = 0
    ) -> ContactMethod:
        if address.startswith("webhook:"):
            address = f"{self.sinks.http_url}/{address.removeprefix('webhook:')}"
        method = ContactMethod(
            user=user, kind=kind, label=f"{kind} {address[:30]}", throttle_per_15_minutes=throttle
        )
        method.address = address
        method.address_hint = address[:60]
        method.save()
        NotificationRule.objects.get_or_create(
            user=user, urgency="high", contact_method=method, delay_minutes=delay
        )
        return method

    def policy(
        self, *levels: tuple[int, list[Any]], repeat: int = 0, name: str = "Acme on call"
    ) -> EscalationPolicy:
        """Levels as (delay minutes, [users or (kind, team)]); the client's default."""
        policy = EscalationPolicy.objects.create(
            name=name, client=self.client, is_default=True, repeat=repeat
        )
        for position, (delay, targets) in enumerate(levels):
            level = EscalationLevel.objects.create(policy=policy, position=position, delay_minutes=delay)
            for target in targets:
                if isinstance(target, User):
                    EscalationTarget.objects.create(level=level, kind=TargetKind.USER, user=target)
                else:
                    kind, team = target
                    EscalationTarget.objects.create(level=level, kind=kind, team=team)
        return policy

    def incident(self, title: str = "Practice server unreachable", *, urgency: str = "high") -> Incident:
        return incident_open(
            client=self.client,
            service=self.service,
            title=title,
            impact="high",
            urgency=urgency,
            by="monitoring",
        )

    def integration(self, type: str) -> Integration:
        """An integration of `type` ("pagerduty", "alertmanager") feeding the story's service."""
        return integration_create(
            actor="test", client=self.client, type=type, name=f"Acme {type}", service=self.service
        )

    # ----- events at the real intake endpoints
    def post_pagerduty(
        self,
        integration: Integration,
        action: str = "trigger",
        *,
        dedup_key: str,
        summary: str = "DISK at 99% on db01",
        severity: str = "critical",
    ) -> Reply:
        """One PagerDuty Events API v2 event to POST /v2/enqueue, as a PagerDuty client sends it."""
        event: dict[str, Any] = {
            "routing_key": integration.key, "event_action": action, "dedup_key": dedup_key,
        }  # fmt: skip
        if action == "trigger":
            event["payload"] = {"summary": summary, "source": "db01.acme.example", "severity": severity}
        return wsgi_post("/v2/enqueue", event)

    def post_alertmanager(
        self, integration: Integration, *, group: str, alerts: list[dict[str, Any]]
    ) -> Reply:
        """One Alertmanager notification (webhook_config v4) of the group `group` (its alertname)
        to POST /integrations/alertmanager/<key>. `alerts` are (at least) status, labels and
        fingerprint; the group is resolved when every alert in it is, as Alertmanager says."""
        firing = any(alert["status"] == "firing" for alert in alerts)
        body = {
            "version": "4", "groupKey": f'{{}}:{{alertname="{group}"}}', "truncatedAlerts": 0,
            "status": "firing" if firing else "resolved", "receiver": "watchkeeper",
            "groupLabels": {"alertname": group}, "commonLabels": {"alertname": group},
            "commonAnnotations": {}, "externalURL": "http://alertmanager.acme.example:9093",
            "alerts": [
                {"labels": {"alertname": group}, "annotations": {}, "startsAt": "2026-03-02T08:59:30Z",
                 "endsAt": "0001-01-01T00:00:00Z", **alert}
                for alert in alerts
            ],
        }  # fmt: skip
        return wsgi_post(f"/integrations/alertmanager/{integration.key}", body)

    def open_link(self, url: str) -> Browser:
        """A browser that has opened `url` (from a message) and shows its page."""
        return Browser.open(url)

    # ----- time and the engine
    def fast_forward(self, *, minutes: float = 0, seconds: float = 0) -> None:
        clock.advance(dt.timedelta(minutes=minutes, seconds=seconds))

    def run_engine(self, *, max_cycles: int = 50) -> int:
        """Engine cycles until one finds nothing to do; returns the work done."""
        total = 0
        for _ in range(max_cycles):
            done = run_cycle()
            total += done
            if not done:
                return total
        raise AssertionError(f"the engine was still busy after {max_cycles} cycles")

    # ----- what went out
    def _new(self) -> list[Message]:
        with self.sinks.recorder.lock:
            fresh = self.sinks.recorder.messages[self.seen :]
            self.seen = len(self.sinks.recorder.messages)
        self.unmatched.extend(fresh)
        return self.unmatched

    def expect_message(self, *, to: str, containing: str = "") -> Message:
        """The one message to `to` that contains `containing` (subject or body); consumed."""
        pending = self._new()
        for message in pending:
            if message.to.lower() == to.lower() and containing in f"{message.subject}\n{message.body}":
                pending.remove(message)
                return message
        raise AssertionError(
            f"no message to {to} containing {containing!r}; unmatched: {[str(m) for m in pending] or 'none'}"
        )

    def expect_no_messages(self) -> None:
        pending = self._new()
        assert not pending, f"unexpected messages: {[str(m) for m in pending]}"
