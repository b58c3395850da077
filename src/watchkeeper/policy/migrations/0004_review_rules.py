from django.db import migrations, models

import watchkeeper.policy.models


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0003_client_reply"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="review_rules",
            field=models.JSONField(default=watchkeeper.policy.models.default_review_rules),
        ),
    ]
