"""A session: one page's experiment (its state, data and one or two networks) and the messages it makes.

Everything here is synchronous and independent of the transport: :mod:`actlab.serve.connection` feeds it
checked messages and sends what it returns. A state change rebuilds what it must and no more: the data
when the dataset, noise, split, seed or own points change; the networks when, in addition, the features,
layers or activations change; the learning rate, optimizer (a fresh one: its moments start again), batch
size and regularisation apply to the networks as they are; the view redraws; the page-only keys (test,
disc, lang) change nothing here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from actlab.catalog.entries import lookup
from actlab.errors import ActlabError
from actlab.serve import heatmaps
from actlab.serve.dataset import Dataset, build_dataset, require_points
from actlab.serve.features import feature_matrix
from actlab.serve.learner import Learner
from actlab.serve.limits import Limits
from actlab.serve.protocol import pack_binary
from actlab.serve.state import State
from actlab.training.evaluate import line_inputs, parse_inputs, predict_batch

DATA_KEYS = ("data", "noise", "split", "seed", "pts")
NETWORK_KEYS = ("feat", "layers", "act", "cmp")
SLICE_POINTS = 101  # points along the extrapolation line of a regression task
CURVE_POINTS = 121  # points of each activation's f and f′ drawn beside the network
CURVE_RANGE = (-4.0, 4.0)
STEPS_PER_CHUNK = 2  # while playing, steps between looks at the clock
FRAME_COST_WEIGHT = 0.2  # the frame's cost is a moving average: this much weight on the last one
HEALTH_SECONDS = 0.2  # while playing, the Monitor's pass runs at most this often (5 looks a second)


@dataclass
class Session:
    """One page's experiment: ``apply`` a new state, ``advance`` (train, then the frame to send), ``ask``."""

    id: str
    limits: Limits
    state: State = field(default_factory=State)
    playing: bool = False
    frame: int = 0  # frames made so far
    acked: int = 0  # the last frame the page drew
    last_seen: float = field(default_factory=time.monotonic)
    data: Dataset = field(init=False)
    learners: list[Learner] = field(init=False)
    _health: list[dict[str, Any]] = field(init=False, default_factory=list)
    _frame_seconds: float = 0.01  # what making a frame costs, measured while playing
    build: int = 0  # counts the networks built: frames and network messages carry it, so the page can match them

    def __post_init__(self) -> None:
        self.data = build_dataset(self.state, self.limits)
        self.learners = self._learners(self.state, self.data)
        self._rebuild_view()

    # --- state ----------------------------------------------------------------------------------------

    def apply(self, new: State) -> list[dict[str, Any] | bytes]:
        """Adopt ``new`` (already checked) and return the messages that tell the page what changed.

        Whatever must be rebuilt is built before anything is replaced, so a failure leaves the session as
        it was."""
        changed = {k for k in new.to_dict() if getattr(self.state, k) != getattr(new, k)}
        out: list[dict[str, Any] | bytes] = [{"type": "state", "state": new.to_dict()}]
        if changed & {*DATA_KEYS, *NETWORK_KEYS}:
            data = build_dataset(new, self.limits) if changed & set(DATA_KEYS) else self.data
            learners = self._learners(new, data)
            self.state, self.data, self.learners = new, data, learners
            self.playing = self.playing and len(data.train_x) > 0
            self._rebuild_view()
            if changed & set(DATA_KEYS):
                return [*out, *self.describe()]
            return [*out, self.network_message(), self.features_frame(), self.make_frame()]
        self.state = new
        for learner in self.learners:
            learner.retune(new)
        if "view" in changed:
            self._rebuild_view()
            return [*out, self.features_frame(), self.make_frame()]
        return out

    def reset(self) -> list[dict[str, Any] | bytes]:
        """Fresh networks (and the same data): the state's seed again."""
        self.playing = False
        self.learners = self._learners(self.state, self.data)
        self._rebuild_view()
        return [self.status(), self.network_message(), self.make_frame()]

    def describe(self) -> list[dict[str, Any] | bytes]:
        """Everything the page needs to draw the experiment from scratch."""
        return [
            self.data.describe() | self._slice_truth(),
            self.network_message(),
            self.features_frame(),
            self.make_frame(),
        ]

    def _learners(self, state: State, data: Dataset) -> list[Learner]:
        """The network of the state and, in compare mode, the second one: same data, seed and batches."""
        acts = [state.act] + ([(state.cmp,) * len(state.layers)] if state.cmp else [])
        learners = [Learner(state, data, a) for a in acts]
        self.build += 1
        return learners

    def _rebuild_view(self) -> None:
        square = self.data.view(self.state.view)
        self.points = heatmaps.grid_points(square, self.limits.grid)
        self.grid_f = feature_matrix(self.points, self.state.feat)  # (g², k): the same for every network
        self.output_scale = heatmaps.truth_scale(self.data.task, self.points)
        self._output_scale = torch.tensor([self.output_scale])
        self._health_at = -math.inf

    # --- training and frames --------------------------------------------------------------------------

    def advance(self, period: float | None = None) -> bytes:
        """Train every network (in lockstep: the same steps on the same batches), then return the frame.

        ``period`` None: one whole epoch (the step button). A number of seconds (while playing): the time
        one update may take; training gets what the frame leaves of it (the frame's cost is measured as it
        goes), at least one step, at most the rest of the epoch. So frames keep their rate whatever the
        network, the batch size and the machine's load; a busy machine trains less per frame instead.
        """
        require_points(self.data)
        if period is None:
            for learner in self.learners:
                learner.epoch()
            return self.make_frame()
        start = time.perf_counter()
        deadline = start + max(period - self._frame_seconds, 0.0)
        ended = any([learner.train(1) for learner in self.learners])
        while not ended and time.perf_counter() < deadline:
            ended = any([learner.train(STEPS_PER_CHUNK) for learner in self.learners])
        trained = time.perf_counter()
        frame = self.make_frame()
        self._frame_seconds += FRAME_COST_WEIGHT * (time.perf_counter() - trained - self._frame_seconds)
        return frame

    def make_frame(self) -> bytes:
        """The frame of the networks as they are now: losses (every frame), the Monitor's diagnostics (at
        most every ``HEALTH_SECONDS``, and on every frame not made while playing), weights and heatmaps."""
        now = time.monotonic()
        fresh_health = not self.playing or now - self._health_at >= HEALTH_SECONDS
        if fresh_health:
            self._health_at = now
            self._health = [learner.health().as_dict() for learner in self.learners]
        nets, payload = [], []
        for learner, health in zip(self.learners, self._health, strict=True):
            header, grids = self._net_frame(learner)
            nets.append({**header, **health})
            payload.append(grids)
        self.frame += 1
        header = {
            "type": "frame",
            "frame": self.frame,
            "build": self.build,
            "epoch": self.learners[0].epochs,
            "steps": self.learners[0].steps,
            "t": time.time() * 1000,
            "grid": self.limits.grid,
            "nets": nets,
        }
        return pack_binary(header, b"".join(payload))

    def _net_frame(self, learner: Learner) -> tuple[dict[str, Any], bytes]:
        losses = learner.losses()
        with torch.no_grad():
            h = self.grid_f  # (g², k)
            hidden = []
            for name, module in learner.mlp.named_children():
                h = module(h)
                if name.startswith("act"):
                    hidden.append(h.t())  # (width, g²): one row per neuron
            out = heatmaps.output_values(h, self.data.kind == "classification")  # (1, g²)
        units = torch.cat(hidden) if hidden else torch.zeros(0, len(self.points))  # (units, g²)
        unit_scales = heatmaps.symmetric_scales(units)
        grids = heatmaps.quantize(units, unit_scales) + heatmaps.quantize(out, self._output_scale)
        header: dict[str, Any] = {
            "scales": [float(f"{s:.4g}") for s in unit_scales.tolist()] + [self.output_scale],
            **learner.parameters_dict(),
            **losses.as_dict(),
        }
        if self.data.kind == "regression" and self.data.task is not None:
            header["slice"] = [round(v, 4) for v in predict_batch(learner.model, self._slice_x())[:, 0].tolist()]
        return header, grids

    def _slice_x(self) -> torch.Tensor:
        assert self.data.task is not None
        low, high = self.data.extrap
        return line_inputs(self.data.task, torch.linspace(low, high, SLICE_POINTS))

    def _slice_truth(self) -> dict[str, Any]:
        """Regression: the line through the training box out to the extrapolation range, and the truth on it."""
        if self.data.kind != "regression" or self.data.task is None:
            return {}
        x = self._slice_x()
        truth = self.data.task.targets(x.double())[:, 0]
        return {
            "slice": {
                "a": [round(v, 4) for v in x[:, 0].tolist()],
                "b": [round(v, 4) for v in x[:, 1].tolist()],
                "truth": [round(v, 4) for v in truth.tolist()],
            }
        }

    def features_frame(self) -> bytes:
        grids, scales = heatmaps.feature_grids(self.state.feat, self.points)
        square = self.data.view(self.state.view)
        header = {
            "type": "features",
            "names": list(self.state.feat),
            "scales": scales,
            "grid": self.limits.grid,
            "square": list(square),
            "output_scale": self.output_scale,
        }
        return pack_binary(header, grids)

    def network_message(self) -> dict[str, Any]:
        """Each network's shape and activations, with every activation's f and f′ on [-4, 4]."""
        x = torch.linspace(*CURVE_RANGE, CURVE_POINTS, dtype=torch.float64)
        curves = {}
        for learner in self.learners:
            for name in learner.activation:
                if name not in curves:
                    entry = lookup(name)
                    params = entry.resolve()
                    curves[name] = {
                        "f": _round_list(entry.fn(x, **params)),
                        "df": _round_list(entry.grad(x, **params)),
                        "formula": entry.formula,
                        "derivative": entry.derivative,
                    }
        return {
            "type": "network",
            "build": self.build,
            "features": list(self.state.feat),
            "layers": list(self.state.layers),
            "outputs": self.data.out_features,
            "nets": [{"act": list(learner.activation)} for learner in self.learners],
            "curve_x": list(CURVE_RANGE),
            "curves": curves,
        }

    def status(self) -> dict[str, Any]:
        return {"type": "status", "playing": self.playing, "epoch": self.learners[0].epochs}

    # --- questions ------------------------------------------------------------------------------------

    def ask(self, text: str) -> dict[str, Any]:
        """The networks' answer at one point: ``"5 + 3"`` or ``"5 3"`` on add, ``"0.5 -1"`` on a classification
        set (through :func:`actlab.training.evaluate.parse_inputs`, which knows each task's operator)."""
        task = self.data.task
        numbers = parse_inputs(text.split(), task) if task is not None else _coordinates(text)
        x = torch.tensor([numbers], dtype=torch.float32)
        answers = []
        for learner in self.learners:
            out = predict_batch(learner.model, x)[0].double()
            if self.data.kind == "classification":
                p = torch.softmax(out, dim=0)
                answers.append({"prediction": int(p.argmax()), "probability": round(float(p.max()), 4)})
            else:
                answers.append({"prediction": round(float(out[0]), 6)})
        truth: float | int | None = None
        if task is not None:
            value = task.targets(x.double()).reshape(-1)[0]
            truth = int(value) if task.kind == "classification" else float(value)
        return {"type": "answer", "text": text, "inputs": numbers, "answers": answers, "truth": truth}

    def touch(self) -> None:
        self.last_seen = time.monotonic()


