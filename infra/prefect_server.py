"""Python HTTP servers of the stack: the Prefect server, and ``python -m`` servers like the PKI's.

The Prefect server runs as ``python -m motcua.infra.prefect_main server start`` (Prefect's own
command line, see below) on 127.0.0.1, offline and quiet.

Why each setting (platform notes):

- ``PREFECT_HOME=data_dir/prefect``: its SQLite database, profiles and UI build stay in our data
  directory; the working directory is the data directory too, so that a ``prefect.toml``,
  ``.env`` or ``pyproject.toml`` in the user's current folder cannot reconfigure the server.
- ``PREFECT_UI_API_URL``: the UI asks ``/ui-settings`` where the API is and is told port 4200
  unless this is set; on any other port it then shows "Can't connect to Server API".
- ``PREFECT_SERVER_ANALYTICS_ENABLED=false``: offline, the server otherwise logs a telemetry
  ERROR at start; promotional content in the UI is switched off for the same reason.
- ``PREFECT_UI_STATIC_DIRECTORY``: the server writes a copy of the UI with our base URL into
  this folder; by default that is inside site-packages, shared by every server of the venv.
- ``PREFECT_SERVER_LOGGING_LEVEL=WARNING``: no access log line per request in the log file.
- ``PREFECT_SERVER_DATABASE_CONNECTION_URL``: only when ``MOTCUA_PREFECT_DATABASE_URL`` is set
  (PostgreSQL, ``postgresql+asyncpg://…``); otherwise Prefect's default, SQLite in
  ``PREFECT_HOME``. The URL may hold a password, so it goes through the environment only, never
  argv (``/proc/<pid>/cmdline`` is readable by every local user; ``/proc/<pid>/environ`` only by
  the owner), and the argv stays the same whichever database is used. ``database.env`` in
  ``PREFECT_HOME`` (0600) records which database the server was started on: the URL with its
  password masked and a SHA-256 of the whole URL, so that ``up`` restarts a server whose database
  setting changed (host, name, password, or back to SQLite) instead of reusing it. The server
  runs Prefect's migrations at start (``CREATE EXTENSION pg_trgm`` among them): the database
  must exist and its user must be allowed to create in it.

It is started as ``sys.executable -m motcua.infra.prefect_main`` (Prefect's own command line,
not the ``prefect`` script, so that the argv recorded in ``stack.json`` is what
``/proc/<pid>/cmdline`` shows), which begins the server's SQLite write transactions
``IMMEDIATE``: see :mod:`motcua.infra.prefect_main`.

:func:`python_http_service` describes any other ``python -m module`` HTTP server with a health
URL (the test PKI's TSA/OCSP server) in one call; :data:`motcua.infra.stack.SERVICES` lists it.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence

from motcua.errors import ConfigurationError
from motcua.infra.http import http_problem
from motcua.infra.ports import LOOPBACK
from motcua.infra.process import ManagedService, Probe, ServiceSpec, inherited_env
from motcua.settings import Settings
from motcua.storage.credentials import StackCredentials

SERVICE = "prefect"
PORTS = ("api",)
STOP_GRACE_SECONDS = 10.0
DATABASE_ENV = "database.env"
DATABASE_URL_VARIABLE = "PREFECT_SERVER_DATABASE_CONNECTION_URL"  # Prefect 3.9.1's name
_ASYNC_SCHEMES = ("postgresql+asyncpg", "sqlite+aiosqlite")  # Prefect's server needs async drivers


def api_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}/api"


def database_env(settings: Settings) -> dict[str, str]:
    """The server's database variable: the PostgreSQL URL, or nothing (SQLite in PREFECT_HOME)."""
    url = settings.prefect_database_url
    return {} if url is None else {DATABASE_URL_VARIABLE: url.get_secret_value()}


def database_record(settings: Settings) -> str:
    """Content of ``database.env``: which database, never the password itself."""
    if settings.prefect_database_url is None:
        return (f"# SQLite in {settings.data_dir / 'prefect'} "
                "(MOTCUA_PREFECT_DATABASE_URL is not set)\n")
    url = settings.prefect_database_url.get_secret_value()
    digest = hashlib.sha256(url.encode()).hexdigest()
    return f"database={_masked(url)}\nsha256={digest}\n"


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (check_database_url refuses it; here: never leak it)
        return "(not a database URL)"


