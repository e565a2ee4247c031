"""The Ray backend on a real 2-node cluster in this process (loopback only, no dashboard, Ray's files in a
temporary folder): the same results as the local backend, run for run; a killed worker process retried; a
killed driver resumed; nodes that cannot run actlab refused in one line; a Ray instance started here.

One cluster serves the whole module (Ray takes seconds to start a node). Tests that add nodes remove them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import actlab
from actlab.errors import ActlabError
from actlab.experiments.executor import plan_missing, run_missing
from actlab.experiments.store import ResultStore
from actlab.experiments.sweep import load
from actlab.training.config import TrainConfig
from cli_checks import count_runs

ray = pytest.importorskip("ray", reason="the Ray backend's tests need Ray: pip install 'actlab[ray]'")

from ray.cluster_utils import Cluster  # noqa: E402

from actlab.backends.ray_executor import RayExecutor  # noqa: E402

SRC = Path(actlab.__file__).resolve().parents[1]  # workers must import this checkout, as the tests do
WAIT_S = 180  # the longest any step here may take on a busy machine before the test fails instead of hanging

SWEEP = """\
label = "{label}"
[grid]
activations = ["relu", "tanh"]
depths = [1]
widths = [3, 5]
seeds = 3
[train]
steps = {steps}
batch_size = 16
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """Two nodes of one CPU each on 127.0.0.1, this process connected as the driver."""
    folder = tempfile.mkdtemp(prefix="actlab-ray-")  # short: Ray's socket paths must stay under 108 bytes
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_TMPDIR", folder)
        env.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # Ray then uses the loopback address, not the LAN's
        env.setattr("ray._private.ray_constants.ENABLE_RAY_CLUSTER", False)  # the same, read at Ray's import
        env.setenv("PYTHONPATH", os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]))
        env.delenv("RAY_ADDRESS", raising=False)
        env.delenv("ACTLAB_DB", raising=False)
        nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
        try:
            nodes.add_node(num_cpus=1)
            ray.init(address=nodes.address, logging_level="ERROR", log_to_driver=False)
            yield nodes
        finally:
            ray.shutdown()
            nodes.shutdown()
            shutil.rmtree(folder, ignore_errors=True)


def sweep_file(tmp_path: Path, label: str, steps: int) -> Path:
    path = tmp_path / f"{label}.toml"
    path.write_text(SWEEP.format(label=label, steps=steps))
    return path


def stored(db: Path) -> dict[str, tuple[Any, ...]]:
    """Every stored run by config hash: its config, its metrics but the wall time, and its loss curve."""
    with ResultStore(db, create=False) as store:
        runs = store.runs()
    assert len({r.config_hash for r in runs}) == len(runs)
    return {r.config_hash: (r.config, {k: v for k, v in r.metrics.items() if k != "seconds"}, r.losses) for r in runs}


