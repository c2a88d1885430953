"""Which code makes results: a hash of the package's sources.

One hash keys two caches: stored runs (:func:`sim.run.code_version`: resumed comparisons,
sweeps and calibrations reuse a run only when it is unchanged) and numba's compiled loops
(:func:`sim.jit.cache_dir`: a changed rule is compiled again, never run stale).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).parent

# Sources that draw or serve results but do not make them (and hold no compiled loop).
NOT_RESULTS = ("plotting.py", "dashboard.py", "app.py")


def code_hash(root: Path = PACKAGE) -> str:
    """A short hash of the Python sources under ``root`` (path and bytes) but :data:`NOT_RESULTS`."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.name not in NOT_RESULTS:
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]
