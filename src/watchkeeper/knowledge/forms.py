"""Console forms of the knowledge base: they parse; the services check and write."""

from __future__ import annotations

from django import forms

from watchkeeper.knowledge.models import BODY_MAX, TITLE_MAX


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    body = forms.CharField(required=False, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 18}))
    tags = forms.CharField(required=False, max_length=500, help_text="Separated by spaces or commas")
    client = forms.CharField(required=False, max_length=40, help_text="Client slug; empty for MSP-wide")
    client_visible = forms.BooleanField(required=False)
    base_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(required=False, max_length=200)


class TickForm(forms.Form):
    step = forms.IntegerField(min_value=0, max_value=99)


class StartForm(forms.Form):
    runbook = forms.IntegerField(min_value=1, max_value=2**63 - 1)
