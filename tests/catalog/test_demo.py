"""The lesson's worked example, exactly."""

from __future__ import annotations

import pytest

from actlab import run_demo


def test_lesson_layer_with_relu() -> None:
    r = run_demo()
    assert r.pre_activation == [6.6, 3.8, 1.3, 1.3, -0.3]
    assert r.output == [6.6, 3.8, 1.3, 1.3, 0.0]
    assert r.derivative == [1.0, 1.0, 1.0, 1.0, 0.0]
    assert r.steps[0] == "5*1.0 + 3*0.5 + 0.1 = 6.6"
    assert r.steps[2] == "5*(-0.2) + 3*0.8 - 0.1 = 1.3"
    assert r.steps[4] == "5*(-0.7) + 3*0.9 + 0.5 = -0.3"


def test_lesson_layer_with_leaky_relu_keeps_a_small_negative() -> None:
    r = run_demo("leaky_relu")
    assert r.output == [6.6, 3.8, 1.3, 1.3, -0.003]


@pytest.mark.parametrize(("name", "last"), [("identity", -0.3), ("step", 0.0), ("relu6", 0.0), ("tanh", -0.2913126125)])
def test_lesson_layer_with_other_activations(name: str, last: float) -> None:
    assert run_demo(name).output[-1] == pytest.approx(last, abs=1e-10)
