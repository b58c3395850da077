"""A file for the browser to save: the one shape of every export (CSV, PDF, Markdown)."""

from __future__ import annotations

from django.http import HttpResponse


def attachment(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
