"""Export: the first network of a session as an actlab run folder (``actlab predict/eval/diagnose`` read
it), written by :func:`actlab.training.rundir.save_run`; this module only adapts a session to what it takes.

A run folder records a :class:`actlab.TrainConfig` and an :class:`actlab.MLP` fed the task's own inputs,
so a network fed other features than x1, x2, or trained on own data (no task, no rule to compare
with), cannot be one; those are refused with the reason. L1/L2 regularisation has no place in a
TrainConfig: the folder keeps the trained weights, and ``playground.json`` beside them keeps the whole
page state.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path

from actlab.errors import ActlabError
from actlab.serve.features import RAW
from actlab.serve.session import Session
from actlab.training import rundir
from actlab.training.config import TrainResult
from actlab.training.evaluate import evaluate

STATE_FILE = "playground.json"
NAME = re.compile(r"playground-[a-z0-9_-]+")  # the folder names this module writes


def exportable(session: Session) -> None:
    """Raise :class:`ActlabError` saying why the session's network cannot be a run folder, if it cannot."""
    learner = session.learners[0]
    if session.data.task is None:
        raise ActlabError(
            "own data cannot be exported as a run folder: a run needs one of actlab's tasks, "
            "whose rule `actlab eval` and `predict` compare against"
        )
    if learner.state.feat != RAW:
        raise ActlabError(
            "only a network fed the raw inputs x1 and x2 exports as a run folder (`actlab "
            "predict` feeds it the two numbers): untick the other features and train again"
        )
    if learner.steps == 0:
        raise ActlabError("the network has not been trained yet: press play or step first")


def export_run(session: Session, folder: Path) -> Path:
    """Write the session's first network to a new folder under ``folder``; returns its path."""
    exportable(session)
    learner, task = session.learners[0], session.data.task
    assert task is not None
    config = replace(learner.config, steps=learner.steps, batch_size=session.state.batch, lr=session.state.lr)
    config.validate()
    result = TrainResult(
        model=learner.mlp,
        config=config,
        history=learner.history.tolist(),
        steps=learner.steps,
        seconds=0.0,
        metrics=evaluate(learner.mlp, task),
    )
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    acts = "-".join(dict.fromkeys(learner.activation)) or "linear"
    path = folder / f"playground-{task.name}-{acts}-{stamp}-{session.id}-{session.frame}".lower()
    saved = rundir.save_run(result, path)
    (saved / STATE_FILE).write_text(json.dumps(session.state.to_dict(), indent=2) + "\n", encoding="utf-8")
    return saved
