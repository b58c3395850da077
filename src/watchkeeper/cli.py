"""The `watchkeeper` command (also `python -m watchkeeper`). Each subcommand is a thin adapter."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from watchkeeper.config import env
from watchkeeper.config.secret import secret_key_preload
from watchkeeper.core import clock

# Threads per web worker when WATCHKEEPER_WEB_THREADS is unset, per server. Granian: eight, with
# the engine busy more waiting events share each commit (measured in bench/ingest: 2.2 times two
# threads' rate, at 15% less without it). Gunicorn's gthread workers: four.
WEB_THREADS = {"granian": 8, "gunicorn": 4}


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
    import django

    django.setup()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


# --- processes ------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    print("Database is up to date.")
    return 0


def _web_granian(args: argparse.Namespace) -> int:
    """Granian: its HTTP layer is native code, measured about twice gunicorn's gthread on
    ingest on two cores (bench/ingest/README.md)."""
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        "watchkeeper.config.wsgi:application", address=args.host, port=args.port,
        interface=Interfaces.WSGI, workers=args.workers,
        blocking_threads=args.threads or WEB_THREADS["granian"],
        log_access=args.access_log, respawn_failed_workers=True, workers_kill_timeout=10,
        ssl_cert=Path(args.certfile) if args.certfile else None,
        ssl_key=Path(args.keyfile) if args.keyfile else None,
    ).serve()  # fmt: skip
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    if args.server == "granian":
        return _web_granian(args)
    from gunicorn.app.base import BaseApplication

    from watchkeeper.config.wsgi import application

    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "threads": args.threads or WEB_THREADS["gunicorn"],
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-" if args.access_log else None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "watchkeeper-web",
        # TLS straight from gunicorn, for small installations without a proxy (and tests).
        "certfile": args.certfile,
        "keyfile": args.keyfile,
    }

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    _App().run()
    return 0


POOLED_ENGINE = (
    "the engine needs a direct connection to PostgreSQL (it holds an advisory lock and LISTENs for "
    "wake-ups, which a transaction-mode pooler cannot carry): start it with WATCHKEEPER_DATABASE_URL "
    "naming the server itself and without WATCHKEEPER_DATABASE_POOLED (docs/operations.md)"
)


def cmd_engine(args: argparse.Namespace) -> int:
    from django.conf import settings

    from watchkeeper.engine import wakeup
    from watchkeeper.engine.loop import run_forever

    if settings.DATABASE_POOLED:
        return _fail(POOLED_ENGINE)

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        wakeup.EVENT.set()  # end the idle wait now rather than after the poll interval

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print("Engine running (Ctrl-C to stop).", flush=True)
    run_forever(stop)
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    """The monitor role: runs the checks of active monitoring (watchkeeper.monitoring.runner)."""
    from watchkeeper.monitoring.runner import run_due_once, run_forever

    if args.once:
        print(f"Ran {run_due_once()} due monitors.")
        return 0
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print("Monitor running (Ctrl-C to stop).", flush=True)
    run_forever(stop)
    return 0


def cmd_smtp(args: argparse.Namespace) -> int:
    from django.conf import settings

    from watchkeeper.alerts.sources.email.smtp import REPLY_HANDLERS, smtp_serve
    from watchkeeper.comms.replies import PREFIX as UPDATE_PREFIX
    from watchkeeper.comms.replies import reply_receive
    from watchkeeper.paging.services.replies import page_reply_receive

    REPLY_HANDLERS["page-"] = page_reply_receive  # "ack"/"resolve" replies to pages
    REPLY_HANDLERS[UPDATE_PREFIX] = reply_receive  # clients' replies to their incident's updates

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def _ready(host: str, port: int) -> None:
        domain = settings.INBOUND_EMAIL_DOMAIN
        print(f"Inbound e-mail on {host}:{port} for <integration key>@{domain} (Ctrl-C to stop).", flush=True)

    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        smtp_serve(host=args.host, port=args.port, stop=stop, on_ready=_ready)
    except OSError as exc:
        return _fail(
            f"cannot listen for e-mail on {args.host}:{args.port}: {exc.strerror or exc}. "
            "Choose another address with --host/--port or WATCHKEEPER_SMTP_HOST/WATCHKEEPER_SMTP_PORT."
        )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _login_hint() -> str:
    from django.conf import settings

    path = Path(settings.DATA_DIR) / "demo-login.txt"
    if path.exists():
        return "\n  ".join(line.strip() for line in path.read_text().splitlines() if line.strip())
    return "Sign in with the admin you created (watchkeeper createadmin --email you@example.com)."


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrate, then supervise web, engine and smtp (watchkeeper.serve) until Ctrl-C or SIGTERM."""
    from django.conf import settings
    from django.core.management import call_command

    from watchkeeper.serve import Child, Supervisor, port_in_use, role_command, smtp_off_message

    if settings.DATABASE_POOLED:
        return _fail(POOLED_ENGINE)
    call_command("migrate", interactive=False, verbosity=0)
    children = [
        Child("web", role_command("web", "--host", args.host, "--port", str(args.port)), essential=True),
        Child("engine", role_command("engine"), essential=True),
        # Active monitoring: optional like smtp (restarted with backoff), never takes web down.
        Child("monitor", role_command("monitor"), essential=False),
    ]
    # Inbound e-mail is optional: a port taken by another program turns it off, loudly. The
    # port is not moved elsewhere, since mail servers are configured to send to this one.
    if port_in_use(args.smtp_host, args.smtp_port):
        mail_line = f"Warning: {smtp_off_message(args.smtp_host, args.smtp_port)}."
    else:
        smtp = role_command("smtp", "--host", args.smtp_host, "--port", str(args.smtp_port))
        children.append(Child("smtp", smtp, essential=False))
        mail_line = f"Alerts by e-mail: SMTP on {args.smtp_host}:{args.smtp_port}"
    shown_host = "localhost" if args.host in {"127.0.0.1", "0.0.0.0", "::"} else args.host  # noqa: S104
    print(f"\n  Watchkeeper is running at http://{shown_host}:{args.port}/", flush=True)
    print(f"  {mail_line}\n  {_login_hint()}\n", flush=True)
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    exit_code = Supervisor(children, say=_say, stop=stopping).run()
    print("Watchkeeper stopped.", flush=True)
    return exit_code


