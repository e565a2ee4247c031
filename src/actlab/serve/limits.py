"""Bounds on what one server and one session may hold, so that no page can exhaust the machine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The server's bounds. Defaults fit a 2-core machine with 20 pages open."""

    max_sessions: int = 32  # open pages; one more gets an error and is closed
    max_layers: int = 6  # hidden layers per network (TF Playground's maximum)
    max_width: int = 8  # neurons per hidden layer (TF Playground's maximum)
    max_batch: int = 30  # batch size (TF Playground's maximum)
    max_points: int = 500  # own data points (uploaded or clicked)
    square: tuple[float, float] = (-6.0, 6.0)  # the classification square, as in TF Playground
    grid: int = 50  # heatmap cells per side, for every neuron and the output
    idle_seconds: float = 900.0  # a page silent this long (no message, no frame acknowledged) is closed
    max_message_bytes: int = 65_536  # a CSV of 500 points is ~10 KB; anything bigger is refused unread
    updates_per_second: float = 60.0  # while playing, per page: training fills what each frame leaves of 1/60 s
    workers: int = 2  # pieces of training run at once, over all pages: one per core keeps the event loop quick
    frames_in_flight: int = 2  # frames sent but not yet drawn by the page: bounds the lag of the curves
