"""Fixtures of the scenario harness: loopback sinks and one `story` per test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.smoke.harness import Scenario, Sinks

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday morning


@pytest.fixture
def sinks() -> Iterator[Sinks]:
    sinks = Sinks()
    sinks.start()
    yield sinks
    sinks.stop()


@pytest.fixture
def smtp_settings(settings: Any, sinks: Sinks) -> Any:
    """The sink as the server of WATCHKEEPER_SMTP_URL (what settings.py makes of it)."""
    settings.SMTP_FROM_ENVIRONMENT = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sinks.smtp_port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "pager@watchkeeper.example"
    settings.INBOUND_EMAIL_DOMAIN = "in.watchkeeper.example"
    return settings


@pytest.fixture
def story(smtp_settings: Any, sinks: Sinks) -> Iterator[Scenario]:
    """The world of one story (the module's django_db mark gives it the database). Teardown
    fails on any message the story did not expect."""
    scenario = Scenario(sinks, START)
    yield scenario
    scenario.expect_no_messages()
