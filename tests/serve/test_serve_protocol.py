"""The playground's protocol over a real WebSocket without a browser (FastAPI's TestClient): the greeting,
every kind of bad input answered with an error while the server and other pages carry on, flow control,
training xor past 90 %, sessions freed on close, bounded in number and idle time, and export."""

from __future__ import annotations

import gc
import io
import json
import re
import time
import weakref
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from actlab.serve.app import create_app
from actlab.serve.connection import FULL_CLOSE, IDLE_CLOSE, VERSION_CLOSE
from actlab.serve.limits import Limits
from actlab.serve.protocol import VERSION, ProtocolError, parse_message, unpack_binary
from actlab.training.rundir import load_run

GREETING = ["ready", "state", "data", "network", "features", "frame", "status"]


def decode(message: dict[str, Any]) -> dict[str, Any]:
    """A received WebSocket message as a dict; binary frames become {"type", "header", "payload"}."""
    if message.get("text") is not None:
        return json.loads(message["text"])
    if message.get("bytes") is not None:
        header, payload = unpack_binary(message["bytes"])
        return {"type": header["type"], "header": header, "payload": payload}
    return {"type": message["type"], "code": message.get("code")}


def receive(ws: Any) -> dict[str, Any]:
    return decode(ws.receive())


def until(ws: Any, kind: str, limit: int = 200) -> dict[str, Any]:
    """Messages until one of type ``kind`` (acknowledging frames on the way); returns that one."""
    for _ in range(limit):
        message = receive(ws)
        if message["type"] == kind:
            return message
        if message["type"] == "frame":
            ws.send_json({"type": "ack", "frame": message["header"]["frame"]})
    raise AssertionError(f"no {kind} message in {limit}")


def greet(ws: Any) -> list[dict[str, Any]]:
    ws.send_json({"type": "hello", "version": VERSION})
    return [receive(ws) for _ in GREETING]


@pytest.fixture
def app(tmp_path: Path):
    return create_app(Limits(), runs_dir=tmp_path / "runs")


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


# --- the greeting and the frame layout ------------------------------------------------------------------


def test_greeting_and_frame_layout(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        messages = greet(ws)
        assert [m["type"] for m in messages] == GREETING
        ready, state, data, network, features, frame, status = messages
        assert ready["version"] == VERSION and ready["schema"]["max_width"] == 8
        assert {p["key"] for p in ready["presets"]} >= {"s1-nonlinearity", "s5-dead"}
        assert state["state"]["data"] == "circle" and network["layers"] == [4, 2]
        assert len(data["train"]) == 250 and len(data["test"]) == 250
        g = frame["header"]["grid"]
        assert len(features["payload"]) == 2 * g * g  # x1, x2
        assert len(frame["payload"]) == (4 + 2 + 1) * g * g  # every hidden unit and the output
        assert status == {"type": "status", "playing": False, "epoch": 0}
        assert set(network["curves"]) == {"tanh"} and len(network["curves"]["tanh"]["f"]) == 121


def test_the_page_is_served_with_its_modules_and_fetches_nothing_else(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<script type="module" src="/static/js/main.js">' in page.text
    assert all(link.startswith(("/static/", "data:")) for link in re.findall(r'(?:src|href)="([^"]*)"', page.text))
    for module in ("main", "state", "socket", "heatmap", "network", "charts", "colors", "i18n"):
        response = client.get(f"/static/js/{module}.js")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]
        assert all(spec.startswith("./") for spec in re.findall(r'from "([^"]+)"', response.text))
        assert (
            "fetch(" not in response.text and "XMLHttpRequest" not in response.text and "import(" not in response.text
        )
    assert "url(" not in client.get("/static/style.css").text


# --- bad input: an error for the page, the server and other pages carry on -------------------------------

BAD = [
    ('{"type": "state", "state": {"act": ["rleu", "tanh"]}}', "bad_value", "unknown activation 'rleu'"),
    ('{"type": "state", "state": {"layers": [0, 2]}}', "bad_value", "1 to 8 neurons, got 0"),
    ('{"type": "state", "state": {"layers": [100]}}', "bad_value", "1 to 8 neurons, got 100"),
    ('{"type": "state", "state": {"lr": NaN}}', "bad_json", "NaN is not JSON"),
    ('{"type": "state", "state": {"lr": "nan"}}', "bad_value", "lr must be a finite number"),
    ('{"type": "state", "state": {"lr": 1e999}}', "bad_value", "lr must be a finite number"),
    ('{"type": "state", "state": [1, 2]}', "bad_message", "state has the wrong type"),
    ('{"type": "state"', "bad_json", "malformed JSON"),
    ("not json at all", "bad_json", "malformed JSON"),
    ('["play"]', "bad_message", "JSON object"),
    ('{"type": "explode"}', "unknown_type", "unknown message type 'explode'"),
    ('{"type": "play", "speed": 2}', "bad_message", "unknown field 'speed'"),
    ('{"type": "ack"}', "bad_message", "field 'frame' is missing"),
    ('{"type": "ack", "frame": true}', "bad_message", "frame has the wrong type"),
    ('{"type": "ask", "text": "' + "5" * 300 + '"}', "bad_message", "longer than 200"),
    ('{"type": "ask", "text": "5 * 3"}', "refused", "classifies points (a, b)"),
    ('{"type": "csv", "text": "1,2,7"}', "refused", "label 7 is not 0 or 1"),
    ("x" * (10 * 1024 * 1024), "too_big", "10,485,760 bytes refused"),
    ('{"a":' * 10_000 + "1" + "}" * 10_000, "bad_json", "nested too deeply"),  # 60 KB, under the limit
    ("[" * 30_000 + "]" * 30_000, "bad_json", "nested too deeply"),
]


@pytest.mark.parametrize(("raw", "code", "words"), BAD, ids=[b[1] + ":" + b[0][:30] for b in BAD])
def test_bad_input_gets_an_error_and_the_page_carries_on(client: TestClient, raw: str, code: str, words: str) -> None:
    with client.websocket_connect("/ws") as ws, client.websocket_connect("/ws") as other:
        greet(ws)
        greet(other)
        ws.send_text(raw)
        error = receive(ws)
        assert error["type"] == "error" and error["code"] == code and words in error["message"], error
        if code == "bad_value":
            assert receive(ws) == {"type": "state", "state": greet_state()}  # the state in force, for the controls
        ws.send_json({"type": "ping", "id": 7})
        assert receive(ws) == {"type": "pong", "id": 7}  # this page carries on
        other.send_json({"type": "step"})
        assert until(other, "frame")["header"]["epoch"] == 1  # and so does the other page


def greet_state() -> dict[str, Any]:
    from actlab.serve.state import State

    return State().to_dict()


def test_binary_messages_and_messages_before_hello_are_refused(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "play"})
        assert receive(ws)["code"] == "no_hello"
        greet(ws)
        ws.send_bytes(b"\x00" * 100)
        assert receive(ws)["code"] == "bad_message"


