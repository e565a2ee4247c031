"""The results store: keys, reuse, migration, and refusal to touch files that are not its own."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from actlab.errors import ActlabError
from actlab.experiments.store import MIGRATIONS, SCHEMA_VERSION, ResultStore, config_dict, config_hash
from actlab.training.config import TrainConfig

RELU = {"task": "add", "activation": "relu", "seed": 0, "hidden": [16, 16]}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_put_get_round_trip(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "runs.db") as store:
        assert store.get(RELU) is None
        store.put(RELU, {"interp_mae": 0.25, "steps": 10}, [4.0, 2.0, 1.0], label="t")
        got = store.get(RELU)
    assert got is not None
    assert (got.task, got.activation, got.seed, got.label) == ("add", "relu", 0, "t")
    assert got.metrics == {"interp_mae": 0.25, "steps": 10}
    assert got.losses == [4.0, 2.0, 1.0]
    assert got.config == RELU


def test_store_persists_and_replaces_instead_of_duplicating(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with ResultStore(path) as store:
        store.put(RELU, {"interp_mae": 1.0}, [1.0])
    with ResultStore(path) as store:
        assert store.get(RELU).metrics == {"interp_mae": 1.0}
        store.put(RELU, {"interp_mae": 0.5}, [0.5])
        assert store.count() == 1
        assert store.get(RELU).metrics == {"interp_mae": 0.5}


def test_key_depends_on_config_and_version_not_on_order() -> None:
    same = {"seed": 0, "hidden": [16, 16], "activation": "relu", "task": "add"}
    assert config_hash(RELU) == config_hash(same)
    assert config_hash(RELU) != config_hash({**RELU, "seed": 1})
    assert config_hash(RELU) != config_hash({**RELU, "hidden": [16]})
    assert config_hash(RELU, "0.1.0") != config_hash(RELU, "0.2.0")


def test_find_list_and_gc(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "runs.db") as store:
        for seed in range(3):
            store.put({**RELU, "seed": seed}, {"interp_mae": seed}, [1.0])
        store.put({**RELU, "activation": "tanh"}, {"interp_mae": 9}, [1.0])
        assert [r.seed for r in store.runs(activation="relu")] == [0, 1, 2]
        key = store.get({**RELU, "seed": 2}).config_hash
        assert store.find(key[:8]).seed == 2
        assert store.find("1").seed == 0
        with pytest.raises(ActlabError, match="no run"):
            store.find("zzzz")
        store._db.execute("UPDATE runs SET version = '0.0.1' WHERE seed = 1")  # as if stored by an old version
        assert store.gc(dry_run=True) == 1 and store.count() == 4
        assert store.gc() == 1
        assert sorted(r.seed for r in store.runs()) == [0, 0, 2]


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with ResultStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrates_a_version_1_database_keeping_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("app", "actlab-results"), ("schema_version", "1")])
    db.execute(
        "INSERT INTO runs (config_hash, version, task, activation, seed, config_json, metrics_json, losses, "
        "created_at) VALUES ('abc', '0.1.0', 'add', 'relu', 3, '{}', '{\"interp_mae\": 0.5}', x'', 'then')"
    )
    db.commit()
    db.close()
    with ResultStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        run = store.find("abc")
        assert (run.seed, run.metrics, run.label) == (3, {"interp_mae": 0.5}, None)


def test_refuses_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "actlab.db"
    path.write_bytes(b"these are my tax records, not a database\n" * 100)
    before = digest(path)
    with pytest.raises(ActlabError, match=r"not an SQLite database.*left untouched"):
        ResultStore(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["actlab.db"]


def test_refuses_a_foreign_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    db.commit()
    db.close()
    before = digest(path)
    with pytest.raises(ActlabError, match=r"another program .*invoices"):
        ResultStore(path)
    assert digest(path) == before


def test_refuses_a_damaged_database(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with ResultStore(path) as store:
        for seed in range(50):
            store.put({**RELU, "seed": seed}, {"interp_mae": seed}, [1.0] * 200)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the header page's schema: the tables can no longer be found
    path.write_bytes(bytes(data))
    before = digest(path)
    with pytest.raises(ActlabError, match=r"runs\.db"):
        ResultStore(path).runs()
    assert digest(path) == before


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with ResultStore(path) as store:
        store._db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ActlabError, match="schema version 99, newer"):
        ResultStore(path)


def test_default_path_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTLAB_DB", str(tmp_path / "env.db"))
    with ResultStore() as store:
        assert store.path == tmp_path / "env.db"
    monkeypatch.delenv("ACTLAB_DB")
    monkeypatch.chdir(tmp_path)
    with ResultStore() as store:
        assert store.path == Path("actlab-runs/actlab.db")
    assert (tmp_path / "actlab-runs" / "actlab.db").is_file()


def test_a_read_only_open_refuses_a_missing_database_and_creates_nothing(tmp_path: Path) -> None:
    for path in (tmp_path / "typo.db", tmp_path / "no-such-folder" / "x.db"):
        with pytest.raises(ActlabError) as err:
            ResultStore(path, create=False)
        assert str(err.value).startswith(f"no results database at {path}; run actlab compare or sweep first")
    (tmp_path / "empty.db").touch()
    with pytest.raises(ActlabError, match="no results database at"):
        ResultStore(tmp_path / "empty.db", create=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    assert (tmp_path / "empty.db").stat().st_size == 0
    with ResultStore(tmp_path / "runs.db") as store:
        store.put(RELU, {"interp_mae": 0.5}, [1.0])
    with ResultStore(tmp_path / "runs.db", create=False) as store:
        assert [r.metrics for r in store.runs()] == [{"interp_mae": 0.5}]


def test_an_explicit_path_needs_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope" / "deeper" / "runs.db"
    with pytest.raises(ActlabError) as err:
        ResultStore(missing)
    assert str(err.value).startswith(
        f"cannot create results database {missing}: folder {missing.parent} does not exist (create it first"
    )
    monkeypatch.setenv("ACTLAB_DB", str(missing))
    with pytest.raises(ActlabError, match="create it first"):
        ResultStore()
    assert list(tmp_path.iterdir()) == []


def test_stored_hashes_limit_and_find_messages(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "runs.db") as store:
        for seed in range(3):
            store.put({**RELU, "seed": seed}, {"interp_mae": seed}, [1.0])
        keys = [config_hash({**RELU, "seed": seed}) for seed in range(5)]
        assert store.stored_hashes(keys) == set(keys[:3])
        assert [r.seed for r in store.runs(limit=2)] == [0, 1]
        for bad in (0, -1):
            with pytest.raises(ActlabError, match=f"limit must be a whole number >= 1, got {bad}"):
                store.runs(limit=bad)
        with pytest.raises(ActlabError) as err:
            store.find("999")
        assert str(err.value) == (
            f"no run matches '999' in {tmp_path / 'runs.db'}; `actlab runs list` shows ids and hashes"
        )
        with pytest.raises(ActlabError, match=r"^3 runs match '' in .*; give more of the hash$"):
            store.find("")


# --- opening at the same time, and reading without writing --------------------------------------------------


def _open_in_turn(paths: list[str], barrier: Any, results: Any) -> None:
    """One process: for each path, wait until every process is ready, then open (create) the store there."""
    for path in paths:
        barrier.wait()
        try:
            with ResultStore(path) as store:
                store.put({**RELU, "seed": os.getpid()}, {"interp_mae": 0.5}, [1.0])
                results.put(("ok", store.schema_version))
        except Exception as err:  # the defect: "table meta already exists", "duplicate column name: label"
            results.put(("failed", f"{type(err).__name__}: {err}"))


def test_processes_creating_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    processes, rounds = 4, 6
    # Forked where possible: the children only use sqlite3, and spawning 4 fresh interpreters that import
    # PyTorch (through this module) costs half a minute on 2 busy cores.
    start = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(start)
    barrier, results = context.Barrier(processes), context.Queue()
    paths = [str(tmp_path / f"round{r}.db") for r in range(rounds)]
    workers = [context.Process(target=_open_in_turn, args=(paths, barrier, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in range(processes * rounds)]
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == [("ok", SCHEMA_VERSION)] * (processes * rounds)
    for path in paths:
        db = sqlite3.connect(path)
        tables = sorted(row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        columns = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        db.close()
        assert tables == ["cached", "meta", "runs"]
        assert columns.count("label") == 1
        assert meta == {"app": "actlab-results", "schema_version": str(SCHEMA_VERSION)}
        assert runs == processes  # one run from each process, none lost


def _version_1_database(path: Path) -> None:
    """A store as the first schema wrote it, in SQLite's default rollback-journal mode."""
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("app", "actlab-results"), ("schema_version", "1")])
    db.execute(
        "INSERT INTO runs (config_hash, version, task, activation, seed, config_json, metrics_json, losses, "
        "created_at) VALUES ('abc', '0.1.0', 'add', 'relu', 3, '{}', '{\"interp_mae\": 0.5}', x'', 'then')"
    )
    db.commit()
    db.close()


