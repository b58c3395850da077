from __future__ import annotations

import factory

from tests.tenancy.factories import ServiceFactory
from watchkeeper.alerts.models import Integration


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    default_service = factory.SubFactory(ServiceFactory)
    client = factory.LazyAttribute(lambda o: o.default_service.client)
    name = factory.Sequence(lambda n: f"Integration {n}")
    type = "pagerduty"