def test_protocol_version_mismatch_closes(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "version": 99})
        assert receive(ws)["code"] == "version"
        assert receive(ws) == {"type": "websocket.close", "code": VERSION_CLOSE}


def test_parse_message_directly() -> None:
    assert parse_message('{"type": "ack", "frame": 3}', 100).fields == {"frame": 3}
    with pytest.raises(ProtocolError, match=r"refused: the limit is 10 bytes"):
        parse_message('{"type": "ack", "frame": 3}', 10)


# --- training and flow control ---------------------------------------------------------------------------


def test_xor_trains_past_90_percent(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        ws.send_json({"type": "state", "state": {"data": "xor", "layers": [8, 8], "act": "relu", "lr": 0.03}})
        assert until(ws, "state")["state"]["act"] == ["relu", "relu"]
        accuracy = 0.0
        for _ in range(40):
            ws.send_json({"type": "step"})
            accuracy = until(ws, "frame")["header"]["nets"][0]["acc"]["test"]
            if accuracy > 0.9:
                break
        assert accuracy > 0.9


def test_play_sends_only_as_many_frames_as_the_page_has_drawn(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        ws.send_json({"type": "ack", "frame": 1})  # the greeting's frame was drawn
        ws.send_json({"type": "play"})
        assert receive(ws) == {"type": "status", "playing": True, "epoch": 0}
        frames = [receive(ws), receive(ws)]
        assert [f["type"] for f in frames] == ["frame", "frame"]  # Limits.frames_in_flight = 2
        ws.send_json({"type": "ping", "id": 1})
        assert receive(ws) == {"type": "pong", "id": 1}  # no third frame before an ack
        ws.send_json({"type": "ack", "frame": frames[-1]["header"]["frame"]})
        third = receive(ws)
        assert third["type"] == "frame" and third["header"]["steps"] > frames[-1]["header"]["steps"]
        ws.send_json({"type": "pause"})
        assert until(ws, "status")["playing"] is False


def test_play_streams_even_when_earlier_frames_were_never_acknowledged(client: TestClient) -> None:
    """A client that skips drawing the frames of its setup must not wait forever for them."""
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        for _ in range(2):
            ws.send_json({"type": "step"})
            until(ws, "status")
            assert receive(ws)["type"] == "frame"  # three frames now, none acknowledged
        ws.send_json({"type": "play"})
        assert receive(ws)["playing"] is True
        assert [receive(ws)["type"], receive(ws)["type"]] == ["frame", "frame"]


def test_divergence_while_playing_stops_and_says_so(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        features = ["x1", "x2", "x1sq", "x2sq", "x1x2"]
        ws.send_json({"type": "state", "state": {"data": "mul", "feat": features, "opt": "sgd", "lr": 10}})
        until(ws, "status")
        ws.send_json({"type": "play"})
        error = until(ws, "error")
        assert error["code"] == "training" and "training diverged" in error["message"]
        assert until(ws, "status")["playing"] is False
        ws.send_json({"type": "ping", "id": 3})
        assert until(ws, "pong")["id"] == 3


def test_a_diverged_network_is_not_exported(client: TestClient, tmp_path: Path) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        ws.send_json(
            {"type": "state", "state": {"data": "mul", "layers": [8] * 6, "act": ["relu"] * 6, "opt": "sgd", "lr": 10}}
        )
        until(ws, "status")
        ws.send_json({"type": "step"})
        assert "training diverged" in until(ws, "error")["message"]
        ws.send_json({"type": "export"})
        error = until(ws, "error")
        assert error["code"] == "refused" and "the model diverged" in error["message"]
        runs = tmp_path / "runs"
        assert not runs.exists() or not any(runs.iterdir())


def test_changes_while_playing_apply_live_or_rebuild(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        ws.send_json({"type": "step"})
        until(ws, "frame")
        ws.send_json({"type": "state", "state": {"lr": 0.1, "batch": 5, "reg": "l2", "rate": 0.001}})
        assert until(ws, "state")["state"]["lr"] == 0.1
        assert until(ws, "status")["epoch"] == 1  # kept training: nothing rebuilt
        ws.send_json({"type": "state", "state": {"layers": [3]}})
        assert until(ws, "network")["layers"] == [3]
        assert until(ws, "frame")["header"]["epoch"] == 0  # a new network


# --- sessions: freed, bounded, idle ----------------------------------------------------------------------


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_a_page_closed_mid_training_frees_its_session(client: TestClient, app) -> None:
    manager = app.state.manager
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        session = next(iter(manager.sessions.values()))
        model = weakref.ref(session.learners[0].model)
        del session
        ws.send_json({"type": "play"})
        until(ws, "frame")
    assert wait_for(lambda: len(manager) == 0)
    assert wait_for(lambda: (gc.collect(), model() is None)[1])  # the network's memory is released


def test_sessions_are_bounded(tmp_path: Path) -> None:
    client = TestClient(create_app(Limits(max_sessions=2), tmp_path))
    with client, client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        greet(a)
        greet(b)
        with client.websocket_connect("/ws") as c:
            error = receive(c)
            assert error["code"] == "full" and "2 pages open" in error["message"]
            assert receive(c) == {"type": "websocket.close", "code": FULL_CLOSE}
        a.send_json({"type": "ping", "id": 1})
        assert receive(a) == {"type": "pong", "id": 1}


def test_idle_pages_are_closed(tmp_path: Path) -> None:
    app = create_app(Limits(idle_seconds=0.3), tmp_path)
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        greet(ws)
        closed = receive(ws)
        assert closed["code"] == "closed" and "without activity" in closed["message"]
        assert receive(ws) == {"type": "websocket.close", "code": IDLE_CLOSE}
        assert wait_for(lambda: len(app.state.manager) == 0)


# --- own data, compare, export ---------------------------------------------------------------------------


def test_csv_upload_becomes_own_data(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        ws.send_json({"type": "csv", "text": "x1,x2,label\n1,1,1\n-1,-1,0\n2,-2,1\n"})
        state = until(ws, "state")["state"]
        assert state["data"] == "own" and state["pts"] == [[1.0, 1.0, 1], [-1.0, -1.0, 0], [2.0, -2.0, 1]]
        data = until(ws, "data")
        assert data["kind"] == "classification" and len(data["train"]) + len(data["test"]) == 3


def test_compare_mode_sends_two_networks(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        ws.send_json({"type": "state", "state": {"cmp": "relu"}})
        network = until(ws, "network")
        assert [n["act"] for n in network["nets"]] == [["tanh", "tanh"], ["relu", "relu"]]
        assert set(network["curves"]) == {"tanh", "relu"}
        frame = until(ws, "frame")
        assert len(frame["header"]["nets"]) == 2 and len(frame["payload"]) == 2 * 7 * frame["header"]["grid"] ** 2


def test_export_writes_a_run_folder_that_actlab_reads(client: TestClient, app, cli) -> None:
    with client.websocket_connect("/ws") as ws:
        greet(ws)
        ws.send_json({"type": "export"})
        assert "not been trained" in until(ws, "error")["message"]
        ws.send_json({"type": "state", "state": {"data": "xor", "layers": [6], "act": "relu"}})
        for _ in range(3):
            ws.send_json({"type": "step"})
        until(ws, "status")
        ws.send_json({"type": "export"})
        exported = until(ws, "exported")
        session = next(iter(app.state.manager.sessions.values()))
        path = Path(exported["path"])
        run = load_run(path)
        assert run.config.task == "xor" and run.config.hidden == [6] and run.config.train_range == (-6.0, 6.0)
        x = torch.randn(50, 2) * 4
        assert torch.equal(run.model(x), session.learners[0].mlp(x))
        assert json.loads((path / "playground.json").read_text())["layers"] == [6]
        result = cli("predict", str(path), "0.5", "0.5")
        assert result.code == 0 and "-> class" in result.out
        archive = zipfile.ZipFile(io.BytesIO(client.get(exported["url"]).content))
        assert f"{path.name}/weights.pt" in archive.namelist()
        assert client.get("/runs/playground-nothing.zip").status_code == 404
        ws.send_json({"type": "state", "state": {"feat": ["x1", "x2", "x1sq"]}})
        ws.send_json({"type": "export"})
        assert "raw inputs x1 and x2" in until(ws, "error")["message"]
