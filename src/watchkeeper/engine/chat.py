"""Chat's adapters: post an incident's new timeline events (timer `chat.incident`, batched), the
hourly leadership digest (timer `chat.digest`), and deliver chat posts (outbox `chat.posts`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from watchkeeper.chat import notify
from watchkeeper.chat.events import digest_post, incident_events_post
from watchkeeper.chat.models import ChatPost
from watchkeeper.core.models import Timer
from watchkeeper.engine.outbox import Steps
from watchkeeper.paging.delivery import Delivery


def incidents_changed(timers: Sequence[Timer], now: dt.datetime) -> None:
    incident_events_post(incident_ids=[int(timer.key) for timer in timers], now=now)


def digest(timer: Timer, now: dt.datetime) -> None:
    digest_post(due_at=timer.due_at, now=now)


def prune_posts() -> str:
    return f"{notify.posts_prune()} chat posts older than {notify.KEEP_POSTS.days} days removed"


def post_deliver(post: ChatPost, owner: str) -> None:
    notify.post_deliver(post=post, owner=owner)


def post_prepare(post: ChatPost, owner: str) -> notify.Job | str:
    return notify.post_prepare(post=post, owner=owner)


def post_record(post: ChatPost, result: Delivery, owner: str) -> None:
    notify.post_record(post=post, result=result, owner=owner)


POST_STEPS = Steps(
    job=notify.Job, prepare=post_prepare, send=notify.post_send, record=post_record,
    timed_out=lambda seconds: notify.post_timed_out(seconds=seconds),
    crashed=lambda error: notify.post_crashed(error=error),
    # A post about a client counts against that client's share, with its pages (ADR 0033): one
    # client's hanging webhook holds at most half the pool. The NOC digest has a share of its own.
    share=lambda post: post.client_id if post.client_id is not None else "chat:noc",
)  # fmt: skip
