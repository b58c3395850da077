"""The web side of the stories: requests the way senders and browsers make them.

`wsgi_post` calls the WSGI application that `watchkeeper web` serves (config/wsgi.py), so an
event takes the route a real sender's does: the ingest fast path, and for /v2/enqueue its raw
route below Django's request and response. It runs in the test's thread, on the test's database
transaction; the inbox writer sees that transaction and adds its row to it instead of committing
through its group-commit thread (the live-server tests in tests/compat cover that thread).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpResponse
from django.test import Client as HttpClient

from watchkeeper.config.wsgi import application


@dataclass(frozen=True)
class Reply:
    """What the sender got back."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@contextmanager
def _test_connection_kept() -> Iterator[None]:
    """The fast path closes unusable connections after each request, as Django's request_finished
    would; a connection inside the test's transaction looks unusable to it (autocommit off), so
    it would close it and lose the test's data. Django's test client skips that step too."""
    with mock.patch.object(BaseDatabaseWrapper, "close_if_unusable_or_obsolete", lambda self: None):
        yield


def wsgi_post(path: str, body: Any) -> Reply:
    """POST `body` as JSON to `path` of the web application, as a sender on the network would."""
    data = json.dumps(body).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "HTTP_HOST": "localhost",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data), "HTTP_USER_AGENT": "smoke-story/1.0",
    }  # fmt: skip
    setup_testing_defaults(environ)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started[:] = [status, headers]

    with _test_connection_kept():
        chunks = application(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
    status, headers = started
    return Reply(int(status.split()[0]), dict(headers), content)


_BUTTON = re.compile(r"<form method=\"post\">.*?<button[^>]*>(?P<label>[^<]*)</button>", re.DOTALL)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="(?P<token>[^"]+)"')


@dataclass
class Browser:
    """A browser showing one page: it keeps its cookies and, like a person, submits the page's
    form with the CSRF token the page gave it (checks on, unlike Django's test client's default)."""

    client: HttpClient
    path: str
    page: HttpResponse

    @classmethod
    def open(cls, url: str) -> Browser:
        client = HttpClient(enforce_csrf_checks=True)
        path = urlsplit(url).path
        return cls(client, path, client.get(path))

    @property
    def text(self) -> str:
        return self.page.content.decode()

    @property
    def button(self) -> str:
        """The label of the page's one form button ("" when the page has none)."""
        found = _BUTTON.search(self.text)
        return found["label"].strip() if found else ""

    def press(self) -> HttpResponse:
        """Press the page's button: POST its form back."""
        token = _CSRF.search(self.text)
        assert self.button and token, f"no form to submit on {self.path}: {self.text[:500]}"
        self.page = self.client.post(self.path, {"csrfmiddlewaretoken": token["token"]})
        return self.page
