"""The MSP's brand in a real browser: an owner sets the name and colour (a bad colour marked
beside its field), uploads a logo (an SVG refused), and a client user then sees the MSP's name
and logo on the sign-in page and in the portal, on a desktop and on a 390 px phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import UserFactory
from tests.branding.images import SVG
from tests.browser.helpers import sign_in
from tests.conftest import make_tenant
from watchkeeper.accounts.models import Role
from watchkeeper.branding.models import Branding
from watchkeeper.demo.logo import demo_logo_png

pytestmark = pytest.mark.slow

NAME = "Lighthouse Managed IT"


def _logo_loaded(page: Any, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def test_an_owner_brands_the_portal_and_a_client_sees_it(page: Any, shot: Any, tmp_path: Path) -> None:
    tenant = make_tenant("Alpha Dental")
    owner = UserFactory(role=Role.OWNER, email="owner@msp.example")
    sign_in(page, owner.email)
    page.locator(".user-menu details.dropdown summary").click()
    page.get_by_role("link", name="Branding").click()
    expect(page.get_by_role("heading", name="Branding", exact=True)).to_be_visible()
    expect(page.get_by_text("No logo: clients see your name alone.")).to_be_visible()

    page.get_by_label("Your company's name").fill(NAME)
    page.get_by_label("Accent colour").fill("navy")
    page.get_by_label("E-mail").fill("servicedesk@lighthouse-it.example")
    page.get_by_label("Phone").fill("+44 20 7946 0100")
    page.get_by_label("Web address").fill("https://help.lighthouse-it.example")
    page.get_by_role("button", name="Save").click()
    accent = page.get_by_label("Accent colour")
    expect(accent).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#accent-error")).to_contain_text("is not a colour")
    assert not Branding.objects.exists()
    accent.fill("#0f3a66")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved. Clients see the new brand")).to_be_visible()

    svg = tmp_path / "logo.svg"
    svg.write_bytes(SVG)
    page.get_by_label("Upload a logo").set_input_files(str(svg))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#logo-error")).to_contain_text("SVG logos are not accepted")
    logo = tmp_path / "lighthouse.png"
    logo.write_bytes(demo_logo_png())
    page.get_by_label("Upload a logo").set_input_files(str(logo))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("Logo uploaded.")).to_be_visible()
    assert _logo_loaded(page, ".logo-preview img")
    shot(page, "branding-settings")

    page.locator(".user-menu details.dropdown summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    header = page.locator("header.topbar")
    expect(header).to_contain_text(NAME)
    expect(header).not_to_contain_text("Watchkeeper")
    assert _logo_loaded(page, "header.topbar img.brand-logo")
    assert _logo_loaded(page, ".auth-card img.brand-logo")
    expect(page).to_have_title(f"Sign in · {NAME}")
    shot(page, "branding-sign-in")

    sign_in(page, tenant.client_user.email)
    page.goto("/portal/incidents/")
    expect(header).to_contain_text(NAME)
    assert _logo_loaded(page, "header.topbar img.brand-logo")
    expect(page.locator("footer")).to_contain_text("servicedesk@lighthouse-it.example")
    expect(page.locator("footer")).to_contain_text("Powered by Watchkeeper")
    # The accent reaches the portal's primary buttons.
    colour = page.locator("main a[role=button]", has_text="Report a problem").evaluate(
        "a => getComputedStyle(a).backgroundColor"
    )
    assert colour == "rgb(15, 58, 102)"
    assert (
        page.locator("header.topbar").evaluate("h => getComputedStyle(h).backgroundColor")
        == "rgb(255, 255, 255)"
    )
    shot(page, "branding-portal-1280")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/portal/incidents/")
    box = page.locator("header.topbar img.brand-logo").bounding_box()
    assert box is not None and box["height"] == 32 and box["x"] + box["width"] <= 390
    name_box = page.locator("header.topbar .brand-msp span").bounding_box()
    assert name_box is not None and name_box["x"] + name_box["width"] <= 390, name_box
    # The light header holds on a phone too: dark text on white, never the console's dark bar.
    header_style = page.locator("header.topbar").evaluate(
        "h => [getComputedStyle(h).backgroundColor,"
        " getComputedStyle(h.querySelector('.brand-msp span')).color]"
    )
    assert header_style == ["rgb(255, 255, 255)", "rgb(31, 41, 51)"], header_style
    shot(page, "branding-portal-390")
    page.goto("/accounts/")
    assert re.search(NAME, page.title())
