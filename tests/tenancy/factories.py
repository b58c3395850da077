from __future__ import annotations

import factory
from django.utils.text import slugify

from watchkeeper.tenancy.models import Client, Contact, Service, Site


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name)[:40])
    timezone = "Europe/London"
    country = "GB"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory)
    name = factory.LazyAttribute(lambda o: f"{o.client.name} head office")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    client = factory.SubFactory(ClientFactory)
    name = factory.LazyAttribute(lambda o: f"{o.client.name} practice server")
    kind = "server"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    name = factory.LazyAttribute(lambda o: f"{o.client.name} office manager")
    email = factory.LazyAttribute(lambda o: f"office@{o.client.slug}.example")
