"""Fixtures for the policy tests: the default policy as exported from a fresh database."""

from __future__ import annotations

from typing import Any

import pytest

from watchkeeper.policy.services import policy_export_yaml


@pytest.fixture
def default_yaml(db: Any) -> str:
    return policy_export_yaml()
