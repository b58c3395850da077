"""What chat channels hear: an incident's timeline entries turned into posts, and the hourly
leadership digest while P1/P2 incidents are open.

The `chat.incident` timer (set with every incident change, and after escalation steps, by
`incidents.services`) runs `incident_events_post`: it reads each incident's timeline entries past
its cursor, turns those that are chat events into one `ChatPost` per channel that wants them, and
moves the cursor, in one transaction. Posts are unique per (channel, entry), so a repeated firing
posts nothing twice; delivery is the engine's (`notify.py`), never the web request's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from watchkeeper.chat.models import ChatChannel, ChatEvent, ChatPost, IncidentCursor
from watchkeeper.chat.timers import DIGEST
from watchkeeper.core import clock
from watchkeeper.core.humanize import duration_text
from watchkeeper.core.models import Timer, TimerState
from watchkeeper.core.timers import timer_set
from watchkeeper.incidents.models import OPEN_INCIDENT_STATUSES, Incident, TimelineEntry, TimelineKind
from watchkeeper.paging.services.notify import base_url

# The leadership digest covers the policy's two most urgent priorities (P1 and P2 by default).
LEADERSHIP_RANKS = 2
DIGEST_KEY = "leadership"
DIGEST_EVERY = dt.timedelta(hours=1)
DIGEST_LINES = 25
# An event older than this when the engine gets to it (downtime, a channel added later) is news
# no longer: it is not posted.
STALE_AFTER = dt.timedelta(hours=6)
_KINDS = (
    TimelineKind.OPENED,
    TimelineKind.PRIORITY,
    TimelineKind.STATUS,
    TimelineKind.NOTE,
    TimelineKind.PAGE,
)
_LABELS = {
    ChatEvent.OPENED: "opened",
    ChatEvent.PRIORITY: "priority changed",
    ChatEvent.ACKNOWLEDGED: "acknowledged",
    ChatEvent.ESCALATED: "escalated",
    ChatEvent.UPDATE: "client update",
    ChatEvent.RESOLVED: "resolved",
}


def entry_event(entry: TimelineEntry) -> str | None:
    """The chat event a timeline entry is, or None."""
    data = entry.data if isinstance(entry.data, dict) else {}
    if entry.kind == TimelineKind.OPENED:
        return ChatEvent.OPENED
    if entry.kind == TimelineKind.PRIORITY:
        return ChatEvent.PRIORITY
    if entry.kind == TimelineKind.STATUS:
        status = data.get("status")
        if status == "resolved":
            return ChatEvent.RESOLVED
        # "Resumed" after a wait also sets acknowledged; only an acknowledgement is one.
        if status == "acknowledged" and entry.text.startswith("Acknowledged"):
            return ChatEvent.ACKNOWLEDGED
        return None
    if entry.kind == TimelineKind.NOTE:
        return ChatEvent.UPDATE if entry.client_visible else None
    if entry.kind == TimelineKind.PAGE:
        return ChatEvent.ESCALATED if _is_escalation(entry, data) else None
    return None


def _is_escalation(entry: TimelineEntry, data: dict[str, object]) -> bool:
    """A person escalated by hand, or an escalation step paged past the first level (or a repeat).
    Step causes are `page:<incident>:<run>.<loop>:<level>` (paging.services.escalation)."""
    if entry.text.startswith("Escalated to level"):
        return True
    cause = str(data.get("cause", ""))
    if not cause.startswith("page:") or not data.get("users"):
        return False
    try:
        _, _, run_loop, level = cause.split(":")
        loop = int(run_loop.split(".")[1])
        return int(level) > 0 or loop > 0
    except (ValueError, IndexError):
        return False


def incident_link(incident: Incident) -> str:
    return f"{base_url()}{reverse('incidents:detail', args=[incident.pk])}"


_INERT = str.maketrans("[]<>\r", "()‹› ")


def plain(text: str) -> str:
    """A person's text made inert in Markdown: no links, mentions (<!channel>) or HTML."""
    return text.translate(_INERT)


