"""The smtp role: mail to `<integration key>@<INBOUND_EMAIL_DOMAIN>` becomes inbox rows.

Invariant: the 250 after DATA is sent only once the message's rows are committed, so an
accepted message survives any crash; anything short of that answers 4xx and the sending
server retries. Unknown recipients are refused at RCPT time (550), so this is never a relay.

aiosmtpd runs the protocol on an asyncio loop; the Django ORM is synchronous, so every
database call goes through `sync_to_async` (one shared worker thread, one connection).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections, transaction

from watchkeeper.alerts.models import InboxEvent, Integration, IntegrationType
from watchkeeper.alerts.ratelimit import default_rate, limiter
from watchkeeper.alerts.redact import address_mask
from watchkeeper.alerts.services.intake import inbox_add, integration_for_key
from watchkeeper.alerts.sources.email.parse import email_payload
from watchkeeper.core.errors import WatchkeeperError

log = logging.getLogger("watchkeeper.smtp")

P = ParamSpec("P")
R = TypeVar("R")
Route = tuple[str, Integration]  # a recipient address and the integration it names
DRAIN_SECONDS = 10.0  # how long a stop waits for messages being written

# Other apps' reply addresses, by local-part prefix (e.g. "page-" for replies to pages):
# handler(local_part=..., message=...) acts on the message and raises WatchkeeperError to
# refuse it. Installed by the process that runs the smtp role (the CLI), since alert intake
# does not import the apps above it.
ReplyHandler = Callable[..., None]
REPLY_HANDLERS: dict[str, ReplyHandler] = {}


def _db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Run `func` in the ORM's thread, with connections checked before and after as a
    request would (a PostgreSQL connection that died or aged out is replaced)."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=True)


def _clean(value: str) -> str:
    # Lone surrogates (undecodable header bytes) and NUL are refused by PostgreSQL's jsonb.
    return value.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "")


def email_accept(*, message: bytes, routes: Sequence[Route]) -> list[InboxEvent]:
    """One inbox row per recipient integration, all committed together or none."""
    payload = {name: _clean(value) for name, value in email_payload(message, to="").items()}
    with transaction.atomic():
        return [
            inbox_add(
                integration=integration,
                kind="email",
                payload={**payload, "to": address_mask(_clean(address))},
            )
            for address, integration in routes
        ]


class IntakeHandler:
    """aiosmtpd handler hooks. Recipients of one envelope are remembered until its DATA."""

    def __init__(self, *, domain: str, max_bytes: int) -> None:
        self.domain = domain.lower()
        self.max_bytes = max_bytes
        self.busy = 0  # messages being written now; a stop waits for them
        self._routes: weakref.WeakKeyDictionary[Envelope, dict[int, Route]] = weakref.WeakKeyDictionary()
        self._replies: weakref.WeakKeyDictionary[Envelope, list[tuple[str, ReplyHandler]]] = (
            weakref.WeakKeyDictionary()
        )

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        local, _, domain = address.rpartition("@")
        if not local or domain.lower() != self.domain:
            return f"550 5.1.2 <{address}>: this server takes mail only for <integration key>@{self.domain}"
        for prefix, reply_handler in REPLY_HANDLERS.items():
            if local.lower().startswith(prefix):
                self._replies.setdefault(envelope, []).append((local, reply_handler))
                envelope.rcpt_tos.append(address)
                return "250 2.1.5 Recipient OK"
        try:
            integration = await _db(integration_for_key)(local.lower(), type=IntegrationType.EMAIL)
        except Exception:
            log.exception("looking up the recipient %s failed", address)
            return "451 4.3.0 Temporary failure looking up the recipient; try again later"
        if integration is None:
            return (
                f"550 5.1.1 <{address}>: no enabled e-mail integration has this address; "
                "copy the address from the integration's page in Watchkeeper"
            )
        rate = float(integration.rate_limit_per_second or default_rate())
        if limiter.allow(integration.key, rate=rate) > 0:
            return "451 4.7.1 Too many messages for this integration; try again later"
        # Two addresses of one integration (its key and its previous key) make one row.
        self._routes.setdefault(envelope, {}).setdefault(integration.pk, (address, integration))
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        routes = list(self._routes.pop(envelope, {}).values())
        replies = self._replies.pop(envelope, [])
        if not routes and not replies:
            return "554 5.5.1 No valid recipients"
        content = envelope.original_content or b""
        if len(content) > self.max_bytes:  # aiosmtpd enforces the limit too; this is the backstop
            return f"552 5.3.4 The message is larger than {self.max_bytes} bytes"
        if replies:
            answer = await self._reply(replies, content)
            if not routes:
                return answer
        self.busy += 1
        try:
            rows = await _db(email_accept)(message=content, routes=routes)
        except Exception:
            log.exception("storing a message for %s failed", ", ".join(a for a, _ in routes))
            return "451 4.3.0 Temporary failure storing the message; try again later"
        finally:
            self.busy -= 1
        log.debug("accepted a message for %s as inbox rows %s", envelope.rcpt_tos, [row.pk for row in rows])
        return "250 2.0.0 Message accepted for alert intake"

    async def _reply(self, replies: list[tuple[str, ReplyHandler]], content: bytes) -> str:
        for local, reply_handler in replies:
            try:
                await _db(reply_handler)(local_part=local, message=content)
            except WatchkeeperError as exc:
                return f"550 5.7.1 {exc.message}"
            except Exception:
                log.exception("handling a reply to %s failed", local)
                return "451 4.3.0 Temporary failure handling the reply; try again later"
        return "250 2.0.0 Reply received"


def smtp_serve(
    *, host: str, port: int, stop: threading.Event, on_ready: Callable[[str, int], None] | None = None
) -> None:
    """Run the smtp role until `stop` is set. `on_ready` gets the bound address (port 0 picks
    a free one). Raises OSError when the address cannot be bound."""
    # aiosmtpd logs every connection and command at INFO; keep its warnings only.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    asyncio.run(_serve(host=host, port=port, stop=stop, on_ready=on_ready))


async def _serve(
    *, host: str, port: int, stop: threading.Event, on_ready: Callable[[str, int], None] | None
) -> None:
    loop = asyncio.get_running_loop()
    handler = IntakeHandler(domain=settings.INBOUND_EMAIL_DOMAIN, max_bytes=settings.INBOUND_EMAIL_MAX_BYTES)

    def protocol() -> SMTP:
        # hostname given: otherwise aiosmtpd resolves this host's FQDN for every connection.
        return SMTP(
            handler, data_size_limit=handler.max_bytes, enable_SMTPUTF8=True,
            hostname=handler.domain, ident="Watchkeeper alert intake", loop=loop,
        )  # fmt: skip

    server = await loop.create_server(protocol, host=host, port=port)
    bound: Any = server.sockets[0].getsockname()
    if on_ready is not None:
        on_ready(str(bound[0]), int(bound[1]))
    try:
        while not stop.is_set():
            await asyncio.sleep(0.2)
    finally:
        server.close()  # no new connections; messages being written get DRAIN_SECONDS
        deadline = time.monotonic() + DRAIN_SECONDS
        while handler.busy and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await _db(connections.close_all)()
