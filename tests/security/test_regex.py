"""Issue 12.4: one client's regex cannot stall the engine for the others (RE2, linear time)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.security.conftest import CYCLE_BUDGET, one_batch, trigger
from watchkeeper.alerts.models import Alert
from watchkeeper.alerts.rules import cache_clear
from watchkeeper.alerts.services.rules import event_rule_create
from watchkeeper.alerts.sources.email.parse import parse_email
from watchkeeper.core import saferegex
from watchkeeper.core.saferegex import RegexError, regex_compile, regex_problem

# Python's re needs about 2^n steps for this pattern on n "a"s and a "b": 28 took 8.3 s.
CATASTROPHIC = r"^(a+)+$"
EVIL_TEXT = "a" * 30 + "b"


@pytest.fixture(autouse=True)
def _fresh_rules() -> None:
    cache_clear()


@pytest.mark.django_db
def test_a_catastrophic_rule_of_client_a_does_not_delay_client_b(world: Any) -> None:
    event_rule_create(
        actor=world.owner, client=world.a.client, name="Greedy",
        conditions=[{"field": "summary", "op": "regex", "value": CATASTROPHIC}], actions={"suppress": True},
    )  # fmt: skip
    took = one_batch(
        (world.a.integration, trigger(world.a.integration, "a/1", EVIL_TEXT)),
        (world.b.integration, trigger(world.b.integration, "b/1", "Disk full on db01")),
    )
    assert took < CYCLE_BUDGET
    assert Alert.objects.filter(client=world.b.client, dedup_key="b/1").exists()
    assert not Alert.objects.get(client=world.a.client, dedup_key="a/1").suppressed  # no match, no stall


def test_an_email_rule_is_searched_in_linear_time() -> None:
    config = {
        "email": {"dedup_key_regex": r"(?P<key>(x+x+)+y)", "severity_regex": {"critical": CATASTROPHIC}}
    }
    payload = {"subject": EVIL_TEXT, "body": "x" * 4000, "from": "nas@example.com"}
    started = time.perf_counter()
    event = parse_email(payload, config=config)
    assert time.perf_counter() - started < CYCLE_BUDGET
    assert event.severity == "error"  # the default: nothing matched


def test_linear_time_on_long_text() -> None:
    pattern = regex_compile(r"(\w+\s?)*$", ignore_case=True)
    started = time.perf_counter()
    for _ in range(20):
        pattern.search("word " * 2000 + "!")
    assert time.perf_counter() - started < CYCLE_BUDGET


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "named backreference"),
        (r"foo(?=bar)", "lookahead"),
        (r"foo(?!bar)", "negative lookahead"),
        (r"(?<=foo)bar", "lookbehind"),
        (r"(?<!foo)bar", "negative lookbehind"),
        (r"(?>a+)b", "atomic group"),
        (r"a++", "possessive quantifier"),
        (r"(a)?(?(1)b|c)", "conditional"),
        (r"a{2000}", "repeat count above 1000"),
        (r"end\Z", r"use \z"),
        (r"(unclosed", "not a valid regular expression"),
    ],
)
def test_unsupported_constructs_are_named(pattern: str, named: str) -> None:
    problem = regex_problem(pattern)
    assert problem is not None and named in problem
    with pytest.raises(RegexError):
        regex_compile(pattern)


def test_case_and_groups_work_as_before() -> None:
    pattern = regex_compile(r"(?P<key>host\d+) (?-i:DOWN)", ignore_case=True)
    match = pattern.search("HOST12 DOWN")
    assert match is not None and match.groupdict() == {"key": "HOST12"} and pattern.groups == 1
    assert pattern.search("HOST12 down") is None  # (?-i:…) turns case-insensitivity off


def test_the_compiled_pattern_cache_is_bounded() -> None:
    saferegex.regex_cache_clear()
    for n in range(saferegex._CACHE_SIZE + 50):
        regex_compile(f"pattern{n}")
    assert saferegex._compile.cache_info().currsize == saferegex._CACHE_SIZE
    with pytest.raises(RegexError, match="longer than"):
        regex_compile("a" * (saferegex.MAX_PATTERN_LENGTH + 1))


@pytest.mark.django_db
def test_refused_at_save_through_the_api_with_the_construct_named(world: Any, api_as: Any) -> None:
    api = api_as(world.a.technician)
    condition = {"field": "summary", "op": "regex", "value": r"disk(?!\s+ok)"}
    response = api.post(
        "/api/v1/event-rules",
        {
            "client": world.a.client.slug,
            "name": "x",
            "conditions": [condition],
            "actions": {"suppress": True},
        },
    )
    assert response.status_code == 400
    assert "negative lookahead (?!…) is not supported" in response.json()["detail"]


@pytest.mark.django_db
def test_email_rules_are_refused_at_save_through_the_api(world: Any, api_as: Any) -> None:
    api = api_as(world.owner)
    config = {"email": {"dedup_key_regex": r"(\w+)-\1"}}
    response = api.post(
        "/api/v1/integrations",
        {"client": world.a.client.slug, "type": "email", "name": "Mail", "config": config},
    )
    assert response.status_code == 400
    assert "backreference" in response.json()["detail"]
