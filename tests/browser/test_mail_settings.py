"""The outgoing-mail page in a real browser: an owner finds it in the user menu, a bad port is
marked beside its field, a saved server answers the test e-mail, a wrong password is explained."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import UserFactory
from tests.browser.helpers import sign_in
from tests.mail.conftest import LOGIN, SECRET, AuthSink
from watchkeeper.accounts.models import Role
from watchkeeper.mail.models import MailSettings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]


@pytest.fixture
def sink(settings: Any) -> Iterator[AuthSink]:
    settings.SMTP_FROM_ENVIRONMENT = False
    sink = AuthSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


def test_an_owner_sets_the_server_and_sends_a_test(page: Any, shot: Any, sink: AuthSink) -> None:
    owner = UserFactory(role=Role.OWNER, email="owner@msp.example")
    sign_in(page, owner.email)
    page.locator(".user-menu details.dropdown summary").click()
    page.get_by_role("link", name="Outgoing mail").click()
    expect(page.get_by_role("heading", name="Outgoing mail")).to_be_visible()
    expect(page.get_by_text("No SMTP server is set")).to_be_visible()

    page.get_by_label("Host").fill("127.0.0.1")
    page.get_by_label("Port").fill("not a port")
    page.get_by_label("Security").select_option("none")
    page.get_by_label("User name").fill(LOGIN)
    page.get_by_label("Password", exact=True).fill(SECRET)
    page.get_by_label("From address").fill("pager@msp.example")
    page.get_by_role("button", name="Save").click()
    port = page.get_by_label("Port")
    expect(port).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#port-error")).to_have_text("The port is a number, such as 587.")
    assert not MailSettings.objects.exists()

    port.fill(str(sink.port))
    page.get_by_label("Password", exact=True).fill(SECRET)  # a password is never sent back to retype
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Through 127.0.0.1:{sink.port}, set on this page.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Send a test e-mail to me")).click()
    expect(page.get_by_text("The server answered: 250 Message accepted for delivery")).to_be_visible()
    assert [m.to for m in sink.recorder.messages] == ["owner@msp.example"]
    shot(page, "outgoing-mail")

    page.get_by_label("Password", exact=True).fill("an-old-Password")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name=re.compile("Send a test e-mail to me")).click()
    expect(
        page.get_by_text(re.compile("The server refused the user name or password \\(535"))
    ).to_be_visible()
