"""Integration settings are checked by their format's own validators before they are saved."""

from __future__ import annotations

import pytest

from tests.alerts.factories import IntegrationFactory
from tests.tenancy.factories import ServiceFactory
from watchkeeper.alerts.services.integrations import integration_create, integration_update
from watchkeeper.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_update_refuses_a_webhook_template_that_does_not_compile() -> None:
    integration = IntegrationFactory(type="webhook", config={})
    with pytest.raises(InvalidInput, match=r"template 'title' line 1") as caught:
        integration_update(actor="cli", integration=integration, config={"templates": {"title": "{{ oops"}})
    assert caught.value.field == "config"
    integration.refresh_from_db()
    assert integration.config == {}


def test_update_saves_a_good_webhook_config() -> None:
    integration = IntegrationFactory(type="webhook", config={})
    config = {"templates": {"title": "{{ body.check }} is down"}, "default_severity": "warning"}
    integration_update(actor="cli", integration=integration, config=config)
    integration.refresh_from_db()
    assert integration.config == config


def test_update_refuses_a_bad_email_rule() -> None:
    integration = IntegrationFactory(type="email", config={})
    with pytest.raises(InvalidInput, match="resolve_subject_regex"):
        integration_update(
            actor="cli", integration=integration, config={"email": {"resolve_subject_regex": "(unclosed"}}
        )


def test_create_refuses_an_unknown_template_name() -> None:
    service = ServiceFactory()
    with pytest.raises(InvalidInput, match="unknown template 'colour'"):
        integration_create(
            actor="cli", client=service.client, type="webhook", name="Hook", service=service,
            config={"templates": {"colour": "red"}},
        )  # fmt: skip


def test_other_types_accept_any_object_but_not_other_json() -> None:
    integration = IntegrationFactory(type="pagerduty")
    integration_update(actor="cli", integration=integration, config={"flapping": {"changes": 0}})
    with pytest.raises(InvalidInput, match="JSON object"):
        integration_update(actor="cli", integration=integration, config=["not", "an", "object"])
