"""Message templates: the built-in defaults, the context a message is rendered with, rendering in
the sandbox (`core.sandbox`, as webhook templates) and the check that refuses a broken template
at save time with the line that failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import TemplateSyntaxError
from jinja2.exceptions import TemplateError

from watchkeeper.comms.models import MessageKind, MessageTemplate
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.sandbox import BudgetExceeded, sandbox_compile, sandbox_render
from watchkeeper.incidents.models import Incident
from watchkeeper.tenancy.models import Client

_FOOTER = (
    "\n\n{% if next_update_by %}Next update by: {{ next_update_by }}\n{% endif %}"
    "Reference: {{ incident.reference }}\n"
    "Reply to this e-mail to reach the team working on it.\n"
    "— {{ msp.name }}"
)

DEFAULTS: dict[str, tuple[str, str]] = {
    MessageKind.INITIAL: (
        "[{{ incident.reference }}] We are working on: {{ incident.title }}",
        "Hello,\n\nWe are aware of a problem affecting {{ incident.service }}.\n\n"
        "What is happening: {{ impact or incident.title }}\n"
        "What we are doing: {{ action or 'A technician is investigating.' }}\n"
        "When it will be fixed: {{ eta or 'not known yet' }}" + _FOOTER,
    ),
    MessageKind.UPDATE: (
        "[{{ incident.reference }}] Update: {{ incident.title }}",
        "Hello,\n\n{{ text }}\n\n"
        "{% if impact %}What is happening: {{ impact }}\n{% endif %}"
        "{% if action %}What we are doing: {{ action }}\n{% endif %}"
        "When it will be fixed: {{ eta or 'not known yet' }}" + _FOOTER,
    ),
    MessageKind.WAITING: (
        "[{{ incident.reference }}] We need your input: {{ incident.title }}",
        "Hello,\n\nTo continue on {{ incident.title }} we need something from you.\n\n"
        "{{ text or 'Please reply to this e-mail.' }}" + _FOOTER,
    ),
    MessageKind.RESOLVED: (
        "[{{ incident.reference }}] Resolved: {{ incident.title }}",
        "Hello,\n\nThe problem affecting {{ incident.service }} is resolved as of {{ resolved_at }}.\n\n"
        "{{ text }}" + _FOOTER,
    ),
    MessageKind.SUMMARY: (
        "[{{ incident.reference }}] Summary: {{ incident.title }}",
        "Hello,\n\nHere is what happened, why, and what we are doing so it does not happen again.\n\n"
        "{{ text }}" + _FOOTER,
    ),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def when(value: dt.datetime | None, zone: str) -> str:
    """A time as the client reads it, in the client's zone: "Thu 3 Dec 16:30 (Europe/Berlin)"."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone or "UTC"))
    return f"{local:%a} {local.day} {local:%b %H:%M} ({zone or 'UTC'})"


def context_for(
    *,
    incident: Incident,
    msp_name: str,
    text: str = "",
    impact: str = "",
    action: str = "",
    eta: dt.datetime | None = None,
    next_update_by: dt.datetime | None = None,
) -> dict[str, Any]:
    """What a template may use: plain values only (the sandbox sees no model)."""
    zone = incident.client.timezone
    return {
        "incident": {
            "reference": incident.reference, "title": incident.title, "priority": incident.priority,
            "status": incident.status_text, "service": incident.service.name,
            "opened_at": when(incident.opened_at, zone),
        },
        "client": {"name": incident.client.name},
        "msp": {"name": msp_name},
        "text": text, "impact": impact, "action": action,
        "eta": when(eta, zone), "next_update_by": when(next_update_by, zone),
        "resolved_at": when(incident.resolved_at, zone),
    }  # fmt: skip


def _render(source: str, context: dict[str, Any], *, field: str) -> str:
    try:
        return sandbox_render(sandbox_compile(source), context)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"Line {exc.lineno}: {exc.message}", field=field) from exc
    except BudgetExceeded as exc:
        raise InvalidInput(f"The template costs too much to render: {exc}", field=field) from exc
    except TemplateError as exc:
        line = _line_of(exc)
        where = f"Line {line}: " if line else ""
        raise InvalidInput(f"{where}{exc}", field=field) from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        line = _line_of(exc)
        where = f"Line {line}: " if line else ""
        raise InvalidInput(f"{where}{type(exc).__name__}: {exc}", field=field) from exc


def _line_of(exc: BaseException) -> int | None:
    """The template line a render error happened on, from the traceback Jinja2 rewrites."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(*, subject: str, body: str, context: dict[str, Any]) -> Rendered:
    """Render both parts; InvalidInput names the part and the line that failed."""
    rendered_subject = " ".join(_render(subject, context, field="subject").split())[:300]
    return Rendered(subject=rendered_subject, body=_render(body, context, field="body"))


def template_for(*, client: Client, kind: str) -> tuple[str, str]:
    """The client's own template of `kind`, else the MSP's, else the built-in one."""
    rows = {
        row.client_id: row
        for row in MessageTemplate.objects.filter(kind=kind).filter(client__in=[client])
        | (MessageTemplate.objects.filter(kind=kind, client__isnull=True))
    }
    row = rows.get(client.pk) or rows.get(None)
    if row is not None:
        return row.subject, row.body
    return DEFAULTS[kind]


def sample_context() -> dict[str, Any]:
    """A made-up incident, for checking a template when no real one is chosen."""
    return {
        "incident": {
            "reference": "ACME-42", "title": "E-mail is down", "priority": "P1", "status": "acknowledged",
            "service": "Exchange Online", "opened_at": "Thu 3 Dec 09:12 (Europe/London)",
        },
        "client": {"name": "Acme Ltd"}, "msp": {"name": "Your MSP"},
        "text": "We found the cause and are applying the fix.", "impact": "Nobody can send e-mail.",
        "action": "Restarting the mail connector.", "eta": "Thu 3 Dec 11:00 (Europe/London)",
        "next_update_by": "Thu 3 Dec 10:30 (Europe/London)", "resolved_at": "",
    }  # fmt: skip
