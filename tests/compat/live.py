"""A Watchkeeper installation as real processes on loopback: web (granian by default) and engine.

Used by the compatibility and durability tests and by bench/ingest. Each stack gets its own
data directory and its own database: a SQLite file there, or, when WATCHKEEPER_DATABASE_URL
names a PostgreSQL server, a fresh database on that server that is dropped afterwards. The
test process itself never touches that database; it reads it through `Stack.python`, which
runs a snippet in a subprocess with the stack's settings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that is its own trust anchor (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _postgres_base() -> str | None:
    url = os.environ.get("WATCHKEEPER_DATABASE_URL", "").strip()
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _admin_dsn(url: str) -> str:
    """The same server, its maintenance database: where CREATE/DROP DATABASE run."""
    return urlunparse(urlparse(url)._replace(scheme="postgresql", path="/postgres"))


_SNAPSHOT = """
import time
from watchkeeper.alerts.models import Alert, InboxEvent
deadline = time.monotonic() + TIMEOUT
while InboxEvent.objects.filter(status='pending').exists() and time.monotonic() < deadline:
    time.sleep(0.1)
result = {
    'pending': InboxEvent.objects.filter(status='pending').count(),
    'failed': list(InboxEvent.objects.filter(status='failed').values_list('error', flat=True)[:5]),
    'inbox': InboxEvent.objects.count(),
    'alerts': list(Alert.objects.order_by('id').values(
        'dedup_key', 'status', 'occurrence_count', 'summary', 'group_key', 'integration__type',
        'incident_id', 'incident__status', 'incident__number')),
}
"""


class Stack:
    """Processes of one installation. Use as a context manager: everything stops on exit."""

    def __init__(
        self,
        root: Path,
        *,
        database: str = "auto",
        env: dict[str, str] | None = None,
        share: Stack | None = None,
    ) -> None:
        """`share`: another stack whose database this one uses (a second host of the same
        installation); that stack creates and drops it."""
        self.root = root
        self.data_dir = root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.pg_name: str | None = None
        self.keys: dict[str, str] = {}  # integration type → key, from `seed`
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
        self.env.update(
            WATCHKEEPER_DATA_DIR=str(self.data_dir),
            WATCHKEEPER_SECRET_KEY=secrets.token_urlsafe(50),
            WATCHKEEPER_INGEST_RATE="1000000",  # the tests measure intake, not the limiter
            WATCHKEEPER_ENGINE_INTERVAL="0.1",
            WATCHKEEPER_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.env.update(env or {})
        self.shared = share is not None
        if share is not None:
            url = share.env.get("WATCHKEEPER_DATABASE_URL")
            if url:
                self.env["WATCHKEEPER_DATABASE_URL"] = url
            else:
                self.env["WATCHKEEPER_DATABASE_URL"] = f"sqlite:///{share.data_dir / 'watchkeeper.sqlite3'}"
            self.base_url = ""
            return
        base = _postgres_base()
        if database == "postgres" and base is None:
            base = "postgres://postgres@127.0.0.1:5432/watchkeeper"
        if base is not None and database != "sqlite":
            self._create_postgres(base)
        self.base_url = ""

    # --- database -------------------------------------------------------------------------

    def _create_postgres(self, base: str) -> None:
        import psycopg

        self.pg_name = f"wk_live_{secrets.token_hex(6)}"
        with psycopg.connect(_admin_dsn(base), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.pg_name}"')
        self.env["WATCHKEEPER_DATABASE_URL"] = urlunparse(urlparse(base)._replace(path=f"/{self.pg_name}"))

    def _drop_postgres(self) -> None:
        import psycopg

        if self.pg_name is None:
            return
        with psycopg.connect(_admin_dsn(self.env["WATCHKEEPER_DATABASE_URL"]), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        self.pg_name = None

    @property
    def db_label(self) -> str:
        return "postgresql" if self.pg_name else "sqlite"

    # --- commands -------------------------------------------------------------------------

    def run(self, *argv: str, timeout: float = 120) -> str:
        """`python -m watchkeeper ARGV`; its stdout, or an assertion naming what it said."""
        result = subprocess.run(  # noqa: S603 — our own interpreter and arguments
            [PYTHON, "-m", "watchkeeper", *argv],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"watchkeeper {' '.join(argv)}: {result.stdout}{result.stderr}"
        return result.stdout

    def python(self, code: str, timeout: float = 120) -> Any:
        """Run `code` with Django set up against this stack's database; it sets `result`,
        which comes back through JSON."""
        script = (
            "import json, os, django\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'watchkeeper.config.settings')\n"
            "django.setup()\n"
            f"{code}\n"
            "print('\\n' + json.dumps(result, default=str))\n"
        )
        result = subprocess.run(  # noqa: S603
            [PYTHON, "-c", script],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def migrate(self) -> None:
        self.run("migrate")

    def seed(self, *types: str) -> dict[str, str]:
        """A client with a service and one integration per type; returns type → key."""
        self.keys = dict(
            self.python(
                "from watchkeeper.tenancy.models import Client, Service\n"
                "from watchkeeper.alerts.services.integrations import integration_create\n"
                "client = Client.objects.create(name='Acme Dental', slug='acme')\n"
                "service = Service.objects.create(client=client, name='Practice server')\n"
                "result = {t: integration_create(actor='test', client=client, type=t, name=t,\n"
                "          service=service).key for t in " + repr(list(types)) + "}\n"
            )
        )
        return self.keys

    # --- processes ------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.root / f"{name}.log").open("ab")
        # A session of its own: kill -9 of the process group takes gunicorn's workers too.
        self.procs[name] = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "watchkeeper", *argv],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()

    def start_web(
        self, *, port: int | None = None, tls: bool = False, workers: int = 2, threads: int = 8
    ) -> str:
        port = port or free_port()
        argv = ["web", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        scheme = "http"
        if tls:
            cert, key = self.tls_files
            argv += ["--certfile", str(cert), "--keyfile", str(key)]
            scheme = "https"
        self.env["WATCHKEEPER_WEB_THREADS"] = str(threads)
        self._spawn("web", argv)
        self.base_url = f"{scheme}://127.0.0.1:{port}"
        self._wait_ready(self.base_url + "/healthz", "web")
        return self.base_url

    @property
    def tls_files(self) -> tuple[Path, Path]:
        cert, key = self.root / "cert.pem", self.root / "key.pem"
        if not cert.exists():
            return self_signed_cert(self.root)
        return cert, key

    def trust(self) -> ssl.SSLContext:
        """A TLS context that trusts exactly this stack's certificate."""
        return ssl.create_default_context(cafile=str(self.tls_files[0]))

    def start_engine(self, *, wait: bool = False, timeout: float = 60) -> None:
        """Start the engine; with `wait`, return once it has finished its first cycle."""
        started = time.time()
        self._spawn("engine", ["engine"])
        if not wait:
            return
        deadline = time.monotonic() + timeout
        check = (
            "import datetime as dt\nfrom watchkeeper.engine.models import EngineProcess\n"
            f"since = dt.datetime.fromtimestamp({started!r}, tz=dt.UTC)\n"
            "result = EngineProcess.objects.filter(started_at__gte=since, cycles__gt=0).exists()"
        )
        while time.monotonic() < deadline:
            proc = self.procs["engine"]
            if proc.poll() is not None:
                raise AssertionError(f"engine exited with {proc.returncode}: {self.log('engine')[-3000:]}")
            if self.python(check):
                return
            time.sleep(0.2)
        log = self.log("engine")[-3000:]
        raise AssertionError(f"the engine did not finish a cycle in {timeout} s: {log}")

    def _wait_ready(self, url: str, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        verify: Any = self.trust() if url.startswith("https") else True
        while time.monotonic() < deadline:
            proc = self.procs[name]
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}: {self.log(name)[-3000:]}")
            try:
                if httpx.get(url, timeout=2, verify=verify).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{name} did not answer {url} in {timeout} s: {self.log(name)[-3000:]}")

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group of `name` and wait for its leader."""
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if sig != signal.SIGKILL:
            # Orphaned workers would keep the port or the database busy.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def pending_inbox(self) -> int:
        return int(
            self.python(
                "from watchkeeper.alerts.models import InboxEvent\n"
                "result = InboxEvent.objects.filter(status='pending').count()"
            )
        )

    def wait_drained(self, timeout: float = 60) -> None:
        """Until the engine has processed every pending inbox row."""
        deadline = time.monotonic() + timeout
        while self.pending_inbox():
            assert time.monotonic() < deadline, (
                f"inbox not drained in {timeout} s: {self.log('engine')[-3000:]}"
            )
            time.sleep(0.3)

    def snapshot(self, timeout: float = 60) -> dict[str, Any]:
        """Once the engine has drained the inbox: the inbox's state and every alert with
        its incident. One subprocess, since each costs a Django start-up."""
        return dict(self.python(_SNAPSHOT.replace("TIMEOUT", str(timeout)), timeout=timeout + 60))

    def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        """Snapshots until `check` holds for one; that snapshot (or an assertion showing the last)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.snapshot()
            if check(state):
                return state
            assert time.monotonic() < deadline, f"not reached in {timeout} s: {state}"
            time.sleep(0.5)

    def close(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)
        self._drop_postgres()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
