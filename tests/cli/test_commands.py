"""The `watchkeeper` command, in-process where it can be and as real processes where it must."""

from __future__ import annotations

import datetime as dt
import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from watchkeeper.accounts.models import ApiToken, Role, User
from watchkeeper.accounts.services import token_authenticate
from watchkeeper.cli import main
from watchkeeper.core import clock
from watchkeeper.tenancy.models import Client


@pytest.mark.django_db
def test_client_user_and_token_create(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["client", "create", "--name", "Acme Dental", "--slug", "acme", "--timezone", "America/New_York"]
        )
        == 0
    )
    assert Client.objects.get(slug="acme").timezone == "America/New_York"
    assert (
        main(["user", "create", "--email", "Pat@Acme.example", "--role", "client_user", "--client", "acme"])
        == 0
    )
    user = User.objects.get(email="pat@acme.example")
    assert user.role == Role.CLIENT_USER
    assert user.client is not None and user.client.slug == "acme"
    capsys.readouterr()
    assert main(["token", "create", "--user", "pat@acme.example", "--scopes", "read"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    token = token_authenticate(secret)
    assert token is not None and token.user == user
    assert ApiToken.objects.get().digest != secret, "stored hashed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["client", "create", "--name", "X", "--slug", "Bad Slug!"], "slug needs"),
        (
            ["client", "create", "--name", "X", "--slug", "xyz", "--timezone", "Mars/Base"],
            "Unknown time zone",
        ),
        (["user", "create", "--email", "a@b.example", "--role", "client_user"], "belongs to one client"),
        (["user", "create", "--email", "not-an-email", "--role", "technician"], "not a valid e-mail"),
        (
            ["user", "create", "--email", "a@b.example", "--role", "client_user", "--client", "nope"],
            "No client",
        ),
        (["token", "create", "--user", "ghost@example.com"], "No active user"),
        (["createadmin", "--email", "boss@example.com", "--password", "short"], "too short"),
    ],
)
def test_bad_input_is_a_clear_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not User.objects.exists()


@pytest.mark.django_db
def test_token_expiry_and_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    main(["createadmin", "--email", "boss@example.com", "--password", "a-Good-passphrase-42"])
    assert main(["token", "create", "--user", "boss@example.com", "--expires-days", "2"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert token_authenticate(secret) is not None
    clock.advance(dt.timedelta(days=2, seconds=1))
    assert token_authenticate(secret) is None, "expired"
    clock.reset()
    assert main(["token", "revoke", secret[:10]]) == 0
    assert token_authenticate(secret) is None
    assert main(["token", "revoke", secret[:10]]) == 1
    assert "No live token" in capsys.readouterr().err


@pytest.mark.django_db
def test_token_with_unknown_scope_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    main(["createadmin", "--email", "boss@example.com", "--password", "a-Good-passphrase-42"])
    assert main(["token", "create", "--user", "boss@example.com", "--scopes", "read", "root"]) == 1
    assert "Unknown scope root" in capsys.readouterr().err
    assert not ApiToken.objects.exists()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    env.update(WATCHKEEPER_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = _env(tmp_path, WATCHKEEPER_ALLOWED_HOSTS="wk.example.com", WATCHKEEPER_HTTPS="1")
    result = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    # The generated key is the installation's, in its database, not a file of this machine.
    assert not (tmp_path / "data" / "secret_key").exists()
    with sqlite3.connect(tmp_path / "data" / "watchkeeper.sqlite3") as db:
        ((key,),) = db.execute("SELECT value FROM watchkeeper_installation WHERE name = 'secret_key'")
    assert len(key) >= 50


def test_check_deploy_fails_without_https(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "check", "--deploy", "--fail-level", "WARNING"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "SECURE_SSL_REDIRECT" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, deadline: float) -> httpx.Response:
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_serve_migrates_runs_web_and_engine_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, smtp_port = _free_port(), _free_port()
    env = _env(tmp_path, WATCHKEEPER_ENGINE_INTERVAL="0.2", WATCHKEEPER_SMTP_PORT=str(smtp_port))
    before_migrate = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "createadmin", "--email", "b@example.com", "--password", "x"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert before_migrate.returncode == 1
    assert "Run 'watchkeeper migrate'" in before_migrate.stderr
    assert "Traceback" not in before_migrate.stderr
    run = [sys.executable, "-m", "watchkeeper", "migrate"]
    assert subprocess.run(run, env=env, capture_output=True, timeout=120, check=False).returncode == 0  # noqa: S603
    assert subprocess.run(
        [sys.executable, "-m", "watchkeeper", "createadmin", "--email", "boss@example.com",
         "--password", "a-Good-passphrase-42"],
        env=env, capture_output=True, timeout=120, check=False,
    ).returncode == 0  # fmt: skip
    serve = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "watchkeeper", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{base}/healthz", time.monotonic() + 60).status_code == 200
        assert httpx.get(f"{base}/accounts/login/", timeout=30).status_code == 200
        deadline = time.monotonic() + 30
        while "watchkeeper_engine_processes 1.0" not in httpx.get(f"{base}/metrics").text:
            assert time.monotonic() < deadline, "engine never reported a cycle"
            time.sleep(0.3)
        assert httpx.get(f"{base}/readyz").status_code == 200
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as mail:  # the smtp role
            assert mail.noop()[0] == 250
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=30)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    assert serve.returncode == 0, output
    assert f"http://localhost:{port}/" in output
    assert f"SMTP on 127.0.0.1:{smtp_port}" in output
    assert "createadmin" in output  # the login hint when there is no demo login
    assert "Watchkeeper stopped." in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
