"""Client content in the console: external images, the Content-Security-Policy, /metrics
(issue 12, item 12)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.test import Client as HttpClient

from watchkeeper.policy.markup import markdown_html

pytestmark = pytest.mark.django_db


def test_external_images_become_links() -> None:
    html = markdown_html("Look: ![screenshot](https://tracker.example/pixel.png?who=me)")
    assert "<img" not in html
    assert '<a href="https://tracker.example/pixel.png?who=me"' in html
    assert ">screenshot</a>" in html
    assert "<img" not in markdown_html("![](//tracker.example/p.gif)")


def test_images_from_this_site_stay() -> None:
    html = markdown_html("![logo](/static/watchkeeper/logo.svg)")
    assert '<img src="/static/watchkeeper/logo.svg" alt="logo"' in html


def test_link_text_is_escaped() -> None:
    html = markdown_html('![<script>x</script>](https://a.example/"onerror=x)')
    assert "<script>" not in html
    assert "<img" not in html


def test_every_html_page_carries_the_policy(world: Any, browser_as: Any) -> None:
    http = browser_as(world.owner)
    for path in ("/", f"/integrations/{world.a.integration.pk}/", f"/incidents/{world.a.incident.pk}/"):
        policy = http.get(path)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "img-src 'self' data:" in policy
        assert "frame-ancestors 'none'" in policy
        assert "form-action 'self'" in policy
        assert "base-uri 'none'" in policy
    assert "Content-Security-Policy" in HttpClient().get("/accounts/login/")


def test_no_inline_script_handlers_in_pages(world: Any, browser_as: Any) -> None:
    page = browser_as(world.owner).get(f"/integrations/{world.a.integration.pk}/").content.decode()
    assert "onclick=" not in page
    assert "data-copy" in page


def test_metrics_refuses_other_networks(world: Any) -> None:
    assert HttpClient().get("/metrics").status_code == 200  # loopback, the default
    response = HttpClient(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert response.status_code == 401
    assert b"watchkeeper_" not in response.content


def test_metrics_with_token_or_allowed_network(world: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-secret"
    outside = HttpClient(REMOTE_ADDR="203.0.113.9")
    assert outside.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = outside.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert response.status_code == 200
    assert b"watchkeeper_engine_lag_seconds" in response.content
    settings.METRICS_ALLOW = [ipaddress.ip_network("203.0.113.0/24")]
    assert outside.get("/metrics").status_code == 200


def test_metrics_behind_a_proxy_uses_the_forwarded_address(world: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxied = HttpClient(REMOTE_ADDR="127.0.0.1")
    assert proxied.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 401
    assert proxied.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200
