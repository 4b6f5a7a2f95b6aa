"""The `motcua` command line."""

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def version() -> None:
    """Print motcua's version."""
    from motcua import __version__

    typer.echo(__version__)
