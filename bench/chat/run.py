"""Chat benchmark: incident events turned into chat posts and delivered to a loopback receiver.

    .venv/bin/python bench/chat/run.py [--db sqlite|postgres] [--incidents 500] [--clients 20]

Builds a fresh database (SQLite in a temporary data directory; PostgreSQL: the database
`wk_chat_bench` on WATCHKEEPER_BENCH_PG, default postgres://postgres@127.0.0.1:5432, dropped and
created), one channel per client plus the NOC channel (every event), all posting to a
Mattermost-style receiver on 127.0.0.1. Opens `--incidents` incidents and acknowledges each (two
events each: four posts, two to the client's channel and two to the NOC's), then measures:

- events: the `chat.incident` handler (`incident_events_post`) over every incident in batches of
  50, as the engine runs it: timeline entries read and posts written per second;
- delivery: the `chat.posts` outbox (`outbox_run_due`, the engine's concurrent delivery pool)
  until every post arrived at the receiver: posts per second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
BATCH = 50


class _Count:
    lock = threading.Lock()
    received = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        json.loads(body)
        with _Count.lock:
            _Count.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def _setup(db: str, data_dir: str) -> None:
    os.environ["WATCHKEEPER_DATA_DIR"] = data_dir
    os.environ["WATCHKEEPER_OUTBOUND_ALLOW"] = "127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    if db == "postgres":
        import psycopg

        base = os.environ.get("WATCHKEEPER_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS wk_chat_bench")
            connection.execute("CREATE DATABASE wk_chat_bench")
        os.environ["WATCHKEEPER_DATABASE_URL"] = f"{base}/wk_chat_bench"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _world(clients: int, port: int) -> list[Any]:
    from watchkeeper.chat.models import ALL_EVENTS, ChatChannel
    from watchkeeper.tenancy.models import Client, Service

    made = Client.objects.bulk_create(
        [Client(name=f"Client {n:02d}", slug=f"c{n:02d}") for n in range(clients)]
    )
    services = Service.objects.bulk_create([Service(client=client, name="Server") for client in made])
    for client in [None, *made]:
        channel = ChatChannel(client=client, name=f"#{client.slug if client else 'noc'}", events=ALL_EVENTS)
        channel.address = f"mmost://127.0.0.1:{port}/token"
        channel.save()
    return services


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as data_dir:
        _setup(args.db, data_dir)
        from watchkeeper.chat.events import incident_events_post
        from watchkeeper.chat.models import ChatPost
        from watchkeeper.engine.outbox import outbox_run_due
        from watchkeeper.engine.registry import CHAT_POSTS
        from watchkeeper.incidents.services import incident_acknowledge, incident_open

        services = _world(args.clients, server.server_address[1])
        begun = time.perf_counter()
        ids = []
        for n in range(args.incidents):
            service = services[n % len(services)]
            incident = incident_open(client=service.client, service=service, title=f"Outage {n}",
                                     impact="high", urgency="high", by="bench")  # fmt: skip
            incident_acknowledge(incident=incident, by="bench")
            ids.append(incident.pk)
        opened = time.perf_counter() - begun
        begun = time.perf_counter()
        for start in range(0, len(ids), BATCH):
            incident_events_post(incident_ids=ids[start : start + BATCH])
        events = time.perf_counter() - begun
        posts = ChatPost.objects.count()
        begun = time.perf_counter()
        while _Count.received < posts:
            if not outbox_run_due(outbox=CHAT_POSTS) and ChatPost.objects.filter(state="failed").exists():
                break
        delivery = time.perf_counter() - begun
        sent = ChatPost.objects.filter(state="sent").count()
    server.shutdown()
    print(f"database: {args.db}; {args.incidents} incidents opened and acknowledged in {opened:.1f} s")
    rate = 2 * args.incidents / events
    print(f"events: {posts} posts from {2 * args.incidents} events in {events:.2f} s "
          f"({rate:,.0f} events/s, {posts / events:,.0f} posts written/s)")  # fmt: skip
    print(f"delivery: {sent} of {posts} posts sent, {_Count.received} received, in {delivery:.2f} s "
          f"({sent / delivery:,.0f} posts/s)")  # fmt: skip


if __name__ == "__main__":
    main()
