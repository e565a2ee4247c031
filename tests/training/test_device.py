"""The device plumbing, on the CPU: names, the GPU memory estimate, the GPU training loop run on the CPU, the
GPU's batch contract drawn on the CPU, the store's device field and reuse rule, and the CLI's errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import actlab.fast.vectorized as vectorized
import actlab.training.device as device_module
from actlab.errors import ActlabError
from actlab.experiments.executor import plan_missing
from actlab.experiments.store import ResultStore, config_hash, device_twins
from actlab.fast.vectorized import RTOL, SYNC_EVERY, device_batches, train_group_on_device, train_many
from actlab.tour.config import TourConfig
from actlab.training.config import TrainConfig, make_task
from actlab.training.device import DEVICE_DRAW_STEPS, check_fits, device_name, group_bytes, resolve_device
from actlab.training.loop import _device_batches, train
from cli_checks import one_line_error

SMALL = ["--hidden", "8", "--steps", "30", "--batch-size", "16"]


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without a GPU, also where the tests run on one."""
    monkeypatch.setattr(device_module, "gpu_present", lambda: False)


@pytest.fixture(autouse=True)
def no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTLAB_DB", raising=False)


# --- names ------------------------------------------------------------------------------------------------


def test_resolve_device_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_module, "gpu_present", lambda: False)
    assert [resolve_device(n) for n in ("cpu", " CPU ", "auto")] == ["cpu", "cpu", "cpu"]
    with pytest.raises(ActlabError, match="PyTorch sees no GPU here"):
        resolve_device("cuda")
    assert device_name("cuda") == "cuda"  # a stored config may name a GPU this machine lacks
    for bad in ("gpu", "cuda:0", "", "tpu"):
        with pytest.raises(ActlabError, match="unknown device"):
            resolve_device(bad)
    monkeypatch.setattr(device_module, "gpu_present", lambda: True)
    assert [resolve_device(n) for n in ("cpu", "cuda", "Auto")] == ["cpu", "cuda", "cuda"]


def test_config_device_field_keeps_cpu_keys(no_gpu: None) -> None:
    cpu, explicit, gpu = (
        TrainConfig(steps=10),
        TrainConfig(steps=10, device="CPU"),
        TrainConfig(steps=10, device="cuda"),
    )
    assert explicit.device == "cpu" and "device" not in explicit.to_dict() and "device" not in explicit.resolved()
    assert config_hash(explicit) == config_hash(cpu)  # a CPU run's key is what it was before devices existed
    assert gpu.resolved()["device"] == "cuda" and config_hash(gpu) != config_hash(cpu)
    assert TrainConfig.from_dict(gpu.to_dict()).device == "cuda"
    assert TrainConfig(device="auto").device == "cpu"
    with pytest.raises(ActlabError, match="unknown device"):
        TrainConfig(device="gpu")
    with pytest.raises(ActlabError, match="tracker"):
        TrainConfig(device="cuda", track_every=10)
    with pytest.raises(ActlabError, match="no GPU"):
        train(gpu)  # before anything trains
    with pytest.raises(ActlabError, match="no GPU"):
        train_many([cpu], device="cuda")
    assert "device" not in TourConfig().to_dict() and TourConfig(device="cuda").to_dict()["device"] == "cuda"


# --- the GPU memory estimate ------------------------------------------------------------------------------


def test_group_bytes_by_hand() -> None:
    # 2-3-1, batch 4, 10 steps, float32, draws of 5 steps. Parameters P = 3·3 + 4·1 = 13.
    # Adam: 7P = 91; activations 4·(2·3 + 2·3 + 1) = 52; data 3·5·4·(2 + 1) = 180; history 10: 333 items.
    assert group_bytes(1, 2, [3], 1, 4, 10, 4, "adam", draw_steps=5) == 333 * 4
    assert group_bytes(2, 2, [3], 1, 4, 10, 4, "adam", draw_steps=5) == 2 * 333 * 4
    assert group_bytes(1, 2, [3], 1, 4, 10, 4, "sgd", draw_steps=5) == (333 - 2 * 13) * 4  # 5P instead of 7P
    assert group_bytes(1, 2, [3], 1, 4, 10, 8, "adam", draw_steps=5) == 333 * 8  # float64 items
    # linear 2-1: P = 3; activations 4·(0 + 2·1 + 1) = 12; 21 + 12 + 180 + 10 = 223 items.
    assert group_bytes(1, 2, [], 1, 4, 10, 4, "adam", draw_steps=5) == 223 * 4
    # the benchmark's 2-32-32-1 at batch 256, 3000 steps: P = 96 + 1056 + 33 = 1185
    per_network = (7 * 1185 + 256 * (2 * 64 + 2 * 32 + 1) + 3 * DEVICE_DRAW_STEPS * 256 * 3 + 3000) * 4
    assert group_bytes(8192, 2, [32, 32], 1, 256, 3000) == 8192 * per_network


