"""Running one check: the kinds, their settings, and turning what a check saw into up or down.

Checks are coroutines on plain values (`CheckSpec`): they never touch the database, so the
monitor process runs thousands of them on one event loop and writes results in batches.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from watchkeeper.core.saferegex import RegexError, regex_compile
from watchkeeper.monitoring.checks import dnscheck, http, sockets
from watchkeeper.monitoring.checks.base import CheckFailed, CheckResult, CheckSpec, Observe
from watchkeeper.monitoring.conditions import conditions_failed
from watchkeeper.monitoring.network import Refused

__all__ = ["CheckFailed", "CheckResult", "CheckSpec", "check_run", "default_conditions"]

OBSERVERS: dict[str, Observe] = {
    "http": http.observe, "tcp": sockets.observe_tcp, "tls": sockets.observe_tls,
    "smtp": sockets.observe_smtp, "ping": sockets.observe_ping, "dns": dnscheck.observe,
}  # fmt: skip


def default_conditions(spec: CheckSpec) -> list[str]:
    """What "up" means when the monitor says nothing more (and its settings' shorthands)."""
    settings = spec.settings
    conditions: list[str] = []
    if spec.kind == "http":
        expected = settings.get("expected_status")
        conditions.append(f"[STATUS] == {expected}" if expected else "[STATUS] < 400")
    elif spec.kind == "dns":
        conditions.append("[DNS_RCODE] == NOERROR")
    else:
        conditions.append("[CONNECTED] == true")
    if settings.get("max_response_ms"):
        conditions.append(f"[RESPONSE_TIME] < {int(settings['max_response_ms'])}")
    return conditions


def _content_problem(spec: CheckSpec, values: dict[str, Any]) -> str:
    """Keyword and regex shorthands of HTTP and SMTP monitors, on the body already read."""
    body = values.get("BODY")
    if not isinstance(body, str):
        return ""
    keyword = spec.settings.get("keyword")
    if keyword:
        present = keyword in body
        if spec.settings.get("keyword_absent") and present:
            return f"the response contains '{keyword}'"
        if not spec.settings.get("keyword_absent") and not present:
            return f"the response does not contain '{keyword}'"
    pattern = spec.settings.get("regex")
    if pattern:
        try:  # RE2: linear time in the body's length, whatever the pattern (core.saferegex)
            if regex_compile(pattern).search(body) is None:
                return f"the response does not match /{pattern}/"
        except RegexError as exc:
            return str(exc)
    return ""


async def check_run(spec: CheckSpec) -> CheckResult:
    """Run one check within its timeout and judge it; never raises for what the target did."""
    started = time.perf_counter()
    observe = OBSERVERS.get(spec.kind)
    if observe is None:
        return CheckResult(False, None, f"unknown kind of monitor '{spec.kind}'")
    try:
        values = await asyncio.wait_for(observe(spec), timeout=spec.timeout)
    except TimeoutError:
        return CheckResult(False, None, f"timed out after {spec.timeout:g} s")
    except (CheckFailed, Refused) as exc:
        return CheckResult(False, _ms(started), str(exc))
    except (OSError, ValueError, EOFError, UnicodeError) as exc:
        return CheckResult(False, _ms(started), _os_message(exc))
    elapsed = values.setdefault("RESPONSE_TIME", _ms(started))
    failed = conditions_failed([*default_conditions(spec), *spec.conditions], kind=spec.kind, values=values)
    problem = _content_problem(spec, values)
    values.pop("_json", None)
    if failed or problem:
        said = "; ".join([*(f"condition {c} failed" for c in failed), *([problem] if problem else [])])
        return CheckResult(False, elapsed, _with_actual(said, values), values)
    return CheckResult(True, elapsed, _summary(spec, values), values)


def _ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


def _os_message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return text[:400]


def _with_actual(said: str, values: dict[str, Any]) -> str:
    seen = [f"{k.lower().replace('_', ' ')} {values[k]}" for k in ("STATUS", "DNS_RCODE") if k in values]
    if "CERTIFICATE_EXPIRATION" in values:
        hours = int(values["CERTIFICATE_EXPIRATION"]) // 3_600_000
        seen.append(f"certificate expires in {hours} h")
    return f"{said} ({', '.join(seen)})"[:500] if seen else said[:500]


def _summary(spec: CheckSpec, values: dict[str, Any]) -> str:
    if "STATUS" in values:
        return f"status {values['STATUS']} in {values['RESPONSE_TIME']} ms"
    if "DNS_RCODE" in values:
        return f"{values['DNS_RCODE']}: {str(values.get('BODY') or 'no answer')[:200]}"
    return f"reachable in {values['RESPONSE_TIME']} ms"
