"""``actlab serve``: the live web playground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from actlab.cli import app
from actlab.cli._common import console, err_console


@app.command("serve")
def serve_cmd(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; anything but loopback is reachable by others.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for runs exported from the page.")] = Path(
        "actlab-runs"
    ),
) -> None:
    """Start the playground: datasets, a network you shape, live heatmaps, diagnostics, in your browser."""
    from actlab.serve.server import is_loopback, run

    def ready(url: str) -> None:
        if not is_loopback(host):
            warning = (
                f"warning: listening on {host}: other machines can reach this playground and make it train; "
                "use the default 127.0.0.1 unless you mean it"
            )
            err_console.print(warning, highlight=False, soft_wrap=True)
        console.print(
            f"actlab playground at {url}  (Ctrl-C stops it; exported runs go to {out}/)",
            highlight=False,
            soft_wrap=True,
        )

    run(host, port, open_browser, out, on_ready=ready)