def test_check_fits_names_the_largest_group_that_fits() -> None:
    check_fits(1600, 2000, 2)  # 80 % of 2000 is exactly the need
    with pytest.raises(ActlabError) as err:
        check_fits(1600, 1999, 2)
    assert "train at most 1 network at a time" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ActlabError, match="train at most 500 networks"):
        check_fits(1000 * 2**30, 625 * 2**30, 1000)  # 500 GiB planned of 625 free, 1 GiB each
    with pytest.raises(ActlabError, match="one network alone does not fit"):
        check_fits(1600, 100, 2)


def test_a_group_too_big_for_the_gpu_is_refused_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorized, "free_gpu_bytes", lambda device: 10 * 2**20)  # a GPU with 10 MiB free
    configs = [TrainConfig(seed=s, hidden=[32, 32], batch_size=256, steps=3000, device="cuda") for s in range(64)]
    need = group_bytes(64, 2, [32, 32], 1, 256, 3000)
    fitting = int(10 * 2**20 * 0.8) * 64 // need
    with pytest.raises(ActlabError, match=f"train at most {fitting} networks"):
        train_group_on_device(configs)  # raises before anything is put on the (absent) GPU
    with pytest.raises(ValueError, match="one group"):
        train_group_on_device([configs[0], TrainConfig(steps=10, device="cuda")])


