"""The `motcua` command line: the face where settings are built and errors become exit codes.

One module per command group (``stack``, ``digitize``, ``route``, ``reuse``, ``search``, ``audit``, ``bench``) registers its
commands on :data:`motcua.cli.base.app`; :func:`main` is the console script. It runs the app
without click's standalone mode so that argument errors are printed here, whole (never a framed
box cut to the terminal's width), and exit 2 like every other invalid argument.
"""

from __future__ import annotations

import sys

import typer

# typer 0.29 carries its own click; its exception classes live here.
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from motcua.cli.base import app
from motcua.errors import ExitCode

# Importing a command module registers its commands; this order is the order of `motcua --help`.
# isort: off
from motcua.cli import stack, digitize, route, reuse, search, kpi, audit, bench, service  # noqa: E402, F401
# isort: on

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run ``motcua`` with ``argv`` (default: the process's arguments); exit with its code."""
    try:
        code = app(args=argv, prog_name="motcua", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        sys.stdout.write(exc.ctx.get_help() + "\n")
        code = ExitCode.OK
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "motcua"
        sys.stderr.write(f"error: {exc.format_message()}\n"
                         f"hint: run `{command} --help` for the arguments it takes\n")
        code = ExitCode.BAD_INPUT
    except typer.TyperException as exc:
        sys.stderr.write(f"error: {exc.format_message()}\n")
        code = exc.exit_code
    except typer.Abort:
        sys.stderr.write("aborted\n")
        code = 130
    sys.exit(int(code or 0))
