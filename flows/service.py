"""motcua as a service (DESIGN §4): a watcher that turns complete intake folders into rounds,
and workers that run them, on Prefect's own machinery.

- :func:`intake_watch` is a flow that runs as long as its process: every
  ``MOTCUA_INTAKE_POLL_SECONDS`` it lists the intake bucket (:func:`motcua.services.intake_watch.poll`;
  an idle poll is deliberately not a task run, one a second would flood the Prefect database),
  logs what it opened, and hands each new round to the workers.
- :func:`process_round` is a Prefect task served by task workers (``motcua worker``,
  ``prefect.task_worker.serve``): long-lived processes with everything imported and the signing
  key open, so a dossier pays no start-up. The watcher submits one ``process_round`` per round
  (``.delay()``, distributed by the Prefect server to whichever worker is free, on any machine);
  it takes no parameters (so nothing has to be stored for it: no shared result storage between
  machines), and claims the oldest waiting round in the database, where a conditional update
  decides who runs it. Two deliveries of one round (a watcher killed between submitting and
  recording it) thus give one ``digitize-dossier`` run; the other finds nothing to do.
- It is a task that lives here because it starts a flow, and tasks/ never imports flows.

Prefect's flow-run heartbeat is switched off in these processes (and where motcua runs flows
in-process): in Prefect 3.9.1 its thread sleeps in whole seconds and is joined when a run ends,
adding ~1 s to every run (seen: 1.15 s → 0.18 s for an empty flow). Nothing here relies on it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prefect import flow, get_run_logger, task
from prefect import tags as prefect_tags
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

from motcua.flows.digitize import digitize_dossier, this_process
from motcua.services import intake_watch as watch
from motcua.services import round_leases as leases
from motcua.settings import Settings

_QUIET: dict[int, tuple[object, object]] = {}  # id(settings) → (those settings, the same quiet)


@contextmanager
def no_flow_heartbeat() -> Iterator[None]:
    """Prefect's settings without the flow-run heartbeat, made once per settings object:
    ``temporary_settings`` rebuilds (and re-validates) every setting on each call, which cost
    ~40 ms of a worker's CPU per dossier (py-spy, 2026-12-02)."""
    import prefect.context

    current = prefect.context.get_settings_context()
    held = _QUIET.get(id(current.settings))
    if held is None or held[0] is not current.settings:
        held = (current.settings, current.settings.copy_with_update(
            updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}))
        _QUIET[id(current.settings)] = held
    with prefect.context.SettingsContext(profile=current.profile, settings=held[1]):
        yield


def _never_cached(context, parameters) -> None:
    """No cache key: every delivery runs. (A task worker replaces ``NO_CACHE`` by Prefect's
    default policy, under which a task without parameters has one key and every delivery after
    the first came back ``Cached`` without running: seen with 3.9.1.)"""
    return None


_SERVED: list[Settings] = []  # the settings `motcua worker` was started with


def worker_settings() -> Settings:
    """The settings of the worker this runs in: those of ``run_worker`` (``--data-dir``
    included), else the environment's. (A worker started with ``--data-dir`` alone had built
    ``Settings()`` here and claimed from the default data directory: every delivery found
    nothing to do, and the rounds it was rung for waited for ever.)"""
    return _SERVED[-1] if _SERVED else Settings()


@task(name="process-round", task_run_name="process-round", cache_key_fn=_never_cached)
def process_round() -> str:
    """Claim the oldest waiting round and run ``digitize-dossier`` on it (see the module)."""
    settings = worker_settings()
    claimed = watch.claim_next(settings, worker=this_process())
    if claimed is None:
        STATUS.count("idle")
        return "nothing to do: another worker took the round"
    STATUS.count("running")
    try:
        with no_flow_heartbeat(), prefect_tags(*_run_tags(settings, claimed.dossier_code)), \
                outside_this_task_run():
            digitize_dossier(claimed.dossier_code, settings, round_pk=claimed.pk)
    finally:
        STATUS.count("running", -1)
        STATUS.count("done")
    return f"{claimed.dossier_code} round {claimed.number}: done"


