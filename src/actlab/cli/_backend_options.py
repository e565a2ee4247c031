"""The options that choose where ``compare`` and ``sweep`` train: ``--backend`` and ``--address``."""

from __future__ import annotations

from typing import Annotated

import typer

from actlab.backends import BACKENDS, DEFAULT_BACKEND, RAY_INSTALL

BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        metavar="|".join(BACKENDS),
        help="Where the runs train: local (worker processes on this machine) or ray (one Ray task "
        f"per group of runs, on this machine or a cluster; needs {RAY_INSTALL}).",
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address",
        show_default=False,
        help="With --backend ray: the Ray cluster to join (host:port, or auto for the one `ray start` "
        "started here; default $RAY_ADDRESS). Without it, Ray starts on this machine with its cores.",
    ),
]

__all__ = ["DEFAULT_BACKEND", "AddressOpt", "BackendOpt"]
