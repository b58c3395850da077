"""Durations and instants as people read them (core/humanize.py), and the template filters and
status labels built on them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from watchkeeper.core.humanize import duration_text, iso, minutes_text, times_fill, when
from watchkeeper.incidents.models import IncidentStatus, status_label

NOON_UTC = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
NEW_YORK, OSLO = ZoneInfo("America/New_York"), ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (960, "16 h"),
        (9600, "6 d 16 h"),
        (15, "15 min"),
        (90, "1 h 30 min"),
        (60, "1 h"),
        (1440, "1 d"),
        (1441, "1 d"),  # minutes are noise beyond a day
        (2880 + 30, "2 d"),
        (0, "0 min"),
        (None, "—"),
    ],
)
def test_minutes_read_as_days_hours_and_minutes(minutes: int | None, text: str) -> None:
    assert minutes_text(minutes) == text


def test_durations_use_the_same_words() -> None:
    assert duration_text(dt.timedelta(hours=160)) == "6 d 16 h"
    assert duration_text(dt.timedelta(minutes=45, seconds=59)) == "45 min"
    assert duration_text(dt.timedelta(seconds=-5)) == "0 min"
    assert duration_text(None) == "—"


def test_an_instant_reads_in_the_readers_zone_with_its_label() -> None:
    assert when(NOON_UTC, NEW_YORK) == "Thu 3 Dec, 07:00 EST"
    assert when(NOON_UTC, OSLO) == "Thu 3 Dec, 13:00 CET"
    assert when(NOON_UTC) == "Thu 3 Dec, 12:00 UTC"
    summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    assert when(summer, OSLO) == "Wed 1 Jul, 14:00 CEST"
    assert when(None, OSLO) == ""


def test_stored_time_slots_fill_in_each_readers_zone() -> None:
    text = "SLA breached: Resolution (P1, 16 h) was due {due}"
    times = {"due": iso(NOON_UTC)}
    assert times_fill(text, times, NEW_YORK).endswith("was due Thu 3 Dec, 07:00 EST")
    assert times_fill(text, times, OSLO).endswith("was due Thu 3 Dec, 13:00 CET")
    # A person's own braces, unknown slots and bad values stay as they are.
    assert times_fill("use {curly} {due}", times, OSLO) == "use {curly} Thu 3 Dec, 13:00 CET"
    assert times_fill("{due}", {"due": "yesterday"}, OSLO) == "{due}"
    assert times_fill("{due}", None, OSLO) == "{due}"


def test_status_keys_read_as_labels() -> None:
    assert status_label("waiting_client") == "Waiting on client"
    assert status_label(IncidentStatus.WAITING_VENDOR) == "Waiting on vendor"
    assert status_label("on_hold") == "On hold"  # unknown: words, never the key


def test_template_filters_use_the_active_zone() -> None:
    template = Template(
        "{% load wk %}{{ at|when }} · {{ m|minutes }} · {{ missing|minutes }} · {{ s|status_label }}"
    )
    context = Context({"at": NOON_UTC, "m": 9600, "s": "waiting_client"})
    with timezone.override(NEW_YORK):
        assert template.render(context) == "Thu 3 Dec, 07:00 EST · 6 d 16 h · — · Waiting on client"
    with timezone.override(OSLO):
        assert template.render(context).startswith("Thu 3 Dec, 13:00 CET")
