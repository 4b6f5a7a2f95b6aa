"""``motcua up`` / ``down`` / ``status``: the embedded stack, started once and reused.

The stack is the list :data:`SERVICES` (SeaweedFS, the Prefect server, the test PKI's
services). ``up`` is idempotent: a service recorded in ``stack.json`` whose process is alive, is still the one we started (pid,
kernel start time, exact argv, same configuration files) and passes its probe is reused; the
others are started, all at once (startup takes ~5–15 s, reported through ``progress``). Then
the buckets are ensured and, whenever SeaweedFS was (re)started, the object-lock self-check
runs: if a locked version can be deleted, ``up`` stops the stack and raises
:class:`ConfigurationError`. ``down`` stops only what ``up`` recorded, after the same identity
check, and removes the unix sockets SeaweedFS leaves in ``/tmp``.

A server is one entry in :data:`SERVICES`; the test PKI's TSA/OCSP/CRL server
(:mod:`motcua.infra.pki_service`) shows how a small Python HTTP service is added.

``data_dir`` layout: ``stack.json`` (:class:`StackInfo`), ``credentials.json`` and
``s3-identities.json`` (0600), ``s3/`` (SeaweedFS data), ``prefect/`` (PREFECT_HOME), ``logs/``,
``tmp/`` (the servers' TMPDIR, 0700), ``.stack.lock``.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from motcua.errors import ConfigurationError
from motcua.infra import drop, pki_service, prefect_server, seaweed, services
from motcua.infra.credentials import load_or_create_credentials
from motcua.infra.ports import LOOPBACK, allocate_ports, port_is_free
from motcua.infra.process import (
    ManagedService,
    Progress,
    ServiceExited,
    ServiceRecord,
    ServiceSpec,
    config_is_current,
    is_running,
    launch,
    stop,
    wait_ready,
)
from motcua.infra.state import StackInfo, read_state, stack_path, write_state
from motcua.settings import Settings
from motcua.storage.credentials import StackCredentials, load_credentials
from motcua.storage.s3 import (
    EmbeddedS3,
    ObjectLockCheck,
    bucket_names,
    check_object_lock,
    ensure_buckets,
    make_client,
)

SERVICES: tuple[ManagedService, ...] = (
    seaweed.SERVICE_DEF, prefect_server.SERVICE_DEF, pki_service.SERVICE_DEF,
    services.WATCHER_DEF, services.WORKER_DEF, services.SCHEDULER_DEF,
    drop.SERVICE_DEF,
)

_REUSE_PROBE_SECONDS = 15.0


class ServiceStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    running: bool
    pid: int | None
    url: str | None  # the one to show: S3 endpoint, Prefect UI, ...
    urls: dict[str, str]
    log_file: Path | None
    detail: str


class StackStatus(BaseModel):
    """What ``motcua status`` shows. Access keys are masked; secrets are never included."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path
    running: bool
    services: dict[str, ServiceStatus]
    object_lock: ObjectLockCheck | None
    prefect_api_url: str | None
    prefect_ui_url: str | None
    credentials_file: Path | None
    identities: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def up(settings: Settings, *, progress: Progress | None = None) -> StackInfo:
    """Start what is missing, reuse what runs, ensure the buckets, prove object lock; then the
    service processes (watcher, worker), which need the buckets."""
    say = progress or (lambda message: None)
    # Scans of ID cards, names and CCCDs live here (work files, SQLite, SeaweedFS volumes whose
    # files bypass S3 authentication): other local users must not read them.
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    with _locked(settings):
        previous = read_state(settings)
        ports = dict(previous.last_ports) if previous else {}
        creds = load_or_create_credentials(settings)
        records: dict[str, ServiceRecord] = {}
        reused: list[str] = []
        wanted = _enabled(settings)
        for name, old in (previous.services.items() if previous else ()):
            if name not in {svc.name for svc in wanted} and stop(old):
                say(f"{name}: stopped (no longer wanted with these settings)")

        def bring_up(group: list[ManagedService], keep: dict | None = None) -> None:
            """Start or reuse each service of ``group``; ``keep``: stack.json fields to keep."""

            def state() -> StackInfo:
                info = _info(settings, records, reused, ports, previous)
                return info.model_copy(update=keep) if keep else info

            pending: list[tuple[ManagedService, ServiceSpec]] = []
            for svc in group:
                old = previous.services.get(svc.name) if previous else None
                if old is not None and is_running(old) and _problem(
                    svc, settings, creds, old, wait=_REUSE_PROBE_SECONDS
                ) is None:
                    say(f"{svc.name}: already running (pid {old.pid})")
                    records[svc.name] = old
                    reused.append(svc.name)
                    continue
                if old is not None:
                    stop(old)  # dead, replaced, reconfigured or unhealthy: clean up after it
                svc.prepare(settings)
                spec = svc.build(settings, creds, _ports_for(svc, settings, ports.get(svc.name)))
                say(f"{svc.name}: starting"
                    + (f" ({', '.join(f'{k} {v}' for k, v in spec.urls.items())})" if spec.urls else ""))
                records[svc.name] = launch(spec)
                ports[svc.name] = dict(spec.ports)
                pending.append((svc, spec))
            # recorded at once, so that `down` can stop them even if what follows fails
            write_state(settings, state())
            for svc, spec in pending:
                records[svc.name] = _wait_or_retry(svc, spec, records[svc.name], settings, creds, say)
                ports[svc.name] = records[svc.name].ports
                write_state(settings, state())

        bring_up([svc for svc in wanted if not svc.after_archive])
        info = _info(settings, records, reused, ports, previous)
        if settings.embedded_s3:  # a production S3: its buckets are not ours to configure
            info = _ensure_archive(settings, info, say)
        else:
            write_state(settings, info)
        services = [svc for svc in wanted if svc.after_archive]
        if services:
            kept = {"object_lock": info.object_lock, "buckets": info.buckets}
            bring_up(services, kept)
            info = _info(settings, records, reused, ports, previous).model_copy(update=kept)
            write_state(settings, info)
        return info


