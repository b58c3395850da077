"""What a source is: the parts of one ingest kind that the rest of intake uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from watchkeeper.alerts.events import AlertEvent
from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.sources.setup import Setup


class InboxRow(Protocol):
    """What a parser reads of an inbox row: an `InboxEvent`, or the engine's lighter copy of one
    (reading thousands of rows a second as model instances cost more than parsing them)."""

    @property
    def pk(self) -> int: ...
    @property
    def integration_id(self) -> int: ...
    @property
    def integration(self) -> Integration: ...
    @property
    def payload(self) -> Any: ...
    @property
    def dedup_key(self) -> str: ...


# An inbox row of one kind to its normalised events (the engine's side of a wire format).
Parser = Callable[[InboxRow], list[AlertEvent]]
# The problems with an integration's `config` for this kind; [] when it may be saved.
ConfigCheck = Callable[[Any], list[str]]


class SetupText(Protocol):
    def __call__(self, *, integration: Integration, base: str, key: str, email_domain: str) -> Setup: ...


@dataclass(frozen=True)
class Source:
    """One ingest kind.

    `kind` is the integration type stored in `Integration.type`; `parsers` maps each inbox kind
    this source's endpoints write (one or more) to its parser; `urls` is the dotted path of the
    module with its `urlpatterns` (and `raw_routes` for the WSGI fast path), or None when events
    do not arrive over HTTP. A path, not the module: the registry is read by services, which
    must not import views (import-linter), and Django's `include` takes the path as it is."""

    kind: str
    label: str
    parsers: Mapping[str, Parser]
    config_check: ConfigCheck
    setup_text: SetupText
    urls: str | None = None


def config_unchecked(config: Any) -> list[str]:
    """For kinds that read nothing from `config`, or read it leniently with defaults (Alertmanager's
    `service_label` and `default_severity`): any JSON object may be saved."""
    return []
