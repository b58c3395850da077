"""Load the default incident policy (default_policy.yaml) so a fresh database has one."""

from django.db import migrations

from watchkeeper.policy.documents import DEFAULT_POLICY_PATH
from watchkeeper.policy.storage import policy_document_store
from watchkeeper.policy.yamlio import policy_yaml_parse


def load_default_policy(apps, schema_editor):
    if apps.get_model("policy", "Policy").objects.exists():
        return
    document = policy_yaml_parse(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    # Historical models: this migration must keep working as the current models evolve.
    # If the policy's fields grow, load their defaults in a later data migration.
    policy_document_store(document, get_model=lambda name: apps.get_model("policy", name))


def remove_policy(apps, schema_editor):
    apps.get_model("policy", "Severity").objects.all().delete()
    apps.get_model("policy", "Policy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(load_default_policy, remove_policy)]
