"""A durable store of finished training runs: SQLite (the standard library's ``sqlite3``) in WAL mode.

Each run is keyed by :func:`config_hash`, a hash of its resolved config and the package version, so that
asking for the same run again reuses the stored result instead of training it again. Each call to
:meth:`ResultStore.put` commits in its own transaction: a process killed in the middle of a sweep loses
only the work in flight.

A store opened with ``create=False`` (the read-only ``actlab runs`` commands) refuses a file that does not
exist instead of creating an empty one. An explicit path (an argument or ``$ACTLAB_DB``) whose folder does
not exist is refused; only the default ``./actlab-runs/`` folder is created on demand.

The file is checked before anything is written to it: a file that is not SQLite, an SQLite database that
belongs to another program, a database from a newer actlab, or a damaged one raises
:class:`~actlab.errors.ActlabError` and is left untouched.
"""

from __future__ import annotations

import array
import dataclasses
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from actlab.errors import ActlabError

DEFAULT_PATH = Path("actlab-runs") / "actlab.db"  # relative to the working folder, like a build output
ENV_VAR = "ACTLAB_DB"
APP_ID = "actlab-results"  # written to the meta table; a database without it belongs to someone else
SQLITE_MAGIC = b"SQLite format 3\x00"

# Schema migrations, in order: MIGRATIONS[i] takes a database from version i to version i + 1.
MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        config_hash TEXT NOT NULL UNIQUE,
        version TEXT NOT NULL,
        task TEXT NOT NULL,
        activation TEXT NOT NULL,
        seed INTEGER NOT NULL,
        config_json TEXT NOT NULL,
        metrics_json TEXT NOT NULL,
        losses BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 2: a label naming the comparison or sweep that produced a run, and an index for listing by task.
    """
    ALTER TABLE runs ADD COLUMN label TEXT;
    CREATE INDEX runs_by_task ON runs (task, activation, seed);
    """,
    # 3: results that are not single training runs (a tour section's measurements), as JSON by key.
    """
    CREATE TABLE cached (key TEXT PRIMARY KEY, version TEXT NOT NULL, value_json TEXT NOT NULL,
                         created_at TEXT NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def package_version() -> str:
    from actlab import __version__

    return __version__


def config_dict(config: Any) -> dict[str, Any]:
    """A config as plain JSON types: its ``resolved()`` dict where it has one (``TrainConfig``: defaults
    filled in, so that a default range and the same range written out are one run), else a dataclass's
    fields or a mapping."""
    if callable(getattr(config, "resolved", None)):
        raw: Mapping[str, Any] = config.resolved()
    elif dataclasses.is_dataclass(config) and not isinstance(config, type):
        raw = dataclasses.asdict(config)
    elif isinstance(config, Mapping):
        raw = config
    else:
        raise TypeError(f"a config must be a dataclass or a mapping, not {type(config).__name__}")
    return json.loads(json.dumps(raw, sort_keys=True, default=list))


def config_hash(config: Any, version: str | None = None) -> str:
    """The key of a run: SHA-256 of the resolved config (canonical JSON) and the package version."""
    text = json.dumps({"config": config_dict(config), "version": version or package_version()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def default_path() -> Path:
    """``$ACTLAB_DB`` if set, else ``./actlab-runs/actlab.db``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


def exists(path: str | os.PathLike[str] | None = None) -> bool:
    """Whether a results database (a non-empty file) is at ``path`` (default :func:`default_path`)."""
    target = Path(path) if path is not None else default_path()
    return target.is_file() and target.stat().st_size > 0


@dataclass(frozen=True)
class RunRecord:
    """One stored run: its config, metrics (name -> number) and training-loss history."""

    id: int
    config_hash: str
    version: str
    task: str
    activation: str
    seed: int
    config: dict[str, Any]
    metrics: dict[str, Any]
    losses: list[float]
    created_at: str
    label: str | None = None

    def summary(self) -> dict[str, Any]:
        """The record without its loss history (what ``actlab runs list`` shows)."""
        return {
            "id": self.id,
            "config_hash": self.config_hash,
            "version": self.version,
            "task": self.task,
            "activation": self.activation,
            "seed": self.seed,
            "label": self.label,
            "created_at": self.created_at,
            **self.metrics,
        }


def _pack(losses: Sequence[float]) -> bytes:
    packed = array.array("d", losses)
    if sys.byteorder != "little":  # pragma: no cover - the file format is little-endian everywhere
        packed.byteswap()
    return packed.tobytes()


def _unpack(blob: bytes) -> list[float]:
    packed = array.array("d")
    packed.frombytes(blob)
    if sys.byteorder != "little":  # pragma: no cover
        packed.byteswap()
    return packed.tolist()


