"""Load the demo world: create what is missing, never change what exists.

Rows are keyed on natural keys (client slug, user e-mail, team slug, and (client, name) for
sites, services and contacts). Writes go through the services with actor "demo" so every
created row has its audit entry; teams, memberships and client assignments have no services
and are written directly. The whole load is one transaction.

All demo users share one random password, generated on the first load and kept in
DATA_DIR/demo-login.txt (mode 0600). Later loads read it back, so users added later (or a
database rebuilt next to an existing file) get the same password.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from watchkeeper.accounts.models import Team, TeamMembership, User
from watchkeeper.accounts.services import user_create
from watchkeeper.branding.selectors import branding_get
from watchkeeper.branding.services import branding_logo_set, branding_save
from watchkeeper.demo import data, intake, oncall
from watchkeeper.demo import paging as demo_paging
from watchkeeper.demo.chat import chat_load
from watchkeeper.demo.comms import comms_load
from watchkeeper.demo.knowledge import knowledge_load
from watchkeeper.demo.logo import demo_logo_png
from watchkeeper.demo.monitoring import monitoring_load
from watchkeeper.demo.reviews import reviews_load
from watchkeeper.demo.sla import sla_load
from watchkeeper.tenancy.models import Client, Contact, Service, Site
from watchkeeper.tenancy.services import client_create, contact_create, service_create, site_create

Progress = Callable[[int, int, str], None]

ACTOR = "demo"
LOGIN_FILE = "demo-login.txt"
_PASSWORD_LINE = re.compile(r"^Sign in as \S+ with password (\S+)$", re.MULTILINE)


@dataclass
class _Run:
    """State of one load: the shared password's hash and what was created."""

    password_hash: str | None
    created: Counter[str] = field(default_factory=Counter)
    port: int = 8000  # where the console will serve: the demo's live monitors check it


Step = Callable[[_Run], None]


def demo_load(progress: Progress | None = None, *, port: int = 8000) -> str:
    """Create the missing parts of the demo world and return a one-paragraph summary. `port`:
    where the console will serve (`watchkeeper demo --port`), checked by the demo's monitors."""
    path = login_path()
    password = _known_password(path)
    if password is None and not User.objects.filter(email=data.OWNER.email).exists():
        # Written before the load: if the load fails, the next one reuses this password.
        password = _new_password()
        _write_login_file(path, password)
    run = _Run(password_hash=make_password(password) if password else None, port=port)
    steps = _steps()
    with transaction.atomic():
        for done, (label, step) in enumerate(steps, start=1):
            step(run)
            if progress is not None:
                progress(done, len(steps), label)
    return _summary(run, path)


def login_path() -> Path:
    return Path(settings.DATA_DIR) / LOGIN_FILE


def _steps() -> list[tuple[str, Step]]:
    steps: list[tuple[str, Step]] = [("Teams", _load_teams), ("Branding", _load_branding)]
    steps += [(_label(spec.name), functools.partial(_load_client, spec)) for spec in data.CLIENTS]
    steps += [("MSP staff", _load_staff), ("Portal users", _load_portal_users)]
    steps += [("Alerts and incidents", _load_intake)]
    steps += [("On-call schedules", lambda run: oncall.oncall_load(created=run.created))]
    steps += [("SLA policies and clocks", lambda run: sla_load(created=run.created))]
    steps += [("Paging", lambda run: demo_paging.paging_load(created=run.created))]
    steps += [("Team chat", lambda run: chat_load(created=run.created))]
    steps += [("Reviews and action items", lambda run: reviews_load(created=run.created))]
    steps += [("Client communication", lambda run: comms_load(created=run.created))]
    steps += [("Monitors", lambda run: monitoring_load(created=run.created, port=run.port))]
    steps += [("Knowledge base and runbooks", lambda run: knowledge_load(created=run.created))]
    return steps


def _load_intake(run: _Run) -> None:
    # After the staff: technicians act on the incidents of the history.
    intake.intake_load(created=run.created)


def _label(name: str) -> str:
    """A progress label that fits the CLI's 30-character column."""
    return name if len(name) <= 30 else name[:29] + "…"


# --- the login file ----------------------------------------------------------------------------


def _known_password(path: Path) -> str | None:
    """The password in an existing login file, or None."""
    try:
        match = _PASSWORD_LINE.search(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return match.group(1) if match else None


def _new_password() -> str:
    while True:
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password)
        except ValidationError:  # pragma: no cover - vanishingly rare for 16 random characters
            continue
        return password


def _write_login_file(path: Path, password: str) -> None:
    text = (
        f"Sign in as {data.OWNER.email} with password {password}\n"
        f"Client portal ({_client_name(data.PORTAL_LOGIN.client)}): sign in as "
        f"{data.PORTAL_LOGIN.email} with the same password.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when an unreadable old file was there
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def _client_name(slug: str) -> str:
    return next(spec.name for spec in data.CLIENTS if spec.slug == slug)


# --- the MSP's brand, teams and clients --------------------------------------------------------


def _load_branding(run: _Run) -> None:
    """The demo MSP's name, colour, support contacts and logo, unless a brand is already set."""
    row = branding_get()
    if not row.name:
        branding_save(
            actor=ACTOR, via=ACTOR, name=data.MSP_NAME, accent=data.MSP_ACCENT,
            support_email=f"servicedesk@{data.MSP_DOMAIN}", support_phone=data.MSP_PHONE,
            support_url=f"https://help.{data.MSP_DOMAIN}",
        )  # fmt: skip
        run.created["brand"] += 1
    if not row.logo_hash:
        branding_logo_set(actor=ACTOR, via=ACTOR, data=demo_logo_png())
        run.created["logo"] += 1


def _load_teams(run: _Run) -> None:
    for spec in data.TEAMS:
        _, created = Team.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name, "description": spec.description}
        )
        run.created["team"] += created


