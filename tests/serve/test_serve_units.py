"""The playground's pure parts: the state and its checks, features, heatmap bytes, the dataset, the learner
against actlab's own model and optimizer, CSV points, presets, and the session without any transport."""

from __future__ import annotations

import math

import pytest
import torch

from actlab.errors import ActlabError
from actlab.nets.mlp import MLP
from actlab.serve import heatmaps
from actlab.serve.csvdata import parse_points
from actlab.serve.dataset import POINTS, build_dataset
from actlab.serve.features import FEATURES, feature_matrix
from actlab.serve.learner import Learner
from actlab.serve.limits import Limits
from actlab.serve.presets import PRESETS
from actlab.serve.protocol import unpack_binary
from actlab.serve.session import SLICE_POINTS, Session
from actlab.serve.state import State, StateError, parse_state, schema
from actlab.training.loop import build_model

LIMITS = Limits()
ALL_FEATURES = list(FEATURES)


def state(**values: object) -> State:
    return parse_state(values, LIMITS)


# --- state ----------------------------------------------------------------------------------------------


def test_state_round_trips_through_its_dict() -> None:
    full = state(data="own", pts=[[1.5, -2, 1], [0, 0, 0]], feat=["sinx2", "x1"], layers=[3, 2], act=["relu", "gelu"])
    assert parse_state(full.to_dict(), LIMITS) == full
    assert full.feat == ("x1", "sinx2")  # one order everywhere: the feature table's
    assert full.pts == ((1.5, -2.0, 1), (0.0, 0.0, 0))
    assert schema(LIMITS)["defaults"] == State().to_dict()


@pytest.mark.parametrize(
    ("values", "key", "words"),
    [
        ({"act": ["rleu", "relu"]}, "act", "unknown activation 'rleu': did you mean relu"),
        ({"layers": [0]}, "layers", "1 to 8 neurons, got 0"),
        ({"layers": [100]}, "layers", "1 to 8 neurons, got 100"),
        ({"layers": [2] * 7}, "layers", "at most 6"),
        ({"layers": [2.5]}, "layers", "whole number"),
        ({"lr": math.nan}, "lr", "finite number"),
        ({"lr": math.inf}, "lr", "finite number"),
        ({"lr": 0}, "lr", "(0, 10]"),
        ({"lr": "fast"}, "lr", "finite number"),
        ({"lr": True}, "lr", "finite number"),
        ({"batch": 0}, "batch", "from 1 to 30"),
        ({"split": 95}, "split", "from 10 to 90"),
        ({"rate": -1}, "rate", "[0, 10]"),
        ({"data": "mnist"}, "data", "not one of"),
        ({"feat": []}, "feat", "at least one"),
        ({"feat": ["x3"]}, "feat", "unknown feature 'x3'"),
        ({"cmp": "nope"}, "cmp", "unknown activation"),
        ({"pts": [[7, 0, 1]]}, "pts", "outside the square"),
        ({"pts": [[0, 0, 2]]}, "pts", "class is 0 or 1"),
        ({"pts": [[0, 0]]}, "pts", "[x1, x2, class]"),
        ({"pts": [[0, 0, 1]] * 501}, "pts", "at most 500 points"),
        ({"test": "yes"}, "test", "true or false"),
        ({"layers": [2, 2], "act": ["relu", "relu", "relu"]}, "act", "3 activations for 2 hidden layers"),
        ({"colour": "red"}, "colour", "unknown state key 'colour'"),
    ],
)
def test_bad_values_name_their_key(values: dict, key: str, words: str) -> None:
    with pytest.raises(StateError) as err:
        parse_state(values, LIMITS)
    assert err.value.key == key and words in str(err.value)


def test_activations_follow_the_layers() -> None:
    assert state(layers=[3, 3, 3], act="relu").act == ("relu",) * 3  # one for all
    assert state(layers=[3, 3, 3], act=["lrelu"]).act == ("leaky_relu",) * 3  # aliases become catalog names
    base = state(layers=[4, 4], act=["relu", "gelu"])
    assert parse_state({"layers": [4, 4, 2]}, LIMITS, base).act == ("relu", "gelu", "gelu")  # grows by the last
    assert parse_state({"layers": [4]}, LIMITS, base).act == ("relu",)  # cut
    assert parse_state({"layers": []}, LIMITS, base).act == ()


# --- features, heatmaps, dataset ------------------------------------------------------------------------


def test_features_by_hand() -> None:
    x = torch.tensor([[2.0, -1.0]])
    row = feature_matrix(x, ALL_FEATURES)[0].tolist()
    assert row == pytest.approx([2.0, -1.0, 4.0, 1.0, -2.0, math.sin(2.0), math.sin(-1.0)], rel=1e-6)
    assert feature_matrix(x, ["x1", "x2"]) is x  # the raw inputs, untouched


def test_grid_points_run_from_the_top_left() -> None:
    points = heatmaps.grid_points((-6.0, 6.0), 4)  # cells 3 wide, centres -4.5, -1.5, 1.5, 4.5
    assert points.shape == (16, 2)
    assert points[0].tolist() == [-4.5, 4.5]  # top-left
    assert points[3].tolist() == [4.5, 4.5]  # top-right
    assert points[12].tolist() == [-4.5, -4.5]  # bottom-left


