"""Inbound e-mail: a message becomes an inbox payload at the SMTP side and, in the engine, one
alert event shaped by the integration's rules (`integration.config["email"]`).

Rules (every regex is RE2, searched case-insensitively; `(?-i:…)` turns that off):
  resolve_subject_regex  subject match → resolve instead of trigger (default DEFAULT_RESOLVE;
                         null: never resolve by subject)
  dedup_key_regex        searched in the subject, then the body; its group "key", else its
                         first group, else the whole match is the dedup key. Default (or no
                         match): the subject without reply prefixes and state words, so the
                         PROBLEM and RESOLVED mails of one check share a key
  severity               default "error"
  severity_regex         {"critical": "regex", "warning": "regex", …}: the first severity
                         (most severe first) whose regex matches subject or body wins
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from watchkeeper.alerts.events import SEVERITIES, AlertEvent, EventError
from watchkeeper.core.saferegex import Pattern, RegexError, regex_compile, regex_problem

DEFAULT_RESOLVE = r"\b(RESOLVED|OK|UP|RECOVERY)\b"
BODY_LIMIT = 16 * 1024  # characters of body text kept; the rest is cut
HEADER_LIMIT = 998  # RFC 5322's line limit: no honest subject is longer
REGEX_LIMIT = 500
# User regexes run on RE2 (linear time); a bounded text also bounds each search's cost.
SEARCH_LIMIT = 4 * 1024
RULE_KEYS = ("resolve_subject_regex", "dedup_key_regex", "severity", "severity_regex")

# Words that say what state a check is in, not which check it is: removed from the subject to
# form the default dedup key ("** PROBLEM Service Alert: web01/HTTP is CRITICAL **" and
# "** RECOVERY Service Alert: web01/HTTP is OK **" then agree).
_STATE_WORDS = re.compile(
    r"\b(problem|resolved|recovery|recovered|ok|up|down|critical|warning|unknown|firing|cleared)\b",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Zabbix: "Resolved in 5m 12s: High CPU on web01".
_DURATION = re.compile(r"\bin\s+(\d+[dhms]\s*)+", re.IGNORECASE)


# --- the SMTP side: message bytes → inbox payload ---------------------------------------------


class _TextOnly(HTMLParser):
    """Collects the visible text of an HTML body (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head"}:
            self._skip += 1
        elif tag in {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "table"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _part_text(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError):
        # An unknown or lying charset: keep what can be read rather than lose the alert.
        raw = part.get_payload(decode=True)
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw or "")
    return text if isinstance(text, str) else ""


def message_body(message: EmailMessage) -> str:
    """The text/plain body, else the text of the text/html body, cut to BODY_LIMIT."""
    part = message.get_body(preferencelist=("plain", "html"))
    if not isinstance(part, EmailMessage):
        return ""
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.strip()[:BODY_LIMIT]


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = str(message.get(name) or "")
    except Exception:  # the stdlib's header parser still raises on some malformed input
        value = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
    return " ".join(value.split())[:HEADER_LIMIT]


def email_payload(raw: bytes, *, to: str) -> dict[str, str]:
    """The inbox payload of one received message for recipient `to` (never raises)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        body = message_body(message)
    except Exception:  # a broken MIME structure must not cost the alert; the subject still counts
        body = ""
    return {
        "subject": _header(message, "Subject"),
        "from": _header(message, "From"),
        "to": to,
        "message_id": _header(message, "Message-ID"),
        "date": _header(message, "Date"),
        "body": body,
    }


# --- configuration ----------------------------------------------------------------------------


def email_config_validate(config: Any) -> list[str]:
    """Problems with an integration's `config["email"]` rules, each saying what to fix."""
    if not isinstance(config, dict):
        return ["The integration's configuration must be a JSON object."]
    rules = config.get("email", {})
    if not isinstance(rules, dict):
        return ['"email" must be an object of rules (resolve_subject_regex, dedup_key_regex, …).']
    errors = [
        f'Unknown e-mail rule "{key}"; known: {", ".join(RULE_KEYS)}.'
        for key in rules
        if key not in RULE_KEYS
    ]
    # resolve_subject_regex: null turns resolving by subject off.
    if rules.get("resolve_subject_regex") is not None:
        errors += _regex_problems(rules["resolve_subject_regex"], "resolve_subject_regex")
    if "dedup_key_regex" in rules:
        errors += _regex_problems(rules["dedup_key_regex"], "dedup_key_regex")
    severity = rules.get("severity", "error")
    if severity not in SEVERITIES:
        errors.append(f'"severity" must be one of {", ".join(SEVERITIES)}, not "{severity}".')
    severity_regex = rules.get("severity_regex", {})
    if not isinstance(severity_regex, dict):
        errors.append('"severity_regex" must map a severity to a regex, e.g. {"critical": "DOWN"}.')
        severity_regex = {}
    for name, pattern in severity_regex.items():
        if name not in SEVERITIES:
            errors.append(f'"severity_regex" has unknown severity "{name}"; use {", ".join(SEVERITIES)}.')
        errors += _regex_problems(pattern, f"severity_regex.{name}")
    return errors


def _regex_problems(pattern: Any, name: str) -> list[str]:
    if not isinstance(pattern, str) or not pattern:
        return [f'"{name}" must be a non-empty regular expression.']
    if len(pattern) > REGEX_LIMIT:
        return [f'"{name}" is longer than {REGEX_LIMIT} characters.']
    problem = regex_problem(pattern, ignore_case=True)
    return [f'"{name}" cannot be used: {problem}.'] if problem else []


def _compiled(pattern: Any) -> Pattern | None:
    """A configured regex, or None when it is missing or invalid (the validator reports those)."""
    if not isinstance(pattern, str) or not pattern or len(pattern) > REGEX_LIMIT:
        return None
    try:
        return regex_compile(pattern, ignore_case=True)
    except RegexError:
        return None


# --- the engine side: inbox payload → alert event ---------------------------------------------


def subject_normalise(subject: str, resolve: Pattern | None = None) -> str:
    """The subject reduced to what names the check: lower case, without reply prefixes, the
    resolve regex's matches, state words, durations and decoration."""
    text = _REPLY_PREFIX.sub(" ", subject)
    if resolve is not None:
        text = resolve.sub(" ", text)
    text = _STATE_WORDS.sub(" ", _DURATION.sub(" ", text))
    text = re.sub(r"[^\w./@-]+", " ", text)
    return " ".join(text.lower().split()).strip(" .-")


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    return value if isinstance(value, str) else ""


def _dedup_key(payload: dict[str, Any], rules: dict[str, Any], resolve: Pattern | None) -> str:
    subject, body = _text(payload, "subject"), _text(payload, "body")[:SEARCH_LIMIT]
    custom = _compiled(rules.get("dedup_key_regex"))
    if custom is not None:
        for text in (subject, body):
            match = custom.search(text)
            if match is None:
                continue
            named = match.groupdict().get("key")
            key = named if named is not None else (match.group(1) if custom.groups else match.group(0))
            if key and key.strip():
                return key.strip()[:255]
    normal = subject_normalise(subject, resolve)
    if normal:
        return normal[:255]
    # No subject to go by: each such message is its own alert.
    seed = _text(payload, "message_id") or f"{_text(payload, 'from')}\n{_text(payload, 'date')}\n{body}"
    return "message-" + hashlib.sha256(seed.encode("utf-8", errors="replace")).hexdigest()[:32]


def _severity(payload: dict[str, Any], rules: dict[str, Any]) -> str:
    mapping = rules.get("severity_regex")
    if isinstance(mapping, dict):
        texts = (_text(payload, "subject"), _text(payload, "body")[:SEARCH_LIMIT])
        for severity in SEVERITIES:  # most severe first
            pattern = _compiled(mapping.get(severity))
            if pattern is not None and any(pattern.search(text) for text in texts):
                return severity
    default = rules.get("severity", "error")
    return default if default in SEVERITIES else "error"


def _date(value: str) -> dt.datetime | None:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def email_rules(config: Any) -> dict[str, Any]:
    rules = config.get("email") if isinstance(config, dict) else None
    return rules if isinstance(rules, dict) else {}


def parse_email(payload: Any, *, config: Any) -> AlertEvent:
    """One message's alert event under the integration's rules. Invalid configured regexes
    fall back to the defaults (`email_config_validate` reports them), so this never fails on
    a payload that `email_payload` made."""
    if not isinstance(payload, dict):
        raise EventError(["the e-mail payload must be an object"])
    rules = email_rules(config)
    resolve_rule = rules.get("resolve_subject_regex", DEFAULT_RESOLVE)
    resolve = None if resolve_rule is None else (_compiled(resolve_rule) or _compiled(DEFAULT_RESOLVE))
    subject, sender = _text(payload, "subject"), _text(payload, "from")
    is_resolve = resolve is not None and resolve.search(subject) is not None
    return AlertEvent(
        action="resolve" if is_resolve else "trigger",
        dedup_key=_dedup_key(payload, rules, resolve),
        summary=subject[:1024] or f"E-mail without a subject from {sender or 'an unknown sender'}"[:1024],
        source=sender[:255],
        severity=_severity(payload, rules),
        details={name: _text(payload, name) for name in ("from", "to", "date", "message_id", "body")},
        occurred_at=_date(_text(payload, "date")),
        raw=payload,
    )