def _load_client(spec: data.ClientData, run: _Run) -> None:
    client = Client.objects.filter(slug=spec.slug).first()
    if client is None:
        client = client_create(
            actor=ACTOR, via=ACTOR, name=spec.name, slug=spec.slug, timezone=spec.timezone,
            country=spec.country, region=spec.region, contract_tier=spec.tier, seats=spec.seats,
            is_active=spec.is_active, notes=spec.notes,
        )  # fmt: skip
        run.created["client"] += 1
    _load_sites(client, spec.sites, run)
    _load_services(client, spec.services, run)
    _load_contacts(client, spec.contacts, run)


def _load_sites(client: Client, sites: tuple[data.SiteData, ...], run: _Run) -> None:
    existing = set(Site.objects.filter(client=client).values_list("name", flat=True))
    for spec in sites:
        if spec.name not in existing:
            site_create(
                actor=ACTOR, via=ACTOR, client=client, name=spec.name, address=spec.address,
                timezone=spec.timezone,
            )  # fmt: skip
            run.created["site"] += 1


def _load_services(client: Client, services: tuple[data.ServiceData, ...], run: _Run) -> None:
    existing = set(Service.objects.filter(client=client).values_list("name", flat=True))
    sites = dict(Site.objects.filter(client=client).order_by("pk").values_list("name", "pk"))
    first_site = next(iter(sites.values()), None)
    for spec in services:
        if spec.name not in existing:
            service_create(
                actor=ACTOR, via=ACTOR, client=client, name=spec.name, kind=spec.kind,
                site_id=sites.get(spec.site, first_site),
                criticality=spec.criticality, owner_team=spec.team, description=spec.description,
                is_active=spec.is_active,
            )  # fmt: skip
            run.created["service"] += 1


def _load_contacts(client: Client, contacts: tuple[data.ContactData, ...], run: _Run) -> None:
    existing = set(Contact.objects.filter(client=client).values_list("name", flat=True))
    for spec in contacts:
        if spec.name not in existing:
            contact_create(
                actor=ACTOR, via=ACTOR, client=client, name=spec.name, email=spec.email,
                phone=spec.phone, job_title=spec.job_title, is_primary=spec.primary,
                preferred_channel=spec.channel, receives_incident_updates=spec.updates,
                receives_major_incidents_only=spec.major_only, receives_reports=spec.reports,
                notes=spec.notes,
            )  # fmt: skip
            run.created["contact"] += 1


# --- people ------------------------------------------------------------------------------------


def _load_staff(run: _Run) -> None:
    for spec in data.STAFF:
        user = _ensure_user(
            run, email=spec.email, role=spec.role, full_name=spec.full_name, timezone=spec.timezone,
            phone=spec.phone, all_clients=spec.all_clients,
        )  # fmt: skip
        if not user.is_msp:
            continue  # the address belongs to someone else; leave them alone
        if spec.team:
            team = Team.objects.get(slug=spec.team)
            _, created = TeamMembership.objects.get_or_create(
                team=team, user=user, defaults={"is_lead": spec.lead}
            )
            run.created["team membership"] += created
        missing = Client.objects.filter(slug__in=spec.clients).exclude(
            pk__in=user.assigned_clients.values("pk")
        )
        to_add = list(missing)
        user.assigned_clients.add(*to_add)
        run.created["client assignment"] += len(to_add)


def _load_portal_users(run: _Run) -> None:
    for spec in data.PORTAL_USERS:
        client = Client.objects.get(slug=spec.client)
        _ensure_user(
            run, email=spec.email, role=spec.role, full_name=spec.full_name, client=client,
            timezone=client.timezone, phone=_contact_phone(client, spec.full_name),
        )  # fmt: skip


def _contact_phone(client: Client, name: str) -> str:
    contact = Contact.objects.filter(client=client, name=name).first()
    return contact.phone if contact else ""


def _ensure_user(
    run: _Run,
    *,
    email: str,
    role: str,
    full_name: str,
    timezone: str,
    phone: str,
    client: Client | None = None,
    all_clients: bool = False,
) -> User:
    """The user with this e-mail; created (with the shared password) when missing."""
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    user = user_create(
        email=email, role=role, full_name=full_name, client=client, all_clients=all_clients,
        timezone=timezone, phone=phone, actor=ACTOR, via=ACTOR,
    )  # fmt: skip
    # Hashing the shared password once keeps the load fast (a production hash costs about
    # half a second per user); password changes are not audited, so neither is this.
    if run.password_hash is not None:
        user.password = run.password_hash
        user.save(update_fields=["password"])
    run.created["portal user" if client is not None else "MSP staff account"] += 1
    return user


# --- the summary -------------------------------------------------------------------------------


def _summary(run: _Run, path: Path) -> str:
    created = +run.created  # drops the zero counts
    if created:
        made = ", ".join(_count(n, noun) for noun, n in created.items())
        head = f"Loaded the {data.MSP_NAME} demo: created {made}."
    else:
        head = f"The {data.MSP_NAME} demo is already loaded; nothing was changed."
    active = Client.objects.filter(slug__in=[spec.slug for spec in data.CLIENTS], is_active=True)
    world = f"Active demo clients: {', '.join(active.order_by('name').values_list('slug', flat=True))}."
    if _known_password(path) is not None:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        login = f"{'; '.join(lines)} The login is saved in {path}."
    else:
        login = f"There is no demo login file at {path}; sign in with your existing password."
    return f"{head} {world} {login}"


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"{n} {noun}"
    # "policy" → "policies", but "survey"-like endings (vowel + y) keep their y.
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{n} {plural}"
