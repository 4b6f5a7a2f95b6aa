"""`motcua watch | worker`: the service processes that `motcua up` starts (and that a
production machine runs under systemd, infra/production/). They start nothing themselves: the
stack (S3, the Prefect server, the database) must be there; they wait for the Prefect server to
answer before they begin."""

from __future__ import annotations

import time
import urllib.request
from typing import Annotated

import typer

from motcua.cli.base import app, run, say, settings
from motcua.errors import StackNotRunning


def _wait_for_prefect(api_url: str, timeout: float = 120.0) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with opener.open(f"{api_url}/health", timeout=3) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise StackNotRunning(f"the Prefect server at {api_url} does not answer",
                                  hint="run `motcua up` (or check MOTCUA_PREFECT_API_URL)")
        time.sleep(0.5)


@app.command()
def watch() -> None:
    """Watch the intake bucket (blocks): every complete dossier folder becomes one run."""
    from motcua.flows.launch import on_server
    from motcua.flows.service import run_watcher
    from motcua.infra.services import heartbeat_file
    from motcua.infra.state import prefect_api_url

    def body() -> None:
        s = settings()
        _wait_for_prefect(prefect_api_url(s))
        say(f"watching {s.intake_bucket} every {s.intake_poll_seconds:.1f} s (Ctrl-C stops)")
        with on_server(s):
            run_watcher(s, heartbeat=str(heartbeat_file(s)))

    run(False, body)


@app.command()
def worker(
    status_port: Annotated[int | None, typer.Option(
        "--status-port", help="Serve the worker's status on this loopback port.")] = None,
) -> None:
    """Run dossiers the watcher hands out (blocks), MOTCUA_WORKER_CONCURRENCY at a time."""
    from motcua.flows.launch import on_server_settings
    from motcua.flows.service import run_worker
    from motcua.infra.state import prefect_api_url

    def body() -> None:
        s = settings()
        _wait_for_prefect(prefect_api_url(s))
        say(f"worker: {s.worker_concurrency} dossier(s) at a time (Ctrl-C stops)")
        with on_server_settings(s):  # no log drain at exit: the worker's loop owns it
            run_worker(s, status_port=status_port)

    run(False, body)
