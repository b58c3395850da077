"""SLA clocks from incident history, hand-checked (pure: no database)."""

from __future__ import annotations

import datetime as dt

from tests.sla.test_businesstime import STD, at
from watchkeeper.sla.clocks import (
    Event,
    Targets,
    clocks_compute,
    resolution_clock,
    response_clock,
    update_clock,
)

H = dt.timedelta(hours=1)
TARGETS = Targets(response=1 * H, update=2 * H, resolution=4 * H, calendar=STD)
MONDAY_9 = at("2026-11-30 09:00")


def test_acknowledgement_meets_first_response() -> None:
    clock = response_clock(
        MONDAY_9, [Event(at("2026-11-30 09:40"), "acknowledged")], TARGETS, at("2026-11-30 12:00")
    )
    assert (clock.state, clock.met_at, clock.elapsed) == (
        "met",
        at("2026-11-30 09:40"),
        dt.timedelta(minutes=40),
    )


def test_a_late_acknowledgement_is_a_breach() -> None:
    clock = response_clock(
        MONDAY_9, [Event(at("2026-11-30 10:05"), "acknowledged")], TARGETS, at("2026-11-30 12:00")
    )
    assert clock.state == "breached"
    assert [b.breached_at for b in clock.breaches] == [at("2026-11-30 10:00")]


def test_a_technicians_client_visible_reply_meets_first_response() -> None:
    reply = Event(at("2026-11-30 09:20"), client_visible=True, by_technician=True)
    assert response_clock(MONDAY_9, [reply], TARGETS, at("2026-11-30 11:00")).state == "met"


def test_an_internal_note_or_a_portal_users_note_does_not() -> None:
    notes = [Event(at("2026-11-30 09:20")), Event(at("2026-11-30 09:25"), client_visible=True)]
    assert response_clock(MONDAY_9, notes, TARGETS, at("2026-11-30 09:50")).state == "at_risk"


def test_reply_counts_only_when_the_policy_says_so() -> None:
    reply = Event(at("2026-11-30 09:20"), client_visible=True, by_technician=True)
    strict = Targets(response=H, update=None, resolution=4 * H, calendar=STD, response_by_reply=False)
    assert response_clock(MONDAY_9, [reply], strict, at("2026-11-30 09:30")).state == "on_track"


def test_waiting_pauses_resolution_and_paused_time_does_not_count() -> None:
    events = [
        Event(at("2026-11-30 09:10"), "acknowledged"),
        Event(at("2026-11-30 10:00"), "waiting_client"),
        Event(at("2026-11-30 12:00"), "acknowledged"),
    ]
    during = resolution_clock(MONDAY_9, events[:2], TARGETS, at("2026-11-30 11:00"))
    assert (during.state, during.due_at, during.elapsed) == ("paused", None, H)
    after = resolution_clock(MONDAY_9, events, TARGETS, at("2026-11-30 12:30"))
    assert after.due_at == at("2026-11-30 15:00")  # 4 h of business time plus the 2 h wait
    assert after.elapsed == 1.5 * H


def test_resolution_within_target_is_met() -> None:
    events = [Event(at("2026-11-30 09:10"), "acknowledged"), Event(at("2026-11-30 12:00"), "resolved")]
    clock = resolution_clock(MONDAY_9, events, TARGETS, at("2026-11-30 16:00"))
    assert (clock.state, clock.met_at, clock.elapsed) == ("met", at("2026-11-30 12:00"), 3 * H)


def test_reopen_resumes_resolution_from_where_it_stopped() -> None:
    events = [
        Event(at("2026-11-30 09:10"), "acknowledged"),
        Event(at("2026-11-30 11:00"), "resolved"),  # 2 h used
        Event(at("2026-11-30 15:00"), "triggered"),  # reopened: 2 h left
    ]
    clock = resolution_clock(MONDAY_9, events, TARGETS, at("2026-11-30 15:30"))
    assert (clock.state, clock.due_at) == ("on_track", at("2026-11-30 17:00"))
    late = resolution_clock(MONDAY_9, events, TARGETS, at("2026-12-01 09:00"))
    assert late.state == "breached" and late.breaches[0].breached_at == at("2026-11-30 17:00")


def test_reopen_keeps_first_response_met() -> None:
    events = [
        Event(at("2026-11-30 09:10"), "acknowledged"),
        Event(at("2026-11-30 11:00"), "resolved"),
        Event(at("2026-11-30 15:00"), "triggered"),
    ]
    assert response_clock(MONDAY_9, events, TARGETS, at("2026-11-30 16:00")).state == "met"


def test_client_update_clock_restarts_at_each_client_visible_update() -> None:
    events = [
        Event(at("2026-11-30 09:10"), "acknowledged"),
        Event(at("2026-11-30 10:30"), client_visible=True),
    ]
    clock = update_clock(MONDAY_9, events, TARGETS, at("2026-11-30 11:00"))
    assert clock is not None
    assert (clock.cycle, clock.started_at, clock.due_at) == (
        1,
        at("2026-11-30 10:30"),
        at("2026-11-30 12:30"),
    )


def test_every_missed_update_interval_is_a_breach() -> None:
    events = [
        Event(at("2026-11-30 09:10"), "acknowledged"),
        Event(at("2026-11-30 11:30"), client_visible=True),
    ]
    clock = update_clock(MONDAY_9, events, TARGETS, at("2026-11-30 14:00"))
    assert clock is not None
    assert [(b.cycle, b.breached_at) for b in clock.breaches] == [
        (0, at("2026-11-30 11:00")),
        (1, at("2026-11-30 13:30")),
    ]
    assert clock.state == "breached"


def test_priority_change_recomputes_from_the_start() -> None:
    """The same history under P2 (4 h) and then P1 (2 h) targets: due times from the opening."""
    events = [Event(at("2026-11-30 09:10"), "acknowledged")]
    p1 = Targets(response=H / 4, update=None, resolution=2 * H, calendar=STD)
    before = resolution_clock(MONDAY_9, events, TARGETS, at("2026-11-30 10:00"))
    after = resolution_clock(MONDAY_9, events, p1, at("2026-11-30 10:00"))
    assert (before.due_at, after.due_at) == (at("2026-11-30 13:00"), at("2026-11-30 11:00"))
    assert after.state == "on_track" and before.state == "on_track"


def test_thresholds_fall_on_business_time() -> None:
    friday = at("2026-11-27 16:30")
    clock = resolution_clock(friday, [], TARGETS, friday)
    assert dict(clock.warnings) == {
        50: at("2026-11-30 10:30"),
        75: at("2026-11-30 11:30"),
        90: at("2026-11-30 12:06"),
    }


def test_no_update_target_means_no_update_clock() -> None:
    targets = Targets(response=H, update=None, resolution=4 * H, calendar=STD)
    assert [c.kind for c in clocks_compute(MONDAY_9, [], targets, MONDAY_9)] == ["response", "resolution"]
