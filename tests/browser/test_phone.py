"""The console and the portal on a 390 px phone and on a 1280 px desk, in a real browser: no
sideways scrolling, a one-row header whose menu opens and navigates, the queue's first incident
above the fold, the incident page's state and everyday actions before its timeline, and the
portal readable. Screenshots of each page at each size go to var/test/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import sign_in
from tests.conftest import Tenant, make_tenant
from tests.paging.factories import client_policy
from tests.sla.factories import calendar_make, policy_make
from watchkeeper.core import clock
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.services import incident_note, incident_open
from watchkeeper.paging.services.escalation import escalation_reconcile
from watchkeeper.sla.services import sla_incident_reconcile

pytestmark = pytest.mark.slow

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
HEADER_MAX = 64  # px: the header is one row on every screen


@dataclass
class Screen:
    page: Any
    name: str
    width: int
    height: int

    @property
    def phone(self) -> bool:
        return self.name == "phone"


@pytest.fixture(params=list(SIZES))
def screen(
    request: Any, chromium: Any, live_server: Any, policy: None, audit_cleared: None
) -> Iterator[Screen]:
    width, height = SIZES[request.param]
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    yield Screen(context.new_page(), request.param, width, height)
    context.close()


def _busy(tenant: Tenant) -> Incident:
    """A client on an SLA and an escalation policy, several open incidents with long titles, and
    one incident with a long timeline that was paged."""
    calendar_make()
    policy_make(tier="standard")
    client_policy(tenant)
    for n in range(4):
        incident_open(
            client=tenant.client, service=tenant.service, impact="medium", urgency="low", by="test",
            title=f"Backup job {n} failed on FILESERVER-{n:02d}.practice.internal: VSS_E_WRITERERROR_TIMEOUT",
        )  # fmt: skip
    incident = tenant.incident
    escalation_reconcile(incident_id=incident.pk, changed_at=clock.now())  # level 1 pages
    for n in range(12):
        incident_note(
            incident=incident, by=tenant.technician,
            text=f"Check {n}: pinged the core switch at 10.20.30.{n}, rebooted port {n}, still flapping.",
        )  # fmt: skip
    for other in Incident.objects.filter(client=tenant.client):
        sla_incident_reconcile(incident_id=other.pk)
    return incident


def _no_sideways_scroll(screen: Screen) -> None:
    width = screen.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{screen.name}: the page is {width[0]} px wide in a {width[1]} px window"


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return dict(box)


def _header_fits(screen: Screen) -> None:
    """One row, and the page starts below it (nothing overlaps)."""
    header = _box(screen.page.locator("header.topbar"))
    assert header["height"] <= HEADER_MAX, f"{screen.name}: the header is {header['height']} px tall"
    main = _box(screen.page.locator("main#main"))
    assert main["y"] >= header["y"] + header["height"] - 0.5


def _in_first_viewport(screen: Screen, locator: Any, screens: float = 1.0) -> float:
    """The bottom of `locator` in the page, asserted within the first `screens` viewports."""
    box = _box(locator)
    bottom = box["y"] + box["height"] + screen.page.evaluate("window.scrollY")
    assert bottom <= screen.height * screens, f"{screen.name}: {locator} ends at {bottom:.0f} px"
    return bottom


def _card_fits(screen: Screen, cell: Any, part: str) -> None:
    """A card's cell lies inside the screen and its content inside the cell: nothing is cut off
    but for a long name shortened with an ellipsis."""
    box = _box(cell)
    assert box["x"] >= 0 and box["x"] + box["width"] <= screen.width, part
    inner, outer, ellipsis = cell.evaluate(
        "e => [e.scrollWidth, e.clientWidth, getComputedStyle(e).textOverflow === 'ellipsis']"
    )
    assert inner <= outer or ellipsis, f"{part}: {inner} px of content in a {outer} px cell"


def _shot(screen: Screen, shot: Any, name: str) -> None:
    """The whole page, and what the first screen shows."""
    screen.page.evaluate("window.scrollTo(0, 0)")
    shot(screen.page, f"{name}-{screen.name}")
    screen.page.screenshot(path=str(SCREENSHOTS / f"{name}-{screen.name}-first-screen.png"))


def test_queue(screen: Screen, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental and Orthodontics of Greater Manchester")
    _busy(tenant)
    page = screen.page
    sign_in(page, tenant.technician.email)
    page.goto("/incidents/")
    first = page.locator("#queue tr[data-incident]").first
    expect(first).to_be_visible()
    _shot(screen, shot, "queue")
    _no_sideways_scroll(screen)
    _header_fits(screen)
    print(f"queue at {screen.name}: first incident ends at {round(_in_first_viewport(screen, first))} px")
    if screen.phone:
        # A card: priority, client, title, age, status, owner and SLA, all inside the screen.
        for part in ("priority", "client", "title", "age", "status", "owner", "sla"):
            cell = first.locator(f"td.{part}")
            expect(cell).to_be_visible()
            _card_fits(screen, cell, part)
        expect(first.locator("td.sla .badge").first).to_be_visible()
        expect(page.locator("#bulk")).to_be_hidden()  # ticking is for desks
        expect(page.get_by_label("Priority", exact=True)).to_be_hidden()  # folded filters
        page.get_by_role("button", name=re.compile("^Filters")).click()
        expect(page.get_by_label("Priority", exact=True)).to_be_visible()
        _no_sideways_scroll(screen)
    else:
        expect(page.get_by_label("Priority", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Filters"))).to_be_hidden()
    _shot(screen, shot, "queue")


def test_menu_opens_and_navigates(screen: Screen, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental")
    page = screen.page
    sign_in(page, tenant.technician.email)
    page.goto("/incidents/")
    clients = page.locator("header.topbar").get_by_role("link", name="Clients")
    menu = page.get_by_role("button", name="Menu")
    if screen.phone:
        expect(clients).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")
        _header_fits(screen)
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(clients).to_be_visible()
        for item in page.locator("header.topbar .areas li").all():  # no greyed "coming" areas
            if item.is_visible():
                expect(item.locator(".soon")).to_have_count(0)
        expect(page.locator("header.topbar").get_by_text("Sign out")).to_be_hidden()  # in the user menu
        _no_sideways_scroll(screen)
        shot(page, "menu-open-phone")
        page.keyboard.press("Escape")  # focus is on the button, not in the menu: stays open
        expect(clients).to_be_visible()
    else:
        expect(menu).to_be_hidden()
        expect(clients).to_be_visible()
        _header_fits(screen)
    clients.click()
    page.wait_for_url("**/clients/")
    expect(page.get_by_role("heading", name=re.compile("Clients"))).to_be_visible()
    _header_fits(screen)
    if screen.phone:  # a new page starts with the menu folded
        expect(page.locator("header.topbar").get_by_role("link", name="Incidents")).to_be_hidden()


def _background(locator: Any) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).backgroundColor"))


def test_incident_page(screen: Screen, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental and Orthodontics of Greater Manchester")
    incident = _busy(tenant)
    page = screen.page
    sign_in(page, tenant.technician.email)
    page.goto(f"/incidents/{incident.pk}/")
    _shot(screen, shot, "incident-page")
    _no_sideways_scroll(screen)
    _header_fits(screen)
    # Where it stands, in the first screen: status, owner, SLA clocks, paging.
    standing = page.locator(".incident-head .standing")
    for term in ("Status", "Owner", "SLA", "Paging"):
        _in_first_viewport(screen, standing.locator("dt", has_text=term))
    expect(standing).to_contain_text("Triggered")
    expect(standing.locator(".badge.sla-on_track").first).to_be_visible()
    expect(standing).to_contain_text("level 1 paged")
    # The everyday actions: primary, and before the timeline.
    acknowledge = page.get_by_role("button", name="Acknowledge")
    resolve = page.get_by_role("button", name="Resolve", exact=True)
    add_note = page.get_by_role("button", name="Add note")
    take = page.get_by_role("button", name="Take ownership")
    figures = {
        "standing": _in_first_viewport(screen, standing),
        "acknowledge": _in_first_viewport(screen, acknowledge),
        "resolve": _in_first_viewport(screen, resolve),
        "add note": _in_first_viewport(screen, add_note, screens=1.0 if not screen.phone else 1.25),
    }
    primary = _background(acknowledge)
    assert _background(resolve) == primary and _background(add_note) == primary
    assert _background(take) != primary  # secondary actions look secondary
    timeline = _box(page.locator(".timeline-section"))
    assert _box(add_note)["y"] < timeline["y"]
    # Changed now and then: folded away until asked for.
    for rare in ("Change priority", "Set category", "Add responder", "Escalate now", "Hand off", "Merge…"):
        expect(page.get_by_role("button", name=rare)).to_be_hidden()
    page.locator("details.more > summary", has_text="Responders").click()
    expect(page.get_by_role("button", name="Add responder")).to_be_visible()
    page.locator("details.more > summary", has_text="Escalate or reassign").click()
    expect(page.get_by_role("button", name="Escalate now")).to_be_visible()
    _no_sideways_scroll(screen)
    figures["page"] = page.evaluate("document.documentElement.scrollHeight")
    figures["header"] = _box(page.locator("header.topbar"))["height"]
    # Figures for the report (-s): where things end, in px from the top of the page.
    print(f"incident page at {screen.name}:", {key: round(value) for key, value in figures.items()})
    _shot(screen, shot, "incident-page")
    # One-handed: acknowledge, then resolve with a note, from the top of the page.
    acknowledge.click()
    expect(page.get_by_text(f"Acknowledged {incident.reference}")).to_be_visible()
    page.get_by_label("Resolution note").fill("Replaced the switch's uplink module")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_text(f"Resolved {incident.reference}")).to_be_visible()
    expect(page.locator(".standing")).to_contain_text("Resolved")
    _no_sideways_scroll(screen)


def test_portal(screen: Screen, shot: Any) -> None:
    tenant = make_tenant("Alpha Dental and Orthodontics of Greater Manchester")
    incident = _busy(tenant)
    incident_note(
        incident=incident, by=tenant.technician, text="We are replacing the switch.", client_visible=True
    )
    page = screen.page
    sign_in(page, tenant.client_user.email)
    for url in ("/portal/", "/portal/incidents/", f"/portal/incidents/{incident.pk}/"):
        page.goto(url)
        _no_sideways_scroll(screen)
        _header_fits(screen)
        expect(page.locator("main h1")).to_be_visible()
        _in_first_viewport(screen, page.locator("main h1"))
    expect(page.get_by_text("We are replacing the switch.")).to_be_visible()
    _shot(screen, shot, "portal-incident")
    page.goto("/portal/incidents/")
    expect(page.get_by_role("link", name=incident.reference)).to_be_visible()
    first = page.locator("table.portal-incidents tbody tr").first
    _in_first_viewport(screen, first)
    if screen.phone:  # a card: reference, status, title, service, when, all inside the screen
        for part in ("reference", "status", "title", "service", "reported"):
            _card_fits(screen, first.locator(f"td.{part}"), part)
    _shot(screen, shot, "portal-list")
    if screen.phone:
        page.get_by_role("button", name="Menu").click()
        page.locator("header.topbar").get_by_role("link", name="Report a problem").click()
        page.wait_for_url("**/portal/incidents/new")
        _no_sideways_scroll(screen)
        _header_fits(screen)


def test_without_script_the_phone_shows_what_would_fold(
    chromium: Any, live_server: Any, policy: None, audit_cleared: None
) -> None:
    """The Menu and Filters buttons need the console's script; without it their content is shown."""
    tenant = make_tenant("Alpha Dental")
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, tenant.technician.email)
        page.goto("/incidents/")
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(page.locator("header.topbar").get_by_role("link", name="Clients")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Filters"))).to_be_hidden()
        expect(page.get_by_label("Priority", exact=True)).to_be_visible()
        _no_sideways_scroll(Screen(page, "phone", 390, 844))
    finally:
        context.close()
