"""The command line fuzzed: hypothesis builds command lines for every subcommand from plausible and hostile
values (huge, negative, NaN and infinite numbers, empty lists, unknown names, unwritable paths, long names)
and runs each through the real entry point, in this process, with stdout and stderr captured.

Every outcome must be one of the two a user may see (issue 11):

* exit 0, and with ``--json`` exactly one valid JSON document on stdout (no NaN or Infinity);
* exit 2, exactly one line ``actlab: error: ...`` on stderr, and nothing on stdout but the JSON of ``--json``
  (or, when an output could not be written at the end, the results computed before it);

never a traceback, never exit 1, never a hang (each case has a time limit).

Work is kept small by construction: options that set an amount of work (steps, seeds, sizes, repeats) take
either a tiny value or one beyond the limit the library refuses, never a large valid one. ``tour`` always
gets one invalid value (a valid tour trains for a minute). CI runs :data:`EXAMPLES` cases from a fixed seed;
``ACTLAB_FUZZ_EXAMPLES=5000`` runs more, from a random seed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from actlab.cli import main
from conftest import QUICK

EXAMPLES = int(os.environ.get("ACTLAB_FUZZ_EXAMPLES", "300"))
CASE_SECONDS = 120  # a case running longer counts as a hang (generous: CI machines are busy)

# --- values ---------------------------------------------------------------------------------------------------

HUGE = "111111111111111111111111111111"
BAD_NUMBERS = [
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e39",
    "-1e39",
    "1e400",
    "1e-320",
    "-1",
    "0",
    "-0",
    "abc",
    "",
    " ",
    "1,2",
    "0x10",
    "١",
    "½",
    HUGE,
    "-" + HUGE,
    "9223372036854775808",
]
BAD_COUNTS = ["0", "-1", "-5", HUGE, "-" + HUGE, "1e400", "1e9", "nan", "inf", "abc", "", "2.5", "9223372036854775808"]
BAD_TEXT = [
    "",
    " ",
    ":",
    "relu:",
    "relu:alpha",
    "relu:=1",
    "x" * 300,
    "é",
    "∞",
    "\t",
    "-1",
    "😀",
    "relu,,tanh",
    ",",
    "nope",
    "RELU",
    "elu:alpha=1e308",
    "elu:alpha=nan",
    "leaky_relu:negative_slope=-1e39",
    "%",
    "'",
]
UNWRITABLE = [
    "/proc/x",
    "/proc/self/x",
    "/proc/nope/x",
    "{tmp}/" + "n" * 256,
    "{tmp}/" + "d" * 300 + "/x",
    "{tmp}/afile/x",
    "/sys/x",
]
BAD_PATHS = [*UNWRITABLE, "{tmp}/afile", "/dev/null", ".", "", "{tmp}"]  # never "/": root could write there
GOOD_PATHS = ["{tmp}/out/a", "{tmp}/new/deeper/b", "{tmp}/c"]


def files(suffixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Good and bad file names with each of ``suffixes`` (the bad ones unwritable whatever the suffix)."""
    good = [p + s for p in GOOD_PATHS for s in suffixes]
    bad = [p + s for p in UNWRITABLE for s in suffixes]
    return good, [*bad, "{tmp}/afile", "/dev/null", "{tmp}", ".", "", "x.txt", "{tmp}/" + "m" * 300 + suffixes[0]]


ACTIVATIONS = ["relu", "tanh", "sigmoid", "gelu", "identity", "leaky_relu:negative_slope=0.1", "elu:alpha=2"]
TASKS = ["add", "sub", "mul", "div", "max", "identity", "square", "sqrt", "xor", "circle", "gauss", "spiral", "moons"]


def pick(good: list[str], *bad: list[str]) -> st.SearchStrategy[str]:
    """A good value two times in three, one of the bad ones otherwise."""
    hostile = [value for group in bad for value in group]
    if not hostile:
        return st.sampled_from(good)
    return st.one_of(st.sampled_from(good), st.sampled_from(good), st.sampled_from(hostile))


