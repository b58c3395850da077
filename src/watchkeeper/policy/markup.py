"""Policy text (Markdown written by owners) to safe HTML for the policy page."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Raw HTML is off in the parser and nh3 strips whatever else could script the page:
# the policy is written by owners but read by every technician.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def markdown_html(text: str) -> SafeString:
    return mark_safe(nh3.clean(_MARKDOWN.render(text)))  # noqa: S308 - sanitised by nh3 just now
