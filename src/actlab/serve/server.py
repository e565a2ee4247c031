"""Running the playground: a listening socket of our own (so a busy port is a one-line error, and port 0
picks a free one), then uvicorn on it until Ctrl-C."""

from __future__ import annotations

import ipaddress
import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path

from actlab.errors import ActlabError
from actlab.serve.limits import Limits
from actlab.util.outputs import prepare_output_dir

WS_MAX_BYTES = 16 * 1024 * 1024  # the transport's own bound; the protocol refuses anything over 64 KB politely
# No per-message compression: on loopback, zlib on every 120 KB frame costs both sides more than it saves.


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; :class:`ActlabError` if that is impossible."""
    if isinstance(port, bool) or not 0 <= port <= 65535:
        raise ActlabError(f"--port must be a number from 1 to 65535 (0: any free port), got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ActlabError(f"cannot listen on {host!r}: {err.strerror}; give an address such as 127.0.0.1") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        hint = "choose another --port" if err.errno in (98, 48, 10048) else "check --host and --port"
        raise ActlabError(f"cannot listen on {host}:{port}: {err.strerror or err}; {hint}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = host if host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = False,
    runs_dir: Path | str = "actlab-runs",
    on_ready: Callable[[str], None] = lambda url: None,
    limits: Limits | None = None,
) -> None:
    """Serve the playground on ``host:port`` until interrupted; ``on_ready`` gets its address first."""
    import uvicorn

    from actlab.serve.app import create_app

    prepare_output_dir(runs_dir, "the exported runs")  # a place runs can never be written to: refused now
    sock = listen(host, port)
    url = url_of(sock, host)
    config = uvicorn.Config(
        create_app(limits, runs_dir),
        log_level="warning",
        ws_max_size=WS_MAX_BYTES,
        ws_per_message_deflate=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    on_ready(url)
    if open_browser:
        webbrowser.open(url)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
