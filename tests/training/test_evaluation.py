"""Metrics from hand-computable models, input parsing, predictions, slopes and plots."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
import torch

from actlab import MLP
from actlab.errors import ActlabError
from actlab.nets.tasks import get_task
from actlab.plots.style import save
from actlab.plots.training import decision_figure, extrapolation_figure, loss_figure
from actlab.training.evaluate import evaluate, line_inputs, parse_inputs, predict, slope_ratio

ADDER = MLP.from_weights([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0]]], activation="relu")
ZERO = MLP.from_weights([torch.zeros(1, 2)])  # predicts 0 everywhere
GAUSS_RULE = MLP.from_weights([[[-1.0, -1.0], [1.0, 1.0]]])  # logits (-(a+b), a+b): class 1 where a + b > 0


def test_exact_adder_scores_perfectly() -> None:
    m = evaluate(ADDER, get_task("add"))
    assert m["interp_mae"] == pytest.approx(0.0, abs=1e-5)
    assert m["extrap_max_error"] == pytest.approx(0.0, abs=1e-4)
    assert m["interp_exact_rate"] == 1.0 and m["extrap_exact_rate"] == 1.0


def test_zero_model_metrics_are_the_targets_sizes() -> None:
    task = get_task("add")
    m = evaluate(ZERO, task)
    _, y = task.sample(2000, torch.Generator().manual_seed(7_000_001), "interp")
    assert m["interp_mae"] == pytest.approx(y.abs().double().mean().item())
    assert m["interp_max_error"] == pytest.approx(y.abs().max().item())
    assert m["interp_rel_error"] == pytest.approx(1.0)
    _, y_out = task.sample(2000, torch.Generator().manual_seed(7_000_002), "extrap")
    assert m["extrap_mae"] == pytest.approx(y_out.abs().double().mean().item())


def test_exact_rate_only_where_whole_inputs_give_whole_answers() -> None:
    sub = get_task("sub")
    x, _ = sub.sample(2000, torch.Generator().manual_seed(7_000_002), "interp", integer=True)
    # the adder answers a + b; that is a - b exactly where b = 0
    assert evaluate(ADDER, sub)["interp_exact_rate"] == (x[:, 1] == 0).double().mean().item()
    div = MLP.from_weights([torch.zeros(1, 2)])
    assert evaluate(div, get_task("div"))["interp_exact_rate"] is None


def test_classification_accuracy() -> None:
    m = evaluate(GAUSS_RULE, get_task("gauss"))
    assert set(m) == {"accuracy", "extrap_accuracy"}
    assert m["extrap_accuracy"] == 1.0  # the rule itself, outside the box
    for name in ("gauss", "xor"):  # the rule's accuracy on the evaluation points, counted directly
        task = get_task(name)
        x, y = task.sample(2000, torch.Generator().manual_seed(7_000_001), "interp")
        rule = (x.sum(1) > 0).long()  # argmax of (-(a+b), a+b); a tie picks class 0, as a + b > 0 does
        assert evaluate(GAUSS_RULE, task)["accuracy"] == (rule == y).double().mean().item()


def test_evaluation_points_do_not_depend_on_the_global_rng() -> None:
    torch.manual_seed(1)
    a = evaluate(ZERO, get_task("add"))
    torch.manual_seed(2)
    assert evaluate(ZERO, get_task("add")) == a


@pytest.mark.parametrize(
    ("task", "values", "expected"),
    [
        ("add", ["5", "3"], [5.0, 3.0]),
        ("add", ["5+3"], [5.0, 3.0]),
        ("add", ["5", "-3"], [5.0, -3.0]),
        ("add", ["5+-3"], [5.0, -3.0]),
        ("add", ["-5", "+", "-3"], [-5.0, -3.0]),
        ("add", ["1e3,2"], [1000.0, 2.0]),
        ("add", ["1e-3+2"], [0.001, 2.0]),
        ("add", [4.0, 2.5], [4.0, 2.5]),
        ("add", [" 5 ", "3"], [5.0, 3.0]),
        ("sub", ["5-3"], [5.0, 3.0]),
        ("sub", ["-5-3"], [-5.0, 3.0]),
        ("sub", ["5 - -3"], [5.0, -3.0]),
        ("sub", ["5", "-", "-3"], [5.0, -3.0]),
        ("sub", ["5--3"], [5.0, -3.0]),
        ("sub", ["5−3"], [5.0, 3.0]),
        ("sub", ["5", "-3"], [5.0, -3.0]),
        ("sub", ["-5", "3"], [-5.0, 3.0]),
        ("sub", ["5,3"], [5.0, 3.0]),
        ("mul", ["5*3"], [5.0, 3.0]),
        ("mul", ["5x-3"], [5.0, -3.0]),
        ("mul", ["5 × 3"], [5.0, 3.0]),
        ("div", ["6/2"], [6.0, 2.0]),
        ("div", ["6 ÷ -2"], [6.0, -2.0]),
        ("max", ["max(5, -3)"], [5.0, -3.0]),
        ("max", ["5", "3"], [5.0, 3.0]),
        ("sqrt", ["4"], [4.0]),
        ("square", ["-2.5"], [-2.5]),
        ("identity", [7], [7.0]),
        ("xor", ["0.5", "-0.5"], [0.5, -0.5]),
        ("xor", ["0.5,-0.5"], [0.5, -0.5]),
    ],
)
def test_parse_inputs(task: str, values: list, expected: list[float]) -> None:
    assert parse_inputs(values, get_task(task)) == expected


@pytest.mark.parametrize(
    ("task", "values", "message"),
    [
        ("add", ["5"], "takes 2 inputs"),
        ("add", ["5", "3", "1"], "takes 2 inputs"),
        ("add", ["nan", "3"], "'nan' is not a finite number"),
        ("add", ["inf", "3"], "not a finite number"),
        ("add", ["five", "3"], "'five' is not a number"),
        ("add", ["5%3"], "takes 2 inputs, got '5%3'"),
        ("add", ["5-3"], r"'5-3' asks a - b, but this run learned a \+ b; ask e.g. 5 3 or \"5\+3\""),
        ("add", ["-5", "-", "-3"], "asks a - b, but this run learned a \\+ b"),
        ("sub", ["5+3"], r"'5\+3' asks a \+ b, but this run learned a - b; ask e.g. 5 3 or \"5-3\""),
        ("sub", ["5*3"], r"asks a \* b, but this run learned a - b"),
        ("sub", ["5x3"], "asks a x b, but this run learned a - b"),
        ("sub", ["5/3"], "asks a / b, but this run learned a - b"),
        ("sub", ["5+-3"], r"asks a \+ b, but this run learned a - b"),
        ("sub", ["max(5, 3)"], r"asks max\(a, b\), but this run learned a - b"),
        ("mul", ["5+3"], r"this run learned a \* b; ask e.g. 5 3 or \"5\*3\""),
        ("div", ["5*3"], "this run learned a / b"),
        ("max", ["5+3"], r"this run learned max\(a, b\); ask e.g. 5 3 or \"max\(5, 3\)\""),
        ("xor", ["0.5+0.5"], r"this run classifies points \(a, b\); give the two coordinates"),
        ("sqrt", ["4+1"], "task 'sqrt' takes 1 input, a single number, got '4\\+1'; ask e.g. 5$"),
        ("sqrt", ["4", "1"], "takes 1 input"),
        ("sqrt", ["x"], r"'x' is not a number \(write e.g. 5\)"),
    ],
)
def test_parse_inputs_rejects(task: str, values: list[str], message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        parse_inputs(values, get_task(task))


def test_parse_inputs_examples_name_the_run() -> None:
    with pytest.raises(ActlabError) as caught:
        parse_inputs(["5+3"], get_task("sub"), run="runs/my sub")
    assert str(caught.value) == (
        "'5+3' asks a + b, but this run learned a - b; ask e.g. actlab predict 'runs/my sub' 5 3 or "
        "actlab predict 'runs/my sub' \"5-3\""
    )


def test_predict() -> None:
    answer = predict(ADDER, get_task("add"), [5.0, 3.0])
    assert answer == {"inputs": [5.0, 3.0], "prediction": 8.0, "truth": 8.0}
    cls = predict(GAUSS_RULE, get_task("gauss"), [0.5, 0.2])
    assert cls["prediction"] == 1 and cls["truth"] == 1
    p1 = 1 / (1 + math.exp(-1.4))  # softmax of the logits (-0.7, 0.7)
    assert cls["probabilities"] == pytest.approx([1 - p1, p1], rel=1e-6)  # float32 logits, float64 softmax


def test_line_and_slope_ratio() -> None:
    task = get_task("add")
    x = line_inputs(task, torch.tensor([-10.0, 0.0, 10.0]))
    assert x.tolist() == [[-10.0, -5.0], [0.0, 0.0], [10.0, 5.0]]
    assert slope_ratio(ADDER, task) == pytest.approx(1.0)
    assert slope_ratio(ZERO, task) == 0.0
    half = MLP.from_weights([[[0.5, 0.5]]])
    assert slope_ratio(half, task) == pytest.approx(0.5)


def test_plots_write_files(tmp_path: Path) -> None:
    gauss = get_task("gauss")
    x, y = gauss.sample(100, torch.Generator().manual_seed(0))
    figures = {
        "x.png": extrapolation_figure({"adder": ADDER, "zero": ZERO}, get_task("add")),
        "d.png": decision_figure(GAUSS_RULE, gauss, x, y, points=50),
        "l.png": loss_figure({"run": [1.0, 0.5, 0.1]}),
    }
    for name, fig in figures.items():  # a PNG of the figure's size at save()'s 110 dots per inch
        width, height = fig.get_size_inches() * 110
        data = save(fig, tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
        assert struct.unpack(">II", data[16:24]) == (round(width), round(height)), name