def test_reading_writes_nothing_not_even_a_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _version_1_database(path)
    before = digest(path)
    with ResultStore(path, create=False) as store:
        assert store.schema_version == 1
        assert [(r.seed, r.label, r.metrics) for r in store.runs()] == [(3, None, {"interp_mae": 0.5})]
        assert store.runs(label="x") == [] and store.find("abc").seed == 3
        assert store.get_cached("tour") is None and store.count() == 1
    assert digest(path) == before  # still version 1, still in rollback-journal mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]


def test_an_empty_sqlite_database_lists_no_runs_and_stays_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    db = sqlite3.connect(path)
    db.execute("VACUUM")  # a valid database file with no tables
    db.close()
    before = digest(path)
    with ResultStore(path, create=False) as store:
        assert store.runs() == [] and store.count() == 0
    assert digest(path) == before


def test_an_empty_database_another_program_marked_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    before = digest(path)
    for read_only in (True, False):
        with pytest.raises(ActlabError, match=r"another program \(tables: none yet, user_version 7\)"):
            ResultStore(path, create=not read_only)
    assert digest(path) == before


def test_a_read_only_database_can_be_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "runs.db"
    with ResultStore(path) as store:
        store.put(RELU, {"interp_mae": 0.5}, [1.0])
    before = digest(path)
    path.chmod(0o444)
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root may write anyway: make the store see what any other user sees
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: mode != os.W_OK)
    try:
        with ResultStore(path, create=False) as store:
            assert [r.metrics for r in store.runs()] == [{"interp_mae": 0.5}]
            assert store.find("1").config == RELU
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert digest(path) == before
    assert sorted(p.name for p in folder.iterdir()) == ["runs.db"]  # immutable: no -wal or -shm made either


