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

from actlab.cli._common import console
from actlab.cli.compare_cmds import _g
from cli_checks import count_runs, one_line_error
from conftest import QUICK

SMALL = ["--hidden", "8", "--steps", "30", "--batch-size", "16"]


@pytest.fixture(autouse=True)
def no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTLAB_DB", raising=False)


def test_compare_json_and_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, out = tmp_path / "runs.db", tmp_path / "report"
    result = cli(
        "compare",
        "--task",
        "add",
        "--activations",
        "relu,identity",
        "--seeds",
        "3",
        *SMALL,
        "--db",
        str(db),
        "--out",
        str(out),
        "--json",
    )
    assert result.code == 0, result.err
    assert result.err == ""  # no progress bar remnants when stderr is not a terminal
    data = json.loads(result.out)
    assert [r["activation"] for r in data["results"]] == ["relu", "identity"]
    for row in data["results"]:
        assert row["seeds"] == 3
        for key in ("interp_mae_mean", "interp_mae_ci95", "extrap_mae_mean", "extrap_mae_ci95"):
            assert isinstance(row[key], float) and row[key] > 0
    assert data["trained"] == 6 and data["method"].startswith("Student t")
    assert sorted(p.name for p in out.iterdir()) == [
        "errors.png",
        "loss_curves.png",
        "results.csv",
        "results.json",
        "runs.csv",
    ]
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
        (["--activations", "relu,,tanh"], "--activations 'relu,,tanh': item 2 of 3 is empty; give comma-separated"),
        (["--activations", "relu,"], "--activations 'relu,': item 2 of 2 is empty"),
        (["--activations", ",relu"], "--activations ',relu': item 1 of 2 is empty"),
        (["--activations", "relu,tanh,relu"], "activation 'relu' is listed twice; list each activation once"),
        (["--reach", "-1"], "--reach must be a number > 0 (a training loss such as 0.01), got -1.0"),
        (["--reach", "0"], "--reach must be a number > 0 (a training loss such as 0.01), got 0.0"),
        (["--reach", "nan"], "--reach must be a number > 0 (a training loss such as 0.01), got nan"),
        (["--reach", "inf"], "--reach must be a number > 0 (a training loss such as 0.01), got inf"),
        (
            ["--seeds", "100000000"],
            "6 activations x 100,000,000 seeds is 600,000,000 runs, more than the limit of 100,000 for one request",
        ),
    ],
)
def test_compare_bad_input(cli, tmp_path: Path, args: list[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("compare", *args, "--db", str(tmp_path / "runs.db")), fragment)
    assert list(tmp_path.iterdir()) == []  # refused before the database was opened


def test_compare_creates_missing_folders_and_refuses_unwritable_ones_before_training(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, out = tmp_path / "nope" / "runs.db", tmp_path / "gone" / "deeper" / "report"
    result = cli("compare", "-a", "relu", "--seeds", "1", *SMALL, "--db", str(db), "--out", str(out), "--json")
    assert result.code == 0, result.err
    assert db.is_file() and (out / "results.csv").is_file()
    for args, fragment in (
        (
            ["--db", "/proc/actlab/runs.db"],
            "cannot write the results database to /proc/actlab/runs.db: cannot create folder /proc/actlab",
        ),
        (
            ["--db", str(tmp_path / "r.db"), "--out", "/proc/self/report"],
            "cannot write to /proc/self/report: folder /proc/self does not accept new files",
        ),
        (["--db", str(tmp_path / "r.db"), "--out", str(tmp_path / ("x" * 256))], "names may have at most 255 bytes"),
        (["--db", str(db / "r.db")], f"it lies under {db}, which is a file"),
    ):
        one_line_error(cli("compare", "--seeds", "2", *SMALL, *args), fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gone", "nope"]  # refused before the database was made


def test_compare_output_that_fails_at_the_end_keeps_the_results(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import actlab.plots.style

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(actlab.plots.style, "save", full_disk)
    db, out = tmp_path / "runs.db", tmp_path / "report"
    result = cli("compare", "-a", "relu,tanh", "--seeds", "2", *SMALL, "--db", str(db), "--out", str(out), "--json")
    one_line_error(result, f"cannot write to {out}: no space left on device (the work itself is done")
    assert [r["activation"] for r in json.loads(result.out)["results"]] == ["relu", "tanh"]
    assert json.loads(cli("runs", "list", "--db", str(db), "--json").out).__len__() == 4  # all runs stored


@pytest.mark.parametrize(
    "args", [["list"], ["show", "1"], ["export", "{tmp}/all.csv"], ["gc"], ["gc", "--dry-run"], ["list", "--json"]]
)
def test_runs_commands_refuse_a_missing_database(cli, tmp_path: Path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    args = [a.format(tmp=tmp_path) for a in args]
    for db in (tmp_path / "typo.db", tmp_path / "nonexist2" / "x.db"):
        result = cli("runs", *args, "--db", str(db))
        one_line_error(result, f"no results database at {db}; run actlab compare or sweep first, or pass --db")
    assert list(tmp_path.iterdir()) == []


def test_runs_list_limit_and_grammar(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "runs.db")
    monkeypatch.setattr(console, "width", 80)
    made = cli("compare", "--activations", "identity", "--seeds", "1", *SMALL, "--db", db)
    assert made.code == 0, made.err
    text = " ".join(made.out.split())
    assert "add: 1 activation, 1 seed each, hidden 8, 30 steps" in text
    assert "Trained 1 run, reused 0" in text
    for limit in ("0", "-1"):
        one_line_error(
            cli("runs", "list", "--limit", limit, "--db", db),
            f"--limit must be at least 1, got {limit}; leave it out to list every run",
        )
    exported = cli("runs", "export", str(tmp_path / "one.csv"), "--db", db)
    assert exported.out.split() == ["wrote", "1", "run", "to", str(tmp_path / "one.csv")]
    assert cli("compare", "--activations", "relu,identity", "--seeds", "2", *SMALL, "--db", db, "--json").code == 0
    assert [r["seed"] for r in json.loads(cli("runs", "list", "--limit", "2", "--json", "--db", db).out)] == [0, 0]
    huge = "111111111111111111111111111111"  # beyond SQLite's integers: as good as no limit
    assert len(json.loads(cli("runs", "list", "--limit", huge, "--json", "--db", db).out)) == 4
    one_line_error(cli("runs", "show", huge, "--db", db), f"no run matches '{huge}'")
    one_line_error(cli("runs", "show", "²", "--db", db), "no run matches '²'")
    assert "1 run in" in cli("runs", "list", "--limit", "1", "--db", db).out
    assert "4 runs in" in cli("runs", "list", "--db", db).out


def test_compare_table_never_cuts_a_number(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Into a pipe at COLUMNS=80: means and their ± intervals appear whole, none cut to "…"."""
    monkeypatch.setattr(console, "width", 80)
    db = str(tmp_path / "runs.db")
    for activations in ("relu,leaky_relu,sigmoid,tanh,gelu,identity", "relu,leaky_relu:negative_slope=0.1"):
        args = ["compare", "--activations", activations, "--seeds", "3", *SMALL, "--db", db]
        data = json.loads(cli(*args, "--json").out)
        shown = cli(*args)
        assert shown.code == 0, shown.err
        assert "…" not in shown.out
        words = shown.out.replace("│", " ").split()
        for row in data["results"]:
            assert row["activation"] in words
            for key in ("interp_mae", "extrap_mae", "final_loss"):
                assert _g(row[f"{key}_mean"], 3) in words, (key, row)
                assert "±" + _g(row[f"{key}_ci95"], 2) in words, (key, row)
        table = shown.out.split("Each cell:")[0].splitlines()
        if activations.startswith("relu,leaky_relu,"):  # the catalog's names fit 80 columns
            assert max(len(line) for line in table) <= 80
        else:  # a long spec widens the table rather than being cut
            assert max(len(line) for line in table) > 80


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
    one_line_error(cli("runs", "show", "999", "--db", db), f"no run matches '999' in {db}")
    assert cli("runs", "export", str(tmp_path / "all.csv"), "--db", db).code == 0
    assert (tmp_path / "all.csv").read_text().count("\n") == 3
    assert cli("runs", "export", str(tmp_path / "all.json"), "--db", db).code == 0
    assert len(json.loads((tmp_path / "all.json").read_text())[0]["losses"]) == 30
    one_line_error(cli("runs", "export", str(tmp_path / "all.txt"), "--db", db), "is not one of csv, json, parquet")
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
        (SWEEP.replace("widths = [3, 4, 5, 6]", "widths = []"), "line 5: widths is empty"),
        (SWEEP.replace("seeds = 2", "seeds = 0"), "line 6: seeds = 0"),
        (SWEEP.replace("depths = [1]", "depth = [1]"), "line 4: unknown grid key 'depth'"),
        (SWEEP.replace('"tanh"', '"tanhh"'), "line 3: activations: unknown activation 'tanhh'"),
        (SWEEP.replace("seeds = 2", "seeds = [0, 0, 1]"), "line 6: seed 0 is listed twice; list each seed once"),
        (
            SWEEP.replace("seeds = 2", "seeds = 100000000"),
            "line 6: the grid (2 activations x 4 widths x "
            "100,000,000 seeds) is 800,000,000 runs, more than the "
            "limit of 100,000",
        ),
    ],
)
def test_sweep_bad_files(cli, tmp_path: Path, text: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.toml"
    path.write_text(text.format(steps=10))
    for dry_run in ([], ["--dry-run"]):
        one_line_error(cli("sweep", str(path), *dry_run, "--db", str(tmp_path / "runs.db")), fragment)
    assert not (tmp_path / "runs.db").exists()


def test_sweep_dry_run_plans_units(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "grid.toml"
    path.write_text(SWEEP.format(steps=10))
    plan = json.loads(cli("sweep", str(path), "--dry-run", "--json", "--db", str(tmp_path / "r.db")).out)
    assert (plan["runs"], plan["units"], plan["to_train"], plan["trained"]) == (16, 4, 16, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.toml"]  # a dry run creates no database
    missing = tmp_path / "nope" / "r.db"
    one_line_error(cli("sweep", str(path), "--dry-run", "--db", str(missing)), "folder " + str(missing.parent))


class InterruptedAfterOneUnit:
    """Stands in for LocalExecutor: the first unit finishes, then Ctrl-C arrives."""

    def __init__(self, workers: int | None = 1) -> None:
        self.workers = workers

    def run(self, units, advance=None):  # type: ignore[no-untyped-def]
        from actlab.experiments.executor import run_unit

        yield units[0], run_unit(units[0], advance, self.workers)
        raise KeyboardInterrupt


def test_sweep_interrupted_says_what_is_kept_and_resumes(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path, db = tmp_path / "grid.toml", tmp_path / "runs.db"
    path.write_text(SWEEP.format(steps=10))
    monkeypatch.setattr("actlab.experiments.executor.LocalExecutor", InterruptedAfterOneUnit)
    stopped = cli("sweep", str(path), "--db", str(db), "--quiet")
    assert stopped.code == 130
    last = stopped.err.splitlines()[-1]
    assert last == (
        f"actlab: error: interrupted; 4 of 16 runs of {path} are stored in {db} (4 trained just now); "
        "rerun the same command to resume (stored runs are reused)"
    )
    assert stopped.err.count("actlab: error:") == 1 and count_runs(db) == 4
    monkeypatch.undo()
    resumed = cli("sweep", str(path), "--db", str(db), "--quiet")
    assert resumed.code == 0, resumed.err
    assert resumed.err.startswith(f"{path}: 16 runs, 4 already stored, 12 to train in 3 units")
    assert " ".join(resumed.out.split()).startswith("16 runs: 4 reused, trained 12 in 3 units;")
    tiny = tmp_path / "tiny.toml"
    tiny.write_text("[grid]\nwidths = [4]\nseeds = 1\n[train]\nsteps = 5\n")
    assert " ".join(cli("sweep", str(tiny), "--dry-run", "--db", str(db)).out.split()).startswith(
        "1 run: 0 reused, would train 1 in 1 unit;"
    )


def test_compare_interrupted_says_what_is_kept(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "runs.db"
    monkeypatch.setattr("actlab.experiments.executor.LocalExecutor", InterruptedAfterOneUnit)
    stopped = cli("compare", "--activations", "relu,tanh", "--seeds", "2", *SMALL, "--db", str(db), "-q")
    assert stopped.code == 130
    assert stopped.err == (
        f"actlab: error: interrupted; 4 new runs stored in {db} before it; rerun the same "
        "command to resume (stored runs are reused)\n"
    )


def test_sweep_killed_with_sigkill_resumes_with_every_run_once(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, db = tmp_path / "grid.toml", tmp_path / "runs.db"
    path.write_text(SWEEP.format(steps=300 if QUICK else 600))
    env = {k: v for k, v in os.environ.items() if k != "ACTLAB_DB"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "actlab", "sweep", str(path), "--db", str(db), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
        rows = conn.execute(
            "SELECT activation, hidden_json, seed, COUNT(*) FROM (SELECT activation, seed, "
            "json_extract(config_json, '$.hidden') AS hidden_json FROM runs) "
            "GROUP BY activation, hidden_json, seed"
        ).fetchall()
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT config_hash) FROM runs").fetchone() == (16, 16)
    assert len(rows) == 16 and all(n == 1 for *_, n in rows)
    assert {(a, h) for a, h, _, _ in rows} == {(a, f"[{w}]") for a in ("relu", "tanh") for w in (3, 4, 5, 6)}


def test_compare_counts_runs_whose_last_update_overflowed_as_diverged(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "runs.db"
    result = cli(
        "compare",
        "-a",
        "relu",
        "--seeds",
        "2",
        "--steps",
        "1",
        "--lr",
        "1e20",
        "--optimizer",
        "sgd",
        "--hidden",
        "8",
        "--db",
        str(db),
        "--json",
    )
    assert result.code == 0, result.err
    (row,) = json.loads(result.out)["results"]
    assert row["diverged"] == 2 and row["interp_mae_mean"] is None  # nothing averaged from a diverged run
    stored = json.loads(cli("runs", "list", "--db", str(db), "--json").out)
    assert [r["diverged_step"] for r in stored] == [2, 2]  # stored as diverged, never as a result
