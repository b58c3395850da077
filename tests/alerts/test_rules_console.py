"""Console pages for a client's event rules and maintenance windows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from watchkeeper.alerts.models import EventRule, MaintenanceWindow

pytestmark = pytest.mark.django_db


def _add(http: Any, slug: str, name: str, actions: dict[str, Any] | None = None) -> Any:
    body = {"name": name, "conditions": "[]", "actions": json.dumps(actions or {"tags": ["x"]})}
    return http.post(f"/clients/{slug}/rules/", body)


def test_empty_page_explains_and_rules_can_be_added_moved_edited_and_deleted(
    world: Any, browser_as: Any
) -> None:
    http = browser_as(world.a.technician)
    slug = world.a.client.slug
    page = http.get(f"/clients/{slug}/rules/")
    assert page.status_code == 200
    assert "No rules yet" in page.content.decode() and "No maintenance windows" in page.content.decode()
    assert _add(http, slug, "First").status_code == 302
    assert _add(http, slug, "Second").status_code == 302
    first, second = EventRule.objects.order_by("position")
    http.post(f"/rules/{second.pk}/move", {"direction": "up"})
    assert list(EventRule.objects.order_by("position").values_list("name", flat=True)) == ["Second", "First"]
    edited = http.post(
        f"/rules/{first.pk}/", {"name": "First", "conditions": "[]", "actions": '{"suppress": true}'}
    )
    assert edited.status_code == 302
    first.refresh_from_db()
    assert (first.actions, first.is_enabled) == ({"suppress": True}, False)  # unticked: switched off
    assert http.get(f"/rules/{first.pk}/").status_code == 200
    assert http.post(f"/rules/{second.pk}/delete").status_code == 302
    assert list(EventRule.objects.values_list("name", flat=True)) == ["First"]


def test_bad_json_or_rule_is_400_with_the_reason_and_nothing_saved(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    slug = world.a.client.slug
    broken = http.post(f"/clients/{slug}/rules/", {"name": "x", "conditions": "[{", "actions": "{}"})
    assert broken.status_code == 400 and "not valid JSON" in broken.content.decode()
    unknown = _add(http, slug, "x", {"service": "Nowhere"})
    assert unknown.status_code == 400 and "Unknown service" in unknown.content.decode()
    assert not EventRule.objects.exists()


def test_try_shows_the_outcome(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    slug = world.a.client.slug
    _add(http, slug, "Quiet", {"suppress": True})
    page = http.post(f"/clients/{slug}/rules/try", {"sample": '{"summary": "Disk full"}'})
    assert page.status_code == 200
    assert "Suppressed" in page.content.decode() and "rule: Quiet" in page.content.decode()
    bad = http.post(f"/clients/{slug}/rules/try", {"sample": '{"severity": "loud"}'})
    assert bad.status_code == 400


def test_maintenance_windows_are_added_in_the_given_zone_and_deleted(world: Any, browser_as: Any) -> None:
    http = browser_as(world.a.technician)
    slug = world.a.client.slug
    body = {"name": "Patching", "starts_at": "2027-03-07T02:00", "ends_at": "2027-03-07T04:00",
            "timezone": "Europe/Amsterdam", "recurrence": "FREQ=WEEKLY;BYDAY=SU", "service": ""}  # fmt: skip
    assert http.post(f"/clients/{slug}/maintenance", body).status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.starts_at.isoformat() == "2027-03-07T01:00:00+00:00"
    assert window.service is None
    wrong = http.post(f"/clients/{slug}/maintenance", {**body, "ends_at": "2027-03-07T01:00"})
    assert wrong.status_code == 400 and "end after it starts" in wrong.content.decode()
    assert "Patching" in http.get(f"/clients/{slug}/rules/").content.decode()
    assert http.post(f"/maintenance/{window.pk}/delete").status_code == 302
    assert not MaintenanceWindow.objects.exists()


def test_portal_users_have_no_rules_page(world: Any, browser_as: Any) -> None:
    response = browser_as(world.a.client_admin).get(f"/clients/{world.a.client.slug}/rules/")
    assert response.status_code in {403, 404}