def test_a_huge_id_matches_nothing(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "runs.db") as store:
        store.put(RELU, {"interp_mae": 0.5}, [1.0])
        with pytest.raises(ActlabError, match=r"^no run matches '1{30}' in"):
            store.find("1" * 30)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX feature")
def test_paths_that_cannot_be_a_database_are_one_line_errors(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    for create in (True, False):  # refused before anything opens it (opening a FIFO would block)
        with pytest.raises(ActlabError, match=r"pipe\.db is not a regular file"):
            ResultStore(fifo, create=create)
    long_name = tmp_path / ("a" * 300 + ".db")
    with pytest.raises(ActlabError, match=r"^cannot use results database .*: File name too long; pass another file"):
        ResultStore(long_name)


def test_config_hash_follows_a_config_changed_after_hashing() -> None:
    config = TrainConfig(steps=5)
    first = config_hash(config)
    config.steps = 7
    config.hidden.append(4)
    assert config_hash(config) != first
    assert config_hash(config) == config_hash(TrainConfig(steps=7, hidden=[16, 16, 4]))


def test_config_hash_of_a_subclass_whose_repr_hides_fields() -> None:
    class Terse(TrainConfig):
        def __repr__(self) -> str:
            return "Terse()"

    five, seven = Terse(steps=5), Terse(steps=7)
    assert config_hash(five) != config_hash(seven)
    assert config_dict(seven)["steps"] == 7
