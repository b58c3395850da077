"""Forms of the incident pages: a new incident (a phone call) and the actions on one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from watchkeeper.accounts.models import User
from watchkeeper.core.forms import choice_field, model_choice_field
from watchkeeper.policy.selectors import PolicyView
from watchkeeper.tenancy import selectors as tenancy
from watchkeeper.tenancy.models import Client, Service


def _levels(items: list[Any]) -> list[tuple[str, str]]:
    return [(item.key, item.name) for item in items]


class IncidentForm(forms.Form):
    """A new incident reported by hand. Choices come from what the user may open incidents for
    and from the policy's levels and categories."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), to_field_name="slug")
    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label="Choose a service")
    title = forms.CharField(max_length=1024, help_text="What is wrong, in the caller's words.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    impact = forms.ChoiceField()
    urgency = forms.ChoiceField()
    category = forms.ChoiceField(required=False)

    def __init__(
        self, *args: Any, user: User, clients: QuerySet[Client], policy: PolicyView, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "client").queryset = clients
        chosen = clients.filter(slug=self["client"].value() or "").first()
        services = tenancy.service_list(actor=user, client=chosen) if chosen else Service.objects.none()
        model_choice_field(self, "service").queryset = services
        choice_field(self, "impact").choices = _levels(policy.impact_levels)
        choice_field(self, "urgency").choices = _levels(policy.urgency_levels)
        choice_field(self, "category").choices = [("", "No category"), *_levels(policy.categories)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client, service = data.get("client"), data.get("service")
        if client is not None and service is not None and service.client_id != client.pk:
            self.add_error("service", f"Choose one of {client.name}'s services.")
        return data


class NoteForm(forms.Form):
    text = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))
    client_visible = forms.BooleanField(required=False)


class HandOffForm(forms.Form):
    owner = forms.IntegerField(min_value=1)
    note = forms.CharField(max_length=20_000)


class CategoryForm(forms.Form):
    category = forms.CharField(max_length=40, required=False)


class ResponderForm(forms.Form):
    user = forms.IntegerField(min_value=1)
    role = forms.CharField(max_length=20)


class ResponderRemoveForm(forms.Form):
    user = forms.IntegerField(min_value=1)


class MergeForm(forms.Form):
    """`into`: the surviving incident, by id."""

    into = forms.IntegerField(min_value=1)


class ResolveForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False)
    client_visible = forms.BooleanField(required=False)  # share the note with the client


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=2000, required=False)


class PriorityForm(forms.Form):
    impact = forms.ChoiceField()
    urgency = forms.ChoiceField()

    def __init__(self, *args: Any, policy: PolicyView, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "impact").choices = _levels(policy.impact_levels)
        choice_field(self, "urgency").choices = _levels(policy.urgency_levels)


class AssignForm(forms.Form):
    """`owner`: "me", a user id, or empty for nobody."""

    owner = forms.RegexField(regex=r"^(me|\d+)?$", required=False)