def _say(line: str) -> None:
    print(line, file=sys.stderr if line.startswith("error") else sys.stdout, flush=True)


# --- people, clients, tokens ---------------------------------------------------------------


def cmd_createadmin(args: argparse.Namespace) -> int:
    from watchkeeper.accounts.services import user_create

    password = args.password
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = getpass.getpass("Password for the new admin: ")
        else:
            password, generated = secrets.token_urlsafe(12), True
    user = user_create(email=args.email, role="owner", full_name=args.name or "", password=password)
    print(f"Created MSP owner {user.email}.")
    if generated:
        print(f"Password: {password}")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from watchkeeper.accounts.services import user_create
    from watchkeeper.tenancy.models import Client

    client = None
    if args.client:
        client = Client.objects.filter(slug=args.client).first()
        if client is None:
            return _fail(f"No client with slug '{args.client}'. List them with the console or the API.")
    user = user_create(
        email=args.email,
        role=args.role,
        full_name=args.name or "",
        password=args.password,
        client=client,
        all_clients=args.all_clients,
    )
    print(f"Created {user.get_role_display()} {user.email}" + (f" for {client.name}." if client else "."))
    if not args.password:
        print("No password set: the user signs in after 'Forgot your password?'.")
    return 0


def cmd_client_create(args: argparse.Namespace) -> int:
    from watchkeeper.tenancy.services import client_create

    client = client_create(
        actor="cli", via="cli", name=args.name, slug=args.slug, timezone=args.timezone,
        contract_tier=args.tier, country=args.country or "",
    )  # fmt: skip
    print(f"Created client {client.name} ({client.slug}).")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from watchkeeper.accounts.models import User
    from watchkeeper.accounts.services import token_create
    from watchkeeper.tenancy.models import Client

    user = User.objects.filter(email=args.user.strip().lower(), is_active=True).first()
    if user is None:
        return _fail(f"No active user with e-mail {args.user}.")
    client = None
    if args.client:
        client = Client.objects.filter(slug=args.client).first()
        if client is None:
            return _fail(f"No client with slug '{args.client}'.")
    scopes = [scope for item in args.scopes for scope in item.replace(",", " ").split()]
    expires = None
    if args.expires_days is not None:
        if args.expires_days < 1:
            return _fail("--expires-days must be at least 1.")
        expires = clock.now() + dt.timedelta(days=args.expires_days)
    token, secret = token_create(
        user=user, name=args.name or "", scopes=scopes or None, client=client, expires_at=expires
    )
    print(f"Token '{token.name}' for {user.email}, scopes {', '.join(token.scopes)}. It is shown only once:")
    print(secret)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from watchkeeper.accounts.models import ApiToken
    from watchkeeper.accounts.services import token_revoke

    tokens = list(ApiToken.objects.filter(prefix__startswith=args.prefix, revoked_at__isnull=True)[:2])
    if len(tokens) != 1:
        found = "No live token" if not tokens else "More than one live token"
        return _fail(f"{found} starts with '{args.prefix}'. Give the prefix shown on the account page.")
    token_revoke(token=tokens[0], actor="cli", via="cli")
    print(f"Revoked token '{tokens[0].name}' of {tokens[0].user.email}.")
    return 0


