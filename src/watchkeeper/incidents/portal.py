"""The client portal's writes: a client's own people raise incidents and requests in plain
words, and comment (a reply can end a wait on the client). Impact and urgency are asked as a
person would ask them; the answers map onto the policy's levels by position (first answer: the
policy's first, highest level)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.incidents.models import Incident, IncidentStatus, TimelineEntry, TimelineKind
from watchkeeper.incidents.services import incident_open, incident_update, timeline_add
from watchkeeper.policy.selectors import policy_get, resume_on_client_reply
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Service


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    answers: tuple[tuple[str, str], ...]  # (value, words), the worst first


PEOPLE = Question(
    "people",
    "How many people are affected?",
    (
        ("many", "Everyone, a whole site, or our customers"),
        ("team", "A team or a department"),
        ("one", "Just me, or one person"),
    ),
)
WORKING = Question(
    "working",
    "Can they keep working?",
    (
        ("stopped", "No, work has stopped"),
        ("slowed", "Yes, but slowly or with a workaround"),
        ("fine", "Yes, this can wait"),
    ),
)
KINDS = (("problem", "Something is broken or not working"), ("request", "I need something (a request)"))


def _level(question: Question, answer: str, keys: list[str]) -> str:
    """The policy level for an answer: answers and levels are both ordered worst first, and
    the answer's relative position picks the level."""
    values = [value for value, _ in question.answers]
    if answer not in values:
        raise InvalidInput(f"Choose an answer to “{question.text}”", field=question.key)
    if not keys:
        raise InvalidInput("The incident policy has no levels to map to.", field=question.key)
    index = values.index(answer)
    return keys[round(index * (len(keys) - 1) / max(1, len(values) - 1))]


def portal_levels(*, people: str, working: str) -> tuple[str, str]:
    """(impact, urgency) keys of the policy for the two plain-words answers."""
    policy = policy_get()
    impact = _level(PEOPLE, people, [level.key for level in policy.impact_levels])
    urgency = _level(WORKING, working, [level.key for level in policy.urgency_levels])
    return impact, urgency


def portal_request_open(
    *, user: User, service: Service, kind: str, title: str, description: str, people: str, working: str
) -> Incident:
    """Open an incident (or a request) for the user's own client, with the description as the
    first client-visible entry of its timeline."""
    if not access.can(user, "portal.request", client=service.client):
        raise InvalidInput("Choose one of your own services.", field="service")
    if kind not in dict(KINDS):
        raise InvalidInput("Say whether something is broken or you need something.", field="kind")
    impact, urgency = portal_levels(people=people, working=working)
    words = f"{PEOPLE.text} {dict(PEOPLE.answers)[people]}. {WORKING.text} {dict(WORKING.answers)[working]}."
    with transaction.atomic():
        incident = incident_open(
            client=service.client, service=service, title=title, description=description,
            impact=impact, urgency=urgency, by=user,
            data={"via": "portal", "kind": kind, "people": people, "working": working},
        )  # fmt: skip
        label = "Request" if kind == "request" else "Problem"
        text = f"{label} reported in the portal. {words}" + (
            f"\n\n{description.strip()}" if description.strip() else ""
        )
        timeline_add(
            incident=incident, kind=TimelineKind.COMMENT, by=user, text=text, client_visible=True,
            data={"via": "portal"},
        )  # fmt: skip
    return incident


def incident_comment(*, incident: Incident, by: User, text: str) -> TimelineEntry:
    """A client user's comment from the portal: a client-visible entry by that user, and the
    incident marked as replied to (`client_replied_at`) until a technician acts. A reply to an
    incident waiting on the client ends the wait when the policy says so
    (`resume_on_client_reply`): the clocks run again. It pages nobody. The caller checked that
    `by` may comment on this incident."""
    if not text.strip():
        raise InvalidInput("A comment needs some text.", field="text")
    if len(text) > 5_000:
        raise InvalidInput("A comment can be at most 5,000 characters.", field="text")
    with incident_update(incident=incident, by=by) as change:
        incident = change.incident
        incident.client_replied_at = clock.now()
        entry = change.record(
            fields=("client_replied_at",), kind=TimelineKind.COMMENT, text=text.strip(), client_visible=True
        )
        if incident.status == IncidentStatus.WAITING_CLIENT and resume_on_client_reply():
            incident.status = IncidentStatus.ACKNOWLEDGED
            change.record(
                fields=("status",), kind=TimelineKind.STATUS, text="Resumed: the client replied",
                data={"status": "acknowledged", "client_reply": True},
            )  # fmt: skip
        return entry
