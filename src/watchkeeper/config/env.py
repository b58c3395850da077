"""Read and validate configuration from the environment and the data directory.

Everything an operator sets is a `WATCHKEEPER_*` variable, read in exactly one place (settings
or the CLI) through the readers here, with its default written once at that call; secrets the
product generates itself live in the database (the secret key, `config/secret.py`), so that every
host of an installation shares them.

A value that means nothing stops start-up with a `ConfigError` naming the variable and what it
accepts: a typo in `WATCHKEEPER_HTTPS` must not quietly turn HTTPS off. An empty variable counts
as unset (systemd environment files and `docker run -e X=` produce them).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url

D = TypeVar("D", int, None)

TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")
_FLAG_VALUES = "/".join(value for pair in zip(TRUE, FALSE, strict=True) for value in pair)


class ConfigError(ValueError):
    """A `WATCHKEEPER_*` variable holds a value that means nothing; the message names it and
    says which values it accepts (the CLI prints it as one line and exits with 2)."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def text(name: str, default: str) -> str:
    return _raw(name) or default


def flag(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ConfigError(f"{name} must be one of {_FLAG_VALUES}, not {value!r}")


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" of at least {minimum}"
    return ""


def integer(name: str, default: D, *, minimum: int | None = 0, maximum: int | None = None) -> int | D:
    """A whole number; `default` may be None where the caller computes it (the web's threads)."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    too_small = minimum is not None and number is not None and number < minimum
    too_large = maximum is not None and number is not None and number > maximum
    if number is None or too_small or too_large:
        raise ConfigError(f"{name} must be a whole number{_bounds(minimum, maximum)}, not {value!r}")
    return number


def decimal(name: str, default: float, *, minimum: float) -> float:
    """A number that may have a fraction (seconds, mostly)."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = None
    # NaN compares false with everything, so `not number >= minimum` refuses it too.
    if number is None or not number >= minimum or number == float("inf"):
        raise ConfigError(f"{name} must be a number{_bounds(minimum, None)}, not {value!r}")
    return number


def choice(name: str, default: str, choices: Sequence[str]) -> str:
    """One of `choices`, compared without case; answered as spelled in `choices`."""
    value = _raw(name)
    if value is None:
        return default
    for option in choices:
        if value.lower() == option.lower():
            return option
    raise ConfigError(f"{name} must be one of {'/'.join(choices)}, not {value!r}")


def csv(name: str, default: str) -> list[str]:
    return [item.strip() for item in text(name, default).split(",") if item.strip()]


def networks(name: str, default: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma-separated CIDRs (`10.0.0.0/8`) or single addresses (`127.0.0.1`)."""
    result = []
    for item in csv(name, default):
        try:
            result.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name} must list networks such as 10.0.0.0/8 or ::1, not {item!r}") from None
    return result


def data_dir() -> Path:
    path = Path(text("WATCHKEEPER_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key() -> str | None:
    """`WATCHKEEPER_SECRET_KEY` as given (stripping would change the key), or None when unset:
    then the key stored in the database is used (`config/secret.py`)."""
    return os.environ.get("WATCHKEEPER_SECRET_KEY") or None


def database(directory: Path, *, pooled: bool = False) -> dict[str, Any]:
    url = text("WATCHKEEPER_DATABASE_URL", "")
    if not url:
        url = f"sqlite:///{directory / 'watchkeeper.sqlite3'}"
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:  # only the scheme in the message: the URL may hold a password
        scheme = urlparse(url).scheme
        raise ConfigError(
            f"WATCHKEEPER_DATABASE_URL must be a postgres:// or sqlite:// URL, not {scheme}://"
        ) from exc
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
    elif pooled:
        # Behind PgBouncer in transaction mode a client's statements may run on a different server
        # connection in each transaction: no cursors that outlive a transaction, and no statements
        # psycopg prepares on one server connection and runs on another (docs/operations.md).
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        config["OPTIONS"] = {**config.get("OPTIONS", {}), "prepare_threshold": None}
    return config


def smtp() -> dict[str, Any]:
    """`WATCHKEEPER_SMTP_URL` (`smtp://user:pass@host:587?starttls=1` or smtps://) as EMAIL_*
    settings (read by watchkeeper.mail.selectors, which gives them precedence over the
    console's); none when it is unset."""
    url = _raw("WATCHKEEPER_SMTP_URL")
    if url is None:
        return {}
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps"}:
        raise ConfigError(f"WATCHKEEPER_SMTP_URL must start with smtp:// or smtps://, not {parsed.scheme}://")
    try:
        port = parsed.port
    except ValueError:
        raise ConfigError("WATCHKEEPER_SMTP_URL has a port that is not a number from 1 to 65535") from None
    starttls = parse_qs(parsed.query).get("starttls", ["0"])[0].strip().lower()
    if starttls not in TRUE + FALSE:
        raise ConfigError(f"WATCHKEEPER_SMTP_URL's starttls must be one of {_FLAG_VALUES}, not {starttls!r}")
    return {
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": starttls in TRUE,
        "EMAIL_TIMEOUT": 20,
    }
