"""Delivering a claimed chat post: prepare (engine thread, database), send (a delivery thread,
network only), record (engine thread, fenced on the lease). The engine's outbox (engine/outbox.py)
runs these steps concurrently on its bounded pool, each post counting against its client's share
(ADR 0033): one client's hanging webhook never holds every thread."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from watchkeeper.chat.delivery import chat_send, email_list_check, email_list_send
from watchkeeper.chat.models import ChannelKind, ChatPost, PostState
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.mail.selectors import MailSetup, mail_setup_current
from watchkeeper.paging.delivery import Delivery

MAX_ATTEMPTS = 8


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(900, 15 * 2**attempts))


def _mine(post: ChatPost, owner: str) -> Q:
    return Q(pk=post.pk, state=PostState.SENDING, lease_owner=owner)


@dataclass(frozen=True)
class Job:
    """One post as prepared in the engine's thread: a delivery thread needs nothing else."""

    title: str
    text: str
    url: str = ""  # an Apprise URL; or
    emails: tuple[str, ...] = ()  # the addresses of an e-mail list, through `mail`
    mail: MailSetup | None = None


def post_prepare(*, post: ChatPost, owner: str) -> Job | str:
    """What to send, or the state the post ended in without a send (its channel disabled)."""
    channel = post.channel
    if not channel.is_enabled:
        post_record(
            post=post, result=Delivery(ok=False, response="channel disabled", permanent=True), owner=owner
        )
        return PostState.FAILED
    address = channel.address
    if not address:
        result = Delivery(
            ok=False, response="the channel's address cannot be read: enter it again", permanent=True
        )
        post_record(post=post, result=result, owner=owner)
        return PostState.FAILED
    if channel.kind == ChannelKind.EMAIL:
        try:
            emails = tuple(email_list_check(address))
        except InvalidInput as exc:
            post_record(
                post=post, result=Delivery(ok=False, response=exc.message, permanent=True), owner=owner
            )
            return PostState.FAILED
        return Job(title=post.title, text=post.text, emails=emails, mail=mail_setup_current())
    return Job(title=post.title, text=post.text, url=address)


def post_send(job: Job) -> Delivery:
    """The network part: no database; never raises."""
    if job.mail is not None:
        return email_list_send(list(job.emails), title=job.title, text=job.text, setup=job.mail)
    return chat_send(job.url, title=job.title, text=job.text)


def post_record(*, post: ChatPost, result: Delivery, owner: str) -> str:
    """Record a send's answer, fenced on the lease (a post taken over is left alone)."""
    now = clock.now()
    if result.ok:
        fields: dict[str, object] = {"state": PostState.SENT, "sent_at": now}
    elif result.permanent or post.attempts >= MAX_ATTEMPTS:
        fields = {"state": PostState.FAILED}
    else:
        fields = {"state": PostState.PENDING, "due_at": now + _backoff(post.attempts)}
    ChatPost.objects.filter(_mine(post, owner)).update(
        lease_until=None, response=result.response[:2000], **fields
    )
    return str(fields["state"])


def post_timed_out(*, seconds: float) -> Delivery:
    return Delivery(ok=False, response=f"no answer within {seconds:g} seconds (the delivery deadline)")


def post_crashed(*, error: Exception) -> Delivery:
    return Delivery(ok=False, response=f"{type(error).__name__}: {error}"[:500])


# Posts are a record of what was said, kept this long (the channel page lists them).
KEEP_POSTS = dt.timedelta(days=90)


def posts_prune(*, now: dt.datetime | None = None) -> int:
    """Forget sent and failed posts older than KEEP_POSTS."""
    now = now or clock.now()
    done = ChatPost.objects.filter(
        state__in=[PostState.SENT, PostState.FAILED], created_at__lt=now - KEEP_POSTS
    )
    deleted, _ = done.delete()
    return deleted


def post_deliver(*, post: ChatPost, owner: str) -> str:
    """Deliver one leased post start to end in this thread (tests; the engine uses the steps)."""
    job = post_prepare(post=post, owner=owner)
    if isinstance(job, str):
        return job
    return post_record(post=post, result=post_send(job), owner=owner)