@contextmanager
def outside_this_task_run() -> Iterator[None]:
    """The dossier's run as a run of its own, not inside this ``process-round`` task run.

    Prefect 3.9.1 leaves the task's context in place in a flow called from a task, and
    ``get_run_logger()`` and ``prefect.runtime.task_run`` look at the task first: every log line
    of the dossier's run went to the delivery's task run (which belongs to the watcher's flow
    run), none to ``digitize/<code>``, where the operator looks (seen 2026-12-03)."""
    from prefect.context import TaskRunContext

    token = TaskRunContext.__var__.set(None)  # type: ignore[arg-type]
    try:
        yield
    finally:
        TaskRunContext.__var__.reset(token)


def _run_tags(settings: Settings, code: str) -> list[str]:
    """The dossier's tags (agency, procedure), given to its run when it is created: tagging the
    run afterwards cost two more calls to the server per dossier. Empty if the manifest cannot
    be read now: the run then tags itself, or fails with what went wrong (tasks/rounds.py)."""
    try:
        return watch.tags_for(settings, code)
    except Exception as exc:  # noqa: BLE001 (the run itself reports it, with the round)
        get_run_logger().info("dossier %s: tags left to the run (%s)", code, type(exc).__name__)
        return []


def ring(settings: Settings) -> int:
    """Hand every round nobody was asked to take to the workers; how many."""
    rounds = watch.unrung(settings)
    if not rounds:
        return 0
    with one_api_client():
        for round_ in rounds:
            process_round.delay()
            watch.mark_rung(settings, round_.pk)
    return len(rounds)


@contextmanager
def one_api_client() -> Iterator[None]:
    """Every ``.delay()`` inside uses one Prefect API client.

    ``Task.delay()`` otherwise opens a client of its own each time, and a new client builds a
    TLS context (certifi's bundle parsed again) even for an ``http://`` API: 27 ms of the
    watcher's CPU per delivery (py-spy, 2026-12-03, Prefect 3.9.1). ``delay()`` runs on
    Prefect's run-sync event loop with this thread's context variables, and takes the client of
    an :class:`~prefect.context.AsyncClientContext` that was entered on that loop (Prefect's
    clients are re-entrant), so the client is entered there and the context set here.
    """
    from prefect.context import AsyncClientContext
    from prefect.utilities.asyncutils import run_coro_as_sync

    context = AsyncClientContext()
    run_coro_as_sync(context.client.__aenter__())
    token = AsyncClientContext.__var__.set(context)
    try:
        yield
    finally:
        AsyncClientContext.__var__.reset(token)
        run_coro_as_sync(context.client.__aexit__(None, None, None))


@flow(name="intake-watch", flow_run_name="intake-watch/{watcher}", validate_parameters=False)
def intake_watch(settings: Settings | None = None, watcher: str = "",
                 max_seconds: float | None = None, heartbeat: str | None = None) -> int:
    """Poll the intake bucket until stopped (or for ``max_seconds``); rounds opened.
    ``heartbeat``: a file rewritten after every poll (the stack's readiness probe)."""
    settings = settings or Settings()
    watcher = watcher or this_process()
    logger = get_run_logger()
    logger.info("watching intake every %.1f s (quiet period %.0f s) as %s",
                settings.intake_poll_seconds, settings.intake_quiet_seconds, watcher)
    ring(settings)  # rounds a stopped watcher opened but never handed on
    opened = 0
    started = time.monotonic()
    looked_for_silent = float("-inf")  # silent rounds are looked for once a heartbeat, not a poll
    while True:  # at least one poll, also with max_seconds=0 (the "once" deployment)
        try:
            result = watch.poll(settings, watcher=watcher)
        except Exception as exc:  # S3 or the database away: say so, keep watching
            logger.warning("intake poll failed, retrying: %s: %s", type(exc).__name__, exc)
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                raise
            time.sleep(max(settings.intake_poll_seconds, 5.0))
            continue
        for item in result.opened:
            logger.info("dossier %s: round %d opened with %d file(s) (%s)", item.round.dossier_code,
                        item.round.number, item.files, "dossier.json arrived"
                        if item.why == "manifest" else "quiet period over")
        for key in result.misplaced:
            logger.warning("an object outside any dossier folder was quarantined → %s/%s",
                           settings.quarantine_bucket, key)
        opened += len(result.opened)
        due = time.monotonic() - looked_for_silent >= settings.round_heartbeat_seconds
        if due:
            looked_for_silent = time.monotonic()
        for back in _reclaim(settings) if due else ():
            logger.warning("dossier %s: round %d was running on %s, silent since %s (worker or "
                           "machine down?): handed to the workers again", back.round.dossier_code,
                           back.round.number, back.worker or "?", back.last_sign.isoformat())
        ring(settings)
        if heartbeat:
            watch.write_heartbeat(heartbeat, watcher=watcher, result=result, opened=opened)
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            return opened
        time.sleep(settings.intake_poll_seconds)


