"""Demo knowledge base and runbooks: a dozen articles an MSP would really keep (MSP-wide and per
client, some shown in the client's portal), and runbooks for the demo's services and alerts.
Idempotent: keyed on (client, title); only what is missing is created."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from watchkeeper.core import clock
from watchkeeper.knowledge.models import Article, Runbook
from watchkeeper.knowledge.runbooks import runbook_create
from watchkeeper.knowledge.services import article_create, article_update
from watchkeeper.tenancy.models import Client, Service

ACTOR = "demo"


@dataclass(frozen=True)
class ArticleData:
    title: str
    tags: str
    body: str
    client: str = ""  # slug; empty: MSP-wide
    client_visible: bool = False
    services: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    revision: str = ""  # a second version, so the history has a diff to show


ARTICLES = (
    ArticleData(
        "Disk full on a Windows server",
        "storage windows disk",
        "## Symptoms\nC: below 10 % free; services fail to write logs; Windows Update stalls.\n\n"
        "## Steps\n1. Run WizTree as administrator and sort by size.\n"
        "2. Clear `C:\\Windows\\Temp` and the IIS logs older than 30 days.\n"
        "3. `Dism /Online /Cleanup-Image /StartComponentCleanup`.\n"
        "4. If still below 15 %, raise a change to grow the volume.\n\n"
        "Never delete from `C:\\Windows\\Installer`.",
        categories=("server",),
        revision="\n\n## Shadow copies\n`vssadmin list shadowstorage` — cap it at 10 % with "
        "`vssadmin resize shadowstorage`.",
    ),
    ArticleData(
        "Resetting a user's MFA in Microsoft 365",
        "m365 mfa identity",
        "1. Confirm the caller's identity with the client's approved contact (call back on the number "
        "in the portal, never the one the caller gives).\n2. Entra admin centre → Users → the user → "
        "Authentication methods → *Require re-register MFA*.\n3. Revoke sessions.\n4. Note the ticket "
        "number in the user's Entra notes.",
        categories=("identity",),
    ),
    ArticleData(
        "Printer queue stuck",
        "printing endpoint",
        "Restart the *Print Spooler* service, then clear `C:\\Windows\\System32\\spool\\PRINTERS`. "
        "If jobs return at once, remove and re-add the printer with the client's current driver.",
        categories=("endpoint",),
    ),
    ArticleData(
        "Nightly backup job failed",
        "backup veeam",
        "1. Open the Veeam console and read the job's last session log.\n2. *Insufficient space*: see "
        "the repository article. *VSS error*: `vssadmin list writers`, restart the failed writer's "
        "service.\n3. Retry the job; if it fails twice, escalate to Infrastructure.\n\nA missed backup "
        "is a P3 until a second night is missed (P2).",
        categories=("backup",),
    ),
    ArticleData(
        "Wi-Fi controller down",
        "network wifi",
        "Check the controller's uplink port on the core switch first (it is usually PoE budget). "
        "APs keep serving clients for about an hour in local mode; new sign-ins fail at once.",
        categories=("network",),
    ),
    ArticleData(
        "Phishing report: first 15 minutes",
        "security phishing",
        "1. Do not click. Get the message as an attachment (.eml).\n2. Search and purge in Defender "
        "(Threat Explorer).\n3. Block the sender domain.\n4. If anyone entered credentials: reset "
        "the password, revoke sessions, check mailbox rules.\n5. Tell the client contact within the "
        "hour.",
        categories=("security",),
    ),
    ArticleData(
        "Connecting to the practice Wi-Fi",
        "wifi guide",
        "Choose **HVD-Staff**, sign in with your practice e-mail and password. Guests use "
        "**HVD-Guest** with the code at reception. Call the service desk if your device asks about a "
        "certificate.",
        client="hvdental",
        client_visible=True,
        services=("Practice firewalls and Wi-Fi",),
        categories=("network",),
    ),
    ArticleData(
        "Practice database HVD-SQL01: restart order",
        "sql dental",
        "Stop the practice management application service on HVD-APP01 first, then restart SQL "
        "Server on HVD-SQL01, then start the application service again. Imaging (HVD-IMG01) "
        "reconnects by itself within two minutes.",
        client="hvdental",
        services=("Practice database HVD-SQL01",),
        categories=("application",),
    ),
    ArticleData(
        "EDI gateway queue backlog",
        "edi kestrel",
        "The gateway holds messages when the carrier's AS2 endpoint refuses them. Check "
        "`/var/log/edi/as2.log` for HTTP 5xx from the carrier; if so, wait and tell dispatch. If the "
        "backlog is ours (disk, certificate), restart `edi-gateway` after fixing the cause.",
        client="kestrel",
        services=("EDI gateway",),
        categories=("application",),
    ),
    ArticleData(
        "Using the label printers at the depot",
        "printing guide",
        "Labels print from the TMS. If a printer shows *PAUSED*, press the feed button once; if it "
        "shows *RIBBON OUT*, change the ribbon (spares in the depot office).",
        client="kestrel",
        client_visible=True,
        services=("Depot PCs and label printers",),
    ),
    ArticleData(
        "Remote access VPN: signing in",
        "vpn guide",
        "Open GlobalProtect, portal `vpn.cobaltpeak.example`, sign in with your firm account and "
        "approve the push on your phone.",
        client="cobalt",
        client_visible=True,
        services=("Remote access VPN",),
        categories=("network",),
    ),
    ArticleData(
        "Cobalt Peak: legal-hold mailboxes",
        "m365 legal",
        "Mailboxes under legal hold must never be deleted or converted, even after a leaver: "
        "convert the licence only after the partner in charge confirms in writing.",
        client="cobalt",
        categories=("email",),
    ),
)


@dataclass(frozen=True)
class RunbookData:
    title: str
    steps: tuple[tuple[str, str], ...]
    client: str = ""
    services: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    alert_match: tuple[tuple[str, str], ...] = ()
    review_in_days: int = 90


RUNBOOKS = (
    RunbookData(
        "Disk full",
        (
            ("text", "Open the KB article “Disk full on a Windows server”."),
            ("check", "Find the largest folders (WizTree)"),
            ("check", "Clear temp files and old IIS logs"),
            ("check", "Confirm more than 15 % free"),
            ("check", "Note what was removed on the incident"),
        ),
        alert_match=(("labels.alertname", "DiskFull"),),
        review_in_days=-10,
    ),
    RunbookData(
        "Wi-Fi controller down",
        (
            ("check", "Check the controller's uplink and PoE on the core switch"),
            ("check", "Power-cycle the controller"),
            ("check", "Confirm APs re-joined (controller UI)"),
            ("check", "Tell the depot manager"),
        ),
        client="kestrel",
        alert_match=(("labels.alertname", "WifiControllerDown"),),
    ),
    RunbookData(
        "EDI queue backlog",
        (
            ("check", "Read as2.log for carrier errors"),
            ("check", "Check disk and certificate on the gateway"),
            ("check", "Restart edi-gateway if the cause is ours"),
            ("check", "Confirm the queue drains"),
        ),
        client="kestrel",
        services=("EDI gateway",),
        alert_match=(("labels.alertname", "EDIQueueBacklog"),),
    ),
    RunbookData(
        "Practice database unavailable",
        (
            ("check", "Stop the practice application service on HVD-APP01"),
            ("check", "Restart SQL Server on HVD-SQL01"),
            ("check", "Start the application service"),
            ("check", "Ask reception to confirm they can book"),
        ),
        client="hvdental",
        services=("Practice management", "Practice database HVD-SQL01"),
        review_in_days=-3,
    ),
    RunbookData(
        "Failed backup",
        (
            ("check", "Read the job's last session log"),
            ("check", "Fix the cause (space, VSS writer)"),
            ("check", "Retry the job"),
            ("check", "Escalate to Infrastructure after a second failure"),
        ),
        categories=("backup",),
    ),
)


def _clients() -> dict[str, Client]:
    return {client.slug: client for client in Client.objects.all()}


def _service_ids(client: Client | None, names: tuple[str, ...]) -> list[int]:
    if not names:
        return []
    qs = Service.objects.filter(name__in=names)
    if client is not None:
        qs = qs.filter(client=client)
    return list(qs.values_list("pk", flat=True))


def knowledge_load(*, created: Counter[str]) -> None:
    clients = _clients()
    existing = set(Article.objects.values_list("client__slug", "title"))
    for spec in ARTICLES:
        client = clients.get(spec.client) if spec.client else None
        if (spec.client and client is None) or ((client.slug if client else None), spec.title) in existing:
            continue
        article = article_create(
            actor=ACTOR, via=ACTOR, client=client, title=spec.title, body=spec.body, tags=spec.tags,
            client_visible=spec.client_visible, service_ids=_service_ids(client, spec.services),
            categories=spec.categories,
        )  # fmt: skip
        if spec.revision:
            article_update(
                actor=ACTOR, via=ACTOR, article=article, body=spec.body + spec.revision, note="Shadow copies"
            )
        created["article"] += 1
    _runbooks_load(clients, created)


def _runbooks_load(clients: dict[str, Client], created: Counter[str]) -> None:
    existing = set(Runbook.objects.values_list("client__slug", "title"))
    today = clock.now().date()
    for spec in RUNBOOKS:
        client = clients.get(spec.client) if spec.client else None
        if (spec.client and client is None) or ((client.slug if client else None), spec.title) in existing:
            continue
        runbook_create(
            actor=ACTOR, via=ACTOR, client=client, title=spec.title,
            steps=[{"kind": kind, "text": text} for kind, text in spec.steps],
            service_ids=_service_ids(client, spec.services), categories=spec.categories,
            alert_match=dict(spec.alert_match), review_due=today + dt.timedelta(days=spec.review_in_days),
        )  # fmt: skip
        created["runbook"] += 1
