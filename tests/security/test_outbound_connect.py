"""The SSRF guard at connect time (issue 12 item 10, ADR 0028): what a check of the URL cannot
see. Real HTTP receivers on loopback; 127.0.0.1 stands for an allowed host, 127.0.0.2 (also
loopback, not allowed) for the internal service a request must never reach."""

from __future__ import annotations

import socket
import threading
from typing import Any

import httpx
import pytest

from tests.security.receivers import HttpReceiver
from watchkeeper.core import egress
from watchkeeper.paging.delivery import Outgoing, apprise_send

PUBLIC = "93.184.215.14"  # what the name answers to the check: a public address


def _send(url: str) -> Any:
    return apprise_send(Outgoing(to=url, subject="[P1] ACME-1: Disk full", text="Look"), seconds=5)


def test_a_redirect_to_a_disallowed_address_is_not_followed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    with HttpReceiver("127.0.0.2") as internal:
        metadata = f"http://127.0.0.2:{internal.port}/latest/meta-data/iam/security-credentials/"
        with HttpReceiver(redirect_to=metadata) as allowed:
            delivery = _send(f"json://127.0.0.1:{allowed.port}/hook")
    assert allowed.requests == [("POST", "/hook")]
    assert internal.requests == []  # followed, the 302 would have reached it
    assert not delivery.ok


def test_no_redirect_is_followed_even_to_an_allowed_address(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    with HttpReceiver() as target, HttpReceiver(redirect_to="") as allowed:
        allowed.redirect_to = f"http://127.0.0.1:{target.port}/elsewhere"
        delivery = _send(f"json://127.0.0.1:{allowed.port}/hook")
    assert (allowed.requests, target.requests) == ([("POST", "/hook")], [])
    assert not delivery.ok


def test_a_name_that_rebinds_between_the_check_and_the_connection_is_refused_at_connect(
    settings: Any, monkeypatch: Any
) -> None:
    """The check resolves the name to a public address; the connection, a moment later, would
    get the internal one. The address actually connected to is what the guard judges."""
    settings.OUTBOUND_ALLOW = []
    real = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.rebind.example":
            return real(host, port, *args, **kwargs)
        answers.append(PUBLIC if not answers else "127.0.0.1")
        return real(answers[-1], port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with HttpReceiver() as internal:
        delivery = _send(f"json://hooks.rebind.example:{internal.port}/hook")
    assert answers[0] == PUBLIC and "127.0.0.1" in answers[1:]  # the check passed; the connect did not
    assert internal.requests == []
    assert (delivery.ok, delivery.permanent) == (False, True)
    assert delivery.response.startswith("refused by the outbound guard: 127.0.0.1 is a loopback address")


def test_an_allowed_name_is_trusted_whatever_it_resolves_to(settings: Any, monkeypatch: Any) -> None:
    settings.OUTBOUND_ALLOW = ["ntfy.internal"]
    real = egress._real_getaddrinfo

    def internal_dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "ntfy.internal" else host, port, *args, **kwargs)

    monkeypatch.setattr(egress, "_real_getaddrinfo", internal_dns)
    with HttpReceiver() as receiver:
        delivery = _send(f"json://ntfy.internal:{receiver.port}/hook")
    assert delivery.ok, delivery.response
    assert receiver.requests == [("POST", "/hook")]


def test_the_guard_holds_for_any_client_in_the_context_and_no_other_thread(settings: Any) -> None:
    """httpx (our own webhooks) is guarded like Apprise; a thread outside the context is not."""
    settings.OUTBOUND_ALLOW = []
    outside: list[int] = []
    with HttpReceiver() as receiver, egress.outbound_guarded() as scope:
        with pytest.raises(httpx.ConnectError, match="refused by the outbound guard"):
            httpx.post(f"http://127.0.0.1:{receiver.port}/hook")
        elsewhere = threading.Thread(
            target=lambda: outside.append(httpx.get(f"http://127.0.0.1:{receiver.port}/").status_code)
        )
        elsewhere.start()
        elsewhere.join()
    assert outside == [200]
    assert receiver.requests == [("GET", "/")]
    assert scope.refusal.startswith("127.0.0.1 is a loopback address")


def test_a_connection_by_name_is_resolved_once_and_judged(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = []
    with egress.outbound_guarded(), pytest.raises(egress.ConnectRefused, match="localhost resolves to"):
        socket.create_connection(("localhost", 9), timeout=1)
