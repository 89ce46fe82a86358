"""A run folder is written by one run at a time, and only through files the run made.

``lock_run_folder`` holds ``out/.lock`` (an advisory ``flock``) while a run writes there: a
second ``textenvs train`` on the same folder is refused in one line instead of interleaving
its log and files with the first's. The lock is per process and re-entrant, so the command
line can take it before writing ``run_config.json`` and the training loop again. Files are
replaced atomically (a temporary file, then a rename), which also replaces a symbolic link
planted in the folder instead of writing through it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from textenvs.errors import InputError

LOCK = ".lock"

_held: dict[Path, int] = {}


class RunFolderBusyError(InputError):
    """Another process is running in this folder."""


def lock_run_folder(out: str | Path) -> None:
    """Hold ``out``'s lock for this process (a second call is a no-op).

    Raises:
        RunFolderBusyError: another process holds it.
    """
    folder = Path(out).resolve()
    if folder in _held:
        return
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        raise RunFolderBusyError(
            f"{out} is in use by another run (it holds {Path(out) / LOCK}): wait for it to "
            "end, or choose another folder"
        ) from None
    _held[folder] = handle


def release_run_folder(out: str | Path) -> None:
    """Let other processes run in ``out`` again."""
    handle = _held.pop(Path(out).resolve(), None)
    if handle is not None:
        os.close(handle)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (a new file renamed over it: never half written)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def remove_stale_temporaries(out: Path, names: tuple[str, ...]) -> None:
    """Delete what a killed run left half written: ``NAME.*.tmp`` and ``NAME.tmp`` files."""
    for name in names:
        for stale in (*out.glob(f"{name}.*.tmp"), *out.glob(f"{name}.tmp")):
            stale.unlink(missing_ok=True)
