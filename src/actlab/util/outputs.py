"""Output locations: checked, and their missing parent folders created, before any work is done.

Every command that writes (``train --out``, ``compare --out``, ``sweep``'s database, ``tour --out``,
``plot --out``, ``runs export``, ``diagnose --plot``/``--tensorboard``) calls :func:`prepare_output_dir` or
:func:`prepare_output_file` first, so that a location that can never be written is refused in one line
(:class:`~actlab.errors.ActlabError`) before minutes of training rather than after them. The rule:

1. every name in the path has at most ``NAME_MAX`` bytes (255 on Linux file systems) and the whole path
   at most ``PATH_MAX`` bytes;
2. the missing parent folders are created (as ``mkdir -p`` would), and a file where a folder is needed is
   refused;
3. the folder that will hold the output accepts a new file: one is created and removed again, which is
   the only test that read-only folders, read-only mounts and ``/proc`` all fail;
4. the output itself may exist only as the right kind of thing: a folder for a folder (for
   :func:`prepare_output_dir`, optionally only an empty one or one that ``replaceable`` accepts), a regular
   file for a file.

A write that fails anyway at the end (a disk that filled up meanwhile) must not lose the results: commands
write through :func:`write_or_explain`, show what they computed, and then report what could not be written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from actlab.errors import ActlabError

NAME_MAX = 255  # bytes in one file name where the file system does not say (Linux's usual limit)
PATH_MAX = 4096  # bytes in a whole path (Linux's limit)
SHOWN_NAME = 40  # a longer name is cut to this many characters in messages, so that errors stay readable


def prepare_output_dir(
    path: str | os.PathLike[str],
    what: str = "",
    replaceable: Callable[[Path], bool] | None = None,
    kind: str = "an earlier output",
) -> Path:
    """Check that the folder ``path`` can be created (or, existing, written to) before any work.

    Missing parent folders are created; the folder itself is not (so a run that fails leaves nothing
    behind). An existing ``path`` must be a folder; with ``replaceable`` it must also be empty or accepted
    by ``replaceable`` (e.g. :func:`actlab.training.rundir.is_run`: an old run that may be replaced), which ``kind``
    names in messages. ``what`` names the output in messages (``"the report"``). Returns ``path`` as a
    :class:`~pathlib.Path`.
    """
    target = Path(path)
    try:
        _prepare_dir(target, what, replaceable, kind)
    except OSError as err:  # stat or listing refused (a folder without read permission, ...)
        raise _cannot(what, target, _reason(err)) from None
    return target


def prepare_output_file(path: str | os.PathLike[str], suffixes: Sequence[str] = (), what: str = "") -> Path:
    """Check that the file ``path`` can be written before any work: its name ends in one of ``suffixes``
    (any name when empty), it is not a folder or some other non-regular file, its missing parent folders are
    created, and its folder accepts a new file (an existing file must be writable too)."""
    target = Path(path)
    try:
        _prepare_file(target, suffixes, what)
    except OSError as err:
        raise _cannot(what, target, _reason(err)) from None
    return target


def write_or_explain(write: Callable[[], object], path: str | os.PathLike[str], what: str = "") -> str:
    """Run ``write`` (which writes ``path``) and return ``""``; or, when it fails with an ``OSError`` or an
    :class:`ActlabError`, one sentence saying what could not be written. Commands show their results first
    and report the sentence afterwards, so that a failed write at the end never discards finished work."""
    try:
        write()
    except ActlabError as err:
        return str(err)
    except OSError as err:
        return str(_cannot(what, Path(path), _reason(err)))
    return ""


# --- the pieces -------------------------------------------------------------------------------------------


def _prepare_dir(target: Path, what: str, replaceable: Callable[[Path], bool] | None, kind: str) -> None:
    _check_names(target, what)
    if target.exists():
        if not target.is_dir():
            raise _cannot(what, target, "it is a file; give a new or existing folder")
        if replaceable is not None and any(target.iterdir()) and not replaceable(target):
            reason = f"it is a folder with other files in it, not {kind}; give a new or empty folder"
            raise _cannot(what, target, reason)
        _probe(target, what, target)
    else:
        _probe(_make_folders(target.parent, what, target), what, target)


def _prepare_file(target: Path, suffixes: Sequence[str], what: str) -> None:
    _check_names(target, what)
    if suffixes and target.suffix.lower() not in suffixes:
        endings = ", ".join(suffixes[:-1]) + " or " + suffixes[-1] if len(suffixes) > 1 else suffixes[0]
        raise _cannot(what, target, f"use a file name ending in {endings}")
    if target.is_dir():
        raise _cannot(what, target, "it is a folder; give a file name")
    if target.exists() or target.is_symlink():
        if not target.is_file():
            raise _cannot(what, target, "it is not a regular file; give a file name")
        if not os.access(target, os.W_OK):
            raise _cannot(what, target, "the file is read-only")
    _probe(_make_folders(target.parent, what, target), what, target)


def _check_names(path: Path, what: str) -> None:
    """Refuse a name the file system cannot hold, before anything is created."""
    if "\x00" in str(path):
        raise _cannot(what, path, "the name contains a NUL character")
    whole = len(os.fsencode(path))
    if whole > PATH_MAX:
        raise _cannot(what, path, f"the path is {whole:,} bytes long, over the limit of {PATH_MAX:,}")
    limit = _name_max(path)
    for name in path.parts:
        size = len(os.fsencode(name))
        if size > limit:
            raise _cannot(
                what, path, f"the name {_short(name)!r} is {size:,} bytes long; names may have at most {limit} bytes"
            )


def _name_max(path: Path) -> int:
    """The longest file name (bytes) of the file system holding the nearest existing folder of ``path``."""
    for folder in (path, *path.parents):
        with contextlib.suppress(OSError, ValueError):
            if folder.is_dir():
                return int(os.pathconf(folder, "PC_NAME_MAX"))
    return NAME_MAX


def _make_folders(folder: Path, what: str, target: Path) -> Path:
    """Create ``folder`` and its missing parents; a file in the way, or a place where folders cannot be
    made, is refused."""
    for part in (folder, *folder.parents):
        if part.exists() or part.is_symlink():
            if not part.is_dir():
                raise _cannot(what, target, f"it lies under {part}, which is a file; give a new or existing folder")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _cannot(what, target, f"cannot create folder {folder} ({_reason(err)})") from None
    return folder


def _probe(folder: Path, what: str, target: Path) -> None:
    """Create and remove one empty file in ``folder``: the one test every unwritable place fails."""
    try:
        handle, name = tempfile.mkstemp(prefix=".actlab-write-test-", dir=folder)
    except OSError as err:
        raise _cannot(what, target, f"folder {folder} does not accept new files ({_reason(err)})") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)


def _reason(err: OSError) -> str:
    """``read-only file system``, ``permission denied``, ...: the system's words, without the errno noise."""
    if err.errno == errno.ENAMETOOLONG:
        return "a name is too long for the file system"
    return (err.strerror or type(err).__name__).lower()


def _short(name: str) -> str:
    return name if len(name) <= SHOWN_NAME else name[:SHOWN_NAME] + "…"


def _shown(path: Path) -> str:
    return str(Path(*(_short(part) for part in path.parts))) if path.parts else str(path)


def _cannot(what: str, path: Path, reason: str) -> ActlabError:
    return ActlabError(f"cannot write {what + ' ' if what else ''}to {_shown(path)}: {reason}")
