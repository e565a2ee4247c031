// The page's words in English and Chinese; elements carry data-i18n (text) or data-i18n-title (tooltip).

export const TEXT = {
  en: {
    title: "playground", reset: "reset the network", play: "play / pause", step: "one epoch", epoch: "epoch",
    lr: "learning rate", opt: "optimizer", reg: "regularisation", rate: "rate", none: "none", compare: "compare with",
    off: "— one network —", preset: "lesson", preset_pick: "— replay a tour section —", data: "Data",
    which_data: "Which dataset?", classification: "classification", arithmetic: "the lesson's arithmetic (regression)",
    own: "own data", own_hint: "Click the output square to add points of the chosen class.", class0: "class 0",
    class1: "class 1", upload: "upload CSV (x1,x2,label)", clear: "clear points", split: "training data",
    noise: "noise", batch: "batch size", regenerate: "new data (seed)", seed: "seed", features: "Features",
    add_layer: "add a hidden layer", remove_layer: "remove a hidden layer", hidden_layers: "hidden layers",
    neurons: "neurons", output: "Output", train_loss: "training loss", test_loss: "test loss", accuracy: "accuracy",
    show_test: "show test data", discretize: "discretize output", show_extrap: "show the extrapolation range",
    slice: "Along a line through the training box: truth (grey), network (colour); shaded: training range",
    ask: "Ask it", export_run: "export run folder", export_state: "export state (JSON)",
    footer: "Trained on the server by actlab (PyTorch); this page only draws. The URL holds every setting: copy it to share the experiment.",
    dead: "dead", saturated: "saturated", grad: "‖∂L/∂W‖ per layer", network: "network",
    train_range: "training range", extrap_range: "extrapolation range", connected: "connected",
    disconnected: "disconnected — reload the page", exported: "Run folder written:", download: "download .zip",
    try_cli: "try", truth: "truth", answer_class: "class", probability: "p",
    legend_cls: "Colour: orange class 0, blue class 1; white is the boundary.",
    legend_reg: "Colour: the value, orange negative, blue positive (scale ±{s}).",
    weight: "weight", bias: "bias", of: "of", layer: "layer",
  },
  zh: {
    title: "演练场", reset: "重置网络", play: "开始 / 暂停", step: "训练一轮", epoch: "轮次",
    lr: "学习率", opt: "优化器", reg: "正则化", rate: "正则化率", none: "无", compare: "对比",
    off: "— 只有一个网络 —", preset: "课程", preset_pick: "— 重演导览的一节 —", data: "数据",
    which_data: "选哪个数据集？", classification: "分类", arithmetic: "课程中的算术（回归）",
    own: "自己的数据", own_hint: "在输出方框上点击，添加所选类别的点。", class0: "类别 0",
    class1: "类别 1", upload: "上传 CSV（x1,x2,label）", clear: "清除所有点", split: "训练数据比例",
    noise: "噪声", batch: "批大小", regenerate: "重新生成数据（种子）", seed: "种子", features: "特征",
    add_layer: "增加一个隐藏层", remove_layer: "删除一个隐藏层", hidden_layers: "个隐藏层",
    neurons: "个神经元", output: "输出", train_loss: "训练损失", test_loss: "测试损失", accuracy: "准确率",
    show_test: "显示测试数据", discretize: "输出离散化", show_extrap: "显示外推范围",
    slice: "沿着穿过训练区域的一条直线：真实值（灰色）与网络（彩色）；阴影为训练范围",
    ask: "问它", export_run: "导出训练目录", export_state: "导出状态（JSON）",
    footer: "由 actlab（PyTorch）在服务器上训练；本页面只负责绘图。网址里保存了全部设置：复制它就能分享这个实验。",
    dead: "死亡", saturated: "饱和", grad: "每层的 ‖∂L/∂W‖", network: "网络",
    train_range: "训练范围", extrap_range: "外推范围", connected: "已连接",
    disconnected: "连接已断开——请刷新页面", exported: "已写入训练目录：", download: "下载 .zip",
    try_cli: "试试", truth: "真实值", answer_class: "类别", probability: "概率",
    legend_cls: "颜色：橙色为类别 0，蓝色为类别 1；白色是分界线。",
    legend_reg: "颜色表示数值：橙色为负，蓝色为正（范围 ±{s}）。",
    weight: "权重", bias: "偏置", of: "/", layer: "层",
  },
};

let lang = "en";

export function setLanguage(code) {
  lang = TEXT[code] ? code : "en";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

export function language() {
  return lang;
}

export function t(key, values = {}) {
  const text = TEXT[lang][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}
