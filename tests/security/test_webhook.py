"""Issue 12.6: one client's webhook template cannot cost the others: sizes are bounded before
they are built, loops are counted, and each event's renders share a CPU budget."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import pytest
from django.test import Client as HttpClient

from tests.alerts.factories import IntegrationFactory
from tests.security.conftest import CYCLE_BUDGET
from watchkeeper.alerts.models import InboxEvent
from watchkeeper.alerts.ratelimit import limiter
from watchkeeper.alerts.services.processing import inbox_process
from watchkeeper.core.sandbox import Budget, BudgetExceeded, sandbox_compile, sandbox_render

HTTP = HttpClient()
MANY_BIG = "[" + ", ".join(["big"] * 18) + "]"
# Fine on an empty body (so it is saved), over budget on a body with a list of 100 items.
NESTED_LOOPS = (
    "{% for a in items %}{% for b in items %}{% for c in items %}{% endfor %}{% endfor %}{% endfor %}"
)


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    limiter.reset()


def _post(integration: Any, body: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    response = HTTP.post(f"/integrations/webhook/{integration.key}", body, content_type="application/json")
    return response, time.perf_counter() - started


@pytest.mark.django_db
def test_client_a_hostile_templates_answer_400_quickly_and_client_b_is_served(
    world: Any, api_as: Any
) -> None:
    templates = {"title": NESTED_LOOPS + "{{ title }}", "source": '{{ "x".ljust(width or 1) }}'}
    a = IntegrationFactory(type="webhook", default_service=world.a.service)
    saved = api_as(world.owner).patch(f"/api/v1/integrations/{a.pk}", {"config": {"templates": templates}})
    assert saved.status_code == 200, saved.content
    b = IntegrationFactory(
        type="webhook", default_service=world.b.service, config={"templates": {"title": "{{ t }}"}}
    )

    loops, took = _post(a, {"items": list(range(100)), "title": "x"})
    assert loops.status_code == 400 and took < CYCLE_BUDGET
    assert (
        "template 'title' is over its budget: the template's loops ran more than 10,000 times"
        in loops.json()["errors"]
    )
    tracemalloc.start()
    wide, took = _post(a, {"width": 1_000_000_000})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert wide.status_code == 400 and took < CYCLE_BUDGET and peak < 50 * 1024 * 1024
    assert "str.ljust() would be larger than 1024 KB" in wide.json()["errors"][0]

    fine, _ = _post(a, {"items": [1, 2], "title": "Disk full"})
    served, took = _post(b, {"t": "Printer jammed"})
    assert fine.status_code == served.status_code == 202 and took < CYCLE_BUDGET
    assert inbox_process() == 2  # A's ordinary event and B's, in one batch
    assert set(InboxEvent.objects.values_list("status", flat=True)) == {"done"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ('{{ "x".ljust(1000000000) }}', "str.ljust() would be larger than 1024 KB"),
        (
            "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
            "loops ran more than",
        ),
        ('{{ "%1000000000s" % "x" }}', "% formatting would be larger"),
    ],
)
def test_refused_at_save_through_the_api(world: Any, api_as: Any, template: str, reason: str) -> None:
    a = IntegrationFactory(type="webhook", default_service=world.a.service)
    response = api_as(world.owner).patch(
        f"/api/v1/integrations/{a.pk}", {"config": {"templates": {"title": template}}}
    )
    assert response.status_code == 400
    assert (
        "template 'title' is over its budget" in response.json()["detail"]
        and reason in response.json()["detail"]
    )


BIG = "x" * 60_000
HOSTILE = [
    ('{{ "x".ljust(1000000000) }}', "str.ljust()"),
    ('{{ "x".rjust(10**9) }}', "str.rjust()"),
    ('{{ "x".center(10**9) }}', "str.center()"),
    ('{{ "1".zfill(10**9) }}', "str.zfill()"),
    ('{{ "a\tb".expandtabs(100000000) }}', "str.expandtabs()"),
    ('{{ "{:>1000000000}".format(1) }}', "str.format()"),
    ('{{ "{:{w}}".format(1, w=5) }}', "nested format fields"),
    ('{{ "%1000000000s" % "x" }}', "% formatting"),
    ('{{ "%*s" % (5, "x") }}', "'*' widths"),
    ('{{ "x" * 1000000000 }}', "repeating a value"),
    ('{{ ["y" * 65000] * 65000 }}', "repeating a value"),
    ("{{ big * 20 }}", "repeating a value"),
    (
        "{{ " + " + ".join(["big"] * 18) + " }}",
        "adding",
    ),
    (
        "{% set b = big ~ big %}{% set c = b ~ b %}{% set d = c ~ c %}{% set e = d ~ d %}{{ e ~ e }}",
        "joining with ~",
    ),
    (
        "{{ [big, big, big, big, big, big, big, big, big, big, big, big, big, big, big, big, big, big] }}",
        "output is longer",
    ),
    (
        "{{ " + MANY_BIG + "|join }}",
        "join filter",
    ),
    ('{{ (big * 10).replace("x", "yy") }}', "str.replace()"),
    ('{{ (big * 10)|replace("x", "yy") }}', "replace filter"),
    ('{{ big.translate({120: "y" * 100}) }}', "str.translate()"),
    ('{{ "x"|center(1000000000) }}', "center filter"),
    ('{{ "x"|indent(1000000000) }}', "indent filter"),
    ('{{ big|wordwrap(1, true, "y" * 100) }}', "wordwrap filter"),
    ('{{ [1]|batch(100000000, "x")|list }}', "batch filter"),
    ('{{ [1]|slice(100000000, "x")|list }}', "slice filter"),
    ("{{ payload|tojson(indent=100000000) }}", "indent is limited"),
    ("{{ ([[1]] * 60000)|sum(start=[]) }}", "adds numbers only"),
    ("{{ range(100000)|list }}", "range() is limited"),
    ("{{ 2 ** 100000 }}", "exponents above 64"),
    ("{{ (10 ** 60) ** 60 }}", "4096 bits"),
    ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "loops ran more than"),
    (
        '{% set ns = namespace(s="xx") %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}',
        "joining",
    ),
]


@pytest.mark.parametrize(("template", "reason"), HOSTILE)
def test_each_hostile_construct_stops_early_and_says_why(template: str, reason: str) -> None:
    tracemalloc.start()
    started = time.thread_time()
    with pytest.raises(BudgetExceeded) as stopped:
        sandbox_render(sandbox_compile(template), {"big": BIG, "payload": {"blob": "x" * 1000}})
    took, peak = time.thread_time() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert reason in str(stopped.value)
    assert took < CYCLE_BUDGET * 4  # under tracemalloc, which slows Python several times
    assert peak < 20 * 1024 * 1024


def test_the_cpu_budget_stops_work_that_no_other_limit_catches() -> None:
    slow = "{% for i in range(1000) %}{{ payload|tojson|length }}{% endfor %}"
    payload = {"rows": [{"n": n, "text": "t" * 20} for n in range(5000)]}
    started = time.thread_time()
    with pytest.raises(BudgetExceeded, match="CPU time"):
        sandbox_render(sandbox_compile(slow), {"payload": payload})
    assert time.thread_time() - started < CYCLE_BUDGET


def test_ordinary_templates_render_as_before() -> None:
    template = (
        "{% for i in items recursive %}{{ i.n }}/{{ loop.length }}"
        "{% if i.kids %}[{{ loop(i.kids) }}]{% endif %}"
        "{% endfor %} {{ '{:>3}|{}'.format(1, 'b') }} {{ '%05d' % 42 }} {{ ['a', 'b']|join(',') }} "
        "{{ 'x' ~ 1 ~ missing }} {{ ('ab' * 2)|center(6) }}|{{ [1, 2, 3]|sum }} {{ payload|tojson }}"
    )
    items = [{"n": 1, "kids": [{"n": 2, "kids": []}]}]
    out = sandbox_render(sandbox_compile(template), {"items": items, "payload": {"a": 1}})
    assert out == '1/1[2/1]   1|b 00042 a,b x1  abab |6 {"a": 1}'


def test_the_loop_budget_is_shared_by_the_renders_of_one_budget() -> None:
    budget = Budget(loop_iterations=1500)
    loop = sandbox_compile("{% for i in range(1000) %}{% endfor %}")
    sandbox_render(loop, {}, budget=budget)
    with pytest.raises(BudgetExceeded, match="1,500 times"):
        sandbox_render(loop, {}, budget=budget)


def test_templates_render_only_with_a_budget() -> None:
    with pytest.raises(Exception, match="sandbox_render"):
        sandbox_compile("{% for i in range(3) %}{{ i }}{% endfor %}").render()
