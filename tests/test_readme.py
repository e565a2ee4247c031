"""Every ```python and ```console block of README.md runs as written, in README order (issue 10, item 8).

How the README is read
  * Fenced blocks are found at any indentation; one inside a list item is dedented by its fence's indent.
  * ```console: a line starting with ``$ `` is a command (run with ``bash -o pipefail -c``); the lines up to the
    next command are its expected output, trailing blank lines ignored. A console block starts with a command.
  * ```python whose first line starts with ``>>>``: a doctest, checked with :mod:`doctest` without option flags.
    Where an output genuinely varies, the README marks that one example with an inline directive
    (``# doctest: +ELLIPSIS``), so the reader sees it varies too.
  * any other ```python block: a script, run as written with ``python`` in a fresh process (one namespace per
    block: a block copied on its own must run). When a ```text block follows it directly, that is its
    expected stdout, checked like a command's output with trained numbers (below).
  * ```bash, ```text, ```toml and unlabelled blocks are not run. ```bash is for commands a test cannot run
    (installing a virtual environment, the full tour), and the README says why next to each.

Where they run
  One sandbox for the whole README: a temporary copy of the repository's files (``git ls-files``, so
  ``examples/`` is there) in which every block runs in README order, so a later block may use what an earlier
  one wrote (``runs list`` after ``compare``). ``actlab`` and ``python`` on PATH run this checkout's source;
  stdout and stderr share one pipe, unbuffered, as a terminal shows them; COLUMNS=120; no $ACTLAB_DB.
  At the end every file the examples wrote must be one that .gitignore ignores. When several blocks fail,
  read the first: a later one may only miss what an earlier one should have written.

What is checked per command
  * exit status 0; 2 when the expected output starts with ``actlab: error:``.
  * exactly, line by line modulo trailing whitespace: error output, and the catalog commands (``actlab show``,
    ``list``, ``demo``, ``tasks``), which compute nothing that depends on the machine.
  * every other output holds trained numbers or timings, which differ between CPUs and torch builds, so its
    structure is checked: in both texts every number (and every hex hash) becomes ``#``, every run of
    box-drawing rules one character, and all whitespace is dropped; the results must be equal, where ``...`` in
    the README stands for anything (the README abridges long output with it). Column widths and line wrapping
    (also inside Chinese text, which has no spaces to wrap at) do not matter; a missing row, a changed word, an
    extra column or an extra ``±`` do.
  * a command that starts with ``timeout`` is stopped part-way on purpose, at a point that depends on the
    machine's speed: it may end with 124 or 0, and its output and the README's (structure, as above) must agree
    as far as both go, i.e. one is the beginning of the other.
"""

from __future__ import annotations

