"""Under pytest-xdist (make test), workers share nothing on disk or in the database: each has its
own data directory, test database and engine wake-up socket (see pytest_xdist_setupnodes in
conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

pytestmark = pytest.mark.skipif(not WORKER, reason="runs under pytest-xdist (make test)")


def test_the_worker_has_its_own_data_directory() -> None:
    data_dir = Path(settings.DATA_DIR)
    assert data_dir.name == WORKER
    assert os.environ["WATCHKEEPER_DATA_DIR"] == str(data_dir)  # what subprocesses inherit
    assert Path(settings.STATIC_ROOT).parent == data_dir
    assert Path(settings.EMAIL_FILE_PATH).parent == data_dir


@pytest.mark.django_db
def test_the_worker_has_its_own_test_database() -> None:
    name = str(connection.settings_dict["NAME"])
    assert name.endswith(f"_{WORKER}")
    if connection.vendor == "sqlite":
        # The engine's wake-up socket is named after this file: no wake-up crosses workers.
        assert Path(name).parent == Path(settings.DATA_DIR)