PLOT_FILES = pick(*files((".png", ".svg", ".pdf")))
FOLDERS = pick(GOOD_PATHS, BAD_PATHS)
NUMBER = pick(["0.5", "1", "-3", "10", "1e-3", "100"], BAD_NUMBERS)
SMALL_COUNT = pick(["1", "2", "3"], BAD_COUNTS)
SEED = pick(["0", "1", "4294967295", "4294967296"], BAD_COUNTS)
ACTIVATION = pick(ACTIVATIONS, BAD_TEXT)
TASK = pick(TASKS, ["addition", "", "ADD", "x" * 300])
LANG = pick(["en", "zh"], ["xx", "", "EN", "zh-CN"])
RUNS = ["{run}", "{xor}"] * 5  # as likely as all the bad paths together
LIMIT = pick(["1", "2", "5"], BAD_COUNTS)
JSON_FLAG = st.sampled_from([[], ["--json"]])


NO_ARGUMENTS: st.SearchStrategy[list[str]] = st.just([])


def options(spec: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[list[str]]:
    """Some of the options in ``spec`` (name -> value strategy; a ``None`` value: a flag), in any order."""

    def flatten(chosen: dict[str, Any]) -> list[str]:
        args: list[str] = []
        for name, value in chosen.items():
            args += [name] if value is None else [name, *value] if isinstance(value, list) else [name, value]
        return args

    names = sorted(spec)
    if not names:
        return NO_ARGUMENTS
    return st.lists(st.sampled_from(names), unique=True, max_size=min(4, len(names))).flatmap(
        lambda chosen: st.fixed_dictionaries({n: spec[n] for n in chosen}).map(flatten)
    )


FLAG = st.none()

TRAINING = {  # the options train and compare share
    "--task": TASK,
    "--hidden": pick(
        ["4", "4,4", "none", "3 3"],
        ["0", "-1", "4,,4", "", HUGE, "1e400", "none,4", ",".join(["2"] * 1001), "100000,100000"],
    ),
    "--steps": SMALL_COUNT,
    "--lr": NUMBER,
    "--batch-size": pick(["1", "8"], BAD_COUNTS, ["10000000000"]),
    "--optimizer": pick(["adam", "sgd"], BAD_TEXT),
    "--momentum": pick(["0", "0.5", "0.999", "1"], BAD_NUMBERS),
    "--init": pick(["default", "he", "xavier"], BAD_TEXT),
    "--bias-init": pick(["auto", "zero", "0.1"], BAD_NUMBERS),
    "--range": st.lists(NUMBER, min_size=2, max_size=2),
    "--extrap-range": st.lists(NUMBER, min_size=2, max_size=2),
    "--noise": NUMBER,
    "--target-loss": NUMBER,
}


SWEEP_TEMPLATE = """
label = {label}
[grid]
activations = {activations}
depths = {depths}
widths = {widths}
lrs = {lrs}
seeds = {seeds}
[train]
steps = {steps}
batch_size = {batch_size}
"""


# --- the commands ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A subcommand: the fixed start of its command line (small work) and its fuzzed options."""

    base: list[str]
    spec: dict[str, st.SearchStrategy[Any]]
    positional: st.SearchStrategy[list[str]] = NO_ARGUMENTS
    json: bool = True


COMMANDS: dict[str, Command] = {
    "train": Command(
        ["train", "--steps", "2", "--hidden", "4", "-q"],
        {
            **TRAINING,
            "--activation": ACTIVATION,
            "--integer": FLAG,
            "--seed": SEED,
            "--track-every": SMALL_COUNT,
            "--out": FOLDERS,
            "--plot": PLOT_FILES,
            "--quiet": FLAG,
        },
    ),
    "predict": Command(
        ["predict"],
        {},
        st.tuples(
            pick(RUNS, BAD_PATHS),
            st.one_of(
                st.lists(pick(["5", "-3", "0.5", "1e18", "-1e18"], BAD_NUMBERS, ["1e19"]), min_size=2, max_size=2),
                st.lists(pick(["5+3", "5 - -3", "max(5, 3)", "5,3", "-1e18+1e18"], BAD_NUMBERS), max_size=1),
                st.lists(pick(["5", "+", "3"], BAD_NUMBERS), max_size=4),
            ),
        ).map(lambda t: [t[0], *t[1]]),
    ),
    "eval": Command(
        ["eval"],
        {"--range": st.lists(NUMBER, min_size=2, max_size=2), "--plot": PLOT_FILES},
        pick(RUNS, BAD_PATHS).map(lambda p: [p]),
    ),
    "tasks": Command(["tasks"], {}),
    "diagnose": Command(
        ["diagnose", "--samples", "64"],
        {
            "--samples": pick(["2", "100"], BAD_COUNTS, ["1", "10000000"]),
            "--batch-size": SMALL_COUNT,
            "--seed": SEED,
            "--backward": FLAG,
            "--no-backward": FLAG,
            "--lang": LANG,
            "--plot": PLOT_FILES,
            "--tensorboard": FOLDERS,
            "--timeout": pick(["30", "60"], ["0", "-1", "nan", "inf", "1e400", HUGE]),
        },
        st.one_of(  # what to diagnose: a run folder, or a model with its inputs, or a muddle
            pick(RUNS, BAD_PATHS).map(lambda run: [run]),
            st.tuples(
                pick(
                    ["{model}:make"],
                    [
                        "{model}:nope",
                        "{model}:",
                        ":make",
                        "x.py:make",
                        "/proc/x.py:make",
                        "{tmp}/afile:make",
                        "{model}",
                    ],
                ),
                st.one_of(
                    pick(["4,2", "1,2", "3,4"], ["", "0", "-1", "4,,2", "1000000,4", HUGE, "1e3", "a,b"]).map(
                        lambda shape: ["--input-shape", shape]
                    ),
                    pick(["{inputs}"], ["{tmp}/afile", "{tmp}/none.pt", "/dev/null", ""]).map(
                        lambda path: ["--inputs", path]
                    ),
                ),
            ).map(lambda t: ["--model", t[0], *t[1]]),
            st.lists(
                st.sampled_from(["{run}", "--model", "{model}:make", "--input-shape", "4,2", "--inputs", "{inputs}"]),
                max_size=4,
            ),
        ),
    ),
    "born-dead": Command(
        ["born-dead", "--seeds", "2", "--width", "2", "--depth", "2"],
        {
            "--width": pick(["2,3", "4"], ["0", "", ",", "2,,3", HUGE, "100000", "-1", "1e3"]),
            "--depth": pick(["2,3", "5"], ["0", "", ",", HUGE, "1000000", "1001", "-1"]),
            "--seeds": SMALL_COUNT,
            "--activation": ACTIVATION,
            "--init": pick(["he", "default"], BAD_TEXT),
        },
    ),
    "compare": Command(
        [
            "compare",
            "--steps",
            "2",
            "--hidden",
            "4",
            "--seeds",
            "1",
            "--batch-size",
            "8",
            "-a",
            "relu",
            "--workers",
            "1",
            "--db",
            "{tmp}/compare.db",
            "-q",
        ],
        {
            **TRAINING,
            "--activations": pick(["relu", "relu,tanh", "tanh, sigmoid"], BAD_TEXT, ["relu,relu"]),
            "--seeds": SMALL_COUNT,
            "--reach": NUMBER,
            "--db": pick(["{tmp}/compare.db", "{tmp}/new/c.db"], BAD_PATHS),
            "--fresh": FLAG,
            "--workers": pick(["1", "2"], ["0", "-1", HUGE, "abc"]),
            "--out": FOLDERS,
        },
    ),
    "sweep": Command(
        ["sweep", "--db", "{tmp}/sweep.db", "-q"],
        {
            "--db": pick(["{tmp}/sweep.db"], BAD_PATHS),
            "--fresh": FLAG,
            "--dry-run": FLAG,
            "--workers": pick(["1"], ["0", HUGE]),
        },
        st.one_of(
            pick(["{sweep}"], ["{bad_sweep}", "{tmp}/afile", "{tmp}/none.toml", "/dev/null", "/proc"]),
            st.builds(
                SWEEP_TEMPLATE.format,
                label=pick(['"fuzz"'], ["3", '""', '"' + "x" * 300 + '"']),
                activations=pick(
                    ['["relu"]', '["relu", "tanh"]'],
                    ["[]", '["nope"]', '["relu", "relu"]', '["elu:alpha=1e308"]', '"relu"', "[1]"],
                ),
                depths=pick(["[1]", "[1, 2]"], ["[0]", "[-1]", "[1001]", f"[{HUGE}]", "[1.5]", '["a"]']),
                widths=pick(["[4]", "[2, 4]"], ["[0]", f"[{HUGE}]", "[100000]", "[4, 4]"]),
                lrs=pick(["[0.01]"], ["[0]", "[-1]", "[1e39]", "[inf]", "[nan]", '["fast"]']),
                seeds=pick(["1", "2", "[0, 7]"], ["0", "-1", HUGE, "[0, 0]", "[]", '["a"]', "[-1]", f"[{HUGE}]"]),
                steps=pick(["1", "2"], ["0", "-1", "1e400", "10000001", HUGE, "2.5", '"2"', "nan"]),
                batch_size=pick(["8"], ["0", "10000000000", "-8"]),
            ).map(lambda text: "SWEEP:" + text),
        ).map(lambda p: [p]),
    ),
    "runs list": Command(
        ["runs", "list", "--db", "{db}"],
        {
            "--task": TASK,
            "--activation": ACTIVATION,
            "--label": pick(["fuzz"], BAD_TEXT),
            "--limit": LIMIT,
            "--db": pick(["{db}"], BAD_PATHS, ["{tmp}/none.db"]),
        },
    ),
    "runs show": Command(
        ["runs", "show", "--db", "{db}"],
        {"--db": pick(["{db}"], BAD_PATHS)},
        pick(["1", "2", "0", "a", "ab12"], BAD_COUNTS, BAD_TEXT, ["²", "%", "_"]).map(lambda r: [r]),
    ),
    "runs export": Command(
        ["runs", "export", "--db", "{db}"],
        {
            "--task": TASK,
            "--activation": ACTIVATION,
            "--label": pick(["fuzz"], BAD_TEXT),
            "--db": pick(["{db}"], BAD_PATHS),
        },
        pick(*files((".csv", ".json"))).map(lambda p: [p]),
        json=False,
    ),
    "runs gc": Command(["runs", "gc", "--db", "{db}"], {"--dry-run": FLAG, "--db": pick(["{db}"], BAD_PATHS)}),
    "list": Command(["list"], {}),
    "show": Command(
        ["show"],
        {"--param": pick(["negative_slope=0.2", "alpha=1"], BAD_TEXT, ["alpha=1e308"]), "--out": PLOT_FILES},
        ACTIVATION.map(lambda a: [a]),
    ),
    "plot": Command(
        ["plot", "--out", "{tmp}/p.png"],
        {"--out": PLOT_FILES, "--low": NUMBER, "--high": NUMBER},
        st.lists(ACTIVATION, min_size=1, max_size=3),
        json=True,
    ),
    "demo": Command(["demo"], {"--activation": ACTIVATION, "--param": pick(["negative_slope=0.2"], BAD_TEXT)}),
    "bench": Command(
        ["bench", "--size", "1000", "--repeats", "1", "--threads", "1"],
        {
            "--size": pick(["100", "1000"], BAD_COUNTS, ["300000000"]),
            "--device": pick(["cpu"], ["cuda", "tpu", ""]),
            "--repeats": pick(["1", "2"], BAD_COUNTS),
            "--threads": pick(["1", "0"], ["-1", HUGE, "100000"]),
            "--cpu-clock": FLAG,
            "--formula": FLAG,
        },
        st.lists(ACTIVATION, min_size=1, max_size=2),
    ),
    "tour": Command(["tour", "--db", "{tmp}/tour.db"], {"--fresh": FLAG, "--full": FLAG}),  # plus one bad value
}

TOUR_MUST_FAIL = st.sampled_from(
    [["--lang", lang] for lang in ("xx", "", "EN")]
    + [["--out", p] for p in BAD_PATHS if p not in ("{tmp}", ".", "")]
    + [["--db", p] for p in BAD_PATHS if p not in ("{tmp}/afile",)]
)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    command = COMMANDS[name]
    argv = [*command.base, *draw(options(command.spec)), *draw(command.positional)]
    if name == "tour":
        argv += draw(TOUR_MUST_FAIL)
    if command.json:
        argv += draw(JSON_FLAG)
    return argv


# --- the world the commands run in ------------------------------------------------------------------------------

MODEL = """
from torch import nn


def make():
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
"""

SWEEP = """
label = "fuzz"
[grid]
activations = ["relu", "tanh"]
widths = [4]
seeds = 1
[train]
steps = 2
batch_size = 8
"""

BAD_SWEEP = """
[grid]
seeds = 111111111111111111111111111111
[train]
steps = 1e400
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Files the command lines refer to: run folders, a results database, a model file, inputs, sweep files."""
    from actlab import TrainConfig, train
    from actlab.training.rundir import save_run

    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "afile").write_text("a plain file, not a folder")
    (tmp / "model.py").write_text(MODEL)
    torch.save(torch.randn(8, 2), tmp / "inputs.pt")
    (tmp / "sweep.toml").write_text(SWEEP)
    (tmp / "bad_sweep.toml").write_text(BAD_SWEEP)
    paths = {
        "tmp": str(tmp),
        "model": str(tmp / "model.py"),
        "inputs": str(tmp / "inputs.pt"),
        "sweep": str(tmp / "sweep.toml"),
        "bad_sweep": str(tmp / "bad_sweep.toml"),
        "db": str(tmp / "runs.db"),
        "run": str(save_run(train(TrainConfig(steps=5, hidden=[4])), tmp / "run")),
        "xor": str(save_run(train(TrainConfig(task="xor", steps=5, hidden=[4])), tmp / "xor")),
    }
    before = Path.cwd()
    os.chdir(tmp)  # the default ./actlab-runs/ lands here
    try:
        stored = f"compare -a relu,tanh --seeds 2 --steps 3 --hidden 4 --workers 1 --db {paths['db']} -q --json"
        outcome = run(stored.split())  # the runs that `runs list/show/export/gc` look at
        assert outcome.code == 0, outcome
        yield paths
    finally:
        os.chdir(before)


