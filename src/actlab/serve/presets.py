"""Presets: one click sets the page up to replay a section of the tour (``actlab tour``) live.

Each preset is a partial state (the keys it sets; the rest are the defaults) with a title and a note in
English and Chinese, and optionally a question for the "ask it" box. The tests load every preset through
:func:`actlab.serve.state.parse_state` and train the dead-neuron one to check that it shows what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    key: str
    title: dict[str, str]  # {"en": ..., "zh": ...}
    note: dict[str, str]
    state: dict[str, Any]
    ask: str = ""  # a question to put in the "ask it" box
    play: bool = True  # start training at once

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "note": self.note,
            "state": self.state,
            "ask": self.ask,
            "play": self.play,
        }


PRESETS: tuple[Preset, ...] = (
    Preset(
        "s1-nonlinearity",
        {"en": "1 · Why non-linearity", "zh": "1 · 为什么需要非线性"},
        {
            "en": "xor with no activation (A) and with ReLU (B): a network of straight lines stays a "
            "straight line, whatever its depth.",
            "zh": "xor：A 没有激活函数，B 用 ReLU。只由线性运算组成的网络再深也只能画出一条直线。",
        },
        {
            "data": "xor",
            "feat": ["x1", "x2"],
            "layers": [8, 8],
            "act": ["identity", "identity"],
            "cmp": "relu",
            "lr": 0.03,
            "opt": "adam",
        },
    ),
    Preset(
        "s2-definition",
        {"en": "2 · ReLU's definition", "zh": "2 · ReLU 的定义"},
        {
            "en": "ReLU keeps positive inputs and zeroes negative ones; beside the network, f and f′. Each "
            "neuron's picture is a folded plane: zero on one side of a line.",
            "zh": "ReLU 保留正数、把负数变成 0；网络旁边画着 f 和 f′。"
            "每个神经元的图都是一个折起来的平面：直线一侧全为 0。",
        },
        {"data": "circle", "feat": ["x1", "x2"], "layers": [6], "act": ["relu"], "lr": 0.03},
    ),
    Preset(
        "s3-vanishing",
        {"en": "3 · Vanishing gradients", "zh": "3 · 梯度消失"},
        {
            "en": "Six layers of sigmoid (A) against ReLU (B): watch the gradient bars, the first layers "
            "of the sigmoid network barely move.",
            "zh": "六层 sigmoid（A）对比 ReLU（B）：看梯度条，sigmoid 网络的前几层几乎不动。",
        },
        {
            "data": "circle",
            "feat": ["x1", "x2"],
            "layers": [8, 8, 8, 8, 8, 8],
            "act": ["sigmoid"] * 6,
            "cmp": "relu",
            "lr": 0.003,
        },
    ),
    Preset(
        "s4-addition",
        {"en": "4 · Learning a + b", "zh": "4 · 学习 a + b"},
        {
            "en": "ReLU (A) against no activation (B) on a + b, shown out to the extrapolation range: "
            "the linear network is exact everywhere, ReLU keeps going in straight lines.",
            "zh": "a + b：ReLU（A）对比没有激活函数（B），一直画到外推范围。"
            "线性网络处处精确，ReLU 在外面也按直线延伸。",
        },
        {
            "data": "add",
            "feat": ["x1", "x2"],
            "layers": [8, 8],
            "act": ["relu", "relu"],
            "cmp": "identity",
            "lr": 0.01,
            "view": "extrap",
        },
        ask="5 + 3",
    ),
    Preset(
        "s5-dead",
        {"en": "5 · Dead neurons", "zh": "5 · 死亡神经元"},
        {
            "en": "A learning rate far too high: ReLU units (A) die and turn grey, for good; Leaky ReLU "
            "(B), same start and same batches, keeps all of its units.",
            "zh": "学习率高得离谱：ReLU 神经元（A）死亡变灰，再也回不来；Leaky ReLU（B）起点和批次都相同，一个也不死。",
        },
        {
            "data": "add",
            "feat": ["x1", "x2"],
            "layers": [8, 8],
            "act": ["relu", "relu"],
            "cmp": "leaky_relu",
            "lr": 0.3,
            "opt": "adam",
        },
    ),
    Preset(
        "s6-worked",
        {"en": "6 · Ask it: 5 + 3", "zh": "6 · 问它：5 + 3"},
        {
            "en": "The lesson's question. Train a + b with ReLU, then ask the network in the box below.",
            "zh": "课程里的问题：用 ReLU 训练 a + b，然后在下面的输入框里问网络。",
        },
        {"data": "add", "feat": ["x1", "x2"], "layers": [8, 8], "act": ["relu", "relu"], "lr": 0.01},
        ask="5 + 3",
    ),
    Preset(
        "spiral",
        {"en": "Spiral with every feature", "zh": "螺旋：全部特征"},
        {
            "en": "The hardest set: every input feature and six layers; try other activations per layer.",
            "zh": "最难的数据集：全部输入特征加六层网络；试试每层换不同的激活函数。",
        },
        {
            "data": "spiral",
            "feat": ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"],
            "layers": [8, 8, 8, 8, 8, 8],
            "act": ["tanh"] * 6,
            "lr": 0.01,
            "noise": 0,
        },
    ),
)


def presets_dict() -> list[dict[str, Any]]:
    return [p.as_dict() for p in PRESETS]
