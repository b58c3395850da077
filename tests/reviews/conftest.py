"""The reviews tests' world: a client in Bavaria (Łódź Zahnärzte) with an office-hours calendar
and its technician, Jürgen Müller."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.sla.factories import calendar_make
from tests.tenancy.factories import ClientFactory, ServiceFactory
from watchkeeper.accounts.models import Role


@pytest.fixture
def scene(db: Any) -> Any:
    calendar_make(hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    client = ClientFactory(
        name="Łódź Zahnärzte", slug="lodz", timezone="Europe/Berlin", country="DE", region="BY"
    )
    service = ServiceFactory(client=client, name="Praxis-Server")
    owner = UserFactory(role=Role.TECHNICIAN, email="jurgen@msp.example", full_name="Jürgen Müller")
    owner.assigned_clients.add(client)
    return client, service, owner
