"""The ingest sources, listed once: adding a source is its folder and one line in `SOURCES`.

Read by the engine (which parser turns an inbox row into events), the integration services
(which types exist, what a type's config may say), the console and API (the type choices, the
setup page) and `urls_ingest.py` (the endpoints). Nothing registers itself on import.
"""

from __future__ import annotations

from types import MappingProxyType

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources import alertmanager, email, heartbeat, opsgenie, pagerduty, webhook
from watchkeeper.alerts.sources.base import Parser, Source
from watchkeeper.alerts.sources.setup import Setup

# In the order the console offers them.
SOURCES: tuple[Source, ...] = (
    pagerduty.SOURCE,
    alertmanager.SOURCE,
    opsgenie.SOURCE,
    webhook.SOURCE,
    email.SOURCE,
    heartbeat.SOURCE,
)

SOURCE_BY_KIND = MappingProxyType({source.kind: source for source in SOURCES})
KINDS: tuple[str, ...] = tuple(SOURCE_BY_KIND)
CHOICES: list[tuple[str, str]] = [(source.kind, source.label) for source in SOURCES]


def _parsers() -> dict[str, Parser]:
    parsers: dict[str, Parser] = {}
    for source in SOURCES:
        for kind, parser in source.parsers.items():
            # Two sources writing one inbox kind would read each other's rows.
            if kind in parsers:
                raise ValueError(f"Two sources parse the inbox kind '{kind}'")
            parsers[kind] = parser
    return parsers


# Inbox kind (InboxEvent.kind) → the parser that turns such a row into normalised events.
PARSERS = MappingProxyType(_parsers())


def config_problems(*, kind: str, config: object) -> list[str]:
    """What is wrong with `config` for an integration of `kind` (a known kind); [] if nothing."""
    return SOURCE_BY_KIND[kind].config_check(config)


def integration_setup(*, integration: Integration, base: str, key: str, email_domain: str) -> Setup:
    """The endpoint and examples for `integration`'s type. `base` has no trailing slash."""
    source = SOURCE_BY_KIND[integration.type]
    return source.setup_text(integration=integration, base=base, key=key, email_domain=email_domain)
