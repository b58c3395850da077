"""Reads for on-call schedules."""

from __future__ import annotations

import datetime as dt

from watchkeeper.accounts.models import User
from watchkeeper.oncall.models import Schedule


def schedule_oncall_users(*, schedule: Schedule, at: dt.datetime) -> list[User]:
    """Who the final schedule (layers and overrides) puts on call at `at`.

    Placeholder: replaced by the oncall branch."""
    return []
