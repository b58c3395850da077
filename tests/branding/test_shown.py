"""Where clients see the brand: the portal's header and the sign-in page, the SLA report's
e-mail (sender, text, HTML with the logo inside the message) and its PDF. The console keeps
the product's own header."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from email import message_from_bytes
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from tests.branding.images import png
from tests.sla.factories import policy_make
from tests.tenancy.factories import ContactFactory
from watchkeeper.branding.selectors import brand_current
from watchkeeper.branding.services import branding_logo_set, branding_save
from watchkeeper.core import clock
from watchkeeper.engine.outbox import outbox_run_due
from watchkeeper.engine.registry import SLA_REPORTS
from watchkeeper.sla.delivery import sla_reports_queue
from watchkeeper.sla.render import report_pdf
from watchkeeper.sla.reports import report_build

NAME = "Lighthouse Managed IT"


@pytest.fixture
def branded(world: Any) -> Any:
    branding_save(
        actor="test", name=NAME, accent="#0b5cad", support_email="help@lighthouse.example",
        support_phone="+44 20 7946 0100", support_url="https://help.lighthouse.example",
    )  # fmt: skip
    return world


@pytest.fixture
def with_logo(branded: Any) -> Any:
    branding_logo_set(actor="test", data=png(120, 40))
    return branded


def _header(page: str) -> str:
    return page[page.index('<header class="topbar">') : page.index("</header>")]


def test_the_portal_header_shows_the_msp_s_name_and_logo(with_logo: Any, browser_as: Any) -> None:
    page = browser_as(with_logo.a.client_user).get(reverse("portal:incidents")).content.decode()
    header = _header(page)
    assert NAME in header and f"/settings/branding/logo/{brand_current().logo_file}" in header
    assert "Watchkeeper" not in header and "logo.svg" not in header
    assert f"<title>Our incidents · {NAME}</title>" in page
    assert "--pico-primary:#0b5cad" in page and "brand.css" in page
    footer = page[page.index('<footer class="container footer">') :]
    assert "help@lighthouse.example" in footer and "Powered by Watchkeeper" in footer


def test_without_a_logo_the_name_stands_alone(branded: Any, browser_as: Any) -> None:
    header = _header(browser_as(branded.a.client_admin).get(reverse("tenancy:portal")).content.decode())
    assert NAME in header and "<img" not in header


def test_the_sign_in_page_is_the_msp_s(with_logo: Any, client: Any) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert NAME in _header(page) and f"<title>Sign in · {NAME}</title>" in page
    card = page[page.index('class="auth-card"') :]
    assert f'alt="{NAME}"' in card[: card.index("</header>")]


def test_the_console_keeps_the_product_s_header(with_logo: Any, browser_as: Any) -> None:
    page = browser_as(with_logo.owner).get(reverse("incidents:list")).content.decode()
    header = _header(page)
    assert "Watchkeeper" in header and NAME not in header and "brand.css" not in page


def test_an_unbranded_installation_looks_as_before(world: Any, client: Any) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Watchkeeper" in _header(page) and "Powered by" not in page


def test_the_portal_page_costs_one_query_more_at_most(
    world: Any, browser_as: Any, django_assert_max_num_queries: Any
) -> None:
    """tests/incidents' own bound for this page holds with the brand (one primary-key query)."""
    branding_save(actor="test", name=NAME)
    branding_logo_set(actor="test", data=png())
    http = browser_as(world.a.client_user)
    with django_assert_max_num_queries(12) as queries:
        assert http.get(reverse("portal:incidents")).status_code == 200
    assert sum("branding_branding" in query["sql"] for query in queries.captured_queries) == 1


# --- the SLA report's e-mail and PDF ------------------------------------------------------------


@pytest.fixture
def report_mail(with_logo: Any, settings: Any) -> Any:
    settings.DEFAULT_FROM_EMAIL = "watchkeeper@msp.example"
    policy_make(tier="standard")
    ContactFactory(
        client=with_logo.a.client, name="Finance", email="finance@alpha.example", receives_reports=True
    )
    clock.freeze(dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC))
    sla_reports_queue()
    assert outbox_run_due(outbox=SLA_REPORTS) == 1
    (message,) = mail.outbox
    return message


def test_the_report_e_mail_comes_from_the_msp(report_mail: Any) -> None:
    assert report_mail.from_email == f"{NAME} <watchkeeper@msp.example>"
    parsed = message_from_bytes(report_mail.message().as_bytes())
    assert parsed["From"] == f"{NAME} <watchkeeper@msp.example>"
    assert f"from {NAME}" in report_mail.body and "help@lighthouse.example" in report_mail.body
    ((html, kind),) = report_mail.alternatives
    assert kind == "text/html" and NAME in html and "https://help.lighthouse.example" in html


def test_the_logo_travels_inside_the_message_never_as_a_link(report_mail: Any) -> None:
    parsed = message_from_bytes(report_mail.message().as_bytes())
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, pdf = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert pdf.get_content_type() == "application/pdf"
    text, related = alternative.get_payload()
    assert (text.get_content_type(), related.get_content_type()) == ("text/plain", "multipart/related")
    html, image = related.get_payload()
    assert image.get_content_type() == "image/png" and image["Content-ID"] == "<logo@watchkeeper.brand>"
    assert image.get_payload(decode=True) == png(120, 40)
    body = html.get_payload(decode=True).decode()
    assert 'src="cid:logo@watchkeeper.brand"' in body
    assert not re.search(r"<img[^>]+src=\"https?:", body)  # no remote image


def test_without_a_logo_the_html_part_has_no_image(branded: Any) -> None:
    from watchkeeper.branding.emails import branded_email

    message = branded_email(subject="S", paragraphs=["P"], to=["a@b.example"])
    parsed = message_from_bytes(message.message().as_bytes())
    assert [part.get_content_type() for part in parsed.get_payload()] == ["text/plain", "text/html"]
    assert "<img" not in message.alternatives[0][0]


def _pdf_text(pdf: bytes) -> bytes:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL)
    out = b""
    for stream in streams:
        try:
            out += zlib.decompress(stream)
        except zlib.error:
            out += stream
    return out


def test_the_pdf_shows_the_msp_s_name_and_logo(with_logo: Any) -> None:
    report = report_build(client=with_logo.a.client, start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))
    pdf = report_pdf(report)
    assert f"({NAME})".encode() in _pdf_text(pdf)
    assert b"/Subtype /Image" in pdf and b"/Width 120" in pdf and b"/Height 40" in pdf
    assert f"/Author ({NAME})".encode() in pdf


def test_the_pdf_without_a_logo_has_the_name_and_no_image(branded: Any) -> None:
    report = report_build(client=branded.a.client, start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))
    pdf = report_pdf(report)
    assert f"({NAME})".encode() in _pdf_text(pdf) and b"/Subtype /Image" not in pdf


def test_a_page_renders_unbranded_when_the_brand_cannot_be_read(monkeypatch: Any) -> None:
    """An error page (a 500 while the database is down) must not fail on its layout's brand."""
    from django.db import DatabaseError

    from watchkeeper.branding import selectors

    def down() -> Any:
        raise DatabaseError("database is down")

    monkeypatch.setattr(selectors, "branding_get", down)
    brand = selectors.brand_for_page()
    assert brand.name == "Watchkeeper" and not brand.is_set and not brand.has_logo