def _reclaim(settings: Settings) -> list:
    """Rounds to hand on again: silent running ones (returned, to be logged) and rung ones
    never taken (logged here)."""
    try:
        for round_ in leases.ring_again(settings):
            get_run_logger().info("dossier %s: round %d not taken %.0f s after it was handed on: "
                                  "handed on again", round_.dossier_code, round_.number,
                                  settings.round_stale_seconds)
        return leases.reclaim(settings)
    except Exception as exc:  # the database away: the next poll tries again
        get_run_logger().warning("could not look for silent rounds: %s: %s", type(exc).__name__, exc)
        return []


def run_watcher(settings: Settings, *, heartbeat: str | None = None) -> None:
    """The watcher process (``motcua watch``): the intake-watch flow, as long as it lives."""
    with no_flow_heartbeat():
        intake_watch(settings, watcher=this_process(), heartbeat=heartbeat)


def run_worker(settings: Settings, *, status_port: int | None = None) -> None:
    """A worker process (``motcua worker``): serves :func:`process_round`,
    ``MOTCUA_WORKER_CONCURRENCY`` rounds at once; its status on ``status_port`` (loopback).

    The status is motcua's own small server (:class:`WorkerStatus`): Prefect's
    ``status_server_port`` starts uvicorn, whose logging set-up flushes Prefect's API log
    handler from the running event loop and kills the worker (seen with 3.9.1).

    One Prefect API client serves every delivery: the task worker runs each in a thread of its
    own, where Prefect otherwise opens a new client per task run, and a new client builds a TLS
    context (the CA bundle parsed again) even for an ``http://`` API: ~36 ms of the worker's CPU
    per dossier (py-spy, 2026-12-03). Prefect's own thread-pool task runner shares its flow's
    client between threads the same way."""
    from prefect.context import SyncClientContext
    from prefect.task_worker import serve

    _SERVED.append(settings)
    if status_port is not None:
        STATUS.serve(status_port, limit=settings.worker_concurrency)
    with no_flow_heartbeat(), SyncClientContext.get_or_create():
        serve(process_round, limit=settings.worker_concurrency)


class WorkerStatus:
    """Counts of this worker's rounds, served as JSON on ``GET /status`` (127.0.0.1 only)."""

    def __init__(self) -> None:
        self.started_at = time.time()
        self.running = 0
        self.done = 0
        self.idle = 0  # deliveries that found nothing to claim
        self.limit = 0
        self._lock = threading.Lock()

    def count(self, field: str, delta: int = 1) -> None:
        with self._lock:
            setattr(self, field, getattr(self, field) + delta)

    def as_json(self) -> dict:
        return {"process": this_process(), "limit": self.limit, "running": self.running,
                "done": self.done, "idle_deliveries": self.idle,
                "up_seconds": round(time.time() - self.started_at, 1)}

    def serve(self, port: int, *, limit: int) -> None:
        self.limit = limit
        status = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = json.dumps(status.as_json()).encode()
                self.send_response(200 if self.path == "/status" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # no access log
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, name="worker-status", daemon=True).start()


STATUS = WorkerStatus()
