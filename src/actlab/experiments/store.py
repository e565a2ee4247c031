"""A durable store of finished training runs: SQLite (the standard library's ``sqlite3``) in WAL mode.

Each run is keyed by :func:`config_hash`, a hash of its resolved config and the package version, so that
asking for the same run again reuses the stored result instead of training it again. Each call to
:meth:`ResultStore.put` commits in its own transaction: a process killed in the middle of a sweep loses
only the work in flight.

Opening for writing (the default) checks the file first, through a read-only connection: a file that is
not SQLite, an SQLite database that belongs to another program, one from a newer actlab, or one that fails
SQLite's ``PRAGMA integrity_check`` raises :class:`~actlab.errors.ActlabError` and is left untouched. Creating
or migrating the schema is one ``BEGIN IMMEDIATE`` transaction, so that processes opening a new store at
once wait for each other instead of creating it twice.

Opening for reading (``create=False``, the ``actlab runs`` commands) writes nothing: no schema, no journal
switch, no migration (an older schema is read as it is), and a database the process may not write is read
through SQLite's read-only mode. It refuses a file that does not exist instead of creating an empty one; an
SQLite database with no tables at all reads as a store with no runs.

A row that cannot be read back (a damaged cell: ``losses`` not a blob of floats, ``metrics_json`` or
``config_json`` not a JSON object, a text column that is not text) is skipped and recorded in
:attr:`ResultStore.damaged`; what reads the store reports it, and a comparison or sweep trains the run again.

A run records the device it trained on (``"device"`` in its config; a config without one, as every run
stored before devices existed, ran on the CPU): the device is part of the key, so a GPU result never answers
for a CPU run nor the other way round, unless the store's :attr:`ResultStore.reuse_any_device` is set
(``--reuse-any-device``), see :func:`device_twins`.
"""

from __future__ import annotations

import array
import dataclasses
import hashlib
import json
import os
import shlex
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from actlab._version import __version__
from actlab.errors import ActlabError

DEFAULT_PATH = Path("actlab-runs") / "actlab.db"  # relative to the working folder, like a build output
ENV_VAR = "ACTLAB_DB"
APP_ID = "actlab-results"  # written to the meta table; a database without it belongs to someone else
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_SECONDS = 30.0  # how long an opener or writer waits for another process's transaction

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


def config_dict(config: Any) -> dict[str, Any]:
    """A config as plain JSON types: its ``resolved()`` dict where it has one (``TrainConfig``: defaults
    filled in, so that a default range and the same range written out are one run), else a dataclass's
    fields or a mapping."""
    return json.loads(_canonical_json(config))


def _canonical_json(config: Any) -> str:
    """:func:`config_dict` as sorted JSON text, remembered by the config's field values where they are plain
    (a comparison hashes each config several times, and ``resolved()`` costs some 0.1 ms)."""
    key = _memo_key(config)
    if key is not None and (text := _CANONICAL.get(key)) is not None:
        return text
    if callable(getattr(config, "resolved", None)):
        raw: Mapping[str, Any] = config.resolved()
    elif dataclasses.is_dataclass(config) and not isinstance(config, type):
        raw = dataclasses.asdict(config)
    elif isinstance(config, Mapping):
        raw = config
    else:
        raise TypeError(f"a config must be a dataclass or a mapping, not {type(config).__name__}")
    text = json.dumps(raw, sort_keys=True, default=list)
    if key is not None:
        if len(_CANONICAL) >= MEMO_SIZE:
            _CANONICAL.clear()
        _CANONICAL[key] = text
    return text


def _memo_key(config: Any) -> tuple[type, str] | None:
    """The config's class and the repr of each of its dataclass fields, where every field holds plain values
    (``None``, bools, numbers, strings, lists and tuples of them: their repr shows all of them, so equal keys
    mean equal configs), else ``None``: not remembered. The key is built from the fields, not from
    ``repr(config)``: a subclass may write a ``__repr__`` that leaves fields out."""
    kind = type(config)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = (
            tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else ()
        )
    if not names:
        return None
    values = [getattr(config, name) for name in names]
    return (kind, repr(values)) if _plain(values) else None


