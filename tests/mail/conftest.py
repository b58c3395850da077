"""Fixtures of outgoing mail: an SMTP server on loopback that wants a login, and the console's
settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.smoke.harness import Recorder, SmtpHandler, free_port
from watchkeeper.mail.models import MailSettings

LOGIN, SECRET = "watchkeeper", "relay-Secret-1"


class AuthSink:
    """Accepts mail only after AUTH as LOGIN/SECRET (without TLS: loopback only)."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.logins: list[str] = []
        self.controller = Controller(
            SmtpHandler(self.recorder), hostname="127.0.0.1", port=free_port(),
            authenticator=self._authenticate, auth_required=True, auth_require_tls=False,
        )  # fmt: skip

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            LOGIN.encode(),
            SECRET.encode(),
        )
        self.logins.append(f"{data.login.decode()}:{'ok' if ok else 'refused'}")
        return AuthResult(success=ok, handled=False)

    @property
    def port(self) -> int:
        return int(self.controller.port)


@pytest.fixture
def auth_sink() -> Iterator[AuthSink]:
    sink = AuthSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def no_env_smtp(settings: Any) -> Any:
    """WATCHKEEPER_SMTP_URL unset: the console decides."""
    settings.SMTP_FROM_ENVIRONMENT = False
    settings.EMAIL_BACKEND = "watchkeeper.mail.backend.EmailBackend"  # not the tests' locmem
    return settings


def console_server(port: int, *, password: str = SECRET, **fields: Any) -> MailSettings:
    """The console's settings: this loopback port, plain SMTP, logging in as LOGIN."""
    values = {
        "host": "127.0.0.1",
        "security": "none",
        "username": LOGIN,
        "from_address": "pager@watchkeeper.example",
    }
    row = MailSettings(pk=1, port=port, **{**values, **fields})
    row.password = password
    row.save()
    return row
