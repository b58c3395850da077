"""The Incident policy page, its YAML download and the upload form."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.policy.edits import line_of, replace_once
from watchkeeper.audit.models import AuditEntry
from watchkeeper.core import clock
from watchkeeper.policy.models import Policy
from watchkeeper.policy.services import policy_export_yaml


def _upload(text: str) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("policy.yaml", text.encode(), content_type="application/yaml")}


def test_technician_reads_the_policy(world: Any, browser_as: Any, default_yaml: str) -> None:
    response = browser_as(world.a.technician).get("/policy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Incident management policy" in html
    assert "Head of Service Delivery" in html
    assert "overdue for review" in html  # the shipped policy was never reviewed
    assert "<h2>Roles and responsibilities</h2>" in html
    assert "<td><strong>Incident owner</strong></td>" in html  # Markdown table rendered
    assert '<table class="matrix">' in html
    assert html.count('<span class="badge P1">P1</span> Critical') >= 2  # matrix cell and legend
    assert '<span class="badge P5">P5</span> Planning' in html
    assert "Identity and access" in html and "Alert severities" in html
    assert 'href="/policy/export.yaml"' in html
    assert 'name="file"' not in html, "technicians may not change the policy"


def test_overdue_badge_disappears_after_a_review(world: Any, browser_as: Any, default_yaml: str) -> None:
    reviewed = clock.now().date().isoformat()
    text = replace_once(default_yaml, "last_reviewed: null", f"last_reviewed: {reviewed}")
    assert browser_as(world.owner).post("/policy/import", _upload(text)).status_code == 302
    html = browser_as(world.a.technician).get("/policy/").content.decode()
    assert "overdue for review" not in html


def test_policy_markdown_is_sanitised(world: Any, browser_as: Any, default_yaml: str) -> None:
    hostile = "<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>"
    text = replace_once(
        default_yaml, "      This policy sets out how", f"      {hostile}\n      This policy sets out how"
    )
    assert browser_as(world.owner).post("/policy/import", _upload(text)).status_code == 302
    html = browser_as(world.a.technician).get("/policy/").content.decode()
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run
    assert "&lt;img src=x onerror=alert(3)&gt;" in html


def test_portal_users_are_refused(world: Any, browser_as: Any, default_yaml: str) -> None:
    for user in (world.a.client_user, world.a.client_admin):
        http = browser_as(user)
        assert http.get("/policy/").status_code == 403
        assert http.get("/policy/export.yaml").status_code == 403
        assert http.post("/policy/import", _upload(default_yaml)).status_code == 403


def test_anonymous_is_sent_to_sign_in(db: None, client: Any) -> None:
    response = client.get("/policy/")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_download_yaml(world: Any, browser_as: Any, default_yaml: str) -> None:
    response = browser_as(world.a.technician).get("/policy/export.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == default_yaml


def test_owner_uploads_a_policy(world: Any, browser_as: Any, default_yaml: str) -> None:
    http = browser_as(world.owner)
    assert 'name="file"' in http.get("/policy/").content.decode()
    text = replace_once(default_yaml, "owner: Head of Service Delivery", "owner: Service Desk Manager")
    response = http.post("/policy/import", _upload(text), follow=True)
    assert response.redirect_chain == [("/policy/", 302)]
    assert "Imported the incident policy" in response.content.decode()
    assert Policy.objects.get().owner == "Service Desk Manager"
    assert AuditEntry.objects.get(action="policy.import").via == "console"


def test_bad_upload_names_the_line_and_changes_nothing(
    world: Any, browser_as: Any, default_yaml: str
) -> None:
    text = replace_once(default_yaml, "  - key: scope\n", "  - key: purpose\n")
    response = browser_as(world.owner).post("/policy/import", _upload(text))
    assert response.status_code == 400
    html = response.content.decode()
    first, second = line_of(text, "- key: purpose"), line_of(text, "- key: purpose", occurrence=2)
    assert (
        f"line {second}: sections[1].key: duplicate key &#x27;purpose&#x27; (already on line {first})" in html
    )
    assert "The policy was not changed." in html
    assert policy_export_yaml() == default_yaml


def test_upload_without_a_file_or_not_utf8(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    assert "Choose a YAML file" in http.post("/policy/import", {}).content.decode()
    response = http.post("/policy/import", {"file": SimpleUploadedFile("p.yaml", b"\xff\xfe\x00")})
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()


def test_technician_cannot_upload(world: Any, browser_as: Any, default_yaml: str) -> None:
    response = browser_as(world.a.technician).post("/policy/import", _upload(default_yaml))
    assert response.status_code == 403
