"""Secrets in the wrong places (issue 12, item 11): integration keys in payloads, addresses and
columns; versioned encryption keys and their rotation; the SMTP password on a new host."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient

from tests.accounts.factories import UserFactory
from tests.alerts.factories import IntegrationFactory
from watchkeeper.accounts.models import Role, SealedTOTPDevice, TotpSeed
from watchkeeper.alerts.models import Alert, InboxEvent, Integration
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.intake import integration_cache_clear, integration_for_key
from watchkeeper.alerts.services.integrations import integration_rotate_key
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.alerts.sources.email import smtp
from watchkeeper.core import crypto
from watchkeeper.mail.models import MailSettings
from watchkeeper.mail.services import mail_settings_save

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()
    integration_cache_clear()


def _trigger(integration: Integration) -> None:
    body = {
        "routing_key": integration.key, "event_action": "trigger", "dedup_key": "db01/disk",
        "payload": {"summary": "Disk full", "source": "db01", "severity": "critical",
                    "custom_details": {"note": f"sent with {integration.key}"}},
    }  # fmt: skip
    response = HttpClient().post("/v2/enqueue", body, content_type="application/json")
    assert response.status_code == 202


def test_pagerduty_routing_key_is_not_stored_nor_shown(world: Any, api_as: Any) -> None:
    integration = IntegrationFactory(default_service=world.a.service, type="pagerduty")
    _trigger(integration)
    assert inbox_process() == 1
    alert = Alert.objects.get(integration=integration)
    assert integration.key not in json.dumps(alert.raw)
    assert alert.raw["routing_key"] == "[redacted]"
    # The inbox row keeps the body as sent, minus its credential, once the engine is done with it.
    stored = InboxEvent.objects.get(integration=integration).payload
    assert "routing_key" not in stored and stored["dedup_key"] == "db01/disk"
    reader = api_as(world.a.technician, scopes=["read"])
    body = reader.get(f"/api/v1/alerts/{alert.pk}").content.decode()
    assert integration.key not in body
    page = HttpClient()
    page.force_login(world.a.technician)
    assert integration.key not in page.get(f"/alerts/{alert.pk}/").content.decode()


def test_alerts_stored_before_the_fix_are_shown_without_the_key(world: Any, api_as: Any) -> None:
    alert = world.a.alert
    key = world.a.integration.key
    Alert.objects.filter(pk=alert.pk).update(
        raw={"routing_key": key, "payload": {"summary": "x"}}, details={"to": f"{key}@mail.example"}
    )
    body = api_as(world.a.technician, scopes=["read"]).get(f"/api/v1/alerts/{alert.pk}").json()
    assert key not in json.dumps(body)
    assert body["details"]["to"] == "[redacted]@mail.example"


def test_email_alerts_do_not_keep_the_key_address(world: Any) -> None:
    integration = IntegrationFactory(default_service=world.a.service, type="email")
    message = b"Subject: PROBLEM disk full\r\n\r\nThe disk is full"
    smtp.email_accept(message=message, routes=[(f"{integration.key}@mail.example", integration)])
    inbox_process()
    alert = Alert.objects.get(integration=integration)
    assert integration.key not in json.dumps([alert.raw, alert.details])
    assert alert.details["to"] == f"{integration.key[:4]}…@mail.example"


def test_integration_keys_are_not_stored_in_plain_text(world: Any) -> None:
    integration = world.a.integration
    key = integration.key
    with connection.cursor() as cursor:
        table = Integration._meta.db_table
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [integration.pk])  # noqa: S608 - our own table
        row = cursor.fetchone()
    assert key not in json.dumps(row, default=str)
    assert Integration.objects.get(pk=integration.pk).key == key  # shown again to managers
    assert integration_for_key(key) == integration


def test_a_rotated_key_keeps_working_through_its_grace(world: Any) -> None:
    old = world.a.integration.key
    rotated = integration_rotate_key(actor="cli", integration=world.a.integration)
    integration_cache_clear()
    assert integration_for_key(old) == rotated
    assert integration_for_key(rotated.key) == rotated
    assert Integration.objects.get(pk=rotated.pk).previous_key == old


def test_encryption_keys_are_versioned_and_rotate(settings: Any) -> None:
    old = crypto.secret_encrypt("relay-password")  # under the key derived from the secret key
    settings.ENCRYPTION_KEYS = ["newest-key-material", "older-key-material"]
    assert crypto.secret_decrypt(old) == "relay-password"
    rotated = crypto.secret_reencrypt(old)
    assert crypto.secret_decrypt(rotated) == "relay-password"
    settings.ENCRYPTION_KEYS = ["newest-key-material"]
    settings.SECRET_KEY = "a-new-secret-key-" * 3
    assert crypto.secret_decrypt(rotated) == "relay-password"
    with pytest.raises(crypto.SecretUnreadable):
        crypto.secret_decrypt(old)


def test_smtp_password_is_cleared_when_host_or_user_changes(settings: Any) -> None:
    settings.SMTP_FROM_ENVIRONMENT = False
    admin = UserFactory(role=Role.ADMIN)
    server = {"host": "smtp.example.net", "port": 587, "security": "starttls", "username": "relay",
              "from_address": "pager@example.net"}  # fmt: skip
    mail_settings_save(actor=admin, password="relay-Secret-1", **server)
    mail_settings_save(actor=admin, **{**server, "host": "smtp.attacker.example"})
    assert not MailSettings.objects.get().password_is_set
    mail_settings_save(actor=admin, password="relay-Secret-1", **server)
    mail_settings_save(actor=admin, **{**server, "username": "other"})
    assert not MailSettings.objects.get().password_is_set
    # A new password in the same save is kept, and an unchanged host keeps the stored one.
    mail_settings_save(actor=admin, password="new-Secret-2", **{**server, "host": "smtp2.example.net"})
    mail_settings_save(actor=admin, **{**server, "host": "smtp2.example.net", "port": 2587})
    assert MailSettings.objects.get().password == "new-Secret-2"


def test_totp_seeds_are_encrypted_at_rest() -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory(role=Role.TECHNICIAN)
    http = HttpClient()
    http.force_login(user)
    page = http.get("/accounts/two-factor/").content.decode()
    device = SealedTOTPDevice.objects.get(user=user)
    seed = device.bin_key.hex()
    stored = TOTPDevice.objects.get(pk=device.pk).key
    assert stored != seed, "django-otp's column holds a decoy, not the seed"
    assert seed not in TotpSeed.objects.get(device=device).seed_encrypted
    assert base64.b32encode(bytes.fromhex(seed)).decode() in page  # shown once, for the app
    # Codes of the decoy do not verify; codes of the seed do.
    decoy = totp(bytes.fromhex(stored), step=device.step, t0=device.t0, digits=device.digits)
    assert not device.verify_token(f"{decoy:06d}")
    device.throttle_reset()
    good = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    assert http.post("/accounts/two-factor/", {"token": f"{good:06d}"}).status_code == 302


def test_secrets_rotate_moves_every_encrypted_column_to_the_newest_key(
    world: Any, settings: Any, capsys: Any
) -> None:
    from watchkeeper.cli import main
    from watchkeeper.paging.models import ContactMethod

    settings.SMTP_FROM_ENVIRONMENT = False
    mail_settings_save(
        actor=world.owner, host="smtp.example.net", port=587, security="starttls", username="relay",
        from_address="pager@example.net", password="relay-Secret-1",
    )  # fmt: skip
    method = ContactMethod(user=world.owner, kind="email", label="Work", address_hint="o…")
    method.address = "owner@msp.example"
    method.save()
    key = world.a.integration.key
    settings.ENCRYPTION_KEYS = ["newest-key-material"]
    assert main(["secrets", "rotate"]) == 0
    assert "Re-encrypted" in capsys.readouterr().out
    # The secret key (and with it the derived key every secret started under) may now change.
    settings.SECRET_KEY = "another-secret-key-" * 3
    assert MailSettings.objects.get().password == "relay-Secret-1"
    assert ContactMethod.objects.get(pk=method.pk).address == "owner@msp.example"
    assert Integration.objects.get(pk=world.a.integration.pk).key == key
    integration_cache_clear()
    assert integration_for_key(key) == world.a.integration  # lookup does not depend on it


def test_secrets_rotate_lists_what_no_key_can_read(world: Any, settings: Any, capsys: Any) -> None:
    from watchkeeper.cli import main

    settings.SECRET_KEY = "a-different-secret-key-" * 3  # the world's keys were sealed under the old one
    assert main(["secrets", "rotate"]) == 1
    assert "alerts.Integration" in capsys.readouterr().err
