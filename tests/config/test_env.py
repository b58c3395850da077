"""Configuration that refuses nonsense: each reader of `watchkeeper.config.env` accepts what the
documentation promises and stops anything else with the variable's name and the accepted values;
every variable is read once in the code and listed once, with its default, in the docs."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.config import env

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "watchkeeper"
DOCS = ROOT / "docs" / "configuration.md"
READERS = {"text", "flag", "integer", "decimal", "choice", "csv", "networks", "_raw"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("YES", True), (" On ", True), ("0", False), ("False", False),
     ("no", False), ("off", False), ("", True), ("  ", True)],
)  # fmt: skip
def test_a_flag_takes_the_documented_words(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("WATCHKEEPER_X", value)
    assert env.flag("WATCHKEEPER_X", default=True) is expected  # empty: the default


def test_unset_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHKEEPER_X", raising=False)
    assert env.flag("WATCHKEEPER_X") is False
    assert env.integer("WATCHKEEPER_X", 7) == 7
    assert env.integer("WATCHKEEPER_X", None, minimum=1) is None
    assert env.decimal("WATCHKEEPER_X", 0.5, minimum=0) == 0.5
    assert env.choice("WATCHKEEPER_X", "INFO", ["INFO", "DEBUG"]) == "INFO"
    assert env.csv("WATCHKEEPER_X", "a, b,,") == ["a", "b"]


def test_a_typo_in_a_flag_is_refused_with_the_accepted_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEPER_X", "maybe")
    with pytest.raises(env.ConfigError) as caught:
        env.flag("WATCHKEEPER_X")
    assert str(caught.value) == "WATCHKEEPER_X must be one of true/false/1/0/yes/no/on/off, not 'maybe'"


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (
            "80a",
            {"minimum": 1, "maximum": 65535},
            "WATCHKEEPER_X must be a whole number from 1 to 65535, not '80a'",
        ),
        ("70000", {"minimum": 1, "maximum": 65535}, "from 1 to 65535, not '70000'"),
        ("0", {"minimum": 1}, "WATCHKEEPER_X must be a whole number of at least 1, not '0'"),
        ("1.5", {}, "must be a whole number of at least 0, not '1.5'"),
        ("-1", {}, "of at least 0, not '-1'"),
    ],
)
def test_integers_are_whole_and_in_range(
    monkeypatch: pytest.MonkeyPatch, value: str, kwargs: dict[str, Any], message: str
) -> None:
    monkeypatch.setenv("WATCHKEEPER_X", value)
    with pytest.raises(env.ConfigError, match=re.escape(message)):
        env.integer("WATCHKEEPER_X", 1, **kwargs)


def test_integers_accept_surrounding_space(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEPER_X", " 8080 ")
    assert env.integer("WATCHKEEPER_X", 1, minimum=1, maximum=65535) == 8080


@pytest.mark.parametrize("value", ["fast", "nan", "inf", "-0.5", "0.001"])
def test_decimals_refuse_words_nan_infinity_and_small_values(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WATCHKEEPER_X", value)
    with pytest.raises(
        env.ConfigError, match=re.escape(f"WATCHKEEPER_X must be a number of at least 0.01, not {value!r}")
    ):
        env.decimal("WATCHKEEPER_X", 0.5, minimum=0.01)


def test_decimals_take_fractions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEPER_X", "0.25")
    assert env.decimal("WATCHKEEPER_X", 0.5, minimum=0.01) == 0.25


def test_a_choice_ignores_case_and_names_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEPER_X", "warning")
    assert env.choice("WATCHKEEPER_X", "INFO", ["INFO", "WARNING"]) == "WARNING"
    monkeypatch.setenv("WATCHKEEPER_X", "loud")
    with pytest.raises(
        env.ConfigError, match=re.escape("WATCHKEEPER_X must be one of INFO/WARNING, not 'loud'")
    ):
        env.choice("WATCHKEEPER_X", "INFO", ["INFO", "WARNING"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "must start with smtp:// or smtps://, not http://"),
        ("smtp://mail.example:25x", "a port that is not a number"),
        (
            "smtp://mail.example?starttls=maybe",
            "starttls must be one of true/false/1/0/yes/no/on/off, not 'maybe'",
        ),
    ],
)
def test_a_wrong_smtp_url_is_refused(monkeypatch: pytest.MonkeyPatch, url: str, message: str) -> None:
    monkeypatch.setenv("WATCHKEEPER_SMTP_URL", url)
    with pytest.raises(env.ConfigError, match=re.escape(message)):
        env.smtp()


def test_an_smtp_url_becomes_email_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEPER_SMTP_URL", "smtp://u%40x:p@mail.example:587?starttls=on")
    got = env.smtp()
    assert (got["EMAIL_HOST"], got["EMAIL_PORT"], got["EMAIL_HOST_USER"], got["EMAIL_USE_TLS"]) == (
        "mail.example",
        587,
        "u@x",
        True,
    )
    monkeypatch.setenv("WATCHKEEPER_SMTP_URL", "")
    assert env.smtp() == {}


def test_a_database_url_of_an_unknown_kind_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WATCHKEEPER_DATABASE_URL", "postgress://admin:hunter2@db/wk")
    with pytest.raises(env.ConfigError) as caught:
        env.database(tmp_path)
    assert "WATCHKEEPER_DATABASE_URL must be a postgres:// or sqlite:// URL, not postgress://" in str(
        caught.value
    )
    assert "hunter2" not in str(caught.value)


def test_a_pooled_database_gets_no_server_side_cursors_nor_prepared_statements(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WATCHKEEPER_DATABASE_URL", "postgres://wk@pgbouncer:6432/wk")
    direct = env.database(tmp_path)
    assert not direct.get("DISABLE_SERVER_SIDE_CURSORS")
    assert "prepare_threshold" not in direct.get("OPTIONS", {})
    pooled = env.database(tmp_path, pooled=True)
    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert pooled["OPTIONS"]["prepare_threshold"] is None


def test_an_engine_refuses_a_pooled_connection(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        ["engine"],
        WATCHKEEPER_DATABASE_URL="postgres://wk@127.0.0.1:1/wk",
        WATCHKEEPER_DATABASE_POOLED="1",
    )
    assert result.returncode == 1
    assert "the engine needs a direct connection to PostgreSQL" in result.stderr


# --- the command line: one line, exit status 2, no traceback ------------------------------------


def _run(tmp_path: Path, argv: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    environment.update(WATCHKEEPER_DATA_DIR=str(tmp_path / "data"), **variables)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "watchkeeper", *argv], env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        # Read by the settings (at django.setup) …
        (
            "WATCHKEEPER_HTTPS",
            "maybe",
            "WATCHKEEPER_HTTPS must be one of true/false/1/0/yes/no/on/off, not 'maybe'",
        ),
        (
            "WATCHKEEPER_ENGINE_INTERVAL",
            "fast",
            "WATCHKEEPER_ENGINE_INTERVAL must be a number of at least 0.01, not 'fast'",
        ),
        # … and by the command line's own defaults.
        ("WATCHKEEPER_PORT", "80a", "WATCHKEEPER_PORT must be a whole number from 1 to 65535, not '80a'"),
        (
            "WATCHKEEPER_WEB_THREADS",
            "many",
            "WATCHKEEPER_WEB_THREADS must be a whole number of at least 1, not 'many'",
        ),
    ],
)
def test_serve_stops_with_one_line_and_status_2(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = _run(tmp_path, ["serve"], **{variable: value})
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {message}"
    assert result.stdout == ""


# --- one reading, one documented default ------------------------------------------------------


def _reads() -> list[tuple[str, Any, str]]:
    """(variable, default or None, file) for every read of a WATCHKEEPER_* variable in src."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and str(first.value).startswith("WATCHKEEPER_")):
                continue
            is_environ_get = name == "get" and "environ" in ast.unparse(node.func)
            if name not in READERS and not is_environ_get:
                continue
            assert path.name == "env.py" or name in READERS, (
                f"{path}: {ast.unparse(node)} bypasses config.env"
            )
            default = ast.literal_eval(node.args[1]) if len(node.args) > 1 and name != "_raw" else None
            found.append((first.value, default, path.name))
    return found