_COLUMNS = "id, config_hash, version, task, activation, seed, config_json, metrics_json, losses, created_at, label"


def _record(row: tuple[Any, ...]) -> RunRecord:
    rid, key, version, task, activation, seed, cfg, metrics, losses, created, label = row
    return RunRecord(
        rid, key, version, task, activation, seed, json.loads(cfg), json.loads(metrics), _unpack(losses),
        created, label,
    )  # fmt: skip


class ResultStore:
    """Finished runs in an SQLite file (default ``./actlab-runs/actlab.db``, or ``$ACTLAB_DB``).

    >>> store = ResultStore(":memory:")
    >>> store.put({"task": "add", "activation": "relu", "seed": 0}, {"interp_mae": 0.01}, [1.0, 0.5])
    >>> store.get({"task": "add", "activation": "relu", "seed": 0}).metrics
    {'interp_mae': 0.01}
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> None:
        """Open (or, with ``create``, create) the store at ``path``; default :func:`default_path`.

        Raises :class:`~actlab.errors.ActlabError` when ``create`` is false and there is no database at the
        path, or when an explicit path's folder does not exist (only the default folder is created).
        """
        self.path = Path(path) if path is not None else default_path()
        memory = str(path) == ":memory:"
        if not memory:
            self._check_file()
            if not create and not exists(self.path):
                raise ActlabError(
                    f"no results database at {self.path}; run actlab compare or sweep first, or pass --db "
                    f"(or ${ENV_VAR}) with the file they wrote"
                )
            self.check_folder(path)
            self.path.parent.mkdir(parents=True, exist_ok=True)  # only the default folder can be missing here
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            self._open()
        except sqlite3.DatabaseError as err:
            raise self._damaged(err) from None

    @staticmethod
    def check_folder(path: str | os.PathLike[str] | None = None) -> None:
        """Refuse an explicit path (an argument or ``$ACTLAB_DB``) whose folder does not exist; the default
        ``./actlab-runs/`` may be missing (it is created when the store is opened)."""
        if path is None and not os.environ.get(ENV_VAR):
            return
        target = Path(path) if path is not None else default_path()
        if str(target) != ":memory:" and not target.parent.is_dir():
            raise ActlabError(
                f"cannot create results database {target}: folder {target.parent} does not exist (create it "
                f"first, or leave out --db / ${ENV_VAR} to use ./{DEFAULT_PATH.as_posix()})"
            )

    # -- opening -------------------------------------------------------------------------------------------

    def _check_file(self) -> None:
        """Refuse anything that is not an SQLite file before sqlite3 gets a chance to write to it."""
        if self.path.is_dir():
            raise ActlabError(f"results database {self.path} is a folder; give a file name, e.g. {DEFAULT_PATH}")
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head != SQLITE_MAGIC:
            raise ActlabError(
                f"{self.path} is not an SQLite database (damaged, or some other file); it was left untouched — "
                f"move it away or pass another file with --db / ${ENV_VAR}"
            )

    def _open(self) -> None:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "meta" not in tables:
            self._foreign(tables)
        version = 0
        if tables:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("app") != APP_ID:
                self._foreign(tables)
            version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise ActlabError(
                f"{self.path} has schema version {version}, newer than this actlab understands "
                f"({SCHEMA_VERSION}); upgrade actlab or pass another file with --db"
            )
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")  # in WAL mode: durable across a killed process
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Apply MIGRATIONS[version:], each with its version bump in one transaction."""
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                for statement in filter(str.strip, MIGRATIONS[target - 1].split(";")):
                    self._db.execute(statement)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('app', ?)", (APP_ID,))
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(target),))

    def _foreign(self, tables: Iterable[str]) -> None:
        raise ActlabError(
            f"{self.path} is an SQLite database of another program (tables: {', '.join(sorted(tables))}), "
            f"not an actlab results store; it was left untouched — pass another file with --db / ${ENV_VAR}"
        )

    def _damaged(self, err: sqlite3.DatabaseError) -> ActlabError:
        return ActlabError(
            f"cannot use results database {self.path}: {err} (damaged, or not an actlab store); it was left "
            f"untouched — move it away or pass another file with --db / ${ENV_VAR}"
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            raise self._damaged(err) from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as err:
            raise self._damaged(err) from None

    # -- public --------------------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self._query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0])

    def get(self, config: Any) -> RunRecord | None:
        """The stored run for ``config`` under this package version, or ``None``."""
        return self.get_many([config]).get(config_hash(config))

    def get_many(self, configs: Iterable[Any]) -> dict[str, RunRecord]:
        """Stored runs for ``configs``, by config hash (configs without a stored run are absent)."""
        keys = sorted({config_hash(c) for c in configs})
        found: dict[str, RunRecord] = {}
        for start in range(0, len(keys), 500):  # SQLite limits the number of bound parameters
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._query(f"SELECT {_COLUMNS} FROM runs WHERE config_hash IN ({marks})", chunk):
                found[row[1]] = _record(row)
        return found

    def stored_hashes(self, keys: Iterable[str]) -> set[str]:
        """Which of the config hashes ``keys`` have a stored run (reads the keys only, not the runs)."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # SQLite limits the number of bound parameters
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self._query(f"SELECT config_hash FROM runs WHERE config_hash IN ({marks})",
                                                       chunk))  # fmt: skip
        return found

    def put(
        self, config: Any, metrics: Mapping[str, Any], losses: Sequence[float], label: str | None = None
    ) -> None:
        """Store one finished run (replacing an older result for the same config) in its own transaction."""
        self.put_many([(config, metrics, losses)], label)

    def put_many(
        self, runs: Iterable[tuple[Any, Mapping[str, Any], Sequence[float]]], label: str | None = None
    ) -> None:
        """Store the runs of one finished work unit, all in one transaction: all of them or none."""
        version = package_version()
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        rows = []
        for config, metrics, losses in runs:
            cfg = config_dict(config)
            rows.append((
                config_hash(config, version), version, str(cfg.get("task", "")), str(cfg.get("activation", "")),
                int(cfg.get("seed", 0)), json.dumps(cfg, sort_keys=True),
                json.dumps(dict(metrics), sort_keys=True), _pack(losses), now, label,
            ))  # fmt: skip
        with self._transaction():
            self._db.executemany(
                "INSERT INTO runs (config_hash, version, task, activation, seed, config_json, metrics_json, "
                "losses, created_at, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (config_hash) DO UPDATE SET metrics_json = excluded.metrics_json, "
                "losses = excluded.losses, created_at = excluded.created_at, label = excluded.label",
                rows,
            )

    def runs(
        self, task: str | None = None, activation: str | None = None, label: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:  # fmt: skip
        """Stored runs, oldest first, optionally filtered; ``limit`` (at least 1): the first that many."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ActlabError(f"limit must be a whole number >= 1, got {limit!r}; leave it out for every run")
        where, params = [], []
        for column, value in (("task", task), ("activation", activation), ("label", label)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = f"SELECT {_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {min(int(limit), 2**63 - 1)}"  # SQLite's largest integer: a bigger limit is no limit
        return [_record(row) for row in self._query(sql, params)]

    def find(self, ref: str) -> RunRecord:
        """One run by numeric id or by a unique prefix of its config hash."""
        is_id = ref.isascii() and ref.isdigit() and int(ref) < 2**63  # SQLite's INTEGER; isdigit alone takes "²"
        rows = self._query(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (int(ref),)) if is_id else []
        if not rows:
            rows = self._query(f"SELECT {_COLUMNS} FROM runs WHERE config_hash LIKE ?", (ref + "%",))
        if len(rows) != 1:
            problem = "no run matches" if not rows else f"{len(rows)} runs match"
            hint = "give more of the hash" if rows else "`actlab runs list` shows ids and hashes"
            raise ActlabError(f"{problem} {ref!r} in {self.path}; {hint}")
        return _record(rows[0])

    def get_cached(self, key: str) -> dict[str, Any] | None:
        """A stored JSON result (e.g. one tour section) under ``key`` for this package version, or ``None``."""
        rows = self._query("SELECT value_json FROM cached WHERE key = ? AND version = ?", (key, package_version()))
        return json.loads(rows[0][0]) if rows else None

    def put_cached(self, key: str, value: Mapping[str, Any]) -> None:
        """Store a JSON result under ``key`` (replacing an older one) in its own transaction."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO cached (key, version, value_json, created_at) VALUES (?, ?, ?, ?)",
                (key, package_version(), json.dumps(dict(value)), now),
            )

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM runs")[0][0])

    def gc(self, dry_run: bool = False) -> int:
        """Delete runs stored by other package versions (their keys can never match again); returns how many."""
        version = package_version()
        stale = int(self._query("SELECT COUNT(*) FROM runs WHERE version != ?", (version,))[0][0])
        if stale and not dry_run:
            with self._transaction():
                self._db.execute("DELETE FROM runs WHERE version != ?", (version,))
                self._db.execute("DELETE FROM cached WHERE version != ?", (version,))
            self._query("VACUUM")
        return stale

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
