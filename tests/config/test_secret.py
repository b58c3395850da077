"""The installation's secret key lives in the database, so every host signs and checks alike
(config/secret.py, ADR 0036): a link signed on one host is valid on another."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.db import connection

from watchkeeper.config import secret

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_key(django_db_blocker):
    """Forget this process's key before the test: the test's own database decides. After it the
    key is loaded again, so that later tests of this worker without database access find it."""
    secret.secret_key_forget()
    yield
    secret.secret_key_forget()
    with django_db_blocker.unblock():
        secret.secret_key_preload()


def _stored() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, value FROM {secret.TABLE}")  # noqa: S608 — a constant
        return list(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_the_key_is_generated_once_and_kept_in_the_database(fresh_key, tmp_path: Path) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {secret.TABLE}")
    first = secret.secret_key_load(tmp_path / "secret_key")
    assert len(first) >= 50
    assert _stored() == [("secret_key", first)]
    assert not (tmp_path / "secret_key").exists()  # nothing per host
    secret.secret_key_forget()
    assert secret.secret_key_load(tmp_path / "elsewhere") == first


@pytest.mark.django_db(transaction=True)
def test_a_key_kept_in_the_data_directory_before_is_adopted(fresh_key, tmp_path: Path) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {secret.TABLE}")
    legacy = tmp_path / "secret_key"
    legacy.write_text("an-older-key-that-signed-sessions-and-encrypted-secrets-0123456789\n")
    assert (
        secret.secret_key_load(legacy) == "an-older-key-that-signed-sessions-and-encrypted-secrets-0123456789"
    )
    assert _stored()[0][1] == "an-older-key-that-signed-sessions-and-encrypted-secrets-0123456789"


def _host_env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    env.update(WATCHKEEPER_DATA_DIR=str(data_dir), WATCHKEEPER_DATABASE_URL=database_url)
    return env


def _run(code: str, env: dict[str, str]) -> str:
    script = (
        "import os, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'watchkeeper.config.settings')\n"
        "django.setup()\n"
        "from watchkeeper.config.secret import secret_key_preload\n"
        "secret_key_preload()\n" + code
    )
    result = subprocess.run(  # noqa: S603 — our own interpreter
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.django_db(transaction=True)
def test_a_link_signed_on_one_host_is_valid_on_another(tmp_path: Path) -> None:
    """Two hosts: separate data directories, no WATCHKEEPER_SECRET_KEY, one database. Before,
    each generated a key in its own data directory and refused the other's signatures."""
    if connection.vendor == "postgresql":
        url = urlunparse(urlparse(os.environ["WATCHKEEPER_DATABASE_URL"])._replace(
            path="/" + str(connection.settings_dict["NAME"])))  # fmt: skip
    else:
        url = f"sqlite:///{connection.settings_dict['NAME']}"
    host_a = _host_env(tmp_path / "a", url)
    host_b = _host_env(tmp_path / "b", url)
    token = _run(
        "from django.core import signing\nprint(signing.dumps({'incident': 7}, salt='link'))", host_a
    )
    loaded = _run(
        f"from django.core import signing\nprint(signing.loads({token!r}, salt='link')['incident'])", host_b
    )
    assert loaded == "7"
    assert not (tmp_path / "a" / "secret_key").exists()
    assert not (tmp_path / "b" / "secret_key").exists()
