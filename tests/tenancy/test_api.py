"""The clients/services/contacts API, scoped by the access module."""

from __future__ import annotations

from typing import Any

from watchkeeper.accounts.models import Role
from watchkeeper.audit.models import AuditEntry
from watchkeeper.tenancy.models import Service


def test_no_token_is_401(world: Any, client: Any) -> None:
    response = client.get("/api/v1/clients")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/clients", headers={"Authorization": "Bearer wk_nonsense"}).status_code == 401


def test_client_user_lists_only_own_client(world: Any, api_as: Any) -> None:
    api = api_as(world.b.client_user)
    body = api.get("/api/v1/clients").json()
    assert body == {"items": [body["items"][0]], "count": 1}
    assert body["items"][0]["slug"] == world.b.client.slug
    assert api.get(f"/api/v1/clients/{world.a.client.slug}").status_code == 404
    assert api.get(f"/api/v1/clients/{world.b.client.slug}").status_code == 200


def test_owner_sees_all_and_paginates(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    body = api.get("/api/v1/clients", limit=1, offset=1).json()
    assert body["count"] == 2
    assert [item["slug"] for item in body["items"]] == [world.b.client.slug]


def test_create_service_for_other_tenant_is_400(world: Any, api_as: Any) -> None:
    api = api_as(world.b.technician)
    response = api.post("/api/v1/services", {"client": world.a.client.slug, "name": "Sneaky"})
    assert response.status_code == 400
    assert "Unknown client" in response.json()["detail"]
    assert not Service.objects.filter(name="Sneaky").exists()


def test_create_service_with_other_tenants_site_is_400(world: Any, api_as: Any) -> None:
    api = api_as(world.b.technician)
    response = api.post(
        "/api/v1/services", {"client": world.b.client.slug, "name": "Cross", "site_id": world.a.site.pk}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "site"
    assert not Service.objects.filter(name="Cross").exists()


def test_create_and_update_service_is_audited(world: Any, api_as: Any) -> None:
    api = api_as(world.b.technician)
    response = api.post(
        "/api/v1/services",
        {"client": world.b.client.slug, "name": "Email", "kind": "email", "criticality": "high"},
    )
    assert response.status_code == 201, response.content
    service_id = response.json()["id"]
    response = api.patch(f"/api/v1/services/{service_id}", {"criticality": "critical"})
    assert response.status_code == 200
    assert response.json()["criticality"] == "critical"
    entry = AuditEntry.objects.filter(action="service.update").get()
    assert entry.before["criticality"] == "high"
    assert entry.after["criticality"] == "critical"
    assert entry.actor == world.b.technician
    assert entry.via == "api"


def test_validation_errors_are_400_with_a_message(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    response = api.post("/api/v1/services", {"client": world.a.client.slug, "name": "X", "kind": "toaster"})
    assert response.status_code == 400
    assert "kind must be one of" in response.json()["detail"]
    response = api.post("/api/v1/services", {"client": world.a.client.slug})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    admin_api = api_as(world.owner, scopes=["admin"])
    response = admin_api.post("/api/v1/clients", {"name": "Dup", "slug": world.a.client.slug})
    assert response.status_code == 400
    assert "already exists" in response.json()["detail"]


def test_read_scope_cannot_write(world: Any, api_as: Any) -> None:
    api = api_as(world.owner, scopes=["read"])
    response = api.post("/api/v1/services", {"client": world.a.client.slug, "name": "Nope"})
    assert response.status_code == 403


def test_token_restricted_to_one_client(world: Any, api_as: Any) -> None:
    api = api_as(world.owner, client=world.a.client)
    slugs = [item["slug"] for item in api.get("/api/v1/clients").json()["items"]]
    assert slugs == [world.a.client.slug]
    assert api.get(f"/api/v1/services/{world.b.service.pk}").status_code == 404


def test_technician_sees_only_assigned_clients(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    services = api.get("/api/v1/services").json()["items"]
    assert {s["client"] for s in services} == {world.a.client.slug}
    assert world.a.technician.role == Role.TECHNICIAN


def test_unknown_api_path_is_json_404(world: Any, api_as: Any) -> None:
    response = api_as(world.owner).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No API operation")
