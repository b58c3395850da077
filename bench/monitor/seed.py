"""Seed N HTTP monitors at one interval against the target, spread over the interval (run by
run.py inside the installation's environment). `python seed.py N INTERVAL TARGET_URL`."""

from __future__ import annotations

import datetime as dt
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
import django

django.setup()

from watchkeeper.core import clock  # noqa: E402
from watchkeeper.monitoring.models import Monitor  # noqa: E402
from watchkeeper.monitoring.services import monitor_create, network_policy_set  # noqa: E402
from watchkeeper.tenancy.models import Client, Service  # noqa: E402


def main(count: int, interval: int, url: str) -> None:
    client = Client.objects.create(name="Bench client", slug="bench")
    service = Service.objects.create(client=client, name="Bench service")
    network_policy_set(actor="bench", client=client, networks=["127.0.0.1/32"], via="bench")
    first = monitor_create(actor="bench", client=client, service=service, name="Bench 0", kind="http",
                           target=f"{url}/0", interval_seconds=interval, timeout_seconds=10)  # fmt: skip
    start = clock.now() + dt.timedelta(seconds=5)
    rows = [
        Monitor(client=client, service=service, integration=first.integration, name=f"Bench {n}", kind="http",
                target=f"{url}/{n}", interval_seconds=interval, timeout_seconds=10,
                next_run_at=start + dt.timedelta(milliseconds=n * interval * 1000 // count))
        for n in range(1, count)
    ]  # fmt: skip
    Monitor.objects.bulk_create(rows, batch_size=2000)
    Monitor.objects.filter(pk=first.pk).update(next_run_at=start)
    print(f"seeded {count} monitors")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
