"""Integration keys leave plain text: a lookup hash to find them, Fernet to show them (ADR 0025).

Reversible: going back decrypts the keys into the old columns. A previous key whose grace
period has ended is not needed any more and is dropped either way.
"""

from typing import Any

from django.db import migrations, models

from watchkeeper.core.crypto import SecretUnreadable, lookup_hash, secret_decrypt, secret_encrypt


def _hide(apps: Any, schema_editor: Any) -> None:
    Integration = apps.get_model("alerts", "Integration")
    for row in Integration.objects.all().iterator():
        row.key_hash, row.key_encrypted = lookup_hash(row.key), secret_encrypt(row.key)
        if row.previous_key:
            row.previous_key_hash = lookup_hash(row.previous_key)
            row.previous_key_encrypted = secret_encrypt(row.previous_key)
        row.save(update_fields=["key_hash", "key_encrypted", "previous_key_hash", "previous_key_encrypted"])


def _show(apps: Any, schema_editor: Any) -> None:
    Integration = apps.get_model("alerts", "Integration")
    for row in Integration.objects.all().iterator():
        try:
            row.key = secret_decrypt(row.key_encrypted)
            row.previous_key = (
                secret_decrypt(row.previous_key_encrypted) if row.previous_key_encrypted else None
            )
        except SecretUnreadable:
            raise RuntimeError(
                f"Integration {row.pk}'s key cannot be decrypted with this installation's keys; "
                "set WATCHKEEPER_ENCRYPTION_KEYS to the keys it was stored under."
            ) from None
        row.save(update_fields=["key", "previous_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_inbox_request_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="integration", name="key_hash", field=models.CharField(max_length=64, null=True)
        ),
        migrations.AddField(
            model_name="integration", name="key_encrypted", field=models.TextField(default="")
        ),
        migrations.AddField(
            model_name="integration",
            name="previous_key_hash",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="integration",
            name="previous_key_encrypted",
            field=models.TextField(blank=True, default=""),
        ),
        # Without its unique default first, so that going back can re-add the column empty.
        migrations.AlterField(
            model_name="integration", name="key", field=models.CharField(max_length=32, null=True)
        ),
        migrations.RunPython(_hide, _show),
        migrations.RemoveField(model_name="integration", name="key"),
        migrations.RemoveField(model_name="integration", name="previous_key"),
        migrations.AlterField(
            model_name="integration", name="key_hash", field=models.CharField(max_length=64, unique=True)
        ),
        migrations.AlterField(model_name="integration", name="key_encrypted", field=models.TextField()),
        migrations.AlterField(
            model_name="integration",
            name="previous_key_hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="integration", name="previous_key_encrypted", field=models.TextField(blank=True)
        ),
    ]