def check_database_url(settings: Settings) -> None:
    """Refuse, before starting, a URL Prefect's server cannot use (it needs an async driver)."""
    if settings.prefect_database_url is None:
        return
    url = settings.prefect_database_url.get_secret_value()
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _ASYNC_SCHEMES or _masked(url) == "(not a database URL)":
        raise ConfigurationError(
            f"MOTCUA_PREFECT_DATABASE_URL needs an async driver, postgresql+asyncpg:// (got "
            f"scheme {scheme or 'none'!r})",
            hint="postgresql+asyncpg://user:pass@host:5432/prefect (the Prefect server's driver; "
            "MOTCUA_DATABASE_URL, the records, uses postgresql+psycopg://)",
        )


def prepare(settings: Settings) -> None:
    for folder in (settings.data_dir / "prefect", settings.data_dir / "tmp", settings.logs_dir):
        folder.mkdir(parents=True, exist_ok=True)


def spec(settings: Settings, creds: StackCredentials, ports: dict[str, int]) -> ServiceSpec:
    """The server command for this port. Pure: same inputs, same argv (the database URL is in
    the environment and, masked, in ``database.env``, never in argv)."""
    port = ports["api"]
    home = settings.data_dir / "prefect"
    env = inherited_env(
        settings.data_dir / "tmp",
        {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": api_url(port),
            "PREFECT_UI_API_URL": api_url(port),
            "PREFECT_UI_STATIC_DIRECTORY": str(home / "ui"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
            "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PREFECT_CLI_COLORS": "false",
            "PYTHONUNBUFFERED": "1",
            **database_env(settings),
        },
    )
    argv = (
        sys.executable, "-m", "motcua.infra.prefect_main", "server", "start",
        "--host", LOOPBACK, "--port", str(port),
    )
    return ServiceSpec(
        name=SERVICE,
        argv=argv,
        env=env,
        cwd=settings.data_dir,
        log_file=settings.logs_dir / "prefect-server.log",
        probe=http_probe(f"{api_url(port)}/health"),
        ports=dict(ports),
        urls={"api": api_url(port), "ui": f"http://{LOOPBACK}:{port}/"},
        config_files={home / DATABASE_ENV: database_record(settings)},
        stop_grace=STOP_GRACE_SECONDS,
    )


def _wanted(settings: Settings) -> bool:
    """Embedded unless ``MOTCUA_PREFECT_API_URL`` names a server. ``up`` asks every service
    whether it is wanted before it starts any, so a bad database URL is refused here, before
    SeaweedFS or anything else runs."""
    if settings.prefect_api_url is not None:
        return False
    check_database_url(settings)
    return True


SERVICE_DEF = ManagedService(
    name=SERVICE,
    ports=PORTS,
    build=spec,
    prepare=prepare,
    enabled=_wanted,
)


def python_http_service(
    name: str,
    module: str,
    args: Callable[[Settings, int], Sequence[str]],
    *,
    health_path: str = "/health",
    prepare: Callable[[Settings], None] = lambda settings: None,
    port: Callable[[Settings], int] | None = None,
    enabled: Callable[[Settings], bool] = lambda settings: True,
) -> ManagedService:
    """``python -m module *args(settings, port)`` on one loopback port, ready when health is 200.

    ``port`` fixes the port (else a free one is picked and kept across restarts); ``prepare``
    runs before each start, after the data, tmp and logs folders exist.
    """

    def build(settings: Settings, creds: StackCredentials, ports: dict[str, int]) -> ServiceSpec:
        base = f"http://{LOOPBACK}:{ports['http']}"
        return ServiceSpec(
            name=name,
            argv=(sys.executable, "-m", module, *args(settings, ports["http"])),
            env=inherited_env(settings.data_dir / "tmp", {"PYTHONUNBUFFERED": "1"}),
            cwd=settings.data_dir,
            log_file=settings.logs_dir / f"{name}.log",
            probe=http_probe(base + health_path),
            ports=dict(ports),
            urls={"http": base},
        )

    def prepare_all(settings: Settings) -> None:
        for folder in (settings.data_dir / "tmp", settings.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        prepare(settings)

    return ManagedService(
        name, ("http",), build, prepare_all, enabled,
        fixed_ports=(lambda settings: {"http": port(settings)}) if port else None,
    )


def http_probe(url: str, *, timeout: float = 3.0) -> Probe:
    """Passes when ``GET url`` answers 200; never through an HTTP proxy from the environment."""
    return lambda: http_problem(url, timeout=timeout)