def _progress_bar(done: int, total: int, label: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done == total else ""
    print(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:40]:<40}",
        end=end,
        file=sys.stderr,
    )


def cmd_secrets_rotate(args: argparse.Namespace) -> int:
    from watchkeeper.core.rekey import secrets_rotate

    result = secrets_rotate(progress=_progress_bar)
    print(f"Re-encrypted {result.rotated} secrets under the first key of WATCHKEEPER_ENCRYPTION_KEYS.")
    if result.unreadable:
        print(
            f"{len(result.unreadable)} secrets no configured key can read (left as they are):",
            file=sys.stderr,
        )
        for where in result.unreadable:
            print(f"  {where}", file=sys.stderr)
        return 1
    return 0


def cmd_integration_create(args: argparse.Namespace) -> int:
    from watchkeeper.alerts.services.integrations import integration_create
    from watchkeeper.tenancy.models import Client, Service

    client = Client.objects.filter(slug=args.client).first()
    if client is None:
        return _fail(f"No client with slug '{args.client}'.")
    service = None
    if args.service:
        service = Service.objects.filter(client=client, name=args.service).first()
        if service is None:
            names = (
                ", ".join(Service.objects.filter(client=client).values_list("name", flat=True)) or "none yet"
            )
            return _fail(f"{client.name} has no service named '{args.service}' (services: {names}).")
    integration = integration_create(
        actor="cli", via="cli", client=client, type=args.type, name=args.name, service=service
    )
    print(f"Created {integration.get_type_display()} integration '{integration.name}' for {client.name}, ")
    print(f"feeding {integration.default_service.name}. Its key is shown on the integration's page too:")
    print(integration.key)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=args.deploy, fail_level=args.fail_level)
    except SystemCheckError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from watchkeeper.demo import demo_load

    if args.first_run:
        from watchkeeper.accounts.models import User

        if User.objects.exists():
            return 0
    summary = demo_load(progress=_progress, port=args.port)
    print(summary)
    return 0


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    end = "\n" if done >= total else ""
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<30}", end=end, flush=True)