def test_quantize_maps_minus_scale_zero_and_scale() -> None:
    values = torch.tensor([[-2.0, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.0]])  # two grids of four cells
    grids = heatmaps.quantize(values, heatmaps.symmetric_scales(values))
    assert list(grids[:4]) == [0, 128, 255, 191]  # round(127.5 * (v/s + 1)), half to even
    assert list(grids[4:]) == [128] * 4  # an all-zero grid (a dead unit) is white, not a division by zero


def test_output_values_are_the_class_probability_difference() -> None:
    logits = torch.tensor([[0.3, -1.2], [2.0, 2.0], [-4.0, 5.0]], dtype=torch.float64)
    p = torch.softmax(logits, dim=1)
    expected = (p[:, 1] - p[:, 0]).unsqueeze(0)
    assert torch.allclose(heatmaps.output_values(logits, classification=True), expected, atol=1e-15)


def test_dataset_is_seeded_and_split() -> None:
    a, b = (
        build_dataset(state(data="spiral", seed=3, split=70), LIMITS),
        build_dataset(state(data="spiral", seed=3, split=70), LIMITS),
    )
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert len(a.train_x) == 0.7 * POINTS and len(a.test_x) == 0.3 * POINTS
    assert a.box == (-6.0, 6.0) and a.extrap == (-18.0, 18.0)
    other = build_dataset(state(data="spiral", seed=4, split=70), LIMITS)
    assert not torch.equal(a.train_x, other.train_x)
    add = build_dataset(state(data="add"), LIMITS)
    assert add.kind == "regression" and add.box == (-10.0, 10.0) and add.extrap == (-100.0, 100.0)
    assert torch.equal(add.train_y[:, 0], add.train_x[:, 0] + add.train_x[:, 1])


# --- the learner is actlab's network, loss and optimizer -------------------------------------------------


def test_network_is_build_models_network() -> None:
    s = state(data="xor", layers=[5, 3], act=["relu", "tanh"], seed=7)
    learner = Learner(s, build_dataset(s, LIMITS), s.act)
    reference = build_model(learner.config)
    for ours, theirs in zip(learner.mlp.state_dict().values(), reference.state_dict().values(), strict=True):
        assert torch.equal(ours, theirs)


def test_penalties_by_hand() -> None:
    s = state(data="add", layers=[2], act="identity", reg="l1", rate=0.5)
    learner = Learner(s, build_dataset(s, LIMITS), s.act)
    fixed = MLP.from_weights(
        [[[1.0, -2.0], [3.0, 0.0]], [[-1.0, 4.0]]], biases=[[9.0, 9.0], [9.0]], activation="identity"
    )
    learner.model.mlp.load_state_dict(fixed.state_dict())
    assert float(learner._penalty().detach()) == 0.5 * (1 + 2 + 3 + 0 + 1 + 4)  # biases are not penalised
    learner.retune(s.with_(reg="l2"))
    assert float(learner._penalty().detach()) == 0.5 * 0.5 * (1 + 4 + 9 + 0 + 1 + 16)


def test_compare_networks_start_equal_and_step_in_lockstep() -> None:
    session = Session("t", LIMITS)
    session.apply(state(data="xor", layers=[4, 4], act="relu", cmp="leaky_relu"))
    a, b = session.learners
    assert b.activation == ("leaky_relu", "leaky_relu")
    for pa, pb in zip(a.mlp.parameters(), b.mlp.parameters(), strict=True):
        assert torch.equal(pa, pb)  # same seed, same initial weights
    header, _ = unpack_binary(session.advance(None))
    assert len(header["nets"]) == 2 and a.steps == b.steps == math.ceil(250 / 10) and a.epochs == b.epochs == 1


def test_a_link_gives_the_same_network_whatever_the_frame_rate() -> None:
    """Frames cut training into pieces of any size (the machine's load decides); the steps are the same."""
    link = state(data="moons", layers=[6, 4], act=["gelu", "relu"], cmp="tanh", seed=5, batch=7, reg="l1", rate=0.001)
    whole, pieces = Session("a", LIMITS), Session("b", LIMITS)
    whole.apply(link)
    pieces.apply(link)
    whole.advance(None)
    while pieces.learners[0].epochs < 1:
        for learner in pieces.learners:
            learner.train(3)
    for a, b in zip(whole.learners, pieces.learners, strict=True):
        assert a.steps == b.steps == math.ceil(250 / 7)
        for pa, pb in zip(a.mlp.parameters(), b.mlp.parameters(), strict=True):
            assert torch.equal(pa, pb)