def test_compare_too_big_for_the_gpu_is_one_line(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(device_module, "gpu_present", lambda: True)
    monkeypatch.setattr(vectorized, "free_gpu_bytes", lambda device: 2**10)
    result = cli(
        "compare", "--activations", "relu", "--seeds", "2", *SMALL, "--device", "cuda", "--db", str(tmp_path / "r.db")
    )
    one_line_error(result, "GPU memory")


# --- the GPU's loop and batches, run on the CPU -----------------------------------------------------------


def assert_close_run(many, alone) -> None:  # type: ignore[no-untyped-def]
    assert (many.steps, many.stopped_early) == (alone.steps, alone.stopped_early)
    torch.testing.assert_close(torch.tensor(many.history), torch.tensor(alone.history), rtol=RTOL, atol=1e-6)
    for p, q in zip(many.model.parameters(), alone.model.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=RTOL, atol=1e-5)


def test_device_loop_on_the_cpu_equals_train() -> None:
    """The loop that reads back every SYNC_EVERY steps: each network as train() trains it, including early
    stops between read-backs (the add task's batches are the same whether drawn one or 64 steps per call)."""
    steps = SYNC_EVERY + 30
    configs = [
        TrainConfig(activation=a, seed=s, hidden=[8, 8], steps=steps, batch_size=32, lr=2e-2, target_loss=0.5)
        for a, s in [("relu", 0), ("tanh", 1), ("gelu", 2), ("sigmoid", 1)]
    ]
    seen: list[int] = []
    results = train_group_on_device(configs, progress=seen.append)
    alone = [train(c) for c in configs]
    assert any(a.stopped_early for a in alone) and not all(a.stopped_early for a in alone)
    for result, reference in zip(results, alone, strict=True):
        assert_close_run(result, reference)
        assert result.metrics["diverged_step"] is None and result.metrics["dead_fraction"] >= 0
    assert sum(seen) == sum(r.steps for r in alone)  # progress counts each network's steps once
    assert len(seen) == math.ceil(max(r.steps for r in alone) / SYNC_EVERY)  # one wait per read-back


def test_device_loop_divergence_like_train() -> None:
    good = TrainConfig(optimizer="sgd", lr=1e-3, seed=1, hidden=[8], steps=SYNC_EVERY + 10, batch_size=16)
    bad = TrainConfig(optimizer="sgd", lr=5.0, seed=0, hidden=[8], steps=SYNC_EVERY + 10, batch_size=16)
    with pytest.raises(ActlabError) as alone:
        train(bad)
    with pytest.raises(ActlabError) as many:
        train_group_on_device([good, bad])
    assert str(many.value) == str(alone.value)
    kept_good, kept_bad = train_group_on_device([good, bad], on_diverge="keep")
    step = kept_bad.metrics["diverged_step"]
    assert f"at step {step}:" in str(alone.value) and kept_bad.steps == step - 1
    assert math.isnan(kept_bad.metrics["interp_mae"]) and not kept_bad.stopped_early
    assert_close_run(kept_good, train(good))


def test_device_batches_follow_the_gpu_contract_of_batch_stream() -> None:
    """On a GPU a network draws DEVICE_DRAW_STEPS steps per call; stacked, each network still gets exactly its
    own batch_stream (here drawn on the CPU, for a uniform task and a cloud task)."""
    for task_name in ("add", "spiral"):
        configs = [TrainConfig(task=task_name, seed=s, batch_size=8) for s in (4, 9)]
        task = make_task(configs[0])
        stacked = device_batches(configs, task)
        streams = [_device_batches(c, task) for c in configs]
        for _ in range(DEVICE_DRAW_STEPS + 3):  # across a second draw
            x, y = next(stacked)
            for i, stream in enumerate(streams):
                ex, ey = next(stream)
                assert torch.equal(x[i], ex) and torch.equal(y[i], ey)


def test_explicit_cpu_is_bit_for_bit_the_default() -> None:
    configs = [
        TrainConfig(activation=a, seed=s, hidden=[8], steps=40, batch_size=16) for a in ("relu", "tanh") for s in (0, 1)
    ]
    default, explicit = train_many(configs), train_many(configs, device="cpu")
    for a, b in zip(default, explicit, strict=True):
        assert a.history == b.history and a.metrics == b.metrics and b.config.device == "cpu"
        assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True))
    one = TrainConfig(steps=30, seed=3)
    assert train(one).history == train(TrainConfig(steps=30, seed=3, device="cpu")).history


# --- the store ----------------------------------------------------------------------------------------------


def test_store_records_the_device_and_reuses_across_devices_only_when_asked() -> None:
    cpu = TrainConfig(steps=10, seed=1)
    gpu = TrainConfig(steps=10, seed=1, device="cuda")
    old = {k: v for k, v in cpu.resolved().items()}  # a run stored before devices existed has no device key
    assert "device" not in old
    assert device_twins(gpu) == [config_hash(cpu)] and device_twins(cpu) == [config_hash(gpu)]
    with ResultStore(":memory:") as store:
        store.put(old, {"interp_mae": 0.5}, [1.0])
        assert store.get(cpu) is not None and store.get(cpu).device == "cpu"
        assert store.get(gpu) is None and plan_missing([gpu], store).reused == 0
        store.reuse_any_device = True
        record = store.get(gpu)
        assert record is not None and record.device == "cpu" and record.metrics == {"interp_mae": 0.5}
        assert plan_missing([gpu, cpu], store).reused == 2
        store.put(gpu, {"interp_mae": 0.25}, [2.0])
        store.reuse_any_device = False
        assert store.get(gpu).metrics == {"interp_mae": 0.25}  # its own run first
        assert [r.summary()["device"] for r in store.runs()] == ["cpu", "cuda"]


