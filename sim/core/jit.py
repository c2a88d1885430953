"""Compiled loops for the measured hot spots of a month.

numpy makes one pass over the district per operation; a rule of ten operations costs ten passes
of 190,000 households (about 0.15 ms each here). Where a rule runs every month over every
household, one compiled loop does it in one pass. ``jit`` compiles with numba and caches the
machine code on disk (:func:`cache_dir`). No fastmath: a loop computes what the numpy it replaced
did, up to the last bits where the order of operations differs (numpy sums pairwise). Loops
over random outcomes use ``&`` and ``|`` rather than ``and`` and ``or``, which would branch.

Measured here, and worth knowing before fusing loops: a simple loop without branches is
vectorised (AVX-512: a household's uniform costs ~0.5 ns), a loop with branches is not, so
one fused loop can be slower than two (the income history apart from the status: 2.9 -> 2.3
ms a month). Table lookups stop vectorisation too (hence the shocks' screen). Calls that are
not inlined cost ~100 ns with many array arguments: call them only on rare events. And
``jit_inline`` is for straight-line helpers: an inlined helper with a loop ran 3.5x slower.

A compiled loop cannot run stale: numba keys its disk cache on the file of the function it
compiles, not on the helpers it inlined from other files, so a changed rule in
``sim/engine/policies/means_test.py`` would run from the old machine code of ``dibao.py``. The cache
therefore lives in a folder named by a hash of the package's sources (:func:`cache_dir`): any
change to the model's code compiles every loop once again (10-50 s).

Set ``NUMBA_DISABLE_JIT=1`` to step through the loops in a Python debugger (slow, and the
last bits may differ: NumPy keeps ``float32 / 12.0`` in float32 where numba widens it).
"""

from __future__ import annotations

import os
from pathlib import Path

import numba

from sim.core.source import code_hash


def cache_dir() -> Path:
    """Where the compiled loops of this exact source are cached.

    Under ``$NUMBA_CACHE_DIR`` if set, else the package's ``__pycache__/numba``; the last part
    is numba's version and :func:`sim.core.source.code_hash` (every source file that makes results).
    """
    root = os.environ.get("NUMBA_CACHE_DIR") or Path(__file__).parents[1] / "__pycache__" / "numba"
    return Path(root) / f"numba-{numba.__version__}-{code_hash()}"


# Before any loop below is decorated: the cache locator reads it then.
numba.config.CACHE_DIR = str(cache_dir())

jit = numba.njit(cache=True, nogil=True)
# For small functions called inside those loops: inlined by numba (a call costs ~10 ns).
jit_inline = numba.njit(cache=True, nogil=True, inline="always")

__all__ = ["cache_dir", "compiled_before", "jit", "jit_inline"]


def compiled_before() -> bool:
    """Whether numba's disk cache already holds compiled loops (a run after the first)."""
    return any(Path(numba.config.CACHE_DIR).rglob("*.nbi"))
