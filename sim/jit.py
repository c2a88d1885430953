"""Compiled loops for the measured hot spots of a month.

numpy makes one pass over the district per operation; a rule of ten operations costs ten passes
of 190,000 households (about 0.15 ms each here). Where a rule runs every month over every
household, one compiled loop does it in one pass. ``jit`` compiles with numba and caches the
machine code on disk (``__pycache__``). No fastmath: a loop computes what the numpy it replaced
did, up to the last bits where the order of operations differs (numpy sums pairwise). Loops
over random outcomes use ``&`` and ``|`` rather than ``and`` and ``or``, which would branch.
Set ``NUMBA_DISABLE_JIT=1`` to step through the loops in a Python debugger (slow, and the
last bits may differ: NumPy keeps ``float32 / 12.0`` in float32 where numba widens it).
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, nogil=True)
# For small functions called inside those loops: inlined by numba (a call costs ~10 ns).
jit_inline = numba.njit(cache=True, nogil=True, inline="always")

__all__ = ["jit", "jit_inline"]
