"""The demo world: what it creates, that a second load changes nothing, and the CLI entry."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate

from tests.accounts.factories import UserFactory
from watchkeeper.accounts.models import Role, Team, TeamMembership, User
from watchkeeper.audit.models import AuditEntry
from watchkeeper.cli import main
from watchkeeper.demo import data, demo_load
from watchkeeper.demo import load as demo_module
from watchkeeper.tenancy.models import Client, Contact, Service, Site


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def _login(data_dir: Path) -> tuple[str, str]:
    text = (data_dir / "demo-login.txt").read_text()
    match = re.search(r"^Sign in as (\S+) with password (\S+)$", text, re.MULTILINE)
    assert match, text
    return match.group(1), match.group(2)


def _everything() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model (M2M tables included) of the apps the demo writes to."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for label in ("accounts", "tenancy", "audit"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows


def test_load_creates_the_world(db: Any, data_dir: Path) -> None:
    demo_load()

    assert Client.objects.count() >= 5
    assert Client.objects.filter(is_active=False).exists()
    assert set(Client.objects.values_list("contract_tier", flat=True)) == {"essential", "standard", "premium"}
    assert len(set(Client.objects.values_list("timezone", flat=True))) >= 5
    seats = list(Client.objects.values_list("seats", flat=True))
    assert min(seats) <= 15 and max(seats) >= 1500
    for client in Client.objects.all():
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,10}[a-z0-9]", client.slug)
    for client in Client.objects.filter(is_active=True):
        assert 1 <= Site.objects.filter(client=client).count() <= 4
        assert 3 <= Service.objects.filter(client=client).count() <= 10
        contacts = Contact.objects.filter(client=client)
        assert 2 <= contacts.count() <= 5
        assert contacts.filter(is_primary=True).count() == 1
        assert contacts.filter(receives_reports=True).exists()
        assert all(c.email.endswith(".example") for c in contacts)
    assert Service.objects.values("kind").distinct().count() >= 8
    assert not User.objects.exclude(email__endswith=".example").exists()


def test_teams_have_leads_and_technicians(db: Any, data_dir: Path) -> None:
    demo_load()

    assert Team.objects.count() >= 2
    for team in Team.objects.all():
        members = TeamMembership.objects.filter(team=team)
        assert members.filter(is_lead=True).count() == 1
        assert members.filter(user__role=Role.TECHNICIAN).count() >= 3
    technicians = User.objects.filter(role=Role.TECHNICIAN)
    assert technicians.filter(all_clients=True).exists()
    assigned_only = technicians.filter(all_clients=False)
    assert assigned_only.exists()
    assert all(tech.assigned_clients.exists() for tech in assigned_only)
    assert Service.objects.filter(owner_team__isnull=True).count() == 0
    assert not User.objects.filter(timezone="UTC").exists()


def test_staff_roles_and_portal_users(db: Any, data_dir: Path) -> None:
    demo_load()

    roles = set(User.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    owner = User.objects.get(email=data.OWNER.email)
    assert owner.role == Role.OWNER
    portal = User.objects.filter(role__in=[Role.CLIENT_ADMIN, Role.CLIENT_USER])
    assert portal.values("client").distinct().count() >= 2
    for user in portal:
        assert user.client is not None
        assert user.email.split("@")[1] in {c.email.split("@")[1] for c in user.client.contacts.all()}


def test_every_created_row_is_audited_as_demo(db: Any, data_dir: Path) -> None:
    demo_load()

    entries = AuditEntry.objects.all()
    assert set(entries.values_list("actor_label", flat=True)) == {"demo"}
    assert set(entries.values_list("via", flat=True)) == {"demo"}
    for model, action in ((Client, "client.create"), (Site, "site.create"), (Service, "service.create")):
        audited = set(entries.filter(action=action).values_list("object_id", flat=True))
        assert audited == {str(pk) for pk in model.objects.values_list("pk", flat=True)}
    audited_users = set(entries.filter(action="user.create").values_list("object_id", flat=True))
    assert audited_users == {str(pk) for pk in User.objects.values_list("pk", flat=True)}
    assert entries.filter(action="contact.create").count() == Contact.objects.count()


def test_login_file_is_private_and_its_password_works(db: Any, data_dir: Path) -> None:
    summary = demo_load()

    path = data_dir / "demo-login.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    email, password = _login(data_dir)
    assert email == data.OWNER.email
    assert password in summary
    assert authenticate(email=email, password=password) == User.objects.get(email=email)
    portal_email = data.PORTAL_LOGIN.email
    assert portal_email in path.read_text()
    assert authenticate(email=portal_email, password=password) is not None
    assert authenticate(email=email, password=password + "x") is None


def test_second_load_changes_nothing(db: Any, data_dir: Path) -> None:
    demo_load()
    login_text = (data_dir / "demo-login.txt").read_text()
    before = _everything()

    summary = demo_load()

    assert _everything() == before
    assert (data_dir / "demo-login.txt").read_text() == login_text
    assert "nothing was changed" in summary


def test_existing_rows_are_kept_and_missing_ones_added(db: Any, data_dir: Path) -> None:
    demo_load()
    kestrel = Client.objects.get(slug="kestrel")
    Client.objects.filter(pk=kestrel.pk).update(seats=7, notes="edited by a person")
    Site.objects.filter(client=kestrel, name="Hamburg hub").delete()
    User.objects.get(email="mia.tran@lighthouse-it.example").delete()

    summary = demo_load()

    kestrel.refresh_from_db()
    assert (kestrel.seats, kestrel.notes) == (7, "edited by a person")
    assert Site.objects.filter(client=kestrel, name="Hamburg hub").exists()
    mia = User.objects.get(email="mia.tran@lighthouse-it.example")
    assert mia.all_clients  # the MSP-wide desk sees every client (pages reach her for any)
    assert list(mia.teams.values_list("slug", flat=True)) == [data.SERVICE_DESK]
    _, password = _login(data_dir)
    assert authenticate(email=mia.email, password=password) == mia
    assert "created 1 site" in summary


def test_password_from_an_existing_file_is_reused(db: Any, data_dir: Path) -> None:
    (data_dir / "demo-login.txt").write_text(
        f"Sign in as {data.OWNER.email} with password kept-from-before-42\n"
    )

    demo_load()

    assert authenticate(email=data.OWNER.email, password="kept-from-before-42") is not None
    assert _login(data_dir)[1] == "kept-from-before-42"


def test_a_failure_leaves_nothing_loaded(db: Any, data_dir: Path, monkeypatch: Any) -> None:
    def broken(run: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_module, "_load_portal_users", broken)
    with pytest.raises(RuntimeError):
        demo_load()

    assert not Client.objects.exists()
    assert not User.objects.exists()
    assert not AuditEntry.objects.exists()


def test_progress_reaches_the_total(db: Any, data_dir: Path) -> None:
    calls: list[tuple[int, int, str]] = []

    demo_load(progress=lambda done, total, label: calls.append((done, total, label)))

    assert calls
    done, total, _ = calls[-1]
    assert done == total
    assert [call[0] for call in calls] == list(range(1, total + 1))
    assert all(len(label) <= 30 for _, _, label in calls)


def test_cli_demo_loads_and_prints_the_login(db: Any, data_dir: Path, capsys: Any) -> None:
    assert main(["demo"]) == 0

    out = capsys.readouterr().out
    assert f"Sign in as {data.OWNER.email}" in out
    assert Client.objects.count() >= 5
    assert main(["demo"]) == 0


def test_cli_first_run_skips_a_database_with_users(db: Any, data_dir: Path) -> None:
    UserFactory(role=Role.OWNER)

    assert main(["demo", "--first-run"]) == 0

    assert not Client.objects.exists()
    assert User.objects.count() == 1
    assert not (data_dir / "demo-login.txt").exists()


def test_the_demo_has_paging_and_its_history_pages_nobody(db: Any, data_dir: Path) -> None:
    from watchkeeper.engine.loop import run_cycle
    from watchkeeper.paging.models import ContactMethod, EscalationPolicy, OutboxMessage
    from watchkeeper.paging.selectors import policy_warnings

    demo_load()
    assert EscalationPolicy.objects.filter(client__isnull=True, is_default=True).exists()
    assert EscalationPolicy.objects.filter(client__slug="hvdental", is_default=True).exists()
    # Every policy pages only people who may work on the clients it pages for (issue 12).
    assert {policy.name: policy_warnings(policy=policy) for policy in EscalationPolicy.objects.all()} == {
        policy.name: [] for policy in EscalationPolicy.objects.all()
    }
    assert ContactMethod.objects.count() >= 5
    for _ in range(20):
        if not run_cycle():
            break
    # Two weeks of resolved history page nobody; what the engine sends on a fresh demo is the
    # on-call notices of the schedules it just created ("you are now on call", first shifts).
    assert not OutboxMessage.objects.filter(purpose="page").exists()
    subjects = set(OutboxMessage.objects.values_list("subject", flat=True))
    assert subjects and all(s.startswith(("You are now on call", "Your on-call shifts")) for s in subjects)
