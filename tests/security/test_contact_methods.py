"""Contact methods as input (issue 12 items 7 and 10): Apprise schemes outside the allow-list
are refused at save and at send; "send test" is rate-limited per person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from watchkeeper.core import clock
from watchkeeper.paging.delivery import Outgoing, apprise_send

pytestmark = pytest.mark.django_db

ZULIP = "zulip://bot@10.0.0.5/abcdefghijklmnopqrstuvwxyzabcdef"  # its host is no host token


def test_a_scheme_outside_the_allow_list_is_refused_at_save_naming_it(world: Any, api_as: Any) -> None:
    tech = world.a.technician
    response = api_as(tech).post(
        f"/api/v1/users/{tech.pk}/contact-methods", {"kind": "other", "label": "Chat", "address": ZULIP}
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "address"
    assert "zulip:// cannot be used for a contact method" in response.json()["detail"]


def test_a_stored_url_with_a_refused_scheme_fails_for_good_at_send() -> None:
    delivery = apprise_send(Outgoing(to=ZULIP, subject="P1", text="Look"))
    assert (delivery.ok, delivery.permanent) == (False, True)
    assert "zulip:// is not allowed here" in delivery.response


def test_send_test_is_limited_to_five_per_person_in_ten_minutes(world: Any, api_as: Any) -> None:
    clock.freeze(clock.now())
    tech = world.a.technician
    api = api_as(tech)
    made = api.post(
        f"/api/v1/users/{tech.pk}/contact-methods",
        {"kind": "webhook", "label": "Hook", "address": "json://127.0.0.1:9/hook"},
    )
    test = f"/api/v1/users/{tech.pk}/contact-methods/{made.json()['id']}/test"
    assert [api.post(test, {}).status_code for _ in range(5)] == [202] * 5
    refused = api.post(test, {})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 600
    assert "At most 5 test messages in 10 minutes" in refused.json()["detail"]
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    assert api.post(test, {}).status_code == 202
