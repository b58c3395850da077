"""The recurrence of a maintenance window: parsed, checked and evaluated within a budget.

A window repeats at most once a day, at its start's local time. The grammar is the part of
RFC 5545 a maintenance window needs (DAILY, WEEKLY, MONTHLY, YEARLY with INTERVAL, COUNT,
UNTIL, WKST, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS); everything else is refused by name when the
window is saved, because each evaluation runs in the engine for every event of the client:
`FREQ=HOURLY;BYSECOND=0,…,59` would make thousands of occurrences a day, and a rule that can
never occur again makes dateutil search to the year 9999 (seconds per event).

Each evaluation starts from a recent anchor (a whole number of intervals after the window's
start, so the rule's phase is kept) instead of the window's first start, and no rule object
or occurrence is memoised: the cost of one evaluation does not grow with the window's age.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rruleset, rrulestr

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_PARTS = {
    "DAILY": {"BYDAY"},
    "WEEKLY": {"BYDAY", "WKST"},
    "MONTHLY": {"BYDAY", "BYMONTHDAY", "BYSETPOS", "WKST"},
    "YEARLY": {"BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"},
}
_COMMON = {"FREQ", "INTERVAL", "COUNT", "UNTIL"}
MAX_INTERVAL = 366
MAX_COUNT = 1000
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_INTEGER = re.compile(r"^[+-]?\d{1,4}$")
_UNTIL_UTC = re.compile(r"^(\d{8}T\d{6})Z$")
_SUB_DAILY = "A maintenance window repeats at most daily: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY."


@dataclass(frozen=True)
class Recurrence:
    """A checked rule: its parts (upper case, in the order given) and its EXDATE lines."""

    freq: str
    parts: dict[str, str] = field(hash=False)
    exdates: tuple[str, ...] = ()

    @property
    def interval(self) -> int:
        return int(self.parts.get("INTERVAL", "1"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def _rule_parts(line: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for pair in line.upper().split(";"):
        name, sep, value = pair.strip().partition("=")
        if not sep or not name or not value:
            raise ValueError(f"The recurrence part '{pair}' is not NAME=VALUE.")
        if name in parts:
            raise ValueError(f"The recurrence names {name} twice.")
        parts[name] = value
    return parts


def recurrence_parse(text: str) -> Recurrence:
    """The recurrence's rule and exclusions; ValueError says what is not allowed and why."""
    rules: list[str] = []
    exdates: list[str] = []
    for line in _lines(text):
        upper = line.upper()
        if upper.startswith(("DTSTART", "RDATE")):
            raise ValueError("The recurrence takes its start from the window's start; remove DTSTART/RDATE.")
        if upper.startswith(("EXDATE:", "EXDATE;")):
            exdates.append(line)
        elif upper.startswith("RRULE:"):
            rules.append(line[len("RRULE:") :])
        elif upper.startswith("FREQ="):
            rules.append(line)
        else:
            raise ValueError(f"Unknown recurrence line '{line[:40]}' (use RRULE and EXDATE lines).")
    if not rules:
        raise ValueError("The recurrence needs an RRULE, e.g. FREQ=WEEKLY;BYDAY=SU.")
    if len(rules) > 1:
        raise ValueError("A maintenance window has one RRULE (add EXDATE lines to skip dates).")
    parts = _rule_parts(rules[0])
    freq = parts.get("FREQ", "")
    if freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        raise ValueError(_SUB_DAILY)
    if freq not in FREQUENCIES:
        raise ValueError(f"FREQ={freq} is not a valid RFC 5545 rule frequency; use {', '.join(FREQUENCIES)}.")
    _check_names(freq, parts)
    _check_numbers(parts)
    return Recurrence(freq, parts, tuple(exdates))


def _check_names(freq: str, parts: dict[str, str]) -> None:
    for name in parts:
        if name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise ValueError(
                f"{name} is not allowed: a window repeats at most once a day, at its start's local "
                "time (set the time with the window's start)."
            )
        if name not in _COMMON | _PARTS[freq]:
            allowed = ", ".join(sorted(_COMMON - {"FREQ"} | _PARTS[freq]))
            raise ValueError(f"{name} is not allowed with FREQ={freq} (use {allowed}).")


def _numbers(parts: dict[str, str], name: str, low: int, high: int) -> list[int]:
    values = parts.get(name, "")
    if not values:
        return []
    result = []
    for value in values.split(","):
        if not _INTEGER.match(value) or not low <= abs(int(value)) <= high:
            raise ValueError(
                f"{name} values must be whole numbers from {low} to {high} (or -{high} to -{low})."
            )
        result.append(int(value))
    return result


