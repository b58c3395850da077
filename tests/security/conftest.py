"""Security stories use the smoke harness (`story`: a frozen clock and a real SMTP sink)."""

from tests.smoke.conftest import sinks, smtp_settings, story

__all__ = ["sinks", "smtp_settings", "story"]