import difflib
import doctest
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
COMMAND_TIMEOUT_S = 300  # a command that hangs fails its block rather than the whole suite
RUN_LANGUAGES = ("console", "python")
EXACT_COMMANDS = ("show", "list", "demo", "tasks")  # `actlab X`: the catalog, nothing trained

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
NUMBER = re.compile(r"[-+−]?(?:\d+(?:[,_]\d{3})*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
HEX_HASH = re.compile(r"(?<![\w.])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b")  # not 2.0537e-05's digits
BOX_RULE = re.compile(r"[━─═]+")


# 1. Reading the README ------------------------------------------------------------------------------------


@dataclass
class Block:
    lang: str
    line: int  # README line of the block's first content line (1-based)
    lines: list[str]
    section: str
    next_lang: str = ""  # the language of the block right after this one, if only blank lines lie between
    next_lines: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        kind = "doctest" if self.is_doctest else self.lang
        slug = re.sub(r"[^a-z0-9]+", "-", self.section.lower()).strip("-")[:40]
        return f"L{self.line}-{kind}-{slug}"

    @property
    def is_doctest(self) -> bool:
        return self.lang == "python" and any(ln.strip() for ln in self.lines) and self.first_text.startswith(">>>")

    @property
    def first_text(self) -> str:
        return next(ln for ln in self.lines if ln.strip()).lstrip()


def parse_blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, each with its section heading and the block that follows it."""
    blocks: list[Block] = []
    section, open_block, indent, last_close = "top", None, 0, -10
    for number, raw in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(raw)
        if open_block is None:
            if raw.startswith("#"):
                section = raw.lstrip("#").strip()
            elif fence:
                indent = len(fence["indent"])
                open_block = Block(fence["lang"], number + 1, [], section)
                if blocks and all(not ln.strip() for ln in text.splitlines()[last_close : number - 1]):
                    blocks[-1].next_lang, blocks[-1].next_lines = open_block.lang, open_block.lines
        elif fence and len(fence["indent"]) == indent and not fence["lang"]:
            blocks.append(open_block)
            open_block, last_close = None, number
        else:
            open_block.lines.append(raw[indent:] if raw[:indent].strip() == "" else raw)
    assert open_block is None, f"README.md line {open_block.line - 1}: a ``` fence is never closed"
    return blocks


@dataclass
class Command:
    line: int
    text: str
    expected: list[str]

    @property
    def expects_error(self) -> bool:
        return bool(self.expected) and self.expected[0].startswith("actlab: error:")

    @property
    def is_exact(self) -> bool:
        words = self.text.split()
        return self.expects_error or (words[:1] == ["actlab"] and words[1:2] != [] and words[1] in EXACT_COMMANDS)


def parse_console(block: Block) -> list[Command]:
    commands: list[Command] = []
    for offset, raw in enumerate(block.lines):
        if raw.startswith("$ "):
            commands.append(Command(block.line + offset, raw[2:].strip(), []))
        elif commands:
            commands[-1].expected.append(raw)
        elif raw.strip():
            raise AssertionError(
                f"README.md line {block.line + offset}: a ```console block must start with a `$ ` command "
                f"(got {raw!r}); use ```bash with a reason for commands a test cannot run"
            )
    for command in commands:
        while command.expected and not command.expected[-1].strip():
            command.expected.pop()
    assert commands, f"README.md line {block.line}: this ```console block has no `$ ` command"
    return commands


# 2. Comparing outputs -------------------------------------------------------------------------------------


def exact_lines(text: str) -> list[str]:
    lines = [ln.rstrip() for ln in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def masked(text: str) -> str:
    """The text with numbers and hashes as ``#`` and box rules shortened (see the module docstring)."""
    return BOX_RULE.sub(lambda m: m[0][0], NUMBER.sub("#", HEX_HASH.sub("#", text)))


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", masked(text))


def same_structure(expected: str, got: str) -> bool:
    """Equal texts once numbers are masked and whitespace is dropped; ``...`` in ``expected`` matches anything."""
    pattern = ".*?".join(re.escape(squeezed(piece)) for piece in masked(expected).split("..."))
    return re.fullmatch(pattern, squeezed(got), flags=re.DOTALL) is not None


def agree_until_cut(expected: str, got: str) -> bool:
    """Whether the structure of one text is the beginning of the other's (a command stopped part-way)."""
    a, b = squeezed(expected), squeezed(got)
    return a.startswith(b) or b.startswith(a)


def structure_diff(expected: str, got: str) -> str:
    """A unified diff of the two texts with numbers masked and spaces collapsed, line by line."""

    def norm(text: str) -> list[str]:
        return [" ".join(masked(ln).split()) for ln in text.splitlines() if ln.strip()]

    return "\n".join(difflib.unified_diff(norm(expected), norm(got), "README (masked)", "got (masked)", lineterm=""))


def mismatch(where: str, what: str, expected: str, got: str, detail: str = "") -> str:
    return f"{where}: {what}\n--- expected (README) ---\n{expected}\n--- got ---\n{got}" + (
        f"\n--- difference ---\n{detail}" if detail else ""
    )


# 3. The sandbox -------------------------------------------------------------------------------------------


def repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(p for p in listed.split("\0") if p and (ROOT / p).is_file())


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]
    initial: set[str]
    scripts: Path


def make_sandbox(base: Path) -> Sandbox:
    """A copy of the repository's files under ``base``/repo, and the environment the blocks run in."""
    root, bin_dir, scripts = base / "repo", base / "bin", base / "scripts"
    for folder in (root, bin_dir, scripts):
        folder.mkdir()
    for name in repository_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    for name, body in (
        ("actlab", f'exec "{sys.executable}" -m actlab "$@"'),
        ("python", f'exec "{sys.executable}" "$@"'),
    ):
        wrapper = bin_dir / name  # a script, not a link: a link to a venv's python would not find its venv
        wrapper.write_text(f"#!/usr/bin/env bash\n{body}\n")
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = {key: value for key, value in os.environ.items() if key not in ("ACTLAB_DB", "COLUMNS", "LINES")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])]),
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        COLUMNS="120",
        NO_COLOR="1",
        TERM="dumb",
    )
    return Sandbox(root, env, files_under(root), scripts)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    return make_sandbox(tmp_path_factory.mktemp("readme"))