def _documented() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"\| `(WATCHKEEPER_[A-Z_]+)` \| ([^|]*) \|", line)
        if match:
            rows.setdefault(match[1], []).append(match[2])
    return rows


def test_only_config_env_touches_the_environment_for_watchkeeper_variables() -> None:
    bypass = re.compile(r"(environ\.get\(|environ\[|getenv\()\s*[\"']WATCHKEEPER_")
    offenders = [p.name for p in SRC.rglob("*.py") if p.name != "env.py" and bypass.search(p.read_text())]
    assert offenders == []


def test_each_variable_is_read_once_and_documented_once_with_its_default() -> None:
    reads, rows = _reads(), _documented()
    names = [name for name, _, _ in reads]
    assert len(names) > 25
    assert sorted(n for n in set(names) if names.count(n) > 1) == [], "each variable is read in one place"
    assert sorted(set(names)) == sorted(rows), "docs/configuration.md lists exactly the variables read"
    assert [n for n, cells in rows.items() if len(cells) > 1] == [], "each listed once"
    for name, default, _ in reads:
        cell = rows[name][0]
        if isinstance(default, bool):
            assert cell == ("on" if default else "off"), name
        elif default not in (None, ""):
            assert cell.startswith(f"`{default}`"), f"{name}: docs say {cell!r}, the code {default!r}"
