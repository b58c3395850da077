"""Policy text and timeline comments (Markdown) to safe HTML for the console and portal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Raw HTML is off in the parser and nh3 strips whatever else could script the page: the text
# is written by owners, technicians and (in portal comments) clients, and read by technicians.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_RENDERER: Any = _MARKDOWN.renderer  # the HTML renderer; its protocol type omits `rules`
_default_image = _RENDERER.rules["image"]


def _is_external(src: str) -> bool:
    parts = urlsplit(src.strip())
    return bool(parts.scheme or parts.netloc)


def _image(renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    """An image from another host becomes a link to it: loading it in a technician's browser
    would tell that host who read the comment and when (a tracking pixel)."""
    token = tokens[index]
    src = str(token.attrGet("src") or "")
    if not _is_external(src):
        return str(_default_image(tokens, index, options, env))
    label = token.content or src
    return f'<a href="{escape(src)}">{escape(label)}</a>'


_MARKDOWN.add_render_rule("image", _image)


def markdown_html(text: str) -> SafeString:
    return mark_safe(nh3.clean(_MARKDOWN.render(text)))  # noqa: S308 - sanitised by nh3 just now