def run_shell(sandbox: Sandbox, command: str, where: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=sandbox.root,
            env=sandbox.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as slow:
        output = slow.output.decode(errors="replace") if isinstance(slow.output, bytes) else slow.output or ""
        pytest.fail(f"{where}: still running after {COMMAND_TIMEOUT_S} s; its output so far:\n{output}", pytrace=False)


# 4. Running the blocks ------------------------------------------------------------------------------------


def fail(message: str) -> None:
    pytest.fail(message, pytrace=False)  # the message says it all: which block, which line, expected vs got


def check_command(sandbox: Sandbox, command: Command) -> None:
    where = f"README.md line {command.line}: $ {command.text}"
    done = run_shell(sandbox, command.text, where)
    expected = "\n".join(command.expected)
    stopped = command.text.startswith("timeout ")
    allowed = {2} if command.expects_error else {0, 124} if stopped else {0}
    if done.returncode not in allowed:
        fail(mismatch(where, f"exit status {done.returncode}, want {sorted(allowed)}", expected, done.stdout))
    if stopped:
        if not agree_until_cut(expected, done.stdout):
            fail(
                mismatch(
                    where,
                    "stopped part-way, its output does not agree with the README's as far as both go",
                    expected,
                    done.stdout,
                    structure_diff(expected, done.stdout),
                )
            )
    elif command.is_exact:
        if exact_lines(done.stdout) != exact_lines(expected):
            diff = difflib.unified_diff(exact_lines(expected), exact_lines(done.stdout), "README", "got", lineterm="")
            fail(mismatch(where, "output differs (compared exactly)", expected, done.stdout, "\n".join(diff)))
    elif not same_structure(expected, done.stdout):
        fail(
            mismatch(
                where,
                "output differs in structure (numbers masked as #, `...` matches anything)",
                expected,
                done.stdout,
                structure_diff(expected, done.stdout),
            )
        )


def check_doctest(sandbox: Sandbox, block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sandbox.root)
    text = "\n".join(block.lines) + "\n"
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "readme"}, block.id, str(README), block.line - 1)
    report: list[str] = []
    result = doctest.DocTestRunner().run(test, out=report.append, clear_globs=True)
    if result.failed:
        fail(f"README.md line {block.line}: doctest failed\n" + "".join(report))


def check_script(sandbox: Sandbox, block: Block) -> None:
    script = sandbox.scripts / f"{block.id}.py"
    script.write_text("\n" * (block.line - 1) + "\n".join(block.lines) + "\n")  # tracebacks give README lines
    where = f"README.md line {block.line}: the python block ({len(block.lines)} lines)"
    done = run_shell(sandbox, f'python "{script}"', where)
    if done.returncode != 0:
        fail(f"{where} failed (its traceback's line numbers are README.md's)\n{done.stdout}")
    if block.next_lang == "text":
        expected = "\n".join(block.next_lines)
        if not same_structure(expected, done.stdout):
            fail(
                mismatch(
                    where,
                    "its output differs from the ```text block after it (numbers masked as #)",
                    expected,
                    done.stdout,
                    structure_diff(expected, done.stdout),
                )
            )


ALL_BLOCKS = parse_blocks(README.read_text(encoding="utf-8"))
BLOCKS = [b for b in ALL_BLOCKS if b.lang in RUN_LANGUAGES]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block(block: Block, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    if block.lang == "console":
        for command in parse_console(block):
            check_command(sandbox, command)
    elif block.is_doctest:
        check_doctest(sandbox, block, monkeypatch)
    else:
        check_script(sandbox, block)


def test_readme_shows_commands_only_in_blocks_that_run() -> None:
    """A block showing `$ ` commands is ```console (run here) or ```bash (not run, for a stated reason)."""
    hidden = [
        f"line {b.line} (```{b.lang})"
        for b in ALL_BLOCKS
        if b.lang not in ("console", "bash") and any(ln.startswith("$ ") for ln in b.lines)
    ]
    if hidden:
        fail(f"README.md shows commands in blocks that no test runs; make them ```console: {', '.join(hidden)}")


def test_readme_toml_blocks_are_the_example_files() -> None:
    """A ```toml block shows a file of examples/ verbatim, so the commands that use it run what is shown."""
    shipped = {path.read_text(encoding="utf-8"): path for path in sorted((ROOT / "examples").glob("*.toml"))}
    for block in (b for b in ALL_BLOCKS if b.lang == "toml"):
        if "\n".join(block.lines) + "\n" not in shipped:
            fail(f"README.md line {block.line}: this ```toml block is not the text of any examples/*.toml file")


def test_readme_examples_write_only_ignored_files(sandbox: Sandbox) -> None:
    written = sorted(files_under(sandbox.root) - sandbox.initial)
    assert written, "the README's examples wrote nothing: were they run?"
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=ROOT,
        input="\n".join(written),
        text=True,
        capture_output=True,
        check=False,
    ).stdout.split()
    stray = sorted(set(written) - set(ignored))
    if stray:
        fail(f"the README's examples wrote files that .gitignore does not ignore (write under runs/): {stray}")


