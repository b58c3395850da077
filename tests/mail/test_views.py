"""The outgoing-mail page: owners and admins only, the password never shown back, a bad field
answered with 400 and its message beside it, read-only while the environment decides."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.mail.conftest import AuthSink, console_server
from watchkeeper.accounts.models import Role
from watchkeeper.mail.models import MailSettings

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

URL, TEST_URL = "/settings/mail/", "/settings/mail/test"
FORM = {
    "host": "smtp.example.net", "port": "587", "security": "starttls", "username": "relay",
    "password": "Relay-secret-42", "from_address": "pager@example.net",
}  # fmt: skip


@pytest.fixture
def owner(no_env_smtp: Any, browser_as: Any) -> Any:
    return browser_as(UserFactory(role=Role.OWNER, email="owner@msp.example"))


def test_saving_and_never_showing_the_password_back(owner: Any) -> None:
    page = owner.get(URL).content.decode()
    assert "No SMTP server is set" in page
    response = owner.post(URL, FORM)
    assert response.status_code == 302
    assert MailSettings.objects.get().password == "Relay-secret-42"
    page = owner.get(URL).content.decode()
    assert "Through <strong>smtp.example.net:587</strong>, set on this page" in page
    assert 'value="smtp.example.net"' in page
    assert "Relay-secret-42" not in page
    assert "set: leave empty to keep it" in page
    assert "Clear the stored password" in page
    owner.post(URL, {**FORM, "password": "", "password_clear": "1", "username": ""})
    assert not MailSettings.objects.get().password_is_set
    assert "Clear the stored password" not in owner.get(URL).content.decode()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"port": "smtp"}, "port", "The port is a number"),
        ({"port": "99999"}, "port", "from 1 to 65535"),
        ({"host": "smtp.example.net/relay"}, "host", "only the server&#x27;s host name"),
        ({"from_address": "pager"}, "from_address", "is not a valid e-mail address"),
    ],
)
def test_a_bad_field_answers_400_beside_the_field(
    owner: Any, change: dict[str, str], field: str, words: str
) -> None:
    response = owner.post(URL, {**FORM, **change})
    assert response.status_code == 400
    page = response.content.decode()
    error_id = "from-error" if field == "from_address" else f"{field}-error"
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true" aria-describedby="{error_id}"', page)
    assert re.search(rf'<small id="{error_id}" class="error" role="alert">[^<]*{re.escape(words)}', page)
    assert f'value="{change.get("host", FORM["host"])}"' in page  # what was typed stays
    assert not MailSettings.objects.exists()


def test_the_environment_makes_the_page_read_only(owner: Any, settings: Any) -> None:
    settings.SMTP_FROM_ENVIRONMENT = True
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER = "mail.env.example", 25, ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    page = owner.get(URL).content.decode()
    assert "set by the environment" in page
    assert "mail.env.example" in page
    assert 'name="host"' not in page
    assert owner.post(URL, FORM).status_code == 409
    assert not MailSettings.objects.exists()


def test_the_test_action_reports_a_refused_password(owner: Any, auth_sink: AuthSink) -> None:
    console_server(auth_sink.port, password="wrong-Password")
    response = owner.post(TEST_URL, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    page = response.content.decode()
    assert (
        '<p class="message error">The test e-mail was not sent. The server refused the user name or password'
        in page
    )
    assert "535 5.7.8 Authentication credentials invalid" in page


def test_the_menu_links_the_page_for_admins_only(owner: Any, world: Any, browser_as: Any) -> None:
    assert 'href="/settings/mail/">Outgoing mail' in owner.get("/accounts/").content.decode()
    tech = browser_as(world.a.technician)
    assert "Outgoing mail" not in tech.get("/accounts/").content.decode()


@pytest.mark.parametrize("who", ["technician", "manager", "client_admin", "client_user"])
def test_everyone_else_is_refused(no_env_smtp: Any, world: Any, browser_as: Any, who: str) -> None:
    user = UserFactory(role=Role.MANAGER) if who == "manager" else getattr(world.a, who)
    browser = browser_as(user)
    assert browser.get(URL).status_code == 403
    assert browser.post(URL, FORM).status_code == 403
    assert browser.post(TEST_URL).status_code == 403
    assert not MailSettings.objects.exists()
