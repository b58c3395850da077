"""Writes for SLA configuration: business calendars, their closures and client links, SLA
policies and their targets. MSP admins only (`policy.edit`); every change is audited and sets
the affected incidents' `sla.incident` timers so their clocks are recomputed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core.errors import Conflict, InvalidInput
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident
from watchkeeper.incidents.services import incident_changed
from watchkeeper.policy.selectors import policy_get
from watchkeeper.sla.calendars import holidays_check, hours_parse, ical_closures, zone_parse
from watchkeeper.sla.models import BusinessCalendar, CalendarClosure, ClientCalendar, SlaPolicy, SlaTarget
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, ContractTier

CALENDAR_FIELDS = ("name", "time_zone", "hours", "country", "region", "public_holidays", "is_default")
POLICY_FIELDS = ("name", "warning_thresholds", "pause_statuses", "response_by_reply")
PAUSABLE = ("waiting_client", "waiting_vendor", "acknowledged")


def _recompute_open(clients: Any = None) -> int:
    """Ask the engine to recompute the open incidents' clocks (of `clients`, or all)."""
    incidents = Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES)
    if clients is not None:
        incidents = incidents.filter(client__in=clients)
    count = 0
    for incident in incidents.only("pk").iterator():
        incident_changed(incident=incident)
        count += 1
    return count


def _calendar_validate(values: dict[str, Any]) -> None:
    if "name" in values and not str(values["name"]).strip():
        raise InvalidInput("A calendar needs a name.", field="name")
    if values.get("time_zone"):
        zone_parse(values["time_zone"])
    if "hours" in values:
        hours_parse(values["hours"])
    if values.get("country"):
        values["country"] = values["country"].upper()
        values["region"] = (values.get("region") or "").upper()
        holidays_check(values["country"], values["region"])


def calendar_save(
    *, actor: Any, calendar: BusinessCalendar | None = None, via: str = "api", **values: Any
) -> BusinessCalendar:
    """Create (calendar None) or update a business calendar."""
    access.require(actor, "policy.edit")
    unknown = set(values) - set(CALENDAR_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown calendar fields: {', '.join(sorted(unknown))}.")
    _calendar_validate(values)
    with transaction.atomic():
        before = snapshot(calendar) if calendar is not None else None
        calendar = calendar or BusinessCalendar()
        if values.get("is_default"):
            BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(is_default=False)
        for name, value in values.items():
            setattr(calendar, name, value)
        try:
            with transaction.atomic():
                calendar.save()
        except IntegrityError as exc:
            raise Conflict(f"A calendar named {calendar.name!r} already exists.") from exc
        audit_record(
            actor=actor,
            action="sla.calendar.update" if before else "sla.calendar.create",
            obj=calendar,
            before=before,
            after=snapshot(calendar),
            via=via,
        )
        _recompute_open()
    return calendar


def calendar_closures_add(
    *,
    actor: Any,
    calendar: BusinessCalendar,
    days: list[tuple[dt.date, str]],
    source: str = "manual",
    via: str = "api",
) -> int:
    """Add closure days (existing days keep their name); returns how many were new."""
    access.require(actor, "policy.edit")
    with transaction.atomic():
        known = set(calendar.closures.values_list("date", flat=True))
        new = [
            CalendarClosure(calendar=calendar, date=day, name=name[:200], source=source)
            for day, name in days
            if day not in known
        ]
        CalendarClosure.objects.bulk_create(new)
        audit_record(
            actor=actor,
            action="sla.calendar.closures",
            obj=calendar,
            via=via,
            after={"added": [c.date.isoformat() for c in new], "source": source},
        )
        if new:
            _recompute_open()
    return len(new)


def calendar_ical_import(*, actor: Any, calendar: BusinessCalendar, data: bytes, via: str = "api") -> int:
    return calendar_closures_add(
        actor=actor, calendar=calendar, days=ical_closures(data), source="ical", via=via
    )


def calendar_assign(
    *, actor: Any, client: Client, calendar: BusinessCalendar | None, via: str = "api"
) -> None:
    """Give the client its own calendar (None: back to the default calendar)."""
    access.require(actor, "policy.edit")
    with transaction.atomic():
        if calendar is None:
            ClientCalendar.objects.filter(client=client).delete()
        else:
            ClientCalendar.objects.update_or_create(client=client, defaults={"calendar": calendar})
        audit_record(
            actor=actor,
            action="sla.calendar.assign",
            obj=client,
            via=via,
            after={"calendar": calendar.pk if calendar else None},
        )
        _recompute_open([client])


def _policy_validate(values: dict[str, Any]) -> None:
    thresholds = values.get("warning_thresholds")
    if thresholds is not None and (
        not isinstance(thresholds, list)
        or len(thresholds) > 5
        or any(not isinstance(p, int) or not 1 <= p <= 99 for p in thresholds)
    ):
        raise InvalidInput(
            "warning_thresholds: up to 5 whole percentages between 1 and 99.", field="warning_thresholds"
        )
    pauses = values.get("pause_statuses")
    if pauses is not None and any(s not in PAUSABLE for s in pauses):
        raise InvalidInput(f"pause_statuses: any of {', '.join(PAUSABLE)}.", field="pause_statuses")
    if thresholds is not None:
        values["warning_thresholds"] = sorted(set(thresholds))


def _targets_replace(policy: SlaPolicy, targets: list[dict[str, Any]]) -> None:
    known = {p.key for p in policy_get().priorities}
    seen = set()
    for target in targets:
        priority = target.get("priority")
        if priority not in known:
            raise InvalidInput(
                f"Unknown priority {priority!r}; the policy has {', '.join(sorted(known))}.", field="targets"
            )
        if priority in seen:
            raise InvalidInput(f"Priority {priority} appears twice.", field="targets")
        seen.add(priority)
    policy.targets.all().delete()
    SlaTarget.objects.bulk_create([SlaTarget(policy=policy, **target) for target in targets])


def policy_save(
    *,
    actor: Any,
    policy: SlaPolicy | None = None,
    tier: str | None = None,
    client: Client | None = None,
    targets: list[dict[str, Any]] | None = None,
    via: str = "api",
    **values: Any,
) -> SlaPolicy:
    """Create a tier default (tier) or a client override (client), or update `policy`."""
    access.require(actor, "policy.edit")
    _policy_validate(values)
    if policy is None:
        if (tier is None) == (client is None):
            raise InvalidInput("A policy is either a tier default (tier) or a client override (client).")
        if tier is not None and tier not in ContractTier.values:
            raise InvalidInput(f"Unknown tier {tier!r}; use {', '.join(ContractTier.values)}.", field="tier")
        if not str(values.get("name", "")).strip():
            raise InvalidInput("A policy needs a name.", field="name")
    with transaction.atomic():
        before = snapshot(policy) if policy is not None else None
        if policy is None:
            policy = SlaPolicy(tier=tier or "", client=client)
        for name, value in values.items():
            setattr(policy, name, value)
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError as exc:
            raise Conflict("That tier or client already has a policy, or the name is taken.") from exc
        if targets is not None:
            _targets_replace(policy, targets)
        audit_record(
            actor=actor,
            action="sla.policy.update" if before else "sla.policy.create",
            obj=policy,
            before=before,
            after={**snapshot(policy), "targets": targets},
            via=via,
        )
        _recompute_open(
            [policy.client] if policy.client else Client.objects.filter(contract_tier=policy.tier)
        )
    return policy
