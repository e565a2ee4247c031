"""Damaged results databases: a damaged file is never written to, a damaged row never crashes a reader."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from actlab.errors import ActlabError
from actlab.experiments.store import ResultStore, config_hash
from cli_checks import one_line_error as one_line

RELU = {"task": "add", "activation": "relu", "seed": 0, "hidden": [8]}
SMALL = ["--hidden", "8", "--steps", "30", "--batch-size", "16"]
DEEP = "[" * 100_000 + "]" * 100_000  # valid JSON, too deep for Python's parser (RecursionError)

# Each damaged row: (id, SQL that damages it, the problem the store reports). Rows 1 and 8 stay readable.
DAMAGES = [
    (2, "UPDATE runs SET losses = 'not floats' WHERE id = 2", "losses is not a blob of float64 values"),
    (3, "UPDATE runs SET losses = x'010203' WHERE id = 3", "losses is not a blob of float64 values"),
    (4, "UPDATE runs SET metrics_json = '{\"interp_mae\": 0.1' WHERE id = 4", "metrics_json is not valid JSON"),
    (5, "UPDATE runs SET config_json = '[1, 2]' WHERE id = 5", "config_json is not a JSON object"),
    (6, "UPDATE runs SET task = CAST(x'ff00' AS TEXT) WHERE id = 6", "task is not text"),
    (7, f"UPDATE runs SET metrics_json = '{DEEP}' WHERE id = 7", "metrics_json is not valid JSON"),
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(result, fragment: str) -> None:  # type: ignore[no-untyped-def]
    one_line(result, fragment)
    assert result.out == ""


@pytest.fixture(autouse=True)
def no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTLAB_DB", raising=False)


@pytest.fixture
def damaged_rows(tmp_path: Path) -> Path:
    path = tmp_path / "runs.db"
    with ResultStore(path) as store:
        for seed in range(8):
            store.put({**RELU, "seed": seed}, {"interp_mae": seed / 10}, [1.0, 0.5], label="d")
    db = sqlite3.connect(path)
    for _, sql, _ in DAMAGES:
        db.execute(sql)
    db.commit()
    db.close()
    return path


def test_damaged_rows_are_skipped_and_noted(damaged_rows: Path) -> None:
    expected = {rid: problem for rid, _, problem in DAMAGES}
    with ResultStore(damaged_rows, create=False) as store:
        assert [r.id for r in store.runs()] == [1, 8]
        assert store.damaged == expected
        assert [r.id for r in store.runs(limit=2)] == [1, 8]  # the limit counts readable runs
        assert [r.seed for r in store.runs(task="add", label="d")] == [0, 7]
        with pytest.raises(ActlabError) as caught:
            store.find("4")
        assert str(caught.value) == (
            f"run 4 in {damaged_rows} cannot be read: metrics_json is not valid JSON (a damaged row); "
            f"`actlab runs list` shows the readable runs"
        )
    configs = [{**RELU, "seed": seed} for seed in range(8)]
    keys = [config_hash(c) for c in configs]
    with ResultStore(damaged_rows) as store:  # a damaged row does not make the file damaged
        assert sorted(store.get_many(configs)) == sorted([keys[0], keys[7]])
        assert store.stored_hashes(keys) == {keys[0], keys[7]}  # the others are trained again
        store.put(configs[3], {"interp_mae": 0.3}, [2.0])  # replacing a damaged row repairs it
        assert store.get(configs[3]).losses == [2.0]
        assert store.find("4").metrics == {"interp_mae": 0.3}  # id 4 holds seed 3


def test_a_schema_version_that_is_not_a_number_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with ResultStore(path) as store:
        store.put(RELU, {"interp_mae": 0.5}, [1.0])
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = 'three' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    before = digest(path)
    for create in (True, False):
        with pytest.raises(ActlabError) as caught:
            ResultStore(path, create=create)
        message = str(caught.value)
        assert message.startswith(f"results database {path} is damaged (its schema version is 'three', not a number)")
        assert "\n" not in message and "move it away" in message and ".recover" in message
    assert digest(path) == before


def test_runs_commands_skip_and_report_damaged_rows(cli, damaged_rows: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = str(damaged_rows)
    listed = cli("runs", "list", "--db", db)
    assert listed.code == 0, listed.err
    assert "2 runs in" in listed.out and "(6 damaged runs skipped)" in " ".join(listed.out.split())
    warning = " ".join(listed.err.split())
    assert warning.startswith("warning: skipped 6 damaged runs in") and "id 2, 3, 4, 5, 6, 7;" in warning
    as_json = cli("runs", "list", "--json", "--db", db)
    assert [r["id"] for r in json.loads(as_json.out)] == [1, 8] and "skipped 6 damaged runs" in as_json.err
    one_line_error(cli("runs", "show", "5", "--db", db), "run 5 in")
    assert json.loads(cli("runs", "show", "8", "--json", "--db", db).out)["seed"] == 7
    for name in ("runs.csv", "runs.json", "runs.parquet"):
        exported = cli("runs", "export", str(tmp_path / name), "--json", "--db", db)
        assert exported.code == 0, exported.err
        report = json.loads(exported.out)
        assert (report["runs"], report["format"]) == (2, name.split(".")[1])
        assert [d["id"] for d in report["damaged"]] == [2, 3, 4, 5, 6, 7]
        assert report["damaged"][2] == {"id": 4, "problem": "metrics_json is not valid JSON"}
    assert list(pd.read_csv(tmp_path / "runs.csv")["seed"]) == [0, 7]
    assert list(pd.read_parquet(tmp_path / "runs.parquet")["seed"]) == [0, 7]


def test_compare_trains_a_damaged_run_again_and_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "runs.db")
    args = ["compare", "--activations", "identity", "--seeds", "2", *SMALL, "--db", db, "--json"]
    first = json.loads(cli(*args).out)
    assert (first["trained"], first["reused"]) == (2, 0)
    raw = sqlite3.connect(db)
    raw.execute("UPDATE runs SET metrics_json = '{not json' WHERE id = 1")
    raw.commit()
    raw.close()
    again = cli(*args)
    assert again.code == 0, again.err
    second = json.loads(again.out)
    assert (second["trained"], second["reused"]) == (1, 1)
    assert second["warnings"][0] == "1 stored run(s) could not be read (damaged rows, id 1) and were trained again"
    assert second["results"][0]["interp_mae_mean"] == pytest.approx(first["results"][0]["interp_mae_mean"], rel=0)
    listed = cli("runs", "list", "--db", db)
    assert listed.err == "" and "2 runs in" in listed.out  # repaired in place


def _flip_bits(data: bytes, rng: random.Random, flips: int) -> bytes:
    """``data`` with ``flips`` random bits inverted, none in page 1 (the header and the schema)."""
    page = int.from_bytes(data[16:18], "big")
    damaged = bytearray(data)
    for _ in range(flips):
        bit = rng.randrange(page * 8, len(data) * 8)
        damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


def _integrity(path: Path) -> list[str]:
    """SQLite's own verdict on a copy of ``path`` (the file under test is never opened by anything else)."""
    copy = path.with_name("oracle.db")
    shutil.copyfile(path, copy)
    try:
        db = sqlite3.connect(copy)
        try:
            return [row[0] for row in db.execute("PRAGMA integrity_check")]
        finally:
            db.close()
    except sqlite3.DatabaseError as err:
        return [str(err)]
    finally:
        copy.unlink()
        for side in ("-wal", "-shm", "-journal"):
            Path(f"{copy}{side}").unlink(missing_ok=True)


