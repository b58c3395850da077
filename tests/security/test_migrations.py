"""The data migrations of ADR 0025 convert existing rows and can be undone."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from watchkeeper.core.crypto import lookup_hash, secret_decrypt

# Transactional (the migration executor commits); like every transactional test it restores the
# migrated database at set-up (serialized rollback, see tests/conftest.py), which it changes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [
    ("alerts", "0003_inbox_request_id"),
    ("accounts", "0002_initial"),
    ("otp_totp", "0003_add_timestamps"),
]
AFTER = [
    ("alerts", "0004_integration_keys_at_rest"),
    ("accounts", "0003_totp_seeds_at_rest"),
    ("otp_totp", "0003_add_timestamps"),
]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_keys_and_seeds_are_sealed_and_unsealed() -> None:
    apps = _migrate(BEFORE)
    Client = apps.get_model("tenancy", "Client")
    Service = apps.get_model("tenancy", "Service")
    User = apps.get_model("accounts", "User")
    Integration = apps.get_model("alerts", "Integration")
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    client = Client.objects.create(name="Alpha", slug="alpha")
    service = Service.objects.create(client=client, name="Server")
    key, old = "k" * 32, "p" * 32
    Integration.objects.create(
        client=client, name="PD", type="pagerduty", key=key, previous_key=old, default_service=service
    )
    user = User.objects.create(email="tech@msp.example", role="technician")
    seed = "0123456789abcdef0123456789abcdef01234567"
    TOTPDevice.objects.create(user=user, name="phone", key=seed)

    apps = _migrate(AFTER)
    row = apps.get_model("alerts", "Integration").objects.get()
    assert row.key_hash == lookup_hash(key) and secret_decrypt(row.key_encrypted) == key
    assert row.previous_key_hash == lookup_hash(old)
    device = apps.get_model("otp_totp", "TOTPDevice").objects.get()
    assert device.key != seed and len(device.key) == len(seed)
    assert secret_decrypt(apps.get_model("accounts", "TotpSeed").objects.get().seed_encrypted) == seed

    apps = _migrate(BEFORE)
    row = apps.get_model("alerts", "Integration").objects.get()
    assert (row.key, row.previous_key) == (key, old)
    assert apps.get_model("otp_totp", "TOTPDevice").objects.get().key == seed
    _migrate(AFTER)