def _round_list(t: torch.Tensor) -> list[float]:
    return [round(v, 5) for v in t.nan_to_num(0.0).tolist()]


def _coordinates(text: str) -> list[float]:
    """Two finite numbers from ``"0.5 -1"`` or ``"0.5, -1"`` (own data has no task to read operators)."""
    items = text.replace(",", " ").split()
    try:
        numbers = [float(v) for v in items]
    except ValueError:
        numbers = []
    if len(numbers) != 2 or not all(math.isfinite(v) for v in numbers):
        raise ActlabError(f"give the two coordinates of a point, e.g. 0.5 -1; got {text!r}")
    return numbers


class SessionManager:
    """The open sessions, at most ``limits.max_sessions``; closing one drops every reference to it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sessions: dict[str, Session] = {}
        self._next = 0

    def open(self) -> Session:
        if len(self.sessions) >= self.limits.max_sessions:
            raise ActlabError(
                f"the server already has {self.limits.max_sessions} pages open, its limit; "
                "close another playground tab and reload"
            )
        self._next += 1
        session = Session(f"s{self._next}", self.limits)
        self.sessions[session.id] = session
        return session

    def close(self, session: Session) -> None:
        self.sessions.pop(session.id, None)

    def idle(self, now: float | None = None) -> list[Session]:
        """Sessions silent for longer than ``limits.idle_seconds``."""
        now = time.monotonic() if now is None else now
        return [s for s in self.sessions.values() if now - s.last_seen > self.limits.idle_seconds]

    def __len__(self) -> int:
        return len(self.sessions)
