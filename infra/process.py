"""Managed services: start a server in the background, recognise it later, stop only it.

``motcua up`` exits right after starting the servers and ``motcua down`` runs later, in another
process. So what recognises "our" server is written down in a :class:`ServiceRecord` (pid, the
kernel's start time of that pid, the exact argv) and checked before every signal: a pid the OS
recycled for somebody else's process fails the check and is never signalled.

A server is a :class:`ManagedService` whose ``build`` gives a :class:`ServiceSpec` (argv,
environment, working directory, log file, readiness probe, configuration files, sockets to clean
up) for a set of ports; :data:`motcua.infra.stack.SERVICES` lists them.

Linux only (it reads ``/proc``), like the rest of the embedded stack.

Why this module is long (~330 lines): launching, recognising (pid + kernel start time + argv from
``/proc``), signalling, reaping and socket clean-up of one process are one safety contract: the
identity check must run before every signal, which is easiest to see, and to keep, in one place.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from motcua.errors import ConfigurationError
from motcua.infra.credentials import write_private_text
from motcua.settings import Settings
from motcua.storage.credentials import StackCredentials

Probe = Callable[[], str | None]
"""Readiness check: ``None`` when the service answers as it should, else what is still wrong."""

Progress = Callable[[str], None]

# All a child inherits from the shell that runs `motcua up`: AWS_*, PREFECT_*, WEED_*, proxies
# and the like are dropped, so that a user's environment cannot reconfigure our servers.
_INHERITED = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ")

# Children started by this process, kept so that they are reaped (no zombies, no ResourceWarning).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ServiceSpec:
    """Everything needed to start one server and to know when it is ready.

    ``argv`` must be a pure function of the settings and the ports, because ``up`` rebuilds the
    spec from the recorded ports and compares argvs to decide whether a running process is ours.
    ``config_files`` (path → content, written 0600 by :func:`launch`) are compared the same way:
    a server whose configuration file would now be written differently is restarted, not reused.
    """

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path
    log_file: Path
    probe: Probe
    ports: Mapping[str, int] = field(default_factory=dict)
    urls: Mapping[str, str] = field(default_factory=dict)
    cleanup: tuple[Path, ...] = ()
    config_files: Mapping[Path, str] = field(default_factory=dict)
    start_timeout: float = 120.0
    stop_grace: float = 5.0


@dataclass(frozen=True)
class ManagedService:
    """One server of the stack: its port names, how to build its spec, when it is wanted.

    Ports are free ones picked by :func:`allocate_ports` unless ``fixed_ports`` says which (a
    server whose address is baked into something, like the test PKI's OCSP URL in certificates).
    ``prepare`` runs before every start (folders, generated material).
    """

    name: str
    ports: tuple[str, ...]
    build: Callable[[Settings, StackCredentials, dict[str, int]], ServiceSpec]
    prepare: Callable[[Settings], None] = lambda settings: None
    enabled: Callable[[Settings], bool] = lambda settings: True
    fixed_ports: Callable[[Settings], dict[str, int]] | None = None
    after_archive: bool = False
    """Started only once the buckets exist and object lock is proven (the service processes)."""


class ServiceRecord(BaseModel):
    """What ``stack.json`` keeps about one started server."""

    model_config = ConfigDict(frozen=True)

    name: str
    pid: int
    start_ticks: int
    argv: tuple[str, ...]
    ports: dict[str, int]
    urls: dict[str, str]
    log_file: Path
    cleanup: tuple[Path, ...]
    stop_grace: float
    started_at: datetime


class ServiceExited(ConfigurationError):
    """The server died while starting (bad flag, port taken meanwhile): worth one retry."""


class _Stat(NamedTuple):
    state: str
    pgrp: int
    start_ticks: int


# --- recognising a process -----------------------------------------------------------------------


def _stat(pid: int) -> _Stat | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2 :].split()  # the command name may contain spaces
    return _Stat(state=fields[0], pgrp=int(fields[2]), start_ticks=int(fields[19]))


def _cmdline(pid: int) -> tuple[str, ...] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return tuple(os.fsdecode(a) for a in raw.rstrip(b"\0").split(b"\0")) if raw else None


def is_running(record: ServiceRecord) -> bool:
    """The recorded process is alive and is still the one we started (start time and argv)."""
    st = _stat(record.pid)
    if st is None or st.state in ("Z", "X") or st.start_ticks != record.start_ticks:
        return False
    return _cmdline(record.pid) == record.argv


# --- start / wait / stop -------------------------------------------------------------------------


def inherited_env(tmp_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """A child's environment: a few harmless variables of ours, ``TMPDIR``, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k in _INHERITED}
    env["TMPDIR"] = str(tmp_dir)
    env.update(extra)
    return env


def config_is_current(spec: ServiceSpec) -> bool:
    """The configuration files on disk are what this spec would write."""
    try:
        return all(p.read_text(encoding="utf-8") == text for p, text in spec.config_files.items())
    except OSError:
        return False


def launch(spec: ServiceSpec) -> ServiceRecord:
    """Start the server in its own session (Ctrl-C in the terminal of ``up`` does not reach it)."""
    for path, text in spec.config_files.items():
        write_private_text(path, text)
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(spec.log_file, "ab") as log:
        log.write(f"\n--- motcua: starting {spec.name} at {datetime.now(UTC).isoformat()}\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(
                spec.argv, env=dict(spec.env), cwd=spec.cwd, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            raise ConfigurationError(f"cannot start {spec.name}: {exc}",
                                     hint="reinstall with infra/bootstrap.sh") from exc
    _CHILDREN[proc.pid] = proc
    st = _stat(proc.pid)
    return ServiceRecord(
        name=spec.name, pid=proc.pid, start_ticks=st.start_ticks if st else 0, argv=spec.argv,
        ports=dict(spec.ports), urls=dict(spec.urls), log_file=spec.log_file,
        cleanup=spec.cleanup, stop_grace=spec.stop_grace, started_at=datetime.now(UTC),
    )


def wait_ready(spec: ServiceSpec, record: ServiceRecord, progress: Progress) -> None:
    """Poll the probe until it passes; stop the server and raise if it dies or never gets ready."""
    deadline = time.monotonic() + spec.start_timeout
    last_reason: str | None = None
    while True:
        if not is_running(record):
            code = _reap(record.pid)
            remove_stale_sockets(record.cleanup)
            raise ServiceExited(
                f"{spec.name} exited while starting (exit code {code}). Last lines of "
                f"{spec.log_file}:\n{log_tail(spec.log_file)}",
                hint="fix what the log says, then run `motcua up` again",
            )
        reason = spec.probe()
        if reason is None:
            return
        if reason != last_reason:
            progress(f"{spec.name}: waiting ({reason})")
            last_reason = reason
        if time.monotonic() > deadline:
            stop(record)
            raise ConfigurationError(
                f"{spec.name} was not ready after {spec.start_timeout:.0f} s: {reason}. Last lines "
                f"of {spec.log_file}:\n{log_tail(spec.log_file)}",
                hint="the machine may be overloaded; run `motcua up` again or read the log",
            )
        time.sleep(0.25)


def stop(record: ServiceRecord) -> bool:
    """Stop the recorded server if it is still ours; True if it was running.

    SIGTERM to its process group, ``stop_grace`` seconds, then SIGKILL (SeaweedFS takes 17–27 s
    to honour SIGTERM, so its grace is short). Its leftover unix sockets are removed either way.
    """
    if not is_running(record):
        _wait_gone(record, 5.0)  # maybe a zombie leader still releasing its sockets
        remove_stale_sockets(record.cleanup)
        return False
    _signal(record, signal.SIGTERM)
    if not _wait_gone(record, record.stop_grace):
        _signal(record, signal.SIGKILL)
        if not _wait_gone(record, 15.0):
            raise ConfigurationError(
                f"{record.name} (pid {record.pid}) is still running after SIGKILL",
                hint="look at it with `ps`; it may be stuck in the kernel (disk I/O)",
            )
    remove_stale_sockets(record.cleanup)
    return True


def _signal(record: ServiceRecord, sig: signal.Signals) -> None:
    if not is_running(record):  # checked again right before each signal
        return
    st = _stat(record.pid)
    try:
        if st is not None and st.pgrp == record.pid:  # its own group, made by start_new_session
            os.killpg(record.pid, sig)
        else:
            os.kill(record.pid, sig)
    except ProcessLookupError:
        pass


def _exited(record: ServiceRecord) -> bool:
    """Fully gone, not merely a zombie leader: a Go server's leader shows ``Z`` while its other
    threads still hold its sockets (seen with ``weed``), until the task list is down to one."""
    st = _stat(record.pid)
    if st is None or st.start_ticks != record.start_ticks:
        return True
    if st.state not in ("Z", "X"):
        return _cmdline(record.pid) != record.argv  # alive: gone only if it is not ours
    try:
        return len(os.listdir(f"/proc/{record.pid}/task")) <= 1
    except OSError:
        return True


def _wait_gone(record: ServiceRecord, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        _reap(record.pid)
        if _exited(record):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _reap(pid: int) -> int | None:
    """Collect the exit status of a child of ours, so it does not linger as a zombie."""
    proc = _CHILDREN.get(pid)
    if proc is not None:
        code = proc.poll()
        if code is not None:
            del _CHILDREN[pid]
        return code
    try:
        _, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if status else None


# --- leftovers, logs ----------------------------------------------------------------------------


def remove_stale_sockets(paths: Iterable[Path], *, wait: float = 5.0) -> list[Path]:
    """Remove unix socket files that no live process has bound (seen: SeaweedFS leaves some).

    A Go server's threads can hold its sockets for a moment after the process was reported
    gone (more so on a loaded machine), so this retries for up to ``wait`` seconds.
    """
    paths = list(paths)
    removed: list[Path] = []
    deadline = time.monotonic() + wait
    while True:
        bound = _bound_unix_paths()
        for path in paths:
            if path.is_socket() and str(path) not in bound:
                path.unlink(missing_ok=True)
                removed.append(path)
        if not any(p.is_socket() for p in paths) or time.monotonic() > deadline:
            return removed
        time.sleep(0.1)


def _bound_unix_paths() -> set[str]:
    try:
        lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return set()
    return {parts[7] for line in lines if len(parts := line.split()) >= 8}


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 8192))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