def test_bit_flipped_stores_are_refused_for_writing_and_left_untouched(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.db"
    with ResultStore(good) as store:
        store.put_many(
            [
                (
                    {**RELU, "activation": act, "seed": seed},
                    {"interp_mae": seed / 10, "extrap_mae": 1.0},
                    [1.0 / (step + 1) for step in range(200)],
                )
                for act in ("relu", "tanh")
                for seed in range(30)
            ],
            label="flip",
        )
    data = good.read_bytes()  # closed: everything is in the main file, nothing in a WAL
    rng = random.Random(20240611)
    refused = 0
    for trial in range(12):
        path = tmp_path / f"flipped{trial}.db"
        path.write_bytes(_flip_bits(data, rng, flips=30))
        verdict = _integrity(path)
        before = digest(path)
        if verdict == ["ok"]:  # the flips hit only cell contents: the file is sound, a row may not be
            with ResultStore(path) as store:
                readable = store.runs()
                assert len(readable) + len(store.damaged) == 60
            continue
        refused += 1
        with pytest.raises(ActlabError) as caught:
            ResultStore(path)
        message = str(caught.value)
        assert message.startswith(f"results database {path} is damaged (") and "\n" not in message
        assert "move it away" in message and f"sqlite3 {path} .recover" in message
        one_line_error(
            cli("compare", "--activations", "relu", "--seeds", "1", *SMALL, "--db", str(path)),
            f"results database {path} is damaged",
        )
        listed = cli("runs", "list", "--db", str(path))  # reading: what can be read, or one line
        assert listed.code == 0 or (listed.code == 2 and listed.err.count("\n") == 1), listed.err
        assert digest(path) == before
    assert refused >= 6  # most of 30 flips land in page headers, cell pointers or keys: SQLite's check fails
