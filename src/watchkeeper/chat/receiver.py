"""A chat receiver on loopback for trying chat channels out: it accepts what a Mattermost (or
Slack-style) incoming webhook accepts and prints each post. Standard library only.

    python -m watchkeeper.chat.receiver            # listens on 127.0.0.1:8765

The demo's NOC channel posts here (mmost://127.0.0.1:8765/demo); the outbound guard refuses
loopback unless the operator allows it: WATCHKEEPER_OUTBOUND_ALLOW=127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_PORT = 8765


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # http.server's name
        length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
        body = self.rfile.read(length)
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = body.decode(errors="replace")
        text = payload.get("text", payload) if isinstance(payload, dict) else payload
        sys.stdout.write(f"--- {self.path}\n{text}\n")
        sys.stdout.flush()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    port = parser.parse_args(argv).port
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    sys.stdout.write(f"Chat receiver on http://127.0.0.1:{port}/ (Ctrl-C to stop)\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
