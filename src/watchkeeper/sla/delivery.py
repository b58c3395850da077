"""The monthly SLA report by e-mail, through an outbox of its own (`ReportDelivery`).

Once a client's month is over, the engine job queues one row per client and month (unique, so
queueing again adds nothing) and holds no lock while a report renders: delivery claims the row
under a lease, renders the PDF and talks SMTP outside any transaction, then records the outcome
fenced on the lease. A failure retries with backoff, then parks the row as failed with its error.
At least once: an engine that dies mid-send leaves the lease to expire and the report is sent
again (as with pages, a rare duplicate beats a missing report).
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage
from django.db.models import Q

from watchkeeper.branding.emails import branded_email
from watchkeeper.branding.selectors import brand_current
from watchkeeper.core import clock
from watchkeeper.sla.models import ReportDelivery, ReportState, SlaPolicy
from watchkeeper.sla.render import report_pdf
from watchkeeper.sla.reports import report_build
from watchkeeper.tenancy.models import Client, Contact

log = logging.getLogger("watchkeeper.sla")

MAX_ATTEMPTS = 8


def _last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _recipients(client: Client) -> list[str]:
    contacts = Contact.objects.filter(client=client, receives_reports=True).exclude(email="")
    return sorted(contacts.values_list("email", flat=True))


def _has_policy(client: Client) -> bool:
    return (
        SlaPolicy.objects.filter(client=client).exists()
        or SlaPolicy.objects.filter(client__isnull=True, tier=client.contract_tier).exists()
    )


def sla_reports_queue(*, now: dt.datetime | None = None) -> int:
    """Queue last month's report of every active client with an SLA policy that has none yet
    (its month in its own time zone); returns how many will be e-mailed. A month whose client
    has no report contacts is recorded as such, so it is not looked at again."""
    now = now or clock.now()
    rows = []
    for client in Client.objects.filter(is_active=True).order_by("pk"):
        month = _last_month(now.astimezone(ZoneInfo(client.timezone or "UTC")).date()).strftime("%Y-%m")
        if ReportDelivery.objects.filter(client=client, month=month).exists() or not _has_policy(client):
            continue
        recipients = _recipients(client)
        state = ReportState.PENDING if recipients else ReportState.NOBODY
        rows.append(ReportDelivery(client=client, month=month, recipients=recipients, state=state))
    # ignore_conflicts: the unique (client, month) decides if two runs ever race.
    ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return sum(row.state == ReportState.PENDING for row in rows)


def _message(delivery: ReportDelivery) -> EmailMessage:
    client = delivery.client
    month = dt.date.fromisoformat(f"{delivery.month}-01")
    report = report_build(client=client, start=month, end=(month + dt.timedelta(days=32)).replace(day=1))
    brand = brand_current()
    message = branded_email(
        subject=f"SLA report {report.label}: {client.name}",
        paragraphs=[
            f"Attached is {client.name}'s service level report for {report.label} from {brand.name}: "
            "how quickly we responded to and resolved your incidents, against the targets of your "
            "contract, and any target we missed.",
        ],
        to=list(delivery.recipients),
        brand=brand,
    )
    pdf = report_pdf(report, brand=brand)
    message.attach(f"sla-{client.slug}-{delivery.month}.pdf", pdf, "application/pdf")
    return message


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2**attempts))


def sla_report_deliver(*, delivery: ReportDelivery, owner: str) -> str:
    """Render and e-mail one report whose lease `owner` holds (attempts already counted by the
    claim); returns the state it ended in. Caller is outside any transaction: rendering a month
    takes a while and must not hold SQLite's write lock."""
    try:
        _message(delivery).send()
    except Exception:
        log.exception("e-mailing the SLA report %s failed", delivery)
        error = traceback.format_exc()[-4000:]
    else:
        error = ""
    now = clock.now()
    fields: dict[str, object] = {"last_error": error, "lease_until": None}
    if not error:
        fields.update(state=ReportState.SENT, sent_at=now)
    elif delivery.attempts >= MAX_ATTEMPTS:
        fields.update(state=ReportState.FAILED)
    else:
        fields.update(state=ReportState.PENDING, due_at=now + _backoff(delivery.attempts))
    # Fenced: if the lease expired and another engine took the row, its answer counts, not ours.
    mine = Q(pk=delivery.pk, state=ReportState.SENDING, lease_owner=owner)
    ReportDelivery.objects.filter(mine).update(**fields)
    return str(fields["state"])
