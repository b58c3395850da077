"""System checks that `watchkeeper check` reports beside Django's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from watchkeeper.core import netguard


@checks.register(checks.Tags.compatibility)
def mail_delivery(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if not getattr(settings, "SMTP_FROM_ENVIRONMENT", False):
        return [
            checks.Info(
                "No WATCHKEEPER_SMTP_URL: outgoing mail goes through the server an admin sets in the "
                f"console (Outgoing mail), or is written to files in {settings.EMAIL_FILE_PATH} until then.",
                hint="Set it there, or set WATCHKEEPER_SMTP_URL=smtp://user:pass@host:587?starttls=1.",
                id="watchkeeper.I001",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def outbound_allowlist(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """An entry of WATCHKEEPER_OUTBOUND_ALLOW that is neither a CIDR nor a host name allows
    nothing; say so instead of leaving the operator to wonder why pages still fail. A warning,
    not an error: the guard fails closed, so starting (and migrating) stays safe."""
    return [
        checks.Warning(
            f"WATCHKEEPER_OUTBOUND_ALLOW entry {entry!r} is neither a CIDR nor a host name.",
            hint="Use CIDRs (10.20.0.0/16, 127.0.0.1) or host names (hooks.internal, .corp.example).",
            id="watchkeeper.W001",
        )
        for entry in netguard.allowlist().invalid
    ]