def cmd_policy(args: argparse.Namespace) -> int:
    from watchkeeper.policy.services import PolicyFileError, policy_export_yaml, policy_import_yaml

    path = Path(args.file)
    if args.action == "export":
        text = policy_export_yaml()
        if args.file == "-":
            sys.stdout.write(text)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"Wrote the incident policy to {path}.")
        return 0
    try:
        text = sys.stdin.read() if args.file == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {path}: {exc}")
    try:
        policy_import_yaml(text, actor="cli", via="cli")
    except PolicyFileError as exc:
        return _fail(f"{path}: {exc}. The policy was not changed.")
    print(f"Imported the incident policy from {path}.")
    return 0


# --- parser ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="watchkeeper", description="Incident management for MSPs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    # Read (and refused when nonsense) for every command, like the settings.
    default_port = env.integer("WATCHKEEPER_PORT", 8000, minimum=1, maximum=65535)
    default_host = env.text("WATCHKEEPER_HOST", "127.0.0.1")
    default_smtp_host = env.text("WATCHKEEPER_SMTP_HOST", "127.0.0.1")
    default_smtp_port = env.integer("WATCHKEEPER_SMTP_PORT", 2525, minimum=1, maximum=65535)
    default_workers = env.integer("WATCHKEEPER_WEB_WORKERS", 2, minimum=1)
    default_server = env.choice("WATCHKEEPER_WEB_SERVER", "granian", list(WEB_THREADS))
    # None: the chosen server's own default (WEB_THREADS).
    threads = env.integer("WATCHKEEPER_WEB_THREADS", None, minimum=1)
    p = add(
        "serve", cmd_serve, "Migrate, then run web, engine, monitor and smtp together (the embedded default)."
    )
    p.add_argument("--host", default=default_host)
    p.add_argument("--port", type=int, default=default_port)
    p.add_argument("--smtp-host", default=default_smtp_host, help="Address for inbound e-mail")
    p.add_argument("--smtp-port", type=int, default=default_smtp_port, help="Port for inbound e-mail")
    p = add("web", cmd_web, "Run the web role (console, portal, API, ingest) with gunicorn.")
    p.add_argument("--host", default=default_host)
    p.add_argument("--port", type=int, default=default_port)
    p.add_argument("--workers", type=int, default=default_workers)
    p.add_argument("--access-log", action="store_true")
    p.add_argument("--certfile", help="Serve HTTPS with this PEM certificate (and --keyfile)")
    p.add_argument(
        "--server", choices=list(WEB_THREADS), default=default_server,
        help="The HTTP server (default granian)",
    )  # fmt: skip
    p.set_defaults(threads=threads)
    p.add_argument("--keyfile", help="The PEM private key of --certfile")
    add("engine", cmd_engine, "Run the engine role (timers, inbox, outbox).")
    p = add("monitor", cmd_monitor, "Run the monitor role: the checks of active monitoring.")
    p.add_argument("--once", action="store_true", help="Run the monitors due now once, then exit.")
    p = add("smtp", cmd_smtp, "Run the smtp role: mail to <integration key>@<domain> becomes alerts.")
    p.add_argument("--host", default=default_smtp_host)
    p.add_argument("--port", type=int, default=default_smtp_port)
    p = add("migrate", cmd_migrate, "Create or upgrade the database schema.")
    p.add_argument("--verbose", action="store_true")
    p = add("createadmin", cmd_createadmin, "Create an MSP owner account.")
    p.add_argument("--email", required=True)
    p.add_argument("--password")
    p.add_argument("--name")
    p = add("demo", cmd_demo, "Load realistic demo data (safe to run twice).")
    p.add_argument("--first-run", action="store_true", help="Only when the database has no users yet.")
    p.add_argument(
        "--port", type=int, default=default_port, help="Where the console serves (demo monitors check it)."
    )
    p = add("check", cmd_check, "Run Django's and Watchkeeper's system checks.")
    p.add_argument("--deploy", action="store_true")
    p.add_argument("--fail-level", default="ERROR", choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"])

    client = add("client", lambda a: 2, "Manage clients.").add_subparsers(dest="action", required=True)
    p = client.add_parser("create", help="Create a client.")
    p.set_defaults(handler=cmd_client_create)
    p.add_argument("--name", required=True)
    p.add_argument("--slug", required=True)
    p.add_argument("--timezone", default="UTC")
    p.add_argument("--tier", default="standard", choices=["essential", "standard", "premium"])
    p.add_argument("--country")

    user = add("user", lambda a: 2, "Manage users.").add_subparsers(dest="action", required=True)
    p = user.add_parser("create", help="Create a user.")
    p.set_defaults(handler=cmd_user_create)
    p.add_argument("--email", required=True)
    p.add_argument(
        "--role", required=True,
        choices=["owner", "admin", "manager", "technician", "client_admin", "client_user"],
    )  # fmt: skip
    p.add_argument("--client", help="Client slug (client_admin and client_user)")
    p.add_argument("--password")
    p.add_argument("--name")
    p.add_argument("--all-clients", action="store_true", help="Managers and technicians: see every client")

    token = add("token", lambda a: 2, "Manage API tokens.").add_subparsers(dest="action", required=True)
    p = token.add_parser("create", help="Create an API token; the secret is printed on the last line.")
    p.set_defaults(handler=cmd_token_create)
    p.add_argument("--user", required=True, help="E-mail of the token's user")
    p.add_argument("--scopes", nargs="*", default=[], help="read, write, admin (default: read)")
    p.add_argument("--client", help="Restrict the token to one client (slug)")
    p.add_argument("--name")
    p.add_argument("--expires-days", type=int, help="Expire the token after this many days")
    p = token.add_parser("revoke", help="Revoke a token by the prefix shown when it was made.")
    p.set_defaults(handler=cmd_token_revoke)
    p.add_argument("prefix")

    integration = add("integration", lambda a: 2, "Manage integrations (alert intake).")
    p = integration.add_subparsers(dest="action", required=True).add_parser(
        "create", help="Create an integration; its key is printed on the last line."
    )
    p.set_defaults(handler=cmd_integration_create)
    p.add_argument("--client", required=True, help="Client slug")
    p.add_argument(
        "--type",
        required=True,
        choices=["pagerduty", "alertmanager", "opsgenie", "webhook", "email", "heartbeat"],
    )
    p.add_argument("--name", required=True)
    p.add_argument("--service", help="Default service (name); empty: the client's first service")

    secrets = add("secrets", lambda a: 2, "Manage the keys of secrets at rest.")
    p = secrets.add_subparsers(dest="action", required=True).add_parser(
        "rotate", help="Re-encrypt every stored secret under the newest encryption key."
    )
    p.set_defaults(handler=cmd_secrets_rotate)

    policy = add("policy", lambda a: 2, "Export or import the incident policy as YAML.")
    policy_sub = policy.add_subparsers(dest="action", required=True)
    for action in ("export", "import"):
        p = policy_sub.add_parser(action, help=f"{action.title()} the policy (FILE or - for stdio).")
        p.set_defaults(handler=cmd_policy)
        p.add_argument("file", metavar="FILE")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        _setup()  # imports the settings, which read and check the rest of the environment
        secret_key_preload()  # before any command opens a transaction
    except env.ConfigError as exc:
        # A configuration mistake, not a crash: one line naming the variable, no traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from django.db import DatabaseError

    from watchkeeper.core.errors import WatchkeeperError

    try:
        return int(args.handler(args))
    except WatchkeeperError as exc:
        return _fail(exc.message)
    except DatabaseError as exc:
        return _fail(f"{exc}. Is the database reachable and up to date? Run 'watchkeeper migrate'.")
    except KeyboardInterrupt:
        return 130
