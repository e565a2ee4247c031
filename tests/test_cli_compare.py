"""The compare, sweep and runs commands: output, files, bad input, and a sweep killed with SIGKILL resuming."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import QUICK

SMALL = ["--hidden", "8", "--steps", "30", "--batch-size", "16"]


@pytest.fixture(autouse=True)
def no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTLAB_DB", raising=False)


def one_line_error(result, fragment: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("actlab: error: "), result.err
    assert fragment in result.err


def test_compare_json_and_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, out = tmp_path / "runs.db", tmp_path / "report"
    result = cli("compare", "--task", "add", "--activations", "relu,identity", "--seeds", "3", *SMALL,
                 "--db", str(db), "--out", str(out), "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [r["activation"] for r in data["results"]] == ["relu", "identity"]
    for row in data["results"]:
        assert row["seeds"] == 3
        for key in ("interp_mae_mean", "interp_mae_ci95", "extrap_mae_mean", "extrap_mae_ci95"):
            assert isinstance(row[key], float) and row[key] > 0
    assert data["trained"] == 6 and data["method"].startswith("Student t")
    assert sorted(p.name for p in out.iterdir()) == ["errors.png", "loss_curves.png", "results.csv",
                                                    "results.json", "runs.csv"]  # fmt: skip
    assert (out / "runs.csv").read_text().count("\n") == 7  # header and 6 runs
    assert json.loads((out / "results.json").read_text())["curves"]["relu"]["steps"][-1] == 30

    again = cli("compare", "--activations", "relu,identity", "--seeds", "3", *SMALL, "--db", str(db))
    assert again.code == 0
    assert "relu" in again.out and "identity" in again.out and "seeds each" in again.out
    assert "Trained 0 runs, reused 6" in " ".join(again.out.split())


def test_compare_honours_actlab_db_environment(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ACTLAB_DB", str(tmp_path / "env.db"))
    assert cli("compare", "--activations", "relu", "--seeds", "2", *SMALL, "--json").code == 0
    listed = cli("runs", "list", "--json")
    rows = json.loads(listed.out)
    assert [(r["task"], r["activation"], r["seed"]) for r in rows] == [("add", "relu", 0), ("add", "relu", 1)]
    assert all(isinstance(r["id"], int) and len(r["config_hash"]) == 20 for r in rows)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--seeds", "0"], "--seeds must be at least 1"),
        (["--seeds", "-3"], "--seeds must be at least 1"),
        (["--activations", "relu,rleu"], "unknown activation 'rleu'"),
        (["--task", "nope"], "unknown task 'nope'"),
        (["--steps", "0"], "steps must be >= 1"),
        (["--lr", "fast"], "--lr"),
    ],
)
def test_compare_bad_input(cli, tmp_path: Path, args: list[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("compare", *args, "--db", str(tmp_path / "runs.db")), fragment)


def test_foreign_database_is_an_error_and_untouched(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "actlab.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    db.commit()
    db.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(5000))
    for target in (path, garbage):
        before = hashlib.sha256(target.read_bytes()).hexdigest()
        for args in (["compare", "--seeds", "2", *SMALL], ["runs", "list"], ["runs", "gc"]):
            one_line_error(cli(*args, "--db", str(target)), "left untouched")
        assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["actlab.db", "garbage.db"]


def test_runs_show_export_gc(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "runs.db")
    assert cli("compare", "--activations", "tanh", "--seeds", "2", *SMALL, "--db", db, "--json").code == 0
    rows = json.loads(cli("runs", "list", "--json", "--db", db).out)
    shown = json.loads(cli("runs", "show", rows[1]["config_hash"][:8], "--json", "--db", db).out)
    assert shown["seed"] == 1 and shown["config"]["hidden"] == [8] and len(shown["losses"]) == 30
    assert "tanh" in cli("runs", "show", str(rows[0]["id"]), "--db", db).out
    one_line_error(cli("runs", "show", "999", "--db", db), "no run")
    assert cli("runs", "export", str(tmp_path / "all.csv"), "--db", db).code == 0
    assert (tmp_path / "all.csv").read_text().count("\n") == 3
    assert cli("runs", "export", str(tmp_path / "all.json"), "--db", db).code == 0
    assert len(json.loads((tmp_path / "all.json").read_text())[0]["losses"]) == 30
    one_line_error(cli("runs", "export", str(tmp_path / "all.txt"), "--db", db), ".csv or .json")
    gc = json.loads(cli("runs", "gc", "--json", "--db", db).out)
    assert gc == {"removed": 0, "stale": 0, "kept": 2, "db": db}


SWEEP = """\
label = "killed"
[grid]
activations = ["relu", "tanh"]
depths = [1]
widths = [3, 4, 5, 6]
seeds = 2
[train]
steps = {steps}
batch_size = 16
"""


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (SWEEP.replace('widths = [3, 4, 5, 6]', "widths = []"), "line 5: widths is empty"),
        (SWEEP.replace("seeds = 2", "seeds = 0"), "line 6: seeds = 0"),
        (SWEEP.replace("depths = [1]", "depth = [1]"), "line 4: unknown grid key 'depth'"),
        (SWEEP.replace('"tanh"', '"tanhh"'), "line 3: activations: unknown activation 'tanhh'"),
    ],
)
def test_sweep_bad_files(cli, tmp_path: Path, text: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.toml"
    path.write_text(text.format(steps=10))
    one_line_error(cli("sweep", str(path), "--db", str(tmp_path / "runs.db")), fragment)
    assert not (tmp_path / "runs.db").exists()


def test_sweep_dry_run_plans_units(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "grid.toml"
    path.write_text(SWEEP.format(steps=10))
    plan = json.loads(cli("sweep", str(path), "--dry-run", "--json", "--db", str(tmp_path / "r.db")).out)
    assert (plan["runs"], plan["units"], plan["to_train"], plan["trained"]) == (16, 4, 16, 0)


def count_runs(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is being created
        return 0


def test_sweep_killed_with_sigkill_resumes_with_every_run_once(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, db = tmp_path / "grid.toml", tmp_path / "runs.db"
    path.write_text(SWEEP.format(steps=300 if QUICK else 600))
    env = {k: v for k, v in os.environ.items() if k != "ACTLAB_DB"}
    proc = subprocess.Popen([sys.executable, "-m", "actlab", "sweep", str(path), "--db", str(db), "--quiet"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while count_runs(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be killed; make its units longer"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    kept = count_runs(db)
    assert 4 <= kept < 16 and kept % 4 == 0  # whole units only: each commits in one transaction

    resumed = cli("sweep", str(path), "--db", str(db), "--json", "--quiet")
    assert resumed.code == 0, resumed.err
    summary = json.loads(resumed.out)
    assert (summary["stored"], summary["trained"]) == (kept, 16 - kept)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT activation, hidden_json, seed, COUNT(*) FROM (SELECT activation, seed, "
                            "json_extract(config_json, '$.hidden') AS hidden_json FROM runs) "
                            "GROUP BY activation, hidden_json, seed").fetchall()  # fmt: skip
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT config_hash) FROM runs").fetchone() == (16, 16)
    assert len(rows) == 16 and all(n == 1 for *_, n in rows)
    assert {(a, h) for a, h, _, _ in rows} == {(a, f"[{w}]") for a in ("relu", "tanh") for w in (3, 4, 5, 6)}