def _zone(channel: ChatChannel) -> dt.tzinfo:
    if channel.client is None:
        return dt.UTC
    try:
        return ZoneInfo(channel.client.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def post_content(
    *, channel: ChatChannel, incident: Incident, entry: TimelineEntry, event: str
) -> tuple[str, str]:
    """The title and Markdown text of one event's post."""
    ref = incident.reference
    title = f"{ref} {_LABELS[ChatEvent(event)]} ({incident.priority}): {incident.title}"[:255]
    who = (entry.actor.full_name or entry.actor.email) if entry.actor else entry.actor_label
    lines = [
        f"**[{ref}]({incident_link(incident)})** · {plain(incident.client.name)} · {incident.priority} · "
        f"{incident.status_text} · {plain(incident.title)[:200]}",
        f"{plain(entry.text_in(_zone(channel)))[:1500]} — {plain(who or 'system')}",
    ]
    return title, "\n".join(lines)


def _wants(
    channel: ChatChannel, incident: Incident, entry: TimelineEntry, event: str, now: dt.datetime
) -> bool:
    return (
        channel.client_id in (None, incident.client_id)
        and event in channel.events
        and (not channel.priorities or incident.priority in channel.priorities)
        and entry.at >= channel.created_at
        and entry.at >= now - STALE_AFTER
    )


def incident_events_post(*, incident_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Post the new chat events of these incidents; returns how many posts were written."""
    now = now or clock.now()
    ids = sorted(set(incident_ids))
    channels = list(ChatChannel.objects.filter(is_enabled=True).select_related("client"))
    with transaction.atomic():
        cursors = dict(
            IncidentCursor.objects.filter(incident_id__in=ids).values_list("incident_id", "last_entry_id")
        )
        after = Q()
        for incident_id in ids:
            after |= Q(incident_id=incident_id, id__gt=cursors.get(incident_id, 0))
        entries = list(
            TimelineEntry.objects.filter(after, kind__in=_KINDS)
            .select_related("incident__client", "actor")
            .order_by("incident_id", "id")
        )
        posts, last, leadership = _posts(channels, entries, now), dict(cursors), False
        for entry in entries:
            last[entry.incident_id] = max(last.get(entry.incident_id, 0), entry.pk)
            incident = entry.incident
            leadership |= incident.is_open and incident.priority_rank <= LEADERSHIP_RANKS
        ChatPost.objects.bulk_create(posts, ignore_conflicts=True)
        moved = [
            IncidentCursor(incident_id=i, last_entry_id=n) for i, n in last.items() if cursors.get(i) != n
        ]
        IncidentCursor.objects.bulk_create(
            moved, update_conflicts=True, unique_fields=["incident"], update_fields=["last_entry_id"]
        )
        if leadership and any(channel.digest for channel in channels):
            digest_arm(now=now)
    return len(posts)


def _posts(channels: list[ChatChannel], entries: Iterable[TimelineEntry], now: dt.datetime) -> list[ChatPost]:
    posts = []
    for entry in entries:
        event = entry_event(entry)
        if event is None:
            continue
        incident = entry.incident
        for channel in channels:
            if not _wants(channel, incident, entry, event, now):
                continue
            title, text = post_content(channel=channel, incident=incident, entry=entry, event=event)
            posts.append(
                ChatPost(
                    channel=channel,
                    client_id=incident.client_id,
                    incident=incident,
                    cause=f"entry:{entry.pk}",
                    event=event,
                    title=title,
                    text=text,
                    due_at=now,
                    created_at=now,
                )
            )
    return posts


def digest_arm(*, now: dt.datetime) -> None:
    """Set the digest an hour from now unless it is set already (it then keeps its hour)."""
    pending = Timer.objects.filter(
        kind=DIGEST, key=DIGEST_KEY, state__in=[TimerState.PENDING, TimerState.LEASED]
    )
    if not pending.exists():
        timer_set(kind=DIGEST, key=DIGEST_KEY, due_at=now + DIGEST_EVERY)


def leadership_incidents() -> list[Incident]:
    """Every open P1/P2 (the policy's two most urgent priorities), most urgent and oldest first."""
    open_ = Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES, priority_rank__lte=LEADERSHIP_RANKS)
    return list(open_.select_related("client", "owner").order_by("priority_rank", "opened_at", "id"))


def digest_content(incidents: list[Incident], now: dt.datetime) -> tuple[str, str]:
    count = len(incidents)
    title = f"Leadership digest: {count} P1/P2 incident{'s' if count != 1 else ''} open"
    lines = []
    for incident in incidents[:DIGEST_LINES]:
        owner = (incident.owner.full_name or incident.owner.email) if incident.owner else "no owner"
        lines.append(
            f"- **[{incident.reference}]({incident_link(incident)})** {incident.priority} · "
            f"{plain(incident.client.name)} · {plain(incident.title)[:120]} · {incident.status_text} · "
            f"{plain(owner)} · open {duration_text(now - incident.opened_at)}"
        )
    if count > DIGEST_LINES:
        lines.append(f"- and {count - DIGEST_LINES} more")
    return title, "\n".join(lines)


def digest_post(*, due_at: dt.datetime, now: dt.datetime | None = None) -> int:
    """The `chat.digest` timer: post the digest of the hour `due_at` to every digest channel with
    open P1/P2 incidents in its view, and set the next one while any is open. Returns the posts."""
    now = now or clock.now()
    incidents = leadership_incidents()
    if not incidents:
        return 0  # nothing open: the next P1/P2 sets the digest again
    slot = f"digest:{due_at.astimezone(dt.UTC):%Y-%m-%dT%H:%M}"
    posts = []
    for channel in ChatChannel.objects.filter(is_enabled=True, digest=True).select_related("client"):
        mine = [i for i in incidents if channel.client_id in (None, i.client_id)]
        if not mine:
            continue
        title, text = digest_content(mine, now)
        posts.append(
            ChatPost(
                channel=channel,
                client_id=channel.client_id,
                cause=slot,
                event="digest",
                title=title,
                text=text,
                due_at=now,
                created_at=now,
            )
        )
    with transaction.atomic():
        ChatPost.objects.bulk_create(posts, ignore_conflicts=True)
        timer_set(kind=DIGEST, key=DIGEST_KEY, due_at=max(now, due_at) + DIGEST_EVERY)
    return len(posts)
