"""System checks that `watchkeeper check` reports beside Django's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def mail_delivery(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        return [
            checks.Info(
                f"No WATCHKEEPER_SMTP_URL: outgoing mail is written to files in {settings.EMAIL_FILE_PATH}.",
                hint="Set WATCHKEEPER_SMTP_URL=smtp://user:pass@host:587?starttls=1 to send real mail.",
                id="watchkeeper.I001",
            )
        ]
    return []
