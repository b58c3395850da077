"""Console forms of the knowledge base: they parse; the services check and write."""

from __future__ import annotations

from typing import Any

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


STEP_MARKS = {"[ ]": "check", "!": "action"}


class RunbookForm(forms.Form):
    """Steps one per line: "[ ] text" a checklist item, "! text" an automation action, any other
    line an instruction. Alert fields one per line: "labels.alertname = DiskFull"."""

    title = forms.CharField(max_length=TITLE_MAX)
    client = forms.CharField(required=False, max_length=40)
    description = forms.CharField(
        required=False, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    review_due = forms.DateField(required=False)
    steps = forms.CharField(max_length=100 * 2100, widget=forms.Textarea(attrs={"rows": 10}))
    alert_match = forms.CharField(required=False, max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))
    categories = forms.CharField(
        required=False, max_length=500, help_text="Category keys, separated by spaces"
    )
    is_active = forms.BooleanField(required=False)

    def clean_steps(self) -> list[dict[str, str]]:
        steps = []
        for line in self.cleaned_data["steps"].splitlines():
            text, kind = line.strip(), "text"
            for mark, marked in STEP_MARKS.items():
                if text.startswith(mark):
                    text, kind = text[len(mark) :].strip(), marked
                    break
            if text:
                steps.append({"kind": kind, "text": text})
        return steps

    def clean_alert_match(self) -> dict[str, str]:
        match = {}
        for line in self.cleaned_data["alert_match"].splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip() or not value.strip():
                raise forms.ValidationError(f"Write each alert field as 'field = value': {line.strip()!r}.")
            match[name.strip()] = value.strip()
        return match

    def clean_categories(self) -> list[str]:
        return self.cleaned_data["categories"].replace(",", " ").split()


def runbook_initial(runbook: Any) -> dict[str, Any]:
    """The form's fields for an existing runbook (the inverse of the clean methods)."""
    marks = {"check": "[ ] ", "action": "! ", "text": ""}
    return {
        "title": runbook.title, "description": runbook.description, "review_due": runbook.review_due,
        "steps": "\n".join(marks.get(step["kind"], "") + step["text"] for step in runbook.steps),
        "alert_match": "\n".join(f"{k} = {v}" for k, v in runbook.alert_match.items()),
        "categories": " ".join(runbook.categories), "is_active": runbook.is_active,
        "client": runbook.client.slug if runbook.client else "",
    }  # fmt: skip
