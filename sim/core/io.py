"""Atomic file output: write to a temporary name in the same folder, then rename.

A reader never sees a half-written file, and an interrupted run leaves no result behind.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import ConfigError

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)``, then rename the temporary file to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes files private; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_stale(folder: str | Path) -> list[Path]:
    """Remove the temporary files an interrupted :func:`atomic_write` left in ``folder``.

    Only the one process that writes a folder calls this (a run, a comparison), before it
    writes: a temporary file there is never another writer's.
    """
    stale = [p for p in Path(folder).glob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as Parquet, atomically."""
    return atomic_write(path, lambda p: df.to_parquet(p, index=False))


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as CSV (no index), atomically."""
    return atomic_write(path, lambda p: df.to_csv(p, index=False))


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON (indented, keys in insertion order), atomically."""
    return atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2) + "\n"))


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file, atomically."""
    return atomic_write(path, lambda p: p.write_text(text))


@contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder`` for one command: a second command writing it stops with one line.

    The lock is ``fcntl.flock`` on ``<folder>/.lock`` (the file names the holder), freed when
    the holder ends, however it ends (a kill included).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    f = open(folder / ".lock", "a+")  # noqa: SIM115 - held until the end of the block
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        who = f.read().strip() or "another process"
        f.close()
        raise busy(folder, who) from None
    try:
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        f.flush()
        yield
    finally:
        f.close()  # closing frees the lock


def busy(folder: str | Path, who: str) -> ConfigError:
    """The one line for a folder another command holds."""
    return ConfigError(
        f"{folder}: another command is writing this folder ({who}); wait for it to end, or "
        "write elsewhere (output_root=<folder>)"
    )


def holder(folder: str | Path) -> str | None:
    """Who holds ``folder`` (:func:`folder_lock`) now, or None; changes nothing."""
    try:
        f = open(Path(folder) / ".lock")  # noqa: SIM115
    except OSError:
        return None
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return f.read().strip() or "another process"
    return None


def holds_folder(fn: Callable) -> Callable:
    """Decorate a function whose parameter ``out`` is the folder it writes: :func:`folder_lock`."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def locked(*args, **kwargs):
        with folder_lock(signature.bind(*args, **kwargs).arguments["out"]):
            return fn(*args, **kwargs)

    return locked
