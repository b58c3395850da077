"""Console forms for SLA configuration. Hours are typed as one line per day: `mon 08:00-12:00 13:00-17:00`."""

from __future__ import annotations

from typing import Any

from django import forms

from watchkeeper.sla.models import WEEKDAYS


def hours_from_text(text: str) -> dict[str, list[list[str]]]:
    """`mon 08:00-12:00 13:00-17:00` per line → the stored shape (validated by the service)."""
    hours: dict[str, list[list[str]]] = {}
    for raw in text.splitlines():
        parts = raw.strip().lower().split()
        if not parts:
            continue
        day, spans = parts[0][:3], parts[1:]
        if day not in WEEKDAYS:
            raise forms.ValidationError(f"'{parts[0]}' is not a weekday (mon … sun).")
        for span in spans:
            if "-" not in span:
                raise forms.ValidationError(f"{day}: write intervals as 09:00-17:00 (got '{span}').")
            start, end = span.split("-", 1)
            hours.setdefault(day, []).append([start, end])
    return hours


def hours_to_text(hours: dict[str, Any]) -> str:
    return "\n".join(
        f"{day} " + " ".join(f"{a}-{b}" for a, b in hours[day]) for day in WEEKDAYS if hours.get(day)
    )


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=100)
    time_zone = forms.CharField(max_length=64, required=False, help_text="Empty: each client's own time zone")
    hours = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    country = forms.CharField(max_length=2, required=False)
    region = forms.CharField(max_length=10, required=False)
    public_holidays = forms.BooleanField(required=False)
    is_default = forms.BooleanField(required=False)

    def clean_hours(self) -> dict[str, list[list[str]]]:
        return hours_from_text(self.cleaned_data.get("hours", ""))


class ClosuresForm(forms.Form):
    days = forms.CharField(help_text="Dates, YYYY-MM-DD, separated by spaces or commas", required=False)
    name = forms.CharField(max_length=200, required=False)
    ical = forms.FileField(required=False)


class TargetsForm(forms.Form):
    """One row per priority: response, update, resolution minutes and 24×7."""

    thresholds = forms.CharField(max_length=40, help_text="Percentages, e.g. 50 75 90")
    response_by_reply = forms.BooleanField(required=False)

    def __init__(self, *args: Any, priorities: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.priorities = priorities
        for key in priorities:
            self.fields[f"{key}_response"] = forms.IntegerField(
                min_value=1, max_value=525_600, required=False
            )
            self.fields[f"{key}_update"] = forms.IntegerField(min_value=1, max_value=525_600, required=False)
            self.fields[f"{key}_resolution"] = forms.IntegerField(
                min_value=1, max_value=525_600, required=False
            )
            self.fields[f"{key}_always"] = forms.BooleanField(required=False)

    def clean_thresholds(self) -> list[int]:
        try:
            return [int(p) for p in self.cleaned_data["thresholds"].replace(",", " ").split()]
        except ValueError:
            raise forms.ValidationError("Whole percentages, e.g. 50 75 90.") from None

    def targets(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "priority": key,
                "response_minutes": data[f"{key}_response"],
                "update_minutes": data.get(f"{key}_update") or None,
                "resolution_minutes": data[f"{key}_resolution"],
                "around_the_clock": bool(data.get(f"{key}_always")),
            }
            for key in self.priorities
            if data.get(f"{key}_response") and data.get(f"{key}_resolution")
        ]