def down(settings: Settings) -> list[str]:
    """Stop what ``up`` started (only processes that are provably ours); the names stopped."""
    if not stack_path(settings).exists():
        return []
    with _locked(settings):
        info = read_state(settings)
        if info is None:
            return []
        stopped = [name for name, rec in reversed(info.services.items()) if stop(rec)]
        write_state(settings, _stopped(info))
        return stopped


def status(settings: Settings) -> StackStatus:
    """Per service: running (ours and answering) or not, pid, URLs; the object-lock check."""
    info = read_state(settings)
    creds = load_credentials(settings)
    services: dict[str, ServiceStatus] = {}
    for svc in _enabled(settings):
        rec = info.services.get(svc.name) if info else None
        alive = rec is not None and is_running(rec)
        problem = "not started" if rec is None else "stopped"
        if rec is not None and alive and creds is not None:
            problem = _problem(svc, settings, creds, rec, wait=0)
        urls = rec.urls if rec else {}
        services[svc.name] = ServiceStatus(
            name=svc.name, running=problem is None, pid=rec.pid if rec and alive else None,
            url=urls.get("s3") or urls.get("ui") or next(iter(urls.values()), None), urls=urls,
            log_file=rec.log_file if rec else None, detail=problem or "running",
        )
    return StackStatus(
        data_dir=settings.data_dir,
        running=bool(services) and all(s.running for s in services.values()),
        services=services,
        object_lock=info.object_lock if info else None,
        prefect_api_url=info.prefect_api_url if info else None,
        prefect_ui_url=info.prefect_ui_url if info else None,
        credentials_file=settings.data_dir / "credentials.json" if creds else None,
        identities=creds.masked() if creds else {},
    )


def _enabled(settings: Settings) -> list[ManagedService]:
    return [svc for svc in SERVICES if svc.enabled(settings)]


