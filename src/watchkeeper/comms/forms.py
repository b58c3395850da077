"""Console forms: a client update, a policy's rules, a template."""

from __future__ import annotations

from typing import Any

from django import forms

from watchkeeper.comms.configuration import ROLE_KEYS
from watchkeeper.comms.models import CommsEvent


class UpdateForm(forms.Form):
    text = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}),
                           label="Update for the client")  # fmt: skip
    impact = forms.CharField(
        max_length=10_000, required=False, label="What is happening (impact in plain words)"
    )
    action = forms.CharField(max_length=10_000, required=False, label="What is being done")
    eta = forms.DateTimeField(required=False, label="When it will be fixed (ETA)",
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))  # fmt: skip
    next_update_by = forms.DateTimeField(
        required=False, label="Next update by", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


def rules_from_post(data: Any, priorities: list[str]) -> dict[str, dict[str, Any]]:
    """The policy's rules from the console's table: `<P>_roles`, `<P>_events`, `<P>_cadence`.
    A priority with no role and no event is left out (nobody is told at that priority)."""
    rules: dict[str, dict[str, Any]] = {}
    for key in priorities:
        roles = [r for r in data.getlist(f"{key}_roles") if r in ROLE_KEYS]
        events = [e for e in data.getlist(f"{key}_events") if e in CommsEvent.values]
        cadence = data.get(f"{key}_cadence", "").strip()
        if not roles and not events and not cadence:
            continue
        rules[key] = {
            "roles": roles,
            "events": events,
            "cadence_minutes": int(cadence) if cadence.isdigit() else (cadence or None),
        }
    return rules


class TemplateForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 14}))
    incident = forms.IntegerField(required=False, label="Preview with incident")
