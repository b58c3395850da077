"""GET /api/v1/policy and /api/v1/policy/priority."""

from __future__ import annotations

from typing import Any


def test_technician_reads_the_policy_as_json(world: Any, api_as: Any) -> None:
    response = api_as(world.a.technician, scopes=["read"]).get("/api/v1/policy")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Incident management policy"
    assert body["matrix"]["high"] == {"high": "P1", "medium": "P2", "low": "P3"}
    assert [p["key"] for p in body["priorities"]] == ["P1", "P2", "P3", "P4", "P5"]
    assert body["sections"][0]["key"] == "purpose" and body["sections"][0]["body"].startswith("This policy")
    assert {s["key"]: s["default_impact"] for s in body["severities"]}["critical"] == "high"
    assert body["last_reviewed"] is None and body["overdue_for_review"] is True


def test_priority_lookup(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    assert api.get("/api/v1/policy/priority", impact="high", urgency="low").json() == {"priority": "P3"}
    response = api.get("/api/v1/policy/priority", impact="enormous", urgency="low")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Unknown impact level 'enormous' (known: high, medium, low).",
        "field": "impact",
    }
    assert api.get("/api/v1/policy/priority", impact="high").status_code == 400


def test_portal_users_get_403(world: Any, api_as: Any) -> None:
    api = api_as(world.b.client_admin)
    assert api.get("/api/v1/policy").status_code == 403
    assert api.get("/api/v1/policy/priority", impact="high", urgency="low").status_code == 403


def test_no_token_is_401(db: None, client: Any) -> None:
    assert client.get("/api/v1/policy").status_code == 401
