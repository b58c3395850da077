"""The demo's on-call schedules: built once, someone on call around the clock on the NOC."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.demo import demo_load
from watchkeeper.oncall import selectors
from watchkeeper.oncall.models import Layer, Override, Schedule


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_demo_schedules_cover_the_noc_and_load_once(db: Any, data_dir: Path) -> None:
    demo_load()
    names = set(Schedule.objects.values_list("name", flat=True))
    assert names == {"NOC primary", "Infrastructure escalation", "Harbourview Dental business hours"}
    noc = selectors.with_rules(Schedule.objects.filter(name="NOC primary")).get()
    assert noc.time_zone == "Europe/London" and noc.layers.count() == 2
    override = Override.objects.get(schedule=noc)
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(days=6) < override.starts_at < now + dt.timedelta(days=15)
    assert not selectors.schedule_gaps(schedule=noc, start=now, end=now + dt.timedelta(days=28))
    dedicated = Schedule.objects.get(name="Harbourview Dental business hours")
    assert dedicated.client is not None and dedicated.client.slug == "hvdental"
    before = (list(Schedule.objects.values()), list(Layer.objects.values()), list(Override.objects.values()))
    demo_load()
    assert (
        list(Schedule.objects.values()),
        list(Layer.objects.values()),
        list(Override.objects.values()),
    ) == before
