"""Every user-facing sentence in English: key -> template with ``{named}`` fields.

:mod:`actlab.text.zh` has exactly the same keys and fields (a test checks it).
``tour.*``: the tour and its report; ``diagnose.*``: the diagnostics report; ``serve.*``: the page's presets;
``missing``: a ``None`` field.
"""

EN: dict[str, str] = {
    # --- shared: a measurement that does not exist (a None field) -----------------------------------------------------
    "missing": "n/a",
    # --- tour: frame --------------------------------------------------------------------------------------------------
    "tour.title": "The ReLU lesson, verified by measurement",
    "tour.intro": (
        "This tour walks through the lesson on activation functions section by section. Each claim is "
        "tested by an experiment run just now on this machine, and the verdict comes from the numbers, "
        "not from the lesson. Mode: {mode}, {seeds} seeds per configuration."
    ),
    "tour.verdict": "Verdict",
    "tour.confirmed": "confirmed",
    "tour.partly": "partly",
    "tour.not confirmed": "not confirmed",
    "tour.inconclusive on this machine": "inconclusive on this machine",
    "tour.claim": "Claim",
    "tour.evidence": "Evidence",
    "tour.cached": "Results came from the results store ({path}); run with --fresh to measure again.",
    "tour.elapsed": "Measured in {seconds:.1f} s.",
    "tour.from_store": "These results were read back from the results store.",
    "tour.notice.no_cjk_font": (
        "The figures keep English labels: matplotlib found no CJK font on the machine that measured this "
        "tour; install one (Debian: fonts-noto-cjk) and run again with --fresh for Chinese figures."
    ),
    # --- tour: 1. non-linearity ---------------------------------------------------------------------------------------
    "tour.s1.title": "1. Why a network needs non-linearity",
    "tour.s1.explain": (
        "However many linear layers you stack, the whole network is still one matrix times the input "
        "plus one bias: it can only draw a straight boundary or fit a flat plane. We train the same "
        "network (hidden layers {hidden}) with no activation at all (identity) and with ReLU, on two "
        "classification problems that no straight line can split (xor, circle) and on multiplication."
    ),
    # Findings: sentences that state what was measured. actlab.tour.findings picks one of each group.
    "tour.s1.result.chance": (
        "Without an activation the network stays near chance on the harder of xor and circle: "
        "{identity_acc:.0%} accuracy (chance is 50 %); with ReLU it reaches {relu_acc:.0%}."
    ),
    "tour.s1.result.above_chance": (
        "Without an activation the network reaches {identity_acc:.0%} accuracy on the harder of xor and "
        "circle, clearly above chance (50 %); with ReLU, {relu_acc:.0%}."
    ),
    "tour.s1.mul.lower": (
        "On a×b ReLU lowers the mean error from {identity_mul:.3g} to {relu_mul:.3g}, a clear difference "
        "over the seeds (Welch's t-test, 5 % level)."
    ),
    "tour.s1.mul.higher": (
        "On a×b ReLU does worse: the mean error is {relu_mul:.3g} with it and {identity_mul:.3g} without, "
        "a clear difference over the seeds (Welch's t-test, 5 % level)."
    ),
    "tour.s1.mul.unclear": (
        "On a×b the mean error is {identity_mul:.3g} without an activation and {relu_mul:.3g} with ReLU: "
        "over these seeds Welch's t-test (5 % level) does not tell them apart."
    ),
    "tour.claim.nonlinearity": "Without an activation function a network can only learn linear functions.",
    # --- tour: 2. definition ------------------------------------------------------------------------------------------
    "tour.s2.title": "2. ReLU's definition",
    "tour.s2.explain": (
        "ReLU(x) = max(0, x): a positive input passes unchanged and anything else becomes 0. Its slope is 1 "
        "for x > 0 and 0 for x < 0; at exactly 0 actlab follows PyTorch and uses 0."
    ),
    "tour.claim.definition": "ReLU maps [-2, -1, 0, 1, 2] to [0, 0, 0, 1, 2].",
    # --- tour: 3. comparison table ------------------------------------------------------------------------------------
    "tour.s3.title": "3. The comparison table the lesson lost: sigmoid, tanh, ReLU, Leaky ReLU, GELU, SiLU",
    "tour.s3.explain": (
        "The lesson's table of common activation functions was lost in export. Here it is rebuilt with "
        "measurements in place of adjectives: the time of a forward and backward pass relative to ReLU "
        "(1.0 = as fast as ReLU; {size:,} float32 elements on one CPU thread, timed by that thread's own CPU "
        "clock, median of several runs); the share of gradient that reaches the first layer of a {depth}-layer "
        "network at initialisation compared with the last layer (1 = nothing lost, 0.001 = almost nothing "
        "arrives); and the fraction of exact zeros among the hidden activations (sparsity)."
    ),
    "tour.s3.speed_note": (
        "Speed depends on the tensor size and the machine: once a tensor no longer fits in the cache, every "
        "elementwise function waits on memory and the differences shrink. `actlab bench` times the whole "
        "catalog at several sizes next to a plain memory copy, the physical limit. The times here are PyTorch's own "
        "kernels, without the check actlab's modules add to keep the limits at ±inf. The timing repeats in rounds "
        "until each median is known to within a few per cent; when a ratio's 95 % interval still straddles the "
        "verdict's 10 % threshold, a rerun could flip the verdict, so it reads “inconclusive on this machine”."
    ),
    "tour.claim.fast": "ReLU is fast to compute.",
    "tour.claim.vanishing": "Sigmoid's gradient vanishes in deep networks; ReLU's does much less.",
    "tour.claim.sparse": "ReLU makes the network sparse: many outputs are exactly zero.",
    # --- tour: 4. addition --------------------------------------------------------------------------------------------
    "tour.s4.title": "4. Does ReLU help a network learn addition?",
    "tour.s4.explain": (
        "The lesson argues that by keeping positive sums and dropping negative ones, ReLU helps a network "
        "learn addition and subtraction. We train the same network on a+b and a−b with five activations "
        "over {seeds} seeds each, and measure the mean absolute error inside the training range "
        "(a, b in [{low:g}, {high:g}]) and far outside it (up to ±{extrap:g}). Two facts frame the answer: "
        "a+b is itself linear, so a network with no activation can be exact; and ReLU can be exact too, "
        "since z = relu(z) − relu(−z)."
    ),
    "tour.s4.adder": (
        "The hand-built two-unit ReLU adder (hidden weights [1, 1] and [−1, −1], output weights [1, −1]) "
        "computes {a:,} + {b:,} = {value:,.6f} (exact answer {exact:,})."
    ),
    "tour.s4.result": (
        "Inside the training range ReLU's error is {relu:.3g}; the identity network's is {identity:.3g} "
        "(each the worse of a+b and a−b)."
    ),
    "tour.s4.saturating.flat": (
        "Far outside it, on a+b, the saturating activations flatten out: where the true sum keeps rising, "
        "sigmoid's prediction rises by {sigmoid_slope:.2f} and tanh's by {tanh_slope:.2f} of it (1 = keeps pace, "
        "0 = flat)."
    ),
    "tour.s4.saturating.not_flat": (
        "Far outside it, on a+b, the saturating activations do not both flatten out in this run: where the "
        "true sum keeps rising, sigmoid's prediction rises by {sigmoid_slope:.2f} and tanh's by {tanh_slope:.2f} "
        "of it (1 = keeps pace, 0 = flat)."
    ),
    "tour.s4.relu_like.straight": (
        "ReLU-like activations keep going roughly straight: relu's prediction rises by {relu_slope:.2f} "
        "and leaky_relu's by {leaky_slope:.2f} of the true sum's rise."
    ),
    "tour.s4.relu_like.bent": (
        "ReLU-like activations do not both keep the true sum's trend in this run: relu's prediction rises "
        "by {relu_slope:.2f} and leaky_relu's by {leaky_slope:.2f} of the true sum's rise."
    ),
    "tour.claim.addition": (
        "ReLU (keeping positive sums, dropping negative ones) helps a network learn addition and subtraction."
    ),
    # --- tour: 5. dead neurons ----------------------------------------------------------------------------------------
    "tour.s5.title": "5. Dead neurons, and Leaky ReLU's fix",
    "tour.s5.explain": (
        "A ReLU unit whose input is negative for every example outputs 0 and receives zero gradient, so "
        "nothing can bring it back. We provoke this with a learning rate that is far too high ({lr:g}) and "
        "count, every {every} steps, the hidden units that never fire on the training distribution — for ReLU "
        "and for Leaky ReLU under identical conditions (same seeds, same data, same initial weights)."
    ),
    "tour.s5.result": (
        "After {steps} steps, {relu_dead:.0%} of ReLU's hidden units are dead (peak {relu_peak:.0%}); "
        "with Leaky ReLU, {leaky_dead:.0%}."
    ),
    "tour.s5.leaky.fewer": (
        "Fewer units are lost with Leaky ReLU: a leaky unit keeps a small slope for negative inputs, so it "
        "still receives a gradient."
    ),
    "tour.s5.leaky.not_fewer": (
        "Leaky ReLU loses no fewer units than ReLU in this run, although a leaky unit keeps a small slope "
        "for negative inputs."
    ),
    "tour.s5.error": (
        "Whether the network then learns better is a separate question: the error at the end is "
        "{relu_mae:.3g} with ReLU and {leaky_mae:.3g} with Leaky ReLU."
    ),
    "tour.claim.dead": "ReLU units can die: once their input stays negative they output 0 and never recover.",
    "tour.claim.leaky": "Leaky ReLU prevents dead neurons.",
    # --- tour: 6. worked example --------------------------------------------------------------------------------------
    "tour.s6.title": "6. The lesson's worked example",
    "tour.s6.explain": (
        "The input [5, 3] goes through a layer with the lesson's 2×5 weights W and bias b: each hidden unit "
        "forms a weighted sum, then ReLU zeroes the negative one."
    ),
    "tour.claim.example": "[5, 3] @ W + b = [6.6, 3.8, 1.3, 1.3, −0.3], and ReLU gives [6.6, 3.8, 1.3, 1.3, 0.0].",
    # --- tour: 7. summary ---------------------------------------------------------------------------------------------
    "tour.s7.title": "7. Summary: the lesson's claims against the measurements",
    "tour.s7.explain": (
        "Each verdict below is computed from the numbers above with fixed thresholds (documented in "
        "actlab.tour.claim_verdicts); none is written by hand."
    ),
    # --- tour: evidence: the numbers behind each verdict --------------------------------------------------------------
    "tour.ev.nonlinearity": (
        "accuracy on the harder of xor/circle: identity {identity:.0%}, relu {relu:.0%}; "
        "a×b error: identity {identity_mul:.3g}, relu {relu_mul:.3g}"
    ),
    "tour.ev.definition": "measured: relu(x) = {values}",
    "tour.ev.fast": "time relative to relu, median of {rounds} rounds (95 % interval): {pairs}",
    "tour.ev.vanishing": "gradient at the first hidden layer / the last: relu {relu:.2g}, sigmoid {sigmoid:.2g}",
    "tour.ev.sparse": "share of exact zeros: {pairs}",
    "tour.ev.addition": (
        "error inside the training range (worse of add/sub): {pairs}; two-unit adder: {a} + {b} = {value:.6f}"
    ),
    "tour.ev.dead": "relu units dead at the end {end:.0%} (peak {peak:.0%}, at the start {start:.0%})",
    "tour.ev.leaky": (
        "dead at the end: relu {relu:.0%}, leaky_relu {leaky:.0%}; error at the end: relu {relu_mae:.3g}, "
        "leaky_relu {leaky_mae:.3g}"
    ),
    "tour.ev.example": "computed: {pre}, then relu {out}",
    # --- tour: words on the figures -----------------------------------------------------------------------------------
    "tour.plot.s1_panel": "circle, {activation}",
    "tour.plot.predicted": "predicted: class {k}",
    "tour.plot.sample": "sample of class {k}",
    "tour.plot.s3_title": "Gradient at each hidden layer, {depth}-layer network at init (He/Xavier)",
    "tour.plot.s3_x": "layer (1 = input side)",
    "tour.plot.s3_y": "‖∂L/∂a‖ (geometric mean over seeds)",
    "tour.plot.s4_errors_title": "a+b and a−b: error inside and outside the training range",
    "tour.plot.s4_errors_y": "mean absolute error (95 % CI)",
    "tour.plot.inside": "{task} inside",
    "tour.plot.outside": "{task} outside",
    "tour.plot.s4_extrap_title": "a+b: prediction and truth, inside and far outside the training range",
    "tour.plot.s4_extrap_x": "t, where {formula}",
    "tour.plot.truth": "truth",
    "tour.plot.training_range": "training range",
    "tour.plot.s5_title": "Dead units during training at lr={lr:g} (mean and 95 % band over {seeds} seeds)",
    "tour.plot.s5_x": "training step",
    "tour.plot.s5_y": "fraction of hidden units dead on the batch",
    # --- tour: figure captions ----------------------------------------------------------------------------------------
    "tour.fig.s1": "circle: the class each network predicts, with no activation (left) and with ReLU (right)",
    "tour.fig.s2": "relu, leaky_relu, sigmoid and tanh, and their derivatives",
    "tour.fig.s3": "gradient norm reaching each hidden layer, input side first (He or Xavier init)",
    "tour.fig.s4_errors": "mean absolute error per activation, inside and outside the training range (95 % intervals)",
    "tour.fig.s4_extrap": "a+b: prediction against truth far outside the training range (seed 0 of each activation)",
    "tour.fig.s5": "share of hidden units dead on each recorded batch, relu against leaky_relu",
    # --- tour: table cells --------------------------------------------------------------------------------------------
    "tour.cell.accuracy": "accuracy",
    "tour.cell.mae": "mean absolute error",
    "tour.cell.input": "input",
    # --- tour: table headers (a column named by one of these keys is translated) --------------------------------------
    "tour.col.activation": "activation",
    "tour.col.formula": "formula",
    "tour.col.range": "range",
    "tour.col.speed": "time vs relu",
    "tour.col.grad_best": "gradient first / last (He or Xavier init)",
    "tour.col.grad_default": "gradient first / last (PyTorch default init)",
    "tour.col.zeros": "exact zeros",
    "tour.col.values": "values",
    "tour.col.task": "task",
    "tour.col.metric": "metric",
    "tour.col.interp": "error inside the training range (95 % CI)",
    "tour.col.extrap": "error outside it (95 % CI)",
    "tour.col.dead_start": "dead at start",
    "tour.col.dead_end": "dead at end",
    "tour.col.dead_peak": "peak during training",
    "tour.col.mae_end": "error at end (MAE)",
    "tour.col.claim": "claim",
    "tour.col.evidence": "evidence",
    "tour.col.verdict": "verdict",
    # --- diagnose: verdicts (message, then suggestion) ----------------------------------------------------------------
    "diagnose.collapsed": (
        "The network's output is the same for all {inputs} inputs — collapsed (born dead, or died in training)."
    ),
    "diagnose.collapsed.suggestion": (
        "Re-initialise with another seed, use leaky_relu or He init, or make the network wider or shallower."
    ),
    "diagnose.nonfinite": "{site}: NaN or infinite values — the computation has diverged.",
    "diagnose.nonfinite.suggestion": "Lower the learning rate, clip gradients, and check the inputs.",
    "diagnose.layer_dead": (
        "{site}: all {units} {display} units never fired on {inputs} inputs — the layer is dead and passes no signal."
    ),
    "diagnose.layer_dead.suggestion": "Try leaky_relu, a lower learning rate, or He init.",
    "diagnose.dead": "{site}: {dead} of {units} {display} units ({pct}) never fired on {inputs} inputs — dead.",
    "diagnose.dead.suggestion": "Try leaky_relu, a lower learning rate, or He init.",
    "diagnose.saturated": (
        "{site}: {pct} of {display} inputs are saturated (|f'(z)| < {threshold:g}) — gradients vanish there."
    ),
    "diagnose.saturated.suggestion": (
        "Normalise the inputs, use smaller initial weights (Xavier init), or switch to relu or gelu."
    ),
    "diagnose.sparse": "{site}: {pct} of {display} outputs are exactly zero — most units are silent most of the time.",
    "diagnose.sparse.suggestion": "Check the input scale and the bias initialisation; leaky_relu keeps a small signal.",
    "diagnose.vanishing": (
        "Gradient norm falls {factor:.3g}× from the last layer ({last}) to the first ({first}) — vanishing gradients."
    ),
    "diagnose.vanishing.suggestion": (
        "Use relu-family activations, residual connections, normalisation layers, or He/Xavier init."
    ),
    "diagnose.exploding": (
        "Gradient norm grows {factor:.3g}× from the last layer ({last}) to the first ({first}) — exploding gradients."
    ),
    "diagnose.exploding.suggestion": "Lower the learning rate, clip gradients, or use smaller initial weights.",
    "diagnose.fast_updates": (
        "{site}: one step moves the weights by {ratio:.2g} of their norm — far above the usual 1e-3."
    ),
    "diagnose.fast_updates.suggestion": "Lower the learning rate.",
    "diagnose.healthy": "No problems found: no dead or saturated units, and gradients reach the first layer.",
    "diagnose.healthy.suggestion": "",
    # --- diagnose: words of the terminal report (headers, labels, severities) -----------------------------------------
    "diagnose.label.title": "{what}: {sites} activation sites over {inputs} inputs",
    "diagnose.label.site": "site",
    "diagnose.label.kind": "kind",
    "diagnose.label.units": "units",
    "diagnose.label.dead": "dead",
    "diagnose.label.sparsity": "sparsity",
    "diagnose.label.near 0": "near 0",
    "diagnose.label.saturated": "saturated",
    "diagnose.label.post": "post μ ± σ",
    "diagnose.label.grad": "‖∂L/∂y‖",
    "diagnose.label.functional": " (fn)",
    "diagnose.label.gradient chain": "gradient norm ‖∂L/∂W‖, input → output:  {chain}",
    "diagnose.label.collapsed": "collapsed: {answer}",
    "diagnose.label.yes": "yes",
    "diagnose.label.no": "no",
    "diagnose.label.plot": "plot: {path}",
    "diagnose.label.info": "info",
    "diagnose.label.warning": "warning",
    "diagnose.label.critical": "critical",
    # --- serve: the page's presets (title, then note) -----------------------------------------------------------------
    "serve.preset.s1-nonlinearity.title": "1 · Why non-linearity",
    "serve.preset.s1-nonlinearity.note": (
        "xor with no activation (A) and with ReLU (B): a network of straight lines stays a "
        "straight line, whatever its depth."
    ),
    "serve.preset.s2-definition.title": "2 · ReLU's definition",
    "serve.preset.s2-definition.note": (
        "ReLU keeps positive inputs and zeroes negative ones; beside the network, f and f′. Each "
        "neuron's picture is a folded plane: zero on one side of a line."
    ),
    "serve.preset.s3-vanishing.title": "3 · Vanishing gradients",
    "serve.preset.s3-vanishing.note": (
        "Six layers of sigmoid (A) against ReLU (B): watch the gradient bars, the first layers "
        "of the sigmoid network barely move."
    ),
    "serve.preset.s4-addition.title": "4 · Learning a + b",
    "serve.preset.s4-addition.note": (
        "ReLU (A) against no activation (B) on a + b, shown out to the extrapolation range: "
        "the linear network is exact everywhere, ReLU keeps going in straight lines."
    ),
    "serve.preset.s5-dead.title": "5 · Dead neurons",
    "serve.preset.s5-dead.note": (
        "A learning rate far too high: ReLU units (A) die and turn grey, for good; Leaky ReLU "
        "(B), same start and same batches, keeps all of its units."
    ),
    "serve.preset.s6-worked.title": "6 · Ask it: 5 + 3",
    "serve.preset.s6-worked.note": (
        "The lesson's question. Train a + b with ReLU, then ask the network in the box below."
    ),
    "serve.preset.spiral.title": "Spiral with every feature",
    "serve.preset.spiral.note": "The hardest set: every input feature and six layers; try other activations per layer.",
}
