"""Which code makes results: a hash of the package's sources.

One hash keys two caches: stored runs (:func:`sim.studies.run.code_version`: resumed comparisons,
sweeps and calibrations reuse a run only when it is unchanged) and numba's compiled loops
(:func:`sim.core.jit.cache_dir`: a changed rule is compiled again, never run stale).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).parents[1]

# Floors that draw or serve results but do not make them (and hold no compiled loop).
NOT_RESULTS = ("reports", "app")


def code_hash(root: Path = PACKAGE) -> str:
    """A short hash of the Python sources under ``root`` (path and bytes) outside :data:`NOT_RESULTS`."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] not in NOT_RESULTS:
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]
