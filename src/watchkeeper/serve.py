"""`watchkeeper serve`: the web, engine, monitor and smtp roles as child processes of one supervisor.

Invariants:
- Web and engine are essential: if either exits, everything stops and `serve` exits non-zero.
- Inbound e-mail is optional: a taken port turns it off with a clear line on the console, and a
  crash later is restarted with backoff; neither takes the web or the engine down. The monitor
  role (active monitoring's checks) is optional in the same way.
- Each child runs in its own process group, so a terminal's Ctrl-C reaches the supervisor only,
  which then stops every child with one SIGTERM. Left in the terminal's group, granian's web
  workers got the SIGINT straight from the terminal at the same time as their parent, and then
  ignored the parent's stop until it killed them after its 10 s timeout.
"""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

STOP_SECONDS = 5.0  # how long children get to stop before they are killed
SMTP_BACKOFF = (1.0, 2.0, 5.0, 15.0, 60.0)  # seconds before each restart of a crashed smtp role
SMTP_STEADY_SECONDS = 60.0  # an smtp role that ran this long starts its backoff afresh


def port_in_use(host: str, port: int) -> bool:
    """True when another program listens on host:port (binding as the smtp role would)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def smtp_off_message(host: str, port: int) -> str:
    return (
        f"inbound e-mail is off: {host}:{port} is in use by another program; "
        "set WATCHKEEPER_SMTP_PORT to a free port"
    )


@dataclass
class Child:
    name: str
    command: list[str]
    essential: bool
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        # A new session: the terminal's Ctrl-C is the supervisor's to handle (module docstring).
        self.process = subprocess.Popen(self.command, start_new_session=True)  # noqa: S603
        self.started = time.monotonic()
        self.restart_at = None


Say = Callable[[str], None]


class Supervisor:
    """Runs the children until `stop` is set or an essential child exits."""

    def __init__(self, children: Sequence[Child], *, say: Say, stop: threading.Event) -> None:
        self.children = list(children)
        self.say = say
        self.stop = stop

    def run(self) -> int:
        for child in self.children:
            child.start()
        exit_code = 0
        while not self.stop.is_set():
            exit_code = self._check()
            if exit_code:
                break
            self.stop.wait(0.2)
        self._stop_all()
        return exit_code

    def _check(self) -> int:
        now = time.monotonic()
        for child in self.children:
            if child.process is None or child.restart_at is not None:
                if child.restart_at is not None and now >= child.restart_at:
                    self.say(f"restarting the {child.name} role")
                    child.start()
                continue
            code = child.process.poll()
            if code is None:
                continue
            if child.essential:
                self.say(f"error: the {child.name} process exited with status {code}")
                return code or 1
            # An optional role: restart with growing delays, fresh after a steady run.
            if now - child.started >= SMTP_STEADY_SECONDS:
                child.failures = 0
            delay = SMTP_BACKOFF[min(child.failures, len(SMTP_BACKOFF) - 1)]
            child.failures += 1
            child.restart_at = now + delay
            self.say(f"the {child.name} role exited with status {code}; restarting it in {delay:g} s")
        return 0

    def _stop_all(self) -> None:
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def role_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "watchkeeper", *args]