def test_a_frame_holds_every_heatmap() -> None:
    session = Session("t", LIMITS)
    session.apply(state(data="xor", feat=ALL_FEATURES, layers=[8] * 6, act="relu"))
    header, payload = unpack_binary(session.advance(None))
    g = LIMITS.grid
    net = header["nets"][0]
    assert len(payload) == (6 * 8 + 1) * g * g and len(net["scales"]) == 49
    assert [len(w) for w in net["weights"]] == [8] * 6 + [2] and len(net["weights"][0][0]) == 7
    assert len(net["dead"]) == 6 and len(net["grad_norms"]) == 7
    assert 0 <= net["acc"]["test"] <= 1 and net["loss"]["train"] > 0


def test_frames_say_which_networks_they_show() -> None:
    session = Session("t", LIMITS)
    first = session.build
    messages = session.apply(state(layers=[3]))
    network = next(m for m in messages if isinstance(m, dict) and m["type"] == "network")
    assert network["build"] == first + 1 == unpack_binary(session.make_frame())[0]["build"]
    session.apply(session.state.with_(lr=0.1))  # applies to the networks as they are
    assert session.build == first + 1
    session.reset()
    assert unpack_binary(session.make_frame())[0]["build"] == first + 2


def test_regression_frames_carry_the_extrapolation_slice() -> None:
    session = Session("t", LIMITS)
    messages = session.apply(state(data="add", layers=[4], act="relu"))
    data = next(m for m in messages if isinstance(m, dict) and m["type"] == "data")
    a, b, truth = data["slice"]["a"], data["slice"]["b"], data["slice"]["truth"]
    assert len(a) == SLICE_POINTS and a[0] == -100 and a[-1] == 100
    assert truth == pytest.approx([x + y for x, y in zip(a, b, strict=True)], abs=1e-3)
    header, _ = unpack_binary(session.advance(None))
    assert len(header["nets"][0]["slice"]) == SLICE_POINTS


def test_dead_neuron_preset_kills_relu_units_and_no_leaky_ones() -> None:
    preset = next(p for p in PRESETS if p.key == "s5-dead")
    session = Session("t", LIMITS)
    session.apply(parse_state(preset.state, LIMITS))
    for _ in range(10):
        frame = session.advance(None)
    relu, leaky = unpack_binary(frame)[0]["nets"]
    assert sum(map(len, relu["dead"])) >= 2  # measured 5-9 of 16 over seeds 0-2
    assert sum(map(len, leaky["dead"])) == 0  # Leaky ReLU units cannot die


def test_every_preset_is_a_valid_state() -> None:
    for preset in PRESETS:
        parse_state(preset.state, LIMITS)
        assert set(preset.title) == set(preset.note) == {"en", "zh"}


def test_ask_uses_the_tasks_operator() -> None:
    session = Session("t", LIMITS)
    session.apply(state(data="add", layers=[], act=[]))
    answer = session.ask("5 + 3")
    assert answer["inputs"] == [5.0, 3.0] and answer["truth"] == 8.0 and len(answer["answers"]) == 1
    assert session.ask("5 3")["truth"] == 8.0
    with pytest.raises(ActlabError, match="this run learned a \\+ b"):
        session.ask("5 * 3")
    session.apply(state(data="own", pts=[[1, 1, 1], [-1, -1, 0]]))
    assert session.ask("0.5, -1")["truth"] is None
    with pytest.raises(ActlabError, match="two coordinates"):
        session.ask("nan 1")


def test_divergence_is_an_error_not_a_frame() -> None:
    session = Session("t", LIMITS)
    session.apply(state(data="mul", feat=ALL_FEATURES, layers=[8, 8], act="relu", opt="sgd", lr=10))
    with pytest.raises(ActlabError, match="training diverged"):
        for _ in range(5):
            session.advance(None)


# --- own data -------------------------------------------------------------------------------------------


def test_csv_points() -> None:
    text = "x1,x2,label\n1.5, -2, 1\n\n# a comment\n0;0;-1\n3\t4\t0\n"
    assert parse_points(text, LIMITS) == ((1.5, -2.0, 1), (0.0, 0.0, 0), (3.0, 4.0, 0))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1,2,1\n1,2\n", "line 2: expected three finite numbers"),
        ("1,2,1\n9,0,1\n", "line 2: the point (9, 0) is outside"),
        ("1,2,3\n", "line 1: the label 3 is not 0 or 1"),
        ("a,b,c\n", "no points found"),
        ("1,2,nan\n", "line 1: expected three finite numbers"),
        ("0,0,1\n" * 501, "more than 500 points"),
    ],
)
def test_bad_csv_names_the_line(text: str, words: str) -> None:
    with pytest.raises(ActlabError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_points(text, LIMITS)


def test_own_data_trains_and_needs_points() -> None:
    session = Session("t", LIMITS)
    session.apply(state(data="own", pts=[]))
    with pytest.raises(ActlabError, match="no training points"):
        session.advance(None)
    points = [[x / 2, y / 2, int(x * y > 0)] for x in range(-8, 9, 2) for y in range(-8, 9, 2) if x and y]
    session.apply(state(data="own", pts=points, layers=[6], act="relu", split=90))
    header, _ = unpack_binary(session.advance(None))
    assert header["nets"][0]["loss"]["train"] > 0 and len(session.data.train_x) == round(0.9 * len(points))
