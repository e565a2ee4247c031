"""Every sentence that states a finding follows from its numbers: made-up measurements on both sides of each
limit pick the right sentence, in English and in Chinese. A missing measurement reads "n/a", never 0."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from actlab.experiments.stats import estimate
from actlab.text import EN, ZH
from actlab.tour import findings as f
from actlab.tour.document import document
from actlab.tour.results import Section, Table, TourResult
from actlab.tour.words import tour_say

LOW = estimate([4.0, 4.5, 5.0, 5.5, 6.0])  # mean 5
HIGH = estimate([23.0, 23.5, 24.0, 24.5, 25.0])  # mean 24, far from LOW for any t-test
NEAR_HIGH = estimate([20.0, 22.0, 24.0, 26.0, 28.0])  # mean 24 too, overlapping HIGH

# (finding, its inputs, the sentence it must pick, words only that sentence has in English, ... in Chinese)
CASES: list[tuple[Callable[..., f.Finding], dict[str, Any], str, str, str]] = [
    (
        f.linear_accuracy,
        {"identity_accuracy": 0.46, "relu_accuracy": 0.98},
        "s1.result.chance",
        "stays near chance",
        "停留在随机猜测附近",
    ),
    (
        f.linear_accuracy,
        {"identity_accuracy": 0.65, "relu_accuracy": 0.98},
        "s1.result.chance",
        "stays near chance",
        "停留在随机猜测附近",
    ),  # exactly chance + margin: still "near"
    (
        f.linear_accuracy,
        {"identity_accuracy": 0.66, "relu_accuracy": 0.98},
        "s1.result.above_chance",
        "clearly above chance",
        "明显高于随机猜测",
    ),
    (f.mul_error, {"identity": HIGH, "relu": LOW}, "s1.mul.lower", "ReLU lowers the mean error", "降到"),
    (f.mul_error, {"identity": LOW, "relu": HIGH}, "s1.mul.higher", "ReLU does worse", "反而更差"),
    (f.mul_error, {"identity": HIGH, "relu": NEAR_HIGH}, "s1.mul.unclear", "does not tell them apart", "无法区分"),
    (
        f.mul_error,
        {"identity": estimate([24.0]), "relu": estimate([5.0])},
        "s1.mul.unclear",
        "does not tell them apart",
        "无法区分",
    ),  # one seed: no test can tell them apart
    (
        f.saturating_outside,
        {"sigmoid_slope": 0.0, "tanh_slope": 0.2},
        "s4.saturating.flat",
        "activations flatten out",
        "激活函数趋于平坦",
    ),
    (
        f.saturating_outside,
        {"sigmoid_slope": -0.2, "tanh_slope": 0.01},
        "s4.saturating.flat",
        "activations flatten out",
        "激活函数趋于平坦",
    ),
    (
        f.saturating_outside,
        {"sigmoid_slope": 0.0, "tanh_slope": 0.21},
        "s4.saturating.not_flat",
        "do not both flatten out",
        "并没有都趋于平坦",
    ),
    (
        f.saturating_outside,
        {"sigmoid_slope": 0.9, "tanh_slope": 1.0},
        "s4.saturating.not_flat",
        "do not both flatten out",
        "并没有都趋于平坦",
    ),
    (
        f.relu_like_outside,
        {"relu_slope": 0.99, "leaky_slope": 1.0},
        "s4.relu_like.straight",
        "keep going roughly straight",
        "大致保持直线延伸",
    ),
    (
        f.relu_like_outside,
        {"relu_slope": 0.8, "leaky_slope": 1.2},
        "s4.relu_like.straight",
        "keep going roughly straight",
        "大致保持直线延伸",
    ),
    (
        f.relu_like_outside,
        {"relu_slope": 0.0, "leaky_slope": 1.0},
        "s4.relu_like.bent",
        "do not both keep the true sum's trend",
        "并没有都保持",
    ),  # ReLU went flat too (it happens on some seeds)
    (
        f.relu_like_outside,
        {"relu_slope": 1.0, "leaky_slope": 1.21},
        "s4.relu_like.bent",
        "do not both keep the true sum's trend",
        "并没有都保持",
    ),
    (
        f.leaky_dead,
        {"relu_dead_end": 0.32, "leaky_dead_end": 0.0},
        "s5.leaky.fewer",
        "Fewer units are lost",
        "损失的单元更少",
    ),
    (
        f.leaky_dead,
        {"relu_dead_end": 0.1, "leaky_dead_end": 0.1},
        "s5.leaky.not_fewer",
        "no fewer units",
        "并不比 ReLU 少",
    ),
    (
        f.leaky_dead,
        {"relu_dead_end": 0.0, "leaky_dead_end": 0.0},
        "s5.leaky.not_fewer",
        "no fewer units",
        "并不比 ReLU 少",
    ),
]


@pytest.mark.parametrize(("finding", "numbers", "key", "en", "zh"), CASES)
def test_each_finding_picks_its_sentence(
    finding: Callable[..., f.Finding], numbers: dict[str, Any], key: str, en: str, zh: str
) -> None:
    got, fields = finding(**numbers)
    assert got == key
    assert en in tour_say("en", got, **fields) and zh in tour_say("zh", got, **fields)
    others = [k for k in EN if k.rsplit(".", 1)[0] == f"tour.{key}".rsplit(".", 1)[0] and k != f"tour.{key}"]
    assert others  # each finding has another sentence to choose ...
    for other in others:  # ... which says something else
        assert en not in EN[other] and zh not in ZH[other]


def test_findings_show_the_numbers_they_were_chosen_from() -> None:
    key, fields = f.saturating_outside(sigmoid_slope=0.004, tanh_slope=0.13)
    assert "0.00" in tour_say("en", key, **fields) and "0.13" in tour_say("zh", key, **fields)
    key, fields = f.mul_error(identity=HIGH, relu=LOW)
    assert "from 24 to 5" in tour_say("en", key, **fields)


def test_a_missing_measurement_reads_n_a_never_zero() -> None:
    """A network that diverged has no error: "n/a", whatever the number's format in the sentence."""
    assert tour_say("en", "s5.error", relu_mae=None, leaky_mae=0.0357).endswith(
        "n/a with ReLU and 0.0357 with Leaky ReLU."
    )
    assert "无数据" in tour_say("zh", "s5.error", relu_mae=None, leaky_mae=0.0357)
    assert "0.0 " not in tour_say("en", "ev.leaky", relu=0.3, leaky=0.0, relu_mae=None, leaky_mae=None)