def test_a_sweep_on_two_nodes_equals_the_local_backend_run_for_run(cli, cluster: Cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = sweep_file(tmp_path, "equal", steps=60)
    local = cli("sweep", str(path), "--db", str(tmp_path / "local.db"), "--workers", "2", "--json")
    assert local.code == 0, local.err
    on_ray = cli(
        "sweep", str(path), "--db", str(tmp_path / "ray.db"), "--backend", "ray", "--address", cluster.address, "--json"
    )
    assert on_ray.code == 0, on_ray.err
    summary = json.loads(on_ray.out)
    assert (summary["runs"], summary["trained"], summary["units"]) == (12, 12, 2)
    ours, theirs = stored(tmp_path / "local.db"), stored(tmp_path / "ray.db")
    assert len(ours) == 12 and ours.keys() == theirs.keys()
    for key, (config, metrics, losses) in ours.items():  # bit for bit: a network's run does not depend on
        assert theirs[key] == (config, metrics, losses), config  # the process or the neighbours it trains with
    again = cli(
        "sweep", str(path), "--db", str(tmp_path / "ray.db"), "--backend", "ray", "--address", cluster.address, "--json"
    )
    assert json.loads(again.out)["trained"] == 0


def test_compare_on_ray_equals_compare_on_the_local_backend(cli, cluster: Cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("compare", "--activations", "relu,gelu", "--seeds", "2", "--hidden", "4", "--steps", "40", "--json")
    local = json.loads(cli(*args, "--db", str(tmp_path / "local.db")).out)
    remote = cli(*args, "--db", str(tmp_path / "ray.db"), "--backend", "ray", "--address", cluster.address)
    assert remote.code == 0, remote.err
    on_ray = json.loads(remote.out)
    for summary in (local, on_ray):
        for entry in summary["results"]:
            del entry["seconds_mean"], entry["seconds_ci95"]
        del summary["db"]
    assert on_ray == local


def test_progress_counts_every_model_step_once(cluster: Cluster, tmp_path: Path) -> None:
    configs = [
        TrainConfig(activation=a, hidden=[w], steps=50, batch_size=16, seed=s)
        for a in ("relu", "tanh")
        for w in (3, 4)
        for s in range(2)
    ]
    plan = plan_missing(configs, None)
    steps: list[int] = []
    with RayExecutor() as executor:  # joins the connected cluster, and leaves it connected
        outcomes = run_missing(plan, None, executor, steps.append)
    assert ray.is_initialized()
    assert sum(steps) == plan.model_steps == 8 * 50 and all(n > 0 for n in steps)
    assert sorted(o.config.seed for o in outcomes) == [0] * 4 + [1] * 4


def task_processes(title: str = "ray::train_unit") -> list[int]:
    """Processes running a training task now: Ray titles a worker ``ray::<task>`` while it runs one (and
    ``ray::IDLE`` between tasks)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().split(b"\0")[0] == title.encode():
                    found.append(int(entry.name))
            except OSError:  # it has just ended
                continue
    return found


def test_a_worker_killed_mid_task_is_retried_and_nothing_is_lost_or_doubled(cluster: Cluster, tmp_path: Path) -> None:
    configs = [
        TrainConfig(activation=a, hidden=[w], steps=2000, batch_size=16, seed=s)
        for a in ("relu", "tanh")
        for w in (3, 4)
        for s in range(2)
    ]
    plan = plan_missing(configs, None)
    killed: list[int] = []
    finished = [0]

    def kill_one_when_training() -> None:  # a worker in the middle of a task, before any unit is stored
        deadline = time.monotonic() + WAIT_S
        while not killed and finished[0] == 0 and time.monotonic() < deadline:
            for pid in task_processes()[:1]:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_when_training)
    killer.start()
    try:
        with ResultStore(tmp_path / "runs.db") as store, RayExecutor() as executor:
            for unit, done in executor.run(plan.units):
                store.put_many(((o.config, o.metrics, o.losses) for o in done), unit.label)
                finished[0] += 1
    finally:
        killer.join()
    assert killed, "no training task was seen running; the units finished too fast to kill one"
    runs = stored(tmp_path / "runs.db")
    assert len(runs) == len(configs) == 8  # every run once: the killed unit's task ran again, its result came once
    assert runs == stored_locally(configs, tmp_path / "local.db")


def stored_locally(configs: list[TrainConfig], db: Path) -> dict[str, tuple[Any, ...]]:
    with ResultStore(db) as store:
        run_missing(plan_missing(configs, store), store)
    return stored(db)


def test_a_driver_killed_with_sigkill_resumes_with_every_run_once(cli, cluster: Cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, db = sweep_file(tmp_path, "killed", steps=1000), tmp_path / "runs.db"
    path.write_text(path.read_text().replace("widths = [3, 5]", "widths = [3, 4, 5, 6]"))  # 4 units of 6 runs
    # "auto": the cluster whose address Ray noted in $RAY_TMPDIR, as `ray start --head` does
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "actlab",
            "sweep",
            str(path),
            "--db",
            str(db),
            "--quiet",
            "--backend",
            "ray",
            "--address",
            "auto",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while count_runs(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read().decode()}"  # type: ignore[union-attr]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()  # type: ignore[union-attr]
    kept = count_runs(db)
    assert 6 <= kept < 24 and kept % 6 == 0  # whole units only: the driver commits each in one transaction

    resumed = cli(
        "sweep", str(path), "--db", str(db), "--json", "--quiet", "--backend", "ray", "--address", cluster.address
    )
    assert resumed.code == 0, resumed.err
    summary = json.loads(resumed.out)
    assert (summary["stored"], summary["trained"]) == (kept, 24 - kept)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT config_hash) FROM runs").fetchone() == (24, 24)
        combos = conn.execute(
            "SELECT DISTINCT activation, json_extract(config_json, '$.hidden'), seed FROM runs"
        ).fetchall()
    assert len(combos) == 24


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ('raise ImportError("a broken install")', "cannot import actlab (ImportError: a broken install; Python "),
        ('__version__ = "0.0.0+elsewhere"', f"runs actlab 0.0.0+elsewhere, this driver actlab {actlab.__version__}"),
    ],
)
def test_a_node_that_cannot_run_this_actlab_is_refused_in_one_line(  # type: ignore[no-untyped-def]
    cli, cluster: Cluster, tmp_path: Path, package: str, message: str
) -> None:
    (tmp_path / "fake" / "actlab").mkdir(parents=True)
    (tmp_path / "fake" / "actlab" / "__init__.py").write_text(package + "\n")
    node = cluster.add_node(num_cpus=1, env_vars={"PYTHONPATH": str(tmp_path / "fake")})  # shadows this actlab
    try:
        path, db = sweep_file(tmp_path, "refused", steps=20), tmp_path / "runs.db"
        result = cli("sweep", str(path), "--db", str(db), "--backend", "ray", "--address", cluster.address)
        assert result.code == 2
        last = result.err.strip().splitlines()[-1]
        assert last.startswith("actlab: error: node 127.0.0.1 ") and message in last
        assert last.endswith(
            f"every node needs actlab {actlab.__version__} (pip install "
            f"'actlab[ray]=={actlab.__version__}' in each node's Python)"
        )
        assert count_runs(db) == 0  # refused before anything trained
    finally:
        cluster.remove_node(node)


def test_a_task_larger_than_every_node_is_refused_not_waited_for(cli, cluster: Cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "sweep",
        str(sweep_file(tmp_path, "big", steps=20)),
        "--db",
        str(tmp_path / "r.db"),
        "--backend",
        "ray",
        "--address",
        cluster.address,
        "--workers",
        "2",
    )
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == (
        "actlab: error: no node of the Ray cluster can take a task of 2 CPUs (the largest has 1 CPUs); use "
        "--workers 1 or less, or larger nodes"
    )


def test_an_address_where_nothing_listens_is_a_one_line_error_not_a_wait(tmp_path: Path) -> None:
    path = sweep_file(tmp_path, "nowhere", steps=20)
    env = {**os.environ, "RAY_ADDRESS": "127.0.0.1:9", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # no --address
    done = subprocess.run(
        [sys.executable, "-m", "actlab", "sweep", str(path), "--db", str(tmp_path / "r.db"), "--backend", "ray"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "actlab: error: cannot join the Ray cluster at 127.0.0.1:9: nothing answers at 127.0.0.1:9 (Connection "
        "refused); start one with `ray start --head`, or leave out --address (and $RAY_ADDRESS) to start Ray on "
        "this machine"
    )


def test_ray_started_here_trains_and_stops_with_the_command(cluster: Cluster, tmp_path: Path) -> None:
    path, db = sweep_file(tmp_path, "here", steps=40), tmp_path / "runs.db"
    folder = tempfile.mkdtemp(prefix="actlab-ray-")  # a Ray instance of its own, not the module's cluster
    try:
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        done = subprocess.run(
            [sys.executable, "-m", "actlab", "sweep", str(path), "--db", str(db), "--backend", "ray", "--json"],
            env={**env, "RAY_TMPDIR": folder},
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["trained"] == 12
        assert done.stderr == ""  # Ray's own logging stays out of the terminal
        deadline = time.monotonic() + 30
        while started_in(folder) and time.monotonic() < deadline:  # Ray's processes end with the command
            time.sleep(0.2)
        assert started_in(folder) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert stored(db) == stored_locally(load(path).expand(), tmp_path / "local.db")


def started_in(folder: str) -> list[int]:
    """Processes whose command line names ``folder`` (Ray's servers name their session's folder)."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and folder in command_line(int(p.name))]


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_without_ray_the_ray_backend_is_one_line_saying_how_to_install_it(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    path = sweep_file(tmp_path, "noray", steps=20)
    for args in (("sweep", str(path)), ("compare", "--seeds", "2")):
        result = cli(*args, "--db", str(tmp_path / "r.db"), "--backend", "ray")
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            "actlab: error: --backend ray needs Ray, which is not installed here; install it "
            "with: pip install 'actlab[ray]'\n"
        )
    assert not (tmp_path / "r.db").exists()


def test_backend_options_are_checked_before_anything_runs(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = sweep_file(tmp_path, "opts", steps=20)
    bad = cli("sweep", str(path), "--db", str(tmp_path / "r.db"), "--backend", "rey")
    assert (bad.code, bad.err) == (2, "actlab: error: unknown backend 'rey': did you mean ray?\n")
    local = cli("compare", "--seeds", "2", "--db", str(tmp_path / "r.db"), "--address", "auto")
    assert local.err == (
        "actlab: error: --address auto is a Ray cluster's address: add --backend ray, or leave it out\n"
    )
    assert not (tmp_path / "r.db").exists()
    with pytest.raises(ActlabError, match="workers must be at least 1, got 0"):
        RayExecutor(workers=0)


def test_nothing_to_train_starts_no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("Ray was started or joined with nothing to train")

    monkeypatch.setattr("actlab.backends.ray_executor.start_or_join", refuse)
    monkeypatch.setattr("actlab.backends.ray_executor.check_nodes", refuse)
    with RayExecutor("127.0.0.1:9") as executor:
        assert list(executor.run([])) == []


def test_what_a_probe_answer_says_about_a_node() -> None:
    from actlab.backends.ray_probe import fits, node_problem

    assert node_problem("10.0.0.7", {"actlab": "0.1.0", "python": "3.11.7"}, "0.1.0") is None
    assert node_problem("10.0.0.7", None, "0.1.0") == (
        "node 10.0.0.7 did not answer a probe task in time (busy, unreachable, or failing to start workers)"
    )
    assert node_problem("10.0.0.7", {"actlab": "0.0.9", "python": "3.12.1"}, "0.1.0") == (
        "node 10.0.0.7 runs actlab 0.0.9, this driver actlab 0.1.0"
    )
    assert fits({"CPU": 8.0, "GPU": 1.0}, 8, 1) and not fits({"CPU": 8.0}, 8, 1) and not fits({"CPU": 4.0}, 8, 0)
