"""Template filters for delivery records shown in the console."""

from __future__ import annotations

from django import template

from watchkeeper.mail.backend import server_paths_hidden

register = template.Library()


@register.filter
def paths_hidden(text: str) -> str:
    """A provider's answer without server paths (rows written by older versions named them)."""
    return server_paths_hidden(str(text))