def test_a_table_cell_marked_missing_reads_n_a() -> None:
    section = Section(key="s5", tables=[Table(columns=["col.activation", "col.mae_end"], rows=[["relu", "missing"]])])
    result = TourResult("quick", 1, [section], 1.0)
    assert document(result, "en").sections[0].blocks[0].rows == [["relu", "n/a"]]  # type: ignore[union-attr]
    assert document(result, "zh").sections[0].blocks[0].rows == [["relu", "无数据"]]  # type: ignore[union-attr]


def test_dead_section_shows_a_missing_error_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Section 5 with a ReLU network whose error does not exist (as after a divergence): the mean, the table,
    the sentence and the evidence say n/a; before, ``interp_mae or 0.0`` made it a perfect 0."""
    from actlab.tour import dead
    from actlab.tour.config import TourConfig

    real_train = dead.train

    def train_without_error(cfg: Any) -> Any:
        result = real_train(cfg)
        if cfg.activation == "relu":
            result.metrics["interp_mae"] = None
        return result

    monkeypatch.setattr(dead, "train", train_without_error)
    monkeypatch.setattr(dead, "rendered", lambda build: {"en": b""}, raising=False)  # no figure needed here
    config = replace(TourConfig(), seeds=2, dead_steps=20, dead_every=10, dead_hidden=(8,))
    section = dead.dead_neurons(config)
    assert section.numbers["mean"]["relu"]["mae"] is None
    assert section.numbers["mean"]["leaky_relu"]["mae"] > 0
    doc = document(TourResult("quick", 2, [section], 1.0), "en")
    blocks = doc.sections[0].blocks
    table = next(b for b in blocks if hasattr(b, "rows"))
    assert table.rows[0][0] == "relu" and table.rows[0][-1] == "n/a"  # type: ignore[attr-defined]
    assert any("n/a with ReLU" in getattr(b, "text", "") for b in blocks)
    leaky = next(b for b in blocks if getattr(b, "key", "") == "claim.leaky")
    assert "error at the end: relu n/a" in leaky.evidence  # type: ignore[attr-defined]


def test_mean_or_missing() -> None:
    from actlab.tour.dead import mean_or_missing

    assert mean_or_missing([0.1, 0.3]) == pytest.approx(0.2)
    assert mean_or_missing([0.1, None]) is None
    assert mean_or_missing([0.1, float("nan")]) is None
    assert mean_or_missing([0.1, float("inf")]) is None
