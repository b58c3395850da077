"""Root fixtures: a reset clock, the world of two clients, and API helpers."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client as HttpClient

from tests.accounts.factories import UserFactory
from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ClientFactory, ContactFactory, ServiceFactory, SiteFactory
from watchkeeper.accounts.models import Role, User
from watchkeeper.accounts.services import token_create
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.core import clock
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.services import incident_open
from watchkeeper.tenancy.models import Client, Contact, Service, Site


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(specs: list[Any]) -> None:
    """Each pytest-xdist worker gets a data directory of its own, below the run's: its SQLite
    files (and so the engine's wake-up socket, named after the database file), secret key,
    static files and sent mail. Settings read WATCHKEEPER_DATA_DIR once, when pytest-django
    loads them before any conftest runs, so the directory travels in the worker's environment,
    set before the worker starts. pytest-django already gives each worker its own test database
    (`…_gw0`), on PostgreSQL too."""
    for spec in specs:
        spec.env["WATCHKEEPER_DATA_DIR"] = str(Path(django_settings.DATA_DIR) / spec.id)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test (marked `transaction=True`, or using `transactional_db` or
    `live_server`) restores the migrated data before it runs: serialized rollback.

    A transactional test empties the database at teardown (Django's flush). Without serialized
    rollback that flush then re-creates content types and permissions (post_migrate) under new
    primary keys, and the next test with serialized rollback, restoring the rows of the migrated
    database under their old keys, meets them: UNIQUE constraint failed on django_content_type
    at its set-up. Which test follows which depends on how pytest-xdist shares the tests out. With
    serialized rollback for all of them, every flush leaves the tables empty (no post_migrate)
    and every set-up restores the same rows under the same keys: the content types the cache
    holds stay right, and the data migrations' rows (the default policy) are there too."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        transactional = "transactional_db" in fixtures or "live_server" in fixtures
        if marker is not None:
            if marker.args or "serialized_rollback" in marker.kwargs:
                continue  # says what it needs
            transactional = transactional or bool(marker.kwargs.get("transaction"))
        if transactional:
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


def _restore_anew(restore: Any) -> Any:
    """Django's restore of the migrated data (serialized rollback), made to start from empty
    tables when it meets rows under other keys.

    The restore puts the migrated rows back under their original keys. Should a test before it on
    the same worker have left content types re-created under new keys (a flush followed by
    Django's post_migrate), the restore stops at a UNIQUE constraint and every later
    transactional test of that worker fails at set-up (seen once in CI, not reproduced alone).
    The restore runs in one transaction, so nothing is half-written: the tables are emptied
    (without post_migrate; SQLite's append-only audit triggers lifted for the moment, as
    PostgreSQL's TRUNCATE needs no such thing) and it runs again."""

    def restore_anew(self: Any, data: str) -> None:
        from django.core.management import call_command
        from django.db import IntegrityError

        try:
            restore(self, data)
            return
        except IntegrityError:
            pass
        connection = self.connection
        triggers = importlib.import_module("watchkeeper.audit.migrations.0002_append_only")
        sqlite = connection.vendor == "sqlite"
        if sqlite:
            with connection.cursor() as cursor:
                for sql in triggers.SQLITE_REVERSE:
                    cursor.execute(sql)
        try:
            call_command(
                "flush", database=connection.alias, interactive=False, inhibit_post_migrate=True, verbosity=0
            )
        finally:
            if sqlite:
                with connection.cursor() as cursor:
                    for sql in triggers.SQLITE:
                        cursor.execute(sql)
        restore(self, data)

    return restore_anew


@pytest.fixture(scope="session", autouse=True)
def _robust_serialized_restore() -> Iterator[None]:
    from django.db.backends.base.creation import BaseDatabaseCreation

    original = BaseDatabaseCreation.deserialize_db_from_string
    BaseDatabaseCreation.deserialize_db_from_string = _restore_anew(original)  # type: ignore[method-assign]
    yield
    BaseDatabaseCreation.deserialize_db_from_string = original  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def _secret_key_loaded(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The installation's secret key is kept in the database (config/secret.py) and loaded at
    first use. A test without database access that is the first of its worker to sign something
    (a session cookie, a messages cookie) could not load it: load it once the test database
    exists, as the process roles do at start."""
    from watchkeeper.config import secret

    with django_db_blocker.unblock():
        secret.secret_key_preload()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Production hashing costs ~0.3 s per password; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _outbound_allows_loopback(settings: Any) -> None:
    # The SSRF guard stays on in tests: only the loopback receivers (HTTP, SMTP) are allowed, the
    # way an operator would allow an internal host. Tests of the guard itself narrow this.
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]


@pytest.fixture(autouse=True)
def _clock_reset() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@dataclass
class Tenant:
    """One client with one of everything it can own, and one user of each portal role."""

    client: Client
    site: Site
    service: Service
    contact: Contact
    client_admin: User
    client_user: User
    technician: User  # assigned to this client only
    integration: Integration  # feeds `service`
    alert: Alert  # open, from `integration`, part of `incident`
    incident: Incident  # triggered, on `service`


def _alerting(service: Service) -> tuple[Integration, Alert, Incident]:
    """An integration, one open alert from it, and the incident the alert opened."""
    integration = IntegrationFactory(default_service=service, name=f"{service.client.slug} monitoring")
    incident = incident_open(
        client=service.client, service=service, title="Practice server unreachable",
        impact="high", urgency="medium", by=integration.name,
    )  # fmt: skip
    alert = Alert.objects.create(
        client=service.client, integration=integration, service=service, incident=incident,
        dedup_key="server/ping", summary="Practice server unreachable", severity="critical",
    )  # fmt: skip
    return integration, alert, incident


def make_tenant(name: str) -> Tenant:
    client = ClientFactory(name=name)
    site = SiteFactory(client=client)
    technician = UserFactory(role=Role.TECHNICIAN, email=f"tech@{client.slug}.example")
    technician.assigned_clients.add(client)
    service = ServiceFactory(client=client, site=site)
    integration, alert, incident = _alerting(service)
    return Tenant(
        client=client,
        site=site,
        service=service,
        contact=ContactFactory(client=client),
        client_admin=UserFactory(role=Role.CLIENT_ADMIN, client=client),
        client_user=UserFactory(role=Role.CLIENT_USER, client=client),
        technician=technician,
        integration=integration,
        alert=alert,
        incident=incident,
    )


@dataclass
class World:
    a: Tenant
    b: Tenant
    owner: User


@pytest.fixture
def world(db: Any) -> World:
    return World(
        a=make_tenant("Alpha Dental"), b=make_tenant("Bravo Logistics"), owner=UserFactory(role=Role.OWNER)
    )


class Api:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, token: str | None) -> None:
        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(path, params, headers=self.headers)

    def post(self, path: str, data: Any) -> Any:
        return self.http.post(path, data, content_type="application/json", headers=self.headers)

    def patch(self, path: str, data: Any) -> Any:
        return self.http.patch(path, data, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_as() -> Any:
    def make(user: User, scopes: list[str] | None = None, client: Client | None = None) -> Api:
        _, secret = token_create(user=user, scopes=scopes or ["read", "write"], client=client)
        return Api(secret)

    return make


@pytest.fixture
def browser_as(client: HttpClient) -> Any:
    """A Django test client signed in as the given user."""

    def make(user: User) -> HttpClient:
        http = HttpClient()
        http.force_login(user)
        return http

    return make
