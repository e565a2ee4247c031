"""``actlab serve`` on the command line: its options reach the server, mistakes are one line and exit 2, and
a host other than loopback is warned about. (The server itself: test_serve_*.py.)"""

from __future__ import annotations

import socket

import pytest

import actlab.serve.server as server
from actlab.serve.server import is_loopback


def test_serve_is_listed(cli) -> None:
    result = cli("--help")
    assert result.code == 0 and "serve" in result.out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--port", "70000"], "--port must be a number from 1 to 65535 (0: any free port), got 70000"),
        (["--port", "-1"], "--port must be a number from 1 to 65535"),
        (["--host", "no-such-host.invalid"], "cannot listen on 'no-such-host.invalid'"),
        (["--port", "eighty"], "Invalid value for '--port'"),
    ],
)
def test_bad_options_are_one_line(cli, args: list[str], words: str) -> None:
    result = cli("serve", *args)
    assert result.code == 2 and result.err.startswith("actlab: error: ") and words in result.err
    assert result.err.count("\n") == 1


def test_a_busy_port_is_one_line(cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert (
        result.code == 2
        and f"cannot listen on 127.0.0.1:{port}" in result.err
        and "choose another --port" in result.err
    )


def test_options_reach_the_server_and_other_hosts_are_warned_about(cli, monkeypatch, tmp_path) -> None:
    calls = []

    def run(*args, on_ready) -> None:  # the real one listens, then says where; here only the saying
        calls.append(args)
        on_ready(f"http://{args[0]}:{args[1]}/")

    monkeypatch.setattr(server, "run", run)
    result = cli("serve", "--host", "0.0.0.0", "--port", "8123", "--open", "--out", str(tmp_path))
    assert result.code == 0 and calls == [("0.0.0.0", 8123, True, tmp_path)]
    assert "warning: listening on 0.0.0.0: other machines can reach this playground" in result.err
    assert "actlab playground at http://0.0.0.0:8123/" in result.out
    assert cli("serve", "--port", "8124").err == ""  # loopback: no warning


def test_loopback_addresses() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.3.4.5", "::1", "localhost", "LOCALHOST"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.2", "example.org"]))


def test_an_out_folder_runs_can_never_be_written_to_is_refused_before_serving(cli, tmp_path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    result = cli("serve", "--port", "0", "--out", str(a_file))
    assert result.code == 2 and result.err.count("\n") == 1
    assert "cannot write the exported runs to" in result.err
    assert "it is a file; give a new or existing folder" in result.err
