"""What every command shares: the app, the consoles, settings built once, errors → exit codes.

Every command takes ``--json`` and then prints exactly one JSON document on stdout (progress and
logs go to stderr), so scripts can rely on it. Exit codes are :class:`motcua.errors.ExitCode`,
the same for every command. An error message is never cut: messages go to stderr as plain,
soft-wrapped text (no framed box of fixed width), whatever the terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from motcua.errors import ConfigurationError, MotcuaError
from motcua.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="motcua: digitize, sign, archive and route one-stop-shop dossiers (hồ sơ TTHC).")

# Wide tables stay readable when piped into a file or `less`.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


class _State:
    data_dir: Path | None = None


_state = _State()


@app.callback()
def _main(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", envvar="MOTCUA_DATA_DIR",
        help="Embedded stack state (default ~/.motcua).")] = None,
) -> None:
    """motcua: digitize, sign, archive and route one-stop-shop dossiers (hồ sơ TTHC)."""
    _state.data_dir = data_dir


def settings() -> Settings:
    """The one settings object of this command, from ``--data-dir`` and ``MOTCUA_*``."""
    try:
        return Settings(data_dir=_state.data_dir) if _state.data_dir else Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"MOTCUA_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"invalid settings: {problems}",
                                 hint="fix the MOTCUA_* variables (README, Configuration)") from None


def say(message: str) -> None:
    err.print(f"[dim]·[/dim] {message}")


def emit(as_json: bool, payload: Any, human: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        human()


def run(as_json: bool, body: Callable[[], int | None]) -> None:
    """Run a command body; turn motcua's errors into a clear message and their exit code."""
    try:
        code = body() or 0
    except MotcuaError as exc:
        if as_json:
            emit(True, {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint}},
                 lambda: None)
        else:
            err.print(f"[bold red]error:[/bold red] {escape(exc.message)}")
            if exc.hint:
                err.print(f"[yellow]hint:[/yellow] {escape(exc.hint)}")
        raise typer.Exit(int(exc.exit_code)) from None
    raise typer.Exit(int(code))


def ensure_stack(settings: Settings) -> None:
    """Start what the settings leave to the embedded stack (S3, Prefect, the test PKI); with
    everything external, nothing is started."""
    if settings.embedded_s3 or not settings.prefect_api_url or settings.uses_test_pki:
        from motcua.infra import stack

        stack.up(settings, progress=say)
