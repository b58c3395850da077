"""The scenario harness's fixtures (a story with its SMTP and HTTP sinks) for the stories here."""

from tests.smoke.conftest import sinks, smtp_settings, story

__all__ = ["sinks", "smtp_settings", "story"]
