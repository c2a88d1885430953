"""Atomic file output: write to a temporary name in the same folder, then rename.

A reader never sees a half-written file, and an interrupted run leaves no result behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

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
