"""The console's monitor form: common fields, the kind's settings as plain fields, and the
conditions one per line. The services validate; the form only shapes the input."""

from __future__ import annotations

from typing import Any

from django import forms

from watchkeeper.monitoring.checks.dnscheck import RECORD_TYPES
from watchkeeper.monitoring.models import MonitorKind

_SETTING_FIELDS = (
    "method",
    "expected_status",
    "keyword",
    "body",
    "record_type",
    "resolver",
    "expected",
    "starttls",
    "verify_tls",
    "ca_pem",
    "max_response_ms",
    "severity",
)


class MonitorForm(forms.Form):
    name = forms.CharField(max_length=150)
    kind = forms.ChoiceField(choices=MonitorKind.choices)
    service = forms.TypedChoiceField(coerce=int, choices=())
    target = forms.CharField(
        max_length=1000, help_text="URL for HTTP; host:port for TCP, TLS and SMTP; host for DNS and ping."
    )
    interval_seconds = forms.IntegerField(initial=60, min_value=10, max_value=86_400)
    timeout_seconds = forms.IntegerField(initial=10, min_value=1, max_value=60)
    retries = forms.IntegerField(
        initial=1,
        min_value=0,
        max_value=20,
        help_text="Failures in a row tolerated before the monitor is down.",
    )
    recovery_threshold = forms.IntegerField(initial=1, min_value=1, max_value=20)
    parent = forms.TypedChoiceField(coerce=int, choices=(), required=False, empty_value=None)
    conditions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, e.g. [STATUS] == 200, [BODY].status == UP, [CERTIFICATE_EXPIRATION] > 72h.",
    )
    method = forms.ChoiceField(
        choices=[(m, m) for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")], required=False
    )
    expected_status = forms.IntegerField(required=False, min_value=100, max_value=599)
    keyword = forms.CharField(required=False, max_length=500)
    headers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line: Name: value"
    )
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    record_type = forms.ChoiceField(choices=[(t, t) for t in RECORD_TYPES], required=False)
    resolver = forms.CharField(required=False, max_length=200)
    expected = forms.CharField(required=False, max_length=500, label="Expected answer")
    starttls = forms.BooleanField(required=False, label="Require STARTTLS")
    verify_tls = forms.BooleanField(required=False, initial=True, label="Verify the certificate")
    ca_pem = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Internal CA (PEM)"
    )
    max_response_ms = forms.IntegerField(required=False, min_value=1, max_value=600_000)
    severity = forms.ChoiceField(
        choices=[("", "error (default)"), ("critical", "critical"), ("warning", "warning"), ("info", "info")],
        required=False,
    )
    is_enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(
        self, *args: Any, services: list[tuple[int, str]], parents: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = services  # type: ignore[attr-defined]
        self.fields["parent"].choices = [("", "None"), *parents]  # type: ignore[attr-defined]

    def headers_clean(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for line in (self.cleaned_data.get("headers") or "").splitlines():
            if not line.strip():
                continue
            name, found, value = line.partition(":")
            if not found or not name.strip():
                self.add_error("headers", f"'{line[:60]}' is not Name: value")
                continue
            headers[name.strip()] = value.strip()
        return headers

    def monitor_fields(self) -> dict[str, Any]:
        """What the services take, from the cleaned data (settings only those that apply)."""
        data = self.cleaned_data
        kind = data["kind"]
        settings: dict[str, Any] = {}
        wanted = {
            "http": ("method", "expected_status", "keyword", "body", "verify_tls", "ca_pem"),
            "dns": ("record_type", "resolver", "expected"),
            "tls": ("verify_tls", "ca_pem"),
            "smtp": ("starttls", "verify_tls", "ca_pem"),
        }.get(kind, ())
        for name in (*wanted, "max_response_ms", "severity"):
            value = data.get(name)
            if name == "verify_tls":
                if not value:
                    settings[name] = False
            elif name == "starttls":
                if value:
                    settings[name] = True
            elif value not in (None, ""):
                settings[name] = value
        if kind == "http":
            headers = self.headers_clean()
            if headers:
                settings["headers"] = headers
            if settings.get("method") == "GET":
                settings.pop("method")
        return {
            "name": data["name"],
            "kind": kind,
            "target": data["target"],
            "settings": settings,
            "conditions": [line for line in (data.get("conditions") or "").splitlines() if line.strip()],
            "interval_seconds": data["interval_seconds"],
            "timeout_seconds": data["timeout_seconds"],
            "retries": data["retries"],
            "recovery_threshold": data["recovery_threshold"],
            "is_enabled": data["is_enabled"],
        }


def initial_from(monitor: Any) -> dict[str, Any]:
    settings = monitor.settings
    initial = {
        "name": monitor.name,
        "kind": monitor.kind,
        "service": monitor.service_id,
        "target": monitor.target,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": monitor.timeout_seconds,
        "retries": monitor.retries,
        "recovery_threshold": monitor.recovery_threshold,
        "parent": monitor.parent_id,
        "conditions": "\n".join(monitor.conditions),
        "is_enabled": monitor.is_enabled,
        "verify_tls": settings.get("verify_tls", True),
        "headers": "\n".join(f"{k}: {v}" for k, v in (settings.get("headers") or {}).items()),
    }
    for name in _SETTING_FIELDS:
        if name in settings and name != "verify_tls":
            initial[name] = settings[name]
    return initial
