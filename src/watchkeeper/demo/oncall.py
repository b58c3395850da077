"""The demo's on-call schedules: the NOC (a weekly London rotation with a follow-the-sun night
layer from Sydney), the infrastructure escalation rotation, and Harbourview Dental's
business-hours desk (it has gaps on purpose: nights and weekends go to the NOC).

A schedule is keyed on its name and built only when missing, with its layers and (for the
NOC) one override next week; an existing schedule is left as it is.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from typing import Any

from watchkeeper.accounts.models import Team, User
from watchkeeper.core import clock
from watchkeeper.demo.data import MSP_DOMAIN
from watchkeeper.oncall.models import Schedule
from watchkeeper.oncall.selectors import schedule_oncall_users
from watchkeeper.oncall.services import layer_save, override_create, schedule_create
from watchkeeper.tenancy.models import Client

ACTOR = "demo"
# Rotations began on a Monday well before the demo's history.
EPOCH = dt.date(2026, 1, 5)


@dataclass(frozen=True)
class LayerData:
    name: str
    people: tuple[str, ...]
    unit: str = "weeks"
    handoff: dt.time = dt.time(9)
    priority: int = 0
    restriction: str = "none"
    windows: tuple[dict[str, Any], ...] = ()
    time_zone: str = ""


@dataclass(frozen=True)
class ScheduleData:
    name: str
    description: str
    time_zone: str
    layers: tuple[LayerData, ...]
    team: str = ""
    client: str = ""


# Monday to Friday, 08:00–18:00 each day.
_WEEKDAYS_8_TO_6 = tuple(
    {"start_day": d, "start": "08:00", "end_day": d, "end": "18:00"} for d in range(1, 6)
)

SCHEDULES = (
    ScheduleData(
        name="NOC primary",
        description="The 24×7 first responder for every client. Weekly hand-off on Monday 09:00 London; "
        "the Sydney technicians take the London night.",
        time_zone="Europe/London", team="service-desk",
        layers=(
            LayerData("Weekly London", ("sam.okafor", "ruby.ellis", "lena.hoffmann")),
            LayerData(
                "Follow the sun: Sydney days", ("mia.tran", "chloe.bennett"), unit="days", priority=1,
                handoff=dt.time(22), restriction="daily", windows=({"start": "22:00", "end": "07:00"},),
            ),
        ),
    ),
    ScheduleData(
        name="Infrastructure escalation",
        description="Second line for servers, networks and backups. Weekly hand-off on Monday 09:00 Oslo.",
        time_zone="Europe/Oslo", team="infrastructure",
        layers=(LayerData("Weekly", ("erik.lund", "aisha.rahman", "noah.fischer")),),
    ),
    ScheduleData(
        name="Harbourview Dental business hours",
        description="The dedicated desk for Harbourview's practices, weekdays 08:00–18:00 New York time.",
        time_zone="America/New_York", client="hvdental",
        layers=(
            LayerData(
                "Weekdays", ("jordan.blake", "tomas.herrera"), handoff=dt.time(8), restriction="weekly",
                windows=_WEEKDAYS_8_TO_6,
            ),
        ),
    ),
)  # fmt: skip


def _user(handle: str) -> User:
    return User.objects.get(email=f"{handle}@{MSP_DOMAIN}")


def oncall_load(*, created: Counter[str]) -> None:
    """Create the demo schedules that are missing (after the staff exist)."""
    for spec in SCHEDULES:
        if Schedule.objects.filter(name=spec.name).exists():
            continue
        client = Client.objects.filter(slug=spec.client).first() if spec.client else None
        if spec.client and client is None:
            continue  # the client was removed; nothing to dedicate the schedule to
        schedule = schedule_create(
            actor=ACTOR, via=ACTOR, name=spec.name, description=spec.description, time_zone=spec.time_zone,
            client=client, team=Team.objects.filter(slug=spec.team).first() if spec.team else None,
        )  # fmt: skip
        for layer in spec.layers:
            layer_save(
                actor=ACTOR, via=ACTOR, schedule=schedule, members=[_user(p) for p in layer.people],
                name=layer.name, priority=layer.priority, time_zone=layer.time_zone, starts_on=EPOCH,
                handoff_time=layer.handoff, shift_length=1, shift_unit=layer.unit,
                restriction=layer.restriction, restrictions=list(layer.windows),
            )  # fmt: skip
        created["on-call schedule"] += 1
        if spec.name == "NOC primary":
            _next_week_override(schedule)


def _next_week_override(schedule: Schedule) -> None:
    """Next Tuesday's working day, the weekly rotation's next person covers whoever is on call
    then (a dentist appointment): never someone covering her own week."""
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    today = clock.now().astimezone(zone).date()
    tuesday = today + dt.timedelta(days=(1 - today.weekday()) % 7 + 7)
    starts_at = dt.datetime.combine(tuesday, dt.time(9), tzinfo=zone)
    weekly = [m.user for m in schedule.layers.get(priority=0).members.order_by("position")]
    on_call = schedule_oncall_users(schedule=schedule, at=starts_at + dt.timedelta(hours=4))
    covered = next((user for user in on_call if user in weekly), None)
    if covered is None:
        return
    cover = weekly[(weekly.index(covered) + 1) % len(weekly)]
    override_create(
        actor=ACTOR, via=ACTOR, schedule=schedule, user=cover, replaces=covered, starts_at=starts_at,
        ends_at=dt.datetime.combine(tuesday, dt.time(17), tzinfo=zone),
        note=f"Covering while {covered.full_name} is at the dentist",
    )  # fmt: skip
