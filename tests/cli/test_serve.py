"""`watchkeeper serve` as a real process: inbound e-mail is optional, Ctrl-C is quick."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.test_commands import _env, _free_port, _wait_for
from watchkeeper.serve import Child, Supervisor, port_in_use


class Output:
    """The lines a process prints, read as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True).start()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, fragment: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while fragment not in self.text:
            assert time.monotonic() < deadline, f"never printed {fragment!r}:\n{self.text}"
            time.sleep(0.1)


def _serve(tmp_path: Path, port: int, smtp_port: int) -> subprocess.Popen[str]:
    env = _env(tmp_path, WATCHKEEPER_ENGINE_INTERVAL="0.2", WATCHKEEPER_SMTP_PORT=str(smtp_port))
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "watchkeeper", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _ctrl_c(serve: subprocess.Popen[str]) -> float:
    """Ctrl-C as a terminal sends it (to the whole process group); the seconds until exit."""
    started = time.monotonic()
    os.killpg(serve.pid, signal.SIGINT)
    serve.wait(timeout=30)
    return time.monotonic() - started


@pytest.mark.slow
def test_serve_keeps_serving_when_the_smtp_port_is_taken_and_stops_quickly(
    tmp_path: Path, taken_port: int
) -> None:
    port = _free_port()
    serve = _serve(tmp_path, port, taken_port)
    output = Output(serve)
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{base}/healthz", time.monotonic() + 90).status_code == 200
        assert httpx.get(f"{base}/accounts/login/", timeout=30).status_code == 200
        output.wait_for(
            f"inbound e-mail is off: 127.0.0.1:{taken_port} is in use by another program; "
            "set WATCHKEEPER_SMTP_PORT to a free port"
        )
        time.sleep(2)  # the web and engine stay up (the old supervisor stopped all at once)
        assert serve.poll() is None, output.text
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        assert _ctrl_c(serve) < 5, output.text  # four children; a hang takes 10+ s
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    assert serve.returncode == 0, output.text
    assert "Watchkeeper stopped." in output.text
    assert "refused to gracefully stop" not in output.text


@pytest.mark.slow
def test_a_crashed_smtp_role_is_restarted_while_web_keeps_serving(tmp_path: Path) -> None:
    port, smtp_port = _free_port(), _free_port()
    serve = _serve(tmp_path, port, smtp_port)
    output = Output(serve)
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_for(f"{base}/healthz", time.monotonic() + 90).status_code == 200
        output.wait_for(f"Inbound e-mail on 127.0.0.1:{smtp_port}")
        smtp_pid = next(
            int(pid)
            for pid in subprocess.run(  # noqa: S603
                ["pgrep", "-f", f"watchkeeper smtp --host 127.0.0.1 --port {smtp_port}"],  # noqa: S607
                capture_output=True, text=True, check=False,
            ).stdout.split()
        )  # fmt: skip
        os.kill(smtp_pid, signal.SIGKILL)
        output.wait_for("the smtp role exited with status -9; restarting it in 1 s")
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        output.wait_for("restarting the smtp role")
        deadline = time.monotonic() + 60
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as mail:
                    assert mail.noop()[0] == 250
                break
            except OSError:
                assert time.monotonic() < deadline, output.text
                time.sleep(0.3)
        assert _ctrl_c(serve) < 5, output.text  # four children; a hang takes 10+ s
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    assert serve.returncode == 0, output.text


def test_port_in_use_sees_a_listener_only(taken_port: int) -> None:
    assert port_in_use("127.0.0.1", taken_port)
    assert not port_in_use("127.0.0.1", _free_port())


def test_supervisor_stops_when_an_essential_child_exits() -> None:
    stop = threading.Event()
    said: list[str] = []
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    children = [
        Child("web", [sys.executable, "-c", "raise SystemExit(3)"], essential=True),
        Child("engine", sleeper, essential=True),
    ]
    started = time.monotonic()
    assert Supervisor(children, say=said.append, stop=stop).run() == 3
    assert said == ["error: the web process exited with status 3"]
    assert children[1].process is not None
    assert children[1].process.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 10
