"""Console forms for schedules, layers and overrides (the services validate again)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django import forms

from watchkeeper.accounts.models import User
from watchkeeper.core.forms import model_choice_field
from watchkeeper.oncall.models import Restriction, ShiftUnit
from watchkeeper.tenancy import access

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")
_WEEKLY = re.compile(r"^([a-z]{3})\w*\s+(\d{1,2}:\d{2})\s*[-–]\s*([a-z]{3})\w*\s+(\d{1,2}:\d{2})$")


def _time(value: str) -> str:
    try:
        return dt.time.fromisoformat(value.zfill(5)).strftime("%H:%M")
    except ValueError:
        raise forms.ValidationError(f"'{value}' is not a time (HH:MM).") from None


def windows_parse(kind: str, text: str) -> list[dict[str, Any]]:
    """One window a line: '09:00-17:00' (daily) or 'Mon 09:00 - Fri 17:00' (weekly)."""
    out: list[dict[str, Any]] = []
    for line in (raw.strip().lower() for raw in text.splitlines()):
        if not line:
            continue
        if kind == Restriction.DAILY and (m := _DAILY.match(line)):
            out.append({"start": _time(m[1]), "end": _time(m[2])})
        elif kind == Restriction.WEEKLY and (m := _WEEKLY.match(line)) and m[1] in DAYS and m[3] in DAYS:
            out.append({"start_day": DAYS.index(m[1]) + 1, "start": _time(m[2]),
                        "end_day": DAYS.index(m[3]) + 1, "end": _time(m[4])})  # fmt: skip
        else:
            example = "09:00-17:00" if kind == Restriction.DAILY else "Mon 09:00 - Fri 17:00"
            raise forms.ValidationError(f"Cannot read '{line}'; write one window a line like {example}.")
    return out


def windows_text(kind: str, windows: list[dict[str, Any]]) -> str:
    if kind == Restriction.WEEKLY:
        return "\n".join(
            f"{DAYS[w['start_day'] - 1].title()} {w['start']} - {DAYS[w['end_day'] - 1].title()} {w['end']}"
            for w in windows
        )
    return "\n".join(f"{w['start']}-{w['end']}" for w in windows)


def _zone_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(max_length=64, **kwargs)


def _check_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise forms.ValidationError("Use an IANA time zone such as Europe/London.") from None
    return value


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    time_zone = _zone_field(initial="UTC")
    client = forms.CharField(required=False, help_text="Empty: MSP-wide")

    def clean_time_zone(self) -> str:
        return _check_zone(self.cleaned_data["time_zone"])


class LayerForm(forms.Form):
    name = forms.CharField(max_length=100)
    priority = forms.IntegerField(min_value=0, max_value=100, initial=0)
    time_zone = _zone_field(required=False, help_text="Empty: the schedule's time zone")
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    handoff_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), initial=dt.time(9))
    shift_length = forms.IntegerField(min_value=1, max_value=1000, initial=1)
    shift_unit = forms.ChoiceField(choices=ShiftUnit.choices, initial=ShiftUnit.WEEKS)
    restriction = forms.ChoiceField(choices=Restriction.choices, initial=Restriction.NONE)
    windows = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    members = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="One e-mail a line, in order"
    )

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        return _check_zone(value) if value else ""

    def clean_members(self) -> list[User]:
        emails = [line.strip().lower() for line in self.cleaned_data["members"].splitlines() if line.strip()]
        found = {u.email.lower(): u for u in access.staff_for_client(None).filter(email__in=emails)}
        missing = [e for e in emails if e not in found]
        if missing:
            raise forms.ValidationError(f"Not an active MSP technician: {', '.join(missing)}.")
        return [found[e] for e in emails]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "restriction" in data:
            try:
                data["restrictions"] = windows_parse(data["restriction"], data.get("windows", ""))
            except forms.ValidationError as error:
                self.add_error("windows", error)
        return data


class OverrideForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Who covers")
    replaces = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Whom",
                                      empty_label="whoever is on call")  # fmt: skip
    starts_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="From"
    )
    ends_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="To")
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        staff = access.staff_for_client(None).order_by("full_name")
        model_choice_field(self, "user").queryset = staff
        model_choice_field(self, "replaces").queryset = staff

    def _local(self, name: str) -> dt.datetime | None:
        value = self.cleaned_data.get(name)
        # Times are typed in the schedule's time zone.
        return value.replace(tzinfo=None).replace(tzinfo=self.zone) if value else None

    def clean_starts_at(self) -> dt.datetime | None:
        return self._local("starts_at")

    def clean_ends_at(self) -> dt.datetime | None:
        return self._local("ends_at")
