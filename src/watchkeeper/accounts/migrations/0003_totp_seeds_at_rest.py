"""TOTP seeds move out of django-otp's plain-hex column into `TotpSeed`, encrypted (ADR 0025).

Reversible: going back writes each seed into `TOTPDevice.key` again.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django_otp.util import random_hex

from watchkeeper.core.crypto import secret_decrypt, secret_encrypt


def _seal(apps: Any, schema_editor: Any) -> None:
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    TotpSeed = apps.get_model("accounts", "TotpSeed")
    for device in TOTPDevice.objects.all().iterator():
        TotpSeed.objects.create(device_id=device.pk, seed_encrypted=secret_encrypt(device.key))
        TOTPDevice.objects.filter(pk=device.pk).update(key=random_hex(len(device.key) // 2))


def _unseal(apps: Any, schema_editor: Any) -> None:
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    TotpSeed = apps.get_model("accounts", "TotpSeed")
    for seed in TotpSeed.objects.all().iterator():
        TOTPDevice.objects.filter(pk=seed.device_id).update(key=secret_decrypt(seed.seed_encrypted))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="TotpSeed",
            fields=[
                (
                    "device",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="sealed_seed",
                        serialize=False,
                        to="otp_totp.totpdevice",
                    ),
                ),
                ("seed_encrypted", models.TextField()),
            ],
        ),
        migrations.CreateModel(
            name="SealedTOTPDevice",
            fields=[],
            options={
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(_seal, _unseal),
    ]