def _check_numbers(parts: dict[str, str]) -> None:
    for name, high in (("INTERVAL", MAX_INTERVAL), ("COUNT", MAX_COUNT)):
        if name in parts and (not parts[name].isdigit() or not 1 <= int(parts[name]) <= high):
            raise ValueError(f"{name} must be a whole number from 1 to {high}.")
    _numbers(parts, "BYMONTHDAY", 1, 31)
    if any(value < 0 for value in _numbers(parts, "BYMONTH", 1, 12)):
        raise ValueError("BYMONTH values must be month numbers from 1 to 12.")
    for day in filter(None, parts.get("BYDAY", "").split(",")):
        match = _BYDAY.match(day)
        if match is None:
            raise ValueError(f"BYDAY value '{day}' is not a weekday such as MO or 1SA.")
        if match.group(1) and (
            parts["FREQ"] in ("DAILY", "WEEKLY") or not 1 <= abs(int(match.group(1))) <= 5
        ):
            raise ValueError(
                f"BYDAY '{day}': a numbered weekday (1SA, -1SU) is 1 to 5 in a MONTHLY or YEARLY rule."
            )
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise ValueError("WKST must be a weekday such as MO.")
    if "UNTIL" in parts and "COUNT" in parts:
        raise ValueError("Use UNTIL or COUNT, not both.")


def recurrence_check(rule: Recurrence, local_start: dt.datetime) -> None:
    """Refuse a rule that could never occur again: dateutil would search to the year 9999 for
    its next occurrence at every evaluation. With the checks below, some occurrence is at most
    a few hundred periods away."""
    days = [d for d in rule.parts.get("BYDAY", "").split(",") if d]
    monthdays = _numbers(rule.parts, "BYMONTHDAY", 1, 31)
    if (
        rule.freq == "DAILY"
        and days
        and rule.interval % 7 == 0
        and _WEEKDAYS[local_start.weekday()] not in days
    ):
        raise ValueError(
            "Every whole number of weeks from the start never falls on BYDAY: the window would never repeat."
        )
    if monthdays:
        months = [int(m) for m in rule.parts.get("BYMONTH", "").split(",") if m]
        if rule.freq == "MONTHLY":
            longest = calendar.monthrange(local_start.year, local_start.month)[1]
        else:
            longest = max(calendar.monthrange(2028, m)[1] for m in months or range(1, 13))
        if all(abs(day) > longest for day in monthdays):
            raise ValueError(
                "No BYMONTHDAY falls in the months the rule visits: the window would never repeat."
            )
    if "BYSETPOS" in rule.parts:
        if monthdays or not days or any(re.match(r"^[+-]?\d", day) for day in days):
            raise ValueError(
                "BYSETPOS needs BYDAY weekdays without numbers (e.g. BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1)."
            )
        _numbers(rule.parts, "BYSETPOS", 1, 4 * len(days))


def _rule_text(rule: Recurrence, local_start: dt.datetime) -> str:
    """The RRULE as dateutil reads it: what was checked, a UTC UNTIL on the local wall clock
    (filled in by the caller), and the defaults that dateutil takes from the start made
    explicit, so that moving the start to an anchor keeps the same days."""
    parts = dict(rule.parts)
    if not {"BYDAY", "BYMONTHDAY"} & set(parts):
        if rule.freq == "WEEKLY":
            parts["BYDAY"] = _WEEKDAYS[local_start.weekday()]
        elif rule.freq == "MONTHLY":
            parts["BYMONTHDAY"] = str(local_start.day)
        elif rule.freq == "YEARLY":
            parts.setdefault("BYMONTH", str(local_start.month))
            parts["BYMONTHDAY"] = str(local_start.day)
    return "RRULE:" + ";".join(f"{name}={value}" for name, value in parts.items())


def _anchor(rule: Recurrence, local_start: dt.datetime, near: dt.datetime) -> dt.datetime:
    """The latest start a whole number of intervals after `local_start`, at least one interval
    before `near`: the rule's occurrences from there on are the same as from the first start."""
    if "COUNT" in rule.parts or near <= local_start:
        return local_start  # COUNT counts from the first start; it is at most MAX_COUNT anyway
    n = rule.interval
    if rule.freq in ("DAILY", "WEEKLY"):
        unit = 1 if rule.freq == "DAILY" else 7
        periods = (near.date() - local_start.date()).days // (unit * n) - 1
        return local_start + dt.timedelta(days=max(periods, 0) * unit * n)
    months = (near.year - local_start.year) * 12 + near.month - local_start.month
    step = n if rule.freq == "MONTHLY" else 12 * n
    periods = months // step - 1
    return local_start + relativedelta(months=max(periods, 0) * step)


def recurrence_rules(
    rule: Recurrence, local_start: dt.datetime, near: dt.datetime, until: str | None = None
) -> rruleset:
    """The rule set from an anchor before `near` (naive local times; `until`: UNTIL on the
    local wall clock, replacing a UTC one)."""
    text = _rule_text(rule, local_start)
    if until is not None:
        text = re.sub(r"UNTIL=[0-9TZ]+", f"UNTIL={until}", text)
    lines = "\n".join((text, *rule.exdates))
    return rrulestr(lines, dtstart=_anchor(rule, local_start, near), forceset=True, cache=False)


def until_utc(rule: Recurrence) -> dt.datetime | None:
    """A UNTIL given in UTC (…Z), which the caller turns into the window's wall clock."""
    match = _UNTIL_UTC.match(rule.parts.get("UNTIL", ""))
    if match is None:
        return None
    return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
