"""Every explanatory sentence of the tour and its report, in English and in Chinese (the lesson's language).

Numbers never live here: sentences take them as ``{named}`` fields, so both languages show the same
measurements. ``say(lang, key, **fields)`` picks and fills one sentence; a field that is ``None`` (a
measurement that does not exist, such as the error of a network that diverged) reads "n/a", never 0.
Text between backticks is code (a command): the renderers set it in a code font.
"""

from __future__ import annotations

import string
from typing import Any

from actlab.errors import ActlabError

LANGS = ("en", "zh")

# Fonts that hold the Chinese glyphs, most common first (Linux, macOS, Windows, older Linux): named by the
# report's CSS before the generic family, and looked up through matplotlib's font manager for the figures.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
)

TEXT: dict[str, dict[str, str]] = {
    # --- frame ---------------------------------------------------------------------------------------
    "title": {
        "en": "The ReLU lesson, verified by measurement",
        "zh": "用测量检验 ReLU 这一课",
    },
    "intro": {
        "en": "This tour walks through the lesson on activation functions section by section. Each claim is "
        "tested by an experiment run just now on this machine, and the verdict comes from the numbers, "
        "not from the lesson. Mode: {mode}, {seeds} seeds per configuration.",
        "zh": "本导览按章节走一遍激活函数这一课。每一个论断都由刚刚在本机上运行的实验来检验，"
        "结论来自测量数据，而不是来自课文。模式：{mode}，每种配置 {seeds} 个随机种子。",
    },
    "verdict": {"en": "Verdict", "zh": "结论"},
    "confirmed": {"en": "confirmed", "zh": "证实"},
    "partly": {"en": "partly", "zh": "部分证实"},
    "not confirmed": {"en": "not confirmed", "zh": "未证实"},
    "inconclusive on this machine": {"en": "inconclusive on this machine", "zh": "在本机上无法判定"},
    "claim": {"en": "Claim", "zh": "论断"},
    "evidence": {"en": "Evidence", "zh": "证据"},
    "cached": {
        "en": "Results came from the results store ({path}); run with --fresh to measure again.",
        "zh": "结果取自结果库（{path}）；加 --fresh 可重新测量。",
    },
    "elapsed": {"en": "Measured in {seconds:.1f} s.", "zh": "测量用时 {seconds:.1f} 秒。"},
    "from_store": {"en": "These results were read back from the results store.", "zh": "本次结果读取自结果库。"},
    "missing": {"en": "n/a", "zh": "无数据"},
    "notice.no_cjk_font": {
        "en": "The figures keep English labels: matplotlib found no CJK font on the machine that measured this "
        "tour; install one (Debian: fonts-noto-cjk) and run again with --fresh for Chinese figures.",
        "zh": "图中文字仍为英文：运行本次测量的机器上，matplotlib 找不到中文（CJK）字体。"
        "安装一种（例如 Debian 的 fonts-noto-cjk）后，加 --fresh 重新运行即可得到中文图。",
    },
    # --- 1. non-linearity ----------------------------------------------------------------------------
    "s1.title": {"en": "1. Why a network needs non-linearity", "zh": "1. 为什么网络需要非线性"},
    "s1.explain": {
        "en": "However many linear layers you stack, the whole network is still one matrix times the input "
        "plus one bias: it can only draw a straight boundary or fit a flat plane. We train the same "
        "network (hidden layers {hidden}) with no activation at all (identity) and with ReLU, on two "
        "classification problems that no straight line can split (xor, circle) and on multiplication.",
        "zh": "无论叠加多少个线性层，整个网络仍然等于“一个矩阵乘以输入，再加一个偏置”：它只能画出一条直线边界，"
        "或拟合一个平面。我们用同一个网络（隐藏层 {hidden}），一次完全不用激活函数（identity），一次使用 ReLU，"
        "分别训练两个无法用直线分开的分类问题（xor、circle），以及乘法。",
    },
    # Findings: sentences that state what was measured. actlab.tour.findings picks one of each group.
    "s1.result.chance": {
        "en": "Without an activation the network stays near chance on the harder of xor and circle: "
        "{identity_acc:.0%} accuracy (chance is 50 %); with ReLU it reaches {relu_acc:.0%}.",
        "zh": "不用激活函数时，网络在 xor 与 circle 中较难的那个问题上停留在随机猜测附近："
        "准确率 {identity_acc:.0%}（随机猜测为 50%）；使用 ReLU 后达到 {relu_acc:.0%}。",
    },
    "s1.result.above_chance": {
        "en": "Without an activation the network reaches {identity_acc:.0%} accuracy on the harder of xor and "
        "circle, clearly above chance (50 %); with ReLU, {relu_acc:.0%}.",
        "zh": "不用激活函数时，网络在 xor 与 circle 中较难的那个问题上达到 {identity_acc:.0%} 的准确率，"
        "明显高于随机猜测（50%）；使用 ReLU 时为 {relu_acc:.0%}。",
    },
    "s1.mul.lower": {
        "en": "On a×b ReLU lowers the mean error from {identity_mul:.3g} to {relu_mul:.3g}, a clear difference "
        "over the seeds (Welch's t-test, 5 % level).",
        "zh": "在 a×b 上，ReLU 把平均误差从 {identity_mul:.3g} 降到 {relu_mul:.3g}，"
        "在这些种子上差异明显（Welch t 检验，5% 水平）。",
    },
    "s1.mul.higher": {
        "en": "On a×b ReLU does worse: the mean error is {relu_mul:.3g} with it and {identity_mul:.3g} without, "
        "a clear difference over the seeds (Welch's t-test, 5 % level).",
        "zh": "在 a×b 上，ReLU 反而更差：使用时平均误差为 {relu_mul:.3g}，不用时为 {identity_mul:.3g}，"
        "在这些种子上差异明显（Welch t 检验，5% 水平）。",
    },
    "s1.mul.unclear": {
        "en": "On a×b the mean error is {identity_mul:.3g} without an activation and {relu_mul:.3g} with ReLU: "
        "over these seeds Welch's t-test (5 % level) does not tell them apart.",
        "zh": "在 a×b 上，不用激活函数时平均误差为 {identity_mul:.3g}，使用 ReLU 时为 {relu_mul:.3g}："
        "在这些种子上，Welch t 检验（5% 水平）无法区分两者。",
    },
    "claim.nonlinearity": {
        "en": "Without an activation function a network can only learn linear functions.",
        "zh": "没有激活函数，网络只能学会线性函数。",
    },
    # --- 2. definition -------------------------------------------------------------------------------
    "s2.title": {"en": "2. ReLU's definition", "zh": "2. ReLU 的定义"},
    "s2.explain": {
        "en": "ReLU(x) = max(0, x): a positive input passes unchanged and anything else becomes 0. Its slope is 1 "
        "for x > 0 and 0 for x < 0; at exactly 0 actlab follows PyTorch and uses 0.",
        "zh": "ReLU(x) = max(0, x)：正的输入原样通过，其余一律变成 0。它的斜率在 x > 0 时为 1，"
        "在 x < 0 时为 0；恰好在 0 处，actlab 与 PyTorch 一致，取 0。",
    },
    "claim.definition": {
        "en": "ReLU maps [-2, -1, 0, 1, 2] to [0, 0, 0, 1, 2].",
        "zh": "ReLU 把 [-2, -1, 0, 1, 2] 变成 [0, 0, 0, 1, 2]。",
    },
    # --- 3. comparison table -------------------------------------------------------------------------
    "s3.title": {
        "en": "3. The comparison table the lesson lost: sigmoid, tanh, ReLU, Leaky ReLU, GELU, SiLU",
        "zh": "3. 课文中丢失的对比表：sigmoid、tanh、ReLU、Leaky ReLU、GELU、SiLU",
    },
    "s3.explain": {
        "en": "The lesson's table of common activation functions was lost in export. Here it is rebuilt with "
        "measurements in place of adjectives: the time of a forward and backward pass relative to ReLU "
        "(1.0 = as fast as ReLU; {size:,} float32 elements on one CPU thread, timed by that thread's own CPU "
        "clock, median of several runs); the share of gradient that reaches the first layer of a {depth}-layer "
        "network at initialisation compared with the last layer (1 = nothing lost, 0.001 = almost nothing "
        "arrives); and the fraction of exact zeros among the hidden activations (sparsity).",
        "zh": "课文中常见激活函数的对比表在导出时丢失了。这里用测量值代替形容词把它重建出来："
        "前向加反向传播相对 ReLU 的耗时（1.0 表示与 ReLU 一样快；{size:,} 个 float32 元素，单个 CPU 线程，"
        "按该线程自身的 CPU 时间计时，多次运行取中位数）；一个 {depth} 层网络在初始化时，到达第一层的梯度与"
        "最后一层梯度之比（1 表示没有损失，0.001 表示几乎传不到）；以及隐藏层激活中恰好为 0 的比例（稀疏性）。",
    },
    "s3.speed_note": {
        "en": "Speed depends on the tensor size and the machine: once a tensor no longer fits in the cache, every "
        "elementwise function waits on memory and the differences shrink. `actlab bench` times the whole "
        "catalog at several sizes next to a plain memory copy, the physical limit. The times here are PyTorch's own "
        "kernels, without the check actlab's modules add to keep the limits at ±inf. The timing repeats in rounds "
        "until each median is known to within a few per cent; when a ratio's 95 % interval still straddles the "
        "verdict's 10 % threshold, a rerun could flip the verdict, so it reads “inconclusive on this machine”.",
        "zh": "速度取决于张量大小和机器：一旦张量放不进缓存，所有逐元素函数都在等待内存读写，差距随之缩小。"
        "`actlab bench` 会在多种大小下测量整个函数目录，并与一次纯内存拷贝（物理上限）对比。"
        "这里计时的是 PyTorch 自身的算子，不含 actlab 模块为保持 ±inf 处极限而加的检查。"
        "计时按轮重复，直到每个中位数精确到百分之几；如果某个比值的 95% 区间仍跨过结论的 10% 阈值，"
        "重跑一次结论就可能翻转，此时结论写作“在本机上无法判定”。",
    },
    "claim.fast": {"en": "ReLU is fast to compute.", "zh": "ReLU 计算速度快。"},
    "claim.vanishing": {
        "en": "Sigmoid's gradient vanishes in deep networks; ReLU's does much less.",
        "zh": "Sigmoid 的梯度在深层网络中会消失；ReLU 的梯度消失问题少得多。",
    },
    "claim.sparse": {
        "en": "ReLU makes the network sparse: many outputs are exactly zero.",
        "zh": "ReLU 让网络更稀疏：很多输出恰好为 0。",
    },
    # --- 4. addition ---------------------------------------------------------------------------------
    "s4.title": {"en": "4. Does ReLU help a network learn addition?", "zh": "4. ReLU 真的有助于网络学习加法吗？"},
    "s4.explain": {
        "en": "The lesson argues that by keeping positive sums and dropping negative ones, ReLU helps a network "
        "learn addition and subtraction. We train the same network on a+b and a−b with five activations "
        "over {seeds} seeds each, and measure the mean absolute error inside the training range "
        "(a, b in [{low:g}, {high:g}]) and far outside it (up to ±{extrap:g}). Two facts frame the answer: "
        "a+b is itself linear, so a network with no activation can be exact; and ReLU can be exact too, "
        "since z = relu(z) − relu(−z).",
        "zh": "课文认为，ReLU 保留正的加权和、丢弃负的，从而帮助网络学会加法和减法。我们用五种激活函数、"
        "每种 {seeds} 个随机种子，在 a+b 和 a−b 上训练同一个网络，测量训练范围内（a、b ∈ [{low:g}, {high:g}]）"
        "和远在范围外（直到 ±{extrap:g}）的平均绝对误差。有两个事实决定了答案的框架："
        "a+b 本身是线性的，所以不用激活函数的网络可以做到完全精确；ReLU 也能做到精确，因为 z = relu(z) − relu(−z)。",
    },
    "s4.adder": {
        "en": "The hand-built two-unit ReLU adder (hidden weights [1, 1] and [−1, −1], output weights [1, −1]) "
        "computes {a:,} + {b:,} = {value:,.6f} (exact answer {exact:,}).",
        "zh": "手工搭建的两单元 ReLU 加法器（隐藏层权重 [1, 1] 与 [−1, −1]，输出权重 [1, −1]）"
        "计算 {a:,} + {b:,} = {value:,.6f}（精确答案 {exact:,}）。",
    },
    "s4.result": {
        "en": "Inside the training range ReLU's error is {relu:.3g}; the identity network's is {identity:.3g} "
        "(each the worse of a+b and a−b).",
        "zh": "在训练范围内，ReLU 的误差为 {relu:.3g}，不用激活函数的网络为 {identity:.3g}"
        "（均取 a+b 与 a−b 中较差者）。",
    },
    "s4.saturating.flat": {
        "en": "Far outside it, on a+b, the saturating activations flatten out: where the true sum keeps rising, "
        "sigmoid's prediction rises by {sigmoid_slope:.2f} and tanh's by {tanh_slope:.2f} of it (1 = keeps pace, "
        "0 = flat).",
        "zh": "在远离训练范围的地方（a+b），会饱和的激活函数趋于平坦：真实的和继续增长时，sigmoid 的预测只跟上其中的 "
        "{sigmoid_slope:.2f}，tanh 为 {tanh_slope:.2f}（1 表示同步增长，0 表示完全平坦）。",
    },
    "s4.saturating.not_flat": {
        "en": "Far outside it, on a+b, the saturating activations do not both flatten out in this run: where the "
        "true sum keeps rising, sigmoid's prediction rises by {sigmoid_slope:.2f} and tanh's by {tanh_slope:.2f} "
        "of it (1 = keeps pace, 0 = flat).",
        "zh": "在远离训练范围的地方（a+b），这次运行中会饱和的激活函数并没有都趋于平坦：真实的和继续增长时，"
        "sigmoid 的预测跟上其中的 {sigmoid_slope:.2f}，tanh 为 {tanh_slope:.2f}（1 表示同步增长，0 表示完全平坦）。",
    },
    "s4.relu_like.straight": {
        "en": "ReLU-like activations keep going roughly straight: relu's prediction rises by {relu_slope:.2f} "
        "and leaky_relu's by {leaky_slope:.2f} of the true sum's rise.",
        "zh": "类 ReLU 函数大致保持直线延伸：relu 的预测跟上真实增长的 {relu_slope:.2f}，"
        "leaky_relu 为 {leaky_slope:.2f}。",
    },
    "s4.relu_like.bent": {
        "en": "ReLU-like activations do not both keep the true sum's trend in this run: relu's prediction rises "
        "by {relu_slope:.2f} and leaky_relu's by {leaky_slope:.2f} of the true sum's rise.",
        "zh": "这次运行中类 ReLU 函数并没有都保持真实值的趋势：relu 的预测跟上真实增长的 {relu_slope:.2f}，"
        "leaky_relu 为 {leaky_slope:.2f}。",
    },
    "claim.addition": {
        "en": "ReLU (keeping positive sums, dropping negative ones) helps a network learn addition and subtraction.",
        "zh": "ReLU（保留正的加权和、丢弃负的）有助于网络学习加法和减法。",
    },
    # --- 5. dead neurons -----------------------------------------------------------------------------
    "s5.title": {"en": "5. Dead neurons, and Leaky ReLU's fix", "zh": "5. 神经元死亡，以及 Leaky ReLU 的解决办法"},
    "s5.explain": {
        "en": "A ReLU unit whose input is negative for every example outputs 0 and receives zero gradient, so "
        "nothing can bring it back. We provoke this with a learning rate that is far too high ({lr:g}) and "
        "count, every {every} steps, the hidden units that never fire on the training distribution — for ReLU "
        "and for Leaky ReLU under identical conditions (same seeds, same data, same initial weights).",
        "zh": "如果一个 ReLU 单元对每个样本的输入都是负数，它的输出恒为 0，得到的梯度也为 0，于是再也无法恢复。"
        "我们用一个过大的学习率（{lr:g}）来诱发这种情况，每隔 {every} 步统计在训练分布上从不激活的隐藏单元——"
        "ReLU 与 Leaky ReLU 在完全相同的条件下对比（相同的随机种子、数据和初始权重）。",
    },
    "s5.result": {
        "en": "After {steps} steps, {relu_dead:.0%} of ReLU's hidden units are dead (peak {relu_peak:.0%}); "
        "with Leaky ReLU, {leaky_dead:.0%}.",
        "zh": "训练 {steps} 步后，ReLU 有 {relu_dead:.0%} 的隐藏单元死亡（峰值 {relu_peak:.0%}）；"
        "Leaky ReLU 为 {leaky_dead:.0%}。",
    },
    "s5.leaky.fewer": {
        "en": "Fewer units are lost with Leaky ReLU: a leaky unit keeps a small slope for negative inputs, so it "
        "still receives a gradient.",
        "zh": "使用 Leaky ReLU 时损失的单元更少：Leaky 单元对负输入仍保留一个小斜率，因此仍能得到梯度。",
    },
    "s5.leaky.not_fewer": {
        "en": "Leaky ReLU loses no fewer units than ReLU in this run, although a leaky unit keeps a small slope "
        "for negative inputs.",
        "zh": "这次运行中 Leaky ReLU 损失的单元并不比 ReLU 少，尽管 Leaky 单元对负输入保留了一个小斜率。",
    },
    "s5.error": {
        "en": "Whether the network then learns better is a separate question: the error at the end is "
        "{relu_mae:.3g} with ReLU and {leaky_mae:.3g} with Leaky ReLU.",
        "zh": "网络是否因此学得更好是另一个问题：结束时的误差，ReLU 为 {relu_mae:.3g}，Leaky ReLU 为 {leaky_mae:.3g}。",
    },
    "claim.dead": {
        "en": "ReLU units can die: once their input stays negative they output 0 and never recover.",
        "zh": "ReLU 单元会死亡：一旦输入一直为负，输出恒为 0，再也无法恢复。",
    },
    "claim.leaky": {
        "en": "Leaky ReLU prevents dead neurons.",
        "zh": "Leaky ReLU 可以避免神经元死亡。",
    },
    # --- 6. worked example ---------------------------------------------------------------------------
    "s6.title": {"en": "6. The lesson's worked example", "zh": "6. 课文中的完整示例"},
    "s6.explain": {
        "en": "The input [5, 3] goes through a layer with the lesson's 2×5 weights W and bias b: each hidden unit "
        "forms a weighted sum, then ReLU zeroes the negative one.",
        "zh": "输入 [5, 3] 经过课文中 2×5 的权重 W 与偏置 b：每个隐藏单元先算加权和，然后 ReLU 把负的那个变成 0。",
    },
    "claim.example": {
        "en": "[5, 3] @ W + b = [6.6, 3.8, 1.3, 1.3, −0.3], and ReLU gives [6.6, 3.8, 1.3, 1.3, 0.0].",
        "zh": "[5, 3] @ W + b = [6.6, 3.8, 1.3, 1.3, −0.3]，经过 ReLU 得到 [6.6, 3.8, 1.3, 1.3, 0.0]。",
    },
    # --- 7. summary ----------------------------------------------------------------------------------
    "s7.title": {
        "en": "7. Summary: the lesson's claims against the measurements",
        "zh": "7. 总结：课文论断与测量结果对照",
    },
    "s7.explain": {
        "en": "Each verdict below is computed from the numbers above with fixed thresholds (documented in "
        "actlab.tour.verdicts); none is written by hand.",
        "zh": "下表中的每个结论都是用固定阈值（见 actlab.tour.verdicts）从上面的数据计算出来的，没有一个是手写的。",
    },
    # --- evidence: the numbers behind each verdict --------------------------------------------------
    "ev.nonlinearity": {
        "en": "accuracy on the harder of xor/circle: identity {identity:.0%}, relu {relu:.0%}; "
        "a×b error: identity {identity_mul:.3g}, relu {relu_mul:.3g}",
        "zh": "xor/circle 中较难者的准确率：identity {identity:.0%}，relu {relu:.0%}；"
        "a×b 误差：identity {identity_mul:.3g}，relu {relu_mul:.3g}",
    },
    "ev.definition": {"en": "measured: relu(x) = {values}", "zh": "实测：relu(x) = {values}"},
    "ev.fast": {
        "en": "time relative to relu, median of {rounds} rounds (95 % interval): {pairs}",
        "zh": "相对 ReLU 的耗时，{rounds} 轮测量的中位数（95% 区间）：{pairs}",
    },
    "ev.vanishing": {
        "en": "gradient at the first hidden layer / the last: relu {relu:.2g}, sigmoid {sigmoid:.2g}",
        "zh": "首个隐藏层与最后一个隐藏层的梯度之比：relu {relu:.2g}，sigmoid {sigmoid:.2g}",
    },
    "ev.sparse": {"en": "share of exact zeros: {pairs}", "zh": "恰为 0 的比例：{pairs}"},
    "ev.addition": {
        "en": "error inside the training range (worse of add/sub): {pairs}; two-unit adder: {a} + {b} = {value:.6f}",
        "zh": "训练范围内误差（add/sub 中较差者）：{pairs}；两单元加法器：{a} + {b} = {value:.6f}",
    },
    "ev.dead": {
        "en": "relu units dead at the end {end:.0%} (peak {peak:.0%}, at the start {start:.0%})",
        "zh": "结束时 ReLU 死亡单元 {end:.0%}（峰值 {peak:.0%}，初始 {start:.0%}）",
    },
    "ev.leaky": {
        "en": "dead at the end: relu {relu:.0%}, leaky_relu {leaky:.0%}; error at the end: relu {relu_mae:.3g}, "
        "leaky_relu {leaky_mae:.3g}",
        "zh": "结束时死亡比例：relu {relu:.0%}，leaky_relu {leaky:.0%}；结束时误差：relu {relu_mae:.3g}，"
        "leaky_relu {leaky_mae:.3g}",
    },
    "ev.example": {"en": "computed: {pre}, then relu {out}", "zh": "计算结果：{pre}，经 ReLU 后 {out}"},
    # --- words on the figures ------------------------------------------------------------------------
    "plot.s1_panel": {"en": "circle, {activation}", "zh": "circle 任务，{activation}"},
    "plot.predicted": {"en": "predicted: class {k}", "zh": "预测：类别 {k}"},
    "plot.sample": {"en": "sample of class {k}", "zh": "类别 {k} 的样本"},
    "plot.s3_title": {
        "en": "Gradient at each hidden layer, {depth}-layer network at init (He/Xavier)",
        "zh": "{depth} 层网络初始化时各隐藏层的梯度（He/Xavier 初始化）",
    },
    "plot.s3_x": {"en": "layer (1 = input side)", "zh": "层（1 = 输入侧）"},
    "plot.s3_y": {"en": "‖∂L/∂a‖ (geometric mean over seeds)", "zh": "‖∂L/∂a‖（各种子的几何平均）"},
    "plot.s4_errors_title": {
        "en": "a+b and a−b: error inside and outside the training range",
        "zh": "a+b 与 a−b：训练范围内外的误差",
    },
    "plot.s4_errors_y": {"en": "mean absolute error (95 % CI)", "zh": "平均绝对误差（95% 置信区间）"},
    "plot.inside": {"en": "{task} inside", "zh": "{task} 范围内"},
    "plot.outside": {"en": "{task} outside", "zh": "{task} 范围外"},
    "plot.s4_extrap_title": {
        "en": "a+b: prediction and truth, inside and far outside the training range",
        "zh": "a+b：训练范围内外的预测值与真实值",
    },
    "plot.s4_extrap_x": {"en": "t, where {formula}", "zh": "t，其中 {formula}"},
    "plot.truth": {"en": "truth", "zh": "真实值"},
    "plot.training_range": {"en": "training range", "zh": "训练范围"},
    "plot.s5_title": {
        "en": "Dead units during training at lr={lr:g} (mean and 95 % band over {seeds} seeds)",
        "zh": "学习率 {lr:g} 下训练过程中的死亡单元（{seeds} 个种子的均值与 95% 区间）",
    },
    "plot.s5_x": {"en": "training step", "zh": "训练步数"},
    "plot.s5_y": {"en": "fraction of hidden units dead on the batch", "zh": "批次上死亡隐藏单元的比例"},
    # --- figure captions -----------------------------------------------------------------------------
    "fig.s1": {
        "en": "circle: the class each network predicts, with no activation (left) and with ReLU (right)",
        "zh": "circle：各网络预测的类别，左为不用激活函数，右为使用 ReLU",
    },
    "fig.s2": {
        "en": "relu, leaky_relu, sigmoid and tanh, and their derivatives",
        "zh": "relu、leaky_relu、sigmoid、tanh 及其导数",
    },
    "fig.s3": {
        "en": "gradient norm reaching each hidden layer, input side first (He or Xavier init)",
        "zh": "到达每个隐藏层的梯度范数，从输入侧开始（He 或 Xavier 初始化）",
    },
    "fig.s4_errors": {
        "en": "mean absolute error per activation, inside and outside the training range (95 % intervals)",
        "zh": "各激活函数在训练范围内外的平均绝对误差（95% 置信区间）",
    },
    "fig.s4_extrap": {
        "en": "a+b: prediction against truth far outside the training range (seed 0 of each activation)",
        "zh": "a+b：远离训练范围时的预测与真实值（各激活函数的第 0 个种子）",
    },
    "fig.s5": {
        "en": "share of hidden units dead on each recorded batch, relu against leaky_relu",
        "zh": "每个记录批次上死亡隐藏单元的比例：relu 对比 leaky_relu",
    },
    # --- table cells ---------------------------------------------------------------------------------
    "cell.accuracy": {"en": "accuracy", "zh": "准确率"},
    "cell.mae": {"en": "mean absolute error", "zh": "平均绝对误差"},
    "cell.input": {"en": "input", "zh": "输入"},
    # --- table headers (a column named by one of these keys is translated) -----------------------------
    "col.activation": {"en": "activation", "zh": "激活函数"},
    "col.formula": {"en": "formula", "zh": "公式"},
    "col.range": {"en": "range", "zh": "值域"},
    "col.speed": {"en": "time vs relu", "zh": "耗时（相对 ReLU）"},
    "col.grad_best": {
        "en": "gradient first / last (He or Xavier init)",
        "zh": "首层/末层梯度（He 或 Xavier 初始化）",
    },
    "col.grad_default": {
        "en": "gradient first / last (PyTorch default init)",
        "zh": "首层/末层梯度（PyTorch 默认初始化）",
    },
    "col.zeros": {"en": "exact zeros", "zh": "恰为 0 的比例"},
    "col.values": {"en": "values", "zh": "数值"},
    "col.task": {"en": "task", "zh": "任务"},
    "col.metric": {"en": "metric", "zh": "指标"},
    "col.interp": {"en": "error inside the training range (95 % CI)", "zh": "训练范围内误差（95% 置信区间）"},
    "col.extrap": {"en": "error outside it (95 % CI)", "zh": "训练范围外误差（95% 置信区间）"},
    "col.dead_start": {"en": "dead at start", "zh": "初始死亡比例"},
    "col.dead_end": {"en": "dead at end", "zh": "结束时死亡比例"},
    "col.dead_peak": {"en": "peak during training", "zh": "训练中峰值"},
    "col.mae_end": {"en": "error at end (MAE)", "zh": "结束时误差（MAE）"},
    "col.claim": {"en": "claim", "zh": "论断"},
    "col.evidence": {"en": "evidence", "zh": "证据"},
    "col.verdict": {"en": "verdict", "zh": "结论"},
}


class _Formatter(string.Formatter):
    """``str.format`` that writes a missing value (``None``) as the language's "n/a", whatever its format."""

    def __init__(self, missing: str) -> None:
        super().__init__()
        self.missing = missing

    def format_field(self, value: Any, format_spec: str) -> str:
        return self.missing if value is None else super().format_field(value, format_spec)


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ActlabError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")


def say(lang: str, key: str, **fields: object) -> str:
    """The sentence ``key`` in ``lang``, with ``fields`` filled in (``None`` reads "n/a")."""
    check_lang(lang)
    return _Formatter(TEXT["missing"][lang]).format(TEXT[key][lang], **fields)


def template(lang: str, key: str) -> str:
    """The sentence ``key`` in ``lang`` with its ``{fields}`` left open, for code that fills them itself."""
    check_lang(lang)
    return TEXT[key][lang]
