"""Compiled loops for the measured hot spots of a month.

numpy makes one pass over the district per operation; a rule of ten operations costs ten passes
of 190,000 households (about 0.15 ms each here). Where a rule runs every month over every
household, one compiled loop does it in one pass. ``jit`` compiles with numba and caches the
machine code on disk (``__pycache__``). No fastmath: a loop computes what the numpy it replaced
did, up to the last bits where the order of operations differs (numpy sums pairwise). Loops
over random outcomes use ``&`` and ``|`` rather than ``and`` and ``or``, which would branch.

Measured here, and worth knowing before fusing loops: a simple loop without branches is
vectorised (AVX-512: a household's uniform costs ~0.5 ns), a loop with branches is not, so
one fused loop can be slower than two (the income history apart from the status: 2.9 -> 2.3
ms a month). Table lookups stop vectorisation too (hence the shocks' screen). Calls that are
not inlined cost ~100 ns with many array arguments: call them only on rare events. And
``jit_inline`` is for straight-line helpers: an inlined helper with a loop ran 3.5x slower.

Set ``NUMBA_DISABLE_JIT=1`` to step through the loops in a Python debugger (slow, and the
last bits may differ: NumPy keeps ``float32 / 12.0`` in float32 where numba widens it).
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, nogil=True)
# For small functions called inside those loops: inlined by numba (a call costs ~10 ns).
jit_inline = numba.njit(cache=True, nogil=True, inline="always")

__all__ = ["compiled_before", "jit", "jit_inline"]


def compiled_before() -> bool:
    """Whether numba's disk cache already holds compiled loops (a run after the first)."""
    from pathlib import Path

    return any(Path(__file__).parent.glob("**/__pycache__/*.nbi"))
