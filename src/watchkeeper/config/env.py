"""Read configuration from the environment and the data directory.

Everything an operator sets is a `WATCHKEEPER_*` variable; secrets the product
generates itself live in the data directory with 0600 permissions.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url


def data_dir() -> Path:
    path = Path(os.environ.get("WATCHKEEPER_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secret_key(directory: Path) -> str:
    """Return the installation's secret key, creating it on first run.

    The file is created with O_EXCL and mode 0600 so that two processes starting
    at once cannot write different keys, and nobody else can read it.
    """
    from_env = os.environ.get("WATCHKEEPER_SECRET_KEY")
    if from_env:
        return from_env
    path = directory / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


def database(directory: Path) -> dict[str, Any]:
    url = os.environ.get("WATCHKEEPER_DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{directory / 'watchkeeper.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write
        # lock at BEGIN so that concurrent writers queue instead of failing
        # mid-transaction with "database is locked".
        # Opening SQLite and running the PRAGMAs costs more than a small request: keep
        # connections (per thread) for a minute, as for PostgreSQL.
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
            ),
        }
        config["TEST"] = {"NAME": str(directory / "test.sqlite3")}
    return config


def smtp(url: str) -> dict[str, Any]:
    """Parse `smtp://user:pass@host:587?starttls=1` (or smtps://) into EMAIL_* settings (read by
    watchkeeper.mail.selectors, which gives them precedence over the console's)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps"}:
        raise ValueError(f"WATCHKEEPER_SMTP_URL must start with smtp:// or smtps://, not {parsed.scheme}://")
    query = parse_qs(parsed.query)
    return {
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("starttls", ["0"])[0] in {"1", "true", "yes"},
        "EMAIL_TIMEOUT": 20,
    }


def csv(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
