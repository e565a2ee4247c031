"""Every user-facing sentence in Chinese: key -> template with ``{named}`` fields.

:mod:`actlab.text.en` has exactly the same keys and fields (a test checks it).
``tour.*``: the tour and its report; ``diagnose.*``: the diagnostics report; ``serve.*``: the page's presets;
``missing``: a ``None`` field.
"""

ZH: dict[str, str] = {
    # --- shared: a measurement that does not exist (a None field) -----------------------------------------------------
    "missing": "无数据",
    # --- tour: frame --------------------------------------------------------------------------------------------------
    "tour.title": "用测量检验 ReLU 这一课",
    "tour.intro": (
        "本导览按章节走一遍激活函数这一课。每一个论断都由刚刚在本机上运行的实验来检验，"
        "结论来自测量数据，而不是来自课文。模式：{mode}，每种配置 {seeds} 个随机种子。"
    ),
    "tour.verdict": "结论",
    "tour.confirmed": "证实",
    "tour.partly": "部分证实",
    "tour.not confirmed": "未证实",
    "tour.inconclusive on this machine": "在本机上无法判定",
    "tour.claim": "论断",
    "tour.evidence": "证据",
    "tour.cached": "结果取自结果库（{path}）；加 --fresh 可重新测量。",
    "tour.elapsed": "测量用时 {seconds:.1f} 秒。",
    "tour.from_store": "本次结果读取自结果库。",
    "tour.notice.no_cjk_font": (
        "图中文字仍为英文：运行本次测量的机器上，matplotlib 找不到中文（CJK）字体。"
        "安装一种（例如 Debian 的 fonts-noto-cjk）后，加 --fresh 重新运行即可得到中文图。"
    ),
    # --- tour: 1. non-linearity ---------------------------------------------------------------------------------------
    "tour.s1.title": "1. 为什么网络需要非线性",
    "tour.s1.explain": (
        "无论叠加多少个线性层，整个网络仍然等于“一个矩阵乘以输入，再加一个偏置”：它只能画出一条直线边界，"
        "或拟合一个平面。我们用同一个网络（隐藏层 {hidden}），一次完全不用激活函数（identity），一次使用 ReLU，"
        "分别训练两个无法用直线分开的分类问题（xor、circle），以及乘法。"
    ),
    # Findings: sentences that state what was measured. actlab.tour.findings picks one of each group.
    "tour.s1.result.chance": (
        "不用激活函数时，网络在 xor 与 circle 中较难的那个问题上停留在随机猜测附近："
        "准确率 {identity_acc:.0%}（随机猜测为 50%）；使用 ReLU 后达到 {relu_acc:.0%}。"
    ),
    "tour.s1.result.above_chance": (
        "不用激活函数时，网络在 xor 与 circle 中较难的那个问题上达到 {identity_acc:.0%} 的准确率，"
        "明显高于随机猜测（50%）；使用 ReLU 时为 {relu_acc:.0%}。"
    ),
    "tour.s1.mul.lower": (
        "在 a×b 上，ReLU 把平均误差从 {identity_mul:.3g} 降到 {relu_mul:.3g}，"
        "在这些种子上差异明显（Welch t 检验，5% 水平）。"
    ),
    "tour.s1.mul.higher": (
        "在 a×b 上，ReLU 反而更差：使用时平均误差为 {relu_mul:.3g}，不用时为 {identity_mul:.3g}，"
        "在这些种子上差异明显（Welch t 检验，5% 水平）。"
    ),
    "tour.s1.mul.unclear": (
        "在 a×b 上，不用激活函数时平均误差为 {identity_mul:.3g}，使用 ReLU 时为 {relu_mul:.3g}："
        "在这些种子上，Welch t 检验（5% 水平）无法区分两者。"
    ),
    "tour.claim.nonlinearity": "没有激活函数，网络只能学会线性函数。",
    # --- tour: 2. definition ------------------------------------------------------------------------------------------
    "tour.s2.title": "2. ReLU 的定义",
    "tour.s2.explain": (
        "ReLU(x) = max(0, x)：正的输入原样通过，其余一律变成 0。它的斜率在 x > 0 时为 1，"
        "在 x < 0 时为 0；恰好在 0 处，actlab 与 PyTorch 一致，取 0。"
    ),
    "tour.claim.definition": "ReLU 把 [-2, -1, 0, 1, 2] 变成 [0, 0, 0, 1, 2]。",
    # --- tour: 3. comparison table ------------------------------------------------------------------------------------
    "tour.s3.title": "3. 课文中丢失的对比表：sigmoid、tanh、ReLU、Leaky ReLU、GELU、SiLU",
    "tour.s3.explain": (
        "课文中常见激活函数的对比表在导出时丢失了。这里用测量值代替形容词把它重建出来："
        "前向加反向传播相对 ReLU 的耗时（1.0 表示与 ReLU 一样快；{size:,} 个 float32 元素，单个 CPU 线程，"
        "按该线程自身的 CPU 时间计时，多次运行取中位数）；一个 {depth} 层网络在初始化时，到达第一层的梯度与"
        "最后一层梯度之比（1 表示没有损失，0.001 表示几乎传不到）；以及隐藏层激活中恰好为 0 的比例（稀疏性）。"
    ),
    "tour.s3.speed_note": (
        "速度取决于张量大小和机器：一旦张量放不进缓存，所有逐元素函数都在等待内存读写，差距随之缩小。"
        "`actlab bench` 会在多种大小下测量整个函数目录，并与一次纯内存拷贝（物理上限）对比。"
        "这里计时的是 PyTorch 自身的算子，不含 actlab 模块为保持 ±inf 处极限而加的检查。"
        "计时按轮重复，直到每个中位数精确到百分之几；如果某个比值的 95% 区间仍跨过结论的 10% 阈值，"
        "重跑一次结论就可能翻转，此时结论写作“在本机上无法判定”。"
    ),
    "tour.claim.fast": "ReLU 计算速度快。",
    "tour.claim.vanishing": "Sigmoid 的梯度在深层网络中会消失；ReLU 的梯度消失问题少得多。",
    "tour.claim.sparse": "ReLU 让网络更稀疏：很多输出恰好为 0。",
    # --- tour: 4. addition --------------------------------------------------------------------------------------------
    "tour.s4.title": "4. ReLU 真的有助于网络学习加法吗？",
    "tour.s4.explain": (
        "课文认为，ReLU 保留正的加权和、丢弃负的，从而帮助网络学会加法和减法。我们用五种激活函数、"
        "每种 {seeds} 个随机种子，在 a+b 和 a−b 上训练同一个网络，测量训练范围内（a、b ∈ [{low:g}, {high:g}]）"
        "和远在范围外（直到 ±{extrap:g}）的平均绝对误差。有两个事实决定了答案的框架："
        "a+b 本身是线性的，所以不用激活函数的网络可以做到完全精确；ReLU 也能做到精确，因为 z = relu(z) − relu(−z)。"
    ),
    "tour.s4.adder": (
        "手工搭建的两单元 ReLU 加法器（隐藏层权重 [1, 1] 与 [−1, −1]，输出权重 [1, −1]）"
        "计算 {a:,} + {b:,} = {value:,.6f}（精确答案 {exact:,}）。"
    ),
    "tour.s4.result": (
        "在训练范围内，ReLU 的误差为 {relu:.3g}，不用激活函数的网络为 {identity:.3g}（均取 a+b 与 a−b 中较差者）。"
    ),
    "tour.s4.saturating.flat": (
        "在远离训练范围的地方（a+b），会饱和的激活函数趋于平坦：真实的和继续增长时，sigmoid 的预测只跟上其中的 "
        "{sigmoid_slope:.2f}，tanh 为 {tanh_slope:.2f}（1 表示同步增长，0 表示完全平坦）。"
    ),
    "tour.s4.saturating.not_flat": (
        "在远离训练范围的地方（a+b），这次运行中会饱和的激活函数并没有都趋于平坦：真实的和继续增长时，"
        "sigmoid 的预测跟上其中的 {sigmoid_slope:.2f}，tanh 为 {tanh_slope:.2f}（1 表示同步增长，0 表示完全平坦）。"
    ),
    "tour.s4.relu_like.straight": (
        "类 ReLU 函数大致保持直线延伸：relu 的预测跟上真实增长的 {relu_slope:.2f}，leaky_relu 为 {leaky_slope:.2f}。"
    ),
    "tour.s4.relu_like.bent": (
        "这次运行中类 ReLU 函数并没有都保持真实值的趋势：relu 的预测跟上真实增长的 {relu_slope:.2f}，"
        "leaky_relu 为 {leaky_slope:.2f}。"
    ),
    "tour.claim.addition": "ReLU（保留正的加权和、丢弃负的）有助于网络学习加法和减法。",
    # --- tour: 5. dead neurons ----------------------------------------------------------------------------------------
    "tour.s5.title": "5. 神经元死亡，以及 Leaky ReLU 的解决办法",
    "tour.s5.explain": (
        "如果一个 ReLU 单元对每个样本的输入都是负数，它的输出恒为 0，得到的梯度也为 0，于是再也无法恢复。"
        "我们用一个过大的学习率（{lr:g}）来诱发这种情况，每隔 {every} 步统计在训练分布上从不激活的隐藏单元——"
        "ReLU 与 Leaky ReLU 在完全相同的条件下对比（相同的随机种子、数据和初始权重）。"
    ),
    "tour.s5.result": (
        "训练 {steps} 步后，ReLU 有 {relu_dead:.0%} 的隐藏单元死亡（峰值 {relu_peak:.0%}）；"
        "Leaky ReLU 为 {leaky_dead:.0%}。"
    ),
    "tour.s5.leaky.fewer": "使用 Leaky ReLU 时损失的单元更少：Leaky 单元对负输入仍保留一个小斜率，因此仍能得到梯度。",
    "tour.s5.leaky.not_fewer": (
        "这次运行中 Leaky ReLU 损失的单元并不比 ReLU 少，尽管 Leaky 单元对负输入保留了一个小斜率。"
    ),
    "tour.s5.error": (
        "网络是否因此学得更好是另一个问题：结束时的误差，ReLU 为 {relu_mae:.3g}，Leaky ReLU 为 {leaky_mae:.3g}。"
    ),
    "tour.claim.dead": "ReLU 单元会死亡：一旦输入一直为负，输出恒为 0，再也无法恢复。",
    "tour.claim.leaky": "Leaky ReLU 可以避免神经元死亡。",
    # --- tour: 6. worked example --------------------------------------------------------------------------------------
    "tour.s6.title": "6. 课文中的完整示例",
    "tour.s6.explain": (
        "输入 [5, 3] 经过课文中 2×5 的权重 W 与偏置 b：每个隐藏单元先算加权和，然后 ReLU 把负的那个变成 0。"
    ),
    "tour.claim.example": "[5, 3] @ W + b = [6.6, 3.8, 1.3, 1.3, −0.3]，经过 ReLU 得到 [6.6, 3.8, 1.3, 1.3, 0.0]。",
    # --- tour: 7. summary ---------------------------------------------------------------------------------------------
    "tour.s7.title": "7. 总结：课文论断与测量结果对照",
    "tour.s7.explain": (
        "下表中的每个结论都是用固定阈值（见 actlab.tour.claim_verdicts）从上面的数据计算出来的，没有一个是手写的。"
    ),
    # --- tour: evidence: the numbers behind each verdict --------------------------------------------------------------
    "tour.ev.nonlinearity": (
        "xor/circle 中较难者的准确率：identity {identity:.0%}，relu {relu:.0%}；"
        "a×b 误差：identity {identity_mul:.3g}，relu {relu_mul:.3g}"
    ),
    "tour.ev.definition": "实测：relu(x) = {values}",
    "tour.ev.fast": "相对 ReLU 的耗时，{rounds} 轮测量的中位数（95% 区间）：{pairs}",
    "tour.ev.vanishing": "首个隐藏层与最后一个隐藏层的梯度之比：relu {relu:.2g}，sigmoid {sigmoid:.2g}",
    "tour.ev.sparse": "恰为 0 的比例：{pairs}",
    "tour.ev.addition": "训练范围内误差（add/sub 中较差者）：{pairs}；两单元加法器：{a} + {b} = {value:.6f}",
    "tour.ev.dead": "结束时 ReLU 死亡单元 {end:.0%}（峰值 {peak:.0%}，初始 {start:.0%}）",
    "tour.ev.leaky": (
        "结束时死亡比例：relu {relu:.0%}，leaky_relu {leaky:.0%}；结束时误差：relu {relu_mae:.3g}，"
        "leaky_relu {leaky_mae:.3g}"
    ),
    "tour.ev.example": "计算结果：{pre}，经 ReLU 后 {out}",
    # --- tour: words on the figures -----------------------------------------------------------------------------------
    "tour.plot.s1_panel": "circle 任务，{activation}",
    "tour.plot.predicted": "预测：类别 {k}",
    "tour.plot.sample": "类别 {k} 的样本",
    "tour.plot.s3_title": "{depth} 层网络初始化时各隐藏层的梯度（He/Xavier 初始化）",
    "tour.plot.s3_x": "层（1 = 输入侧）",
    "tour.plot.s3_y": "‖∂L/∂a‖（各种子的几何平均）",
    "tour.plot.s4_errors_title": "a+b 与 a−b：训练范围内外的误差",
    "tour.plot.s4_errors_y": "平均绝对误差（95% 置信区间）",
    "tour.plot.inside": "{task} 范围内",
    "tour.plot.outside": "{task} 范围外",
    "tour.plot.s4_extrap_title": "a+b：训练范围内外的预测值与真实值",
    "tour.plot.s4_extrap_x": "t，其中 {formula}",
    "tour.plot.truth": "真实值",
    "tour.plot.training_range": "训练范围",
    "tour.plot.s5_title": "学习率 {lr:g} 下训练过程中的死亡单元（{seeds} 个种子的均值与 95% 区间）",
    "tour.plot.s5_x": "训练步数",
    "tour.plot.s5_y": "批次上死亡隐藏单元的比例",
    # --- tour: figure captions ----------------------------------------------------------------------------------------
    "tour.fig.s1": "circle：各网络预测的类别，左为不用激活函数，右为使用 ReLU",
    "tour.fig.s2": "relu、leaky_relu、sigmoid、tanh 及其导数",
    "tour.fig.s3": "到达每个隐藏层的梯度范数，从输入侧开始（He 或 Xavier 初始化）",
    "tour.fig.s4_errors": "各激活函数在训练范围内外的平均绝对误差（95% 置信区间）",
    "tour.fig.s4_extrap": "a+b：远离训练范围时的预测与真实值（各激活函数的第 0 个种子）",
    "tour.fig.s5": "每个记录批次上死亡隐藏单元的比例：relu 对比 leaky_relu",
    # --- tour: table cells --------------------------------------------------------------------------------------------
    "tour.cell.accuracy": "准确率",
    "tour.cell.mae": "平均绝对误差",
    "tour.cell.input": "输入",
    # --- tour: table headers (a column named by one of these keys is translated) --------------------------------------
    "tour.col.activation": "激活函数",
    "tour.col.formula": "公式",
    "tour.col.range": "值域",
    "tour.col.speed": "耗时（相对 ReLU）",
    "tour.col.grad_best": "首层/末层梯度（He 或 Xavier 初始化）",
    "tour.col.grad_default": "首层/末层梯度（PyTorch 默认初始化）",
    "tour.col.zeros": "恰为 0 的比例",
    "tour.col.values": "数值",
    "tour.col.task": "任务",
    "tour.col.metric": "指标",
    "tour.col.interp": "训练范围内误差（95% 置信区间）",
    "tour.col.extrap": "训练范围外误差（95% 置信区间）",
    "tour.col.dead_start": "初始死亡比例",
    "tour.col.dead_end": "结束时死亡比例",
    "tour.col.dead_peak": "训练中峰值",
    "tour.col.mae_end": "结束时误差（MAE）",
    "tour.col.claim": "论断",
    "tour.col.evidence": "证据",
    "tour.col.verdict": "结论",
    # --- diagnose: verdicts (message, then suggestion) ----------------------------------------------------------------
    "diagnose.collapsed": "网络对全部 {inputs} 个输入给出同一个输出——已塌缩（初始化时即死亡，或在训练中死亡）。",
    "diagnose.collapsed.suggestion": "换一个随机种子重新初始化，改用 leaky_relu 或 He 初始化，或把网络加宽、减少层数。",
    "diagnose.nonfinite": "{site}：出现 NaN 或无穷大——计算已发散。",
    "diagnose.nonfinite.suggestion": "降低学习率、裁剪梯度，并检查输入数据。",
    "diagnose.layer_dead": (
        "{site}：全部 {units} 个 {display} 单元在 {inputs} 个输入上从未激活——整层已死亡，信号无法通过。"
    ),
    "diagnose.layer_dead.suggestion": "可尝试 leaky_relu、更低的学习率或 He 初始化。",
    "diagnose.dead": "{site}：{units} 个 {display} 单元中有 {dead} 个（{pct}）在 {inputs} 个输入上从未激活——已死亡。",
    "diagnose.dead.suggestion": "可尝试 leaky_relu、更低的学习率或 He 初始化。",
    "diagnose.saturated": "{site}：{display} 的输入中有 {pct} 处于饱和区（|f'(z)| < {threshold:g}）——梯度在那里消失。",
    "diagnose.saturated.suggestion": "对输入做归一化、使用更小的初始权重（Xavier 初始化），或改用 relu、gelu。",
    "diagnose.sparse": "{site}：{display} 的输出中有 {pct} 恰好为零——大多数单元在大多数时候都不工作。",
    "diagnose.sparse.suggestion": "检查输入的尺度和偏置的初始化；leaky_relu 会保留一点信号。",
    "diagnose.vanishing": "梯度范数从最后一层（{last}）到第一层（{first}）缩小了 {factor:.3g} 倍——梯度消失。",
    "diagnose.vanishing.suggestion": "使用 ReLU 族激活函数、残差连接、归一化层，或 He/Xavier 初始化。",
    "diagnose.exploding": "梯度范数从最后一层（{last}）到第一层（{first}）放大了 {factor:.3g} 倍——梯度爆炸。",
    "diagnose.exploding.suggestion": "降低学习率、裁剪梯度，或使用更小的初始权重。",
    "diagnose.fast_updates": "{site}：一步更新使权重变化了其范数的 {ratio:.2g}——远高于通常的 1e-3。",
    "diagnose.fast_updates.suggestion": "降低学习率。",
    "diagnose.healthy": "未发现问题：没有死亡或饱和的单元，梯度能到达第一层。",
    "diagnose.healthy.suggestion": "",
    # --- diagnose: words of the terminal report (headers, labels, severities) -----------------------------------------
    "diagnose.label.title": "{what}：{inputs} 个输入上的 {sites} 个激活位点",
    "diagnose.label.site": "位点",
    "diagnose.label.kind": "类型",
    "diagnose.label.units": "单元数",
    "diagnose.label.dead": "死亡",
    "diagnose.label.sparsity": "稀疏度",
    "diagnose.label.near 0": "接近 0",
    "diagnose.label.saturated": "饱和",
    "diagnose.label.post": "输出 μ ± σ",
    "diagnose.label.grad": "‖∂L/∂y‖",
    "diagnose.label.functional": "（函数调用）",
    "diagnose.label.gradient chain": "权重梯度范数 ‖∂L/∂W‖，从输入到输出：{chain}",
    "diagnose.label.collapsed": "塌缩：{answer}",
    "diagnose.label.yes": "是",
    "diagnose.label.no": "否",
    "diagnose.label.plot": "图表：{path}",
    "diagnose.label.info": "提示",
    "diagnose.label.warning": "警告",
    "diagnose.label.critical": "严重",
    # --- serve: the page's presets (title, then note) -----------------------------------------------------------------
    "serve.preset.s1-nonlinearity.title": "1 · 为什么需要非线性",
    "serve.preset.s1-nonlinearity.note": (
        "xor：A 没有激活函数，B 用 ReLU。只由线性运算组成的网络再深也只能画出一条直线。"
    ),
    "serve.preset.s2-definition.title": "2 · ReLU 的定义",
    "serve.preset.s2-definition.note": (
        "ReLU 保留正数、把负数变成 0；网络旁边画着 f 和 f′。每个神经元的图都是一个折起来的平面：直线一侧全为 0。"
    ),
    "serve.preset.s3-vanishing.title": "3 · 梯度消失",
    "serve.preset.s3-vanishing.note": "六层 sigmoid（A）对比 ReLU（B）：看梯度条，sigmoid 网络的前几层几乎不动。",
    "serve.preset.s4-addition.title": "4 · 学习 a + b",
    "serve.preset.s4-addition.note": (
        "a + b：ReLU（A）对比没有激活函数（B），一直画到外推范围。线性网络处处精确，ReLU 在外面也按直线延伸。"
    ),
    "serve.preset.s5-dead.title": "5 · 死亡神经元",
    "serve.preset.s5-dead.note": (
        "学习率高得离谱：ReLU 神经元（A）死亡变灰，再也回不来；Leaky ReLU（B）起点和批次都相同，一个也不死。"
    ),
    "serve.preset.s6-worked.title": "6 · 问它：5 + 3",
    "serve.preset.s6-worked.note": "课程里的问题：用 ReLU 训练 a + b，然后在下面的输入框里问网络。",
    "serve.preset.spiral.title": "螺旋：全部特征",
    "serve.preset.spiral.note": "最难的数据集：全部输入特征加六层网络；试试每层换不同的激活函数。",
}