# 5. The harness's own rules -------------------------------------------------------------------------------


def test_parse_blocks_finds_indented_fences_sections_and_the_following_block() -> None:
    text = "# A\n\n```console\n$ actlab x\nout\n```\n\n## B\n\n  ```python\n  >>> 1\n  1\n  ```\n```text\nhi\n```\n"
    console, python, plain = parse_blocks(text)
    assert (console.lang, console.line, console.lines, console.section) == ("console", 4, ["$ actlab x", "out"], "A")
    assert (python.line, python.lines, python.section, python.is_doctest) == (11, [">>> 1", "1"], "B", True)
    assert (console.next_lang, python.next_lang, plain.lines) == ("", "text", ["hi"])
    [command] = parse_console(console)
    assert (command.line, command.text, command.expected) == (4, "actlab x", ["out"])


def test_a_console_block_must_start_with_a_command() -> None:
    with pytest.raises(AssertionError, match="line 4: a ```console block must start with"):
        parse_console(Block("console", 4, ["make tour", "$ actlab x"], "s"))


def test_which_commands_are_compared_exactly() -> None:
    assert Command(1, "actlab show relu", ["relu"]).is_exact
    assert Command(1, "actlab demo --json | python -c 'x'", []).is_exact
    assert Command(1, "actlab compare", ["actlab: error: no"]).is_exact
    assert not Command(1, "actlab train --task add", ["x"]).is_exact


def test_structure_ignores_numbers_widths_and_wrapping() -> None:
    readme = "┏━━━━┳━━━━━━┓\n│ relu │ 0.0131 │\n│      │ ±0.0024 │\nabout 528 seeds\neach would"
    got = "┏━━━━━┳━━━━━━━━┓\n│ relu  │ 0.01307 │\n│       │  ±0.003 │\nabout 1,528 seeds each\nwould"
    assert same_structure(readme, got)
    assert same_structure("id 0648d6757f, 2.1e-17 s", "id 3ba7ae97a2, 9 s")
    assert same_structure('"grad_std": 2.054e-05}', '"grad_std": 2.0537617342863522e-05}')


@pytest.mark.parametrize(
    "got",
    [
        "│ relu │ 0.0131 │\n│ │ ±2.1e-17 │",  # an interval where the README shows none (the old stats bug)
        "│ gelu │ 0.0131 │",  # a changed word
        "│ relu │ 0.0131 │ 5 │",  # an extra column
        "",  # no output
    ],
)
def test_structure_catches_extra_missing_and_changed_tokens(got: str) -> None:
    assert not same_structure("│ relu │ 0.0131 │", got)


def test_a_stopped_command_agrees_as_far_as_it_got() -> None:
    readme = "sweep.toml: 120 runs, 0 already stored\n"
    assert agree_until_cut(readme, "")  # stopped before it printed anything
    assert agree_until_cut(readme, "sweep.toml: 120 runs, 3 already stored\n120 runs: 3 reused")  # it finished
    assert not agree_until_cut(readme, "sweep.toml: 120 runs, 0 already kept\n")


def test_ellipsis_matches_any_tokens_and_nothing_else() -> None:
    readme = '{\n  "config": { ... },\n  "results": [1, ...],\n  "db": "x.db"\n}'
    assert same_structure(readme, '{\n  "config": {\n    "a": [1, 2]\n  },\n  "results": [1, 2, 3],\n  "db": "x.db"\n}')
    assert same_structure(readme, '{ "config": { }, "results": [1, ], "db": "x.db" }')
    assert not same_structure(readme, '{ "config": { }, "results": [1, 2], "db": "y.db" }')
