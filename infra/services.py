"""The service processes of the stack: the intake watcher and a worker (DESIGN §4).

Both are ``python -m motcua watch|worker`` (motcua/cli/service.py), started by ``motcua up``
unless ``MOTCUA_SERVICE=false``, so that a file dropped into intake is archived with nothing
else started by hand. They run with the settings ``up`` was given: every setting that differs
from its default is passed on as its ``MOTCUA_*`` variable, and also written to a 0600 file that
``up`` compares, so a changed setting restarts them instead of leaving them on the old one.

- **worker**: Prefect's task worker serving ``process-round``; its status server on a loopback
  port (``/status``: runs in flight and finished) is the readiness probe.
- **watcher**: the ``intake-watch`` flow; it writes ``run/watcher.json`` after every poll, and
  is ready while that file is fresh.
- **scheduler**: ``motcua serve --no-stack``, Prefect's runner serving motcua's deployments
  (flows/deployments.py: the nightly fixity audit, runs by hand from the UI); ready once the
  Prefect server lists them.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

from pydantic import SecretStr

from motcua.infra.http import NO_PROXY
from motcua.infra.ports import LOOPBACK
from motcua.infra.prefect_server import http_probe
from motcua.infra.process import ManagedService, Probe, ServiceSpec, inherited_env
from motcua.settings import ENV_PREFIX, Settings
from motcua.storage.credentials import StackCredentials

WATCHER, WORKER, SCHEDULER = "watcher", "worker", "scheduler"
# what flows/deployments.py declares (the stack layer never imports flows)
DEPLOYMENTS = ("fixity-audit/nightly", "nightly-kpis/nightly", "digitize-dossier/by-hand", "intake-watch/once")
HEARTBEAT_FRESH_SECONDS = 15.0


def heartbeat_file(settings: Settings) -> Path:
    return settings.data_dir / "run" / "watcher.json"


def settings_env(settings: Settings) -> dict[str, str]:
    """``MOTCUA_*`` for every setting that differs from its default (secrets included: the
    environment of our own child process, and a 0600 file)."""
    env = {f"{ENV_PREFIX}DATA_DIR": str(settings.data_dir)}
    defaults = Settings.model_construct()
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name == "data_dir" or value == getattr(defaults, name, None):
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | tuple):
            text = json.dumps([str(v) if isinstance(v, Path) else v for v in value])
        elif value is None:
            continue
        else:
            text = str(value)
        env[f"{ENV_PREFIX}{name.upper()}"] = text
    return env


def _spec(settings: Settings, name: str, argv: tuple[str, ...], probe: Probe,
          ports: dict[str, int], urls: dict[str, str]) -> ServiceSpec:
    env = settings_env(settings)
    return ServiceSpec(
        name=name,
        argv=(sys.executable, "-m", "motcua", *argv),
        env=inherited_env(settings.data_dir / "tmp", {
            **env, "PYTHONUNBUFFERED": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "INFO", "PREFECT_CLI_COLORS": "false"}),
        cwd=settings.data_dir,
        log_file=settings.logs_dir / f"{name}.log",
        probe=probe,
        ports=ports,
        urls=urls,
        config_files={settings.data_dir / "run" / f"{name}.env":
                      "".join(f"{k}={v}\n" for k, v in sorted(env.items()))},
        stop_grace=10.0,
    )


def _worker(settings: Settings, creds: StackCredentials, ports: dict[str, int]) -> ServiceSpec:
    status = f"http://{LOOPBACK}:{ports['status']}/status"
    return _spec(settings, WORKER, ("worker", "--status-port", str(ports["status"])),
                 http_probe(status), dict(ports), {"status": status})


def _watcher(settings: Settings, creds: StackCredentials, ports: dict[str, int]) -> ServiceSpec:
    path = heartbeat_file(settings)

    def probe() -> str | None:
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return f"{path} not written yet: the watcher has not polled"
        return None if age < HEARTBEAT_FRESH_SECONDS else f"last poll {age:.0f} s ago"

    return _spec(settings, WATCHER, ("watch",), probe, {}, {})


def _scheduler(settings: Settings, creds: StackCredentials, ports: dict[str, int]) -> ServiceSpec:
    def probe() -> str | None:
        from motcua.infra.state import read_state

        state = read_state(settings)
        api = state.prefect_api_url if state else settings.prefect_api_url
        if not api:
            return "no Prefect API yet"
        request = urllib.request.Request(f"{api}/deployments/filter", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with NO_PROXY.open(request, timeout=3) as resp:
                names = {d.get("name") for d in json.loads(resp.read())}
        except (OSError, ValueError) as exc:
            return f"{api}: {exc}"
        missing = {n.split("/")[1] for n in DEPLOYMENTS} - names
        return f"deployments not served yet: {sorted(missing)}" if missing else None

    return _spec(settings, SCHEDULER, ("serve", "--no-stack"), probe, {}, {})


def _prepare(settings: Settings) -> None:
    for folder in (settings.data_dir / "run", settings.data_dir / "tmp", settings.logs_dir):
        folder.mkdir(parents=True, exist_ok=True)


def _prepare_watcher(settings: Settings) -> None:
    _prepare(settings)
    heartbeat_file(settings).unlink(missing_ok=True)  # ready means *this* watcher has polled


WORKER_DEF = ManagedService(name=WORKER, ports=("status",), build=_worker, prepare=_prepare,
                            enabled=lambda settings: settings.service, after_archive=True)
WATCHER_DEF = ManagedService(name=WATCHER, ports=(), build=_watcher, prepare=_prepare_watcher,
                             enabled=lambda settings: settings.service, after_archive=True)
SCHEDULER_DEF = ManagedService(name=SCHEDULER, ports=(), build=_scheduler, prepare=_prepare,
                               enabled=lambda settings: settings.service, after_archive=True)
