"""The registry lists every timer kind the apps set, every outbox and every job, once."""

from __future__ import annotations

from types import ModuleType

import pytest

from watchkeeper.alerts import timers as alerts_timers
from watchkeeper.chat import timers as chat_timers
from watchkeeper.comms import timers as comms_timers
from watchkeeper.engine.outbox import PENDING, SENDING
from watchkeeper.engine.registry import JOBS, OUTBOXES, TIMERS
from watchkeeper.incidents.services import INCIDENT_REPORTERS, INCIDENT_WATCHERS, RESOLUTION_WATCHERS
from watchkeeper.oncall import timers as oncall_timers
from watchkeeper.paging import timers as paging_timers
from watchkeeper.reviews import timers as reviews_timers
from watchkeeper.sla import timers as sla_timers


def _kinds(module: ModuleType) -> set[str]:
    return {value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}


def test_every_kind_an_app_owns_has_a_handler_and_nothing_else_does() -> None:
    modules = (alerts_timers, paging_timers, sla_timers, oncall_timers, comms_timers, chat_timers)
    modules += (reviews_timers,)
    owned = set().union(*(_kinds(module) for module in modules))
    assert set(TIMERS) == owned
    for module in modules:
        app = module.__name__.split(".")[1]
        assert all(kind.startswith(f"{app}.") for kind in _kinds(module))


def test_the_timers_incidents_set_for_their_watchers_have_handlers() -> None:
    # incidents names its watchers' kinds as strings (it may not import alerts, paging, sla or chat).
    assert set(INCIDENT_WATCHERS) <= set(TIMERS)
    assert set(INCIDENT_REPORTERS) <= set(INCIDENT_WATCHERS)
    assert set(RESOLUTION_WATCHERS) <= set(TIMERS)


def test_the_registry_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        TIMERS["late.kind"] = lambda timer, now: None  # type: ignore[index]


@pytest.mark.parametrize("outbox", OUTBOXES, ids=lambda outbox: outbox.name)
def test_every_outbox_has_the_columns_the_claim_uses(outbox) -> None:
    fields = {field.name: field for field in outbox.model._meta.get_fields()}
    assert {"due_at", "attempts", "lease_owner", "lease_until"} <= fields.keys()
    states = {value for value, _ in fields["state"].choices}
    assert {PENDING, SENDING} <= states


def test_names_are_unique() -> None:
    assert len({job.name for job in JOBS}) == len(JOBS)
    assert len({outbox.name for outbox in OUTBOXES}) == len(OUTBOXES)