def _problem(
    svc: ManagedService, settings: Settings, creds: StackCredentials, rec: ServiceRecord,
    *, wait: float,
) -> str | None:
    """None if the recorded server is what we would start now and answers its probe."""
    spec = svc.build(settings, creds, rec.ports)
    if spec.argv != rec.argv or not config_is_current(spec):
        return "started with other settings"
    deadline = time.monotonic() + wait
    while (problem := spec.probe()) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    return problem


def _ports_for(
    svc: ManagedService, settings: Settings, previous: dict[str, int] | None
) -> dict[str, int]:
    if svc.fixed_ports is None:
        return allocate_ports(svc.ports, prefer=previous)
    fixed = svc.fixed_ports(settings)
    taken = sorted(p for p in fixed.values() if not port_is_free(p))
    if taken:
        raise ConfigurationError(
            f"{svc.name} must listen on 127.0.0.1 port(s) {taken}, which are taken",
            hint="stop whatever listens there (`ss -ltnp`), then run `motcua up` again",
        )
    return fixed


def _wait_or_retry(
    svc: ManagedService, spec: ServiceSpec, rec: ServiceRecord,
    settings: Settings, creds: StackCredentials, say: Progress,
) -> ServiceRecord:
    """Wait for readiness; if the server died at once (a port taken meanwhile), retry once."""
    began = time.monotonic()
    try:
        wait_ready(spec, rec, say)
    except ServiceExited as exc:
        if svc.fixed_ports is not None:
            raise
        say(f"{svc.name}: exited while starting, retrying on new ports ({exc.message.splitlines()[0]})")
        spec = svc.build(settings, creds, allocate_ports(svc.ports))
        rec = launch(spec)
        wait_ready(spec, rec, say)
    say(f"{svc.name}: ready after {time.monotonic() - began:.1f} s")
    return rec


def _info(
    settings: Settings, records: dict[str, ServiceRecord], reused: list[str],
    ports: dict[str, dict[str, int]], previous: StackInfo | None,
) -> StackInfo:
    sw, pf = records.get(seaweed.SERVICE), records.get(prefect_server.SERVICE)
    return StackInfo(
        data_dir=settings.data_dir,
        updated_at=datetime.now(UTC),
        services=dict(records),
        started=tuple(n for n in records if n not in reused),
        reused=tuple(reused),
        s3=EmbeddedS3(endpoint=f"{LOOPBACK}:{sw.ports['s3']}", region=settings.s3_region)
        if sw else None,
        object_lock=previous.object_lock if previous and seaweed.SERVICE in reused else None,
        prefect_api_url=pf.urls["api"] if pf else settings.prefect_api_url,
        prefect_ui_url=pf.urls["ui"] if pf else None,
        last_ports=dict(ports),
    )


def _ensure_archive(settings: Settings, info: StackInfo, say: Progress) -> StackInfo:
    """Buckets, then the self-check unless a passed one is kept for this very SeaweedFS."""
    admin = make_client(settings, "admin")
    created = ensure_buckets(admin, settings)
    if created:
        say(f"s3: created buckets {', '.join(created)}")
    check = info.object_lock
    if check is None or not check.ok:
        say("s3: object-lock self-check (a locked version must not be deletable)")
        check = check_object_lock(admin, settings.archive_bucket)
    info = info.model_copy(update={"object_lock": check, "buckets": bucket_names(settings)})
    if not check.ok:
        for rec in reversed(info.services.values()):
            stop(rec)
        write_state(settings, _stopped(info))
        check.raise_if_failed()
    say(f"s3: object lock enforced (deleting a locked version: {check.delete_refused_with})")
    write_state(settings, info)
    return info


def _stopped(info: StackInfo) -> StackInfo:
    ports = {**info.last_ports, **{name: rec.ports for name, rec in info.services.items()}}
    return info.model_copy(update={
        "services": {}, "started": (), "reused": (), "s3": None, "prefect_api_url": None,
        "prefect_ui_url": None, "last_ports": ports, "updated_at": datetime.now(UTC),
    })


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """One ``up``/``down`` at a time per data directory (two shells, two test sessions)."""
    with open(settings.data_dir / ".stack.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
