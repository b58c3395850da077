"""Saving the console's outgoing-mail settings: validation, the password at rest, audit, who may,
and the environment's precedence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.mail.conftest import console_server
from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core.errors import Conflict, Forbidden, InvalidInput
from watchkeeper.mail.models import MailSettings
from watchkeeper.mail.selectors import CONSOLE, ENVIRONMENT, FILES, mail_setup_current
from watchkeeper.mail.services import mail_settings_save

pytestmark = pytest.mark.django_db

GOOD = {
    "host": "smtp.example.net", "port": 587, "security": "starttls", "username": "relay",
    "from_address": "Watchkeeper <pager@example.net>",
}  # fmt: skip


@pytest.fixture
def admin(no_env_smtp: Any) -> Any:
    return UserFactory(role=Role.ADMIN, email="admin@msp.example")


def test_saving_stores_the_password_encrypted_and_audits_without_it(admin: Any) -> None:
    row = mail_settings_save(actor=admin, password="s3cret-Relay", **GOOD)
    stored = MailSettings.objects.get()
    assert "s3cret" not in stored.password_encrypted
    assert stored.password == "s3cret-Relay"
    assert (row.host, row.updated_by) == ("smtp.example.net", admin)
    entry = AuditEntry.objects.get(action="mail_settings.update")
    assert entry.after["password"] == "set"
    assert entry.before["password"] == "not set"
    assert "s3cret" not in str(entry.before) + str(entry.after)
    setup = mail_setup_current()
    assert setup.source == CONSOLE
    assert (setup.server.host, setup.server.password) == ("smtp.example.net", "s3cret-Relay")  # type: ignore[union-attr]
    assert setup.from_address == "Watchkeeper <pager@example.net>"


def test_an_empty_password_keeps_the_stored_one_and_clear_removes_it(admin: Any) -> None:
    mail_settings_save(actor=admin, password="first-Secret", **GOOD)
    mail_settings_save(actor=admin, password="", **{**GOOD, "port": 2587})
    assert MailSettings.objects.get().password == "first-Secret"
    mail_settings_save(actor=admin, password="second-Secret", **GOOD)
    assert MailSettings.objects.get().password == "second-Secret"
    mail_settings_save(actor=admin, password_clear=True, **{**GOOD, "username": ""})
    assert not MailSettings.objects.get().password_is_set


def test_an_empty_host_means_no_server(admin: Any) -> None:
    mail_settings_save(actor=admin, **GOOD)
    mail_settings_save(actor=admin, **{**GOOD, "host": "", "from_address": ""})
    assert mail_setup_current().source == FILES


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"host": "smtp://smtp.example.net"}, "host", "only the server's host name"),
        ({"host": "smtp.example.net:587"}, "host", "port in its own field"),
        ({"host": "bad host!"}, "host", "is not a host name or IP address"),
        ({"port": 0}, "port", "from 1 to 65535"),
        ({"port": 70000}, "port", "from 1 to 65535"),
        ({"security": "ssl3"}, "security", "Security is one of"),
        ({"from_address": ""}, "from_address", "Enter the address mail is sent from"),
        ({"from_address": "pager at example"}, "from_address", "is not a valid e-mail address"),
        ({"from_address": "a@example.net\r\nBcc: x@evil.example"}, "from_address", "not a valid"),
        ({"username": ""}, "username", "A password needs a user name"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_saved(
    admin: Any, change: dict[str, Any], field: str, words: str
) -> None:
    console_server(2525)
    before = list(MailSettings.objects.values())
    with pytest.raises(InvalidInput) as refused:
        mail_settings_save(actor=admin, password="pw-Secret-1", **{**GOOD, **change})
    assert refused.value.field == field
    assert words in refused.value.message
    assert list(MailSettings.objects.values()) == before
    assert not AuditEntry.objects.filter(action="mail_settings.update").exists()


def test_ip_addresses_are_hosts_too(admin: Any) -> None:
    assert mail_settings_save(actor=admin, **{**GOOD, "host": "[2001:db8::25]"}).host == "2001:db8::25"
    assert mail_settings_save(actor=admin, **{**GOOD, "host": "10.0.0.25"}).host == "10.0.0.25"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.TECHNICIAN, Role.CLIENT_ADMIN, Role.CLIENT_USER])
def test_only_owners_and_admins_may(no_env_smtp: Any, world: Any, role: str) -> None:
    user = UserFactory(role=role, client=world.a.client if role.startswith("client") else None)
    with pytest.raises(Forbidden):
        mail_settings_save(actor=user, **GOOD)
    assert not MailSettings.objects.exists()


def test_while_the_environment_decides_the_console_cannot_change(admin: Any, settings: Any) -> None:
    console_server(2525)
    settings.SMTP_FROM_ENVIRONMENT = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "mail.env.example", 465
    settings.EMAIL_USE_SSL, settings.EMAIL_USE_TLS = True, False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "env-user", "env-pass"
    setup = mail_setup_current()
    assert setup.source == ENVIRONMENT
    assert (setup.server.host, setup.server.port, setup.server.security) == ("mail.env.example", 465, "tls")  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="WATCHKEEPER_SMTP_URL is set"):
        mail_settings_save(actor=admin, **GOOD)
    assert MailSettings.objects.get().port == 2525
