"""Clients (tenants), their sites, services and contacts."""

from __future__ import annotations

from django.db import models

from watchkeeper.core.models import TimestampedModel


class ContractTier(models.TextChoices):
    ESSENTIAL = "essential", "Essential"
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"


class Client(TimestampedModel):
    """A customer company of the MSP: the tenant every client-owned row points at."""

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=40, unique=True, help_text="Short code, also the incident prefix")
    timezone = models.CharField(max_length=64, default="UTC")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 code, for public holidays")
    region = models.CharField(max_length=10, blank=True, help_text="Subdivision code, e.g. NY or BY")
    contract_tier = models.CharField(
        max_length=20, choices=ContractTier.choices, default=ContractTier.STANDARD
    )
    seats = models.PositiveIntegerField(default=0, help_text="Users covered by the contract")
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientOwned(TimestampedModel):
    """Tenancy mixin: every client-owned model inherits it; selectors filter on `client`."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="%(class)ss")

    class Meta:
        abstract = True


class Site(ClientOwned):
    name = models.CharField(max_length=150)
    address = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="Empty: the client's time zone")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="unique_site_per_client")]

    def __str__(self) -> str:
        return self.name


class ServiceKind(models.TextChoices):
    APPLICATION = "application", "Application"
    SERVER = "server", "Server"
    NETWORK = "network", "Network"
    WEBSITE = "website", "Website"
    DATABASE = "database", "Database"
    EMAIL = "email", "E-mail"
    CLOUD = "cloud", "Cloud service"
    BACKUP = "backup", "Backup"
    ENDPOINT = "endpoint", "Endpoints"
    OTHER = "other", "Other"


class Criticality(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Service(ClientOwned):
    """Something of a client's that can fail; alerts and incidents are about services."""

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=ServiceKind.choices, default=ServiceKind.APPLICATION)
    criticality = models.CharField(max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="services")
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    auto_resolve_incidents = models.BooleanField(
        default=True, help_text="Resolve an incident when its last open alert resolves"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="unique_service_per_client")]

    def __str__(self) -> str:
        return self.name


class ContactChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone call"
    SMS = "sms", "SMS"
    PORTAL = "portal", "Portal only"


class Contact(ClientOwned):
    """A person at a client: who is told about incidents and receives reports."""

    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=100, blank=True)
    is_primary = models.BooleanField(default=False)
    preferred_channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    receives_incident_updates = models.BooleanField(default=True)
    receives_major_incidents_only = models.BooleanField(default=False)
    receives_reports = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "email"],
                name="unique_contact_email_per_client",
                condition=~models.Q(email=""),
            )
        ]

    def __str__(self) -> str:
        return self.name