def test_runs_list_shows_the_device(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "r.db"
    with ResultStore(db) as store:
        store.put(TrainConfig(steps=10, device="cuda"), {"interp_mae": 0.5}, [1.0])
        store.put(TrainConfig(steps=10), {"interp_mae": 0.5}, [1.0])
    listed = cli("runs", "list", "--db", str(db), "--json")
    assert listed.code == 0 and [r["device"] for r in json.loads(listed.out)] == ["cuda", "cpu"]
    table = cli("runs", "list", "--db", str(db))
    assert table.code == 0 and "device" in table.out and "cuda" in table.out
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in table.out.splitlines() if line.startswith("│")]
    header = [c.strip() for c in next(x for x in table.out.splitlines() if x.startswith("┃")).split("┃")[1:-1]]
    rows = [dict(zip(header, row, strict=True)) for row in cells]  # every value under its own column
    assert [(r["device"], r["interp"], r["label"]) for r in rows] == [("cuda", "0.5", ""), ("cpu", "0.5", "")]


def test_compare_reuses_cpu_runs_for_cuda_only_when_asked(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "r.db")
    first = cli(
        "compare", "--activations", "relu,tanh", "--seeds", "2", *SMALL, "--db", db, "--device", "cpu", "--json"
    )
    assert first.code == 0 and json.loads(first.out)["trained"] == 4
    monkeypatch.setattr(device_module, "gpu_present", lambda: True)  # nothing below trains: all is reused
    again = cli(
        "compare",
        "--activations",
        "relu,tanh",
        "--seeds",
        "2",
        *SMALL,
        "--db",
        db,
        "--device",
        "cuda",
        "--reuse-any-device",
        "--json",
    )
    assert again.code == 0, again.err
    assert (json.loads(again.out)["trained"], json.loads(again.out)["reused"]) == (0, 4)
    monkeypatch.setattr(device_module, "gpu_present", lambda: False)
    refused = cli("compare", "--activations", "relu,tanh", "--seeds", "2", *SMALL, "--db", db, "--device", "cuda")
    one_line_error(refused, "no GPU")


# --- the CLI's errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("train", "--steps", "5"),
        ("compare", "--activations", "relu", "--seeds", "2", *SMALL),
        ("tour",),
        ("diagnose", "--model", "nowhere.py:f", "--input-shape", "2,2"),
    ],
)
def test_device_errors_are_one_line(cli, tmp_path: Path, no_gpu: None, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    db = ["--db", str(tmp_path / "r.db")] if args[0] in ("compare", "tour") else []
    one_line_error(cli(*args, *db, "--device", "cuda"), "no GPU")
    one_line_error(cli(*args, *db, "--device", "gpu"), "unknown device 'gpu'")
    assert not (tmp_path / "r.db").exists()  # refused before the database is created


def test_sweep_device_option(cli, tmp_path: Path, no_gpu: None) -> None:  # type: ignore[no-untyped-def]
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        '[grid]\nactivations = ["relu"]\ndepths = [1]\nwidths = [8]\nseeds = 2\n[train]\nsteps = 20\nbatch_size = 16\n'
    )
    db = str(tmp_path / "r.db")
    one_line_error(cli("sweep", str(sweep), "--db", db, "--device", "cuda"), "no GPU")
    done = cli("sweep", str(sweep), "--db", db, "--device", "cpu", "--json", "--quiet")
    assert done.code == 0, done.err
    assert [r["device"] for r in json.loads(cli("runs", "list", "--db", db, "--json").out)] == ["cpu", "cpu"]


def test_work_units_on_a_gpu_hold_a_whole_group() -> None:
    from actlab.experiments.executor import GPU_UNIT, MAX_UNIT, plan_units

    cpu = [TrainConfig(seed=s, steps=10) for s in range(300)]
    gpu = [TrainConfig(seed=s, steps=10, device="cuda") for s in range(GPU_UNIT + 1)]
    assert [len(u.configs) for u in plan_units(cpu)] == [MAX_UNIT, MAX_UNIT, 300 - 2 * MAX_UNIT]
    assert [len(u.configs) for u in plan_units(gpu)] == [GPU_UNIT, 1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine without a GPU")
def test_gpu_benchmark_without_a_gpu_is_one_line() -> None:
    import subprocess
    import sys

    bench = Path(__file__).parents[2] / "benchmarks" / "bench_vectorized.py"
    done = subprocess.run([sys.executable, str(bench), "--device", "cuda"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "no GPU is present" in done.stderr