# --- running one command line -------------------------------------------------------------------------------------


class Hang(BaseException):
    """Raised in the case by the timer: the command ran past :data:`CASE_SECONDS`."""


@dataclass
class Outcome:
    argv: list[str]
    code: int | None
    out: str
    err: str
    crash: str  # the traceback of an exception that escaped main(), or ""


def run(argv: list[str]) -> Outcome:
    """``actlab ARGV`` through :func:`actlab.cli.main`, with stdout and stderr captured and a time limit."""
    out, err = io.StringIO(), io.StringIO()

    def timed_out(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {CASE_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(CASE_SECONDS)
    code: int | None = None
    crash = ""
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(argv))
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    except BaseException:  # a traceback a user would have seen (or a hang)
        crash = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(argv, code, out.getvalue(), err.getvalue(), crash)


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def check(outcome: Outcome) -> None:
    """One of the two outcomes a user may see, and nothing else (see the module's docstring)."""
    argv, out, err = outcome.argv, outcome.out, outcome.err
    assert not outcome.crash, f"actlab {argv} raised:\n{outcome.crash}"
    assert "Traceback" not in out + err, f"actlab {argv} printed a traceback:\n{out}{err}"
    assert outcome.code in (0, 2), f"actlab {argv} exited {outcome.code}:\n{out}{err}"
    as_json = "--json" in argv and "--help" not in argv
    if outcome.code == 0:
        if as_json:
            strict_json(out)
        return
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("actlab: error: "), f"actlab {argv}: stderr {err!r}"
    if as_json and out:
        strict_json(out)  # the results, printed before an output at the end could not be written
    elif out:
        assert "the work itself is done" in err, f"actlab {argv} failed but printed {out!r}"


def _fill(arg: str, world: dict[str, str]) -> str:
    """``arg`` with ``{key}`` replaced by the world's paths; ``SWEEP:text`` becomes a sweep file of that text."""
    if arg.startswith("SWEEP:"):
        text = arg.removeprefix("SWEEP:")
        path = Path(world["tmp"]) / f"sweep-{hashlib.sha256(text.encode()).hexdigest()[:16]}.toml"
        path.write_text(text)
        return str(path)
    for key, value in world.items():
        arg = arg.replace("{" + key + "}", value)
    return arg


# --- the tests ----------------------------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=QUICK or "ACTLAB_FUZZ_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(argv=command_lines())
def test_every_command_line_ends_in_a_result_or_one_line(world: dict[str, str], argv: list[str]) -> None:
    outcome = run([_fill(arg, world) for arg in argv])
    event(f"{' '.join(argv[:2]) if argv[0] == 'runs' else argv[0]}: exit {outcome.code}")
    check(outcome)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_plain_run_and_a_help(world: dict[str, str], name: str) -> None:
    """Each command's fixed start alone is a valid small run (tour aside), and ``--help`` answers."""
    command = COMMANDS[name]
    base = [_fill(arg, world) for arg in command.base]
    extra = {
        "predict": [world["run"], "5", "3"],
        "eval": [world["run"]],
        "runs show": ["1"],
        "runs export": [world["tmp"] + "/all.csv"],
        "show": ["relu"],
        "plot": ["relu"],
        "bench": ["relu"],
        "sweep": [world["sweep"]],
        "diagnose": [world["run"]],
    }.get(name, [])
    check(run([*base, "--help"]))
    if name == "tour":
        outcome = run([*base, "--lang", "xx", "--json"])
        assert outcome.code == 2
    else:
        outcome = run([*base, *extra, *(["--json"] if command.json else [])])
        assert outcome.code == 0, outcome
    check(outcome)


def test_the_checker_catches_what_it_must() -> None:
    """The oracle itself: a traceback, exit 1, two lines, stray stdout and bad JSON all fail."""
    good = Outcome(["x", "--json"], 0, '{"a": 1}', "", "")
    check(good)
    for bad in (
        Outcome(["x"], None, "", "", "Traceback (most recent call last): ..."),
        Outcome(["x"], 1, "", "boom\n", ""),
        Outcome(["x"], 2, "", "actlab: error: one\nand two\n", ""),
        Outcome(["x"], 2, "stray", "actlab: error: one\n", ""),
        Outcome(["x", "--json"], 0, '{"a": NaN}', "", ""),
        Outcome(["x", "--json"], 0, "not json", "", ""),
    ):
        with pytest.raises((AssertionError, ValueError)):
            check(bad)


FOUND = {  # command lines the fuzzer found crashing (each a traceback before its fix), and what they give now
    "a huge constant bias": (["train", "--steps", "2", "--bias-init", "1e308"], "beyond float32's ±3.4e+38"),
    "bench threads below 0": (["bench", "relu", "--size", "100", "--threads", "-1"], "threads must be between 0"),
    "bench repeats forever": (["bench", "relu", "--size", "100", "--repeats", HUGE], "repeats must be at most 1,000"),
    "a huge diagnose batch": (["diagnose", "{run}", "--batch-size", HUGE], "must be between 1 and 100,000"),
    "a huge diagnose seed": (["diagnose", "{xor}", "--seed", HUGE], "must be at most 4,294,967,295 (a seed)"),
    "a run folder name too long": (["predict", "{tmp}/" + "n" * 256, "5", "3"], "file name too long"),
    "a range without whole numbers": (
        [
            "compare",
            "-a",
            "relu",
            "--seeds",
            "1",
            "--steps",
            "2",
            "--hidden",
            "4",
            "--db",
            "{tmp}/found.db",
            "--range",
            "1e-3",
            "0.5",
            "--json",
        ],
        None,
    ),
    "a sweep of huge depth": (
        [
            "sweep",
            "--db",
            "{tmp}/found.db",
            "SWEEP:"
            + SWEEP_TEMPLATE.format(
                label='"x"',
                activations='["relu"]',
                depths=f"[{HUGE}]",
                widths="[4]",
                lrs="[0.01]",
                seeds="1",
                steps="2",
                batch_size="8",
            ),
        ],
        "hidden layers are more than the limit of 1,000",
    ),
    "a limit beyond SQLite's integers": (["runs", "list", "--db", "{db}", "--limit", HUGE, "--json"], None),
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_what_the_fuzzer_found(world: dict[str, str], case: str) -> None:
    argv, message = FOUND[case]
    outcome = run([_fill(arg, world) for arg in argv])
    check(outcome)
    assert outcome.code == (0 if message is None else 2) and (message is None or message in outcome.err), outcome
