"""``data_dir/stack.json``: what ``motcua up`` started, where it listens, and the Prefect API.

Written by :mod:`motcua.infra.stack` (atomically, under its lock); read by anything that must
find the embedded stack: the S3 client factory (its ``s3`` section), the flow launcher (the
Prefect API URL), ``status`` and ``down``.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from motcua.errors import ConfigurationError, StackNotRunning
from motcua.infra.process import ServiceRecord
from motcua.settings import Settings
from motcua.storage.s3 import STACK_FILE, EmbeddedS3, ObjectLockCheck


class StackInfo(BaseModel):
    """What ``up`` started: exactly the content of ``data_dir/stack.json``."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    data_dir: Path
    updated_at: datetime
    services: dict[str, ServiceRecord]
    started: tuple[str, ...] = ()  # by the last `up`
    reused: tuple[str, ...] = ()  # found running by the last `up`
    s3: EmbeddedS3 | None = None  # read by motcua.storage.s3.make_client
    buckets: tuple[str, ...] = ()
    object_lock: ObjectLockCheck | None = None
    prefect_api_url: str | None = None
    prefect_ui_url: str | None = None
    last_ports: dict[str, dict[str, int]] = {}  # kept after `down`: the next `up` reuses them

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def prefect_api_url(settings: Settings) -> str:
    """The Prefect API the flows report to: ``MOTCUA_PREFECT_API_URL``, else the stack's server."""
    if settings.prefect_api_url:
        return settings.prefect_api_url
    state = read_state(settings)
    url = state.prefect_api_url if state else None
    if not url:
        raise StackNotRunning("the Prefect server is not running", hint="run `motcua up`")
    return url


def prefect_ui_url(settings: Settings) -> str:
    return prefect_api_url(settings).removesuffix("/api")


def stack_path(settings: Settings) -> Path:
    return settings.data_dir / STACK_FILE


def read_state(settings: Settings) -> StackInfo | None:
    """The content of ``stack.json``, or None if ``up`` never ran in this data directory."""
    path = stack_path(settings)
    try:
        return StackInfo.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValidationError as exc:
        raise ConfigurationError(
            f"{path} is not a stack file motcua can read ({exc.error_count()} problems)",
            hint="stop the servers it lists by hand, remove the file, run `motcua up`",
        ) from exc


def write_state(settings: Settings, info: StackInfo) -> None:
    path = stack_path(settings)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(info.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