def _plain(value: Any) -> bool:
    """Whether ``value`` is ``None``, a bool, int, float or str (not a subclass), or a list or tuple of them."""
    if type(value) in (list, tuple):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (bool, int, float, str)


MEMO_SIZE = 200_000  # configs remembered by _canonical_json at most (some 1 KB each), then forgotten at once
_CANONICAL: dict[tuple[type, str], str] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names; () for any other class


def config_hash(config: Any, version: str | None = None) -> str:
    """The key of a run: SHA-256 of the resolved config (canonical JSON) and the package version."""
    text = json.dumps({"config": config_dict(config), "version": version or __version__}, sort_keys=True)
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

    @property
    def device(self) -> str:
        """Where the run trained: its config's ``device``, ``"cpu"`` where it names none."""
        return device_of(self.config)

    def summary(self) -> dict[str, Any]:
        """The record without its loss history (what ``actlab runs list`` shows)."""
        return {
            "id": self.id,
            "device": self.device,
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
# The same row without its loss history, only whether that history is a blob of float64 values (an empty
# blob if so, NULL if not): enough to tell a readable row from a damaged one without reading the curves.
_KEY_COLUMNS = _COLUMNS.replace("losses", "CASE WHEN typeof(losses) = 'blob' AND length(losses) % 8 = 0 THEN x'' END")


class _DamagedRowError(Exception):
    """Raised by :func:`_record` for a row it cannot read; the message is the problem."""


def _text(raw: bytes) -> str | bytes:
    """SQLite text as ``str``; text that is not UTF-8 (a damaged cell) stays ``bytes``, which
    :func:`_record` refuses, instead of failing the whole query as ``sqlite3``'s default does."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _json_object(text: Any, column: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise _DamagedRowError(f"{column} is not text")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _DamagedRowError(f"{column} is not valid JSON") from None
    if not isinstance(value, dict):
        raise _DamagedRowError(f"{column} is not a JSON object")
    return value


def _record(row: tuple[Any, ...]) -> RunRecord:
    """A row as a :class:`RunRecord`, every cell checked; raises :class:`_DamagedRowError` naming the first bad one."""
    rid, key, version, task, activation, seed, cfg, metrics, losses, created, label = row
    texts = (
        ("config_hash", key),
        ("version", version),
        ("task", task),
        ("activation", activation),
        ("created_at", created),
        ("label", "" if label is None else label),
    )
    for column, value in texts:
        if not isinstance(value, str):
            raise _DamagedRowError(f"{column} is not text")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _DamagedRowError("seed is not a whole number")
    if not isinstance(losses, bytes) or len(losses) % 8:
        raise _DamagedRowError("losses is not a blob of float64 values")
    config, measured = _json_object(cfg, "config_json"), _json_object(metrics, "metrics_json")
    return RunRecord(rid, key, version, task, activation, seed, config, measured, _unpack(losses), created, label)


# --- devices (issue 14): kept apart here so that the rest of the store does not change -------------------

STORED_DEVICES = ("cpu", "cuda")  # the devices a run may record (actlab.training.device.resolve_device's results)


def device_of(config: Mapping[str, Any]) -> str:
    """The device a stored config trained on: its ``device``, ``"cpu"`` where it has none."""
    return str(config.get("device") or "cpu")


def device_twins(config: Any, version: str | None = None) -> list[str]:
    """The keys (:func:`config_hash`) of the same run on each of the other :data:`STORED_DEVICES`: the
    config with its ``device`` changed (left out for ``"cpu"``, as :class:`~actlab.TrainConfig` writes it)."""
    data = config_dict(config)
    twins = []
    for device in STORED_DEVICES:
        if device != device_of(data):
            twin = {k: v for k, v in data.items() if k != "device"}
            twins.append(config_hash(twin if device == "cpu" else {**twin, "device": device}, version))
    return twins


class ResultStore:
    """Finished runs in an SQLite file (default ``./actlab-runs/actlab.db``, or ``$ACTLAB_DB``).

    >>> store = ResultStore(":memory:")
    >>> store.put({"task": "add", "activation": "relu", "seed": 0}, {"interp_mae": 0.01}, [1.0, 0.5])
    >>> store.get({"task": "add", "activation": "relu", "seed": 0}).metrics
    {'interp_mae': 0.01}
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, create: bool = True, read_only: bool | None = None
    ) -> None:
        """Open the store at ``path`` (default :func:`default_path`).

        Args:
            create: create the store if there is none; with ``create=False`` a missing (or empty) file is
                refused instead.
            read_only: open for reading only (nothing is ever written to the file, and nothing is created);
                default ``not create``. ``create=False, read_only=False`` opens an existing store for writing
                (``actlab runs gc``).

        Raises :class:`~actlab.errors.ActlabError` when the file is missing (``create=False``), is not an
        actlab store, is damaged (checked before writing), or cannot be opened; or when an explicit path's
        folder does not exist (only the default folder is created).
        """
        self.path = Path(path) if path is not None else default_path()
        self.read_only = not create if read_only is None else read_only
        self.damaged: dict[int, str] = {}  # rows met so far that could not be read (skipped): id -> problem
        self.reuse_any_device = False  # True: a run on another device answers for this one (device_twins)
        memory = str(path) == ":memory:"
        if not memory:
            try:
                self._check_file()
                if (not create or self.read_only) and not exists(self.path):
                    raise ActlabError(
                        f"no results database at {self.path}; run actlab compare or sweep first, or pass --db "
                        f"(or ${ENV_VAR}) with the file they wrote"
                    )
                if not self.read_only:
                    self.check_folder(path)
                    self.path.parent.mkdir(parents=True, exist_ok=True)  # only the default folder can be missing
            except OSError as err:  # a name too long, a folder that may not be read, ...
                raise ActlabError(
                    f"cannot use results database {self.path}: {err.strerror or err}; pass another "
                    f"file with --db / ${ENV_VAR}"
                ) from None
        try:
            if memory:
                self._db = self._connect(writable=True, memory=True)
                self._create_or_migrate()
            elif self.read_only:
                self._open_for_reading()
            else:
                self._open_for_writing()
        except (sqlite3.Error, ActlabError) as err:
            opened = getattr(self, "_db", None)
            if opened is not None:  # refused: let go of the file now, not whenever this object is collected
                opened.close()
            raise self._failed(err) if isinstance(err, sqlite3.Error) else err from None

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
        if not self.path.exists():
            return
        if not self.path.is_file():  # a FIFO or a device: reading it could block forever
            raise ActlabError(
                f"results database {self.path} is not a regular file; give a file name, e.g. {DEFAULT_PATH}"
            )
        if self.path.stat().st_size == 0:
            return
        with self.path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head != SQLITE_MAGIC:
            raise ActlabError(
                f"{self.path} is not an SQLite database (damaged, or some other file); it was left untouched — "
                f"move it away or pass another file with --db / ${ENV_VAR}"
            )

    def _connect(self, writable: bool, memory: bool = False) -> sqlite3.Connection:
        """A connection to the file (or a new in-memory database) in autocommit mode: transactions are
        explicit. Not ``writable``: SQLite's read-only mode, or ``immutable`` where even WAL mode's
        shared-memory file cannot be created (a folder this process may not write, so no writer can be using
        the file without one)."""
        target = ":memory:" if memory else str(self.path)
        if not writable:
            folder_writable = os.access(self.path.parent, os.W_OK)
            immutable = not folder_writable and not Path(f"{self.path}-wal").exists()
            target = self.path.resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")
        db = sqlite3.connect(target, timeout=BUSY_SECONDS, isolation_level=None, uri=not writable)
        db.text_factory = _text
        return db

    def _open_for_reading(self) -> None:
        writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        self._db = self._connect(writable)
        version = self._schema_version(self._db)
        if version == 0:  # an SQLite database without tables holds no runs: answer from an empty schema
            self._db.close()
            self._db = self._connect(writable=True, memory=True)
            self._create_or_migrate()
            return
        if version < 2:  # read an older schema as it is: its missing parts, in this connection only
            self._db.execute("CREATE TEMP VIEW runs AS SELECT *, NULL AS label FROM main.runs")
        if version < 3:
            self._db.execute(MIGRATIONS[2].replace("CREATE TABLE", "CREATE TEMP TABLE"))
        self._db.execute("PRAGMA query_only = ON")  # a bug here must not become a write

    def _open_for_writing(self) -> None:
        if exists(self.path):  # checked through a read-only connection, which cannot write even on closing
            check = self._connect(writable=False)
            try:
                # Not only quick_check: it passes a table whose unique index lost entries, and writing
                # into that stores a run twice. integrity_check costs 1.6x as much (0.24 s for 20,000 runs).
                problems = [row[0] for row in check.execute("PRAGMA integrity_check(3)")]
                if problems != ["ok"]:
                    raise self._damaged(f"PRAGMA integrity_check: {'; '.join(map(str, problems))}")
                self._schema_version(check)
            finally:
                check.close()
        self._db = self._connect(writable=True)
        self._switch_to_wal()
        self._db.execute("PRAGMA synchronous = NORMAL")  # in WAL mode: durable across a killed process
        self._create_or_migrate()

    def _switch_to_wal(self) -> None:
        """``PRAGMA journal_mode = WAL``, retried while another process holds the file: two openers of a new
        store that switch at the same moment deadlock (each holds a shared lock and wants an exclusive one),
        and SQLite then answers "database is locked" at once instead of calling the busy handler."""
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _create_or_migrate(self) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION` in one transaction. Its version is read inside the
        transaction, so that a second process opening a new store at the same time waits for the first
        (``BEGIN IMMEDIATE`` and the busy timeout) and then finds the schema made."""
        with self._transaction():
            version = self._schema_version(self._db)
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in filter(str.strip, MIGRATIONS[target - 1].split(";")):
                    self._db.execute(statement)
            if version < SCHEMA_VERSION:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('app', ?)", (APP_ID,))
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _schema_version(self, db: sqlite3.Connection) -> int:
        """The schema version of ``db`` (0: no tables yet); refuses another program's database, a newer
        schema, and a version that is not a number."""
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            marks = [
                f"{pragma} {value}"
                for pragma in ("application_id", "user_version")
                if (value := db.execute(f"PRAGMA {pragma}").fetchone()[0])
            ]
            if marks:  # an empty database that another program has already marked as its own
                self._foreign([f"none yet, {' and '.join(marks)}"])
            return 0
        if "meta" not in tables:
            self._foreign(tables)
        meta = {key: value for key, value in db.execute("SELECT key, value FROM meta")}
        if meta.get("app") != APP_ID:
            self._foreign(tables)
        raw = meta.get("schema_version")
        if not (isinstance(raw, str) and raw.isascii() and raw.isdigit()):
            raise self._damaged(f"its schema version is {raw!r}, not a number")
        if int(raw) > SCHEMA_VERSION:
            raise ActlabError(
                f"{self.path} has schema version {int(raw)}, newer than this actlab understands "
                f"({SCHEMA_VERSION}); upgrade actlab or pass another file with --db"
            )
        return int(raw)

    def _foreign(self, tables: Iterable[str]) -> None:
        raise ActlabError(
            f"{self.path} is an SQLite database of another program (tables: {', '.join(sorted(tables))}), "
            f"not an actlab results store; it was left untouched — pass another file with --db / ${ENV_VAR}"
        )

    def _damaged(self, reason: str) -> ActlabError:
        where = shlex.quote(str(self.path))
        reason = " ".join(reason.replace("*** in database main ***", "").split())
        reason = reason if len(reason) <= 160 else reason[:159] + "…"
        return ActlabError(
            f"results database {self.path} is damaged ({reason}); it was left untouched — move it away (or pass "
            f"another file with --db / ${ENV_VAR}) to start a new store; `sqlite3 {where} .recover | sqlite3 "
            f"recovered.db` may save what is readable (then use --db recovered.db)"
        )

    def _failed(self, err: sqlite3.Error) -> ActlabError:
        """One line for an error from SQLite, saying what it means for the user."""
        text = str(err)
        if any(word in text for word in ("malformed", "not a database", "corrupt")):
            return self._damaged(text)
        if "locked" in text or "busy" in text:
            return ActlabError(
                f"results database {self.path} is locked by another process ({text}, waited "
                f"{BUSY_SECONDS:.0f} s); try again when it has finished"
            )
        verb = "read" if self.read_only else "write to"
        if any(word in text for word in ("readonly", "unable to open", "permission", "disk I/O")):
            return ActlabError(
                f"cannot {verb} results database {self.path}: {text}; check the permissions of "
                f"the file and its folder, or pass another file with --db / ${ENV_VAR}"
            )
        return ActlabError(
            f"cannot {verb} results database {self.path}: {text}; it was left as it was — move it "
            f"away or pass another file with --db / ${ENV_VAR}"
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
        except sqlite3.Error as err:
            raise self._failed(err) from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            raise self._failed(err) from None

    def _records(self, rows: Iterable[tuple[Any, ...]]) -> list[RunRecord]:
        """The readable rows as records; the others are skipped and noted in :attr:`damaged`."""
        records = []
        for row in rows:
            try:
                records.append(_record(row))
            except _DamagedRowError as problem:
                self.damaged[row[0]] = str(problem)
        return records

    # -- public --------------------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self._query("SELECT value FROM meta WHERE key = 'schema_version'")[0][0])

    def get(self, config: Any) -> RunRecord | None:
        """The stored run for ``config`` under this package version, or ``None``."""
        return self.get_many([config]).get(config_hash(config))

    def get_many(self, configs: Iterable[Any]) -> dict[str, RunRecord]:
        """Stored runs for ``configs``, by config hash (configs without a readable stored run are absent; with
        :attr:`reuse_any_device`, a run of the same config on another device is given under its hash)."""
        keyed = {config_hash(c): c for c in configs}
        found = self._get_keys(sorted(keyed))
        if self.reuse_any_device:
            twins = {key: device_twins(config) for key, config in keyed.items() if key not in found}
            held = self._get_keys(sorted({t for ts in twins.values() for t in ts}))
            found.update({key: held[t] for key, ts in twins.items() for t in ts if t in held})
        return found

    def _get_keys(self, keys: Sequence[str]) -> dict[str, RunRecord]:
        found: dict[str, RunRecord] = {}
        for start in range(0, len(keys), 500):  # SQLite limits the number of bound parameters
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for record in self._records(
                self._query(f"SELECT {_COLUMNS} FROM runs WHERE config_hash IN ({marks})", chunk)
            ):
                found[record.config_hash] = record
        return found

    def stored_hashes(self, keys: Iterable[str] | Mapping[str, Any]) -> set[str]:
        """Which of the config hashes ``keys`` have a readable stored run (a damaged one is to be trained
        again; reads each row's cells but not its loss history). Given a mapping of hashes to configs and
        :attr:`reuse_any_device`, a hash counts as stored where the same config on another device is
        (:func:`device_twins`)."""
        found = self._stored(keys)
        if self.reuse_any_device and isinstance(keys, Mapping):
            twins = {key: device_twins(config) for key, config in keys.items() if key not in found}
            held = self._stored([t for ts in twins.values() for t in ts])
            found.update(key for key, ts in twins.items() if held.intersection(ts))
        return found

    def _stored(self, keys: Iterable[str]) -> set[str]:
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # SQLite limits the number of bound parameters
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(f"SELECT {_KEY_COLUMNS} FROM runs WHERE config_hash IN ({marks})", chunk)
            found.update(record.config_hash for record in self._records(rows))
        return found

    def put(self, config: Any, metrics: Mapping[str, Any], losses: Sequence[float], label: str | None = None) -> None:
        """Store one finished run (replacing an older result for the same config) in its own transaction."""
        self.put_many([(config, metrics, losses)], label)

    def put_many(
        self, runs: Iterable[tuple[Any, Mapping[str, Any], Sequence[float]]], label: str | None = None
    ) -> None:
        """Store the runs of one finished work unit, all in one transaction: all of them or none. A stored
        row with the same key is replaced whole (a damaged one is repaired)."""
        version = __version__
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        rows = []
        for config, metrics, losses in runs:
            cfg = config_dict(config)
            rows.append(
                (
                    config_hash(config, version),
                    version,
                    str(cfg.get("task", "")),
                    str(cfg.get("activation", "")),
                    int(cfg.get("seed", 0)),
                    json.dumps(cfg, sort_keys=True),
                    json.dumps(dict(metrics), sort_keys=True),
                    _pack(losses),
                    now,
                    label,
                )
            )
        replaced = (
            "version",
            "task",
            "activation",
            "seed",
            "config_json",
            "metrics_json",
            "losses",
            "created_at",
            "label",
        )
        with self._transaction():
            self._db.executemany(
                "INSERT INTO runs (config_hash, version, task, activation, seed, config_json, metrics_json, "
                "losses, created_at, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT (config_hash) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in replaced)}",
                rows,
            )

    def runs(
        self,
        task: str | None = None,
        activation: str | None = None,
        label: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Stored runs, oldest first, optionally filtered; ``limit`` (at least 1): the first that many.
        Rows that cannot be read are skipped (see :attr:`damaged`) and do not count towards ``limit``."""
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
        try:
            cursor = self._db.execute(sql, params)
            records: list[RunRecord] = []
            while limit is None or len(records) < limit:
                batch = cursor.fetchmany(256)
                if not batch:
                    break
                records.extend(self._records(batch))
        except sqlite3.Error as err:
            raise self._failed(err) from None
        return records[:limit]

    def find(self, ref: str) -> RunRecord:
        """One run by numeric id or by a unique prefix of its config hash; a damaged one is refused."""
        by_id = ref.isascii() and ref.isdigit() and int(ref) < 2**63  # SQLite's largest id
        rows = self._query(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (int(ref),)) if by_id else []
        if not rows:
            rows = self._query(f"SELECT {_COLUMNS} FROM runs WHERE config_hash LIKE ?", (ref + "%",))
        if len(rows) != 1:
            problem = "no run matches" if not rows else f"{len(rows)} runs match"
            hint = "give more of the hash" if rows else "`actlab runs list` shows ids and hashes"
            raise ActlabError(f"{problem} {ref!r} in {self.path}; {hint}")
        try:
            return _record(rows[0])
        except _DamagedRowError as problem:
            self.damaged[rows[0][0]] = str(problem)
            raise ActlabError(
                f"run {rows[0][0]} in {self.path} cannot be read: {problem} (a damaged row); "
                f"`actlab runs list` shows the readable runs"
            ) from None

    def get_cached(self, key: str) -> dict[str, Any] | None:
        """A stored JSON result (e.g. one tour section) under ``key`` for this package version, or ``None``
        (also when the stored one cannot be read: it is then computed again)."""
        rows = self._query("SELECT value_json FROM cached WHERE key = ? AND version = ?", (key, __version__))
        try:
            return _json_object(rows[0][0], "value_json") if rows else None
        except _DamagedRowError:
            return None

    def put_cached(self, key: str, value: Mapping[str, Any]) -> None:
        """Store a JSON result under ``key`` (replacing an older one) in its own transaction."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO cached (key, version, value_json, created_at) VALUES (?, ?, ?, ?)",
                (key, __version__, json.dumps(dict(value)), now),
            )

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM runs")[0][0])

    def gc(self, dry_run: bool = False) -> int:
        """Delete runs stored by other package versions (their keys can never match again); returns how many."""
        version = __version__
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
